-- outreach.company_target: its state history, outreach.company_target_status_history (ordinary ENABLE triggers: a session in
-- session_replication_role = replica writes none; db/1300_state_history.sql says why).
DO $$
BEGIN
    PERFORM shq._install_state_history('outreach.company_target', 'outreach.company_target_status_history',
                                       '{target_id}', '{outreach_status,status_reason}', '{company_unique_id}', '{insert,update,delete}');
END
$$;
