-- shq._check_batch_limits: the batch arguments of a batched archiving job (a positive batch size, a positive
-- or NULL batch count). Raises 22023 naming the value.
CREATE OR REPLACE FUNCTION shq._check_batch_limits(p_batch_size integer, p_max_batches integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_batch_size IS NULL OR p_batch_size < 1 THEN
        RAISE EXCEPTION 'batch size must be a positive integer, got %', coalesce(p_batch_size::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'The default, 10000 rows, bounds the rows each statement locks.';
    END IF;
    IF p_max_batches IS NOT NULL AND p_max_batches < 1 THEN
        RAISE EXCEPTION 'max batches must be NULL (no limit) or positive, got %', p_max_batches
            USING ERRCODE = '22023', HINT = 'NULL runs batches until nothing is left to move.';
    END IF;
END
$$;
COMMENT ON FUNCTION shq._check_batch_limits(integer, integer) IS
    'Private: 22023 when a batched archiving job''s batch size is not positive or its batch count is neither NULL nor positive.';
