"""DOL filings loader."""

SEND_AUDIT_INSERT = """
    INSERT INTO outreach.send_attempt_audit
        (company_unique_id, campaign_id, correlation_id, channel, was_blocked, is_dry_run)
    VALUES (%s, %s, %s, 'EMAIL', false, false)
"""


def load(conn, rows, companies):
    with conn.cursor() as cur:
        with cur.copy("COPY outreach.company_hub_status (company_unique_id, hub_id, status) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.executemany("INSERT INTO cl.company_identity (company_unique_id, company_name) VALUES (%s, %s)",
                        companies)
        cur.execute("SELECT count(*) FROM outreach.company_hub_status")
        cur.execute("COPY outreach.company_hub_status TO STDOUT")
        # engagement_events is append-only, but the sender role may INSERT: no finding
        cur.execute("INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (%s, 'OPEN')", (1,))
        cur.execute(SEND_AUDIT_INSERT, ("c", "k", "r"))


def forget(conn):
    conn.execute("UPDATE shq.audit_log SET details = '{}'::jsonb WHERE event_type = 'DOL_LOAD'")
