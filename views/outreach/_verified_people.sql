-- outreach._verified_people: companies with at least one filled people.company_slot
-- seating a people.people_master person whose email is verified (tier 3).
CREATE OR REPLACE VIEW outreach._verified_people AS
SELECT s.company_unique_id
  FROM people.company_slot s
 WHERE s.is_filled
   AND EXISTS (SELECT 1 FROM people.people_master pm
                WHERE pm.slot_id = s.slot_id AND pm.outreach_id = s.outreach_id AND pm.email_verified)
 GROUP BY s.company_unique_id;
COMMENT ON VIEW outreach._verified_people IS
    'Internal: the companies meeting tier 3''s people rule: a verified person in a filled slot (docs/reference/hubs.md).';
