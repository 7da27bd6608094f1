"""docs/ci-integration.md: its GitHub Actions workflow and its pre-commit
configuration, run as written.

The workflow's steps run in order in a copy of a hub code base, with the
GitHub semantics a reader relies on (a failed step skips the next ones unless
`if: always()`, or it has `continue-on-error`); the actions it uses are played by their local equivalent
(checkout: the copy; setup-python: this interpreter, checked against the
version the snippet asks for; upload-sarif: the file must exist and validate
against the SARIF 2.1.0 schema; upload-artifact: the file must exist). The
"Install pyctl" step is checked to install this project and not run: the
test environment has it, and the test must not download it.

The pre-commit snippet runs with the real pre-commit, against a git copy of
this repository in place of the GitHub URL: pre-commit builds the hook's
environment from it (once, about half a minute), and a commit with findings
is refused while a clean one goes through.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from scan_support import FIXTURE, export_rules, sarif_validator, write_clean_hub_file

from helpers import REPO_ROOT

DOC = REPO_ROOT / "docs" / "ci-integration.md"
RULES = "pyctl-scan-rules.json"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
           "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}


def snippet(doc: Path, name: str) -> str:
    """The fenced block right after `<!-- ci-snippet: name -->`."""
    m = re.search(rf"<!-- ci-snippet: {re.escape(name)} -->\s*```\w*\n(.*?)```", doc.read_text(), re.S)
    assert m, f"{doc.name} has no {name} snippet"
    return m.group(1)


def done_table() -> str:
    """The complete DONE_STATE_DEFINITIONS.md example of docs/scan.md."""
    m = re.search(r"```markdown\n(.*?)```", (REPO_ROOT / "docs" / "scan.md").read_text(), re.S)
    assert m
    return "# DONE state definitions\n\n" + m.group(1)


def tool_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "PRE_COMMIT", "GIT_")) and k != "DATABASE_URL"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def rules_file(dsn, run_pyctl, tmp_path_factory):
    return export_rules(run_pyctl, dsn, tmp_path_factory.mktemp("rules") / RULES)


def hub_repo(dest: Path, rules_file: Path, clean: bool) -> Path:
    """A hub code base: the fixture (findings), or one clean file and a right DONE document."""
    if clean:
        write_clean_hub_file(dest)
        (dest / "DONE_STATE_DEFINITIONS.md").write_text(done_table())
    else:
        shutil.copytree(FIXTURE, dest, dirs_exist_ok=True)
    shutil.copy(rules_file, dest / RULES)
    return dest


# ------------------------------------------------------------------ GitHub Actions
def run_workflow(workspace: Path) -> list[dict]:
    """Run the snippet's job in `workspace`; return one record per step."""
    workflow = yaml.safe_load(snippet(DOC, "github-actions"))
    assert workflow[True] == ["pull_request"] or workflow.get("on") == ["pull_request"]  # YAML 1.1 reads `on` as True
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "security-events": "write"}
    failed = False
    records = []
    for step in job["steps"]:
        record = {"name": step.get("name") or step.get("uses"), "ran": False, "rc": None}
        records.append(record)
        if failed and step.get("if") != "always()":
            continue
        record["ran"] = True
        uses, args = step.get("uses"), step.get("with", {})
        if uses == "actions/checkout@v4":
            record["rc"] = 0                                    # the workspace is the checkout
        elif uses == "actions/setup-python@v5":
            wanted = tuple(int(x) for x in str(args["python-version"]).split("."))
            required = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
            assert required == ">=3.11" and wanted >= (3, 11) and sys.version_info[:2] >= (3, 11)
            record["rc"] = 0
        elif uses == "github/codeql-action/upload-sarif@v3":
            doc = json.loads((workspace / args["sarif_file"]).read_text())
            assert list(sarif_validator().iter_errors(doc)) == []
            record["rc"], record["sarif"] = 0, doc
        elif uses == "actions/upload-artifact@v4":
            record["rc"], record["artifact"] = 0, json.loads((workspace / args["path"]).read_text())
        elif step.get("name") == "Install pyctl":
            project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["name"]
            assert step["run"].startswith(f'pip install "{project} @ git+https://')
            record["rc"], record["ran"] = 0, False              # installed here already; no download in tests
        else:
            assert uses is None, f"the test does not know the action {uses}"
            p = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace, env=tool_env(CI="true"),
                               capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
            record.update(rc=p.returncode, stdout=p.stdout, stderr=p.stderr)
        failed = failed or (record["rc"] != 0 and not step.get("continue-on-error"))
    return records


def test_github_actions_snippet_fails_the_job_on_findings(rules_file, tmp_path):
    workspace = hub_repo(tmp_path / "hub", rules_file, clean=False)
    steps = {s["name"]: s for s in run_workflow(workspace)}
    assert steps["JSON report"]["rc"] == 1                    # continue-on-error: the job goes on
    assert steps["pyctl scan"]["rc"] == 1, steps["pyctl scan"]["stderr"]
    assert "scan failed" in steps["pyctl scan"]["stderr"] and "Traceback" not in steps["pyctl scan"]["stderr"]
    sarif = steps["Show the findings in the pull request"]
    assert sarif["ran"] and len(sarif["sarif"]["runs"][0]["results"]) == 44     # 43 findings + 1 suppressed
    report = steps["Keep the report"]
    assert report["ran"] and len(report["artifact"]["findings"]) == 43 and report["artifact"]["passed"] is False


def test_github_actions_snippet_passes_a_clean_hub(rules_file, tmp_path):
    workspace = hub_repo(tmp_path / "hub", rules_file, clean=True)
    records = run_workflow(workspace)
    assert all(r["rc"] == 0 for r in records), [(r["name"], r.get("stdout"), r.get("stderr")) for r in records]
    steps = {s["name"]: s for s in records}
    assert steps["Keep the report"]["artifact"]["findings"] == []
    assert steps["Show the findings in the pull request"]["sarif"]["runs"][0]["results"] == []


# ------------------------------------------------------------------ pre-commit
def git(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env=tool_env(**GIT_ENV), capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This repository as a git repository pre-commit can clone: its files as
    they are now (committed or not), one commit."""
    dest = tmp_path_factory.mktemp("hookrepo")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, files):
        src = REPO_ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    assert (dest / ".pre-commit-hooks.yaml").is_file()
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        p = git(*args, cwd=dest)
        assert p.returncode == 0, p.stderr
    return dest, git("rev-parse", "HEAD", cwd=dest).stdout.strip()


def precommit_repo(dest: Path, rules_file: Path, hook: tuple[Path, str], clean: bool) -> Path:
    hub_repo(dest, rules_file, clean)
    config = snippet(DOC, "pre-commit")
    config = re.sub(r"repo: https://github.com/\S+", f"repo: {hook[0]}", config)
    config = re.sub(r"rev: \S+", f"rev: {hook[1]}", config)
    (dest / ".pre-commit-config.yaml").write_text(config)
    for args in (["init", "-q"], ["add", "-A"]):
        assert git(*args, cwd=dest).returncode == 0
    return dest


def test_pre_commit_snippet_refuses_a_commit_with_findings(rules_file, hook_repo, tmp_path_factory):
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = tool_env(PRE_COMMIT_HOME=str(home), **GIT_ENV)

    def commit(repo: Path) -> subprocess.CompletedProcess:
        p = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=env, capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr
        return subprocess.run(["git", "commit", "-q", "-m", "change"], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=600, stdin=subprocess.DEVNULL)

    bad = precommit_repo(tmp_path_factory.mktemp("bad"), rules_file, hook_repo, clean=False)
    p = commit(bad)
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "pyctl scan (governance rules of the outreach database)" in out and "Failed" in out
    assert "ops/fix.sql:6:13: CRITICAL OGS101 illegal-writer" in out
    assert git("rev-parse", "--verify", "-q", "HEAD", cwd=bad).returncode != 0, "the commit went through"

    good = precommit_repo(tmp_path_factory.mktemp("good"), rules_file, hook_repo, clean=True)
    p = commit(good)
    assert p.returncode == 0, p.stdout + p.stderr
    assert git("rev-parse", "--verify", "-q", "HEAD", cwd=good).returncode == 0
