-- shq.fn_sanction: dropped so that the repeatable pass can create it again as an inlinable SQL function
-- returning text (docs/maintained-eligibility.md).
-- depends: 1740_company_eligibility_one_counts_check
SET LOCAL search_path = pg_catalog, pg_temp;

-- Why: a function is inlined only when its result type is its expression's
-- (set_config's text, not void), and CREATE OR REPLACE cannot change a
-- result type. Every caller calls it by name at run time (PL/pgSQL), so
-- nothing in the catalog depends on it; the repeatable pass that follows
-- every migration creates the new one.
DROP FUNCTION IF EXISTS shq.fn_sanction(text);
