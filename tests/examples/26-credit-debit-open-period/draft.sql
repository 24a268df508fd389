-- expected output: draft.out (psql -X -At -F '|' -v ON_ERROR_STOP=1 [-q] -f draft.sql)
\echo -- invoice_lines: period|account_id|item|quantity|unit|gross|free|plan|coupon|balance|outstanding
SELECT period, account_id, item, quantity, unit, gross, free, plan, coupon, balance, outstanding FROM billing.invoice_lines ORDER BY period, account_id COLLATE "C", item COLLATE "C";
\echo -- invoices: period|account_id|status|invoice_no|gross|free|plan|coupon|balance|outstanding|credits|debits|round_down|amount_due
SELECT period, account_id, status, coalesce(invoice_no, ''), gross, free, plan, coupon, balance, outstanding, credits, debits, round_down, amount_due FROM billing.invoices ORDER BY period, account_id COLLATE "C";
\echo -- adjustments: adjustment_id|account_id|adjustment_time|period|late|kind|item|amount|invoice_no|reason|note_no|status
SELECT adjustment_id, account_id, to_char(adjustment_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), period, late, kind, item, amount, coalesce(invoice_no, ''), reason, coalesce(note_no, ''), status FROM billing.adjustments ORDER BY adjustment_id COLLATE "C";
\echo -- source_files: name|status|reason|rows|accepted|rejected
SELECT name, status, coalesce(reason, ''), rows, accepted, rejected FROM billing.source_files ORDER BY name COLLATE "C";
\echo -- rejects: count
SELECT count(*) FROM billing.rejects;
\echo -- ledger nets (derived: credit Dr 4920 / Cr 2100 3.5, drawn by e1 and e2; debit Dr 1100 / Cr 4920 1.234; no round-down posted on a draft): period|account_code|net
SELECT period, account_code, sum(debit - credit) FROM ledger.trial_balance GROUP BY period, account_code HAVING sum(debit - credit) <> 0 ORDER BY period, account_code;
\echo -- ledger net 2026-11 2100 is exactly zero (the credit is used up)
SELECT '2026-11', 2100, coalesce(sum(debit - credit), 0.00000000) FROM ledger.trial_balance WHERE period = '2026-11' AND account_code = 2100;
\echo -- ledger: periods whose debits and credits differ (count)
SELECT count(*) FROM (SELECT period FROM ledger.trial_balance GROUP BY period HAVING sum(debit) <> sum(credit)) unbalanced;
