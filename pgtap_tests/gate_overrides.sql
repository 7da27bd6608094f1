-- Kill switch: set / replace / remove overrides, their audit rows in the
-- same transaction, every validation case (code raised, nothing changed), the
-- one-active-per-type rule, read-time expiry, the sovereign guard and the roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(80);
\ir fixtures/company.sql

-- ---------------------------------------------------------------- helpers
CREATE FUNCTION pg_temp.counts() RETURNS text LANGUAGE sql AS $f$
    SELECT (SELECT count(*) FROM outreach.manual_overrides) || '/' || (SELECT count(*) FROM outreach.override_audit_log);
$f$;

SELECT pg_temp.mk_company(c, 0) FROM unnest(ARRAY['KS-A', 'KS-B', 'KS-C', 'KS-D', 'KS-E']) AS c;
SELECT cl.fn_register_company('KS-CL-ONLY', 'CL only', 'cl-only.example.com');   -- in CL, no spine row

-- ---------------------------------------------------------------- shape
SELECT has_function('outreach', 'set_marketing_override',
                    ARRAY['text', 'text', 'text', 'text', 'integer', 'timestamp with time zone'], 'set_marketing_override exists');
SELECT is_definer('outreach', 'set_marketing_override',
                  ARRAY['text', 'text', 'text', 'text', 'integer', 'timestamp with time zone'], 'set_marketing_override is SECURITY DEFINER');
SELECT function_returns('outreach', 'set_marketing_override',
                        ARRAY['text', 'text', 'text', 'text', 'integer', 'timestamp with time zone'], 'uuid', '... returns uuid');
SELECT has_function('outreach', 'remove_marketing_override', ARRAY['text', 'text', 'text', 'text'], 'remove_marketing_override exists');
SELECT is_definer('outreach', 'remove_marketing_override', ARRAY['text', 'text', 'text', 'text'], 'remove_marketing_override is SECURITY DEFINER');
SELECT function_returns('outreach', 'remove_marketing_override', ARRAY['text', 'text', 'text', 'text'], 'integer', '... returns integer');

-- vw_marketing_eligibility_with_overrides aggregates a company's active
-- overrides without DISTINCT or FILTER: these two give the same answers
SELECT is(pg_get_indexdef('outreach.manual_overrides_one_active_idx'::regclass),
          'CREATE UNIQUE INDEX manual_overrides_one_active_idx ON outreach.manual_overrides USING btree (company_unique_id, override_type) WHERE (removed_at IS NULL)',
          'at most one not-removed override of a type per company (the view lists each active type once)');
SELECT is((SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.conrelid = 'outreach.manual_overrides'::regclass AND c.conname = 'manual_overrides_cap_only_for_force_tier'),
          'CHECK (((override_type = ''FORCE_TIER''::text) = (tier_cap IS NOT NULL)))',
          'only a FORCE_TIER override carries a tier cap (the view''s lowest cap is a FORCE_TIER cap)');

-- ---------------------------------------------------------------- set
SELECT outreach.set_marketing_override('KS-A', 'BLOCK_EMAIL', 'customer asked', 'ops-alice') AS first_id \gset
SELECT results_eq(
    $$SELECT company_unique_id, override_type, tier_cap, reason, created_by, expires_at, removed_at
        FROM outreach.manual_overrides WHERE override_id = '$$ || :'first_id' || $$'$$,
    $$VALUES ('KS-A'::text, 'BLOCK_EMAIL'::text, NULL::int, 'customer asked'::text, 'ops-alice'::text, NULL::timestamptz, NULL::timestamptz)$$,
    'SET: the override row holds company, type, reason and actor, active');
SELECT results_eq(
    $$SELECT override_id::text, action, override_type, reason, actor FROM outreach.override_audit_log WHERE company_unique_id = 'KS-A'$$,
    $$VALUES ('$$ || :'first_id' || $$'::text, 'SET'::text, 'BLOCK_EMAIL'::text, 'customer asked'::text, 'ops-alice'::text)$$,
    'SET: one SET audit row naming the override');
SELECT is((SELECT marketing_disabled::text || email_blocked::text || phone_blocked::text || has_active_override::text
             || array_to_string(active_override_types, ',')
             FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'KS-A'),
          'falsetruefalsetrueBLOCK_EMAIL', 'the authoritative view shows the BLOCK_EMAIL');
SELECT is((SELECT count(*)::int FROM outreach.vw_active_overrides WHERE company_unique_id = 'KS-A'), 1,
          'vw_active_overrides lists it');

-- ---------------------------------------------------------------- replace
SELECT outreach.set_marketing_override('KS-A', 'BLOCK_EMAIL', 'second thoughts', 'ops-bob') AS second_id \gset
SELECT isnt(:'second_id'::uuid, :'first_id'::uuid, 'REPLACE: a new override id');
SELECT is((SELECT count(*)::int FROM outreach.manual_overrides
            WHERE company_unique_id = 'KS-A' AND override_type = 'BLOCK_EMAIL' AND removed_at IS NULL), 1,
          'REPLACE: still exactly one active BLOCK_EMAIL');
SELECT results_eq(
    $$SELECT removed_by, remove_reason, removed_at IS NOT NULL FROM outreach.manual_overrides WHERE override_id = '$$ || :'first_id' || $$'$$,
    $$VALUES ('ops-bob'::text, 'replaced by $$ || :'second_id' || $$'::text, true)$$,
    'REPLACE: the old row is removed by the new actor, "replaced by <new id>"');
SELECT results_eq(
    $$SELECT action, override_id::text, reason FROM outreach.override_audit_log
       WHERE company_unique_id = 'KS-A' ORDER BY audit_id$$,
    $$VALUES ('SET'::text, '$$ || :'first_id' || $$'::text, 'customer asked'::text),
             ('REMOVE', '$$ || :'first_id' || $$', 'replaced by $$ || :'second_id' || $$'),
             ('REPLACE', '$$ || :'second_id' || $$', 'second thoughts')$$,
    'REPLACE: a REMOVE row for the old and a REPLACE row naming the new (docs/reference/gate.md)');
SELECT is((SELECT count(DISTINCT l.occurred_at)::int FROM outreach.override_audit_log l
            WHERE l.company_unique_id = 'KS-A' AND l.action IN ('REMOVE', 'REPLACE')), 1,
          'REPLACE: both audit rows carry the same change timestamp');
SELECT is((SELECT created_at FROM outreach.manual_overrides WHERE override_id = :'second_id'),
          (SELECT removed_at FROM outreach.manual_overrides WHERE override_id = :'first_id'),
          'REPLACE: the new row starts when the old one ends');

-- other types are independent
SELECT outreach.set_marketing_override('KS-A', 'BLOCK_PHONE', 'no calls', 'ops-alice');
SELECT outreach.set_marketing_override('KS-A', 'FORCE_TIER', 'hold back', 'ops-alice', 0);
SELECT is((SELECT count(*)::int FROM outreach.manual_overrides WHERE company_unique_id = 'KS-A' AND removed_at IS NULL), 3,
          'one active override per type: three types, three active rows');
SELECT is((SELECT array_to_string(active_override_types, ',') FROM outreach.vw_marketing_eligibility_with_overrides
            WHERE company_unique_id = 'KS-A'), 'BLOCK_EMAIL,BLOCK_PHONE,FORCE_TIER', 'the view lists the three types');

-- ---------------------------------------------------------------- remove
SELECT is(outreach.remove_marketing_override('KS-A', 'BLOCK_EMAIL', 'resolved', 'ops-carol'), 1, 'REMOVE returns 1');
SELECT results_eq(
    $$SELECT removed_by, remove_reason, removed_at IS NOT NULL FROM outreach.manual_overrides WHERE override_id = '$$ || :'second_id' || $$'$$,
    $$VALUES ('ops-carol'::text, 'resolved'::text, true)$$,
    'REMOVE: removed_by, remove_reason, removed_at set');
SELECT results_eq(
    $$SELECT action, override_id::text, actor, reason FROM outreach.override_audit_log
       WHERE company_unique_id = 'KS-A' ORDER BY audit_id DESC LIMIT 1$$,
    $$VALUES ('REMOVE'::text, '$$ || :'second_id' || $$'::text, 'ops-carol'::text, 'resolved'::text)$$,
    'REMOVE: a REMOVE audit row');
SELECT pg_temp.counts() AS before_noop \gset
SELECT is(outreach.remove_marketing_override('KS-A', 'BLOCK_EMAIL', 'again', 'ops-carol'), 0, 'REMOVE with nothing active returns 0');
SELECT is(pg_temp.counts(), :'before_noop', '... and writes nothing');
SELECT is(outreach.remove_marketing_override('KS-B', 'BLOCK_OUTREACH', 'never set', 'ops-carol'), 0,
          'REMOVE on a company without overrides returns 0');
SELECT is((SELECT email_blocked FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'KS-A'), false,
          'after REMOVE the view no longer blocks email');
SELECT is(outreach.remove_marketing_override('KS-CL-ONLY', 'BLOCK_EMAIL', 'r', 'a'), 0,
          'a company in CL without a spine row is known: REMOVE returns 0');

-- ---------------------------------------------------------------- validation: set
SELECT pg_temp.counts() AS before_bad \gset
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_EMAIL', '', 'acc')$$, '22023', NULL, 'set: empty reason 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_EMAIL', E' \t\n', 'acc')$$, '22023', NULL, 'set: whitespace reason 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_EMAIL', NULL, 'acc')$$, '22023', NULL, 'set: NULL reason 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_EMAIL', 'ok', '')$$, '22023', NULL, 'set: empty actor 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_EMAIL', 'ok', '   ')$$, '22023', NULL, 'set: whitespace actor 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_EMAIL', 'ok', NULL)$$, '22023', NULL, 'set: NULL actor 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_SMS', 'ok', 'acc')$$, '22023', NULL, 'set: unknown type 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'block_email', 'ok', 'acc')$$, '22023', NULL, 'set: lower-case type 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', NULL, 'ok', 'acc')$$, '22023', NULL, 'set: NULL type 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'FORCE_TIER', 'ok', 'acc')$$, '22023', NULL, 'set: FORCE_TIER without a cap 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'FORCE_TIER', 'ok', 'acc', 4)$$, '22023', NULL, 'set: cap 4 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'FORCE_TIER', 'ok', 'acc', -2)$$, '22023', NULL, 'set: cap -2 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_EMAIL', 'ok', 'acc', 1)$$, '22023', NULL, 'set: a cap on BLOCK_EMAIL 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_EMAIL', 'ok', 'acc', NULL, now() - interval '1 minute')$$,
                 '22023', NULL, 'set: expiry in the past 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-B', 'BLOCK_EMAIL', 'ok', 'acc', NULL, now())$$,
                 '22023', NULL, 'set: expiry = now (not in the future) 22023');
SELECT throws_ok($$SELECT outreach.set_marketing_override(NULL, 'BLOCK_EMAIL', 'ok', 'acc')$$, 'OG001', NULL, 'set: NULL company OG001');
SELECT throws_ok($$SELECT outreach.set_marketing_override('  ', 'BLOCK_EMAIL', 'ok', 'acc')$$, 'OG001', NULL, 'set: blank company OG001');
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-NOPE', 'BLOCK_EMAIL', 'ok', 'acc')$$, 'OG002', NULL, 'set: unknown company OG002');
SELECT is(pg_temp.counts(), :'before_bad', 'bad set input changed no override and wrote no audit row');

-- ---------------------------------------------------------------- validation: remove
SELECT outreach.set_marketing_override('KS-B', 'BLOCK_OUTREACH', 'incident', 'ops') AS b_id \gset
SELECT pg_temp.counts() AS before_bad_rm \gset
SELECT throws_ok($$SELECT outreach.remove_marketing_override(NULL, 'BLOCK_OUTREACH', 'ok', 'acc')$$, 'OG001', NULL, 'remove: NULL company OG001');
SELECT throws_ok($$SELECT outreach.remove_marketing_override('', 'BLOCK_OUTREACH', 'ok', 'acc')$$, 'OG001', NULL, 'remove: blank company OG001');
SELECT throws_ok($$SELECT outreach.remove_marketing_override('KS-B', 'BLOCK_ALL', 'ok', 'acc')$$, '22023', NULL, 'remove: unknown type 22023');
SELECT throws_ok($$SELECT outreach.remove_marketing_override('KS-B', 'BLOCK_OUTREACH', ' ', 'acc')$$, '22023', NULL, 'remove: blank reason 22023');
SELECT throws_ok($$SELECT outreach.remove_marketing_override('KS-B', 'BLOCK_OUTREACH', 'ok', NULL)$$, '22023', NULL, 'remove: NULL actor 22023');
SELECT throws_ok($$SELECT outreach.remove_marketing_override('KS-NOPE', 'BLOCK_OUTREACH', 'ok', 'acc')$$, 'OG002', NULL, 'remove: unknown company OG002');
SELECT is(pg_temp.counts(), :'before_bad_rm', 'bad remove input changed nothing');
SELECT is((SELECT removed_at FROM outreach.manual_overrides WHERE override_id = :'b_id'), NULL, '... the override is still active');

-- ---------------------------------------------------------------- expiry at read time
SELECT outreach.set_marketing_override('KS-C', 'BLOCK_EMAIL', 'for a while', 'ops', NULL, now() + interval '1 day') AS c_id \gset
SELECT is((SELECT email_blocked FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'KS-C'), true,
          'an override expiring tomorrow blocks today');
-- a row that expired yesterday (only the owner, sanctioned, can write one: the setter refuses past expiries)
SET LOCAL ROLE outreach_owner;
SELECT shq.fn_sanction('outreach.manual_overrides');
INSERT INTO outreach.manual_overrides (company_unique_id, override_type, reason, created_by, created_at, expires_at)
VALUES ('KS-D', 'BLOCK_PHONE', 'old incident', 'ops', now() - interval '2 days', now() - interval '1 day');
SELECT shq.fn_sanction('');
RESET ROLE;
SELECT is((SELECT phone_blocked::text || has_active_override::text FROM outreach.vw_marketing_eligibility_with_overrides
            WHERE company_unique_id = 'KS-D'), 'falsefalse', 'an expired override is inactive at read time, no job needed');
SELECT is((SELECT count(*)::int FROM outreach.vw_active_overrides WHERE company_unique_id = 'KS-D'), 0,
          'vw_active_overrides leaves the expired one out');
SELECT is(outreach.remove_marketing_override('KS-D', 'BLOCK_PHONE', 'cleanup', 'ops'), 0,
          'REMOVE does not count an expired override (none active)');
SELECT outreach.set_marketing_override('KS-D', 'BLOCK_PHONE', 'new incident', 'ops') AS d_id \gset
SELECT is((SELECT count(*)::int FROM outreach.manual_overrides WHERE company_unique_id = 'KS-D' AND removed_at IS NULL), 1,
          'setting the type again closes the expired leftover: one not-removed row');
SELECT is((SELECT action FROM outreach.override_audit_log WHERE override_id = :'d_id'), 'SET',
          '... and the new one is a SET (nothing active was replaced)');
SELECT is((SELECT remove_reason FROM outreach.manual_overrides WHERE company_unique_id = 'KS-D' AND override_id <> :'d_id'),
          'replaced by ' || :'d_id', '... the leftover is marked replaced by the new id');

-- ---------------------------------------------------------------- the database enforces one active row per type
SET LOCAL ROLE outreach_owner;
SELECT shq.fn_sanction('outreach.manual_overrides');
SELECT throws_ok($$INSERT INTO outreach.manual_overrides (company_unique_id, override_type, reason, created_by)
                   VALUES ('KS-C', 'BLOCK_EMAIL', 'dup', 'ops')$$,
                 '23505', NULL, 'a second not-removed override of one type is refused by the partial unique index');
SELECT throws_ok($$INSERT INTO outreach.manual_overrides (company_unique_id, override_type, reason, created_by, tier_cap)
                   VALUES ('KS-E', 'FORCE_TIER', 'x', 'ops', 5)$$,
                 '23514', NULL, 'a tier cap outside -1..3 is refused by the table too');
SELECT shq.fn_sanction('');
RESET ROLE;

-- ---------------------------------------------------------------- sovereign guard
SELECT throws_ok($$INSERT INTO outreach.manual_overrides (company_unique_id, override_type, reason, created_by)
                   VALUES ('KS-E', 'BLOCK_EMAIL', 'direct', 'me')$$, 'OG005', NULL, 'direct INSERT (superuser) raises OG005');
SELECT throws_ok($$UPDATE outreach.manual_overrides SET removed_at = now(), removed_by = 'me' WHERE company_unique_id = 'KS-C'$$,
                 'OG005', NULL, 'direct UPDATE raises OG005');
SELECT throws_ok($$DELETE FROM outreach.manual_overrides WHERE company_unique_id = 'KS-C'$$, 'OG005', NULL, 'direct DELETE raises OG005');
SELECT throws_ok($$TRUNCATE outreach.manual_overrides$$, 'OG005', NULL, 'TRUNCATE raises OG005');
SELECT throws_ok($$TRUNCATE outreach.override_audit_log$$, 'OG004', NULL, 'TRUNCATE of the override audit log raises OG004');
SELECT throws_ok($$UPDATE outreach.override_audit_log SET reason = 'rewritten'$$, 'OG004', NULL, 'the override audit log is append-only');

-- ---------------------------------------------------------------- roles
SET LOCAL ROLE outreach_override_admin;
SELECT lives_ok($$SELECT outreach.set_marketing_override('KS-E', 'BLOCK_OUTREACH', 'incident', 'admin')$$,
                'override_admin can set');
SELECT is(outreach.remove_marketing_override('KS-E', 'BLOCK_OUTREACH', 'fixed', 'admin'), 1, 'override_admin can remove');
SELECT throws_ok($$INSERT INTO outreach.manual_overrides (company_unique_id, override_type, reason, created_by)
                   VALUES ('KS-E', 'BLOCK_EMAIL', 'direct', 'me')$$, '42501', NULL, 'override_admin cannot write the table directly');
RESET ROLE;
SET LOCAL ROLE outreach_sender;
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-E', 'BLOCK_OUTREACH', 'x', 'sender')$$, '42501', NULL,
                 'sender cannot set overrides (42501)');
SELECT throws_ok($$SELECT outreach.remove_marketing_override('KS-B', 'BLOCK_OUTREACH', 'x', 'sender')$$, '42501', NULL,
                 'sender cannot remove overrides (42501)');
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-E', 'BLOCK_OUTREACH', 'x', 'reader')$$, '42501', NULL,
                 'reader cannot set overrides (42501)');
SELECT throws_ok($$SELECT * FROM outreach.manual_overrides$$, '42501', NULL, 'reader cannot read the raw table');
SELECT lives_ok($$SELECT * FROM outreach.vw_active_overrides$$, 'reader can read vw_active_overrides');
RESET ROLE;
SET LOCAL ROLE outreach_hub_writer;
SELECT throws_ok($$SELECT outreach.set_marketing_override('KS-E', 'BLOCK_OUTREACH', 'x', 'hub')$$, '42501', NULL,
                 'hub_writer cannot set overrides (42501)');
RESET ROLE;
SELECT is((SELECT removed_at FROM outreach.manual_overrides WHERE override_id = :'b_id'), NULL,
          'the refused role calls left KS-B''s override active');

SELECT * FROM finish();
ROLLBACK;
