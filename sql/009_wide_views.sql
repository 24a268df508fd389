-- View columns wide enough for every quantity and amount the tables hold.
--
-- A usage row may hold up to 2^63 - 1 base units, and a period's line sums
-- up to 31 days of them: 2^63 - 1 requests alone are 19 digits, which
-- invoice_lines.quantity, declared numeric(20, 6), could not show, so one
-- such row made the whole view fail ("numeric field overflow"). The same
-- held for a pool plan of as many requests in plan_balances (numeric(24, 8)),
-- and billing.cny cast to numeric(20, 8), 12 digits of CNY, which a period's
-- trial balance over many accounts could pass. Nothing stored changes: the
-- two views are recreated with 30 digits, and billing.cny no longer casts
-- (round(x, 8) keeps its 8 decimals; a function's declared typmod is not
-- applied to its result anyway, so every view using it is unchanged).

CREATE OR REPLACE FUNCTION billing.cny(e8 numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT round($1 / 100000000, 8) $$;

DROP VIEW billing.invoice_lines;
CREATE VIEW billing.invoice_lines AS
    SELECT l.period, l.account_id, l.item,
           round(sum(l.quantity)::numeric / i.display_divisor, 6)::numeric(30, 6) AS quantity,
           i.display_unit AS unit,
           billing.cny(sum(l.gross_e8)) AS gross, billing.cny(sum(l.free_e8)) AS free,
           billing.cny(sum(l.plan_e8)) AS plan, billing.cny(sum(l.coupon_e8)) AS coupon,
           billing.cny(sum(l.balance_e8)) AS balance,
           billing.cny(sum(l.outstanding_e8)) AS outstanding,
           sum(l.pieces) AS pieces, sum(l.quantity) AS quantity_base, bool_or(l.late) AS late
    FROM billing.usage_lines l JOIN billing.items i USING (item)
    GROUP BY l.period, l.account_id, l.item, i.display_divisor, i.display_unit;
COMMENT ON VIEW billing.invoice_lines IS 'One row per account, period and item with usage: quantity in display units (rounded half up to 6 decimals) and how the gross was paid.';
COMMENT ON COLUMN billing.invoice_lines.period IS 'Invoice period.';
COMMENT ON COLUMN billing.invoice_lines.account_id IS 'Customer.';
COMMENT ON COLUMN billing.invoice_lines.item IS 'Item.';
COMMENT ON COLUMN billing.invoice_lines.quantity IS 'Quantity in display units.';
COMMENT ON COLUMN billing.invoice_lines.unit IS 'Display unit.';
COMMENT ON COLUMN billing.invoice_lines.gross IS 'Gross at list price, CNY.';
COMMENT ON COLUMN billing.invoice_lines.free IS 'Free allowance.';
COMMENT ON COLUMN billing.invoice_lines.plan IS 'Plan deductions.';
COMMENT ON COLUMN billing.invoice_lines.coupon IS 'Coupon deductions.';
COMMENT ON COLUMN billing.invoice_lines.balance IS 'Balance deductions.';
COMMENT ON COLUMN billing.invoice_lines.outstanding IS 'Outstanding.';
COMMENT ON COLUMN billing.invoice_lines.pieces IS 'Priced pieces.';
COMMENT ON COLUMN billing.invoice_lines.quantity_base IS 'Quantity in base units, exact.';
COMMENT ON COLUMN billing.invoice_lines.late IS 'Holds usage dated in a closed period.';

DROP VIEW billing.plan_balances;
CREATE VIEW billing.plan_balances AS
    SELECT o.order_id, o.account_id, o.plan_type, o.unit,
           round(o.face / billing.unit_base(o.unit), 8)::numeric(30, 8) AS face,
           round(coalesce(s.consumed, 0) / billing.unit_base(o.unit), 8)::numeric(30, 8) AS consumed,
           round(CASE
                   WHEN coalesce(s.expired, false) THEN 0
                   WHEN o.plan_type IN ('amount', 'pool') THEN o.face - coalesce(s.consumed, 0)
                   WHEN o.plan_type = 'monthly' THEN o.face - coalesce((
                        SELECT b.used FROM billing.bucket_state b
                        WHERE b.order_id = o.order_id AND b.kind = 'month'
                          AND b.bucket = billing.period_no(a.period)
                        ORDER BY b.batch_id DESC LIMIT 1), 0)
                   ELSE o.face
                 END / billing.unit_base(o.unit), 8)::numeric(30, 8) AS remaining,
           billing.cny(o.paid_e8) AS paid,
           billing.cny(coalesce(s.recognised_e8, 0)) AS recognised,
           billing.cny(coalesce(s.breakage_e8, 0)) AS breakage,
           o.valid_from, o.valid_to,
           CASE WHEN coalesce(s.expired, false) THEN 'expired' ELSE 'active' END AS status,
           o.bundle_id, o.scope
    FROM billing.orders o
    LEFT JOIN billing.order_state_latest s USING (order_id)
    CROSS JOIN billing.as_of a
    WHERE o.kind = 'plan';
COMMENT ON VIEW billing.plan_balances IS 'Resource plans in plan units: consumed is all ever drawn; remaining is face - consumed (amount, pool), what is left this month (monthly), face (valid capacity) and 0 once expired; recognised and breakage in CNY.';
COMMENT ON COLUMN billing.plan_balances.order_id IS 'Plan order.';
COMMENT ON COLUMN billing.plan_balances.account_id IS 'Customer.';
COMMENT ON COLUMN billing.plan_balances.plan_type IS 'amount, pool, monthly or capacity.';
COMMENT ON COLUMN billing.plan_balances.unit IS 'Plan unit.';
COMMENT ON COLUMN billing.plan_balances.face IS 'Face in plan units.';
COMMENT ON COLUMN billing.plan_balances.consumed IS 'Drawn so far (capacity: GB-hours covered).';
COMMENT ON COLUMN billing.plan_balances.remaining IS 'Left (see the view comment).';
COMMENT ON COLUMN billing.plan_balances.paid IS 'Price paid, CNY.';
COMMENT ON COLUMN billing.plan_balances.recognised IS 'Revenue recognised, CNY.';
COMMENT ON COLUMN billing.plan_balances.breakage IS 'Breakage at expiry, CNY.';
COMMENT ON COLUMN billing.plan_balances.valid_from IS 'First valid instant.';
COMMENT ON COLUMN billing.plan_balances.valid_to IS 'First instant no longer valid.';
COMMENT ON COLUMN billing.plan_balances.status IS 'active or expired.';
COMMENT ON COLUMN billing.plan_balances.bundle_id IS 'Bundle.';
COMMENT ON COLUMN billing.plan_balances.scope IS 'Items covered.';
