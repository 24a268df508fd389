-- Top-ups by time, for the rating of each run.
--
-- A run takes the top-ups that earlier runs applied and that are dated after
-- its earliest piece out of the opening balance, and adds each back at its
-- own time, so that no piece draws on a top-up dated after it (rules.md 4).
-- It finds them by order_time; without this index that was a scan of every
-- order ever applied, every night.

CREATE INDEX orders_topup_time ON billing.orders (order_time) WHERE kind = 'topup';
COMMENT ON INDEX billing.orders_topup_time IS 'Top-ups by time: those dated after a run''s earliest piece are added back to the balance at their own time.';
