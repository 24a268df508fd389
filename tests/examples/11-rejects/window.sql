-- expected output: main.out (psql -X -At -F '|' -v ON_ERROR_STOP=1 [-q] -f main.sql)
\echo -- source_files: name|status|reason|rows|accepted|rejected
SELECT name, status, coalesce(reason, ''), rows, accepted, rejected FROM billing.source_files ORDER BY name COLLATE "C";
\echo -- source_files: name|sha256 of the file bytes (lower-case hex)
SELECT name, lower(sha256) FROM billing.source_files ORDER BY name COLLATE "C";
\echo -- rejects: file|line|reason
SELECT file, line, reason FROM billing.rejects ORDER BY file COLLATE "C", line;
\echo -- rejects: the raw text of accounts-1.csv line 7 is kept (compared without a trailing line end)
SELECT file, line, rtrim(raw, E'\r\n') = 'acc-4,Short Co,addr,TAX5' FROM billing.rejects WHERE file = 'accounts-1.csv' AND line = 7;
\echo -- invoice_lines: period|account_id|item|quantity|unit|gross|free|plan|coupon|balance|outstanding
SELECT period, account_id, item, quantity, unit, gross, free, plan, coupon, balance, outstanding FROM billing.invoice_lines ORDER BY period, account_id COLLATE "C", item COLLATE "C";
\echo -- invoices: period|account_id|status|invoice_no|gross|free|plan|coupon|balance|outstanding|round_down|amount_due
SELECT period, account_id, status, coalesce(invoice_no, ''), gross, free, plan, coupon, balance, outstanding, round_down, amount_due FROM billing.invoices ORDER BY period, account_id COLLATE "C";
\echo -- plan_balances: order_id|account_id|plan_type|unit|face|consumed|remaining|paid|recognised|breakage|valid_from|valid_to|status
SELECT order_id, account_id, plan_type, unit, face, consumed, remaining, paid, recognised, breakage, to_char(valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char(valid_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), status FROM billing.plan_balances ORDER BY order_id COLLATE "C";
\echo -- coupon_balances: order_id|account_id|face|used|remaining|valid_from|valid_to|status
SELECT order_id, account_id, face, used, remaining, to_char(valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char(valid_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), status FROM billing.coupon_balances ORDER BY order_id COLLATE "C";
\echo -- ledger nets (derived: O1 top-up 100 less 0.036 drawn; O4 9.6 less its straight line to Dec 1 local): period|account_code|net
SELECT period, account_code, sum(debit - credit) FROM ledger.trial_balance GROUP BY period, account_code HAVING sum(debit - credit) <> 0 ORDER BY period, account_code;
\echo -- ledger: periods whose debits and credits differ (count)
SELECT count(*) FROM (SELECT period FROM ledger.trial_balance GROUP BY period HAVING sum(debit) <> sum(credit)) unbalanced;
