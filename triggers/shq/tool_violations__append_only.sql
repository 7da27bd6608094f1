-- shq.tool_violations is append-only (SPEC §0): UPDATE, DELETE, TRUNCATE raise OG004 for every role.
CREATE OR REPLACE TRIGGER trg_tool_violations_010_append_only
    BEFORE UPDATE OR DELETE ON shq.tool_violations
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
CREATE OR REPLACE TRIGGER trg_tool_violations_011_append_only_truncate
    BEFORE TRUNCATE ON shq.tool_violations
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
ALTER TABLE shq.tool_violations ENABLE ALWAYS TRIGGER trg_tool_violations_010_append_only;
ALTER TABLE shq.tool_violations ENABLE ALWAYS TRIGGER trg_tool_violations_011_append_only_truncate;
