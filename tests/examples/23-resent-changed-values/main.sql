-- expected output: main.out (psql -X -At -F '|' -v ON_ERROR_STOP=1 [-q] -f main.sql)
\echo -- invoice_lines: period|account_id|item|quantity|unit|gross|free|plan|coupon|balance|outstanding
SELECT period, account_id, item, quantity, unit, gross, free, plan, coupon, balance, outstanding FROM billing.invoice_lines ORDER BY period, account_id COLLATE "C", item COLLATE "C";
\echo -- invoices: period|account_id|status|invoice_no|gross|free|plan|coupon|balance|outstanding|credits|debits|round_down|amount_due
SELECT period, account_id, status, coalesce(invoice_no, ''), gross, free, plan, coupon, balance, outstanding, credits, debits, round_down, amount_due FROM billing.invoices ORDER BY period, account_id COLLATE "C";
\echo -- source_files: name|status|reason|rows|accepted|rejected
SELECT name, status, coalesce(reason, ''), rows, accepted, rejected FROM billing.source_files ORDER BY name COLLATE "C";
\echo -- rejects: file|line|reason
SELECT file, line, reason FROM billing.rejects ORDER BY file COLLATE "C", line;
\echo -- rejects: the raw text of eas-b.csv line 2 (the changed re-sent row) is kept
SELECT file, line, rtrim(raw, E'\r\n') = 'r1,acc-1,svc-1,stable_diffusion,shared,A10,2026-11-10T01:00:00Z,2026-11-10T01:05:00Z,300000' FROM billing.rejects WHERE file = 'eas-b.csv' AND line = 2;
\echo -- ledger nets (derived: r1 billed at 1 CNY, not 3; r2 billed once, on night 2): period|account_code|net
SELECT period, account_code, sum(debit - credit) FROM ledger.trial_balance GROUP BY period, account_code HAVING sum(debit - credit) <> 0 ORDER BY period, account_code;
\echo -- ledger: periods whose debits and credits differ (count)
SELECT count(*) FROM (SELECT period FROM ledger.trial_balance GROUP BY period HAVING sum(debit) <> sum(credit)) unbalanced;
