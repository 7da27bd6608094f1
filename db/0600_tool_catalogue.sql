-- Tool canon catalogue (docs/reference/operations.md): the tools the hubs may call.
-- depends: 0007_tool_canon
--
-- A small, realistic catalogue: free (TIER_0) public sources first, cheap
-- (TIER_1) APIs, surgical (TIER_2) paid enrichment last; one banned vendor and
-- one tool that needs a human approval reference. Ids TOOL-001 upwards; the
-- high ids (TOOL-999 downwards) are left free for tests. hub ids are those of
-- outreach.hub_registry; interaction types READ | WRITE | ENRICH | VALIDATE.

INSERT INTO shq.tool_registry
    (tool_id, tool_name, vendor, tier, allowed_hubs, allowed_interactions,
     required_gate_state, requires_api_key, requires_human_approval, is_banned)
VALUES
    ('TOOL-001', 'DNS MX lookup', 'internal', 'TIER_0',
     '{company-target}', '{READ,VALIDATE}', '{}', false, false, false),
    ('TOOL-002', 'Company website crawler', 'internal', 'TIER_0',
     '{company-target,blog-content}', '{READ}', '{"domain_verified": true}', false, false, false),
    ('TOOL-003', 'DOL EFAST2 Form 5500 dataset', 'U.S. Department of Labor', 'TIER_0',
     '{dol-filings}', '{READ}', '{}', false, false, false),
    ('TOOL-004', 'RSS / news feed reader', 'internal', 'TIER_0',
     '{blog-content,talent-flow}', '{READ}', '{}', false, false, false),
    ('TOOL-005', 'SMTP email verifier', 'MillionVerifier', 'TIER_1',
     '{company-target,people-intelligence}', '{VALIDATE}', '{"mx_present": true}', true, false, false),
    ('TOOL-006', 'Custom Search JSON API', 'Google', 'TIER_1',
     '{blog-content,talent-flow}', '{READ}', '{}', true, false, false),
    ('TOOL-007', 'People search API', 'Apollo.io', 'TIER_1',
     '{people-intelligence,talent-flow}', '{READ,ENRICH}', '{"domain_verified": true}', true, false, false),
    ('TOOL-008', 'Email finder', 'Hunter.io', 'TIER_2',
     '{company-target,people-intelligence}', '{ENRICH}', '{"domain_verified": true, "mx_present": true}',
     true, false, false),
    ('TOOL-009', 'Enrichment waterfall', 'Clay', 'TIER_2',
     '{people-intelligence}', '{ENRICH}', '{"domain_verified": true, "slot_identified": true}',
     true, true, false),
    ('TOOL-010', 'Profile scraper (unofficial LinkedIn scraping library)', 'linkedin-scraper', 'TIER_0',
     '{people-intelligence,talent-flow}', '{READ,ENRICH}', '{}', false, false, true);
