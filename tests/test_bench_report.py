"""The benchmarks page is generated (pyctl bench report), never edited by
hand: medians across several `pyctl bench --json` reports, the machine and
the dates, a smoke-run label for --quick reports, other reports (such as
`pyctl soak --json`) rendered generically; docs/benchmarks.md is exactly what
the generator makes of docs/benchmarks/*.json. And `pyctl bench --quick`
says its ratios are a smoke run and fails only when a benchmark failed to run."""
from __future__ import annotations

import json

import pytest

from helpers import REPO_ROOT, output
from pyctl.bench.report import GENERATED_NOTE, ReportError, medians, render

MACHINE = {"cpu": "Test CPU @ 2.0GHz", "cores": 2, "memory_gb": 7.8, "os": "Linux 6.1"}


def bench_report(figures: dict[str, tuple], quick=False, date="2026-12-01T10:00:00+00:00", errors=()):
    """A report in the shape `pyctl bench --json` writes: name -> (figure, floor, ok)."""
    results = []
    for name, (figure, floor, ok) in figures.items():
        results.append({"name": name, "budget": "≥ 0.5 × floor", "figure": figure, "floor": floor,
                        "ratio": None if floor is None else figure / floor, "unit": "tx/s", "ok": ok,
                        "note": "", "error": name in errors, "seconds": 1.0})
    return {"quick": quick, "date": date, "machine": MACHINE, "server_version": "15.18", "results": results,
            "ok": all(r["ok"] for r in results), "failed_to_run": list(errors)}


def write(tmp_path, name, doc):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def table_row(page: str, name: str) -> list[str]:
    line = next(ln for ln in page.splitlines() if ln.startswith(f"| {name} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_the_median_of_each_figure_across_runs(tmp_path):
    runs = [(100.0, 200.0, True), (90.0, 200.0, False), (300.0, 400.0, True)]
    files = [write(tmp_path, f"bench-{i}.json", bench_report({"gate": (g, f, ok), "seed": (50.0 + i, None, True)},
                                                             date=f"2026-12-0{i}T10:00:00+00:00"))
             for i, (g, f, ok) in enumerate(runs, 1)]
    page = render(files)
    assert page.startswith("# Benchmarks\n") and GENERATED_NOTE in page
    gate = table_row(page, "gate")
    assert gate[1] == "100 tx/s" and gate[2] == "200 tx/s", gate  # medians of 100/90/300 and 200/200/400
    assert gate[3] == "0.5", "median ratio of 0.5, 0.45, 0.75"
    assert gate[5] == "2 of 3", "runs within budget"
    assert "Median of 3 runs (bench-1.json, bench-2.json, bench-3.json):" in page
    assert "| benchmark | figure | floor | ratio | budget | runs within budget |" in page
    assert table_row(page, "seed")[1] == "52.00 tx/s" and table_row(page, "seed")[2] == "–"
    assert "- Machine: Test CPU @ 2.0GHz, 2 cores, 7.8 GB memory, Linux 6.1" in page
    assert "- PostgreSQL: 15.18" in page
    assert "- Date: 2026-12-01T10:00:00+00:00 to 2026-12-03T10:00:00+00:00" in page
    assert "Smoke run" not in page
    assert render(files) == page, "a pure function of the files"


def test_a_quick_run_is_labelled_a_smoke_run(tmp_path):
    page = render([write(tmp_path, "q.json", bench_report({"gate": (10.0, 40.0, False)}, quick=True))])
    assert "**Smoke run.**" in page and "not the budgets" in page
    assert "runs within budget (smoke)" in page


def section_rows(page: str, heading: str, name: str) -> list[str]:
    """The row of benchmark `name` in the table under `### heading`."""
    lines = page.splitlines()
    start = lines.index(f"### {heading}")
    end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("#")), len(lines))
    return table_row("\n".join(lines[start:end]), name)


def test_quick_and_full_runs_get_a_table_each(tmp_path):
    """A smoke run's figures never enter the full runs' medians: each kind
    has its own table, the full one first, the smoke one labelled."""
    files = [write(tmp_path, "bench-1.json", bench_report({"gate": (100.0, 200.0, True)})),
             write(tmp_path, "bench-2.json", bench_report({"gate": (300.0, 400.0, False)})),
             write(tmp_path, "bench-quick.json", bench_report({"gate": (10.0, 40.0, False)}, quick=True))]
    page = render(files)
    full, smoke = section_rows(page, "Full runs", "gate"), section_rows(page, "Smoke run", "gate")
    assert full[1:4] == ["200 tx/s", "300 tx/s", "0.625"], full  # medians of the two full runs only
    assert full[5] == "1 of 2", full
    assert smoke[1:4] == ["10.00 tx/s", "40.00 tx/s", "0.25"] and smoke[5] == "0 of 1", smoke
    assert "Median of 2 runs (bench-1.json, bench-2.json):" in page
    assert "Median of 1 run (bench-quick.json):" in page
    assert page.index("### Full runs") < page.index("### Smoke run") < page.index("**Smoke run.**")
    assert "runs within budget (smoke)" in page.split("### Smoke run")[1]
    assert "(smoke)" not in page.split("### Smoke run")[0]


def test_a_benchmark_that_failed_to_run(tmp_path):
    page = render([write(tmp_path, "e.json", bench_report({"gate": (None, None, False)}, errors=("gate",))),
                   write(tmp_path, "f.json", bench_report({"gate": (10.0, 20.0, True)}))])
    assert table_row(page, "gate")[5] == "1 of 2 (1 failed to run)"
    assert medians([json.loads((tmp_path / "f.json").read_text())])[0]["figure"] == 10.0


def test_other_reports_are_rendered_generically(tmp_path):
    soak = {"title": "Soak: 10 minutes, 4 workers", "seconds": 600, "seed": 7, "ok": True,
            "faults": {"crashes": 3, "kills": 12},
            "invariants": [{"name": "spine_aligned", "checks": 40, "violations": 0, "ok": True},
                           {"name": "one_pass_one_send", "checks": 40, "violations": 0, "ok": True}]}
    page = render([write(tmp_path, "bench.json", bench_report({"gate": (1.0, 2.0, True)})),
                   write(tmp_path, "soak-2026-12-01.json", soak)])
    assert "## Soak: 10 minutes, 4 workers" in page and "From `soak-2026-12-01.json`." in page
    assert "| seconds | 600 |" in page and "| faults.crashes | 3 |" in page
    assert "### invariants" in page and "| name | checks | violations | ok |" in page
    assert "| spine_aligned | 40 | 0 | yes |" in page


@pytest.mark.parametrize("content, words", [("{not json", "not valid JSON"), ("[1, 2]", "a JSON object")])
def test_bad_files_are_one_clear_line(tmp_path, run_pyctl, content, words):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(ReportError):
        render([bad])
    p = run_pyctl(["bench", "report", bad])
    assert p.returncode == 1 and words in p.stderr and "Traceback" not in output(p), output(p)


def test_the_committed_page_is_what_the_generator_makes():
    """docs/benchmarks.md is generated from docs/benchmarks/*.json, never edited by hand."""
    sources = sorted((REPO_ROOT / "docs" / "benchmarks").glob("*.json"))
    assert sources, "the reports the page is generated from are committed beside it"
    assert (REPO_ROOT / "docs" / "benchmarks.md").read_text() == render(sources), \
        "regenerate it: pyctl bench report docs/benchmarks/*.json > docs/benchmarks.md"


def test_the_committed_reports_say_where_and_when():
    for path in sorted((REPO_ROOT / "docs" / "benchmarks").glob("bench-*.json")):
        doc = json.loads(path.read_text())
        assert doc["date"] and doc["server_version"] and doc["machine"]["cpu"] and doc["machine"]["cores"], path
        assert doc["machine"]["memory_gb"], path


# ------------------------------------------------------------------ pyctl bench --quick
def test_quick_says_smoke_run_and_reports_the_machine(run_pyctl, server_dsn, tmp_path):
    path = tmp_path / "bench.json"
    p = run_pyctl(["bench", "--quick", "--only", "migrate", "--json", path, "--dsn", server_dsn()], timeout=300)
    assert p.returncode == 0, output(p)
    assert p.stdout.startswith("SMOKE RUN (--quick)") and "not the budgets" in p.stdout, p.stdout
    doc = json.loads(path.read_text())
    assert doc["quick"] is True and doc["failed_to_run"] == [] and doc["machine"]["cores"] >= 1
    assert doc["date"] and doc["server_version"]


@pytest.mark.parametrize("quick, ok, error, code", [
    (True, False, False, 0),    # over budget in a smoke run: not a failure
    (True, False, True, 1),     # a benchmark that failed to run
    (False, False, False, 1),   # over budget in a full run
    (False, True, False, 0),
])
def test_exit_status(monkeypatch, tmp_path, quick, ok, error, code):
    """The exit rule of `pyctl bench`, on a report of each kind (the run
    itself is replaced: a full run is not made here)."""
    from pyctl.cli import cli
    from pyctl.commands import bench as bench_command
    from pyctl.errors import PyctlError

    report = bench_report({"gate": (1.0, 4.0, ok)}, quick=quick, errors=("gate",) if error else ())
    monkeypatch.setattr(bench_command, "run", lambda *a, **k: report)
    monkeypatch.setattr(bench_command, "database_url", lambda: "postgresql:///unused")
    argv = ["bench", "--json", str(tmp_path / "r.json")] + (["--quick"] if quick else [])
    if code == 0:
        cli.main(argv, prog_name="pyctl", standalone_mode=False)
    else:
        with pytest.raises(PyctlError) as e:
            cli.main(argv, prog_name="pyctl", standalone_mode=False)
        assert ("failed to run" if error else "over budget") in str(e.value)
