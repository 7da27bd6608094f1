"""Before the clients start: one login per group role, the run's campaigns,
and its first companies, all through the interfaces a deployment uses (the
CL authority registers, the hub writer builds the targets and their sub-hub
rows and promotes the hubs, the governor creates the campaigns)."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pyctl.errors import PyctlError
from pyctl.soak.config import CLIENT_ROLES, Universe


@dataclass(frozen=True)
class Logins:
    """The run's login roles: group role -> (login name, its DSN)."""

    names: dict[str, str]
    dsns: dict[str, str]


def create_logins(admin: psycopg.Connection, dsn: str) -> Logins:
    """One LOGIN role per group role the clients use, `soak_<random>_<group>`,
    with a random password (so that password authentication works too)."""
    tag = secrets.token_hex(4)
    names, dsns = {}, {}
    for group in CLIENT_ROLES:
        name = f"soak_{tag}_{group.removeprefix('outreach_')}"
        password = secrets.token_urlsafe(18)
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
            sql.Identifier(name), sql.Literal(password), sql.Identifier(group)))
        names[group] = name
        dsns[group] = make_conninfo(dsn, user=name, password=password)
    return Logins(names, dsns)


def drop_logins(admin: psycopg.Connection, logins: Logins) -> None:
    """End the logins' sessions and drop them (they own nothing)."""
    for name in logins.names.values():
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,))
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def run_prefix(admin: psycopg.Connection, seed: int) -> str:
    """`SK<seed>R<n>-`: n is 1 + the runs with this seed the database has seen
    (counted by their campaigns), so that a replay on a fresh database uses
    the same ids and a second run on the same one new ones."""
    base = f"SK{seed}R"
    n = admin.execute("SELECT count(*) FROM outreach.campaigns WHERE campaign_id LIKE %s",
                      (base + "%EMAIL1",)).fetchone()[0]
    return f"{base}{n + 1}-"


def check_database(admin: psycopg.Connection) -> None:
    """A superuser on a migrated database (with the state history), else one clear line."""
    if admin.execute("SELECT current_setting('is_superuser') <> 'on'").fetchone()[0]:
        raise PyctlError("pyctl soak needs a superuser login: it creates login roles, terminates backends, "
                         "writes legacy spine rows and reads every table (run it against the embedded cluster "
                         "or a staging server)")
    if admin.execute("SELECT to_regclass('cl.company_identity_history') IS NULL").fetchone()[0]:
        raise PyctlError("the database is not migrated to the state history (no cl.company_identity_history): "
                         "run `pyctl migrate` first")


def build(logins: Logins, universe: Universe) -> dict[str, dict[int, int]]:
    """The campaigns (active) and the companies of the run: the setup ones
    to tier 2, the legacy ones registered with CL only. Returns each
    campaign's sequence ids by step number."""
    def connect(group):
        return psycopg.connect(logins.dsns[group], autocommit=True, connect_timeout=10,
                               application_name="pyctl soak setup")

    setup_ids = [universe.company(i) for i in universe.setup_ids()]
    legacy_ids = [universe.company(i) for i in universe.legacy_ids()]
    with connect("outreach_governor") as gov:
        for cid, (channel, min_tier, steps) in universe.campaigns.items():
            gov.execute("SELECT outreach.fn_create_campaign(%s, %s, %s, %s::jsonb, %s, 'active')",
                        (cid, f"soak {cid}", channel,
                         json.dumps([{"template_id": f"t{k}", "delay_days": 0} for k in range(1, steps + 1)]),
                         min_tier))
        sequences: dict[str, dict[int, int]] = {c: {} for c in universe.campaigns}
        for campaign, step, seq in gov.execute(
                "SELECT campaign_id, step_number, sequence_id FROM outreach.sequences WHERE campaign_id = ANY(%s)",
                (list(universe.campaigns),)).fetchall():
            sequences[campaign][step] = seq
    with connect("outreach_cl_authority") as cl:
        cl.execute("SELECT count(cl.fn_register_company(c, 'Soak ' || c, lower(c) || '.soak.example'))"
                   " FROM unnest(%s::text[]) AS c", (setup_ids + legacy_ids,))
    with connect("outreach_hub_writer") as hw:
        build_to_tier2(hw, setup_ids)
    return sequences


#: the sub-hub rows of tier 2 (docs/reference/hubs.md), written as the hubs write them:
#: every required hub's DONE data, and the optional blog row
FILL_SQL = [
    "SELECT count(outreach.fn_update_company_target(t.target_id, 'ready', 'pattern', '{first}.{last}', 0.9, true))"
    " FROM outreach.company_target t WHERE t.company_unique_id = ANY(%(ids)s)",
    "INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present, renewal_date)"
    " SELECT t.target_id, t.outreach_id, t.company_unique_id, '12-3456789', true, current_date + 200"
    " FROM outreach.company_target t WHERE t.company_unique_id = ANY(%(ids)s) ON CONFLICT DO NOTHING",
    "INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type, is_filled, filled_at)"
    " SELECT t.target_id, t.outreach_id, t.company_unique_id, 'CEO', true, now()"
    " FROM outreach.company_target t WHERE t.company_unique_id = ANY(%(ids)s)"
    " AND NOT EXISTS (SELECT 1 FROM people.company_slot s WHERE s.target_id = t.target_id AND s.is_filled)",
    "INSERT INTO outreach.talent_flow (target_id, outreach_id, company_unique_id, last_scan_at, movements_detected)"
    " SELECT t.target_id, t.outreach_id, t.company_unique_id, now(), 0"
    " FROM outreach.company_target t WHERE t.company_unique_id = ANY(%(ids)s) ON CONFLICT DO NOTHING",
    "INSERT INTO outreach.blog (target_id, outreach_id, company_unique_id, last_checked_at)"
    " SELECT t.target_id, t.outreach_id, t.company_unique_id, now()"
    " FROM outreach.company_target t WHERE t.company_unique_id = ANY(%(ids)s) ON CONFLICT DO NOTHING",
    "SELECT count(outreach.fn_add_bit_signal(c, 'DOMAIN_VERIFIED', now(), 'soak-fill')) FROM unnest(%(ids)s::text[]) AS c",
    "SELECT outreach.fn_refresh_bit_scores(ARRAY(SELECT t.outreach_id FROM outreach.company_target t"
    " WHERE t.company_unique_id = ANY(%(ids)s)), now())",
    "SELECT sum(outreach.fn_evaluate_hub_statuses(t.outreach_id))"
    " FROM outreach.company_target t WHERE t.company_unique_id = ANY(%(ids)s)",
]


def build_to_tier2(hub_writer: psycopg.Connection, ids: list[str]) -> None:
    """Targets (minting the ids) for `ids`, their tier-2 data, their hubs promoted."""
    hub_writer.execute("SELECT count(outreach.fn_create_company_target(c)) FROM unnest(%s::text[]) AS c", (ids,))
    fill(hub_writer, ids)


def fill(hub_writer: psycopg.Connection, ids: list[str]) -> None:
    """The tier-2 data of companies that have a target, and their hubs promoted."""
    for statement in FILL_SQL:
        hub_writer.execute(statement, {"ids": ids})


#: the legacy loader: a spine row and a Company Target for a registered
#: company that has neither and is not bound, written directly (as an import
#: from an older system would); CL does not bind it, so it is an orphan until
#: a mint adopts it (fn_mint_outreach_id binds an existing spine row)
ORPHAN_SQL = """
WITH spine AS (
    INSERT INTO outreach.outreach (company_unique_id)
    SELECT ci.company_unique_id FROM cl.company_identity ci
     WHERE ci.company_unique_id = %(cid)s AND ci.outreach_id IS NULL
       AND NOT EXISTS (SELECT 1 FROM outreach.outreach o WHERE o.company_unique_id = ci.company_unique_id)
    ON CONFLICT DO NOTHING
    RETURNING outreach_id, company_unique_id
)
INSERT INTO outreach.company_target (target_id, outreach_id, company_unique_id)
SELECT 'TGT-' || left(s.company_unique_id, 8) || '-' || nextval('outreach.company_target_seq'),
       s.outreach_id, s.company_unique_id
  FROM spine s
RETURNING outreach_id"""
