-- outreach.tg_send_log__before_update(): a recorded send keeps the clearance it was
-- recorded with (docs/reference/gate.md): its company, target, campaign, channel and verdict never change.
CREATE OR REPLACE FUNCTION outreach.tg_send_log__before_update()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (NEW.company_unique_id, NEW.outreach_id, NEW.target_id, NEW.campaign_id, NEW.channel, NEW.gate_audit_id)
       IS DISTINCT FROM
       (OLD.company_unique_id, OLD.outreach_id, OLD.target_id, OLD.campaign_id, OLD.channel, OLD.gate_audit_id)
    THEN
        RAISE EXCEPTION 'send % cannot be moved to another company, target, campaign, channel or verdict', OLD.send_id
            USING ERRCODE = 'OG008',
                  DETAIL = format('verdict %s cleared this send for %s / %s / %s', OLD.gate_audit_id, OLD.company_unique_id,
                                  OLD.campaign_id, OLD.channel),
                  HINT = 'Record a new send with its own safety-gate verdict instead.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION outreach.tg_send_log__before_update() IS
    'Trigger: refuses (OG008) an UPDATE that would move a send_log row to another company, target, campaign, channel or verdict (docs/reference/gate.md).';
