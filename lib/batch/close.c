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
#include <sys/stat.h>
#include <unistd.h>

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

static void stage(const struct br_close_opts *o, const char *name)
{
    if (o->on_stage)
        o->on_stage(o->stage_ctx, name);
}

/* After a COMMIT that failed (the connection lost in flight, most likely):
 * did it commit? Asked on a new connection. */
static bool committed_anyway(struct close_ctx *c)
{
    struct br_db *db2 = NULL;
    struct br_error e2;
    int64_t batch = 0;
    bool closed = false;
    if (br_db_clone(c->db, &db2, &e2) != BR_OK)
        return false; /* cannot tell: the caller says so */
    bool yes = br_period_close_batch(db2, c->per, &closed, &batch, &e2) == BR_OK && closed &&
               batch == c->batch.batch_id;
    br_db_close(db2);
    return yes;
}

/* Moves the staging folder into out_dir/YYYY-MM; a failure there leaves the
 * close committed and says how to finish it. */
static enum br_status publish(struct close_ctx *c, const char *staging, const char *folder,
                              struct br_error *err)
{
    enum br_status st = br_files_publish(staging, folder, err);
    if (st == BR_OK)
        return st;
    char cause[sizeof(err->msg)];
    snprintf(cause, sizeof(cause), "%s", err->msg);
    return br_fail(err, st,
                   "%s was closed and its workbooks written into %s, but they could not be moved "
                   "into %s: %s. `billrun close --period %s --out %s` (or `billrun invoices`) "
                   "moves or writes them again",
                   c->per, staging, folder, cause, c->per, c->o->out_dir);
}

/* A close is all or nothing, its files included: they are written into a
 * staging folder from the open transaction, the transaction commits only
 * once they are all written and synced, and then they move into
 * out_dir/YYYY-MM. A failure before the commit leaves neither a closed
 * period nor a file. A COMMIT that fails is checked on a new connection:
 * if it did commit after all, the files are published as usual. */
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
    stage(c->o, "files");
    enum br_status st = br_files_remove_dir(staging, err); /* left by a close that died */
    if (st == BR_OK)
        st = br_documents_write_opts(c->db, c->cal, c->o->period, staging, &c->docs, &dr, err);
    s->files_written = dr.files_written;
    s->notes = dr.notes;
    s->t_files = br_now_s() - t1;
    double t2 = br_now_s();
    bool committed = false;
    if (st == BR_OK) {
        stage(c->o, "commit");
        st = br_batch_commit(&c->batch, err);
        committed = st == BR_OK;
        if (st == BR_OK && br_test_fault("commit_lost")) {
            st = br_fail(err, BR_ERR_DB, "COMMIT: the connection was lost (a test's fault)");
            br_db_drop_connection(c->db);
        }
        if (st != BR_OK && committed_anyway(c)) {
            br_log(BR_LOG_WARN, "close_commit_recovered", "period=%s batch=%lld msg=%s", c->per,
                   (long long)c->batch.batch_id,
                   br_logq("the COMMIT reported an error, but the close is in the database: "
                           "its files are published"));
            committed = true;
            st = BR_OK;
        }
    }
    s->t_db += br_now_s() - t2;
    if (st != BR_OK) {
        struct br_error ignore;
        br_batch_abort(&c->batch);
        br_files_remove_dir(staging, &ignore);
        char cause[sizeof(err->msg)];
        snprintf(cause, sizeof(cause), "%s", err->msg);
        return br_fail(err, st, "%s was not closed, nothing was committed: %s", c->per, cause);
    }
    (void)committed;
    s->batch_id = c->batch.batch_id;
    br_hex32(c->batch.hash, s->hash);
    stage(c->o, "publish");
    return publish(c, staging, folder, err);
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
        st = br_fail(err, BR_ERR_USAGE,
                     "%s is open: final invoices come only from its close (`billrun close "
                     "--period %s`); `billrun invoices --period %s --draft --out DIR` writes "
                     "drafts, as they would be if it were closed now",
                     c->per, c->per, c->per);
    snprintf(s->folder, sizeof(s->folder), "%s/%s", c->o->out_dir, c->per);
    s->t_db = br_now_s() - t0;
    double t1 = br_now_s();
    struct br_docs_result dr = {0};
    if (st == BR_OK)
        st = br_documents_write_opts(c->db, c->cal, c->o->period, s->folder, &c->docs, &dr, err);
    br_txn_rollback(c->db);
    char staging[4200];
    snprintf(staging, sizeof(staging), "%s/.%s.closing", c->o->out_dir, c->per);
    if (st == BR_OK && access(staging, F_OK) == 0) { /* a dead close's: the same files */
        br_log(BR_LOG_INFO, "staging_removed", "path=%s", br_logq(staging));
        st = br_files_remove_dir(staging, err);
    }
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

static enum br_status rewrite(struct close_ctx *c, struct br_close_summary *s, double t0,
                              struct br_error *err);

/* Whether the seller block names a seller (not the placeholder of a missing
 * configuration). */
static bool seller_named(const char *seller)
{
    const char *n = strstr(seller, "name=");
    return n != NULL && n[5] != '\n' && n[5] != '\0' && n[5] != '(';
}

/* A period closed before: its files are where they belong, or the close
 * that committed it died before moving them (its staging folder is still
 * there), or they were lost. The missing files are put in place, and the
 * log says so; present ones are left alone. */
static enum br_status complete_files(struct close_ctx *c, struct br_close_summary *s, double t0,
                                     struct br_error *err)
{
    char staging[4200], folder[sizeof(s->folder)], summary[4400];
    snprintf(staging, sizeof(staging), "%s/.%s.closing", c->o->out_dir, c->per);
    snprintf(folder, sizeof(folder), "%s/%s", c->o->out_dir, c->per);
    snprintf(summary, sizeof(summary), "%s/summary-%.4s%.2s.xlsx", folder, c->per, c->per + 5);
    snprintf(s->folder, sizeof(s->folder), "%s", folder);
    if (access(summary, F_OK) == 0 && access(staging, F_OK) != 0)
        return BR_OK;
    struct stat sb;
    if (stat(staging, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        br_log(BR_LOG_WARN, "close_files_completed", "period=%s from=%s msg=%s", c->per,
               br_logq(staging),
               br_logq("the close committed but died before moving its files: moved now"));
        s->files_completed = true;
        return publish(c, staging, folder, err);
    }
    br_log(BR_LOG_WARN, "close_files_completed", "period=%s msg=%s", c->per,
           br_logq("the period is closed but its files are missing: written again"));
    s->files_completed = true;
    return rewrite(c, s, t0, err);
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
        s->already_closed = true; /* closing twice changes nothing in the database */
        br_batch_abort(&c->batch);
        return complete_files(c, s, t0, err);
    }
    if (st == BR_OK)
        st = check_ended(c, err);
    char seller[4096];
    if (st == BR_OK)
        st = br_seller_config(c->o->seller_conf, seller, sizeof(seller), err);
    if (st == BR_OK && !seller_named(seller) && !c->o->no_seller)
        st = br_fail(err, BR_ERR_USAGE,
                     "no seller is configured (name it in %s, --seller FILE or "
                     "$BILLRUN_SELLER_CONF): final invoices would say so for ever; give "
                     "--no-seller to close without one",
                     c->o->seller_conf ? c->o->seller_conf : "/etc/billrun/seller.conf");
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
