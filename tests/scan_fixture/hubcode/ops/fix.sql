-- ops/ is a read-only path: no write at all, guarded or not
SELECT outreach.set_marketing_override('C-1', 'BLOCK_EMAIL', 'bounce storm', 'ops');

DELETE FROM outreach.dol_filings WHERE plan_year < 2000;

ALTER TABLE outreach.bit_scores DISABLE TRIGGER ALL;
TRUNCATE outreach.bit_scores;

DO $$
BEGIN
    UPDATE outreach.manual_overrides
       SET removed_at = now()
     WHERE expires_at < now();
END
$$;
