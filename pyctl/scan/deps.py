"""The packages a repository depends on, with the line that names each:
requirements*.txt, pyproject.toml (PEP 621, PEP 735 dependency groups and
Poetry), uv.lock and poetry.lock."""
from __future__ import annotations

import re
import tomllib

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """PEP 503: lower case, runs of -, _ and . become one -."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_dependency_file(rel: str) -> bool:
    base = rel.rsplit("/", 1)[-1]
    if base in ("pyproject.toml", "uv.lock", "poetry.lock"):
        return True
    if base.endswith(".txt") and (base.startswith("requirements") or "/requirements/" in f"/{rel}"):
        return True
    return False


def dependencies(rel: str, text: str) -> list[tuple[str, int]]:
    """(normalised package name, line) of each dependency the file declares.
    Raises ValueError for a TOML file that does not parse."""
    base = rel.rsplit("/", 1)[-1]
    if base.endswith(".txt"):
        return _requirements(text)
    data = tomllib.loads(text)
    if base == "pyproject.toml":
        names = _pyproject_names(data)
    else:                                   # uv.lock, poetry.lock: [[package]] name = "..."
        names = [p.get("name") for p in data.get("package", []) if isinstance(p, dict)]
    unique = dict.fromkeys(normalise(n) for n in names if isinstance(n, str) and n)
    return [(n, _line_of(text, n)) for n in unique]


def _requirements(text: str) -> list[tuple[str, int]]:
    out = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].split("\t#", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        egg = _EGG.search(line)
        if line.startswith("-"):
            if egg:                         # -e git+https://...#egg=name
                out.append((normalise(egg.group(1)), lineno))
            continue                        # -r, -c, --index-url ...
        if egg:
            out.append((normalise(egg.group(1)), lineno))
            continue
        m = _NAME.match(line)
        if m and "://" not in line.split("@", 1)[0]:
            out.append((normalise(m.group(1)), lineno))
    return out


def _requirement_name(spec: str) -> str | None:
    m = _NAME.match(spec)
    return m.group(1) if m else None


def _pyproject_names(data: dict) -> list[str]:
    names: list[str] = []
    project = data.get("project", {})
    for spec in project.get("dependencies", []) or []:
        names.append(_requirement_name(spec))
    for specs in (project.get("optional-dependencies", {}) or {}).values():
        names.extend(_requirement_name(s) for s in specs if isinstance(s, str))
    for specs in (data.get("dependency-groups", {}) or {}).values():
        names.extend(_requirement_name(s) for s in specs if isinstance(s, str))
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [g.get("dependencies", {}) for g in (poetry.get("group", {}) or {}).values() if isinstance(g, dict)]
    for table in tables:
        names.extend(k for k in (table or {}) if k.lower() != "python")
    return [n for n in names if n]


def _line_of(text: str, name: str) -> int:
    """The line of a lock file's `name = "<package>"`, else the first line
    that names the package (as a string or a TOML key)."""
    target = normalise(name)
    for lineno, line in enumerate(text.splitlines(), 1):
        m = re.match(r'\s*name\s*=\s*"([^"]+)"', line)
        if m and normalise(m.group(1)) == target:
            return lineno
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in re.finditer(r"[A-Za-z0-9][A-Za-z0-9._-]*", line):
            if normalise(m.group(0)) == target:
                return lineno
    return 1
