/* Closing a period in the database (one transaction), then loading the
 * period's invoices and writing the workbooks (after commit, on threads). */
#include "invoice/close.h"

#include "core/log.h"
#include "core/money.h"
#include "invoice/docs.h"
#include "ledger/load.h"
#include "ledger/post.h"
#include "ledger/run.h"
#include "ledger/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum br_status closed_at(struct br_db *db, const char *per, int64_t *at, bool *closed,
                                struct br_error *err)
{
    const char *p[1] = {per};
    int64_t v;
    enum br_status st = br_db_int64(
        db,
        "SELECT extract(epoch FROM closed_at)::bigint FROM billing.period_closes WHERE period = $1",
        1, p, INT64_MIN, &v, err);
    *closed = st == BR_OK && v != INT64_MIN;
    *at = v;
    return st;
}

/* rules.md 6: close itself processes expiries and recognition up to the
 * period end, so a close is never refused for an early as-of. But a last
 * run before the period end means days of the period may still have usage
 * to come (it will be billed in the next open period, flagged late): the
 * close says so (unless --force) and records it in period_closes.forced. */
static enum br_status check_as_of(struct br_db *db, const struct br_close_opts *o, int64_t end,
                                  int32_t tz, bool *early, struct br_error *err)
{
    int64_t last;
    enum br_status st = br_db_int64(db,
                                    "SELECT extract(epoch FROM max(as_of))::bigint FROM "
                                    "ledger.batches WHERE kind IN ('run', 'reprocess')",
                                    0, NULL, INT64_MIN, &last, err);
    *early = st == BR_OK && last < end;
    if (!*early || o->force)
        return st;
    char a[40], e[40], per[16];
    br_time_format(end, tz, e, sizeof(e));
    br_period_format(o->period, per, sizeof(per));
    if (last == INT64_MIN)
        snprintf(a, sizeof(a), "none");
    else
        br_time_format(last, tz, a, sizeof(a));
    br_log(BR_LOG_WARN, "close_early", "period=%s last_run_as_of=%s period_end=%s note=%s", per, a,
           e,
           br_logq("no run has reached the period end: usage of its last days that arrives "
                   "later is billed in the next open period, flagged late"));
    return st;
}

/* Points *s at a copy in the journal's arena; false when out of memory. */
static bool journal_own(struct br_journal *j, const char **s)
{
    if (*s != NULL)
        *s = br_arena_strndup(&j->arena, *s, strlen(*s));
    return *s != NULL;
}

/* The entries and transfers br_post_build makes point into the book (account
 * and order ids), which close_recognise frees before close_db writes the
 * journal: they get their own copies. */
static enum br_status journal_own_strings(struct br_journal *j, struct br_error *err)
{
    bool ok = true;
    for (size_t i = 0; ok && i < j->nentries; i++) {
        struct br_entry *e = &j->entries[i];
        ok = journal_own(j, &e->account) && journal_own(j, &e->order_id) &&
             journal_own(j, &e->description);
    }
    for (size_t i = 0; ok && i < j->ntransfers; i++)
        ok = journal_own(j, &j->transfers[i].debit_sub) &&
             journal_own(j, &j->transfers[i].credit_sub);
    return ok ? BR_OK : br_fail(err, BR_ERR_NOMEM, "out of memory closing");
}

/* Straight-line recognition and expiries up to the period end. */
static enum br_status close_recognise(struct br_db *db, struct br_calendar cal, int64_t end,
                                      int64_t batch_id, struct br_journal *j, struct br_error *err)
{
    struct br_book book;
    struct br_rate_state state;
    struct br_rate_result rr;
    struct br_ingest ing;
    br_period *closed = NULL;
    size_t nclosed = 0;
    memset(&state, 0, sizeof(state));
    memset(&rr, 0, sizeof(rr));
    br_book_init(&book);
    br_ingest_init(&ing, &book, cal, 1);
    enum br_status st = br_load_book(db, &book, end, NULL, err);
    if (st == BR_OK)
        st = br_load_closed(db, &closed, &nclosed, err);
    if (st == BR_OK)
        st = br_load_state(db, &book, &state, INT32_MAX, INT64_MAX, err);
    struct br_rate_input in = {.book = &book,
                               .usage = &ing.usage,
                               .cal = cal,
                               .as_of = end,
                               .closed = closed,
                               .nclosed = nclosed,
                               .threads = 1};
    if (st == BR_OK)
        st = br_rate_recognise(&in, &state, end, &rr, err);
    int64_t file_ids[1] = {0};
    struct br_post_input pin = {.batch_id = batch_id,
                                .cal = cal,
                                .closed = closed,
                                .nclosed = nclosed,
                                .ing = &ing,
                                .book = &book,
                                .rated = &rr,
                                .state = &state,
                                .file_ids = file_ids};
    if (st == BR_OK)
        st = br_post_build(&pin, j, err);
    if (st == BR_OK)
        st = journal_own_strings(j, err);
    if (st == BR_OK)
        st = br_post_write_facts(db, &pin, err);
    free(closed);
    br_rate_result_free(&rr);
    br_rate_state_free(&state);
    br_ingest_free(&ing);
    br_book_free(&book);
    return st;
}

/* Round-down entries, numbers and final invoices. */
static enum br_status close_invoices(struct br_db *db, const char *per, int64_t end,
                                     int64_t batch_id, struct br_journal *j,
                                     struct br_close_summary *s, struct br_error *err)
{
    const char *p[1] = {per};
    PGresult *r;
    enum br_status st = br_db_query(
        db,
        "WITH activity AS (SELECT account_id FROM billing.usage_lines WHERE period = $1 "
        "  UNION SELECT account_id FROM billing.orders WHERE period = $1) "
        "SELECT a.account_id, coalesce(sum(u.gross_e8), 0), coalesce(sum(u.free_e8), 0), "
        "coalesce(sum(u.plan_e8), 0), coalesce(sum(u.coupon_e8), 0), "
        "coalesce(sum(u.balance_e8), 0), coalesce(sum(u.outstanding_e8), 0), "
        "coalesce(min(c.name), ''), coalesce(min(c.address), ''), coalesce(min(c.tax_id), ''), "
        "coalesce(min(c.email), '') "
        "FROM activity a LEFT JOIN billing.usage_lines u ON u.account_id = a.account_id "
        "AND u.period = $1 LEFT JOIN billing.accounts c ON c.account_id = a.account_id "
        "GROUP BY a.account_id ORDER BY a.account_id COLLATE \"C\"",
        1, p, &r, err);
    if (st != BR_OK)
        return st;
    struct br_copy c;
    st = br_copy_begin(&c, db,
                       "COPY billing.invoice_finals (invoice_no, period, account_id, batch_id, "
                       "gross_e8, free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8, "
                       "round_down_e8, amount_due_e8, buyer_name, buyer_address, buyer_tax_id, "
                       "buyer_email) FROM STDIN",
                       err);
    int n = PQntuples(r);
    for (int i = 0; i < n && st == BR_OK; i++) {
        char no[32];
        snprintf(no, sizeof(no), "INV-%.4s%.2s-%06d", per, per + 5, i + 1);
        const char *acct = PQgetvalue(r, i, 0);
        int64_t outstanding = strtoll(PQgetvalue(r, i, 6), NULL, 10);
        int64_t rd = outstanding - br_floor_fen(outstanding);
        br_copy_str(&c, no);
        br_copy_sep(&c);
        br_copy_str(&c, per);
        br_copy_sep(&c);
        br_copy_str(&c, acct);
        br_copy_sep(&c);
        br_copy_i64(&c, batch_id);
        for (int k = 1; k <= 6; k++) {
            br_copy_sep(&c);
            br_copy_str(&c, PQgetvalue(r, i, k));
        }
        br_copy_sep(&c);
        br_copy_i64(&c, rd);
        br_copy_sep(&c);
        br_copy_i64(&c, outstanding - rd);
        for (int k = 7; k <= 10; k++) {
            br_copy_sep(&c);
            br_copy_str(&c, PQgetvalue(r, i, k));
        }
        br_copy_end_row(&c);
        s->round_down_e8 += rd;
        s->amount_due_e8 += outstanding - rd;
        if (rd == 0)
            continue;
        char money[32];
        br_e8_format(rd, money, sizeof(money));
        const char *acct_copy = br_arena_strndup(&j->arena, acct, strlen(acct));
        const char *no_copy = br_arena_strndup(&j->arena, no, strlen(no));
        const char *desc_src = "Round-down discount";
        char desc[160];
        snprintf(desc, sizeof(desc), "%s on %s of %s: %s", desc_src, no, acct, money);
        struct br_entry e = {.period = 0,
                             .effective_at = end - 1,
                             .account = acct_copy,
                             .kind = BR_ENTRY_ROUND_DOWN,
                             .item = -1,
                             .order_id = no_copy,
                             .description = br_arena_strndup(&j->arena, desc, strlen(desc))};
        br_period_parse(per, 7, &e.period);
        int64_t id = br_journal_entry(j, &e);
        if (id == 0 || acct_copy == NULL || no_copy == NULL)
            st = BR_ERR_NOMEM;
        else
            st = br_journal_transfer(j, id, 4910, acct_copy, 1100, acct_copy, rd);
    }
    s->invoices = (size_t)n;
    PQclear(r);
    if (st == BR_OK)
        return br_copy_finish(&c, err);
    br_copy_finish(&c, err);
    return st == BR_ERR_NOMEM ? br_fail(err, st, "out of memory closing") : st;
}

static enum br_status close_db(struct br_db *db, const struct br_close_opts *o,
                               struct br_calendar cal, const char *seller,
                               struct br_close_summary *s, struct br_error *err)
{
    char per[16];
    br_period_format(o->period, per, sizeof(per));
    int64_t end = br_period_start(&cal, o->period + 1);
    bool early = false;
    enum br_status st = check_as_of(db, o, end, cal.offset_s, &early, err);
    s->early = early;
    int64_t tip = 0;
    bool has_prev = false;
    uint8_t prev[32];
    if (st == BR_OK)
        st = br_run_chain_tip(db, &tip, &has_prev, prev, err);
    int64_t batch_id = tip + 1, next_entry = 0, next_transfer = 0;
    if (st == BR_OK)
        st = br_next_id(db, "ledger.entries", "entry_id", &next_entry, err);
    if (st == BR_OK)
        st = br_next_id(db, "ledger.transfers", "transfer_id", &next_transfer, err);
    struct br_journal j;
    br_journal_init(&j, next_entry, next_transfer);
    if (st == BR_OK)
        st = close_recognise(db, cal, end, batch_id, &j, err);
    /* the close row first: final invoices reference it, and entries of this
     * batch may still post into the period it closes */
    char id[24], forced[8];
    snprintf(id, sizeof(id), "%lld", (long long)batch_id);
    snprintf(forced, sizeof(forced), "%s", early ? "true" : "false");
    const char *p[4] = {per, id, forced, seller};
    if (st == BR_OK)
        st = br_db_execp(db,
                         "INSERT INTO billing.period_closes (period, batch_id, closed_at, forced, "
                         "seller) VALUES ($1, $2, date_trunc('second', now()), $3, $4)",
                         4, p, err);
    if (st == BR_OK)
        st = close_invoices(db, per, end, batch_id, &j, s, err);
    if (st == BR_OK)
        st = br_journal_write(&j, db, batch_id, cal, err);
    char summary[160];
    snprintf(summary, sizeof(summary), "close %s: %zu invoices, %zu entries", per, s->invoices,
             j.nentries);
    struct br_batch_header h = {.batch_id = batch_id,
                                .kind = "close",
                                .started_at = (int64_t)time(NULL),
                                .as_of = end,
                                .period = per,
                                .version = o->version,
                                .has_prev = has_prev,
                                .summary = summary,
                                .journal = &j};
    memcpy(h.prev_hash, prev, 32);
    if (st == BR_OK)
        st = br_batch_insert(db, &h, err);
    if (st == BR_OK)
        s->batch_id = batch_id; /* committed by br_close once the files are written */
    br_journal_free(&j);
    return st;
}

enum br_status br_close(struct br_db *db, const struct br_close_opts *o, struct br_close_summary *s,
                        struct br_error *err)
{
    memset(s, 0, sizeof(*s));
    double t0 = br_now_s();
    int32_t tz;
    enum br_status st = br_schema_calendar(db, &tz, err);
    if (st != BR_OK)
        return st;
    struct br_calendar cal = {tz};
    char per[16];
    br_period_format(o->period, per, sizeof(per));
    st = o->rewrite_only ? br_db_exec(db, "BEGIN", err) : br_run_begin(db, o->no_wait, err);
    if (st != BR_OK)
        return st;
    bool closed;
    int64_t at;
    st = closed_at(db, per, &at, &closed, err);
    if (st == BR_OK && o->rewrite_only && !closed)
        st = br_fail(err, BR_ERR_STATE, "%s is not closed: `billrun close --period %s` first", per,
                     per);
    if (st == BR_OK && !o->rewrite_only && closed) {
        s->already_closed = true; /* closing twice changes nothing, rewrites nothing */
        br_db_exec(db, "ROLLBACK", err);
        s->t_total = br_now_s() - t0;
        return BR_OK;
    }
    char seller[4096];
    if (st == BR_OK && !closed)
        st = br_seller_config(o->seller_conf, seller, sizeof(seller), err);
    if (st == BR_OK && !closed)
        st = close_db(db, o, cal, seller, s, err);
    if (st != BR_OK) {
        struct br_error ignore;
        br_db_exec(db, "ROLLBACK", &ignore);
        return st;
    }
    if (closed) { /* billrun invoices: the closed period's files again */
        br_db_exec(db, "ROLLBACK", err);
        s->t_db = br_now_s() - t0;
        double t1 = br_now_s();
        st = br_docs_write(db, cal, o->period, o->out_dir, NULL, false, o->threads, s, err);
        s->t_files = br_now_s() - t1;
        s->t_total = br_now_s() - t0;
        return st;
    }
    /* A close is all or nothing, its files included: they are written into
     * a staging folder from the open transaction, the transaction commits
     * only once they are all written and synced, and then they move into
     * out_dir/YYYY-MM. A failure before the commit leaves neither a closed
     * period nor a file. */
    int64_t batch_id = s->batch_id;
    s->batch_id = 0;
    s->t_db = br_now_s() - t0;
    char staging[64], staging_path[sizeof(s->folder)], folder[sizeof(s->folder)];
    snprintf(staging, sizeof(staging), ".%s.closing", per);
    snprintf(staging_path, sizeof(staging_path), "%s/%s", o->out_dir, staging);
    snprintf(folder, sizeof(folder), "%s/%s", o->out_dir, per);
    double t1 = br_now_s();
    st = br_docs_remove_dir(staging_path, err); /* left by a close that died */
    if (st == BR_OK)
        st = br_docs_write(db, cal, o->period, o->out_dir, staging, true, o->threads, s, err);
    s->t_files = br_now_s() - t1;
    double t2 = br_now_s();
    if (st == BR_OK)
        st = br_db_exec(db, "COMMIT", err);
    s->t_db += br_now_s() - t2;
    if (st != BR_OK) {
        struct br_error ignore;
        br_db_exec(db, "ROLLBACK", &ignore);
        br_docs_remove_dir(staging_path, &ignore);
        snprintf(s->folder, sizeof(s->folder), "%s", folder);
        s->t_total = br_now_s() - t0;
        char cause[sizeof(err->msg)];
        snprintf(cause, sizeof(cause), "%s", err->msg);
        return br_fail(err, st, "%s was not closed, nothing was committed: %s", per, cause);
    }
    s->batch_id = batch_id;
    snprintf(s->folder, sizeof(s->folder), "%s", folder);
    st = br_docs_publish(staging_path, folder, err);
    s->t_total = br_now_s() - t0;
    if (st != BR_OK) {
        char cause[sizeof(err->msg)];
        snprintf(cause, sizeof(cause), "%s", err->msg);
        return br_fail(err, st,
                       "%s was closed (batch %lld) and its workbooks written into %s, but they "
                       "could not be moved into %s: %s. `billrun invoices --period %s --out %s` "
                       "writes them again",
                       per, (long long)batch_id, staging_path, folder, cause, per, o->out_dir);
    }
    return BR_OK;
}
