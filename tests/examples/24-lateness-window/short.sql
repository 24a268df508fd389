-- expected output: short.out (psql -X -At -F '|' -v ON_ERROR_STOP=1 [-q] -f short.sql)
\echo -- invoice_lines: period|account_id|item|quantity|unit|gross|free|plan|coupon|balance|outstanding
SELECT period, account_id, item, quantity, unit, gross, free, plan, coupon, balance, outstanding FROM billing.invoice_lines ORDER BY period, account_id COLLATE "C", item COLLATE "C";
\echo -- invoices: period|account_id|status|invoice_no|gross|free|plan|coupon|balance|outstanding|credits|debits|round_down|amount_due
SELECT period, account_id, status, coalesce(invoice_no, ''), gross, free, plan, coupon, balance, outstanding, credits, debits, round_down, amount_due FROM billing.invoices ORDER BY period, account_id COLLATE "C";
\echo -- source_files: name|status|reason|rows|accepted|rejected
SELECT name, status, coalesce(reason, ''), rows, accepted, rejected FROM billing.source_files ORDER BY name COLLATE "C";
\echo -- rejects: file|line|reason
SELECT file, line, reason FROM billing.rejects ORDER BY file COLLATE "C", line;
\echo -- ledger nets (derived: all outstanding): period|account_code|net
SELECT period, account_code, sum(debit - credit) FROM ledger.trial_balance GROUP BY period, account_code HAVING sum(debit - credit) <> 0 ORDER BY period, account_code;
\echo -- ledger: periods whose debits and credits differ (count)
SELECT count(*) FROM (SELECT period FROM ledger.trial_balance GROUP BY period HAVING sum(debit) <> sum(credit)) unbalanced;
