SELECT 1;
UPDATE outreach.bit_scores SET score = WHERE;
