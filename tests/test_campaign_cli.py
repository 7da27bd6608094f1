"""`pyctl campaign create|plan` and pyctl.campaign (docs/reference/gate.md): a campaign file
becomes a campaign with its steps; the plan comes out as text or JSON; bad
campaigns and bad files are one clear line, and the SQL planner says why it
planned nothing in a NOTICE."""
from __future__ import annotations

import json

import psycopg
import pytest

from campaign_support import create_campaign, set_score
from helpers import error_lines, make_company, new_id, output
from pyctl.campaign import CampaignError, load_campaign_file, plan_campaign


def notices_of(conn: psycopg.Connection, sql: str, params=()) -> tuple[list, list[str]]:
    got: list[str] = []

    def handler(diag):
        got.append(diag.message_primary)

    conn.add_notice_handler(handler)
    try:
        rows = conn.execute(sql, params).fetchall()
    finally:
        conn.remove_notice_handler(handler)
    return rows, got


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


# ------------------------------------------------------------------ SQL notices
@pytest.mark.parametrize("case, expected", [
    ("unknown", "is unknown: nothing to plan"),
    ("draft", "is draft, not active: nothing to plan"),
    ("paused", "is paused, not active: nothing to plan"),
    ("completed", "is completed, not active: nothing to plan"),
    ("no_steps", "has no sequence steps: nothing to plan"),
    ("blank", "is unknown: nothing to plan"),
])
def test_the_planner_explains_an_empty_plan_in_a_notice(conn, case, expected):
    camp = new_id("CLI-N")
    if case in ("draft", "paused", "completed"):
        create_campaign(conn, camp, status=case)
    elif case == "no_steps":
        conn.execute("INSERT INTO outreach.campaigns (campaign_id, name, channel, status) VALUES (%s, 'x', 'EMAIL', 'active')",
                     (camp,))
    elif case == "blank":
        camp = "  "
    rows, notices = notices_of(conn, "SELECT * FROM outreach.fn_plan_campaign_sends(%s)", (camp,))
    assert rows == []
    assert len(notices) == 1 and expected in notices[0], notices
    with pytest.raises(CampaignError, match=expected.split(":")[0] if case != "blank" else "blank"):
        plan_campaign(conn, camp)


def test_a_campaign_with_nobody_due_is_no_error(conn):
    """Only tier 0/1 companies here: a min_tier 3 campaign has nobody to
    contact, which is an empty plan without a NOTICE, not an error."""
    assert conn.execute("SELECT count(*) FROM outreach.vw_marketing_eligibility_with_overrides"
                        " WHERE effective_tier >= 3").fetchone()[0] == 0
    camp = create_campaign(conn, new_id("CLI-EMPTY"), min_tier=3)
    rows, notices = notices_of(conn, "SELECT * FROM outreach.fn_plan_campaign_sends(%s)", (camp,))
    assert (rows, notices) == ([], [])
    assert plan_campaign(conn, camp) == []


def test_plan_campaign_rejects_a_limit_below_one(conn):
    camp = create_campaign(conn, new_id("CLI-LIM"))
    for bad in (0, -1):
        with pytest.raises(CampaignError, match="at least 1"):
            plan_campaign(conn, camp, limit=bad)
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("SELECT * FROM outreach.fn_plan_campaign_sends(%s, %s)", (camp, bad))


# ------------------------------------------------------------------ campaign files
def test_load_campaign_file_checks_the_shape(tmp_path):
    good = write(tmp_path, "c.json", json.dumps({"campaign_id": "C", "name": "n", "channel": "EMAIL",
                                                 "steps": [{"template_id": "a"}, {"delay_days": 2}]}))
    spec = load_campaign_file(good)
    assert (spec.min_tier, spec.status, len(spec.steps)) == (1, "draft", 2)
    cases = {
        "missing.json": None,
        "bad.json": "{not json",
        "list.json": "[]",
        "unknown.json": json.dumps({"campaign_id": "C", "name": "n", "channel": "EMAIL", "steps": [{}], "owner": "x"}),
        "nosteps.json": json.dumps({"campaign_id": "C", "name": "n", "channel": "EMAIL"}),
        "emptysteps.json": json.dumps({"campaign_id": "C", "name": "n", "channel": "EMAIL", "steps": []}),
        "badstep.json": json.dumps({"campaign_id": "C", "name": "n", "channel": "EMAIL", "steps": [{"wait": 1}]}),
        "tier.json": json.dumps({"campaign_id": "C", "name": "n", "channel": "EMAIL", "steps": [{}], "min_tier": "1"}),
        "c.yaml": "campaign_id: C\n",
    }
    for name, text in cases.items():
        path = tmp_path / name if text is None else write(tmp_path, name, text)
        with pytest.raises(CampaignError):
            load_campaign_file(path)


# ------------------------------------------------------------------ the CLI
def test_cli_create_then_plan(conn, dsn, run_pyctl, tmp_path):
    camp = new_id("CLI-CMP")
    cids = [new_id("CLI-CO") for _ in range(3)]
    for cid in cids:
        make_company(conn, cid=cid)
    set_score(conn, cids[1], 60)
    f = write(tmp_path, "campaign.json", json.dumps({
        "campaign_id": camp, "name": "Renewal season", "channel": "EMAIL", "min_tier": 1, "status": "active",
        "steps": [{"template_id": "intro", "delay_days": 0}, {"template_id": "nudge", "delay_days": 3}]}))
    p = run_pyctl(["campaign", "create", f], dsn)
    assert p.returncode == 0, output(p)
    assert f"campaign {camp} (Renewal season): channel EMAIL, min_tier 1, status active, 2 step(s)" in p.stdout
    assert "due 3 day(s) after step 1 was sent" in p.stdout
    assert conn.execute("SELECT array_agg(template_id ORDER BY step_number) FROM outreach.sequences"
                        " WHERE campaign_id = %s", (camp,)).fetchone()[0] == ["intro", "nudge"]

    p = run_pyctl(["campaign", "plan", camp, "--format", "json", "--limit", "100000"], dsn)
    assert p.returncode == 0, output(p)
    doc = json.loads(p.stdout)
    mine = [r for r in doc["planned"] if r["company_unique_id"] in cids]
    assert {r["company_unique_id"] for r in mine} == set(cids)
    assert mine[0]["company_unique_id"] == cids[1] and mine[0]["bit_score"] == 60.0, "BIT score first"
    assert {r["step_number"] for r in mine} == {1}
    assert set(mine[0]) == {"company_unique_id", "outreach_id", "target_id", "sequence_id", "step_number",
                            "bit_score", "effective_tier"}

    p = run_pyctl(["campaign", "plan", camp, "--limit", "1"], dsn)
    assert p.returncode == 0, output(p)
    assert p.stdout.splitlines()[0].split() == ["company_unique_id", "target_id", "step", "sequence_id", "bit_score",
                                                "tier"]
    assert "1 send(s) planned for campaign " + camp in p.stdout

    p = run_pyctl(["campaign", "plan", camp, "--as-of", "2000-01-01T00:00:00Z", "--format", "json"], dsn)
    assert p.returncode == 0, output(p)


@pytest.mark.parametrize("args, code, expect", [
    (["campaign", "plan", "NO-SUCH-CAMPAIGN"], 1, "pyctl: campaign 'NO-SUCH-CAMPAIGN' is unknown: nothing to plan"),
    (["campaign", "plan", "CLI-DRAFT"], 1, "pyctl: campaign CLI-DRAFT is draft, not active: nothing to plan"),
    (["campaign", "plan", "CLI-NOSTEPS"], 1, "pyctl: campaign CLI-NOSTEPS has no sequence steps: nothing to plan"),
    (["campaign", "plan", "CLI-DRAFT", "--limit", "0"], 2, "0 is not in the range x>=1"),
    (["campaign", "plan", "CLI-DRAFT", "--format", "xml"], 2, "'xml' is not one of"),
    (["campaign", "plan", "CLI-DRAFT", "--as-of", "not a time"], 1, "pyctl: 22007"),
])
def test_cli_plan_errors_are_one_clear_line(conn, dsn, run_pyctl, args, code, expect):
    if conn.execute("SELECT count(*) FROM outreach.campaigns WHERE campaign_id = 'CLI-DRAFT'").fetchone()[0] == 0:
        create_campaign(conn, "CLI-DRAFT", status="draft")
        conn.execute("INSERT INTO outreach.campaigns (campaign_id, name, channel, status)"
                     " VALUES ('CLI-NOSTEPS', 'x', 'EMAIL', 'active')")
    p = run_pyctl(args, dsn)
    assert p.returncode == code, output(p)
    assert expect in p.stderr
    if code == 1:
        assert len(error_lines(p)) == 1 and "Traceback" not in p.stderr


@pytest.mark.parametrize("doc, expect", [
    ({"campaign_id": "CLI-BAD", "name": "n", "channel": "SMS", "steps": [{}]}, "pyctl: 22023: invalid channel: SMS"),
    ({"campaign_id": "CLI-BAD", "name": "n", "channel": "EMAIL", "min_tier": 7, "steps": [{}]},
     "pyctl: 22023: invalid min_tier: 7"),
    ({"campaign_id": "CLI-BAD", "name": " ", "channel": "EMAIL", "steps": [{}]}, "pyctl: 22023"),
    ({"campaign_id": "CLI-BAD", "name": "n", "channel": "EMAIL", "steps": [{"delay_days": -2}]},
     "pyctl: 22023: campaign CLI-BAD: step 1 is invalid"),
    ({"campaign_id": "CLI-BAD", "name": "n", "channel": "EMAIL", "status": "live", "steps": [{}]},
     "pyctl: 22023: invalid campaign status: live"),
    ({"campaign_id": "CLI-BAD", "name": "n", "channel": "EMAIL", "steps": []}, "pyctl: "),
    ({"campaign_id": "CLI-BAD", "name": "n", "channel": "EMAIL", "steps": [{}], "extra": 1}, "unknown key(s) extra"),
])
def test_cli_create_refuses_bad_files_and_creates_nothing(conn, dsn, run_pyctl, tmp_path, doc, expect):
    f = write(tmp_path, "bad.json", json.dumps(doc))
    p = run_pyctl(["campaign", "create", f], dsn)
    assert p.returncode == 1, output(p)
    assert expect in p.stderr and len(error_lines(p)) == 1, output(p)
    assert conn.execute("SELECT count(*) FROM outreach.campaigns WHERE campaign_id = 'CLI-BAD'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM outreach.sequences WHERE campaign_id = 'CLI-BAD'").fetchone()[0] == 0


def test_cli_create_twice_is_refused(conn, dsn, run_pyctl, tmp_path):
    camp = new_id("CLI-DUP")
    f = write(tmp_path, "c.json", json.dumps({"campaign_id": camp, "name": "first", "channel": "PHONE",
                                             "steps": [{"template_id": "call"}]}))
    assert run_pyctl(["campaign", "create", f], dsn).returncode == 0
    f.write_text(json.dumps({"campaign_id": camp, "name": "second", "channel": "EMAIL", "steps": [{}, {}]}))
    p = run_pyctl(["campaign", "create", f], dsn)
    assert p.returncode == 1 and f"pyctl: 23505: campaign {camp} already exists" in p.stderr, output(p)
    assert conn.execute("SELECT name, channel, (SELECT count(*) FROM outreach.sequences s WHERE s.campaign_id = c.campaign_id)"
                        " FROM outreach.campaigns c WHERE campaign_id = %s", (camp,)).fetchone() == ("first", "PHONE", 1)


def test_cli_create_missing_and_yaml_files(dsn, run_pyctl, tmp_path):
    p = run_pyctl(["campaign", "create", tmp_path / "nope.json"], dsn)
    assert p.returncode == 1 and "cannot read campaign file" in p.stderr, output(p)
    y = write(tmp_path, "c.yaml", "campaign_id: X\n")
    p = run_pyctl(["campaign", "create", y], dsn)
    assert p.returncode == 1 and "YAML is not supported" in p.stderr, output(p)
