-- shq._done_states: the DONE contract of every hub (docs/reference/hubs.md), one row per
-- spine company. The per-company DONE checkers and the set-based gates all read this.
CREATE OR REPLACE VIEW shq._done_states AS
SELECT o.outreach_id,
       o.company_unique_id,
       coalesce(ct.execution_status = 'ready'
                AND ct.email_method ~ '\S'          -- set and not blank (shq.fn_is_blank, inline)
                AND ct.confidence_score IS NOT NULL
                AND ct.imo_completed_at IS NOT NULL, false)              AS company_target_done,
       coalesce(d.ein IS NOT NULL AND d.filing_present, false)           AS dol_done,
       coalesce(sl.filled_slots, 0)                                      AS filled_slots,
       b.outreach_id IS NOT NULL                                         AS blog_done,
       coalesce(tf.last_scan_at IS NOT NULL, false)                      AS talent_flow_done,
       -- the same rule as shq.fn_check_bit_done (BIT engine)
       coalesce(bs.score IS NOT NULL AND bs.signal_count > 0, false)     AS bit_done
  FROM outreach.outreach o
  LEFT JOIN outreach.company_target ct ON ct.outreach_id = o.outreach_id
  LEFT JOIN outreach.dol d ON d.outreach_id = o.outreach_id
  LEFT JOIN (SELECT s.outreach_id, s.company_unique_id, count(*) AS filled_slots
               FROM people.company_slot s
              WHERE s.is_filled
              GROUP BY s.outreach_id, s.company_unique_id) sl
         ON sl.outreach_id = o.outreach_id AND sl.company_unique_id = o.company_unique_id
  LEFT JOIN outreach.blog b ON b.outreach_id = o.outreach_id
  LEFT JOIN outreach.talent_flow tf ON tf.outreach_id = o.outreach_id
  LEFT JOIN outreach.bit_scores bs ON bs.outreach_id = o.outreach_id;
COMMENT ON VIEW shq._done_states IS
    'Internal: per spine company, the DONE state of each hub (docs/reference/hubs.md) and the number of filled people slots.';
GRANT SELECT ON shq._done_states TO outreach_governor;
