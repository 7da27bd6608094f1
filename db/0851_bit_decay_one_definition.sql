-- BIT engine (docs/reference/bit.md): the decay arithmetic has one definition, outreach._bit_decay_factor and its
-- inlinable companions (functions/); the SQL-text generator it replaces goes.
-- depends: 0850_guarded_tables
SET LOCAL search_path = pg_catalog, pg_temp;

DROP FUNCTION IF EXISTS outreach._bit_decay_sql(text, text, text);
