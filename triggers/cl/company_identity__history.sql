-- cl.company_identity: its state history, cl.company_identity_history (ordinary ENABLE triggers: a session in
-- session_replication_role = replica writes none; db/1300_state_history.sql says why). The key is fixed:
-- trg_company_identity_010_before_write (ENABLE ALWAYS) refuses any change of company_unique_id (OG003).
DO $$
BEGIN
    PERFORM shq._install_state_history('cl.company_identity', 'cl.company_identity_history',
                                       '{company_unique_id}', '{eligibility_status,outreach_id}', '{}', '{insert,update}',
                                       p_keys_fixed => true);
END
$$;
