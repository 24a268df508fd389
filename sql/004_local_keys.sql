-- Keys that a night inserts into in one place, not all over the index.
--
-- The rating state of a night is written for recent buckets and the current
-- month, but the keys of bucket_state and allowance_state began with the
-- order or the account: every night's rows landed on random pages of indexes
-- that grow with the history, which made a night slower as the year went on
-- (the pages no longer fit in memory). Leading with the bucket, or the
-- period, keeps each night's inserts together at the end of the index; the
-- same keys serve every lookup (the opening state of a run reads recent
-- buckets and the current period; plan_balances looks up one order's month),
-- and the separate indexes on (kind, bucket) and (period) become redundant.
-- draws_order, on draws(order_id), served no query (draws are read by
-- period and account, or whole by billrun verify) and was random as well.

ALTER TABLE billing.bucket_state DROP CONSTRAINT bucket_state_pkey;
ALTER TABLE billing.bucket_state ADD PRIMARY KEY (kind, bucket, order_id, batch_id);
DROP INDEX billing.bucket_state_recent;

ALTER TABLE billing.allowance_state DROP CONSTRAINT allowance_state_pkey;
ALTER TABLE billing.allowance_state ADD PRIMARY KEY (period, account_id, item, batch_id);
DROP INDEX billing.allowance_state_period;

DROP INDEX billing.draws_order;
