-- 002_views: the auditors' views of interfaces.md (amounts in numeric CNY),
-- and the reference table of items they use.

CREATE TABLE billing.items (
    item text PRIMARY KEY,
    item_no smallint NOT NULL UNIQUE,
    display_unit text NOT NULL,
    display_divisor numeric NOT NULL,
    price_divisor numeric NOT NULL,
    plan_unit text NOT NULL,
    revenue_code integer NOT NULL REFERENCES ledger.chart
);
COMMENT ON TABLE billing.items IS 'Billable items (rules.md section 1): units and revenue accounts. Filled by billrun db init from the program''s item table (lib/core/items.c) and checked against it on every init.';
COMMENT ON COLUMN billing.items.item IS 'Item name.';
COMMENT ON COLUMN billing.items.item_no IS 'Bit number in scope masks.';
COMMENT ON COLUMN billing.items.display_unit IS 'Unit of invoice quantities.';
COMMENT ON COLUMN billing.items.display_divisor IS 'Base units per display unit.';
COMMENT ON COLUMN billing.items.price_divisor IS 'Base units per price unit.';
COMMENT ON COLUMN billing.items.plan_unit IS 'Unit of unit-measured plans covering it.';
COMMENT ON COLUMN billing.items.revenue_code IS 'Revenue account.';
CREATE TRIGGER items_append_only BEFORE UPDATE OR DELETE ON billing.items
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER items_no_truncate BEFORE TRUNCATE ON billing.items
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

CREATE FUNCTION billing.cny(e8 numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT round($1 / 100000000, 8) $$;
COMMENT ON FUNCTION billing.cny(numeric) IS 'e8 integer amount -> CNY with 8 decimals.';

CREATE FUNCTION billing.unit_base(unit text) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE unit WHEN 'CNY' THEN 100000000 WHEN 'gpu_second' THEN 1000 WHEN 'hour' THEN 3600
                     WHEN 'GB' THEN 1073741824 WHEN 'request' THEN 1 END::numeric $$;
COMMENT ON FUNCTION billing.unit_base(text) IS 'Base units (or e8 for CNY) per plan unit.';

CREATE FUNCTION billing.period_no(period text) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT substr($1, 1, 4)::bigint * 12 + substr($1, 6, 2)::bigint - 1 $$;
COMMENT ON FUNCTION billing.period_no(text) IS 'YYYY-MM -> year * 12 + month - 1 (month bucket numbers).';

CREATE VIEW billing.as_of AS
    SELECT b.as_of,
           to_char((b.as_of AT TIME ZONE 'UTC') + make_interval(secs => s.tz_offset_s), 'YYYY-MM') AS period
    FROM (SELECT max(as_of) AS as_of FROM ledger.batches) b CROSS JOIN billing.settings s;
COMMENT ON VIEW billing.as_of IS 'The latest as-of time processed, and its billing period.';
COMMENT ON COLUMN billing.as_of.as_of IS 'Latest as-of time of any batch.';
COMMENT ON COLUMN billing.as_of.period IS 'Its period in the billing calendar.';

CREATE VIEW billing.accounts AS
    SELECT DISTINCT ON (account_id) account_id, name, address, tax_id, email, batch_id, file_id, line
    FROM billing.account_versions ORDER BY account_id, batch_id DESC;
COMMENT ON VIEW billing.accounts IS 'Customer accounts, latest version.';
COMMENT ON COLUMN billing.accounts.account_id IS 'Customer account id.';
COMMENT ON COLUMN billing.accounts.name IS 'Name.';
COMMENT ON COLUMN billing.accounts.address IS 'Address.';
COMMENT ON COLUMN billing.accounts.tax_id IS 'Tax id.';
COMMENT ON COLUMN billing.accounts.email IS 'Billing email.';
COMMENT ON COLUMN billing.accounts.batch_id IS 'Batch that set this version.';
COMMENT ON COLUMN billing.accounts.file_id IS 'File it came from.';
COMMENT ON COLUMN billing.accounts.line IS 'Line in that file.';

CREATE VIEW billing.source_files AS
    SELECT f.name, encode(f.sha256, 'hex') AS sha256, f.kind, f.status, f.reason, f.rows,
           f.accepted, f.rejected, f.batch_id, f.file_id, f.size_bytes, f.detail
    FROM billing.files f;
COMMENT ON VIEW billing.source_files IS 'Every file read, with its SHA-256, status and row counts (rows = accepted + rejected).';
COMMENT ON COLUMN billing.source_files.name IS 'File name.';
COMMENT ON COLUMN billing.source_files.sha256 IS 'SHA-256 of its bytes, hex.';
COMMENT ON COLUMN billing.source_files.kind IS 'accounts, prices, orders, eas, oss (reprocess for reprocessing batches).';
COMMENT ON COLUMN billing.source_files.status IS 'applied or refused.';
COMMENT ON COLUMN billing.source_files.reason IS 'Refusal reason (NULL when applied).';
COMMENT ON COLUMN billing.source_files.rows IS 'Data rows.';
COMMENT ON COLUMN billing.source_files.accepted IS 'Rows accepted.';
COMMENT ON COLUMN billing.source_files.rejected IS 'Rows rejected.';
COMMENT ON COLUMN billing.source_files.batch_id IS 'The batch that read it.';
COMMENT ON COLUMN billing.source_files.file_id IS 'File number.';
COMMENT ON COLUMN billing.source_files.size_bytes IS 'Size in bytes.';
COMMENT ON COLUMN billing.source_files.detail IS 'Refusal in words.';

CREATE VIEW billing.rejects AS
    SELECT f.name AS file, r.line, r.reason, r.raw, r.reject_id, r.batch_id, r.file_id,
           CASE WHEN o.outcome = 'rated' THEN 'reprocessed' ELSE 'open' END AS status,
           o.reason AS latest_reason, r.detail
    FROM billing.reject_rows r
    JOIN billing.files f USING (file_id)
    LEFT JOIN LATERAL (SELECT outcome, reason FROM billing.reject_outcomes x
                       WHERE x.reject_id = r.reject_id ORDER BY batch_id DESC LIMIT 1) o ON true;
COMMENT ON VIEW billing.rejects IS 'Rejected rows with file, line, reason and raw text; status open until reprocessing rates them.';
COMMENT ON COLUMN billing.rejects.file IS 'File name.';
COMMENT ON COLUMN billing.rejects.line IS 'Line the record starts on.';
COMMENT ON COLUMN billing.rejects.reason IS 'Reason code.';
COMMENT ON COLUMN billing.rejects.raw IS 'Raw record text.';
COMMENT ON COLUMN billing.rejects.reject_id IS 'Reject number.';
COMMENT ON COLUMN billing.rejects.batch_id IS 'Batch that rejected it.';
COMMENT ON COLUMN billing.rejects.file_id IS 'File number.';
COMMENT ON COLUMN billing.rejects.status IS 'open, or reprocessed (rated by a later reprocessing).';
COMMENT ON COLUMN billing.rejects.detail IS 'More on the reason: for a duplicate_record whose id an earlier run billed, the batch and file that billed it.';
COMMENT ON COLUMN billing.rejects.latest_reason IS 'Reason given by the latest reprocessing that rejected it again.';

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

CREATE VIEW billing.invoices AS
    WITH activity AS (
        SELECT period, account_id FROM billing.usage_lines
        UNION SELECT period, account_id FROM billing.orders
        UNION SELECT period, account_id FROM billing.adjustment_rows
    ), used AS (
        SELECT period, account_id, sum(gross_e8) AS gross, sum(free_e8) AS free,
               sum(plan_e8) AS plan, sum(coupon_e8) AS coupon, sum(balance_e8) AS balance,
               sum(outstanding_e8) AS outstanding
        FROM billing.usage_lines GROUP BY period, account_id
    ), adjusted AS (
        SELECT period, account_id,
               coalesce(sum(amount_e8) FILTER (WHERE kind = 'credit'), 0) AS credits,
               coalesce(sum(amount_e8) FILTER (WHERE kind = 'debit'), 0) AS debits
        FROM billing.adjustment_rows GROUP BY period, account_id
    ), totals AS (
        SELECT a.period, a.account_id,
               coalesce(u.gross, 0) AS gross, coalesce(u.free, 0) AS free,
               coalesce(u.plan, 0) AS plan, coalesce(u.coupon, 0) AS coupon,
               coalesce(u.balance, 0) AS balance,
               coalesce(u.outstanding, 0) AS outstanding,
               coalesce(j.credits, 0) AS credits, coalesce(j.debits, 0) AS debits
        FROM activity a
        LEFT JOIN used u ON u.period = a.period AND u.account_id = a.account_id
        LEFT JOIN adjusted j ON j.period = a.period AND j.account_id = a.account_id
    )
    SELECT f.invoice_no, t.period, t.account_id,
           CASE WHEN f.invoice_no IS NULL THEN 'draft' ELSE 'final' END AS status,
           billing.cny(t.gross) AS gross, billing.cny(t.free) AS free, billing.cny(t.plan) AS plan,
           billing.cny(t.coupon) AS coupon, billing.cny(t.balance) AS balance,
           billing.cny(t.outstanding) AS outstanding,
           billing.cny(t.credits) AS credits, billing.cny(t.debits) AS debits,
           billing.cny(coalesce(f.round_down_e8, (t.outstanding + t.debits) % 1000000)) AS round_down,
           billing.cny(coalesce(f.amount_due_e8, t.outstanding + t.debits
                                                  - (t.outstanding + t.debits) % 1000000)) AS amount_due
    FROM totals t LEFT JOIN billing.invoice_finals f
         ON f.period = t.period AND f.account_id = t.account_id;
COMMENT ON VIEW billing.invoices IS 'One invoice per account and period with a priced piece, an applied order or an adjustment: draft while the period is open (round_down and amount_due as they would be at close), final after close.';
COMMENT ON COLUMN billing.invoices.invoice_no IS 'INV-YYYYMM-NNNNNN; NULL on drafts.';
COMMENT ON COLUMN billing.invoices.period IS 'Period.';
COMMENT ON COLUMN billing.invoices.account_id IS 'Customer.';
COMMENT ON COLUMN billing.invoices.status IS 'draft or final.';
COMMENT ON COLUMN billing.invoices.gross IS 'Gross at list price.';
COMMENT ON COLUMN billing.invoices.free IS 'Free allowance.';
COMMENT ON COLUMN billing.invoices.plan IS 'Plan deductions.';
COMMENT ON COLUMN billing.invoices.coupon IS 'Coupon deductions.';
COMMENT ON COLUMN billing.invoices.balance IS 'Balance deductions.';
COMMENT ON COLUMN billing.invoices.outstanding IS 'Outstanding before round-down.';
COMMENT ON COLUMN billing.invoices.credits IS 'Credit notes of the period, CNY: credited to the prepaid balance, they do not change the amount due.';
COMMENT ON COLUMN billing.invoices.debits IS 'Debit notes of the period, CNY: owed, added to the amount due.';
COMMENT ON COLUMN billing.invoices.round_down IS 'outstanding + debits below the fen, discounted at close.';
COMMENT ON COLUMN billing.invoices.amount_due IS 'outstanding + debits - round_down.';

CREATE VIEW billing.adjustments AS
    SELECT a.adjustment_id, a.account_id, a.adjustment_time, a.period, a.late, a.kind, a.item,
           billing.cny(a.amount_e8) AS amount, a.invoice_no, a.reason, n.note_no,
           CASE WHEN c.period IS NULL THEN 'draft' ELSE 'final' END AS status,
           a.batch_id, a.file_id, a.line
    FROM billing.adjustment_rows a
    LEFT JOIN billing.adjustment_notes n USING (adjustment_id)
    LEFT JOIN billing.period_closes c ON c.period = a.period;
COMMENT ON VIEW billing.adjustments IS 'Credit and debit notes (corrections.md section 3): draft while their posting period is open, final with a note number after its close.';
COMMENT ON COLUMN billing.adjustments.adjustment_id IS 'Adjustment id.';
COMMENT ON COLUMN billing.adjustments.account_id IS 'Customer.';
COMMENT ON COLUMN billing.adjustments.adjustment_time IS 'When it takes effect.';
COMMENT ON COLUMN billing.adjustments.period IS 'Posting period (the invoice it appears on).';
COMMENT ON COLUMN billing.adjustments.late IS 'Dated in a period already closed when it arrived.';
COMMENT ON COLUMN billing.adjustments.kind IS 'credit or debit.';
COMMENT ON COLUMN billing.adjustments.item IS 'Item corrected.';
COMMENT ON COLUMN billing.adjustments.amount IS 'Amount, CNY.';
COMMENT ON COLUMN billing.adjustments.invoice_no IS 'The final invoice it refers to, if any.';
COMMENT ON COLUMN billing.adjustments.reason IS 'Why.';
COMMENT ON COLUMN billing.adjustments.note_no IS 'CN-/DN-YYYYMM-NNNNNN; NULL on drafts.';
COMMENT ON COLUMN billing.adjustments.status IS 'draft or final.';
COMMENT ON COLUMN billing.adjustments.batch_id IS 'The batch that applied it.';
COMMENT ON COLUMN billing.adjustments.file_id IS 'Its file.';
COMMENT ON COLUMN billing.adjustments.line IS 'Its line.';

CREATE VIEW billing.order_state_latest AS
    SELECT x.* FROM billing.orders o CROSS JOIN LATERAL (
        SELECT * FROM billing.order_state s WHERE s.order_id = o.order_id
        ORDER BY s.batch_id DESC LIMIT 1) x;
COMMENT ON VIEW billing.order_state_latest IS 'Current state of each plan and coupon.';
COMMENT ON COLUMN billing.order_state_latest.order_id IS 'Plan or coupon.';
COMMENT ON COLUMN billing.order_state_latest.batch_id IS 'Batch of the latest state.';
COMMENT ON COLUMN billing.order_state_latest.consumed IS 'Drawn so far (see billing.order_state).';
COMMENT ON COLUMN billing.order_state_latest.recognised_e8 IS 'Revenue recognised so far.';
COMMENT ON COLUMN billing.order_state_latest.sl_elapsed_s IS 'Straight-line seconds recognised.';
COMMENT ON COLUMN billing.order_state_latest.breakage_e8 IS 'Breakage at expiry.';
COMMENT ON COLUMN billing.order_state_latest.expired IS 'Expiry processed.';

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

CREATE VIEW billing.coupon_balances AS
    SELECT o.order_id, o.account_id, billing.cny(o.face) AS face,
           billing.cny(coalesce(s.consumed, 0)) AS used,
           billing.cny(CASE WHEN o.valid_to <= a.as_of THEN 0 ELSE o.face - coalesce(s.consumed, 0) END) AS remaining,
           o.valid_from, o.valid_to,
           CASE WHEN o.valid_to <= a.as_of THEN 'expired' ELSE 'active' END AS status,
           o.scope
    FROM billing.orders o
    LEFT JOIN billing.order_state_latest s USING (order_id)
    CROSS JOIN billing.as_of a
    WHERE o.kind = 'coupon';
COMMENT ON VIEW billing.coupon_balances IS 'Coupons in CNY: used is all ever drawn; remaining is face - used while valid, 0 once expired (at the latest as-of time).';
COMMENT ON COLUMN billing.coupon_balances.order_id IS 'Coupon order.';
COMMENT ON COLUMN billing.coupon_balances.account_id IS 'Customer.';
COMMENT ON COLUMN billing.coupon_balances.face IS 'Face, CNY.';
COMMENT ON COLUMN billing.coupon_balances.used IS 'Drawn so far.';
COMMENT ON COLUMN billing.coupon_balances.remaining IS 'Left while valid.';
COMMENT ON COLUMN billing.coupon_balances.valid_from IS 'First valid instant.';
COMMENT ON COLUMN billing.coupon_balances.valid_to IS 'First instant no longer valid.';
COMMENT ON COLUMN billing.coupon_balances.status IS 'active or expired.';
COMMENT ON COLUMN billing.coupon_balances.scope IS 'Items covered.';

CREATE VIEW ledger.journal AS
    SELECT e.entry_id, e.batch_id, e.period, e.effective_at, e.account_id, e.description,
           e.kind, e.item, CASE WHEN e.kind = 'adjustment' THEN NULL ELSE e.order_id END AS order_id,
           e.late, CASE WHEN e.kind = 'adjustment' THEN e.order_id END AS adjustment_id
    FROM ledger.entries e;
COMMENT ON VIEW ledger.journal IS 'Journal entries (see ledger.postings for their lines).';
COMMENT ON COLUMN ledger.journal.entry_id IS 'Entry number.';
COMMENT ON COLUMN ledger.journal.batch_id IS 'Batch that posted it.';
COMMENT ON COLUMN ledger.journal.period IS 'Posting period.';
COMMENT ON COLUMN ledger.journal.effective_at IS 'Its own time.';
COMMENT ON COLUMN ledger.journal.account_id IS 'Customer.';
COMMENT ON COLUMN ledger.journal.description IS 'In words.';
COMMENT ON COLUMN ledger.journal.kind IS 'Entry kind.';
COMMENT ON COLUMN ledger.journal.item IS 'Item.';
COMMENT ON COLUMN ledger.journal.adjustment_id IS 'The credit or debit note it posts (kind adjustment; billing.adjustments).';
COMMENT ON COLUMN ledger.journal.order_id IS 'Order.';
COMMENT ON COLUMN ledger.journal.late IS 'Dated in a closed period.';

CREATE VIEW ledger.postings AS
    SELECT t.entry_id, t.debit_code AS account_code, t.debit_sub AS sub_ledger,
           billing.cny(t.amount_e8) AS debit, 0::numeric(20, 8) AS credit, t.transfer_id
    FROM ledger.transfers t
    UNION ALL
    SELECT t.entry_id, t.credit_code, t.credit_sub, 0::numeric(20, 8), billing.cny(t.amount_e8),
           t.transfer_id
    FROM ledger.transfers t;
COMMENT ON VIEW ledger.postings IS 'Each transfer as its debit posting and its credit posting.';
COMMENT ON COLUMN ledger.postings.entry_id IS 'Entry.';
COMMENT ON COLUMN ledger.postings.account_code IS 'Account code.';
COMMENT ON COLUMN ledger.postings.sub_ledger IS 'Customer account_id or plan/coupon order_id.';
COMMENT ON COLUMN ledger.postings.debit IS 'Debit, CNY.';
COMMENT ON COLUMN ledger.postings.credit IS 'Credit, CNY.';
COMMENT ON COLUMN ledger.postings.transfer_id IS 'The transfer.';

CREATE VIEW ledger.trial_balance AS
    WITH sides AS (
        SELECT e.period, t.debit_code AS code, t.amount_e8 AS dr, 0::bigint AS cr
        FROM ledger.transfers t JOIN ledger.entries e USING (entry_id)
        UNION ALL
        SELECT e.period, t.credit_code, 0, t.amount_e8
        FROM ledger.transfers t JOIN ledger.entries e USING (entry_id)
    ), sums AS (
        SELECT period, code, sum(dr) AS dr, sum(cr) AS cr FROM sides GROUP BY period, code
    )
    SELECT s.period, s.code AS account_code, c.name AS account_name,
           billing.cny(greatest(s.dr - s.cr, 0)) AS debit,
           billing.cny(greatest(s.cr - s.dr, 0)) AS credit,
           billing.cny(s.dr) AS total_debit, billing.cny(s.cr) AS total_credit
    FROM sums s JOIN ledger.chart c ON c.code = s.code;
COMMENT ON VIEW ledger.trial_balance IS 'Trial balance of each period: per account code the net of the period on its debit or credit side (debit - credit = net); total_debit and total_credit are the period''s activity. Debits equal credits in every period.';
COMMENT ON COLUMN ledger.trial_balance.period IS 'Period.';
COMMENT ON COLUMN ledger.trial_balance.account_code IS 'Account code.';
COMMENT ON COLUMN ledger.trial_balance.account_name IS 'Account name.';
COMMENT ON COLUMN ledger.trial_balance.debit IS 'Net debit of the period.';
COMMENT ON COLUMN ledger.trial_balance.credit IS 'Net credit of the period.';
COMMENT ON COLUMN ledger.trial_balance.total_debit IS 'All debits of the period.';
COMMENT ON COLUMN ledger.trial_balance.total_credit IS 'All credits of the period.';

CREATE VIEW ledger.plan_rollforward AS
    WITH moves AS (
        SELECT e.period, t.credit_sub AS order_id, t.amount_e8 AS sales, 0::bigint AS recognised,
               0::bigint AS breakage
        FROM ledger.transfers t JOIN ledger.entries e USING (entry_id)
        JOIN ledger.chart c ON c.code = t.credit_code AND c.role = 'liability'
        UNION ALL
        SELECT e.period, t.debit_sub, 0,
               CASE WHEN e.kind = 'breakage' THEN 0 ELSE t.amount_e8 END,
               CASE WHEN e.kind = 'breakage' THEN t.amount_e8 ELSE 0 END
        FROM ledger.transfers t JOIN ledger.entries e USING (entry_id)
        JOIN ledger.chart c ON c.code = t.debit_code AND c.role = 'liability'
    ), per AS (
        SELECT period, order_id, sum(sales) AS sales, sum(recognised) AS recognised,
               sum(breakage) AS breakage
        FROM moves GROUP BY period, order_id
    ), run AS (
        SELECT per.*, sum(sales - recognised - breakage)
                      OVER (PARTITION BY order_id ORDER BY period) AS closing
        FROM per
    )
    SELECT r.period, r.order_id, o.account_id, o.plan_type,
           billing.cny(r.closing - r.sales + r.recognised + r.breakage) AS opening,
           billing.cny(r.sales) AS sales, billing.cny(r.recognised) AS recognised,
           billing.cny(r.breakage) AS breakage, billing.cny(r.closing) AS closing
    FROM run r LEFT JOIN billing.orders o USING (order_id);
COMMENT ON VIEW ledger.plan_rollforward IS 'Contract liability (the account of role liability) roll-forward per plan and period: opening + sales - recognised - breakage = closing.';
COMMENT ON COLUMN ledger.plan_rollforward.period IS 'Period.';
COMMENT ON COLUMN ledger.plan_rollforward.order_id IS 'Plan.';
COMMENT ON COLUMN ledger.plan_rollforward.account_id IS 'Customer.';
COMMENT ON COLUMN ledger.plan_rollforward.plan_type IS 'Plan type.';
COMMENT ON COLUMN ledger.plan_rollforward.opening IS 'Liability at the start of the period.';
COMMENT ON COLUMN ledger.plan_rollforward.sales IS 'Purchases.';
COMMENT ON COLUMN ledger.plan_rollforward.recognised IS 'Revenue recognised.';
COMMENT ON COLUMN ledger.plan_rollforward.breakage IS 'Breakage at expiry.';
COMMENT ON COLUMN ledger.plan_rollforward.closing IS 'Liability at the end of the period.';

-- The memory of billed record ids, for auditors (docs/record-ids.md).
CREATE FUNCTION billing.xor64(a numeric, b numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT ((div($1, 4294967296)::bigint # div($2, 4294967296)::bigint)::numeric * 4294967296
            + (mod($1, 4294967296)::bigint # mod($2, 4294967296)::bigint))::numeric $$;
COMMENT ON FUNCTION billing.xor64(numeric, numeric) IS 'Bitwise XOR of two integers in [0, 2^64), as numeric.';

CREATE FUNCTION billing.record_id_hash(record_id text, which integer) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    b bytea := convert_to(record_id, 'UTF8');
    m constant numeric := 18446744073709551616;
    p constant numeric := 1099511628211;
    h numeric := 14695981039346656037;
BEGIN
    h := mod(billing.xor64(h, which) * p, m);
    FOR i IN 0 .. length(b) - 1 LOOP
        h := mod(billing.xor64(h, get_byte(b, i)) * p, m);
    END LOOP;
    h := billing.xor64(h, div(h, 8589934592));
    h := mod(h * 18397679294719823053, m);
    h := billing.xor64(h, div(h, 8589934592));
    h := mod(h * 14181476777654086739, m);
    h := billing.xor64(h, div(h, 8589934592));
    RETURN (CASE WHEN h >= 9223372036854775808 THEN h - m ELSE h END)::bigint;
END $$;
COMMENT ON FUNCTION billing.record_id_hash(text, integer) IS 'The hashes billrun keeps of a record id (which 1 or 2): FNV-1a over the byte `which` and the id''s UTF-8 bytes, then MurmurHash3''s 64-bit finaliser; as a signed bigint.';

CREATE FUNCTION billing.record_entry_int(e bytea, at integer, n integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(sum(get_byte(e, at + i)::bigint << (8 * (n - 1 - i))), 0)::bigint
    FROM generate_series(0, n - 1) i $$;
COMMENT ON FUNCTION billing.record_entry_int(bytea, integer, integer) IS 'The big-endian unsigned integer of n bytes at offset at of a billing.record_ids entry.';

CREATE FUNCTION billing.billed_records(source text, record_id text)
    RETURNS TABLE (batch_id bigint, file_id bigint, file text, charge_time timestamptz)
    LANGUAGE sql STABLE STRICT AS $$
    WITH k AS (SELECT billing.record_id_hash($2, 1) AS h1,
                      substring(int8send(billing.record_id_hash($2, 2)) FROM 1 FOR 6) AS h2),
    at AS (
        SELECT r.batch_id, r.files, r.t_min, r.tbytes, r.fbytes, r.entries,
               6 + r.tbytes + r.fbytes AS ew, position(k.h2 IN r.entries) AS pos
        FROM billing.record_ids r CROSS JOIN k
        WHERE r.source = $1 AND r.part = (k.h1 >> 56) & 255
    ),
    hit AS (SELECT a.*, substring(a.entries FROM a.pos FOR a.ew) AS e FROM at a
            WHERE a.pos > 0 AND (a.pos - 1) % a.ew = 0)
    SELECT h.batch_id, h.files[billing.record_entry_int(h.e, 6 + h.tbytes, h.fbytes) + 1],
           f.name, h.t_min + make_interval(secs => billing.record_entry_int(h.e, 6, h.tbytes))
    FROM hit h
    LEFT JOIN billing.files f ON f.file_id = h.files[billing.record_entry_int(h.e, 6 + h.tbytes, h.fbytes) + 1]
    ORDER BY h.batch_id $$;
COMMENT ON FUNCTION billing.billed_records(text, text) IS 'Which batch and file billed a record id of a source (eas or oss), and the charge time of that row: SELECT * FROM billing.billed_records(''eas'', ''eas-20261126-000001'').';
