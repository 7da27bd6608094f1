"""The package as others get it: the client modules stand alone (psycopg and
the standard library), and the built wheel, installed into a fresh venv
outside the checkout, carries the SQL sources and migrates, verifies and
seeds a database.

Offline and quick: the wheel is built without build isolation (setuptools
and wheel are test extras), installed without its dependencies, and the
scratch venv sees this venv's site-packages (psycopg, click, yoyo) through a
.pth file. That directory is no site directory of the scratch venv, so the
editable install of the checkout living there stays invisible to it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import psycopg
import pytest

from helpers import REPO_ROOT, output
from pyctl.resources import MANIFEST, PACKAGE_DATA_DIR, SQL_DIRS, SQL_ROOT

#: what a client may not pull in: the controller's tools and the tests'
CONTROLLER_ONLY = ("click", "yoyo", "testing")

CLIENT_IMPORT_CHECK = f"""
import sys

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {CONTROLLER_ONLY!r}:
            raise ImportError(f"a client module imported {{name}}")
        return None

sys.meta_path.insert(0, Refuse())
import psycopg, psycopg.pq, psycopg.rows, psycopg.types.json  # what the clients may use
before = set(sys.modules)
import pyctl.gate, pyctl.outreach, pyctl.guard
others = sorted({{m.split(".")[0] for m in set(sys.modules) - before}}
                - set(sys.stdlib_module_names) - {{"pyctl"}})
print("third-party modules beyond psycopg:", others)
sys.exit(1 if others else 0)
"""


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and k not in ("DATABASE_URL", "PYTHONPATH", "PYCTL_PROJECT_ROOT")}
    env.update(extra)
    return env


def test_client_modules_import_only_psycopg_and_the_standard_library(tmp_path):
    p = subprocess.run([sys.executable, "-c", CLIENT_IMPORT_CHECK], capture_output=True, text=True,
                       cwd=tmp_path, env=_clean_env(), timeout=60)
    assert p.returncode == 0, output(p)
    assert "beyond psycopg: []" in p.stdout


def test_the_import_check_catches_a_controller_import(tmp_path):
    """The check above fails when a client module pulls in click."""
    p = subprocess.run([sys.executable, "-c", CLIENT_IMPORT_CHECK.replace(
        "import pyctl.gate,", "import pyctl.commands, pyctl.gate,")], capture_output=True, text=True,
        cwd=tmp_path, env=_clean_env(), timeout=60)
    assert p.returncode != 0 and "a client module imported click" in output(p), output(p)


def sql_sources() -> set[str]:
    """Every file under the SQL source directories, relative to their root."""
    return {str(p.relative_to(SQL_ROOT)) for d in SQL_DIRS for p in (SQL_ROOT / d).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


# ------------------------------------------------------------------ the wheel
@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the checkout (so that no build/ or
    egg-info is left in it)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    shutil.copytree(REPO_ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".pyctl", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    dist = work / "dist"
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", "-w", str(dist), str(src)], capture_output=True, text=True, env=_clean_env(),
                       timeout=300)
    assert p.returncode == 0, output(p)
    (built,) = dist.glob("*.whl")
    return built


def test_the_wheel_carries_every_sql_source(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = {n[len(f"pyctl/{PACKAGE_DATA_DIR}/"):] for n in names if n.startswith(f"pyctl/{PACKAGE_DATA_DIR}/")}
    expected = sql_sources()
    assert "db/manifest.txt" in expected
    assert data == expected, (sorted(expected - data)[:10], sorted(data - expected)[:10])


@pytest.fixture(scope="module")
def scratch_venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv outside the checkout with the wheel installed."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    p = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                        "-q", str(wheel)], capture_output=True, text=True, env=_clean_env(), timeout=300)
    assert p.returncode == 0, output(p)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "test_dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return venv


def test_the_installed_package_finds_its_own_sources(scratch_venv, tmp_path):
    p = subprocess.run([str(scratch_venv / "bin" / "python"), "-c",
                        "import json, pyctl, pyctl.resources as r;"
                        " print(json.dumps([pyctl.__file__, str(r.SQL_ROOT)]))"],
                       capture_output=True, text=True, cwd=tmp_path, env=_clean_env(), timeout=60)
    assert p.returncode == 0, output(p)
    module, root = json.loads(p.stdout)
    assert module.startswith(str(scratch_venv)), module
    assert Path(root) == Path(module).parent / PACKAGE_DATA_DIR and (Path(root) / MANIFEST).is_file(), root


def test_the_installed_pyctl_migrates_verifies_and_seeds(scratch_venv, fresh_db, tmp_path):
    dsn = fresh_db("template0")  # an empty database
    pyctl = str(scratch_venv / "bin" / "pyctl")

    def run(*args):
        return subprocess.run([pyctl, *args, "--dsn", dsn], capture_output=True, text=True, cwd=tmp_path,
                              env=_clean_env(), timeout=600, stdin=subprocess.DEVNULL)

    p = run("migrate")
    assert p.returncode == 0 and "migrate: done" in p.stdout, output(p)
    p = run("verify", "--report", str(tmp_path / "verify.json"))
    assert p.returncode == 0, output(p)[-3000:]
    assert json.loads((tmp_path / "verify.json").read_text())["ok"] is True
    p = run("seed", "--companies", "50")
    assert p.returncode == 0 and "seeded 50 companies" in p.stdout, output(p)
    with psycopg.connect(dsn) as c:
        assert c.execute("SELECT count(*) FROM cl.company_identity").fetchone()[0] == 50
        assert c.execute("SELECT is_aligned FROM shq.fn_check_spine_alignment()").fetchone()[0] is True
