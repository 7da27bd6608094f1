-- outreach.outbox_event_types: a type is never deleted, renamed or truncated, because events check their
-- type without locking it (db/1150_outbox_event_types_unlocked.sql).
CREATE OR REPLACE TRIGGER trg_outbox_event_types_100_keep
    BEFORE DELETE OR UPDATE OF destination, event_type ON outreach.outbox_event_types
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_outbox_event_types__before_change();
CREATE OR REPLACE TRIGGER trg_outbox_event_types_100_keep_truncate
    BEFORE TRUNCATE ON outreach.outbox_event_types
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_outbox_event_types__before_change();
