/* Closing a period (close.h). */
#include "batch/close.h"

#include "batch/batch.h"
#include "batch/documents.h"
#include "batch/night.h"
#include "core/log.h"
#include "core/money.h"
#include "core/sha256.h"
#include "invoice/files.h"
#include "invoice/seller.h"
#include "ledger/journal.h"
#include "store/load.h"
#include "store/period.h"
#include "store/schema.h"
#include "store/txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rules.md 6: close itself processes expiries and recognition up to the
 * period end, so a close is never refused for an early as-of. But a last
 * run before the period end means days of the period may still have usage
 * to come (it will be billed in the next open period, flagged late): the
 * close says so (unless --force) and records it in period_closes.forced. */
static enum br_status check_as_of(struct br_db *db, const struct br_close_opts *o, int64_t end,
                                  int32_t tz, bool *early, struct br_error *err)
{
    int64_t last;
    enum br_status st = br_txn_last_run_as_of(db, &last, err);
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

struct close_ctx {
    struct br_db *db;
    const struct br_close_opts *o;
    struct br_calendar cal;
    char per[16];
    int64_t end;
    struct br_night night;
    struct br_batch batch;
    struct br_journal journal;
    br_period *closed;
    size_t nclosed;
    struct br_close_totals totals;
    struct br_docs_opts docs;
};

/* Straight-line recognition and expiries up to the period end: the journal
 * and the facts (plan events, plan states) of a night without usage. */
static enum br_status close_recognise(struct close_ctx *c, struct br_error *err)
{
    struct br_night *n = &c->night;
    enum br_status st = br_load_book(c->db, &n->book, c->end, NULL, err);
    if (st == BR_OK)
        st = br_load_closed(c->db, &c->closed, &c->nclosed, err);
    n->closed = c->closed;
    n->nclosed = c->nclosed;
    if (st == BR_OK)
        st = br_load_state(c->db, &n->book, &n->state, INT32_MAX, INT64_MAX, err);
    if (st == BR_OK)
        st = br_night_recognise(n, c->end, err);
    struct br_journal_input jin = {.cal = c->cal,
                                   .closed = c->closed,
                                   .nclosed = c->nclosed,
                                   .book = &n->book,
                                   .rated = &n->rated};
    if (st == BR_OK)
        st = br_journal_post(&c->journal, &jin, err);
    int64_t no_files[1] = {0};
    struct br_facts f = {.cal = c->cal,
                         .closed = c->closed,
                         .nclosed = c->nclosed,
                         .ing = &n->ing,
                         .book = &n->book,
                         .rated = &n->rated,
                         .state = &n->state,
                         .file_ids = no_files};
    if (st == BR_OK)
        st = br_write_facts(c->db, &c->batch.writer, &f, err);
    return st;
}

/* The invoices: round-down entries, the close row and the final invoices. */
static enum br_status close_invoices(struct close_ctx *c, bool early, const char *seller,
                                     struct br_close_summary *s, struct br_error *err)
{
    enum br_status st = br_period_totals(c->db, c->per, &c->totals, err);
    for (size_t i = 0; i < c->totals.n && st == BR_OK; i++) {
        const struct br_invoice_final *x = &c->totals.inv[i];
        s->round_down_e8 += x->round_down_e8;
        s->amount_due_e8 += x->amount_due_e8;
        if (x->round_down_e8 > 0)
            st = br_journal_round_down(&c->journal, c->o->period, c->end - 1, x->account_id,
                                       x->invoice_no, x->round_down_e8, err);
    }
    s->invoices = c->totals.n;
    int64_t closed_at;
    if (st == BR_OK)
        st = br_write_close(c->db, &c->batch.writer, c->per, early, seller, c->totals.inv,
                            c->totals.n, &closed_at, err);
    if (st == BR_OK)
        st =
            br_write_notes(c->db, &c->batch.writer, c->per, c->totals.notes, c->totals.nnotes, err);
    s->notes = c->totals.nnotes;
    return st;
}

static enum br_status close_db(struct close_ctx *c, const char *seller, struct br_close_summary *s,
                               struct br_error *err)
{
    bool early = false;
    enum br_status st = check_as_of(c->db, c->o, c->end, c->cal.offset_s, &early, err);
    s->early = early;
    br_journal_init(&c->journal, c->batch.next_entry, c->batch.next_transfer);
    if (st == BR_OK)
        st = close_recognise(c, err);
    if (st == BR_OK)
        st = close_invoices(c, early, seller, s, err);
    if (st == BR_OK)
        st = br_write_journal(c->db, &c->batch.writer, &c->journal, err);
    char summary[160];
    snprintf(summary, sizeof(summary), "close %s: %zu invoices, %zu entries", c->per, s->invoices,
             c->journal.nentries);
    if (st == BR_OK)
        st = br_batch_seal(&c->batch, c->end, c->per, c->o->version, summary, err);
    return st;
}

/* A close is all or nothing, its files included: they are written into a
 * staging folder from the open transaction, the transaction commits only
 * once they are all written and synced, and then they move into
 * out_dir/YYYY-MM. A failure before the commit leaves neither a closed
 * period nor a file. */
static enum br_status close_files(struct close_ctx *c, struct br_close_summary *s, double t0,
                                  struct br_error *err)
{
    char staging[4200], folder[sizeof(s->folder)];
    snprintf(staging, sizeof(staging), "%s/.%s.closing", c->o->out_dir, c->per);
    snprintf(folder, sizeof(folder), "%s/%s", c->o->out_dir, c->per);
    snprintf(s->folder, sizeof(s->folder), "%s", folder);
    s->t_db = br_now_s() - t0;
    double t1 = br_now_s();
    struct br_docs_result dr = {0};
    enum br_status st = br_files_remove_dir(staging, err); /* left by a close that died */
    if (st == BR_OK)
        st = br_documents_write_opts(c->db, c->cal, c->o->period, staging, &c->docs, &dr, err);
    s->files_written = dr.files_written;
    s->t_files = br_now_s() - t1;
    double t2 = br_now_s();
    if (st == BR_OK)
        st = br_batch_commit(&c->batch, err);
    s->t_db += br_now_s() - t2;
    if (st != BR_OK) {
        struct br_error ignore;
        br_batch_abort(&c->batch);
        br_files_remove_dir(staging, &ignore);
        char cause[sizeof(err->msg)];
        snprintf(cause, sizeof(cause), "%s", err->msg);
        return br_fail(err, st, "%s was not closed, nothing was committed: %s", c->per, cause);
    }
    s->batch_id = c->batch.batch_id;
    br_hex32(c->batch.hash, s->hash);
    st = br_files_publish(staging, folder, err);
    if (st != BR_OK) {
        char cause[sizeof(err->msg)];
        snprintf(cause, sizeof(cause), "%s", err->msg);
        return br_fail(err, st,
                       "%s was closed (batch %lld) and its workbooks written into %s, but they "
                       "could not be moved into %s: %s. `billrun invoices --period %s --out %s` "
                       "writes them again",
                       c->per, (long long)s->batch_id, staging, folder, cause, c->per,
                       c->o->out_dir);
    }
    return BR_OK;
}

/* billrun invoices: the closed period's files again, from a snapshot. */
static enum br_status rewrite(struct close_ctx *c, struct br_close_summary *s, double t0,
                              struct br_error *err)
{
    enum br_status st = br_txn_begin_read(c->db, err);
    bool closed = false;
    if (st == BR_OK)
        st = br_period_closed(c->db, c->per, &closed, err);
    if (st == BR_OK && !closed)
        st = br_fail(err, BR_ERR_STATE, "%s is not closed: `billrun close --period %s` first",
                     c->per, c->per);
    snprintf(s->folder, sizeof(s->folder), "%s/%s", c->o->out_dir, c->per);
    s->t_db = br_now_s() - t0;
    double t1 = br_now_s();
    struct br_docs_result dr = {0};
    if (st == BR_OK)
        st = br_documents_write_opts(c->db, c->cal, c->o->period, s->folder, &c->docs, &dr, err);
    br_txn_rollback(c->db);
    s->invoices = dr.invoices;
    s->notes = dr.notes;
    s->files_written = dr.files_written;
    s->t_files = br_now_s() - t1;
    return st;
}

/* interfaces.md: a period that has not ended by the database server's
 * clock is closed only with --early. */
static enum br_status check_ended(struct close_ctx *c, struct br_error *err)
{
    int64_t now, last;
    bool any;
    enum br_status st = br_load_clock(c->db, &now, &last, &any, err);
    if (st != BR_OK || c->o->early || c->end <= now)
        return st;
    char e[40], n[40];
    br_time_format(c->end, c->cal.offset_s, e, sizeof(e));
    br_time_format(now, c->cal.offset_s, n, sizeof(n));
    return br_fail(err, BR_ERR_USAGE,
                   "%s has not ended by the database server's clock (it ends %s; the server says "
                   "%s); give --early to close it now",
                   c->per, e, n);
}

static enum br_status close_period(struct close_ctx *c, struct br_close_summary *s, double t0,
                                   struct br_error *err)
{
    struct br_wait wait = {.no_wait = c->o->no_wait, .timeout_s = c->o->lock_timeout_s};
    enum br_status st = br_batch_open(&c->batch, c->db, "close", &wait, err);
    bool closed = false;
    if (st == BR_OK)
        st = br_period_closed(c->db, c->per, &closed, err);
    if (st == BR_OK && closed) {
        s->already_closed = true; /* closing twice changes nothing, rewrites nothing */
        br_batch_abort(&c->batch);
        return BR_OK;
    }
    if (st == BR_OK)
        st = check_ended(c, err);
    char seller[4096];
    if (st == BR_OK)
        st = br_seller_config(c->o->seller_conf, seller, sizeof(seller), err);
    if (st == BR_OK && c->o->lang_set)
        st = br_seller_set_lang(seller, sizeof(seller), c->o->lang, err);
    if (st == BR_OK)
        st = close_db(c, seller, s, err);
    if (st == BR_OK)
        st = close_files(c, s, t0, err);
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
    struct close_ctx c;
    memset(&c, 0, sizeof(c));
    c.db = db;
    c.o = o;
    c.cal.offset_s = tz;
    br_period_format(o->period, c.per, sizeof(c.per));
    c.end = br_period_start(&c.cal, o->period + 1);
    br_night_init(&c.night, c.cal, 1);
    /* a close writes in the language it froze; invoices may be asked for another */
    c.docs = (struct br_docs_opts){.threads = o->threads,
                                   .pdf = !o->no_pdf,
                                   .lang_set = o->rewrite_only && o->lang_set,
                                   .lang = o->lang};
    st = o->rewrite_only ? rewrite(&c, s, t0, err) : close_period(&c, s, t0, err);
    s->t_total = br_now_s() - t0;
    br_close_totals_free(&c.totals);
    br_journal_free(&c.journal);
    br_batch_free(&c.batch);
    br_night_free(&c.night);
    free(c.closed);
    return st;
}
