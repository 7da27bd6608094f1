"""postgres_exporter for real (Debian prometheus-postgres-exporter 0.11.1): the
test starts its own exporter on a free 127.0.0.1 port with the shipped
monitoring/postgres_exporter/queries.yaml, connected as a login of
outreach_monitor to this module's database holding the known data set
(tests/metrics_support.py), scrapes /metrics, checks every family's value,
and stops exactly the process it started. It never touches a system
exporter the package's postinst may have started."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from contextlib import contextmanager

import psycopg
import pytest

from helpers import closed_port
from metrics_support import build_known_dataset, expected, mismatches, parse_exposition
from pyctl import metrics

EXPORTER = "prometheus-postgres-exporter"


def exporter_binary() -> str:
    path = shutil.which(EXPORTER)
    if not path:
        pytest.fail(f"{EXPORTER} is not installed (Makefile APT_PACKAGES: prometheus-postgres-exporter)",
                    pytrace=False)
    return path


@contextmanager
def running_exporter(data_source: str, queries=metrics.QUERIES_FILE, timeout: float = 20):
    """Our own exporter on a free port; yields its /metrics URL; stops that process."""
    port = closed_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATA_SOURCE"))}
    env["DATA_SOURCE_NAME"] = data_source
    proc = subprocess.Popen(
        [exporter_binary(), f"--web.listen-address=127.0.0.1:{port}", f"--extend.query-path={queries}",
         "--disable-default-metrics", "--disable-settings-metrics", "--no-collector.database",
         "--no-collector.bgwriter", "--log.level=warn"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the exporter exited ({proc.returncode}): {proc.stdout.read()}", pytrace=False)
            try:
                with urllib.request.urlopen(url.replace("/metrics", "/"), timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the exporter did not listen on {url} within {timeout} s", pytrace=False)
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read().decode()


@pytest.fixture(scope="module")
def known(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        build_known_dataset(c)
        return expected(c)


def exporter_dsn(server_dsn, dbname: str, user: str) -> str:
    return server_dsn(dbname, user) + "?sslmode=disable"


def test_the_exporter_exports_every_family_with_the_known_values(known, login_role, dbname, server_dsn):
    role, _c = login_role("outreach_monitor")
    with running_exporter(exporter_dsn(server_dsn, dbname, role)) as url:
        text = scrape(url)
    assert "pg_up 1" in text
    assert "pg_exporter_last_scrape_error 0" in text, text[-2000:]
    got = parse_exposition(text)
    assert mismatches(known, got) == []
    # the view's column comments are the metrics' help; every value column is a gauge
    assert "# HELP outreach_gate_attempts gate checks with this verdict in the window" in text
    assert "# TYPE outreach_tier_companies gauge" in text
    exported = {name for name, _labels in got}
    with psycopg.connect(server_dsn(dbname), autocommit=True) as c:
        for fam in metrics.families(c):
            for col in fam.values:
                assert fam.metric(col.name) in exported, f"{fam.metric(col.name)} not exported"


def test_without_the_monitor_role_the_exporter_reports_the_failure(known, login_role, dbname, server_dsn):
    role, _c = login_role()
    with running_exporter(exporter_dsn(server_dsn, dbname, role)) as url:
        text = scrape(url)
    assert "pg_up 1" in text
    assert "pg_exporter_last_scrape_error 1" in text
    assert parse_exposition(text) == {}
