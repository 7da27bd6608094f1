-- outreach.blog_signals attaches to a Company Target (SPEC §2): mismatched ids raise OG006.
CREATE OR REPLACE TRIGGER trg_blog_signals_010_attachment
    BEFORE INSERT OR UPDATE ON outreach.blog_signals
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_subhub_attachment();
ALTER TABLE outreach.blog_signals ENABLE ALWAYS TRIGGER trg_blog_signals_010_attachment;
