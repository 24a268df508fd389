-- The baseline of `scripts/bench run`: what a billing team might write
-- instead of billrun, with PostgreSQL alone. The CSV rows are COPYed into
-- tables (scripts/bench issues the COPY statements, one per file, before
-- this script), then rated pay-as-you-go in SQL: every usage row becomes
-- pieces (exclusive intervals split at clock hours), each piece is priced by
-- a join with the price book (exact spec over '*', effective dates, the
-- time-of-day windows in UTC+08:00), one amount plan per account is drawn
-- down with a running-sum window in (time, record) order, and the result is
-- grouped by account and item into a table. Money in numeric, each piece's
-- gross rounded once to e8 as rules.md says, so its total gross can be
-- compared with billrun's.
\set ON_ERROR_STOP on
SET work_mem = '1GB';
SET maintenance_work_mem = '1GB';

CREATE TABLE eas (record_id text, account_id text, service_id text, tool text, edition text,
                  spec text, start_time timestamptz, end_time timestamptz, gpu_ms bigint);
CREATE TABLE oss (record_id text, account_id text, bucket text, region text,
                  hour_start timestamptz, metric text, value bigint);
CREATE TABLE prices (item text, spec text, unit_price numeric, effective_from timestamptz,
                     effective_to timestamptz, tod_from text, tod_to text, free_per_month bigint);
CREATE TABLE orders (order_id text, account_id text, order_time timestamptz, kind text, scope text,
                     plan_type text, quantity numeric, unit text, paid numeric, valid_days int,
                     bundle_id text);
-- COPY ... FROM 'file' WITH (FORMAT csv, HEADER true), one per inbox file
\i :copies

-- An open row runs until the next later open row of the same (item, spec).
CREATE TABLE price_book AS
SELECT item, spec, unit_price, effective_from,
       coalesce(effective_to,
                (SELECT min(q.effective_from) FROM prices q
                 WHERE q.item = p.item AND q.spec = p.spec AND q.effective_to IS NULL
                   AND q.effective_from > p.effective_from)) AS effective_to,
       tod_from::time AS tod_from, tod_to::time AS tod_to
FROM prices p;

CREATE TABLE pieces AS
SELECT account_id, record_id, 'compute_shared'::text AS item, spec, start_time AS t,
       gpu_ms AS qty, 1000::numeric AS divisor
FROM eas WHERE edition = 'shared'
UNION ALL
SELECT account_id, record_id, 'compute_exclusive', spec, greatest(start_time, h),
       extract(epoch FROM least(end_time, h + interval '1 hour') - greatest(start_time, h))::bigint,
       3600
FROM eas, generate_series(date_trunc('hour', start_time), end_time - interval '1 second',
                          interval '1 hour') AS h
WHERE edition = 'exclusive'
UNION ALL
SELECT account_id, record_id,
       CASE metric WHEN 'storage_bytes' THEN 'storage' WHEN 'egress_bytes' THEN 'egress'
                   WHEN 'put_requests' THEN 'put' ELSE 'get' END,
       '', hour_start, value,
       CASE metric WHEN 'storage_bytes' THEN 1073741824::numeric * 720
                   WHEN 'egress_bytes' THEN 1073741824 ELSE 10000 END
FROM oss;

CREATE TABLE priced AS
SELECT u.account_id, u.record_id, u.item, u.t,
       round(u.qty * coalesce(x.unit_price, s.unit_price) / u.divisor, 8) AS gross
FROM pieces u
LEFT JOIN price_book x
  ON x.item = u.item AND x.spec = u.spec AND x.effective_from <= u.t
 AND (x.effective_to IS NULL OR u.t < x.effective_to)
LEFT JOIN price_book s
  ON s.item = u.item AND s.spec = '*' AND s.effective_from <= u.t
 AND (s.effective_to IS NULL OR u.t < s.effective_to)
 AND (s.tod_from IS NULL
      OR (s.tod_from < s.tod_to AND (u.t AT TIME ZONE INTERVAL '+08:00')::time >= s.tod_from
          AND (u.t AT TIME ZONE INTERVAL '+08:00')::time < s.tod_to)
      OR (s.tod_from > s.tod_to AND ((u.t AT TIME ZONE INTERVAL '+08:00')::time >= s.tod_from
          OR (u.t AT TIME ZONE INTERVAL '+08:00')::time < s.tod_to)));

-- One amount plan per account: its first, from its order time on.
CREATE TABLE plan AS
SELECT DISTINCT ON (account_id) account_id, order_time, quantity::numeric AS face
FROM orders WHERE kind = 'plan' AND plan_type = 'amount'
ORDER BY account_id, order_time, order_id;

CREATE TABLE drawn AS
SELECT account_id, item, gross,
       CASE WHEN face IS NULL OR t < order_time THEN 0
            ELSE least(gross, greatest(0, face - (used - gross))) END AS plan_paid
FROM (SELECT g.*, p.order_time, p.face,
             sum(CASE WHEN p.face IS NOT NULL AND g.t >= p.order_time THEN g.gross ELSE 0 END)
                 OVER (PARTITION BY g.account_id ORDER BY g.t, g.record_id
                       ROWS UNBOUNDED PRECEDING) AS used
      FROM priced g LEFT JOIN plan p USING (account_id)) w;

CREATE TABLE invoice_lines AS
SELECT account_id, item, count(*) AS pieces, sum(gross) AS gross, sum(plan_paid) AS plan_paid,
       sum(gross - plan_paid) AS due
FROM drawn GROUP BY account_id, item;

SELECT count(*) AS lines, sum(gross) AS gross, sum(plan_paid) AS plan_paid,
       count(*) FILTER (WHERE gross IS NULL) AS unpriced
FROM invoice_lines;
