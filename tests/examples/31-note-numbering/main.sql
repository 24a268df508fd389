-- expected output: main.out (psql -X -At -F '|' -v ON_ERROR_STOP=1 [-q] -f main.sql)
\echo -- invoice_lines: count
SELECT count(*) FROM billing.invoice_lines;
\echo -- invoices: period|account_id|status|invoice_no|gross|free|plan|coupon|balance|outstanding|credits|debits|round_down|amount_due
SELECT period, account_id, status, coalesce(invoice_no, ''), gross, free, plan, coupon, balance, outstanding, credits, debits, round_down, amount_due FROM billing.invoices ORDER BY period, account_id COLLATE "C";
\echo -- adjustments in note order: adjustment_id|account_id|adjustment_time|period|late|kind|item|amount|invoice_no|reason|note_no|status
SELECT adjustment_id, account_id, to_char(adjustment_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), period, late, kind, item, amount, coalesce(invoice_no, ''), reason, coalesce(note_no, ''), status FROM billing.adjustments ORDER BY note_no COLLATE "C";
\echo -- source_files: name|status|reason|rows|accepted|rejected
SELECT name, status, coalesce(reason, ''), rows, accepted, rejected FROM billing.source_files ORDER BY name COLLATE "C";
\echo -- rejects: count
SELECT count(*) FROM billing.rejects;
\echo -- ledger nets (derived: credits Dr 4920 / Cr 2100, debits Dr 1100 / Cr 4920, round-down of acc-10 0.00300001): period|account_code|net
SELECT period, account_code, sum(debit - credit) FROM ledger.trial_balance GROUP BY period, account_code HAVING sum(debit - credit) <> 0 ORDER BY period, account_code;
\echo -- ledger: periods whose debits and credits differ (count)
SELECT count(*) FROM (SELECT period FROM ledger.trial_balance GROUP BY period HAVING sum(debit) <> sum(credit)) unbalanced;
