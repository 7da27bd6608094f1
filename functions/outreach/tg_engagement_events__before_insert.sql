-- outreach.tg_engagement_events__before_insert(): an engagement event belongs to a send
-- and carries that send's ids (docs/reference/gate.md): OG006 otherwise; omitted ids are filled in.
CREATE OR REPLACE FUNCTION outreach.tg_engagement_events__before_insert()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_outreach_id uuid;
    v_company     text;
    v_target      text;
BEGIN
    -- SECURITY DEFINER: the sender inserts events but need not read send_log.
    IF NEW.send_id IS NULL THEN
        RAISE EXCEPTION 'engagement event without a send (send_id is NULL)'
            USING ERRCODE = 'OG006', HINT = 'Every engagement event answers one send_log row: pass its send_id.';
    END IF;
    SELECT s.outreach_id, s.company_unique_id, s.target_id
      INTO v_outreach_id, v_company, v_target
      FROM outreach.send_log s
     WHERE s.send_id = NEW.send_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'engagement event names unknown send %', NEW.send_id
            USING ERRCODE = 'OG006', HINT = 'Pass the send_id of the outreach.send_log row the event answers.';
    END IF;
    NEW.outreach_id := coalesce(NEW.outreach_id, v_outreach_id);
    NEW.company_unique_id := coalesce(NEW.company_unique_id, v_company);
    NEW.target_id := coalesce(NEW.target_id, v_target);
    IF (NEW.outreach_id, NEW.company_unique_id, NEW.target_id) IS DISTINCT FROM (v_outreach_id, v_company, v_target) THEN
        RAISE EXCEPTION 'engagement event disagrees with its send %', NEW.send_id
            USING ERRCODE = 'OG006',
                  DETAIL = format('event has (%s, %s, %s); the send has (%s, %s, %s)',
                                  NEW.outreach_id, NEW.company_unique_id, NEW.target_id,
                                  v_outreach_id, v_company, v_target),
                  HINT = 'Copy outreach_id, company_unique_id and target_id from the send (or omit them).';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION outreach.tg_engagement_events__before_insert() IS
    'Trigger: an engagement event must name an existing send and carry its outreach_id, company_unique_id and target_id (OG006); omitted ids are copied from the send (docs/reference/gate.md).';
