-- The views of the sample month as CSV, in the layout of samples/expected/*.csv.
-- Used by tests/run-samples.sh: \o switches the output file per view.
\pset format csv
\pset footer off
\o :outdir/invoices.csv
SELECT coalesce(invoice_no, '') AS invoice_no, period, account_id, status, gross, free, plan, coupon, balance, outstanding, round_down, amount_due FROM billing.invoices ORDER BY period, account_id COLLATE "C";
\o :outdir/invoice_lines.csv
SELECT period, account_id, item, quantity, unit, gross, free, plan, coupon, balance, outstanding FROM billing.invoice_lines ORDER BY period, account_id COLLATE "C", item COLLATE "C";
\o :outdir/plan_balances.csv
SELECT order_id, account_id, plan_type, unit, face, consumed, remaining, paid, recognised, breakage, to_char(valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS valid_from, to_char(valid_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS valid_to, status FROM billing.plan_balances ORDER BY order_id COLLATE "C";
\o :outdir/coupon_balances.csv
SELECT order_id, account_id, face, used, remaining, to_char(valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS valid_from, to_char(valid_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS valid_to, status FROM billing.coupon_balances ORDER BY order_id COLLATE "C";
\o :outdir/source_files.csv
SELECT name, kind, status, coalesce(reason, '') AS reason, rows, accepted, rejected FROM billing.source_files ORDER BY name COLLATE "C";
\o :outdir/rejects.csv
SELECT file, line, reason FROM billing.rejects ORDER BY file COLLATE "C", line;
\o :outdir/ledger_nets.csv
SELECT period, account_code, sum(debit - credit) AS net FROM ledger.trial_balance GROUP BY period, account_code HAVING sum(debit - credit) <> 0 ORDER BY period, account_code;
