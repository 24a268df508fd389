-- Fewer rows a night, the same facts.
--
-- A night posted about 2.2 rows of rating detail for every usage line, and
-- half of them said again what another row already said:
--
-- * billing.draws held a row for every draw of the free allowance, the
--   balance and the receivable. Those sources have no order, and each such
--   draw is one of the usage line's own columns (free_e8 and free_units,
--   balance_e8, outstanding_e8) at the same grain (batch, account, period,
--   day, item). From this migration on, draws holds plans and coupons only,
--   the sources a line's columns cannot name; the rows earlier batches wrote
--   stay (the tables are append-only) and billrun verify still ties them to
--   their lines.
--
-- * billing.bucket_state held a row per capacity plan and UTC hour. A
--   capacity plan draws every hour it has storage, so that was 24 rows per
--   plan and day. It now holds one row per plan and UTC day that a batch
--   changed (kind 'day', bucket = days since 1970-01-01 UTC), with the use of
--   each of its 24 hours in `hours` (hour h of the day is hours[h + 1]) and
--   their sum in `used`. Hour rows written before stay valid: for each hour,
--   the row of the latest batch wins, whichever of the two forms it has.

ALTER TABLE billing.bucket_state DROP CONSTRAINT bucket_state_kind_check;
ALTER TABLE billing.bucket_state ADD CONSTRAINT bucket_state_kind_check
    CHECK (kind IN ('month', 'hour', 'day'));
ALTER TABLE billing.bucket_state ADD COLUMN hours bigint[];
ALTER TABLE billing.bucket_state ADD CONSTRAINT bucket_state_day_hours
    CHECK ((kind = 'day') = (hours IS NOT NULL)
           AND (hours IS NULL OR (cardinality(hours) = 24 AND array_ndims(hours) = 1
                                  AND array_lower(hours, 1) = 1 AND 0 <= ALL (hours))));

COMMENT ON TABLE billing.bucket_state IS 'Units used of a monthly plan''s quota in a month (kind month, bucket = year*12+month-1), or of a capacity plan''s capacity in the hours of a UTC day (kind day, bucket = days since 1970-01-01 UTC, one value per hour in hours; before sql/006 one row per hour: kind hour, bucket = hours since 1970). The latest batch''s row of a key is current.';
COMMENT ON COLUMN billing.bucket_state.kind IS 'month (monthly plans), day (capacity plans), or hour (capacity plans, batches before sql/006).';
COMMENT ON COLUMN billing.bucket_state.bucket IS 'The month, day or hour number.';
COMMENT ON COLUMN billing.bucket_state.used IS 'Base units used in it (for a day, the sum of its hours).';
COMMENT ON COLUMN billing.bucket_state.hours IS 'kind day only: byte-hours covered in each UTC hour of the day, hours[1] = 00:00-01:00 UTC.';

COMMENT ON TABLE billing.draws IS 'What each plan and coupon paid, per batch, account, period, day and item: the waterfall''s trail of the sources that have an order. The free allowance, the balance and the receivable are the usage line''s free_e8, balance_e8 and outstanding_e8 (batches before sql/006 also wrote them here, as source free, balance and outstanding).';
COMMENT ON COLUMN billing.draws.source IS 'plan or coupon (free, balance or outstanding in batches before sql/006).';
