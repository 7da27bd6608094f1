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


def test_alternating_rounds_pair_the_two_workloads_in_turn_and_take_the_median(server_dsn):
    """A figure that does twice the floor's work per step: each pair's ratio is
    well under 1, the rounds alternate figure/floor then floor/figure, and the
    ratio is the median of the pairs', not the ratio of the sums."""
    runner = Runner(server_dsn(), lambda _line: None)
    try:
        dsn = runner.new_database(migrated=False)
        ctx = Context(server_dsn(), dsn, conninfo_to_dict(dsn)["dbname"], False, runner)
        order: list[str] = []

        def sleeper(ms: float):
            return (lambda conn, _state, _i: conn.execute("SELECT pg_sleep(%s)", (ms / 1000,))), None

        rounds = ctx.alternating_rounds(2, 3, 0.3, sleeper(10), sleeper(5), before=order.append)
        ctx.close()
    finally:
        runner.drop_all()
    assert order == ["figure", "floor", "floor", "figure", "figure", "floor"]
    assert len(rounds["pair_ratios"]) == 3 and rounds["pair_ratios"] == sorted(rounds["pair_ratios"])
    assert rounds["ratio"] == rounds["pair_ratios"][1]
    assert 0.3 < rounds["ratio"] < 0.8, rounds
    assert rounds["figure"]["tx"] > 0 and rounds["floor"]["tx"] > rounds["figure"]["tx"]
    assert rounds["figure"]["first_error"] is None and rounds["floor"]["first_error"] is None
