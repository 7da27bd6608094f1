-- outreach.bit_signals: signals inserted by one statement refresh the scores of the companies they touch (docs/reference/bit.md).
CREATE OR REPLACE TRIGGER trg_bit_signals_100_refresh_scores
    AFTER INSERT ON outreach.bit_signals
    REFERENCING NEW TABLE AS new_signals
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_bit_signals__after_insert();
