-- shq.vw_metrics_spine: metric family outreach_spine: spine / CL alignment (docs/reference/identity.md), from the spine
-- snapshot (two full counts take about a second at a million companies; docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_spine AS
SELECT (s.data ->> 'spine_count')::bigint AS records,
       (s.data ->> 'cl_bound_count')::bigint AS cl_bound,
       (s.data ->> 'spine_without_cl')::bigint AS without_cl,
       (s.data ->> 'cl_without_spine')::bigint AS cl_without_spine,
       CASE WHEN (s.data ->> 'is_aligned')::boolean THEN 1 ELSE 0 END AS aligned
  FROM shq.metrics_snapshot AS s
 WHERE s.name = 'spine';
COMMENT ON VIEW shq.vw_metrics_spine IS
    'Spine / CL alignment (shq.fn_check_spine_alignment()) as of the last metric snapshot.';
COMMENT ON COLUMN shq.vw_metrics_spine.records IS 'GAUGE: spine records (outreach.outreach)';
COMMENT ON COLUMN shq.vw_metrics_spine.cl_bound IS 'GAUGE: CL companies with a bound outreach_id';
COMMENT ON COLUMN shq.vw_metrics_spine.without_cl IS 'GAUGE: spine records that CL does not bind';
COMMENT ON COLUMN shq.vw_metrics_spine.cl_without_spine IS 'GAUGE: CL bindings without a spine record';
COMMENT ON COLUMN shq.vw_metrics_spine.aligned IS 'GAUGE: 1 when spine and CL are aligned, else 0';
GRANT SELECT ON shq.vw_metrics_spine TO outreach_monitor, outreach_governor;
