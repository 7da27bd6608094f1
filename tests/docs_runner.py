"""The runner behind tests/test_docs_examples.py: every example of README.md
and docs/**/*.md runs, in document order, and its expectation is checked.
How to write one is in docs/writing-docs.md; in short:

* a fenced block whose info string is sh/bash/shell/console (run by bash),
  sql (run by psql) or python (run by the project's interpreter) is an
  example, and runs with DATABASE_URL naming the page's own database (a
  clone of the seeded demo database) and .venv/bin on PATH, in a scratch
  directory that mirrors the checkout (relative paths work, files written
  stay out of it);
* it must succeed (exit 0), unless the line right before its fence says
  otherwise with an HTML comment:
      <!-- norun: reason -->          not run (`<!-- norun -->` is accepted in older pages)
      <!-- expect: exit 3 -->         a shell or python block that must exit 3
      <!-- expect: SQLSTATE OG002 --> a block that must fail with that SQLSTATE (its last statement)
* a fenced block with the info string `output` right after an example (only
  blank lines between) is its expected output: each of its lines must match
  a line of what the example printed, in order (other lines may come in
  between); runs of spaces match any run of spaces and `...` matches any
  text. SQL prints as psql prints it.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SHELL = {"sh", "bash", "shell", "console"}
SQL = {"sql"}
PYTHON = {"python", "py"}
RUNNABLE = SHELL | SQL | PYTHON
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
DIRECTIVE = re.compile(r"^\s*<!--\s*(?P<word>norun|expect)\b\s*:?\s*(?P<arg>.*?)\s*-->\s*$")
TIMEOUT = 600


@dataclass
class Block:
    path: Path
    line: int                       # 1-based line of the opening fence
    lang: str
    code: str
    norun: str | None = None        # the reason ('' when none was given)
    expect_exit: int = 0
    expect_sqlstate: str | None = None
    expected: str | None = None     # the output block after it
    directive_errors: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def parse(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with their directives and outputs."""
    lines = path.read_text().splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m.group("fence"), len(m.group("indent"))
        info = m.group("info").strip().split()
        lang = info[0].lower() if info else ""
        # the closing fence: the same character, at least as long, indented at
        # most three spaces more than the opening one (CommonMark)
        closing = re.compile(rf"^ {{0,{indent + 3}}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body, j = [], i + 1
        while j < len(lines) and not closing.match(lines[j]):
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j].lstrip())
            j += 1
        block = Block(path, i + 1, lang, "\n".join(body) + "\n")
        d = DIRECTIVE.match(lines[i - 1]) if i > 0 else None
        if d and d.group("word") == "norun":
            block.norun = d.group("arg")
        elif d:
            arg = d.group("arg")
            if (e := re.fullmatch(r"exit\s+(\d+)", arg)):
                block.expect_exit = int(e.group(1))
            elif (e := re.fullmatch(r"SQLSTATE\s+([0-9A-Z]{5})", arg)):
                block.expect_sqlstate = e.group(1)
            else:
                block.directive_errors.append(f"unknown expectation {arg!r}")
        if lang == "output" and blocks and blocks[-1].expected is None and _only_blank(lines, blocks[-1], i):
            blocks[-1].expected = block.code
        else:
            blocks.append(block)
        i = j + 1
    return blocks


def _only_blank(lines: list[str], prev: Block, start: int) -> bool:
    """Only blank lines between the end of `prev`'s fence and line index `start`."""
    end = prev.line - 1 + prev.code.count("\n") + 1  # index of prev's closing fence
    return all(not ln.strip() for ln in lines[end + 1:start])


# ------------------------------------------------------------------ matching
def _pattern(line: str) -> re.Pattern:
    parts = [re.escape(p) for p in line.strip().split("...")]
    rx = ".*".join(parts)
    rx = re.sub(r"(\\ )+", r"\\s+", rx)
    return re.compile(rx)


def match_output(expected: str, actual: str) -> str | None:
    """None when every expected line matches a line of `actual`, in order;
    else the first expected line that does not."""
    got = [ln.strip() for ln in actual.splitlines()]
    k = 0
    for want in (ln for ln in expected.splitlines() if ln.strip() and ln.strip() != "..."):
        rx = _pattern(want)
        while k < len(got) and not rx.fullmatch(got[k]):
            k += 1
        if k == len(got):
            return want
        k += 1
    return None


# ------------------------------------------------------------------ running
@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    sqlstate: str | None = None


def scratch_checkout(repo: Path, into: Path) -> Path:
    """A directory whose entries link to the checkout's top-level entries:
    relative paths resolve, and what an example writes lands here."""
    into.mkdir(parents=True, exist_ok=True)
    for entry in repo.iterdir():
        if entry.name in (".git", ".pyctl") or (into / entry.name).exists():
            continue
        (into / entry.name).symlink_to(entry)
    return into


def environment(dsn: str, venv_bin: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and k not in ("DATABASE_URL", "PYCTL_HOME", "PYCTL_PROJECT_ROOT")}
    env["DATABASE_URL"] = dsn
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "100"
    return env


def run(block: Block, dsn: str, cwd: Path, venv_bin: Path) -> Outcome:
    env = environment(dsn, venv_bin)
    if block.lang in SHELL:
        cmd = ["bash", "-eo", "pipefail", "-c", block.code]
    elif block.lang in SQL:
        cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose", "-d", dsn, "-f", "-"]
    else:
        cmd = [sys.executable, "-"]
    p = subprocess.run(cmd, input=None if block.lang in SHELL else block.code, cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL if block.lang in SHELL else None)
    state = None
    if block.lang in SQL:
        found = re.findall(r"ERROR:\s+([0-9A-Z]{5}):", p.stderr)
        state = found[-1] if found else None
    return Outcome(p.returncode, p.stdout, p.stderr, state)


def check(block: Block, out: Outcome) -> str | None:
    """What is wrong with this outcome, or None."""
    if block.directive_errors:
        return "; ".join(block.directive_errors)
    if block.expect_sqlstate:
        got = out.sqlstate
        if block.lang not in SQL:
            got = next(iter(re.findall(r"\b([0-9A-Z]{5}):", out.stderr + out.stdout)), None)
        if got != block.expect_sqlstate:
            return f"expected SQLSTATE {block.expect_sqlstate}, got {got or 'none'} (exit {out.code})"
    elif out.code != block.expect_exit:
        return f"expected exit {block.expect_exit}, got {out.code}"
    if block.expected is not None:
        missing = match_output(block.expected, out.stdout + ("\n" + out.stderr if block.lang in SHELL else ""))
        if missing is not None:
            return f"expected output line not found (in order): {missing!r}"
    return None


def report(block: Block, out: Outcome, problem: str) -> str:
    return (f"{block.where}: {problem}\n--- {block.lang} block\n{block.code}--- stdout\n{out.stdout[-3000:]}"
            f"--- stderr\n{out.stderr[-3000:]}")
