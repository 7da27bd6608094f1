-- Foundation: the CL registry, write-once identity, the Golden Rule,
-- and alignment. Every attack asserts its SQLSTATE and that nothing changed.
-- Counts are taken against what the database held before (any other data).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(50);

CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM outreach.outreach) AS spine, a.* FROM shq.fn_check_spine_alignment() AS a;

-- ---------------------------------------------------------------- register
SELECT is(cl.fn_register_company('FND-ACME-0001', 'Acme Inc', 'acme.example'), 'FND-ACME-0001',
          'fn_register_company returns the id');
SELECT results_eq(
    $$SELECT eligibility_status, identity_status, lifecycle_state, outreach_id IS NULL, outreach_id_bound_at IS NULL
        FROM cl.company_identity WHERE company_unique_id = 'FND-ACME-0001'$$,
    $$VALUES ('ELIGIBLE'::text, 'VERIFIED'::text, 'prospect'::text, true, true)$$,
    'a new company defaults to ELIGIBLE, VERIFIED, prospect, unbound');
SELECT throws_ok($$SELECT cl.fn_register_company(NULL, 'x', 'x.example')$$, 'OG001', NULL, 'register: NULL id is OG001');
SELECT throws_ok($$SELECT cl.fn_register_company('', 'x', 'x.example')$$, 'OG001', NULL, 'register: empty id is OG001');
SELECT throws_ok($$SELECT cl.fn_register_company(E' \t ', 'x', 'x.example')$$, 'OG001', NULL, 'register: whitespace id is OG001');
SELECT throws_ok($$SELECT cl.fn_register_company('FND-X', 'x', 'x.example', 'MAYBE')$$, '22023', NULL,
                 'register: unknown eligibility_status is 22023');
SELECT throws_ok($$SELECT cl.fn_register_company('FND-X', 'x', 'x.example', 'ELIGIBLE', 'SORT_OF')$$, '22023', NULL,
                 'register: unknown identity_status is 22023');
SELECT is((SELECT count(*) FROM cl.company_identity WHERE company_unique_id IN ('', 'FND-X')), 0::bigint,
          'refused registrations left no row');

-- direct INSERT paths into CL refuse blank ids too (docs/reference/identity.md)
SELECT throws_ok($$INSERT INTO cl.company_identity (company_unique_id) VALUES ('   ')$$, 'OG001', NULL,
                 'direct INSERT of a whitespace id is OG001');
SELECT throws_ok($$INSERT INTO cl.company_identity (company_unique_id) VALUES (NULL)$$, 'OG001', NULL,
                 'direct INSERT of a NULL id is OG001');

-- ---------------------------------------------------------------- mint
SELECT throws_ok($$SELECT outreach.fn_mint_outreach_id(NULL)$$, 'OG001', NULL, 'mint: NULL id is OG001');
SELECT throws_ok($$SELECT outreach.fn_mint_outreach_id('  ')$$, 'OG001', NULL, 'mint: blank id is OG001');
SELECT throws_ok($$SELECT outreach.fn_mint_outreach_id('FND-NOT-IN-CL')$$, 'OG002', NULL, 'mint: unknown company is OG002');
SELECT is((SELECT count(*) FROM outreach.outreach), (SELECT spine FROM before), 'refused mints fabricated no spine row');
SELECT is((SELECT count(*) FROM cl.company_identity WHERE company_unique_id = 'FND-NOT-IN-CL'), 0::bigint,
          'refused mint fabricated no CL row');

CREATE TEMP TABLE minted AS SELECT outreach.fn_mint_outreach_id('FND-ACME-0001') AS oid;
SELECT isnt((SELECT oid FROM minted), NULL, 'mint returns an id');
SELECT is(outreach.fn_mint_outreach_id('FND-ACME-0001'), (SELECT oid FROM minted), 'mint is idempotent');
SELECT is((SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = 'FND-ACME-0001'),
          (SELECT oid FROM minted), 'the id is written to CL');
SELECT isnt((SELECT outreach_id_bound_at FROM cl.company_identity WHERE company_unique_id = 'FND-ACME-0001'), NULL,
            'outreach_id_bound_at is set when bound');
SELECT is((SELECT count(*) FROM outreach.outreach WHERE company_unique_id = 'FND-ACME-0001'), 1::bigint,
          'exactly one spine row');

-- ---------------------------------------------------------------- write-once attacks
CREATE TEMP TABLE before_cl AS SELECT * FROM cl.company_identity WHERE company_unique_id = 'FND-ACME-0001';
SELECT throws_ok($$UPDATE cl.company_identity SET outreach_id = gen_random_uuid() WHERE company_unique_id = 'FND-ACME-0001'$$,
                 'OG003', NULL, 'changing a bound outreach_id is OG003');
SELECT throws_ok($$UPDATE cl.company_identity SET outreach_id = NULL WHERE company_unique_id = 'FND-ACME-0001'$$,
                 'OG003', NULL, 'returning a bound outreach_id to NULL is OG003');
SELECT throws_ok($$UPDATE cl.company_identity SET company_unique_id = 'FND-ACME-0002' WHERE company_unique_id = 'FND-ACME-0001'$$,
                 'OG003', NULL, 'changing company_unique_id is OG003');
SELECT throws_ok($$INSERT INTO cl.company_identity (company_unique_id, outreach_id) VALUES ('FND-ACME-0001', gen_random_uuid())
                   ON CONFLICT (company_unique_id) DO UPDATE SET outreach_id = EXCLUDED.outreach_id$$,
                 'OG003', NULL, 'INSERT ... ON CONFLICT DO UPDATE cannot rebind outreach_id');
SELECT throws_ok($$INSERT INTO cl.company_identity (company_unique_id) VALUES ('FND-ACME-0001')
                   ON CONFLICT (company_unique_id) DO UPDATE SET outreach_id = NULL$$,
                 'OG003', NULL, 'INSERT ... ON CONFLICT DO UPDATE cannot unbind outreach_id');
SELECT lives_ok($$UPDATE cl.company_identity SET outreach_id_bound_at = now() - interval '1 year'
                   WHERE company_unique_id = 'FND-ACME-0001'$$, 'an UPDATE of outreach_id_bound_at is accepted ...');
SELECT results_eq($$SELECT outreach_id, outreach_id_bound_at, company_unique_id FROM cl.company_identity
                    WHERE company_unique_id = 'FND-ACME-0001'$$,
                  $$SELECT outreach_id, outreach_id_bound_at, company_unique_id FROM before_cl$$,
                  '... but the bound id and its bound_at never change');

-- re-registering updates name/domain/statuses, never the binding
SELECT lives_ok($$SELECT cl.fn_register_company('FND-ACME-0001', 'Acme Renamed', 'acme2.example', 'INELIGIBLE', 'UNVERIFIED')$$,
                're-register lives');
SELECT results_eq($$SELECT company_name, domain, eligibility_status, identity_status, outreach_id
                      FROM cl.company_identity WHERE company_unique_id = 'FND-ACME-0001'$$,
                  $$SELECT 'Acme Renamed'::text, 'acme2.example'::text, 'INELIGIBLE'::text, 'UNVERIFIED'::text, oid FROM minted$$,
                  're-register updates name, domain, statuses and keeps outreach_id');

-- zero promotion authority: Outreach (running as outreach_owner) cannot move the lifecycle
SET LOCAL ROLE outreach_owner;
SELECT throws_ok($$UPDATE cl.company_identity SET lifecycle_state = 'sales' WHERE company_unique_id = 'FND-ACME-0001'$$,
                 'OG005', NULL, 'outreach_owner cannot change lifecycle_state');
RESET ROLE;
SELECT is((SELECT lifecycle_state FROM cl.company_identity WHERE company_unique_id = 'FND-ACME-0001'), 'prospect',
          'lifecycle_state unchanged');
SET LOCAL ROLE outreach_cl_authority;
SELECT throws_ok($$UPDATE cl.company_identity SET lifecycle_state = 'sales' WHERE company_unique_id = 'FND-ACME-0001'$$,
                 '42501', NULL, 'CL''s role has no direct UPDATE grant either: it goes through CL''s functions');
RESET ROLE;

-- ---------------------------------------------------------------- a spine row CL lost, and a conflicting one
SELECT cl.fn_register_company('FND-ORPHAN-1', 'Orphan', 'orphan.example');
INSERT INTO outreach.outreach (outreach_id, company_unique_id)
VALUES ('00000000-0000-4000-8000-000000000001', 'FND-ORPHAN-1');
SELECT is(outreach.fn_mint_outreach_id('FND-ORPHAN-1'), '00000000-0000-4000-8000-000000000001'::uuid,
          'an unbound spine row is bound to CL, not duplicated');
SELECT is((SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = 'FND-ORPHAN-1'),
          '00000000-0000-4000-8000-000000000001'::uuid, 'CL now binds the existing spine id');
SELECT results_eq($$SELECT h.operation, h.outreach_id FROM cl.company_identity_history h
                     WHERE h.company_unique_id = 'FND-ORPHAN-1' ORDER BY h.history_id$$,
                  $$VALUES ('INSERT'::text, NULL::uuid), ('UPDATE', '00000000-0000-4000-8000-000000000001'::uuid)$$,
                  'binding the existing spine id writes one history row, with that id');
SELECT is((SELECT count(*)::int FROM outreach.outreach WHERE company_unique_id = 'FND-ORPHAN-1'), 1,
          'and still one spine row');
SELECT is((SELECT count(*)::int FROM outreach.outbox_events e WHERE e.company_unique_id = 'FND-ORPHAN-1'),
          0, 'binding changes no eligibility: no outbox event');

-- ---------------------------------------------------------------- alignment
SELECT results_eq($$SELECT a.spine_count - b.spine_count, a.cl_bound_count - b.cl_bound_count, a.is_aligned,
                           a.spine_without_cl - b.spine_without_cl, a.cl_without_spine - b.cl_without_spine
                      FROM shq.fn_check_spine_alignment() a, before b$$,
                  $$SELECT 2::bigint, 2::bigint, b.is_aligned, 0::bigint, 0::bigint FROM before b$$,
                  'two minted companies: two more in the spine and bound in CL, as aligned as before');
SELECT cl.fn_register_company('FND-ORPHAN-2', 'Orphan 2', 'orphan2.example');
INSERT INTO outreach.outreach (company_unique_id) VALUES ('FND-ORPHAN-2');
SELECT results_eq($$SELECT a.spine_count - b.spine_count, a.cl_bound_count - b.cl_bound_count, a.is_aligned,
                           a.spine_without_cl - b.spine_without_cl, a.cl_without_spine - b.cl_without_spine
                      FROM shq.fn_check_spine_alignment() a, before b$$,
                  $$VALUES (3::bigint, 2::bigint, false, 1::bigint, 0::bigint)$$, 'a spine row CL does not bind is misaligned');

-- ---------------------------------------------------------------- a new outreach_id is time-ordered (UUID version 7)
SELECT cl.fn_register_company('FND-V7-0001', 'V7 one', 'v7-1.example');
SELECT cl.fn_register_company('FND-V7-0002', 'V7 two', 'v7-2.example');
CREATE TEMP TABLE v7_minted AS
SELECT 1 AS k, clock_timestamp() AS t0, outreach.fn_mint_outreach_id('FND-V7-0001') AS id, clock_timestamp() AS t1;
SELECT pg_sleep(0.003);
INSERT INTO v7_minted SELECT 2, clock_timestamp(), outreach.fn_mint_outreach_id('FND-V7-0002'), clock_timestamp();
SELECT is((SELECT count(*) FROM v7_minted
            WHERE substr(id::text, 15, 1) = '7' AND substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')), 2::bigint,
          'a minted outreach_id is a UUID version 7, variant 10');
SELECT is((SELECT count(*) FROM v7_minted
            WHERE ('x' || lpad(replace(left(id::text, 13), '-', ''), 16, '0'))::bit(64)::bigint
                  BETWEEN floor(extract(epoch FROM t0) * 1000) AND floor(extract(epoch FROM t1) * 1000)), 2::bigint,
          '... whose first 48 bits are the mint''s time in Unix milliseconds');
SELECT cmp_ok((SELECT id FROM v7_minted WHERE k = 1), '<', (SELECT id FROM v7_minted WHERE k = 2),
              '... so an id minted later sorts later');

-- ---------------------------------------------------------------- grants and definer-ness
SELECT is_definer('cl', 'fn_register_company', ARRAY['text','text','text','text','text'], 'fn_register_company is SECURITY DEFINER');
SELECT is_definer('outreach', 'fn_mint_outreach_id', ARRAY['text'], 'fn_mint_outreach_id is SECURITY DEFINER');
SELECT function_privs_are('outreach', 'fn_mint_outreach_id', ARRAY['text'], 'outreach_hub_writer', ARRAY['EXECUTE'],
                          'hub_writer may mint');
SELECT function_privs_are('outreach', 'fn_mint_outreach_id', ARRAY['text'], 'outreach_reader', ARRAY[]::text[],
                          'reader may not mint');
SELECT function_privs_are('cl', 'fn_register_company', ARRAY['text','text','text','text','text'], 'outreach_cl_authority',
                          ARRAY['EXECUTE'], 'CL authority may register');
SELECT function_privs_are('cl', 'fn_register_company', ARRAY['text','text','text','text','text'], 'outreach_hub_writer',
                          ARRAY[]::text[], 'hub_writer may not register companies');
SELECT table_privs_are('cl', 'company_identity', 'outreach_reader', ARRAY[]::text[], 'reader has no raw access to CL');
SELECT table_privs_are('outreach', 'outreach', 'outreach_hub_writer', ARRAY['SELECT'], 'hub_writer only reads the spine');

SELECT * FROM finish();
ROLLBACK;
