/* billrun verify: the hash chain, the balance of every entry and period,
 * the sub-ledgers against their control accounts and the billing state,
 * the revenue recognition formula, files against their rejects, and that
 * nothing was posted into a period after it was closed. */
#include "ledger/verify.h"

#include "core/log.h"
#include "core/sha256.h"
#include "ledger/post.h"
#include "ledger/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report(struct br_verify_report *r, bool ok, const char *name, const char *detail)
{
    if (r->n < BR_VERIFY_MAX) {
        struct br_verify_check *c = &r->checks[r->n++];
        c->ok = ok;
        snprintf(c->name, sizeof(c->name), "%s", name);
        snprintf(c->detail, sizeof(c->detail), "%s", detail ? detail : "");
    }
    if (!ok)
        r->failed++;
}

static enum br_status check_chain(struct br_db *db, struct br_verify_report *rep,
                                  struct br_error *err)
{
    PGresult *r;
    enum br_status st = br_db_query(
        db,
        "SELECT batch_id, kind, extract(epoch FROM as_of)::bigint, period, encode(prev_hash, "
        "'hex'), encode(content_hash, 'hex'), encode(hash, 'hex') FROM ledger.batches "
        "ORDER BY batch_id",
        0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    char detail[600] = "";
    bool ok = true;
    char prev[65] = "";
    int n = PQntuples(r);
    for (int i = 0; i < n && ok && st == BR_OK; i++) {
        int64_t id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        const char *p = PQgetvalue(r, i, 4);
        if (id != i + 1) {
            snprintf(detail, sizeof(detail), "batch numbers are not 1, 2, 3...: %lld at %d",
                     (long long)id, i + 1);
            ok = false;
            break;
        }
        if ((i == 0) != PQgetisnull(r, i, 4) || (i > 0 && strcmp(p, prev) != 0)) {
            snprintf(detail, sizeof(detail),
                     "batch %lld: prev_hash does not name the previous batch's hash",
                     (long long)id);
            ok = false;
            break;
        }
        struct br_batch_header h = {.batch_id = id,
                                    .kind = PQgetvalue(r, i, 1),
                                    .as_of = strtoll(PQgetvalue(r, i, 2), NULL, 10),
                                    .period = PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3),
                                    .has_prev = i > 0};
        for (int k = 0; k < 32 && h.has_prev; k++) {
            unsigned x;
            sscanf(p + 2 * k, "%2x", &x);
            h.prev_hash[k] = (uint8_t)x;
        }
        uint8_t content[32], chained[32];
        st = br_batch_hash(db, &h, content, chained, err);
        char ch[65], hh[65];
        br_hex32(content, ch);
        br_hex32(chained, hh);
        if (st == BR_OK && strcmp(ch, PQgetvalue(r, i, 5)) != 0) {
            snprintf(detail, sizeof(detail),
                     "batch %lld: its entries, transfers, files, usage lines or final invoices "
                     "differ from what was committed (content hash %.16s..., recomputed %.16s...)",
                     (long long)id, PQgetvalue(r, i, 5), ch);
            ok = false;
        } else if (st == BR_OK && strcmp(hh, PQgetvalue(r, i, 6)) != 0) {
            snprintf(detail, sizeof(detail),
                     "batch %lld: hash does not chain (%.16s... vs %.16s...)", (long long)id,
                     PQgetvalue(r, i, 6), hh);
            ok = false;
        }
        snprintf(prev, sizeof(prev), "%s", PQgetvalue(r, i, 6));
    }
    if (ok)
        snprintf(detail, sizeof(detail), "%d batches, chain intact", n);
    PQclear(r);
    if (st == BR_OK)
        report(rep, ok, "hash chain", detail);
    return st;
}

/* A check that passes when the query returns no row; the first rows found
 * are described with `fmt` applied to their first columns. */
static enum br_status check_none(struct br_db *db, struct br_verify_report *rep, const char *name,
                                 const char *sql, const char *ok_text, struct br_error *err)
{
    PGresult *r;
    double t0 = br_now_s();
    enum br_status st = br_db_query(db, sql, 0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    br_log(BR_LOG_DEBUG, "verify_check", "check=%s seconds=%.3f", br_logq(name), br_now_s() - t0);
    char detail[600] = "";
    int n = PQntuples(r);
    if (n == 0) {
        snprintf(detail, sizeof(detail), "%s", ok_text);
    } else {
        size_t o = (size_t)snprintf(detail, sizeof(detail), "%d found, e.g.", n);
        for (int i = 0; i < n && i < 3 && o < sizeof(detail) - 1; i++) {
            o += (size_t)snprintf(detail + o, sizeof(detail) - o, "%s", i ? ";" : "");
            for (int c = 0; c < PQnfields(r) && o < sizeof(detail) - 1; c++)
                o += (size_t)snprintf(detail + o, sizeof(detail) - o, " %s=%s", PQfname(r, c),
                                      PQgetisnull(r, i, c) ? "NULL" : PQgetvalue(r, i, c));
        }
    }
    PQclear(r);
    report(rep, n == 0, name, detail);
    return BR_OK;
}

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
    {"prepaid balances (2100)",
     "WITH gl AS (SELECT sub, sum(amt) AS net FROM (SELECT credit_sub AS sub, amount_e8 AS amt "
     "  FROM ledger.transfers WHERE credit_code = 2100 UNION ALL SELECT debit_sub, -amount_e8 "
     "  FROM ledger.transfers WHERE debit_code = 2100) x GROUP BY sub), "
     "st AS (SELECT DISTINCT ON (account_id) account_id AS sub, balance_e8 FROM "
     "  billing.balance_state ORDER BY account_id, batch_id DESC) "
     "SELECT coalesce(gl.sub, st.sub) AS account_id, coalesce(gl.net, 0) AS ledger_e8, "
     "coalesce(st.balance_e8, 0) AS state_e8 FROM gl FULL JOIN st ON gl.sub = st.sub "
     "WHERE coalesce(gl.net, 0) <> coalesce(st.balance_e8, 0) LIMIT 10",
     "every customer's 2100 sub-ledger equals its prepaid balance"},
    {"contract liability (2200)",
     "WITH gl AS (SELECT sub, sum(amt) AS net FROM (SELECT credit_sub AS sub, amount_e8 AS amt "
     "  FROM ledger.transfers WHERE credit_code = 2200 UNION ALL SELECT debit_sub, -amount_e8 "
     "  FROM ledger.transfers WHERE debit_code = 2200) x GROUP BY sub) "
     "SELECT o.order_id, coalesce(gl.net, 0) AS ledger_e8, "
     "o.paid_e8 - coalesce(s.recognised_e8, 0) - coalesce(s.breakage_e8, 0) AS state_e8, "
     "coalesce(s.expired, false) AS expired FROM billing.orders o "
     "LEFT JOIN billing.order_state_latest s USING (order_id) LEFT JOIN gl ON gl.sub = o.order_id "
     "WHERE o.kind = 'plan' AND (coalesce(gl.net, 0) <> o.paid_e8 - coalesce(s.recognised_e8, 0) "
     "- coalesce(s.breakage_e8, 0) OR coalesce(gl.net, 0) < 0 "
     "OR (coalesce(s.expired, false) AND coalesce(gl.net, 0) <> 0)) LIMIT 10",
     "every plan's 2200 sub-ledger = paid - recognised - breakage, never negative, 0 after expiry"},
    {"receivables (1100)",
     "WITH gl AS (SELECT sub, sum(amt) AS net FROM (SELECT debit_sub AS sub, amount_e8 AS amt "
     "  FROM ledger.transfers WHERE debit_code = 1100 UNION ALL SELECT credit_sub, -amount_e8 "
     "  FROM ledger.transfers WHERE credit_code = 1100) x GROUP BY sub), "
     "f AS (SELECT account_id AS sub, sum(v) AS net FROM ("
     "  SELECT account_id, outstanding_e8 AS v FROM billing.usage_lines "
     "  UNION ALL SELECT account_id, -paid_e8 FROM billing.orders WHERE kind = 'payment' "
     "  UNION ALL SELECT account_id, -round_down_e8 FROM billing.invoice_finals) y GROUP BY 1) "
     "SELECT coalesce(gl.sub, f.sub) AS account_id, coalesce(gl.net, 0) AS ledger_e8, "
     "coalesce(f.net, 0) AS facts_e8 FROM gl FULL JOIN f ON gl.sub = f.sub "
     "WHERE coalesce(gl.net, 0) <> coalesce(f.net, 0) LIMIT 10",
     "every customer's 1100 sub-ledger = outstanding - payments - round-down"},
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
     "  WHERE b.used > p.face AND b.kind IN ('month', 'hour') OR p.face < ANY (b.hours)) "
     "LIMIT 10",
     "every plan's and coupon's consumption equals its draws and stays within its face "
     "(monthly plans: in each month; capacity plans: in each hour)"},
    {"usage lines and draws",
     "WITH d AS (SELECT batch_id, account_id, day, item, "
     "  sum(value_e8) FILTER (WHERE source = 'free') AS free, "
     "  sum(value_e8) FILTER (WHERE source = 'plan') AS plan, "
     "  sum(value_e8) FILTER (WHERE source = 'coupon') AS coupon, "
     "  sum(value_e8) FILTER (WHERE source = 'balance') AS balance, "
     "  sum(value_e8) FILTER (WHERE source = 'outstanding') AS outstanding "
     "  FROM billing.draws GROUP BY 1, 2, 3, 4) "
     "SELECT l.batch_id, l.account_id, l.day, l.item FROM billing.usage_lines l "
     "LEFT JOIN d USING (batch_id, account_id, day, item) "
     "WHERE l.plan_e8 <> coalesce(d.plan, 0) OR l.coupon_e8 <> coalesce(d.coupon, 0) "
     "OR l.free_e8 <> coalesce(d.free, l.free_e8) OR l.balance_e8 <> coalesce(d.balance, "
     "l.balance_e8) OR l.outstanding_e8 <> coalesce(d.outstanding, l.outstanding_e8) LIMIT 10",
     "every rated line's plan and coupon split equals its draws (and its free, balance and "
     "outstanding split the draws of them that batches before sql/006 wrote); gross = free + "
     "plan + coupon + balance + outstanding (a constraint)"},
    {"files and rejects",
     "SELECT f.file_id, f.name, f.rejected, coalesce(r.n, 0) AS kept FROM billing.files f "
     "LEFT JOIN (SELECT file_id, count(*) AS n FROM billing.reject_rows GROUP BY 1) r "
     "USING (file_id) WHERE f.kind <> 'reprocess' AND f.rejected <> coalesce(r.n, 0) LIMIT 10",
     "every file's rejected count equals its kept rejects; rows = accepted + rejected"},
    {"invoices",
     "SELECT f.invoice_no FROM billing.invoice_finals f JOIN billing.invoices i USING (invoice_no) "
     "WHERE billing.cny(f.outstanding_e8) <> i.outstanding LIMIT 10",
     "final invoices equal their rated lines"},
};

enum br_status br_verify(struct br_db *db, struct br_verify_report *rep, struct br_error *err)
{
    memset(rep, 0, sizeof(*rep));
    enum br_status st = br_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", err);
    if (st == BR_OK)
        st = check_chain(db, rep, err);
    for (size_t i = 0; st == BR_OK && i < sizeof(checks) / sizeof(checks[0]); i++)
        st = check_none(db, rep, checks[i].name, checks[i].sql, checks[i].ok, err);
    struct br_error ignore;
    br_db_exec(db, "ROLLBACK", &ignore);
    return st;
}
