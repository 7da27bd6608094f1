"""Campaign orchestration from Python and the shell (docs/reference/gate.md).

  plan_campaign(conn, campaign_id, limit=100, as_of=None) -> list[PlannedSend]
      outreach.fn_plan_campaign_sends: who the campaign should contact next and
      the step due for each. An unknown or inactive campaign, or one without
      steps, raises CampaignError with the database's reason (the SQL function
      itself returns an empty plan and says why in a NOTICE).
  load_campaign_file(path) -> CampaignSpec
      a small JSON file: {"campaign_id", "name", "channel", "min_tier",
      "status", "steps": [{"template_id", "delay_days"}, ...]}
  create_campaign(conn, spec) -> str
      outreach.fn_create_campaign: the campaign and its steps, one transaction.
  list_campaigns(conn, status=None) -> list[dict]
      every campaign with its steps and sends so far.
  run_campaign(conn, campaign_id, limit=100) -> CampaignRun
      plan, ask the gate for each planned send, queue each cleared one for a
      sending worker (outreach.fn_queue_send); nothing is sent in-process.

`pyctl campaign list`, `plan`, `create` and `run` (pyctl/commands/campaign.py) are
thin wrappers of these.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from pyctl.output import table_lines
from pyctl.errors import PyctlError

PLAN_SQL = ("SELECT company_unique_id, outreach_id, target_id, sequence_id, step_number, bit_score, effective_tier"
            " FROM outreach.fn_plan_campaign_sends(%s::text, %s::integer, coalesce(%s::timestamptz, now()))")

#: the keys a campaign file may hold, and those it must
CAMPAIGN_KEYS = {"campaign_id", "name", "channel", "min_tier", "status", "steps"}
REQUIRED_KEYS = {"campaign_id", "name", "channel", "steps"}
STEP_KEYS = {"template_id", "delay_days"}


class CampaignError(PyctlError):
    """A campaign cannot be planned or created (one clear line)."""


@dataclass(frozen=True)
class PlannedSend:
    """One row of outreach.fn_plan_campaign_sends."""

    company_unique_id: str
    outreach_id: Any
    target_id: str
    sequence_id: int
    step_number: int
    bit_score: Decimal | None
    effective_tier: int

    def as_json(self) -> dict:
        d = asdict(self)
        d["outreach_id"] = str(self.outreach_id)
        d["bit_score"] = None if self.bit_score is None else float(self.bit_score)
        return d


@dataclass
class CampaignSpec:
    """A campaign and its steps, as read from a campaign file."""

    campaign_id: str
    name: str
    channel: str
    steps: list[dict] = field(default_factory=list)
    min_tier: int = 1
    status: str = "draft"


# ------------------------------------------------------------------ list
LIST_SQL = """
SELECT c.campaign_id, c.name, c.channel, c.min_tier, c.status,
       (SELECT count(*) FROM outreach.sequences q WHERE q.campaign_id = c.campaign_id) AS steps,
       (SELECT count(*) FROM outreach.send_log l WHERE l.campaign_id = c.campaign_id) AS sends,
       c.created_at
  FROM outreach.campaigns c
 WHERE %(status)s::text IS NULL OR c.status = %(status)s::text
 ORDER BY c.created_at, c.campaign_id"""


def list_campaigns(conn: psycopg.Connection, status: str | None = None) -> list[dict]:
    """Every campaign (or those in `status`), oldest first, with its number of
    sequence steps and of sends recorded so far."""
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(LIST_SQL, {"status": status}).fetchall()


# ------------------------------------------------------------------ plan
def plan_campaign(conn: psycopg.Connection, campaign_id: str, limit: int = 100,
                  as_of: datetime | str | None = None) -> list[PlannedSend]:
    """The campaign's next sends (outreach.fn_plan_campaign_sends). Raises
    CampaignError for a blank, unknown or inactive campaign, one without
    steps, or a limit below 1; an empty list means nobody is due."""
    if campaign_id is None or not str(campaign_id).strip():
        raise CampaignError("campaign id must not be blank")
    if limit is None or int(limit) < 1:
        raise CampaignError(f"--limit must be at least 1, got {limit}")
    notices: list[str] = []

    def on_notice(diag) -> None:
        if diag.message_primary:
            notices.append(diag.message_primary)

    conn.add_notice_handler(on_notice)
    try:
        with conn.transaction():
            rows = conn.execute(PLAN_SQL, (campaign_id, int(limit), as_of)).fetchall()
    finally:
        conn.remove_notice_handler(on_notice)
    if not rows and notices:
        # the SQL function's reason: unknown / not active / no steps
        raise CampaignError(notices[-1])
    return [PlannedSend(*r) for r in rows]


def plan_lines(campaign_id: str, plan: list[PlannedSend]) -> list[str]:
    """The plan as a text table."""
    if not plan:
        return [f"campaign {campaign_id}: nobody is due"]
    rows = [(p.company_unique_id, p.target_id, p.step_number, p.sequence_id, p.bit_score, p.effective_tier)
            for p in plan]
    lines = table_lines(rows, ["company_unique_id", "target_id", "step", "sequence_id", "bit_score", "tier"])
    lines.append(f"{len(plan)} send(s) planned for campaign {campaign_id}")
    return lines


def plan_json(campaign_id: str, plan: list[PlannedSend], limit: int, as_of) -> str:
    return json.dumps({"campaign_id": campaign_id, "limit": limit,
                       "as_of": None if as_of is None else str(as_of),
                       "planned": [p.as_json() for p in plan]}, indent=2)


# ------------------------------------------------------------------ create
def load_campaign_file(path: Path | str) -> CampaignSpec:
    """Read and check a JSON campaign file; CampaignError names what is wrong."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise CampaignError(f"cannot read campaign file {path}: {e.strerror or e}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        raise CampaignError(f"{path}: YAML is not supported (PyYAML is not a dependency); write the campaign as JSON")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CampaignError(f"{path}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    return spec_from_dict(data, source=str(path))


def spec_from_dict(data: Any, source: str = "campaign") -> CampaignSpec:
    """Check the shape of a campaign document (the database checks the values)."""
    if not isinstance(data, dict):
        raise CampaignError(f"{source}: a campaign is a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - CAMPAIGN_KEYS)
    if unknown:
        raise CampaignError(f"{source}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(CAMPAIGN_KEYS))}")
    missing = sorted(REQUIRED_KEYS - set(data))
    if missing:
        raise CampaignError(f"{source}: missing key(s) {', '.join(missing)}")
    steps = data["steps"]
    if not isinstance(steps, list) or not steps:
        raise CampaignError(f"{source}: steps must be a non-empty list of {{\"template_id\", \"delay_days\"}} objects")
    for n, step in enumerate(steps, 1):
        if not isinstance(step, dict):
            raise CampaignError(f"{source}: step {n} must be an object, got {json.dumps(step)}")
        bad = sorted(set(step) - STEP_KEYS)
        if bad:
            raise CampaignError(f"{source}: step {n} has unknown key(s) {', '.join(bad)}; allowed: template_id, delay_days")
    for key in ("campaign_id", "name", "channel", "status"):
        if key in data and not isinstance(data[key], str):
            raise CampaignError(f"{source}: {key} must be a string, got {json.dumps(data[key])}")
    if "min_tier" in data and (not isinstance(data["min_tier"], int) or isinstance(data["min_tier"], bool)):
        raise CampaignError(f"{source}: min_tier must be an integer 0..3, got {json.dumps(data['min_tier'])}")
    return CampaignSpec(campaign_id=data["campaign_id"], name=data["name"], channel=data["channel"], steps=steps,
                        min_tier=data.get("min_tier", 1), status=data.get("status", "draft"))


def create_campaign(conn: psycopg.Connection, spec: CampaignSpec) -> str:
    """outreach.fn_create_campaign in its own transaction; returns the id.
    Bad values raise the database's error (22023, 23505) unchanged."""
    from psycopg.types.json import Jsonb

    with conn.transaction():
        return conn.execute(
            "SELECT outreach.fn_create_campaign(%s::text, %s::text, %s::text, %s::jsonb, %s::integer, %s::text)",
            (spec.campaign_id, spec.name, spec.channel, Jsonb(spec.steps), spec.min_tier, spec.status),
        ).fetchone()[0]


def campaign_summary(conn: psycopg.Connection, campaign_id: str) -> list[str]:
    """One line for the campaign, one per step."""
    with conn.transaction():
        c = conn.execute("SELECT name, channel, min_tier, status FROM outreach.campaigns WHERE campaign_id = %s",
                         (campaign_id,)).fetchone()
        steps = conn.execute("SELECT step_number, sequence_id, template_id, delay_days FROM outreach.sequences"
                             " WHERE campaign_id = %s ORDER BY step_number", (campaign_id,)).fetchall()
    if c is None:
        raise CampaignError(f"campaign {campaign_id} is unknown")
    lines = [f"campaign {campaign_id} ({c[0]}): channel {c[1]}, min_tier {c[2]}, status {c[3]}, {len(steps)} step(s)"]
    previous = None
    for step, seq, template, delay in steps:
        due = "due first" if previous is None else f"due {delay} day(s) after step {previous} was sent"
        lines.append(f"  step {step}: sequence_id {seq}, template {template or '-'}, {due}")
        previous = step
    return lines


# ------------------------------------------------------------------ run (queued sending)
QUEUE_SQL = "SELECT outreach.fn_queue_send(%s::uuid, %s::bigint)"


@dataclass
class CampaignRun:
    """What `run_campaign` did: the plan's size, the requests it queued (company,
    request_id), the steps already queued (not performed yet), and the gate's
    refusals by block reason."""

    campaign_id: str
    planned: int = 0
    queued: list[tuple[str, int]] = field(default_factory=list)
    already_queued: list[str] = field(default_factory=list)
    blocked: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"campaign_id": self.campaign_id, "planned": self.planned,
                "queued": [{"company_unique_id": c, "request_id": r} for c, r in self.queued],
                "already_queued": self.already_queued, "blocked": self.blocked}


def run_campaign(conn: psycopg.Connection, campaign_id: str, limit: int = 100) -> CampaignRun:
    """Plan the campaign's next sends, ask the safety gate for each (its audit
    row is committed either way) and queue each cleared one for a sending
    worker (outreach.fn_queue_send: a SEND_REQUESTED event to the senders);
    nothing is sent here. The worker (pyctl.outreach.run_sender) asks the
    gate again right before the provider call."""
    from pyctl.gate import MarketingSafetyGate

    plan = plan_campaign(conn, campaign_id, limit=limit)
    channel = conn.execute("SELECT channel FROM outreach.campaigns WHERE campaign_id = %s", (campaign_id,),
                           prepare=False).fetchone()[0]
    run = CampaignRun(campaign_id, planned=len(plan))
    gate = MarketingSafetyGate(conn)
    batch = uuid.uuid4().hex[:12]
    for p in plan:
        verdict = gate.check(p.company_unique_id, campaign_id, f"campaign-run-{batch}-{p.company_unique_id}",
                             channel=channel)
        if not verdict.is_eligible or verdict.audit_id is None:
            reason = verdict.block_reason or "ELIGIBILITY_CHECK_FAILED"
            run.blocked[reason] = run.blocked.get(reason, 0) + 1
            continue
        with conn.transaction():
            request_id = conn.execute(QUEUE_SQL, (verdict.audit_id, p.sequence_id), prepare=False).fetchone()[0]
        if request_id is None:
            run.already_queued.append(p.company_unique_id)
        else:
            run.queued.append((p.company_unique_id, request_id))
    return run


def run_lines(run: CampaignRun) -> list[str]:
    """The run's outcome, as text."""
    lines = [f"campaign {run.campaign_id}: {run.planned} planned, {len(run.queued)} queued for the senders,"
             f" {len(run.already_queued)} already queued, {sum(run.blocked.values())} blocked by the gate"]
    for reason, n in sorted(run.blocked.items()):
        lines.append(f"  blocked {reason}: {n}")
    if run.queued:
        lines.append("a sending worker performs them: pyctl.outreach.run_sender (SEND_REQUESTED events, "
                     "destination sender)")
    return lines
