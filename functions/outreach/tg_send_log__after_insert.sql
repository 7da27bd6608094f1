-- outreach.tg_send_log__after_insert(): the outreach_status transitions of a
-- send (campaign orchestration). Statement-level AFTER INSERT, NEW TABLE new_sends.
CREATE OR REPLACE FUNCTION outreach.tg_send_log__after_insert()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_sends
BEGIN
    -- SECURITY DEFINER: the sender may INSERT into send_log but holds no
    -- UPDATE on company_target; this function is the one writer of these
    -- transitions. Only 'queued', 'active' and 'exhausted' targets move;
    -- 'paused' and 'opted_out' are never touched here.
    --
    -- Every target of these rows is already locked FOR NO KEY UPDATE by
    -- trg_send_log_005_lock_target: a concurrent send to the same target
    -- waited there, and (READ COMMITTED, a new snapshot per statement) the
    -- statement below sees every send committed before it, so the status
    -- written last is computed from all of them.
    WITH touched AS (
        SELECT DISTINCT n.target_id FROM new_sends n
    ),
    last_steps AS (
        -- the final step of each campaign (campaigns without steps have none)
        SELECT DISTINCT ON (s.campaign_id) s.campaign_id, s.sequence_id
          FROM outreach.sequences s
         ORDER BY s.campaign_id, s.step_number DESC
    ),
    membership AS (
        -- every ACTIVE campaign a touched target is in (it has a send in it),
        -- and whether that campaign's final step was sent to it
        SELECT sl.target_id, sl.campaign_id,
               coalesce(bool_or(sl.sequence_id = ls.sequence_id), false) AS finished
          FROM touched tt
          JOIN outreach.send_log sl ON sl.target_id = tt.target_id
          JOIN outreach.campaigns c ON c.campaign_id = sl.campaign_id AND c.status = 'active'
          LEFT JOIN last_steps ls ON ls.campaign_id = sl.campaign_id
         GROUP BY sl.target_id, sl.campaign_id
    ),
    verdict AS (
        SELECT tt.target_id,
               CASE WHEN count(m.campaign_id) > 0 AND bool_and(m.finished) THEN 'exhausted' ELSE 'active' END
                   AS new_status
          FROM touched tt
          LEFT JOIN membership m ON m.target_id = tt.target_id
         GROUP BY tt.target_id
    )
    UPDATE outreach.company_target ct
       SET outreach_status = v.new_status,
           status_reason = CASE v.new_status
                               WHEN 'exhausted' THEN 'send_log: the final step of every active campaign it is in was sent'
                               ELSE 'send_log: sent to, steps remain' END,
           updated_at = now()
      FROM verdict v
     WHERE ct.target_id = v.target_id
       AND ct.outreach_status IN ('queued', 'active', 'exhausted')
       AND ct.outreach_status <> v.new_status;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_send_log__after_insert() IS
    'Trigger (AFTER INSERT ON send_log, per statement): a queued/active/exhausted target turns ''exhausted'' when the final step of every active campaign it has sends in was sent to it, else ''active'' (so ''active'' on its first send); paused and opted_out targets never change (docs/reference/gate.md).';
