/* The ledger's integrity checks that SQL can state (checks.h): each is a
 * query that returns no row when the ledger is sound, and the first rows
 * that break it otherwise. Accounts are named by the chart's macros. */
#include "store/checks.h"

#include "core/chart.h"
#include "core/log.h"
#include "store/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE(x) BR_CHART_SQL(x)

static const struct {
    const char *name, *sql, *ok;
} checks[] = {
    {"entries balance",
     "SELECT e.entry_id FROM ledger.entries e WHERE NOT EXISTS "
     "(SELECT 1 FROM ledger.transfers t WHERE t.entry_id = e.entry_id) "
     "UNION ALL SELECT entry_id FROM ledger.postings GROUP BY entry_id "
     "HAVING sum(debit) <> sum(credit) LIMIT 10",
     "every entry has transfers; debits equal credits in every entry"},
    {"trial balance",
     "SELECT period, sum(debit) AS debit, sum(credit) AS credit FROM ledger.trial_balance "
     "GROUP BY period HAVING sum(debit) <> sum(credit) ORDER BY period",
     "debits equal credits in every period"},
    {"closed periods",
     "SELECT e.entry_id, e.period, e.batch_id FROM ledger.entries e "
     "JOIN billing.period_closes c ON c.period = e.period WHERE e.batch_id > c.batch_id LIMIT 10",
     "nothing posted into a period after its close"},
    {"prepaid balances (" CODE(BR_ACC_PREPAID) ")",
     "WITH gl AS (SELECT sub, sum(amt) AS net FROM (SELECT credit_sub AS sub, amount_e8 AS amt "
     "  FROM ledger.transfers WHERE credit_code = " CODE(
         BR_ACC_PREPAID) " UNION ALL SELECT debit_sub, -amount_e8 "
                         "  FROM ledger.transfers WHERE debit_code = " CODE(
                             BR_ACC_PREPAID) ") x GROUP BY sub), "
                                             "st AS (SELECT DISTINCT ON (account_id) account_id AS "
                                             "sub, balance_e8 FROM "
                                             "  billing.balance_state ORDER BY account_id, "
                                             "batch_id DESC) "
                                             "SELECT coalesce(gl.sub, st.sub) AS account_id, "
                                             "coalesce(gl.net, 0) AS ledger_e8, "
                                             "coalesce(st.balance_e8, 0) AS state_e8 FROM gl FULL "
                                             "JOIN st ON gl.sub = st.sub "
                                             "WHERE coalesce(gl.net, 0) <> coalesce(st.balance_e8, "
                                             "0) LIMIT 10",
     "every customer's prepaid sub-ledger equals its prepaid balance"},
    {"contract liability (" CODE(BR_ACC_LIABILITY) ")",
     "WITH gl AS (SELECT sub, sum(amt) AS net FROM (SELECT credit_sub AS sub, amount_e8 AS amt "
     "  FROM ledger.transfers WHERE credit_code = " CODE(
         BR_ACC_LIABILITY) " UNION ALL SELECT debit_sub, -amount_e8 "
                           "  FROM ledger.transfers WHERE debit_code = " CODE(
                               BR_ACC_LIABILITY) ") x GROUP BY sub) "
                                                 "SELECT o.order_id, coalesce(gl.net, 0) AS "
                                                 "ledger_e8, "
                                                 "o.paid_e8 - coalesce(s.recognised_e8, 0) - "
                                                 "coalesce(s.breakage_e8, 0) AS state_e8, "
                                                 "coalesce(s.expired, false) AS expired FROM "
                                                 "billing.orders o "
                                                 "LEFT JOIN billing.order_state_latest s USING "
                                                 "(order_id) LEFT JOIN gl ON gl.sub = o.order_id "
                                                 "WHERE o.kind = 'plan' AND (coalesce(gl.net, 0) "
                                                 "<> o.paid_e8 - coalesce(s.recognised_e8, 0) "
                                                 "- coalesce(s.breakage_e8, 0) OR coalesce(gl.net, "
                                                 "0) < 0 "
                                                 "OR (coalesce(s.expired, false) AND "
                                                 "coalesce(gl.net, 0) <> 0)) LIMIT 10",
     "every plan's liability sub-ledger = paid - recognised - breakage, never negative, 0 after "
     "expiry"},
    {"receivables (" CODE(BR_ACC_RECEIVABLE) ")",
     "WITH gl AS (SELECT sub, sum(amt) AS net FROM (SELECT debit_sub AS sub, amount_e8 AS amt "
     "  FROM ledger.transfers WHERE debit_code = " CODE(
         BR_ACC_RECEIVABLE) " UNION ALL SELECT credit_sub, -amount_e8 "
                            "  FROM ledger.transfers WHERE credit_code = " CODE(
                                BR_ACC_RECEIVABLE) ") x GROUP BY sub), "
                                                   "f AS (SELECT account_id AS sub, sum(v) AS net "
                                                   "FROM ("
                                                   "  SELECT account_id, outstanding_e8 AS v FROM "
                                                   "billing.usage_lines "
                                                   "  UNION ALL SELECT account_id, -paid_e8 FROM "
                                                   "billing.orders WHERE kind = 'payment' "
                                                   "  UNION ALL SELECT account_id, -round_down_e8 "
                                                   "FROM billing.invoice_finals "
                                                   "  UNION ALL SELECT account_id, amount_e8 FROM "
                                                   "billing.adjustment_rows WHERE kind = 'debit') "
                                                   "y GROUP BY 1) "
                                                   "SELECT coalesce(gl.sub, f.sub) AS account_id, "
                                                   "coalesce(gl.net, 0) AS ledger_e8, "
                                                   "coalesce(f.net, 0) AS facts_e8 FROM gl FULL "
                                                   "JOIN f ON gl.sub = f.sub "
                                                   "WHERE coalesce(gl.net, 0) <> coalesce(f.net, "
                                                   "0) LIMIT 10",
     "every customer's receivable sub-ledger = outstanding + debit notes - payments - round-down"},
    {"plan expiries",
     "SELECT o.order_id, o.valid_to FROM billing.orders o WHERE o.kind = 'plan' "
     "AND o.valid_to <= (SELECT max(as_of) FROM ledger.batches WHERE kind IN ('run', "
     "'reprocess')) AND NOT EXISTS (SELECT 1 FROM billing.plan_events e "
     "  WHERE e.order_id = o.order_id AND e.kind IN ('breakage', 'expiry')) LIMIT 10",
     "every plan whose validity ended by the last run's as-of has its expiry (a run loads only "
     "the plans ending after it)"},
    {"revenue recognition",
     "SELECT o.order_id, s.recognised_e8, o.paid_e8, s.consumed, o.face FROM billing.orders o "
     "JOIN billing.order_state_latest s USING (order_id) WHERE o.kind = 'plan' "
     "AND o.plan_type IN ('amount', 'pool') "
     "AND s.recognised_e8 <> floor(o.paid_e8::numeric * s.consumed / o.face) LIMIT 10",
     "recognised = floor(paid * consumed / face) for every amount and pool plan"},
    {"plan draws",
     "SELECT o.order_id, s.consumed, d.drawn FROM billing.orders o "
     "JOIN billing.order_state_latest s USING (order_id) "
     "JOIN (SELECT order_id, sum(units) AS drawn FROM billing.draws "
     "  WHERE source IN ('plan', 'coupon') GROUP BY order_id) d USING (order_id) "
     "WHERE s.consumed <> d.drawn OR (s.consumed > o.face AND "
     "coalesce(o.plan_type, 'coupon') IN ('amount', 'pool', 'coupon')) "
     /* one hashed set of the orders with a bucket over face: an EXISTS
      * per order scanned every bucket once per plan (81 s at 100k plans) */
     "OR o.order_id IN (SELECT b.order_id FROM billing.bucket_state b "
     "  JOIN billing.orders p USING (order_id) "
     "  WHERE b.used > p.face AND b.kind = 'month' OR p.face < ANY (b.hours)) "
     "LIMIT 10",
     "every plan's and coupon's consumption equals its draws and stays within its face "
     "(monthly plans: in each month; capacity plans: in each hour)"},
    {"usage lines and draws",
     "WITH d AS (SELECT batch_id, account_id, day, item, "
     "  sum(value_e8) FILTER (WHERE source = 'plan') AS plan, "
     "  sum(value_e8) FILTER (WHERE source = 'coupon') AS coupon "
     "  FROM billing.draws GROUP BY 1, 2, 3, 4) "
     "SELECT l.batch_id, l.account_id, l.day, l.item FROM billing.usage_lines l "
     "LEFT JOIN d USING (batch_id, account_id, day, item) "
     "WHERE l.plan_e8 <> coalesce(d.plan, 0) OR l.coupon_e8 <> coalesce(d.coupon, 0) "
     "UNION ALL SELECT d.batch_id, d.account_id, d.day, d.item FROM d LEFT JOIN "
     "billing.usage_lines l USING (batch_id, account_id, day, item) WHERE l.batch_id IS NULL "
     "LIMIT 10",
     "every rated line's plan and coupon split equals its draws, and every draw has its line; "
     "gross = free + plan + coupon + balance + outstanding (a constraint)"},
    {"files and rejects",
     "SELECT f.file_id, f.name, f.rejected, coalesce(r.n, 0) AS kept FROM billing.files f "
     "LEFT JOIN (SELECT file_id, count(*) AS n FROM billing.reject_rows GROUP BY 1) r "
     "USING (file_id) WHERE f.kind <> 'reprocess' AND f.rejected <> coalesce(r.n, 0) LIMIT 10",
     "every file's rejected count equals its kept rejects; rows = accepted + rejected"},
    {"invoices",
     "SELECT f.invoice_no FROM billing.invoice_finals f JOIN billing.invoices i USING (invoice_no) "
     "WHERE billing.cny(f.outstanding_e8) <> i.outstanding LIMIT 10",
     "final invoices equal their rated lines"},
    {"adjustments (" CODE(BR_ACC_ADJUSTMENTS) ")",
     "WITH gl AS (SELECT e.period, x.sub AS item, sum(x.amt) AS net FROM (SELECT entry_id, "
     "  debit_sub AS sub, amount_e8 AS amt FROM ledger.transfers WHERE debit_code = " CODE(
         BR_ACC_ADJUSTMENTS) " UNION ALL SELECT entry_id, credit_sub, -amount_e8 FROM "
                             "ledger.transfers WHERE credit_code = " CODE(
                                 BR_ACC_ADJUSTMENTS) ") x "
                                                     "JOIN ledger.entries e USING (entry_id) "
                                                     "GROUP BY 1, 2), "
                                                     "f AS (SELECT period, item, sum(CASE kind "
                                                     "WHEN 'credit' THEN amount_e8 ELSE -amount_e8 "
                                                     "END) "
                                                     "  AS net FROM billing.adjustment_rows GROUP "
                                                     "BY 1, 2) "
                                                     "SELECT coalesce(gl.period, f.period) AS "
                                                     "period, coalesce(gl.item, f.item) AS item, "
                                                     "coalesce(gl.net, 0) AS ledger_e8, "
                                                     "coalesce(f.net, 0) AS notes_e8 FROM gl FULL "
                                                     "JOIN f "
                                                     "ON gl.period = f.period AND gl.item = f.item "
                                                     "WHERE coalesce(gl.net, 0) <> coalesce(f.net, "
                                                     "0) LIMIT 10",
     "contra-revenue by period and item = credit notes - debit notes of that period"},
    {"credit notes within their invoices",
     "SELECT a.invoice_no, a.account_id, sum(a.amount_e8)::text AS credited_e8, "
     "(max(f.gross_e8) - max(f.free_e8))::text AS creditable_e8 "
     "FROM billing.adjustment_rows a LEFT JOIN billing.invoice_finals f "
     "ON f.invoice_no = a.invoice_no AND f.account_id = a.account_id "
     "WHERE a.invoice_no IS NOT NULL GROUP BY a.invoice_no, a.account_id "
     "HAVING count(f.invoice_no) < count(*) "
     "OR sum(a.amount_e8) FILTER (WHERE a.kind = 'credit') > max(f.gross_e8) - max(f.free_e8) "
     "LIMIT 10",
     "every note names a final invoice of its account; no invoice is credited more than its "
     "gross - free"},
    {"note numbers",
     "WITH n AS (SELECT a.adjustment_id, a.period, a.kind, n.note_no, n.period AS note_period, "
     "  c.period IS NOT NULL AS closed, row_number() OVER (PARTITION BY a.period, a.kind "
     "  ORDER BY a.account_id COLLATE \"C\", a.adjustment_time, a.adjustment_id COLLATE \"C\") "
     "  AS k FROM billing.adjustment_rows a "
     "  LEFT JOIN billing.adjustment_notes n USING (adjustment_id) "
     "  LEFT JOIN billing.period_closes c ON c.period = a.period) "
     "SELECT adjustment_id, period, note_no FROM n WHERE closed <> (note_no IS NOT NULL) "
     "OR (note_no IS NOT NULL AND (note_period <> period OR note_no <> (CASE kind WHEN 'credit' "
     "THEN 'CN-' ELSE 'DN-' END) || replace(period, '-', '') || '-' || lpad(k::text, 6, '0'))) "
     "UNION ALL SELECT n.adjustment_id, n.period, n.note_no FROM billing.adjustment_notes n "
     "WHERE NOT EXISTS (SELECT 1 FROM billing.adjustment_rows a WHERE a.adjustment_id = "
     "n.adjustment_id) LIMIT 10",
     "every adjustment of a closed period has its note number, gapless per series in (account, "
     "time, id) order; none of an open period has one"},
};

size_t br_checks_count(void)
{
    return sizeof(checks) / sizeof(checks[0]);
}

enum br_status br_checks_run(struct br_db *db, size_t i, struct br_check_result *out,
                             struct br_error *err)
{
    BR_ASSERT(i < br_checks_count());
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", checks[i].name);
    PGresult *r;
    double t0 = br_now_s();
    enum br_status st = br_sql_query(db, checks[i].sql, 0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    br_log(BR_LOG_DEBUG, "verify_check", "check=%s seconds=%.3f", br_logq(checks[i].name),
           br_now_s() - t0);
    int n = PQntuples(r);
    out->ok = n == 0;
    if (n == 0) {
        snprintf(out->detail, sizeof(out->detail), "%s", checks[i].ok);
    } else {
        size_t o = (size_t)snprintf(out->detail, sizeof(out->detail), "%d found, e.g.", n);
        for (int k = 0; k < n && k < 3 && o < sizeof(out->detail) - 1; k++) {
            o += (size_t)snprintf(out->detail + o, sizeof(out->detail) - o, "%s", k ? ";" : "");
            for (int c = 0; c < PQnfields(r) && o < sizeof(out->detail) - 1; c++)
                o += (size_t)snprintf(out->detail + o, sizeof(out->detail) - o, " %s=%s",
                                      PQfname(r, c),
                                      PQgetisnull(r, k, c) ? "NULL" : PQgetvalue(r, k, c));
        }
    }
    PQclear(r);
    return BR_OK;
}
