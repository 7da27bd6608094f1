-- outreach.blog attaches to a Company Target (SPEC §2): mismatched ids raise OG006.
CREATE OR REPLACE TRIGGER trg_blog_010_attachment
    BEFORE INSERT OR UPDATE ON outreach.blog
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_subhub_attachment();
ALTER TABLE outreach.blog ENABLE ALWAYS TRIGGER trg_blog_010_attachment;
