"""Company Target's output stage.

Never INSERT INTO outreach.company_hub_status from here: a docstring that
mentions the write is not a write.
"""
from psycopg import sql

HUB_STATUS = "outreach.company_hub_status"


def promote(conn, company_unique_id: str) -> None:
    # the right way: the sanctioned function (a SELECT is never a finding)
    conn.execute("SELECT outreach.fn_set_hub_status(%s, 'company-target', 'PASS')", (company_unique_id,))
    # INSERT INTO outreach.company_hub_status ... in a comment is not a write either


def force_pass(conn, company_unique_id: str, hub_id: str) -> None:
    conn.execute(
        f"""
        INSERT INTO {HUB_STATUS} (company_unique_id, hub_id, status)
        VALUES (%s, '{hub_id}', 'PASS')
        """,
        (company_unique_id,),
    )


def reset(cur, table: str) -> None:
    query = sql.SQL("UPDATE {} SET status = {} WHERE hub_id = {}").format(
        sql.Identifier("outreach", "company_hub_status"), sql.Literal("IN_PROGRESS"), sql.Placeholder())
    cur.execute(query, ("company-target",))


def touch_target(conn, target_id: str) -> None:
    # outreach.company_target is not guarded: writing it is no finding
    conn.execute("UPDATE outreach.company_target SET updated_at = now() WHERE target_id = %s", (target_id,))


def cap_tier(conn, company_unique_id: str) -> None:
    conn.execute("UPDATE outreach.manual_overrides SET tier_cap = 0 WHERE company_unique_id = %s",  # pyctl: allow illegal-writer -- one-off repair reviewed with the override owners
                 (company_unique_id,))
