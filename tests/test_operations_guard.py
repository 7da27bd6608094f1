"""Tool canon guard from Python (docs/reference/operations.md): pyctl.guard.ToolCanonGuard and the
enforce_tool_canon decorator. Every violation code, the decorator blocking
the wrapped call, where it gets its connection, and that violations are
committed to shq.tool_violations."""
from __future__ import annotations

import pytest
from psycopg.types.json import Jsonb

from pyctl import guard as g
from pyctl.guard import (InteractionType, ToolCanonGuard, ToolCanonUnavailableError, ToolCanonViolationError,
                         ValidationResult, ViolationDisposition, ViolationSeverity, enforce_tool_canon)

HUB = "company-target"
STRICT = "TOOL-960"    # key + gate + approval
PLAIN = "TOOL-961"     # nothing required
BANNED = "TOOL-962"


@pytest.fixture(scope="module", autouse=True)
def tools(dsn):
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(
            "INSERT INTO shq.tool_registry (tool_id, tool_name, vendor, tier, allowed_hubs, allowed_interactions,"
            " required_gate_state, requires_api_key, requires_human_approval, is_banned) VALUES"
            " (%s, 'strict', 'v', 'TIER_2', '{company-target}', '{READ,ENRICH}', %s, true, true, false),"
            " (%s, 'plain', 'v', 'TIER_0', '{company-target}', '{READ}', '{}', false, false, false),"
            " (%s, 'banned', 'bad', 'TIER_0', '{company-target}', '{READ}', '{}', false, false, true)",
            (STRICT, Jsonb({"domain_verified": True}), PLAIN, BANNED))
    yield
    g.set_connection_provider(None)


@pytest.fixture(autouse=True)
def no_provider():
    g.set_connection_provider(None)
    yield
    g.set_connection_provider(None)


def violations(conn) -> int:
    return conn.execute("SELECT count(*) FROM shq.tool_violations").fetchone()[0]


GOOD = dict(gate_state={"domain_verified": True}, api_key_present=True, human_approval_ref="APR-7")


# ------------------------------------------------------------------ validate
def test_valid_invocation_returns_a_valid_result_and_logs_nothing(conn):
    before = violations(conn)
    r = ToolCanonGuard(conn).validate(STRICT, HUB, InteractionType.ENRICH, **GOOD)
    assert isinstance(r, ValidationResult)
    assert r.is_valid and r.violation_code is None and r.violation is None
    assert r.message
    assert violations(conn) == before


CASES = [
    # (description, tool, hub, interaction, kwargs, code, severity, disposition)
    ("unregistered", "TOOL-404", HUB, "READ", GOOD, "V-TOOL-001", "CRITICAL", "PARK"),
    ("banned", BANNED, HUB, "READ", GOOD, "V-TOOL-002", "CRITICAL", "PARK"),
    ("hub", STRICT, "dol-filings", "READ", GOOD, "V-SCOPE-001", "CRITICAL", "PARK"),
    ("interaction", STRICT, HUB, "WRITE", GOOD, "V-TYPE-001", "HIGH", "PARK"),
    ("api key", STRICT, HUB, "READ", {**GOOD, "api_key_present": False}, "V-TOOL-003", "HIGH", "RETRY"),
    ("gate absent", STRICT, HUB, "READ", {**GOOD, "gate_state": {}}, "V-GATE-001", "CRITICAL", "RETRY"),
    ("gate different", STRICT, HUB, "READ", {**GOOD, "gate_state": {"domain_verified": False}},
     "V-GATE-001", "CRITICAL", "RETRY"),
    ("approval", STRICT, HUB, "READ", {**GOOD, "human_approval_ref": None}, "V-GATE-002", "CRITICAL", "PARK"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_violation_code(conn, case):
    _, tool, hub, itype, kw, code, severity, disposition = case
    before = violations(conn)
    r = ToolCanonGuard(conn).validate(tool, hub, itype, **kw)
    assert (r.is_valid, r.violation_code, r.severity, r.disposition) == (False, code, severity, disposition)
    v = r.violation
    assert v.code == code and v.severity is ViolationSeverity(severity) and v.disposition is ViolationDisposition(disposition)
    assert v.tool_id == tool and v.hub_id == hub and v.interaction_type == itype
    assert violations(conn) == before + 1
    with pytest.raises(ToolCanonViolationError) as ei:
        ToolCanonGuard(conn).check(tool, hub, itype, **kw)
    assert ei.value.code == code
    assert code in str(ei.value)
    assert violations(conn) == before + 2


def test_enum_values_are_passed_as_their_text(conn):
    r = ToolCanonGuard(conn).validate(PLAIN, HUB, InteractionType.READ, gate_state={"flag": InteractionType.READ})
    assert r.is_valid and r.interaction_type == "READ"


def test_a_violation_is_committed_on_a_non_autocommit_connection(new_conn):
    c = new_conn(autocommit=False)
    watcher = new_conn()
    before = violations(watcher)
    r = ToolCanonGuard(c).validate("TOOL-405", HUB, "READ")
    assert r.violation_code == "V-TOOL-001"
    assert violations(watcher) == before + 1, "the guard commits the violation when no transaction is open"


def test_inside_a_callers_transaction_the_violation_follows_it(new_conn):
    c = new_conn(autocommit=False)
    watcher = new_conn()
    before = violations(watcher)
    c.execute("SELECT 1")  # a transaction is now open
    ToolCanonGuard(c).validate("TOOL-406", HUB, "READ")
    assert violations(watcher) == before
    c.rollback()
    assert violations(watcher) == before


# ------------------------------------------------------------------ decorator
def test_decorator_blocks_the_wrapped_call(conn):
    calls = []

    @enforce_tool_canon(STRICT, HUB, InteractionType.ENRICH)
    def call_vendor(domain, gate_state, *, conn):
        calls.append(domain)
        return f"enriched {domain}"

    before = violations(conn)
    with pytest.raises(ToolCanonViolationError) as ei:
        call_vendor("acme.test", {"domain_verified": False}, conn=conn)
    assert ei.value.code == "V-GATE-001"
    assert calls == [], "the wrapped function must not run"
    assert violations(conn) == before + 1


def test_decorator_lets_a_valid_call_through(conn):
    @enforce_tool_canon(STRICT, HUB, "ENRICH")
    def call_vendor(domain, gate_state, conn, human_approval_ref=None):
        return f"enriched {domain}"

    assert call_vendor("acme.test", {"domain_verified": True}, conn, human_approval_ref="APR-1") == "enriched acme.test"
    with pytest.raises(ToolCanonViolationError) as ei:
        call_vendor("acme.test", {"domain_verified": True}, conn)
    assert ei.value.code == "V-GATE-002"
    assert call_vendor.tool_canon == (STRICT, HUB, "ENRICH")


def test_decorator_banned_tool_never_runs(conn):
    ran = []

    @enforce_tool_canon(BANNED, HUB, "READ")
    def scrape(conn=None):
        ran.append(1)

    with pytest.raises(ToolCanonViolationError) as ei:
        scrape(conn=conn)
    assert ei.value.code == "V-TOOL-002" and ran == []


def test_decorator_uses_the_connection_provider(conn):
    ran = []

    @enforce_tool_canon(PLAIN, HUB, "READ")
    def lookup(x):
        ran.append(x)
        return x

    g.set_connection_provider(lambda: conn)
    assert lookup(3) == 3 and ran == [3]

    @enforce_tool_canon(PLAIN, HUB, "WRITE")
    def write(x):
        ran.append(x)

    with pytest.raises(ToolCanonViolationError):
        write(4)
    assert ran == [3]


def test_decorator_without_a_connection_fails_closed():
    ran = []

    @enforce_tool_canon(PLAIN, HUB, "READ")
    def lookup():
        ran.append(1)

    with pytest.raises(ToolCanonUnavailableError):
        lookup()
    assert ran == []


def test_decorator_api_key_from_the_environment(conn, monkeypatch):
    @enforce_tool_canon(STRICT, HUB, "READ", api_key_env="OPS_TEST_VENDOR_KEY")
    def call(conn, gate_state=None, human_approval_ref="APR-2"):
        return "ok"

    monkeypatch.delenv("OPS_TEST_VENDOR_KEY", raising=False)
    with pytest.raises(ToolCanonViolationError) as ei:
        call(conn, gate_state={"domain_verified": True})
    assert ei.value.code == "V-TOOL-003"
    monkeypatch.setenv("OPS_TEST_VENDOR_KEY", "secret")
    assert call(conn, gate_state={"domain_verified": True}) == "ok"


def test_decorator_explicit_api_key_flag_wins(conn, monkeypatch):
    monkeypatch.setenv("OPS_TEST_VENDOR_KEY", "secret")

    @enforce_tool_canon(STRICT, HUB, "READ", api_key_env="OPS_TEST_VENDOR_KEY")
    def call(conn, gate_state=None, api_key_present=True, human_approval_ref="APR-3"):
        return "ok"

    with pytest.raises(ToolCanonViolationError) as ei:
        call(conn, gate_state={"domain_verified": True}, api_key_present=False)
    assert ei.value.code == "V-TOOL-003"


def test_guard_as_a_role_without_execute_is_refused(login_role):
    import psycopg

    _name, c = login_role("outreach_reader")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        ToolCanonGuard(c).validate(PLAIN, HUB, "READ")
    _name, gov = login_role("outreach_governor")
    assert ToolCanonGuard(gov).validate(PLAIN, HUB, "READ").is_valid


def test_decorator_connection_given_to_the_decorator_or_the_guard(conn):
    ran = []

    @enforce_tool_canon(PLAIN, HUB, "WRITE", conn=conn)
    def write():
        ran.append("w")

    with pytest.raises(ToolCanonViolationError) as ei:
        write()
    assert ei.value.violation_code == "V-TYPE-001" and ei.value.severity == "HIGH" and ei.value.disposition == "PARK"

    @ToolCanonGuard(conn).enforce(PLAIN, HUB, "READ")
    def read():
        ran.append("r")
        return "read"

    assert read() == "read"

    @enforce_tool_canon(PLAIN, HUB, "READ", conn=lambda: conn)
    def read2():
        ran.append("r2")

    read2()
    assert ran == ["r", "r2"]


def test_decorator_finds_a_connection_argument_of_any_name(conn):
    ran = []

    @enforce_tool_canon(BANNED, HUB, "READ")
    def scrape(db, url):
        ran.append(url)

    with pytest.raises(ToolCanonViolationError):
        scrape(conn, "https://example.com")
    assert ran == []


def test_decorator_reads_gate_state_from_kwargs(conn):
    @enforce_tool_canon(STRICT, HUB, "READ")
    def call(conn, **options):
        return options["gate_state"]

    assert call(conn, gate_state={"domain_verified": True}, human_approval_ref="APR-9") == {"domain_verified": True}
    with pytest.raises(ToolCanonViolationError) as ei:
        call(conn, gate_state={"domain_verified": True})
    assert ei.value.code == "V-GATE-002"


def test_a_wrong_call_fails_before_validation(conn):
    before = violations(conn)

    @enforce_tool_canon("TOOL-404", HUB, "READ")
    def f(conn, x):
        raise AssertionError("never")

    with pytest.raises(TypeError):
        f(conn)
    assert violations(conn) == before


def test_result_row_style_access(conn):
    r = ToolCanonGuard(conn).validate("TOOL-404", HUB, "READ")
    assert r["is_valid"] is False and r["violation_code"] == "V-TOOL-001"
    with pytest.raises(KeyError):
        r["nope"]
