-- shq.fn_escalate_stale_parked_errors: raise the escalation level of long-parked errors
-- (docs/reference/governance.md) to shq.fn_escalation_level_due; a level never decreases.
CREATE OR REPLACE FUNCTION shq.fn_escalate_stale_parked_errors()
RETURNS TABLE (table_name text, affected bigint)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET lock_timeout = '1s'
AS $$
    -- Only rows whose level rises are touched (and get escalated_at); the
    -- level due (shq.fn_escalation_level_due, inlined) is computed from
    -- parked_at and only ever raises. The first threshold, a constant, lets
    -- the scan use the parked_at index.
    SELECT * FROM shq._each_governed_table($q$
        UPDATE %1$I.%2$I AS t
           SET escalation_level = shq.fn_escalation_level_due(t.parked_at, now()),
               escalated_at = now()
         WHERE t.error_id = ANY (ARRAY(
                   SELECT e.error_id
                     FROM %1$I.%2$I AS e
                    WHERE e.disposition = 'PARKED'
                      AND e.parked_at <= now() - shq.fn_escalation_threshold(1)
                      AND e.escalation_level < shq.fn_escalation_level_due(e.parked_at, now())
                      FOR UPDATE SKIP LOCKED))
           AND t.disposition = 'PARKED'
           AND t.parked_at <= now() - shq.fn_escalation_threshold(1)
           AND t.escalation_level < shq.fn_escalation_level_due(t.parked_at, now())$q$);
$$;
COMMENT ON FUNCTION shq.fn_escalate_stale_parked_errors() IS
    'Escalates PARKED errors by time parked to shq.fn_escalation_level_due(parked_at) (levels 1, 2, 3 after shq.fn_escalation_threshold); only raises a level (never lowers), setting escalated_at when it rises; one row per governed table (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_escalate_stale_parked_errors() TO outreach_governor;
