"""`pyctl scan` speed: 2,000 generated Python files of about 200 lines, each
with SQL in execute() calls (plain literals, f-strings, psycopg.sql
compositions, some writes to guarded tables), imports and API hosts, scanned
with the rules of the scratch database. Budget: at most 10 s; the figure is
files per second."""
from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path

from pyctl.bench import benchmark
from pyctl.scan import config as scan_config, ruleset
from pyctl.scan.engine import scan

FILES = 2_000
BUDGET_S = 10.0
HUBS = ("company-target", "dol-filings", "people-intelligence", "talent-flow", "blog-content", "bit-engine")

_HEADER = '''"""Generated hub module {n} for the scan benchmark."""
from __future__ import annotations

import json
import logging

import psycopg
from psycopg import sql
{extra_import}

log = logging.getLogger(__name__)
TABLE = "outreach.company_target"
STATUS = "outreach.company_hub_status"
'''

_FUNCTIONS = [
    '''

def read_{n}_{i}(conn, company_unique_id: str) -> list[tuple]:
    """Read the company's targets (an INSERT mentioned here is not a write)."""
    rows = conn.execute(
        """
        SELECT t.target_id, t.outreach_status, t.execution_status
          FROM outreach.company_target t
          JOIN outreach.outreach o ON o.outreach_id = t.outreach_id
         WHERE t.company_unique_id = %s
         ORDER BY t.created_at DESC
         LIMIT 50
        """,
        (company_unique_id,),
    ).fetchall()
    log.debug("read %d rows", len(rows))
    return rows
''',
    '''

def promote_{n}_{i}(conn, company_unique_id: str, hub_id: str) -> None:
    # the sanctioned function: never a finding
    conn.execute("SELECT outreach.fn_set_hub_status(%s, %s, 'PASS', %s)",
                 (company_unique_id, hub_id, "bench"))
''',
    '''

def touch_{n}_{i}(conn, target_id: str, status: str) -> int:
    cur = conn.execute(
        f"UPDATE {{TABLE}} SET outreach_status = %s, updated_at = now() WHERE target_id = %s",
        (status, target_id),
    )
    return cur.rowcount
''',
    '''

def count_{n}_{i}(cur, hub_id: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {{}} WHERE hub_id = {{}} AND status = 'PASS'").format(
        sql.Identifier("outreach", "company_hub_status"), sql.Placeholder())
    cur.execute(query, (hub_id,))
    return cur.fetchone()[0]
''',
    '''

def record_{n}_{i}(conn, rows: list[tuple]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO outreach.blog_signals (target_id, outreach_id, company_unique_id, headline, url)
            VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT DO NOTHING
            """,
            rows,
        )
''',
    '''

def payload_{n}_{i}(item: dict) -> str:
    data = {{"id": item.get("id"), "kind": "bench", "values": [v for v in item.get("values", []) if v]}}
    for key in sorted(item):
        if key.startswith("_"):
            continue
        data[key] = item[key]
    return json.dumps(data, sort_keys=True)
''',
    '''

def force_{n}_{i}(conn, company_unique_id: str) -> None:
    conn.execute(
        f"""
        UPDATE {{STATUS}}
           SET status = 'PASS', updated_at = now()
         WHERE company_unique_id = %s
        """,
        (company_unique_id,),
    )
''',
]

_EXTRA_IMPORTS = ["", "import pyhunter", "from googleapiclient.discovery import build", "", "import requests"]


def generate(root: Path, files: int = FILES, seed: int = 1) -> int:
    """Write `files` Python modules of about 200 lines under root/hubs/<hub>/; return the lines written."""
    rnd = random.Random(seed)
    total = 0
    for n in range(files):
        hub = HUBS[n % len(HUBS)]
        parts = [_HEADER.format(n=n, extra_import=rnd.choice(_EXTRA_IMPORTS))]
        i = 0
        while sum(p.count("\n") for p in parts) < 195:
            parts.append(rnd.choice(_FUNCTIONS).format(n=n, i=i))
            i += 1
        if n % 10 == 0:
            parts.append(f'\n\nAPI = "https://api.hunter.io/v2/domain-search?n={n}"\n')
        text = "".join(parts)
        path = root / "hubs" / hub / f"module_{n:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        total += text.count("\n")
    return total


@benchmark("scan", f"{FILES:,} files of ~200 lines in ≤ {BUDGET_S:g} s")
def bench_scan(ctx):
    """pyctl scan over FILES generated Python files with SQL, rules read from
    the scratch database; figure: files per second."""
    with ctx.connect() as conn:
        rules = ruleset.read_database(conn, "bench")
    workdir = Path(tempfile.mkdtemp(prefix="pyctl-bench-scan-"))
    try:
        lines = generate(workdir)
        cfg = scan_config.ScanConfig(done_definitions=None)
        t0 = time.perf_counter()
        result = scan([workdir], rules, cfg, workdir)
        seconds = time.perf_counter() - t0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    per_s = result.files_scanned / seconds if seconds > 0 else 0.0
    writers = sum(1 for f in result.findings if f.rule == "OGS101")
    return dict(figure=per_s, floor=None, ratio=None, unit="files/s",
                ok=result.files_scanned == FILES and seconds <= BUDGET_S and writers > 0,
                note=f"{result.files_scanned} files, {lines:,} lines in {seconds:.2f}s; "
                     f"{len(result.findings)} findings ({writers} illegal writers)",
                seconds_scanning=round(seconds, 3))
