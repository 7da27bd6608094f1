-- The maintained eligibility row outreach.company_eligibility (docs/maintained-eligibility.md): every write
-- path keeps it equal to the from-scratch computation; direct writes and TRUNCATE are refused. Own companies only.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(24);
\ir fixtures/company.sql

CREATE FUNCTION pg_temp.drift(p_cid text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM outreach.fn_company_eligibility_drift(ARRAY[p_cid]);
$$;
CREATE FUNCTION pg_temp.row_of(p_cid text) RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' ', e.eligibility_status, e.outreach_status, e.required_passed, e.optional_passed,
                     e.required_failed, e.has_campaign_ready_person, e.score_tier)
      FROM outreach.company_eligibility e WHERE e.company_unique_id = p_cid;
$$;

-- registration and the spine: the row appears with the company's Company Target
SELECT pg_temp.mk_company('MEL-00001', 0);
SELECT is(pg_temp.row_of('MEL-00001'), 'ELIGIBLE queued 0 0 0 f', 'a new company has its row (no hub passed, no score)');
SELECT is(pg_temp.row_of('MEL-00000'), NULL, 'no row for a company that is not in the spine');

-- hubs, people, BIT score
SELECT pg_temp.to_tier1('MEL-00001');
SELECT is(pg_temp.row_of('MEL-00001'), 'ELIGIBLE queued 4 0 0 f', 'four required hubs passed');
SELECT pg_temp.to_tier2('MEL-00001');
SELECT is(pg_temp.row_of('MEL-00001'), 'ELIGIBLE queued 4 2 0 f COLD', 'optional hubs passed, the stored score copied');
INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, full_name, email, email_verified)
SELECT s.slot_id, s.target_id, s.outreach_id, s.company_unique_id, 'Pat', 'pat@mel.example.com', true
  FROM people.company_slot s WHERE s.company_unique_id = 'MEL-00001';
SELECT is(pg_temp.row_of('MEL-00001'), 'ELIGIBLE queued 4 2 0 t COLD', 'a verified person in a filled slot');
SELECT is((SELECT computed_tier FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'MEL-00001'),
          3, 'the authoritative view reads the row: tier 3');
UPDATE people.company_slot SET is_filled = false WHERE company_unique_id = 'MEL-00001';
SELECT is(pg_temp.row_of('MEL-00001'), 'ELIGIBLE queued 4 2 0 f COLD', 'the slot emptied');

-- target status, a failed hub, CL eligibility
SELECT outreach.fn_set_outreach_status(t.target_id, 'opted_out', 'pgtap') FROM outreach.company_target t
 WHERE t.company_unique_id = 'MEL-00001';
SELECT outreach.fn_set_hub_status('MEL-00001', 'dol-filings', 'FAIL', 'pgtap');
SELECT is(pg_temp.row_of('MEL-00001'), 'ELIGIBLE opted_out 3 2 1 f COLD', 'status opted_out and a required hub failed');
SELECT cl.fn_register_company('MEL-00001', 'Company MEL-00001', 'mel-00001.example.com', 'INELIGIBLE', 'VERIFIED');
SELECT is(pg_temp.row_of('MEL-00001'), 'INELIGIBLE opted_out 3 2 1 f COLD', 'CL made it ineligible');
SELECT is(pg_temp.drift('MEL-00001'), 0::bigint, 'after every write: equal to the from-scratch row');

-- overrides stay computed at read time: the row does not change, the view does
SELECT pg_temp.mk_company('MEL-00002', 2);
SELECT outreach.set_marketing_override('MEL-00002', 'FORCE_TIER', 'pgtap', 'pgtap', 0);
SELECT is((SELECT effective_tier FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'MEL-00002'),
          0, 'an override caps the effective tier at read time');
SELECT is(pg_temp.drift('MEL-00002'), 0::bigint, 'no drift for the second company');

-- a company that loses its last hub row counts zero again (the maintenance reads the hub rollup, which has no row for it)
SET LOCAL ROLE outreach_owner;
SELECT set_config('shq.sanctioned_writer', 'outreach.company_hub_status', true);
DELETE FROM outreach.company_hub_status WHERE company_unique_id = 'MEL-00002';
SELECT set_config('shq.sanctioned_writer', '', true);
RESET ROLE;
SELECT is((SELECT concat_ws(' ', e.required_passed, e.optional_passed, e.required_failed)
             FROM outreach.company_eligibility e WHERE e.company_unique_id = 'MEL-00002'),
          '0 0 0', 'every hub row deleted: the counts are zero, as from scratch');

-- a new hub row counts only as passed or failed (outreach._hub_status_counts_as_passed / _failed): an
-- IN_PROGRESS row (a new Company Target's) changes no count and is not maintained at all, in any company
SELECT pg_temp.mk_company('MEL-00003', 0);
SET LOCAL track_functions = 'all';
SELECT coalesce(pg_stat_get_xact_function_calls('outreach._maintain_company_eligibility(text[], regclass)'::regprocedure),
                0) AS maintained_before \gset
SET LOCAL ROLE outreach_owner;
SELECT set_config('shq.sanctioned_writer', 'outreach.company_hub_status', true);
INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status)
VALUES ('MEL-00002', 'company-target', 'IN_PROGRESS'), ('MEL-00003', 'blog-content', DEFAULT);
RESET ROLE;
SELECT is(coalesce(pg_stat_get_xact_function_calls('outreach._maintain_company_eligibility(text[], regclass)'::regprocedure), 0),
          :'maintained_before'::bigint, 'an insert of IN_PROGRESS hub rows calls no maintenance');
-- rows that count, in the same statement as one that does not: those companies are maintained, once
SET LOCAL ROLE outreach_owner;
INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status)
VALUES ('MEL-00002', 'bit-engine', 'PASS'), ('MEL-00002', 'dol-filings', 'BLOCKED'),
       ('MEL-00002', 'talent-flow', 'IN_PROGRESS');
SELECT set_config('shq.sanctioned_writer', '', true);
RESET ROLE;
SELECT is(pg_stat_get_xact_function_calls('outreach._maintain_company_eligibility(text[], regclass)'::regprocedure),
          :'maintained_before'::bigint + 1, 'an insert of hub rows that count calls the maintenance once');
SELECT is((SELECT concat_ws(' ', e.required_passed, e.optional_passed, e.required_failed)
             FROM outreach.company_eligibility e WHERE e.company_unique_id = 'MEL-00002'),
          '0 1 1', 'an optional hub passed and a required hub blocked are counted');
SELECT is(pg_temp.drift('MEL-00002') + pg_temp.drift('MEL-00003'), 0::bigint,
          'after the inserts: both companies equal to the from-scratch row');

-- the guard: nobody writes the table directly, the owner included
SELECT throws_ok($$UPDATE outreach.company_eligibility SET required_passed = 9 WHERE company_unique_id = 'MEL-00002'$$,
                 'OG005', NULL, 'a direct UPDATE is refused');
SELECT throws_ok($$TRUNCATE outreach.company_eligibility$$, 'OG005', NULL, 'TRUNCATE is refused');
SET LOCAL ROLE outreach_owner;
SELECT throws_ok($$DELETE FROM outreach.company_eligibility WHERE company_unique_id = 'MEL-00002'$$,
                 'OG005', NULL, 'the owner''s direct DELETE is refused');
RESET ROLE;
-- the hub counts' CHECK (one LEAST >= 0): even a sanctioned write sets no count below zero, each column refused
SET LOCAL ROLE outreach_owner;
SELECT set_config('shq.sanctioned_writer', 'outreach.company_eligibility', true);
SELECT throws_ok(format($$UPDATE outreach.company_eligibility SET %I = -1 WHERE company_unique_id = 'MEL-00002'$$, c),
                 '23514', NULL, format('a sanctioned write of %s = -1 is refused', c))
  FROM unnest(ARRAY['required_passed', 'optional_passed', 'required_failed']) AS c;
SELECT set_config('shq.sanctioned_writer', '', true);
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$UPDATE outreach.company_eligibility SET required_passed = 9 WHERE company_unique_id = 'MEL-00002'$$,
                 '42501', NULL, 'a reader may not write it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
