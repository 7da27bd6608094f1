-- outreach.fn_refresh_bit_scores: the sanctioned writer of outreach.bit_scores (docs/reference/bit.md):
-- set-based recomputation of the decayed BIT scores of every company or of a given list.
CREATE OR REPLACE FUNCTION outreach.fn_refresh_bit_scores(
    p_outreach_ids uuid[] DEFAULT NULL,
    p_as_of timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
SET plan_cache_mode = force_generic_plan
-- a sorted aggregate over the covering index beats hashing every signal
SET enable_hashagg = off
AS $$
DECLARE
    v_ids uuid[];
    v_prev_sanction text;
    v_units text;
    v_agg_sql text;
    v_one_sql text;
    v_set_sql text;
    v_full_sql text;
    v_update_sql text;
    v_insert_sql text;
    v_covered bigint;
    v_missing uuid[];
    v_all_missing boolean := false;
    v_inserted uuid[];
    v_inserted_all integer := 0;
    v_rest uuid[];
    v_updated integer := 0;
    v_zeroed integer;
    v_as_of_epoch double precision;
    -- up to this many companies the statements are static (planned once per
    -- session, the types joined): a signal's own refresh costs no planning
    c_small constant integer := 64;
BEGIN
    IF p_as_of IS NULL OR NOT isfinite(p_as_of) THEN
        RAISE EXCEPTION 'as_of must be a finite timestamp, got %', coalesce(p_as_of::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass the instant to score at (the default is now()).';
    END IF;
    IF p_outreach_ids IS NOT NULL THEN
        SELECT array_agg(DISTINCT x.id ORDER BY x.id) INTO v_ids
          FROM unnest(p_outreach_ids) AS x(id)
         WHERE x.id IS NOT NULL;
        IF v_ids IS NULL THEN
            RETURN 0;  -- an empty list refreshes nothing (NULL means all)
        END IF;
    END IF;

    v_as_of_epoch := date_part('epoch', p_as_of);
    v_prev_sanction := shq.fn_sanction_add('outreach.bit_scores');

    IF v_ids IS NULL OR cardinality(v_ids) > c_small THEN
        -- The signals aggregated per company: decay inlined, no per-row call of
        -- a function of ours, no join with the types (their half-lives are a
        -- CASE), the per-signal values precomputed (points_nano, occurred_epoch)
        -- and read from the covering index bit_signals_scoring_idx in company
        -- order (an index-only scan feeding a sorted aggregate: no hash table
        -- of a million signals). Every company: the full refresh. The BIT
        -- functions used here are single SQL expressions: the planner inlines
        -- them, so this is the arithmetic itself, with no call per signal.
        v_units := format('outreach._bit_units(s.points_nano, outreach._bit_decay_factor($3, s.occurred_epoch, %s))',
                          outreach._bit_divisor_sql());
        v_agg_sql := format($q$
            SELECT s.outreach_id,
                   outreach._bit_score(sum(%1$s)) AS score,
                   count(*)::integer AS signal_count,
                   max(s.occurred_at) AS last_signal_at
              FROM outreach.bit_signals s
             WHERE s.occurred_at OPERATOR(pg_catalog.<=) $1
             GROUP BY s.outreach_id
            $q$, v_units);
        -- The same for one company (the column named by %2$s), for the lists:
        -- one index range per listed company, however many signals the
        -- others have (a list filter on the whole index reads them all).
        -- Always one row: score 0, no signal, for a company without any.
        v_one_sql := $q$
            SELECT outreach._bit_score(sum(%1$s)) AS score,
                   count(*)::integer AS signal_count,
                   max(s.occurred_at) AS last_signal_at
              FROM outreach.bit_signals s
             WHERE s.outreach_id OPERATOR(pg_catalog.=) %2$s
               AND s.occurred_at OPERATOR(pg_catalog.<=) $1
            $q$;
        v_set_sql := $q$
               SET score = x.score,
                   score_tier = outreach.fn_score_tier(x.score),
                   signal_count = x.signal_count,
                   last_signal_at = x.last_signal_at,
                   as_of = $1,
                   computed_at = now()
            $q$;
        -- everything: rewrite the rows of companies with a signal up to as_of
        -- straight from the aggregate (the rest is handled below, rarely)
        v_full_sql := format($q$
            UPDATE outreach.bit_scores b %1$s
              FROM (%2$s) x
             WHERE b.outreach_id OPERATOR(pg_catalog.=) x.outreach_id
            $q$, v_set_sql, v_agg_sql);
        -- some companies ($2): rewrite each existing row, score 0 without a
        -- signal, visiting rows in physical order (ORDER BY ctid): HOT updates
        v_update_sql := format($q$
            UPDATE outreach.bit_scores b %1$s
              FROM (SELECT b2.ctid AS row_id, a.score, a.signal_count, a.last_signal_at
                      FROM outreach.bit_scores b2
                     CROSS JOIN LATERAL (%2$s) a
                     WHERE b2.outreach_id OPERATOR(pg_catalog.=) ANY ($2)
                     ORDER BY b2.ctid) x
             WHERE b.ctid OPERATOR(pg_catalog.=) x.row_id
            $q$, v_set_sql, format(v_one_sql, v_units, 'b2.outreach_id'));
        -- insert the rows of companies ($2) that have none, in key order;
        -- returns the companies it inserted (one being inserted concurrently
        -- makes us wait for it, then skip it)
        v_insert_sql := format($q$
            WITH ins AS (
                INSERT INTO outreach.bit_scores AS b
                       (outreach_id, company_unique_id, score, score_tier, signal_count, last_signal_at, as_of, computed_at)
                SELECT o.outreach_id, o.company_unique_id, a.score, outreach.fn_score_tier(a.score),
                       a.signal_count, a.last_signal_at, $1, now()
                  FROM outreach.outreach o
                 CROSS JOIN LATERAL (%1$s) a
                 WHERE o.outreach_id OPERATOR(pg_catalog.=) ANY ($2)
                 ORDER BY o.outreach_id
                ON CONFLICT (outreach_id) DO NOTHING
                RETURNING b.outreach_id)
            SELECT array_agg(ins.outreach_id) FROM ins
            $q$, format(v_one_sql, v_units, 'o.outreach_id'));
    END IF;

    -- Two refreshes of one company must not interleave: each computes from
    -- its own snapshot, so the later writer could store a score that misses
    -- the earlier one's signals. So every refresh first locks what it will
    -- rewrite, then computes in a newer snapshot (READ COMMITTED), which sees
    -- every signal committed by a transaction it waited for.
    IF v_ids IS NULL THEN
        -- everything: one self-exclusive table lock (readers never wait;
        -- it waits for, and then excludes, every other writer of bit_scores)
        LOCK TABLE outreach.bit_scores IN SHARE ROW EXCLUSIVE MODE;
        EXECUTE v_full_sql USING p_as_of, NULL::uuid[], v_as_of_epoch;  -- $2 unused
        GET DIAGNOSTICS v_updated = ROW_COUNT;
        -- every spine company has a row and a signal: done (the usual case);
        -- otherwise score 0 for rows without a signal up to as_of, and
        -- insert the rows of companies that have none
        SELECT count(*) INTO v_covered FROM outreach.outreach o;
        IF v_updated < v_covered THEN
            UPDATE outreach.bit_scores b
               SET score = 0.00, score_tier = outreach.fn_score_tier(0.00), signal_count = 0, last_signal_at = NULL,
                   as_of = p_as_of, computed_at = now()
             WHERE NOT EXISTS (SELECT 1 FROM outreach.bit_signals s
                                WHERE s.outreach_id = b.outreach_id AND s.occurred_at <= p_as_of);
            GET DIAGNOSTICS v_zeroed = ROW_COUNT;
            v_updated := v_updated + v_zeroed;
            IF v_updated = 0 AND NOT EXISTS (SELECT 1 FROM outreach.bit_scores) THEN
                -- no row at all (the first refresh after a load into an
                -- empty database): every spine company is new, so no list
                -- of a million ids to build and hash; the insert below takes
                -- every spine company (a NULL list)
                v_missing := NULL;
                v_all_missing := true;
            ELSE
                SELECT array_agg(o.outreach_id) INTO v_missing
                  FROM outreach.outreach o
                 WHERE NOT EXISTS (SELECT 1 FROM outreach.bit_scores b WHERE b.outreach_id = o.outreach_id);
            END IF;
            IF v_all_missing OR cardinality(v_missing) > v_covered / 10 THEN
                -- many new companies (the first refresh after a bulk load):
                -- their rows straight from the aggregate of every company,
                -- not one index range each. The table lock keeps out every
                -- other writer, so no row can appear in between.
                EXECUTE format($q$
                    INSERT INTO outreach.bit_scores
                           (outreach_id, company_unique_id, score, score_tier, signal_count, last_signal_at, as_of, computed_at)
                    SELECT o.outreach_id, o.company_unique_id, coalesce(x.score, 0.00),
                           outreach.fn_score_tier(coalesce(x.score, 0.00)), coalesce(x.signal_count, 0), x.last_signal_at, $1, now()
                      FROM outreach.outreach o
                      LEFT JOIN (%1$s) x ON x.outreach_id OPERATOR(pg_catalog.=) o.outreach_id
                     WHERE $2 IS NULL OR o.outreach_id OPERATOR(pg_catalog.=) ANY ($2)
                    $q$, v_agg_sql) USING p_as_of, v_missing, v_as_of_epoch;
                GET DIAGNOSTICS v_inserted_all = ROW_COUNT;
            ELSIF v_missing IS NOT NULL THEN
                EXECUTE v_insert_sql INTO v_inserted USING p_as_of, v_missing, v_as_of_epoch;
            END IF;
        END IF;
    ELSE
        -- some companies: row locks, so refreshes of other companies (and
        -- parallel loaders) never wait for each other. ROW EXCLUSIVE first:
        -- a full refresh waits for us instead of deadlocking with our row locks.
        LOCK TABLE outreach.bit_scores IN ROW EXCLUSIVE MODE;
        -- a. companies without a row: insert it, computed (the unique key
        --    serialises two first refreshes of one company)
        SELECT array_agg(o.outreach_id) INTO v_missing
          FROM outreach.outreach o
         WHERE o.outreach_id = ANY (v_ids)
           AND NOT EXISTS (SELECT 1 FROM outreach.bit_scores b WHERE b.outreach_id = o.outreach_id);
        IF cardinality(v_missing) > c_small THEN
            EXECUTE v_insert_sql INTO v_inserted USING p_as_of, v_missing, v_as_of_epoch;
        ELSIF v_missing IS NOT NULL THEN
            -- the same statement, static (outreach._bit_totals: the types joined)
            WITH ins AS (
                INSERT INTO outreach.bit_scores AS b
                       (outreach_id, company_unique_id, score, score_tier, signal_count, last_signal_at, as_of, computed_at)
                SELECT o.outreach_id, o.company_unique_id, x.score, outreach.fn_score_tier(x.score),
                       coalesce(a.signal_count, 0), a.last_signal_at, p_as_of, now()
                  FROM outreach.outreach o
                  LEFT JOIN outreach._bit_totals(v_missing, p_as_of) a ON a.outreach_id = o.outreach_id
                 CROSS JOIN LATERAL (SELECT outreach._bit_score(a.units) AS score) x
                 WHERE o.outreach_id = ANY (v_missing)
                 ORDER BY o.outreach_id
                ON CONFLICT (outreach_id) DO NOTHING
                RETURNING b.outreach_id)
            SELECT array_agg(ins.outreach_id) INTO v_inserted FROM ins;
        END IF;
        -- b. the others: lock their rows in key order, then c. recompute them
        v_rest := CASE WHEN v_inserted IS NULL THEN v_ids
                       ELSE ARRAY(SELECT unnest(v_ids) EXCEPT SELECT unnest(v_inserted)) END;
        IF cardinality(v_rest) > 0 THEN
            PERFORM count(*)
               FROM (SELECT 1 FROM outreach.bit_scores b
                      WHERE b.outreach_id = ANY (v_rest)
                      ORDER BY b.outreach_id
                        FOR NO KEY UPDATE) l;
            IF cardinality(v_rest) > c_small THEN
                EXECUTE v_update_sql USING p_as_of, v_rest, v_as_of_epoch;
            ELSE
                UPDATE outreach.bit_scores b
                   SET score = x.score,
                       score_tier = outreach.fn_score_tier(x.score),
                       signal_count = x.signal_count,
                       last_signal_at = x.last_signal_at,
                       as_of = p_as_of,
                       computed_at = now()
                  FROM (SELECT b2.outreach_id,
                               outreach._bit_score(a.units) AS score,
                               coalesce(a.signal_count, 0) AS signal_count,
                               a.last_signal_at
                          FROM outreach.bit_scores b2
                          LEFT JOIN outreach._bit_totals(v_rest, p_as_of) a ON a.outreach_id = b2.outreach_id
                         WHERE b2.outreach_id = ANY (v_rest)) x
                 WHERE b.outreach_id = x.outreach_id;
            END IF;
            GET DIAGNOSTICS v_updated = ROW_COUNT;
        END IF;
    END IF;

    v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
    RETURN v_updated + coalesce(cardinality(v_inserted), 0) + v_inserted_all;
END
$$;
COMMENT ON FUNCTION outreach.fn_refresh_bit_scores(uuid[], timestamptz) IS
    'Sanctioned writer of outreach.bit_scores: recomputes, set-based, the decayed BIT score of every spine company (NULL) or of the listed outreach_ids (ids not in the spine are skipped; an empty list does nothing) as of p_as_of, and upserts one row per company; returns the rows written. 22023 for a NULL or infinite as_of (docs/reference/bit.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_refresh_bit_scores(uuid[], timestamptz) TO outreach_hub_writer;
