-- a migration: the sanctioned way to change hub definitions
INSERT INTO outreach.hub_registry (hub_id, hub_name, is_required, prerequisite_hubs, display_order)
VALUES ('intent-feed', 'Intent Feed', false, '{company-target}', 7);
