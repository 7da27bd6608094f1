"""Build step of the wheel: the SQL sources (db/, functions/, triggers/,
views/, pgtap_tests/) stay at the repository's root and ship as package data
under pyctl/sql/, where pyctl.resources finds them. Everything else is in
pyproject.toml."""
import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: the one list of source directories and where they go (pyctl/resources.py)
RESOURCES = runpy.run_path(str(HERE / "pyctl" / "resources.py"))


def sql_files() -> list[Path]:
    """Every file under the SQL source directories, relative to the root."""
    return sorted(p.relative_to(HERE) for d in RESOURCES["SQL_DIRS"] for p in (HERE / d).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


class BuildPyWithSql(build_py):
    """build_py that also copies the SQL sources into the built package (not
    for an editable install: that one reads them in place, from the checkout)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "pyctl" / RESOURCES["PACKAGE_DATA_DIR"]
        shutil.rmtree(target, ignore_errors=True)  # nothing stale from an earlier build
        for rel in sql_files():
            dst = target / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(HERE / rel, dst)

    def get_source_files(self):
        # the sdist carries the sources too, so that a wheel built from it has them
        return super().get_source_files() + [str(p) for p in sql_files()]


setup(cmdclass={"build_py": BuildPyWithSql})
