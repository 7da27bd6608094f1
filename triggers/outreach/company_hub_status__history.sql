-- outreach.company_hub_status: its state history, outreach.company_hub_status_history (ordinary ENABLE triggers: a session in
-- session_replication_role = replica writes none; db/1300_state_history.sql says why).
DO $$
BEGIN
    PERFORM shq._install_state_history('outreach.company_hub_status', 'outreach.company_hub_status_history',
                                       '{company_unique_id,hub_id}', '{status,status_reason}', '{}', '{insert,update,delete}');
END
$$;
