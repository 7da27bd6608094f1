-- outreach.fn_add_bit_signal: the sanctioned writer of outreach.bit_signals (docs/reference/bit.md):
-- records one buyer-intent signal, idempotent on (outreach_id, signal_type, dedup_key).
CREATE OR REPLACE FUNCTION outreach.fn_add_bit_signal(
    p_company_unique_id text,
    p_signal_type text,
    p_occurred_at timestamptz DEFAULT pg_catalog.now(),
    p_dedup_key text DEFAULT NULL,
    p_points numeric DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_type_points numeric;
    v_points numeric;
    v_dedup_key text;
    v_cl_outreach_id uuid;
    v_spine_outreach_id uuid;
    v_outreach_id uuid;
    v_signal_id bigint;
BEGIN
    -- Every argument is checked before anything is written: bad input changes nothing.
    IF shq.fn_is_blank(p_company_unique_id) THEN
        RAISE EXCEPTION 'company_unique_id must not be NULL or blank'
            USING ERRCODE = 'OG001', HINT = 'Pass the company_unique_id CL issued.';
    END IF;
    IF shq.fn_is_blank(p_signal_type) THEN
        RAISE EXCEPTION 'signal_type must not be NULL or blank'
            USING ERRCODE = '22023',
                  HINT = 'Use a signal_type of outreach.bit_signal_types: '
                         || (SELECT string_agg(t.signal_type, ', ' ORDER BY t.signal_type) FROM outreach.bit_signal_types t) || '.';
    END IF;
    SELECT t.points INTO v_type_points FROM outreach.bit_signal_types t WHERE t.signal_type = p_signal_type;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown signal_type: %', p_signal_type
            USING ERRCODE = '22023',
                  HINT = 'Use a signal_type of outreach.bit_signal_types: '
                         || (SELECT string_agg(t.signal_type, ', ' ORDER BY t.signal_type) FROM outreach.bit_signal_types t) || '.';
    END IF;
    IF p_occurred_at IS NULL OR NOT isfinite(p_occurred_at) THEN
        RAISE EXCEPTION 'occurred_at must be a finite timestamp, got %', coalesce(p_occurred_at::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass when the signal happened (the default is now()).';
    END IF;
    v_points := coalesce(p_points, v_type_points);
    IF v_points < 0 OR v_points > 1000000 OR v_points = 'NaN'::numeric OR scale(v_points) > 9 THEN
        RAISE EXCEPTION 'invalid points: % (signal_type %)', v_points, p_signal_type
            USING ERRCODE = '22023',
                  DETAIL = 'points must lie between 0 and 1000000, with at most 9 decimals',
                  HINT = 'Pass NULL to use the type''s points (' || v_type_points || ').';
    END IF;
    -- A blank key means "no key": such a signal is never deduplicated.
    v_dedup_key := CASE WHEN shq.fn_is_blank(p_dedup_key) THEN NULL ELSE p_dedup_key END;

    -- The company: CL must know it (OG002, never fabricate identity). A CL
    -- company not minted yet gets its outreach_id now, by the Golden Rule.
    SELECT ci.outreach_id, o.outreach_id INTO v_cl_outreach_id, v_spine_outreach_id
      FROM cl.company_identity ci
      LEFT JOIN outreach.outreach o ON o.company_unique_id = ci.company_unique_id
     WHERE ci.company_unique_id = p_company_unique_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'company % is not in cl.company_identity', p_company_unique_id
            USING ERRCODE = 'OG002',
                  HINT = 'Register the company with CL first (cl.fn_register_company); Outreach never fabricates identity.';
    END IF;
    IF v_cl_outreach_id IS NOT NULL AND v_cl_outreach_id = v_spine_outreach_id THEN
        v_outreach_id := v_cl_outreach_id;
    ELSE
        v_outreach_id := outreach.fn_mint_outreach_id(p_company_unique_id);
    END IF;

    -- Idempotent and race-safe: a concurrent caller with the same key waits
    -- on the unique index; when it commits we do nothing and read its row.
    INSERT INTO outreach.bit_signals AS s
           (outreach_id, company_unique_id, signal_type, points, occurred_at, dedup_key)
    VALUES (v_outreach_id, p_company_unique_id, p_signal_type, v_points, p_occurred_at, v_dedup_key)
    ON CONFLICT ON CONSTRAINT bit_signals_dedup_key DO NOTHING
    RETURNING s.signal_id INTO v_signal_id;

    IF v_signal_id IS NULL THEN
        SELECT s.signal_id INTO v_signal_id
          FROM outreach.bit_signals s
         WHERE s.outreach_id = v_outreach_id
           AND s.signal_type = p_signal_type
           AND s.dedup_key = v_dedup_key;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'signal (%, %, %) conflicted but cannot be read', v_outreach_id, p_signal_type, v_dedup_key
                USING ERRCODE = '40001', HINT = 'Retry the transaction.';
        END IF;
    END IF;
    RETURN v_signal_id;
END
$$;
COMMENT ON FUNCTION outreach.fn_add_bit_signal(text, text, timestamptz, text, numeric) IS
    'Sanctioned writer of outreach.bit_signals: records a signal (points default to the type''s) and returns its signal_id; a repeated (company, type, dedup_key) returns the existing id. Mints the outreach_id of a CL company that has none. OG001 blank company, OG002 not in CL, 22023 unknown/blank type, NULL or infinite occurred_at, points outside 0..1000000 (docs/reference/bit.md). The insert refreshes the company''s bit_scores row (statement trigger).';
GRANT EXECUTE ON FUNCTION outreach.fn_add_bit_signal(text, text, timestamptz, text, numeric) TO outreach_hub_writer;
