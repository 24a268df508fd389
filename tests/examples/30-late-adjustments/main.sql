-- expected output: main.out (psql -X -At -F '|' -v ON_ERROR_STOP=1 [-q] -f main.sql)
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
\echo -- ledger nets (derived: November unchanged; December credits 3, e2 2.5 from the balance, debit 1.5): period|account_code|net
SELECT period, account_code, sum(debit - credit) FROM ledger.trial_balance GROUP BY period, account_code HAVING sum(debit - credit) <> 0 ORDER BY period, account_code;
\echo -- journal: December postings dated before December keep their own time (derived): period|effective_at
SELECT period, t FROM (SELECT DISTINCT period, to_char(effective_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS t FROM ledger.journal WHERE period = '2026-12' AND effective_at < timestamptz '2026-11-30T16:00:00Z') late ORDER BY period, t COLLATE "C";
\echo -- ledger: periods whose debits and credits differ (count)
SELECT count(*) FROM (SELECT period FROM ledger.trial_balance GROUP BY period HAVING sum(debit) <> sum(credit)) unbalanced;
