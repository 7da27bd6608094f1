"""A one-off backfill: scripts/ is a read-only path."""


def backfill(conn):
    conn.execute("UPDATE outreach.company_target SET outreach_status = 'queued' WHERE outreach_status IS NULL")
    conn.execute("DELETE FROM shq.audit_log WHERE event_type = 'NOISE'")
    conn.execute("SELECT outreach.remove_marketing_override(%s, 'BLOCK_EMAIL', 'done', 'ops')", ("c1",))


def archive(conn):
    conn.execute("INSERT INTO outreach.blog_signals (target_id, headline) SELECT target_id, 'x' FROM outreach.blog")
