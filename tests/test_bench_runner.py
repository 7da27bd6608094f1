"""A `pyctl bench` run builds each seeded dataset once: the benchmarks that ask
for the same data get independent copies of it, a second seed in one
benchmark adds companies, and nothing of the run is left on the server."""
from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict

from pyctl.bench import Context, Runner
from pyctl.dsn import connect

COMPANIES = 300


def companies(dsn: str) -> int:
    with connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM cl.company_identity").fetchone()[0]


def overrides(dsn: str) -> int:
    with connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM outreach.manual_overrides").fetchone()[0]


def test_a_dataset_is_built_once_and_each_benchmark_gets_its_own_copy(server_dsn):
    lines: list[str] = []
    runner = Runner(server_dsn(), lines.append)
    try:
        def context() -> Context:
            dsn = runner.new_database(migrated=True)
            return Context(server_dsn(), dsn, conninfo_to_dict(dsn)["dbname"], False, runner)

        a, b = context(), context()
        a.seed(COMPANIES)
        b.seed(COMPANIES)
        assert a.dbname != b.dbname
        assert list(runner.dataset_seconds) == [f"seed {COMPANIES:,}"], "built once"
        assert sum("building the run's dataset" in ln for ln in lines) == 1, lines
        assert companies(a.dsn) == companies(b.dsn) == COMPANIES

        # the copies are independent of each other and of the dataset
        with connect(a.dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE public.only_in_a (x int)")
        with connect(b.dsn, autocommit=True) as conn:
            assert conn.execute("SELECT to_regclass('public.only_in_a')").fetchone()[0] is None

        # the overrides go on a copy of the same seed: one more dataset, no second seed
        c = context()
        c.seed(COMPANIES, overrides=True)
        assert list(runner.dataset_seconds) == [f"seed {COMPANIES:,}", f"seed {COMPANIES:,} + overrides"]
        assert overrides(c.dsn) > overrides(a.dsn) == overrides(b.dsn)

        # a second seed in the same benchmark adds companies after the first's
        a.seed(COMPANIES)
        assert companies(a.dsn) == 2 * COMPANIES

        # a dataset's database takes no connections: it stays as built
        dataset = runner.datasets[("seed", COMPANIES, 42, False, False)]
        with connect(server_dsn(), autocommit=True) as conn:
            assert conn.execute("SELECT datallowconn FROM pg_database WHERE datname = %s",
                                (dataset,)).fetchone()[0] is False
        for ctx in (a, b, c):
            ctx.close()
    finally:
        runner.drop_all()
    with connect(server_dsn(), autocommit=True) as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE starts_with(datname, %s)",
                            (runner.prefix,)).fetchone()[0]
    assert left == 0, "the run leaves nothing behind"
