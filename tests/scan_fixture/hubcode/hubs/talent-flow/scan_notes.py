"""Talent flow: suppression comments that suppress nothing."""


def wipe(conn):
    conn.execute("TRUNCATE outreach.bit_scores")  # pyctl: allow OGS101
    conn.execute("DELETE FROM outreach.bit_scores")  # pyctl: allow no-such-rule -- a reason is not enough
