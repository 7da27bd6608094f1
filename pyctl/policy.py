"""The roles of docs/reference/conventions.md as data: what each group role may do to the guarded objects.

`pyctl verify`'s mutation-guard audit lists every role holding INSERT,
UPDATE, DELETE or TRUNCATE on a sovereign or append-only table, or EXECUTE on
a sanctioned writer (a SECURITY DEFINER function of a project schema), and
fails for each grant this policy does not allow. Superusers and
`outreach_owner` (which owns everything and never logs in) are not listed.
"""
from __future__ import annotations

PROJECT_SCHEMAS = ("cl", "outreach", "people", "company", "shq")

GROUP_ROLES = (
    "outreach_owner", "outreach_cl_authority", "outreach_hub_writer",
    "outreach_override_admin", "outreach_sender", "outreach_governor",
    "outreach_reader", "outreach_monitor", "outreach_consumer",
)

#: the registry of guarded tables (migration db/0850): which tables are
#: sovereign, append-only, sealed ... lives there, in the database
GUARDED_TABLES_SQL = """
SELECT DISTINCT n.nspname || '.' || c.relname
  FROM shq.guarded_tables g
  JOIN pg_class c ON c.oid = g.table_name
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE cardinality(%(kinds)s::text[]) = 0 OR g.kind = ANY(%(kinds)s)
 ORDER BY 1
"""


def guarded_tables(conn, *kinds: str) -> list[str]:
    """The tables of the registry shq.guarded_tables of any of `kinds` (all
    when none is given), as schema.name, sorted; [] when the database has no
    registry yet."""
    if conn.execute("SELECT to_regclass('shq.guarded_tables') IS NULL").fetchone()[0]:
        return []
    return [r[0] for r in conn.execute(GUARDED_TABLES_SQL, {"kinds": list(kinds)}).fetchall()]


def sovereign_tables(conn) -> list[str]:
    return guarded_tables(conn, "sovereign")


def append_only_tables(conn) -> list[str]:
    return guarded_tables(conn, "append_only")

#: table privileges on guarded tables that a role may hold
ALLOWED_TABLE_WRITES: dict[str, dict[str, set[str]]] = {
    "outreach_sender": {"outreach.engagement_events": {"INSERT"}},
}

#: the outbox's consumer API (SECURITY DEFINER), all a consumer role may execute
OUTBOX_CONSUMER_API = ("outreach.fn_outbox_claim", "outreach.fn_outbox_ack", "outreach.fn_outbox_nack")

#: sanctioned writers (SECURITY DEFINER functions) a role may EXECUTE,
#: by schema-qualified name (every overload)
ALLOWED_EXECUTE: dict[str, set[str]] = {
    # CL reads the outbox's cl destination; outreach_consumer the others
    # (docs/consuming-events.md): claim, acknowledge, give back, nothing else
    "outreach_cl_authority": {"cl.fn_register_company", *OUTBOX_CONSUMER_API},
    "outreach_consumer": set(OUTBOX_CONSUMER_API),
    "outreach_hub_writer": {
        "outreach.fn_mint_outreach_id",
        "outreach.fn_create_company_target",
        "outreach.fn_update_company_target",
        "outreach.fn_set_outreach_status",
        "outreach.fn_set_hub_status",
        "outreach.fn_evaluate_hub_statuses",
        "outreach.fn_evaluate_hub_statuses_range",
        "outreach.fn_add_bit_signal",
        "outreach.fn_refresh_bit_scores",
        "shq.fn_record_error",
        "shq.fn_register_retry_attempt",
    },
    "outreach_override_admin": {
        "outreach.set_marketing_override",
        "outreach.remove_marketing_override",
    },
    "outreach_sender": {"outreach.fn_safety_gate_check",
                        # queued sending: queue a cleared send, close a refused one
                        "outreach.fn_queue_send", "outreach.fn_block_send_request",
                        # the NOTIFY execute_send sends after its send transaction's commit
                        "outreach.fn_outbox_wake"},
    "outreach_reader": set(),
    # read-only SECURITY DEFINER sources of the metric views (docs/monitoring.md)
    "outreach_monitor": {"shq._metrics_governed_errors", "shq._metrics_seal_lag", "outreach.fn_outbox_status"},
}

#: outreach_governor may EXECUTE any sanctioned writer in these schemas
#: (the shq governance, error, scheduling, sealing and smoke functions)
GOVERNOR_SCHEMAS = ("shq",)
GOVERNOR_EXTRA = {
    "outreach.fn_delete_outreach_cascade",
    "outreach.fn_archive_orphans",
    "outreach.fn_create_campaign",
    # the outbox's administration (docs/consuming-events.md)
    "outreach.fn_outbox_register_consumer",
    "outreach.fn_outbox_drop_consumer",
    "outreach.fn_outbox_resolve_parked",
    "outreach.fn_outbox_archive_acked",
    "outreach.fn_outbox_reconcile_tiers",
    "outreach.fn_outbox_status",
}


def execute_allowed(role: str, function_name: str) -> bool:
    """May `role` hold EXECUTE on the sanctioned writer `schema.name`?"""
    if role == "outreach_owner":
        return True
    if role == "outreach_governor":
        schema = function_name.split(".", 1)[0]
        return schema in GOVERNOR_SCHEMAS or function_name in GOVERNOR_EXTRA
    return function_name in ALLOWED_EXECUTE.get(role, set())


def table_write_allowed(role: str, table: str, privilege: str) -> bool:
    """May `role` hold `privilege` (INSERT/UPDATE/DELETE/TRUNCATE) on a guarded table?"""
    if role == "outreach_owner":
        return True
    return privilege in ALLOWED_TABLE_WRITES.get(role, {}).get(table, set())
