-- outreach._outbox_target_reported(old_status, new_status): whether a Company Target's status change is reported
-- to CL (a move into opted_out or exhausted); the WHEN of trg_company_target_800_outbox (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_target_reported(p_old_status text, p_new_status text)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
AS $$
-- Why a function, not the comparison written in the trigger's WHEN:
-- PostgreSQL reads a trigger's WHEN back from its stored node text and
-- plans it again for every UPDATE statement of the table, and every send
-- updates its Company Target's status; the comparison with its array of two
-- strings was over 1,100 characters of node text, a call with two columns
-- is a fraction of that. PL/pgSQL, not an inlinable SQL function (inlining
-- parses the body for every statement); no SET clause, not SECURITY
-- DEFINER. NULL (a NULL status) means no, as in the comparison it replaces.
-- Called by a trigger's WHEN, without a SET clause: every name below is schema-qualified.
BEGIN
    RETURN p_old_status OPERATOR(pg_catalog.<>) p_new_status
       AND p_new_status OPERATOR(pg_catalog.=) ANY (ARRAY['opted_out', 'exhausted']);
END
$$;
COMMENT ON FUNCTION outreach._outbox_target_reported(text, text) IS
    'Internal: true when a Company Target''s outreach_status moves (old <> new) into opted_out or exhausted, the changes reported to CL as UNSUBSCRIBED or EXHAUSTED; the WHEN of trg_company_target_800_outbox (docs/consuming-events.md).';
REVOKE ALL ON FUNCTION outreach._outbox_target_reported(text, text) FROM PUBLIC;
