"""The scanned repository's own settings: `pyctl-scan.toml` at its root (or
`[tool.pyctl-scan]` in its pyproject.toml, or `--config FILE`).

    [writers]
    # paths that may write the guarded tables (globs relative to the root);
    # a table list limits an entry to those tables
    sanctioned = [
        { path = "hubs/*/imo/middle/hub_status.py", tables = ["outreach.company_hub_status"] },
        "infra/migrations/*.sql",
    ]
    # paths from which no write at all is allowed (beats `sanctioned`)
    read_only = ["spokes/", "ctb/ui/", "ops/", "scripts/", "src/", "enrichment-hub/", "integrations/"]

    [hubs]
    # which hub a file belongs to: by default hubs/<hub_id>/... (or the hub's
    # name with - or _); extra globs here
    paths = { "services/dol/**" = "dol-filings" }

    [done]
    definitions = "DONE_STATE_DEFINITIONS.md"     # false: no DONE-contract check

    [scan]
    exclude = ["tests/fixtures/**"]

The defaults are the lists of the live system's mutation guard. Globs: `*` within one path segment, `**`
any number of segments, a trailing `/` means everything below.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyctl.errors import PyctlError

CONFIG_FILE = "pyctl-scan.toml"

DEFAULT_SANCTIONED: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("hubs/*/imo/middle/hub_status.py", ("outreach.company_hub_status",)),
    ("infra/migrations/*.sql", None),
)
DEFAULT_READ_ONLY = ("spokes/", "ctb/ui/", "ops/", "scripts/", "src/", "enrichment-hub/", "integrations/")
DEFAULT_DONE_DEFINITIONS = "DONE_STATE_DEFINITIONS.md"
#: never walked into
ALWAYS_EXCLUDED_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
                                  ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".pyctl", "site-packages",
                                  ".eggs", "build", "dist"})


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern:
    """A compiled regex for a path glob (relative, `/`-separated)."""
    p = pattern.strip()
    if p.startswith("./"):
        p = p[2:]
    if p.endswith("/"):
        p += "**"
    out, i = [], 0
    while i < len(p):
        if p.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif p.startswith("**", i):
            out.append(".*")
            i += 2
        elif p[i] == "*":
            out.append("[^/]*")
            i += 1
        elif p[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(p[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(path: str, pattern: str) -> bool:
    return glob_regex(pattern).match(path) is not None


@dataclass
class ScanConfig:
    sanctioned: list[tuple[str, tuple[str, ...] | None]] = field(default_factory=lambda: list(DEFAULT_SANCTIONED))
    read_only: list[str] = field(default_factory=lambda: list(DEFAULT_READ_ONLY))
    hub_paths: dict[str, str] = field(default_factory=dict)
    done_definitions: str | None = DEFAULT_DONE_DEFINITIONS
    exclude: list[str] = field(default_factory=list)
    source: str = "defaults (docs/operator-guide.md)"

    def is_read_only(self, rel: str) -> bool:
        return any(matches(rel, p) for p in self.read_only)

    def is_sanctioned(self, rel: str, table: str) -> bool:
        """May the file `rel` write `table`? Never from a read-only path."""
        if self.is_read_only(rel):
            return False
        return any(matches(rel, p) and (tables is None or table in tables) for p, tables in self.sanctioned)

    def is_excluded(self, rel: str) -> bool:
        return any(matches(rel, p) for p in self.exclude)

    def hub_of(self, rel: str, hub_keys: dict[str, str]) -> str | None:
        """The hub a file belongs to: a `hubs.paths` glob, else hubs/<key>/...
        where <key> is a hub_id or a hub name (hub_keys: normalised key -> hub_id)."""
        for pattern, hub in self.hub_paths.items():
            if matches(rel, pattern):
                return hub
        parts = rel.split("/")
        if len(parts) > 2 and parts[0] == "hubs":
            return hub_keys.get(hub_key(parts[1]))
        return None


def hub_key(text: str) -> str:
    """company_target, Company Target, company-target -> company-target."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _fail(source: str, msg: str) -> PyctlError:
    return PyctlError(f"{source}: {msg}", exit_code=2)


def _str_list(value, source: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(source, f"{key} must be a list of non-empty strings")
    return list(value)


def from_mapping(data: dict, source: str) -> ScanConfig:
    """A ScanConfig from the parsed TOML table; unknown keys are errors (exit 2)."""
    cfg = ScanConfig(source=source)
    known = {"writers": {"sanctioned", "read_only"}, "hubs": {"paths"}, "done": {"definitions"},
             "scan": {"exclude"}}
    for section, body in data.items():
        if section not in known or not isinstance(body, dict):
            raise _fail(source, f"unknown section [{section}] (known: {', '.join(known)})")
        unknown = set(body) - known[section]
        if unknown:
            raise _fail(source, f"unknown key(s) in [{section}]: {', '.join(sorted(unknown))}")
    writers = data.get("writers", {})
    if "sanctioned" in writers:
        entries = writers["sanctioned"]
        if not isinstance(entries, list):
            raise _fail(source, "writers.sanctioned must be a list")
        cfg.sanctioned = []
        for e in entries:
            if isinstance(e, str) and e.strip():
                cfg.sanctioned.append((e, None))
            elif isinstance(e, dict) and isinstance(e.get("path"), str) and set(e) <= {"path", "tables"}:
                tables = e.get("tables")
                if tables is not None:
                    tables = tuple(_str_list(tables, source, "writers.sanctioned.tables"))
                cfg.sanctioned.append((e["path"], tables))
            else:
                raise _fail(source, f"writers.sanctioned entry {e!r}: a glob, or {{ path = ..., tables = [...] }}")
    if "read_only" in writers:
        cfg.read_only = _str_list(writers["read_only"], source, "writers.read_only")
    paths = data.get("hubs", {}).get("paths", {})
    if not isinstance(paths, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in paths.items()):
        raise _fail(source, "hubs.paths must map globs to hub ids")
    cfg.hub_paths = dict(paths)
    if "definitions" in data.get("done", {}):
        d = data["done"]["definitions"]
        if d is False:
            cfg.done_definitions = None
        elif isinstance(d, str) and d.strip():
            cfg.done_definitions = d
        else:
            raise _fail(source, "done.definitions must be a path or false")
    if "exclude" in data.get("scan", {}):
        cfg.exclude = _str_list(data["scan"]["exclude"], source, "scan.exclude")
    return cfg


def load(root: Path, config_path: Path | None = None) -> ScanConfig:
    """The configuration: `config_path`, else <root>/pyctl-scan.toml, else
    [tool.pyctl-scan] of <root>/pyproject.toml, else the defaults."""
    if config_path is not None:
        return from_mapping(_read_toml(config_path), str(config_path))
    own = root / CONFIG_FILE
    if own.is_file():
        return from_mapping(_read_toml(own), CONFIG_FILE)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        section = _read_toml(pyproject).get("tool", {}).get("pyctl-scan")
        if section is not None:
            return from_mapping(section, "pyproject.toml [tool.pyctl-scan]")
    return ScanConfig()


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise PyctlError(f"cannot read {path}: {e.strerror or e}", exit_code=2) from None
    except tomllib.TOMLDecodeError as e:
        raise PyctlError(f"{path}: not valid TOML: {e}", exit_code=2) from None
