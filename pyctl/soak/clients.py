"""The soak's clients: each a thread with its own seeded RNG, its own
connections (one per group role it acts as, opened when first needed and
again after a fault), and its own journal. It draws operations from OPS
at random, by weight, until the run ends.

Every operation uses an interface a deployment uses: the sanctioned SQL
functions, plain INSERTs where a role holds that grant (sub-hub rows,
send_log, engagement events), and the client modules pyctl.gate and
pyctl.outreach.execute_send with a provider that fails at random. Operation
n of client i takes its choices (which operation, which company, campaign,
status, provider behaviour, statement timeout) from a generator seeded by
(seed, i, n) and nothing else, so a replay with the same seed makes the same
choices; what the database answers depends on timing, and so do the few
choices made among a client's own results (which of its sends an engagement
event answers, which of its errors it retries).
"""
from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import psycopg
from psycopg import pq, sql

from pyctl.gate import MarketingSafetyGateError
from pyctl.outreach import SendError, SendNotRecordedError, execute_send
from pyctl.soak.config import STATEMENT_TIMEOUT_MS, SoakConfig, Universe
from pyctl.soak.journal import Journal

#: SQLSTATEs of a connection that is gone (the outcome is unknown)
CONNECTION_LOST = {"57P01", "57P02", "57P03", "25P03", "08000", "08003", "08006", "08001", "08004", "08007"}
#: the role a client uses to write the legacy loader's spine rows (the run's own login)
LEGACY_LOADER = "admin"


class Skip(Exception):
    """Nothing to do this time (or the server could not be reached)."""


class Refused(Exception):
    """The operation was refused without a database error (a blocked
    verdict, a failing provider): nothing of it was committed."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


class Unknown(Exception):
    """The outcome cannot be known (the connection broke mid-way)."""


class ProviderFailure(Exception):
    """The soak's provider failed to send."""


@dataclass(frozen=True)
class Op:
    name: str
    role: str
    weight: int
    fn: Callable[["Client"], None]
    #: may run under a short statement_timeout (never the kill switch's
    #: changes, whose waits invariant 6 measures whole, nor execute_send,
    #: whose transactions are its own)
    timeouts: bool


OPS: list[Op] = []


def op(name: str, role: str, weight: int, timeouts: bool = True):
    def register(fn):
        OPS.append(Op(name, role, weight, fn, timeouts))
        return fn
    return register


@dataclass
class RunContext:
    """What every client shares: the run's settings, ids and logins."""

    config: SoakConfig
    universe: Universe
    dsns: dict[str, str]             # group role (or LEGACY_LOADER) -> DSN
    sequences: dict[str, dict[int, int]]
    stop: threading.Event


class Client(threading.Thread):
    """One soak client (see the module doc)."""

    def __init__(self, index: int, run: RunContext):
        super().__init__(name=f"soak-client-{index}", daemon=True)
        self.index = index
        self.run_ctx = run
        self.u = run.universe
        self.cfg = run.config
        self.rng = random.Random()   # re-seeded for every operation (step)
        self.journal = Journal(index)
        self.ops = list(OPS)
        self.weights = [o.weight for o in self.ops]
        self._conns: dict[str, psycopg.Connection] = {}
        self.my_sends: deque[int] = deque(maxlen=200)
        self.my_errors: deque[tuple[str, int]] = deque(maxlen=200)
        self.n = 0
        self.timeout_ms: int | None = None
        self.crashed: BaseException | None = None

    # ------------------------------------------------------------ connections
    def conn(self, role: str) -> psycopg.Connection:
        c = self._conns.get(role)
        if c is not None and not c.closed and not c.broken:
            return c
        try:
            c = psycopg.connect(self.run_ctx.dsns[role], autocommit=True, connect_timeout=5,
                                application_name=f"pyctl soak c{self.index} {role}")
        except psycopg.Error:
            time.sleep(0.2)   # the server is down (a crash) or refusing: try again later
            raise Skip() from None
        self._conns[role] = c
        return c

    def close(self) -> None:
        for c in self._conns.values():
            try:
                c.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self._conns.clear()

    def _any_broken(self) -> bool:
        broken = False
        for role, c in list(self._conns.items()):
            if c.closed or c.broken:
                broken = True
                self._conns.pop(role, None)
        return broken

    def _roll_back_left_open(self) -> None:
        """Between operations every connection is idle (autocommit). A
        statement timeout can cancel the COMMIT that ends `sql`'s transaction
        (the timeout covers it too); the server then keeps the block open and
        aborted, so the next operations on that connection would fail until
        someone rolls it back. Nothing of it was acknowledged."""
        for role, c in list(self._conns.items()):
            if c.closed or c.broken or c.info.transaction_status == pq.TransactionStatus.IDLE:
                continue
            try:
                c.rollback()
            except psycopg.Error:
                self._conns.pop(role, None)
                c.close()

    def sql(self, role: str, query: str, params=None) -> list[tuple]:
        """Run one statement as `role`, under this operation's statement
        timeout if it drew one (a transaction with set_config(..., true):
        nothing outlives it)."""
        c = self.conn(role)
        if self.timeout_ms is None:
            cur = c.execute(query, params, prepare=False)
            return cur.fetchall() if cur.description else []
        with c.transaction():
            c.execute("SELECT set_config('statement_timeout', %s, true)", (f"{self.timeout_ms}ms",), prepare=False)
            cur = c.execute(query, params, prepare=False)
            return cur.fetchall() if cur.description else []

    # ------------------------------------------------------------ the loop
    def run(self) -> None:
        try:
            while not self.run_ctx.stop.is_set():
                self.step()
        except BaseException as e:  # noqa: BLE001 - reported by the runner
            self.crashed = e
        finally:
            self.close()

    def step(self) -> None:
        # Operation n of client i draws from its own generator, seeded by
        # (seed, i, n): what an operation chooses does not depend on how many
        # numbers earlier ones drew (that depends on what the server answered).
        self._roll_back_left_open()
        self.n += 1
        self.rng.seed(f"pyctl-soak:{self.cfg.seed}:{self.index}:{self.n}")
        k = self.rng.choices(range(len(self.ops)), self.weights)[0]
        o = self.ops[k]
        self.journal.chosen.append(k)
        self.timeout_ms = None
        if o.timeouts and self.rng.random() < self.cfg.statement_timeout_rate:
            self.timeout_ms = self.rng.randint(*STATEMENT_TIMEOUT_MS)
        t0 = time.perf_counter()
        try:
            o.fn(self)
        except Skip:
            self.journal.skipped(o.name)
        except Refused as r:
            self.journal.refused(o.name, r.why)
        except Unknown:
            self._any_broken()
            self.journal.unknown(o.name)
        except psycopg.Error as e:
            if self._any_broken() or e.sqlstate is None or e.sqlstate in CONNECTION_LOST:
                self.journal.unknown(o.name)
            else:
                if e.sqlstate == "57014" and self.timeout_ms is not None:
                    self.journal.statement_timeouts += 1
                self.journal.refused(o.name, e.sqlstate)
        else:
            self.journal.ok(o.name, time.perf_counter() - t0)

    # ------------------------------------------------------------ choices
    def tag(self) -> str:
        """A reason/actor text unique to this operation (the acknowledgement's key)."""
        return f"soak c{self.index} op{self.n}"

    def any_company(self) -> str:
        """A company the sends and changes aim at: mostly the built ones."""
        if self.rng.random() < 0.9:
            return self.u.company(self.rng.choice(self.u.setup_ids()))
        return self.u.company(self.rng.choice(self.u.new_ids()))

    def new_company(self) -> str:
        return self.u.company(self.rng.choice(self.u.new_ids()))

    def legacy_company(self) -> str:
        return self.u.company(self.rng.choice(self.u.legacy_ids()))

    def campaign(self) -> tuple[str, str, int]:
        """(campaign_id, channel, a sequence_id of it)."""
        cid = self.rng.choice(sorted(self.u.campaigns))
        channel, _min_tier, steps = self.u.campaigns[cid]
        return cid, channel, self.run_ctx.sequences[cid][self.rng.randint(1, steps)]


# ---------------------------------------------------------------- senders
class _Provider:
    """A provider that sends (journals the call), fails, or takes too long."""

    def __init__(self, client: Client, behaviour: str):
        self.client = client
        self.behaviour = behaviour
        self.audit_id = None

    def __call__(self, *, company_unique_id, campaign_id, sequence_id, audit_id, correlation_id, channel,
                 target_id, person_id):
        self.audit_id = audit_id
        if self.behaviour == "fail":
            raise ProviderFailure("provider refused the message")
        self.client.journal.ack("provider_call", audit_id=audit_id, company=company_unique_id,
                                campaign=campaign_id, channel=channel)
        timeout = self.client.cfg.provider_timeout
        if self.behaviour == "too_slow":
            time.sleep(timeout * 1.3)
        elif self.behaviour == "slow":
            time.sleep(self.client.rng.uniform(0.05, timeout * 0.5))


@op("send_execute_send", "outreach_sender", 20, timeouts=False)
def send_execute(c: Client) -> None:
    """pyctl.outreach.execute_send: the gate, then one transaction with the
    send_log row and the provider call."""
    company = c.any_company()
    campaign, channel, sequence_id = c.campaign()
    r = c.rng.random()
    behaviour = "fail" if r < 0.08 else "too_slow" if r < 0.11 else "slow" if r < 0.3 else "fast"
    provider = _Provider(c, behaviour)
    conn = c.conn("outreach_sender")
    try:
        send_id = execute_send(conn, company, campaign, sequence_id, provider,
                               correlation_id=f"{c.tag()} send", provider_timeout=c.cfg.provider_timeout)
    except MarketingSafetyGateError as e:
        if e.audit_id is None:        # the gate could not be asked (or the connection broke)
            raise Unknown() from None
        c.journal.ack("gate", audit_id=e.audit_id, company=company, campaign=campaign,
                      channel=channel, eligible=False)
        raise Refused(e.block_reason or "blocked") from None
    except SendNotRecordedError:
        raise Unknown() from None     # the provider sent; the record may or may not be there
    except SendError as e:
        if e.audit_id is not None:    # the passing verdict was committed before the send transaction
            c.journal.ack("gate", audit_id=e.audit_id, company=company, campaign=campaign,
                          channel=channel, eligible=True)
        if conn.closed or conn.broken:
            raise Unknown() from None
        raise Refused(e.sqlstate or "SendError") from None
    except ProviderFailure:
        c.journal.ack("gate", audit_id=provider.audit_id, company=company, campaign=campaign,
                      channel=channel, eligible=True)
        if conn.closed or conn.broken:
            raise Unknown() from None
        raise Refused("provider_failed") from None
    c.journal.ack("gate", audit_id=provider.audit_id, company=company, campaign=campaign, channel=channel,
                  eligible=True)
    c.journal.ack("send", send_id=send_id, audit_id=provider.audit_id, company=company, campaign=campaign)
    c.my_sends.append(send_id)


@op("send_sql", "outreach_sender", 6)
def send_sql(c: Client) -> None:
    """The gate and the send_log insert as plain SQL (a service that does not
    use pyctl): the gate in its own transaction, under a statement timeout
    when drawn (the gate then fails closed, still audited)."""
    company = c.any_company()
    campaign, channel, sequence_id = c.campaign()
    audit_id, eligible, reason = c.sql(
        "outreach_sender", "SELECT audit_id, is_eligible, block_reason"
        " FROM outreach.fn_safety_gate_check(%s, %s, %s, %s, false)",
        (company, campaign, f"{c.tag()} sql", channel))[0]
    c.journal.ack("gate", audit_id=audit_id, company=company, campaign=campaign, channel=channel, eligible=eligible)
    if not eligible:
        raise Refused(reason)
    c.timeout_ms = None
    conn = c.conn("outreach_sender")
    with conn.transaction():
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{int(c.cfg.provider_timeout * 1000)}ms",),
                     prepare=False)
        send_id = conn.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, sequence_id, channel,"
                               " gate_audit_id) VALUES (%s, %s, %s, %s, %s) RETURNING send_id",
                               (company, campaign, sequence_id, channel, audit_id), prepare=False).fetchone()[0]
    c.journal.ack("send", send_id=send_id, audit_id=audit_id, company=company, campaign=campaign)
    c.my_sends.append(send_id)


@op("gate_dry_run", "outreach_sender", 2)
def gate_dry_run(c: Client) -> None:
    company = c.any_company()
    campaign, channel, _seq = c.campaign()
    audit_id, eligible = c.sql("outreach_sender", "SELECT audit_id, is_eligible"
                               " FROM outreach.fn_safety_gate_check(%s, %s, %s, %s, true)",
                               (company, campaign, f"{c.tag()} dry", channel))[0]
    c.journal.ack("gate", audit_id=audit_id, company=company, campaign=campaign, channel=channel, eligible=eligible)


ENGAGEMENT = (("OPEN", 40), ("CLICK", 25), ("REPLY", 12), ("BOUNCE", 10), ("UNSUBSCRIBE", 4))


@op("engagement", "outreach_sender", 6)
def engagement(c: Client) -> None:
    if not c.my_sends:
        raise Skip()
    send_id = c.rng.choice(list(c.my_sends))
    kind = c.rng.choices([k for k, _ in ENGAGEMENT], [w for _, w in ENGAGEMENT])[0]
    event_id = c.sql("outreach_sender", "INSERT INTO outreach.engagement_events (send_id, event_type)"
                     " VALUES (%s, %s) RETURNING event_id", (send_id, kind))[0][0]
    c.journal.ack("engagement", event_id=event_id, send_id=send_id, type=kind)


# ---------------------------------------------------------------- the kill switch
OVERRIDE_TYPES = (("BLOCK_OUTREACH", 1), ("BLOCK_EMAIL", 2), ("BLOCK_PHONE", 2), ("FORCE_TIER", 3))


def _override_type(c: Client) -> str:
    return c.rng.choices([t for t, _ in OVERRIDE_TYPES], [w for _, w in OVERRIDE_TYPES])[0]


def _kill_switch(c: Client, query: str, params: tuple):
    """One kill-switch change, timed from the moment it is sent (invariant 6)."""
    c.conn("outreach_override_admin")   # connected before the clock starts
    t0 = time.perf_counter()
    value = c.sql("outreach_override_admin", query, params)[0][0]
    c.journal.kill_switch_waits.append(time.perf_counter() - t0)
    return value


@op("override_set", "outreach_override_admin", 4, timeouts=False)
def override_set(c: Client) -> None:
    company, kind, tag = c.any_company(), _override_type(c), c.tag()
    cap = c.rng.randint(-1, 3) if kind == "FORCE_TIER" else None
    expires_in = None if c.rng.random() < 0.3 else round(c.rng.uniform(0.5, 20.0), 3)
    override_id = _kill_switch(c, "SELECT outreach.set_marketing_override(%s, %s, %s, %s, %s,"
                               " clock_timestamp() + make_interval(secs => %s))",
                               (company, kind, tag, f"soak-client-{c.index}", cap, expires_in))
    c.journal.ack("override_set", override_id=override_id, company=company, type=kind, tag=tag)


@op("override_remove", "outreach_override_admin", 5, timeouts=False)
def override_remove(c: Client) -> None:
    company, kind, tag = c.any_company(), _override_type(c), c.tag()
    removed = _kill_switch(c, "SELECT outreach.remove_marketing_override(%s, %s, %s, %s)",
                           (company, kind, tag, f"soak-client-{c.index}"))
    c.journal.ack("override_remove", company=company, type=kind, tag=tag, removed=removed)


# ---------------------------------------------------------------- CL
def _register(c: Client, company: str, ineligible_share: float) -> None:
    """CL registers `company` (again), INELIGIBLE with the given probability."""
    eligibility = "INELIGIBLE" if c.rng.random() < ineligible_share else "ELIGIBLE"
    c.sql("outreach_cl_authority", "SELECT cl.fn_register_company(%s, %s, %s, %s)",
          (company, f"Soak {company}", f"{company.lower()}.soak.example", eligibility))
    c.journal.ack("register", company=company, eligibility=eligibility)


@op("cl_flip_eligibility", "outreach_cl_authority", 4)
def cl_flip(c: Client) -> None:
    _register(c, c.any_company(), 0.25)


@op("cl_register", "outreach_cl_authority", 3)
def cl_register(c: Client) -> None:
    _register(c, c.new_company(), 0.1)


# ---------------------------------------------------------------- identity
@op("mint", "outreach_hub_writer", 4)
def mint(c: Client) -> None:
    """Minters race: every client draws from the same new and legacy companies."""
    company = c.new_company() if c.rng.random() < 0.9 else c.legacy_company()
    outreach_id = c.sql("outreach_hub_writer", "SELECT outreach.fn_mint_outreach_id(%s)", (company,))[0][0]
    c.journal.ack("mint", company=company, outreach_id=outreach_id)


@op("create_target", "outreach_hub_writer", 3)
def create_target(c: Client) -> None:
    company = c.new_company()
    # the target (minting the id when needed), then the id, which the mint returns as bound
    target_id, outreach_id = c.sql("outreach_hub_writer", "SELECT outreach.fn_create_company_target(%s),"
                                   " outreach.fn_mint_outreach_id(%s)", (company, company))[0]
    c.journal.ack("target", company=company, target_id=target_id, outreach_id=outreach_id)


@op("legacy_orphan", LEGACY_LOADER, 1)
def legacy_orphan(c: Client) -> None:
    """A legacy loader (the run's superuser) writes a spine row and target
    that CL does not bind: what the cascade and fn_archive_orphans exist
    for. Minters may adopt it first (fn_mint_outreach_id binds it)."""
    from pyctl.soak.setup import ORPHAN_SQL

    company = c.legacy_company()
    rows = c.sql(LEGACY_LOADER, ORPHAN_SQL, {"cid": company})
    if not rows:
        raise Skip()
    c.journal.ack("orphan", company=company, outreach_id=rows[0][0])


@op("cascade_orphan", "outreach_governor", 1)
def cascade_orphan(c: Client) -> None:
    company = c.legacy_company()
    rows = c.sql("outreach_governor", "SELECT o.outreach_id FROM outreach.outreach o"
                 " WHERE o.company_unique_id = %s", (company,))
    if not rows:
        raise Skip()
    outreach_id = rows[0][0]
    c.sql("outreach_governor", "SELECT count(*) FROM outreach.fn_delete_outreach_cascade(%s, %s, %s)",
          (outreach_id, c.tag(), f"soak-client-{c.index}"))
    c.journal.ack("cascade", company=company, outreach_id=outreach_id)


# ---------------------------------------------------------------- hubs
HUB_STATUSES = (("PASS", 50), ("IN_PROGRESS", 15), ("FAIL", 20), ("BLOCKED", 15))
HUBS = ("company-target", "dol-filings", "people-intelligence", "talent-flow", "blog-content", "bit-engine")


@op("hub_set_status", "outreach_hub_writer", 6)
def hub_set_status(c: Client) -> None:
    company, hub, tag = c.any_company(), c.rng.choice(HUBS), c.tag()
    status = c.rng.choices([s for s, _ in HUB_STATUSES], [w for _, w in HUB_STATUSES])[0]
    c.sql("outreach_hub_writer", "SELECT outreach.fn_set_hub_status(%s, %s, %s, %s)", (company, hub, status, tag))
    c.journal.ack("hub_status", company=company, hub=hub, status=status, tag=tag)


@op("hub_evaluate", "outreach_hub_writer", 5)
def hub_evaluate(c: Client) -> None:
    company = c.any_company()
    c.sql("outreach_hub_writer", "SELECT outreach.fn_evaluate_hub_statuses(o.outreach_id)"
          " FROM outreach.outreach o WHERE o.company_unique_id = %s", (company,))


@op("hub_fill", "outreach_hub_writer", 3)
def hub_fill(c: Client) -> None:
    """A new company's sub-hub rows, as the hubs would write them, and its hubs promoted."""
    from pyctl.soak.setup import FILL_SQL

    company = c.new_company()
    for statement in FILL_SQL:
        c.sql("outreach_hub_writer", statement, {"ids": [company]})


@op("target_status", "outreach_hub_writer", 2)
def target_status(c: Client) -> None:
    """An operator re-permissions an opted-out target of the run, or pauses /
    resumes one."""
    requeue = c.rng.random() < 0.7
    rows = c.sql("outreach_hub_writer",
                 "SELECT t.target_id, t.company_unique_id, t.outreach_status FROM outreach.company_target t"
                 " WHERE t.company_unique_id LIKE %s AND t.outreach_status = ANY(%s)"
                 " ORDER BY t.target_id OFFSET %s LIMIT 1",
                 (c.u.like(), ["opted_out"] if requeue else ["queued", "active", "paused"], c.rng.randint(0, 20)))
    if not rows:
        raise Skip()
    target_id, company, status = rows[0]
    new = "queued" if requeue or status == "paused" else "paused"
    tag = c.tag()
    c.sql("outreach_hub_writer", "SELECT outreach.fn_set_outreach_status(%s, %s, %s)", (target_id, new, tag))
    c.journal.ack("target_status", company=company, target_id=target_id, status=new, tag=tag)


SIGNAL_TYPES = ("DOMAIN_VERIFIED", "DOL_RENEWAL_PROXIMITY", "SLOT_FILLED", "EXECUTIVE_MOVEMENT", "NEWS_MENTION")


@op("bit_signal", "outreach_hub_writer", 4)
def bit_signal(c: Client) -> None:
    company = c.any_company()
    dedup = None if c.rng.random() < 0.5 else f"soak-{c.rng.randint(1, 50)}"
    signal_id = c.sql("outreach_hub_writer", "SELECT outreach.fn_add_bit_signal(%s, %s, now(), %s)",
                      (company, c.rng.choice(SIGNAL_TYPES), dedup))[0][0]
    c.journal.ack("signal", company=company, signal_id=signal_id)


@op("bit_refresh", "outreach_hub_writer", 1)
def bit_refresh(c: Client) -> None:
    ids = [c.any_company() for _ in range(20)]
    c.sql("outreach_hub_writer", "SELECT outreach.fn_refresh_bit_scores(ARRAY(SELECT o.outreach_id"
          " FROM outreach.outreach o WHERE o.company_unique_id = ANY(%s)), now())", (ids,))


# ---------------------------------------------------------------- errors and governance
ERROR_TABLES = ("outreach.dol_errors", "outreach.company_target_errors", "people.people_errors",
                "company.url_discovery_failures", "public.shq_error_log")
FAILURE_CODES = ("RATE_LIMIT", "TIMEOUT", "VALIDATION_ERROR", "MISSING_DATA", "HTTP_500")


@op("error_record", "outreach_hub_writer", 4)
def error_record(c: Client) -> None:
    table = c.rng.choice(ERROR_TABLES)
    company = c.any_company() if c.rng.random() < 0.5 else None
    error_id = c.sql("outreach_hub_writer",
                     "SELECT shq.fn_record_error(%s, (SELECT o.outreach_id FROM outreach.outreach o"
                     " WHERE o.company_unique_id = %s), %s, %s)",
                     (table, company, c.rng.choice(FAILURE_CODES), f"soak error {c.tag()}"))[0][0]
    c.journal.ack("error", table=table, error_id=error_id)
    c.my_errors.append((table, error_id))


@op("error_retry", "outreach_hub_writer", 3)
def error_retry(c: Client) -> None:
    if not c.my_errors:
        raise Skip()
    table, error_id = c.rng.choice(list(c.my_errors))
    c.sql("outreach_hub_writer", "SELECT shq.fn_register_retry_attempt(%s, %s, %s)",
          (table, error_id, c.rng.random() < 0.4))


def _operator_action(c: Client, function: str) -> tuple[str, int]:
    """An operator's action on one of the client's errors (audited, with a reason and actor)."""
    if not c.my_errors:
        raise Skip()
    table, error_id = c.rng.choice(list(c.my_errors))
    c.sql("outreach_governor", sql.SQL("SELECT {}(%s, %s, %s, %s)").format(sql.Identifier("shq", function)),
          (table, error_id, c.tag(), f"soak-client-{c.index}"))
    return table, error_id


@op("error_archive", "outreach_governor", 2)
def error_archive(c: Client) -> None:
    table, error_id = _operator_action(c, "fn_archive_error")
    c.journal.ack("error_archived", table=table, error_id=error_id)


@op("error_resolve", "outreach_governor", 1)
def error_resolve(c: Client) -> None:
    _operator_action(c, "fn_resolve_error")


@op("governance_jobs", "outreach_governor", 1)
def governance_jobs(c: Client) -> None:
    c.sql("outreach_governor", "SELECT count(*) FROM shq.fn_run_error_governance_jobs()")


@op("seal", "outreach_governor", 1, timeouts=False)
def seal(c: Client) -> None:
    for table, seal_id in c.sql("outreach_governor", "SELECT table_name, seal_id"
                                " FROM shq.fn_seal_audit_tables(p_max_wait => interval '2 seconds')"):
        c.journal.ack("seal", table=table, seal_id=seal_id)
