-- outreach.tg_company_target__after_update_outbox(): a Company Target that moves to opted_out or exhausted is
-- reported to CL (UNSUBSCRIBED, EXHAUSTED) in the same transaction (docs/consuming-events.md). Row-level.
CREATE OR REPLACE FUNCTION outreach.tg_company_target__after_update_outbox()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- The trigger's WHEN clause lets only these transitions in, so every other
-- update of a target (its enrichment, an active status) costs no call.
-- Whatever moved it (an UNSUBSCRIBE, the last step of a campaign, an
-- operator's fn_set_outreach_status), the target's status_reason says so.
BEGIN
    INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, outreach_id, payload, occurred_at)
    VALUES ('cl', CASE NEW.outreach_status WHEN 'opted_out' THEN 'UNSUBSCRIBED' ELSE 'EXHAUSTED' END,
            NEW.company_unique_id, NEW.outreach_id,
            jsonb_build_object('target_id', NEW.target_id, 'previous_status', OLD.outreach_status,
                               'reason', NEW.status_reason),
            now());
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_target__after_update_outbox() IS
    'Trigger (AFTER UPDATE OF outreach_status ON company_target, per row, only into opted_out or exhausted): a cl UNSUBSCRIBED or EXHAUSTED event (docs/consuming-events.md).';
