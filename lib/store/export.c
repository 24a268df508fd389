/* The queries of billrun export (export.h). */
#include "store/export.h"

#include "store/sql.h"
#include "store/txn.h"

#include <stdlib.h>
#include <string.h>

#define EXPORT_FETCH_ROWS "10000" /* rows per FETCH: a chunk's memory, not the period's */

enum br_status br_export_read_state(struct br_db *db, const char *period, struct br_export_state *s,
                                    struct br_error *err)
{
    memset(s, 0, sizeof(*s));
    const char *p[1] = {period};
    PGresult *r;
    enum br_status st = br_sql_query(
        db,
        "SELECT (SELECT extract(epoch FROM closed_at)::bigint FROM billing.period_closes "
        "WHERE period = $1), (SELECT coalesce(max(batch_id), 0) FROM ledger.batches)",
        1, p, &r, err);
    if (st != BR_OK)
        return st;
    s->closed = !PQgetisnull(r, 0, 0);
    s->closed_at = br_sql_i64(r, 0, 0, 0);
    s->last_batch = br_sql_i64(r, 0, 1, 0);
    PQclear(r);
    return br_txn_last_run_as_of(db, &s->last_as_of, err);
}

/* Hands each row of one FETCH to fn. Columns as the cursor selects them. */
static enum br_status deliver(const PGresult *r, br_export_posting_fn fn, void *ctx,
                              struct br_error *err)
{
    enum br_status st = BR_OK;
    for (int i = 0, n = PQntuples(r); i < n && st == BR_OK; i++) {
        struct br_export_posting x = {.entry_id = br_sql_i64(r, i, 0, 0),
                                      .effective_at = br_sql_i64(r, i, 1, 0),
                                      .customer = PQgetvalue(r, i, 2),
                                      .description = PQgetvalue(r, i, 3),
                                      .late = br_sql_bool(r, i, 4),
                                      .credit = br_sql_i64(r, i, 5, 0) != 0,
                                      .code = (int)br_sql_i64(r, i, 6, 0),
                                      .sub_ledger = PQgetvalue(r, i, 7),
                                      .amount_e8 = br_sql_i64(r, i, 8, 0),
                                      .transfer_id = br_sql_i64(r, i, 9, 0)};
        st = fn(ctx, &x, err);
    }
    return st;
}

enum br_status br_export_read_postings(struct br_db *db, const char *period,
                                       br_export_posting_fn fn, void *ctx, struct br_error *err)
{
    const char *p[1] = {period};
    enum br_status st = br_sql_execp(
        db,
        "DECLARE br_export_postings NO SCROLL CURSOR FOR "
        "SELECT e.entry_id, extract(epoch FROM e.effective_at)::bigint, "
        "coalesce(e.account_id, ''), e.description, e.late, s.side, s.code, s.sub, t.amount_e8, "
        "t.transfer_id FROM ledger.entries e JOIN ledger.transfers t USING (entry_id) "
        "CROSS JOIN LATERAL (VALUES (0, t.debit_code, t.debit_sub), "
        "(1, t.credit_code, t.credit_sub)) s(side, code, sub) "
        "WHERE e.period = $1 ORDER BY e.entry_id, s.side, t.transfer_id",
        1, p, err);
    bool more = st == BR_OK;
    while (more) {
        PGresult *r;
        st = br_sql_query(db, "FETCH " EXPORT_FETCH_ROWS " FROM br_export_postings", 0, NULL, &r,
                          err);
        if (st != BR_OK)
            break;
        more = PQntuples(r) > 0;
        st = deliver(r, fn, ctx, err);
        PQclear(r);
        more = more && st == BR_OK;
    }
    if (st == BR_OK)
        st = br_sql_exec(db, "CLOSE br_export_postings", err);
    return st;
}

enum br_status br_export_read_tb(struct br_db *db, const char *period, struct br_export_tb *rows,
                                 size_t cap, size_t *n, struct br_error *err)
{
    *n = 0;
    const char *p[1] = {period};
    PGresult *r;
    /* the view's numeric CNY amounts have 8 decimals: times 10^8 they are
     * the exact e8 sums again */
    enum br_status st = br_sql_query(
        db,
        "SELECT account_code, (total_debit * 100000000)::bigint, "
        "(total_credit * 100000000)::bigint FROM ledger.trial_balance WHERE period = $1 "
        "ORDER BY account_code",
        1, p, &r, err);
    if (st != BR_OK)
        return st;
    size_t m = (size_t)PQntuples(r);
    if (m > cap) {
        PQclear(r);
        return br_fail(err, BR_ERR_STATE, "the trial balance of %s has %zu accounts, the chart %zu",
                       period, m, cap);
    }
    for (size_t i = 0; i < m; i++)
        rows[i] = (struct br_export_tb){.code = (int)br_sql_i64(r, (int)i, 0, 0),
                                        .debit_e8 = br_sql_i64(r, (int)i, 1, 0),
                                        .credit_e8 = br_sql_i64(r, (int)i, 2, 0)};
    *n = m;
    PQclear(r);
    return BR_OK;
}
