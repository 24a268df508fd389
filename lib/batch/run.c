/* billrun run and reprocess (run.h): load, ingest, rate, post, seal,
 * commit, in one batch. */
#include "batch/run.h"

#include "batch/archive.h"
#include "batch/batch.h"
#include "batch/dups.h"
#include "batch/inbox.h"
#include "batch/night.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "ledger/journal.h"
#include "store/load.h"
#include "store/schema.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void br_run_summary_free(struct br_run_summary *s)
{
    free(s->files);
    s->files = NULL;
    s->nfiles = 0;
}

static void stage(const struct br_run_opts *o, const char *name)
{
    if (o->on_stage)
        o->on_stage(o->stage_ctx, name);
}

struct run_ctx {
    struct br_db *db;
    const struct br_run_opts *o;
    struct br_night night;
    struct br_batch batch;
    struct br_journal journal;
    br_period *closed;
    size_t nclosed;
    int64_t *file_ids;
    int64_t window_start; /* usage charged before is too_late */
    struct br_dups dups;
    bool ids_beside; /* the record ids searched beside rating and posting */
    size_t again;    /* ids that search found billed: the night runs again */
};

/* --- ingest ------------------------------------------------------------------ */

/* One inbox file: a name the database has never recorded is new whatever its
 * content, so it is read at once (and hashed while it is read); a name seen
 * before is hashed first, to skip it or refuse it unread. */
static enum br_status ingest_file(struct run_ctx *c, const struct br_inbox *in, size_t i,
                                  struct br_error *err)
{
    struct br_night *n = &c->night;
    uint32_t fi;
    enum br_status st = br_night_add(n, in, i, &fi, err);
    bool seen = false;
    if (st == BR_OK)
        st = br_load_name_seen(c->db, in->files[i].name, &seen, err);
    if (st != BR_OK || !seen)
        return st == BR_OK ? br_night_read(n, fi, err) : st;
    enum br_known known = BR_KNOWN_NEW;
    enum br_reason why = BR_R_NONE;
    st = br_ingest_hash(&n->ing, fi, err);
    if (st == BR_OK)
        st = br_load_known(c->db, in->files[i].name, n->ing.files[fi].sha256, &known, &why, err);
    if (st != BR_OK)
        return st;
    struct br_ingest_file *f = &n->ing.files[fi];
    switch (known) {
    case BR_KNOWN_SAME:
        f->status = BR_FILE_SKIPPED;
        br_log(BR_LOG_INFO, "file_skipped", "name=%s reason=already_applied", br_logq(f->name));
        return BR_OK;
    case BR_KNOWN_REFUSED:
        f->status = BR_FILE_REFUSED_BEFORE;
        f->reason = why;
        br_log(BR_LOG_WARN, "file_refused_before", "name=%s reason=%s", br_logq(f->name),
               br_reason_str(why));
        return BR_OK;
    case BR_KNOWN_CHANGED:
        f->status = BR_FILE_REFUSED;
        f->reason = BR_R_CHANGED_CONTENT;
        snprintf(f->detail, sizeof(f->detail),
                 "a file of this name was applied with other content");
        br_log(BR_LOG_WARN, "file_refused", "name=%s reason=%s", br_logq(f->name),
               br_reason_str(f->reason));
        return BR_OK;
    case BR_KNOWN_NEW:
        break;
    }
    return br_night_read(n, fi, err);
}

struct reprocess_ctx {
    struct run_ctx *c;
    uint32_t file[BR_KIND_COUNT];
    struct br_error *err;
};

/* Reprocessing: one open reject read again, into a pseudo-file per kind. */
static enum br_status reprocess_one(void *ctx, const struct br_open_reject *r)
{
    struct reprocess_ctx *x = ctx;
    struct br_ingest *ing = &x->c->night.ing;
    if (x->file[r->kind] == UINT32_MAX) {
        char name[64];
        snprintf(name, sizeof(name), "reprocess-%lld-%s", (long long)x->c->batch.batch_id,
                 br_kind_str(r->kind));
        enum br_status st =
            br_ingest_add_file(ing, "(reprocess)", name, r->kind, &x->file[r->kind]);
        if (st != BR_OK)
            return br_fail(x->err, st, "out of memory");
        ing->files[x->file[r->kind]].reprocess = true;
        ing->files[x->file[r->kind]].row_begin = ing->usage.n;
    }
    return br_ingest_read_raw(ing, x->file[r->kind], r->raw, r->raw_len, r->line, r->reject_id,
                              r->reason, x->err);
}

/* A night's peak memory is about its usage files' size: 0.92 bytes per
 * byte of CSV on the benchmark's 10-million-row night, 1.05 with the
 * duplicate check's questions (scripts/bench). Reckoned at 1.25 with 64 MiB
 * besides, a night that could not fit is refused before anything is read,
 * rather than swapping or being killed halfway through. */
#define NIGHT_BYTES_PER_CSV_BYTE_X4 5 /* 1.25 */
#define NIGHT_BASE_BYTES ((uint64_t)64 << 20)

/* bytes as "1.50 GiB", "12.0 MiB" or "512 bytes". */
static const char *size_text(uint64_t bytes, char *b, size_t size)
{
    if (bytes >= ((uint64_t)1 << 30))
        snprintf(b, size, "%.2f GiB", (double)bytes / (double)((uint64_t)1 << 30));
    else if (bytes >= ((uint64_t)1 << 20))
        snprintf(b, size, "%.1f MiB", (double)bytes / (double)((uint64_t)1 << 20));
    else
        snprintf(b, size, "%llu bytes", (unsigned long long)bytes);
    return b;
}

static enum br_status check_memory(const struct br_inbox *in, uint64_t max_memory,
                                   struct br_error *err)
{
    uint64_t usage = 0;
    for (size_t i = 0; i < in->n; i++)
        if (in->files[i].kind == BR_KIND_EAS || in->files[i].kind == BR_KIND_OSS)
            usage += in->files[i].bytes;
    uint64_t need = usage / 4 * NIGHT_BYTES_PER_CSV_BYTE_X4 + NIGHT_BASE_BYTES;
    uint64_t have = 0;
    const char *what = NULL;
    bool known = br_mem_available(&have, &what);
    if (max_memory > 0 && (!known || max_memory < have)) { /* never more than the host has */
        have = max_memory;
        what = "--max-memory";
        known = true;
    }
    if (!known)
        return BR_OK; /* nothing to compare with */
    br_log(BR_LOG_DEBUG, "memory_check", "usage_bytes=%llu need_bytes=%llu have_bytes=%llu",
           (unsigned long long)usage, (unsigned long long)need, (unsigned long long)have);
    if (need <= have)
        return BR_OK;
    char u[32], n[32], h[32];
    return br_fail(err, BR_ERR_USAGE,
                   "this night's usage files hold %s and would need about %s of memory (1.25 "
                   "bytes a byte, and 64 MiB), more than the %s of %s; nothing was done: split "
                   "the night by time into several runs, each with the usage of fewer days and "
                   "its own --as-of (README, \"A night too large for memory\")",
                   size_text(usage, u, sizeof(u)), size_text(need, n, sizeof(n)),
                   size_text(have, h, sizeof(h)), what);
}

static enum br_status do_ingest(struct run_ctx *c, struct br_error *err)
{
    struct br_inbox in;
    memset(&in, 0, sizeof(in));
    struct br_load_ids ids;
    br_load_ids_init(&ids);
    enum br_status st = BR_OK;
    if (c->o->inbox != NULL)
        st = br_inbox_list(&in, c->o->inbox, err);
    if (st == BR_OK)
        st = check_memory(&in, c->o->max_memory, err);
    if (st == BR_OK)
        st = br_inbox_ids(&in, &ids.orders, &ids.adjustments, &ids.invoices, err);
    if (st == BR_OK)
        st = br_load_book(c->db, &c->night.book, c->o->as_of, &ids, err);
    br_load_ids_free(&ids);
    stage(c->o, "ingest");
    for (size_t i = 0; i < in.n && st == BR_OK; i++)
        st = ingest_file(c, &in, i, err);
    br_inbox_free(&in);
    if (st == BR_OK && c->o->reprocess) {
        struct reprocess_ctx x = {.c = c, .err = err};
        for (int k = 0; k < BR_KIND_COUNT; k++)
            x.file[k] = UINT32_MAX;
        st = br_load_open_rejects(c->db, reprocess_one, &x, err);
    }
    return st;
}

/* --- rate ---------------------------------------------------------------------- */

/* The duplicate check of record ids is always on, except in a benchmark
 * build (BILLRUN_BENCH_HOOKS) told to measure a night without it. */
static bool dup_check_on(void)
{
#ifdef BILLRUN_BENCH_HOOKS
    const char *off = getenv("BILLRUN_BENCH_NO_RECORD_IDS");
    return off == NULL || strcmp(off, "1") != 0;
#else
    return true;
#endif
}

static enum br_status do_rate(struct run_ctx *c, struct br_error *err)
{
    struct br_night *n = &c->night;
    br_usage_drop_index(&n->ing.usage);
    enum br_status st = BR_OK;
    double t0 = br_now_s(), t1 = t0, t2 = t0, t3 = t0;
    /* the ids are checked before rating, or searched beside the night
     * from after its rating (choose_beside) */
    if (dup_check_on() && !c->ids_beside) {
        st = br_dups_check(c->db, n, c->window_start, &c->dups, err);
        n->skip = c->dups.skip;
    }
    if (st == BR_OK)
        st = br_night_prepare(n, err);
    t1 = br_now_s();
    if (st == BR_OK)
        st = br_load_state(c->db, &n->book, &n->state, n->period_min, n->hour_min, err);
    if (st == BR_OK)
        st = br_load_recredits(c->db, &n->book, &n->state, n->t_min, err);
    t2 = br_now_s();
    if (st == BR_OK)
        st = br_night_rate(n, c->o->as_of, err);
    /* after rating, whose passing peak of memory is then not also the
     * questions' */
    t3 = br_now_s();
    if (st == BR_OK && c->ids_beside)
        st = br_dups_begin(c->db, n, c->window_start, &c->dups, err);
    br_log(BR_LOG_DEBUG, "rate_steps",
           "dups_and_prepare=%.3f load_state=%.3f rate=%.3f ids_beside=%.3f", t1 - t0, t2 - t1,
           t3 - t2, br_now_s() - t3);
    return st;
}

/* --- post ------------------------------------------------------------------------ */

static void summarise(struct br_run_summary *s, const struct br_ingest *ing,
                      const struct br_rate_result *rr, const struct br_journal *j)
{
    s->files = br_calloc(ing->nfiles ? ing->nfiles : 1, sizeof(*s->files));
    for (size_t i = 0; s->files && i < ing->nfiles; i++) {
        const struct br_ingest_file *f = &ing->files[i];
        struct br_run_file *x = &s->files[s->nfiles++];
        snprintf(x->name, sizeof(x->name), "%s", f->name);
        x->kind = f->kind;
        x->status = (int)f->status;
        x->reason = f->reason;
        x->rows = f->rows;
        x->accepted = f->accepted;
        x->rejected = f->rejected;
        s->rows += f->rows;
        s->accepted += f->accepted;
        s->rejected += f->rejected;
        s->applied += f->status == BR_FILE_APPLIED;
        s->skipped += f->status == BR_FILE_SKIPPED;
        s->refused += f->status == BR_FILE_REFUSED;
        s->refused_before += f->status == BR_FILE_REFUSED_BEFORE;
    }
    s->pieces = rr->pieces;
    s->gross_e8 = rr->gross_e8;
    uint32_t last = UINT32_MAX;
    for (size_t i = 0; i < rr->nlines; i++) {
        for (int k = 0; k < BR_SRC_COUNT; k++)
            s->alloc_e8[k] += rr->lines[i].alloc_e8[k];
        if (rr->lines[i].account != last)
            s->accounts++;
        last = rr->lines[i].account;
    }
    for (size_t i = 0; i < rr->nrecogs; i++) {
        if (rr->recogs[i].kind == BR_RECOG_STRAIGHT)
            s->recognised_e8 += rr->recogs[i].amount_e8;
        else {
            s->breakage_e8 += rr->recogs[i].amount_e8;
            s->expiries++;
        }
    }
    s->entries = j->nentries;
    s->transfers = j->ntransfers;
    for (size_t i = 0; i < j->ntransfers; i++)
        s->posted_e8 += j->transfers[i].amount_e8;
}

/* Whether the night changed anything: a file recorded, a reprocessed row
 * with a new outcome, a rated line, a recognition, a plan's state (every
 * journal entry comes from one of them). */
static bool anything_to_write(const struct br_ingest *ing, const struct br_rate_result *rr,
                              const struct br_rate_state *st)
{
    for (size_t i = 0; i < ing->nfiles; i++) {
        const struct br_ingest_file *f = &ing->files[i];
        /* a reprocessing that only rejects rows again, for the reasons they
         * had, changes nothing: no batch */
        if (f->reprocess ? f->accepted > 0
                         : f->status != BR_FILE_SKIPPED && f->status != BR_FILE_REFUSED_BEFORE)
            return true;
    }
    for (size_t i = 0; i < ing->nrejects; i++)
        if (ing->rejects[i].origin_id != 0 && !ing->rejects[i].unchanged)
            return true;
    if (rr->nrecogs > 0 || rr->nlines > 0)
        return true;
    for (size_t i = 0; i < st->norders; i++)
        if (st->orders[i].dirty)
            return true;
    return false;
}

/* The journal, built on a thread of its own while the facts are stored
 * (both only read the night). */
struct build_job {
    pthread_t thread;
    const struct br_journal_input *in;
    struct br_journal *j;
    enum br_status st;
    struct br_error err;
};

static void *build_run(void *arg)
{
    struct build_job *b = arg;
    b->st = br_journal_post(b->j, b->in, &b->err);
    return NULL;
}

static enum br_status do_post(struct run_ctx *c, struct br_run_summary *sum, struct br_error *err)
{
    struct br_night *n = &c->night;
    br_journal_init(&c->journal, c->batch.next_entry, c->batch.next_transfer);
    c->file_ids = br_calloc(n->ing.nfiles + 1, sizeof(*c->file_ids));
    if (c->file_ids == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    struct br_journal_input jin = {.cal = n->cal,
                                   .closed = c->closed,
                                   .nclosed = c->nclosed,
                                   .book = &n->book,
                                   .rated = &n->rated};
    struct br_facts facts = {.cal = n->cal,
                             .closed = c->closed,
                             .nclosed = c->nclosed,
                             .ing = &n->ing,
                             .book = &n->book,
                             .rated = &n->rated,
                             .state = &n->state,
                             .file_ids = c->file_ids};
    double t0 = br_now_s();
    struct build_job b = {.in = &jin, .j = &c->journal};
    bool threaded = pthread_create(&b.thread, NULL, build_run, &b) == 0;
    if (!threaded)
        build_run(&b);
    enum br_status st = BR_OK;
    bool write = anything_to_write(&n->ing, &n->rated, &n->state);
    if (write)
        st = br_write_facts(c->db, &c->batch.writer, &facts, err);
    if (write && st == BR_OK && dup_check_on())
        st = br_dups_write(c->db, &c->batch.writer, n, &c->dups, c->file_ids, err);
    /* the questions are not needed past here: the search beside the night
     * (long done on most nights) is waited for, and they are freed before
     * the journal is written, when the night's memory peaks */
    if (c->dups.bg != NULL) {
        struct br_error e2;
        enum br_status s2 = br_dups_end(&c->dups, &c->again, st == BR_OK ? err : &e2);
        st = st == BR_OK ? s2 : st;
    }
    br_dups_drop_questions(&c->dups);
    if (threaded)
        pthread_join(b.thread, NULL);
    br_log(BR_LOG_DEBUG, "post_step", "step=build_and_facts seconds=%.3f", br_now_s() - t0);
    if (st == BR_OK && b.st != BR_OK) {
        *err = b.err;
        st = b.st;
    }
    summarise(sum, &n->ing, &n->rated, &c->journal);
    BR_ASSERT(write || c->journal.nentries == 0);
    if (st == BR_OK && !write)
        sum->nothing_new = true;
    if (st == BR_OK && write && c->again == 0)
        st = br_write_journal(c->db, &c->batch.writer, &c->journal, err);
    return st;
}

static enum br_status do_commit(struct run_ctx *c, struct br_run_summary *sum, struct br_error *err)
{
    char summary[256];
    snprintf(summary, sizeof(summary),
             "files %zu applied, %zu refused; rows %llu = %llu accepted + %llu rejected; "
             "%zu entries",
             sum->applied, sum->refused, (unsigned long long)sum->rows,
             (unsigned long long)sum->accepted, (unsigned long long)sum->rejected, sum->entries);
    enum br_status st = br_batch_seal(&c->batch, c->o->as_of, NULL, c->o->version, summary, err);
    stage(c->o, "commit");
    if (st == BR_OK)
        st = br_batch_commit(&c->batch, err);
    if (st == BR_OK) {
        sum->batch_id = c->batch.batch_id;
        br_hex32(c->batch.hash, sum->hash);
    }
    return st;
}

/* The as-of may not run ahead of the server's clock (unless asked) nor go
 * back behind an earlier run's: the lateness window, and so the memory of
 * billed ids, moves forward only (corrections.md section 2). */
static enum br_status check_as_of(struct run_ctx *c, struct br_error *err)
{
    int64_t now, last;
    bool any;
    struct br_settings set;
    enum br_status st = br_load_clock(c->db, &now, &last, &any, err);
    if (st == BR_OK)
        st = br_schema_settings(c->db, &set, err);
    if (st != BR_OK)
        return st;
    char a[40], b[40];
    br_time_format(c->o->as_of, 0, a, sizeof(a));
    if (!c->o->future_as_of && c->o->as_of > now + 300) {
        br_time_format(now, 0, b, sizeof(b));
        return br_fail(err, BR_ERR_USAGE,
                       "--as-of %s is more than 5 minutes after the database server's clock (%s); "
                       "give --future-as-of to run ahead of it on purpose",
                       a, b);
    }
    if (any && c->o->as_of < last) {
        br_time_format(last, 0, b, sizeof(b));
        return br_fail(err, BR_ERR_USAGE,
                       "--as-of %s is earlier than the as-of of a run committed before (%s): "
                       "a run's as-of never goes back",
                       a, b);
    }
    c->window_start = c->o->as_of - (int64_t)set.late_days * 86400;
    return BR_OK;
}

static void run_ctx_free(struct run_ctx *c)
{
    br_dups_free(&c->dups);
    br_journal_free(&c->journal);
    br_batch_free(&c->batch);
    br_night_free(&c->night);
    free(c->closed);
    free(c->file_ids);
}

/* Whether the night's record ids are searched beside its rating and
 * posting (docs/record-ids.md, "Beside the night"): not in a reprocessing
 * (it re-reads rejected rows, often duplicate_record ones), not on one
 * thread, and not after a run that found duplicates (exports that overlap
 * every night would then be rated twice every night). */
static enum br_status choose_beside(struct run_ctx *c, struct br_error *err)
{
    c->ids_beside = false;
    if (c->o->reprocess || c->o->threads < 2 || !dup_check_on())
        return BR_OK;
#ifdef BILLRUN_BENCH_HOOKS
    const char *first = getenv("BILLRUN_BENCH_IDS_FIRST"); /* the night as before 2026-12-08 */
    if (first != NULL && strcmp(first, "1") == 0)
        return BR_OK;
#endif
    bool found;
    enum br_status st = br_load_last_found_duplicates(c->db, &found, err);
    c->ids_beside = st == BR_OK && !found;
    return st;
}

/* One attempt at the night. *again: duplicates that a search beside the
 * night found, after it had been rated without skipping them: the attempt
 * is rolled back and the night must be run again. */
static enum br_status run_once(struct br_db *db, const struct br_run_opts *o, bool may_beside,
                               struct br_run_summary *sum, size_t *again, struct br_error *err)
{
    memset(sum, 0, sizeof(*sum));
    *again = 0;
    double t0 = br_now_s();
    struct run_ctx c;
    memset(&c, 0, sizeof(c));
    c.db = db;
    c.o = o;
    int32_t tz;
    enum br_status st = br_schema_calendar(db, &tz, err);
    if (st != BR_OK)
        return st;
    sum->tz_offset_s = tz;
    br_night_init(&c.night, (struct br_calendar){tz}, o->threads);
    stage(o, "load");
    struct br_wait wait = {.no_wait = o->no_wait, .timeout_s = o->lock_timeout_s};
    st = br_batch_open(&c.batch, db, o->reprocess ? "reprocess" : "run", &wait, err);
    if (st == BR_OK)
        st = check_as_of(&c, err);
    if (st == BR_OK && may_beside)
        st = choose_beside(&c, err);
    if (st == BR_OK)
        st = br_load_closed(db, &c.closed, &c.nclosed, err);
    c.night.closed = c.closed;
    c.night.nclosed = c.nclosed;
    c.night.ing.rated = br_load_rated;
    c.night.ing.rated_ctx = db;
    c.night.ing.window_start = c.window_start;
    if (st == BR_OK)
        st = do_ingest(&c, err);
    double t1 = br_now_s();
    stage(o, "rate");
    if (st == BR_OK)
        st = do_rate(&c, err);
    double t2 = br_now_s();
    stage(o, "post");
    if (st == BR_OK)
        st = do_post(&c, sum, err);
    *again = c.again;
    double t3 = br_now_s();
    if (st == BR_OK && *again == 0 && !sum->nothing_new)
        st = do_commit(&c, sum, err);
    sum->t_ingest = t1 - t0;
    sum->t_rate = t2 - t1;
    sum->t_post = t3 - t2;
    if (st == BR_OK && *again == 0 && o->archive != NULL) {
        stage(o, "archive");
        /* the batch is committed (or there was nothing new): what is left
         * in the inbox because this fails is moved by the next run */
        struct br_error aerr = {0};
        if (br_archive_files(&c.night.ing, o->archive, o->as_of, c.night.cal, &sum->archived,
                             &aerr) != BR_OK) {
            snprintf(sum->archive_error, sizeof(sum->archive_error), "%s", aerr.msg);
            br_log(BR_LOG_WARN, "archive_incomplete", "archived=%zu msg=%s", sum->archived,
                   br_logq(aerr.msg));
        } else if (sum->archived > 0) {
            br_log(BR_LOG_INFO, "archived", "files=%zu to=%s", sum->archived, br_logq(o->archive));
        }
    }
    sum->t_total = br_now_s() - t0;
    run_ctx_free(&c); /* rolls back whatever is not committed */
    return st;
}

enum br_status br_run(struct br_db *db, const struct br_run_opts *o, struct br_run_summary *sum,
                      struct br_error *err)
{
    double t0 = br_now_s();
    size_t again = 0;
    enum br_status st = run_once(db, o, true, sum, &again, err);
    if (st == BR_OK && again > 0) {
        /* Rated as if none of its ids had been billed, and rolled back: the
         * night again, from its files, its ids checked before rating. */
        br_log(BR_LOG_INFO, "record_ids_again", "found=%zu seconds=%.3f then=check_before_rating",
               again, br_now_s() - t0);
        br_run_summary_free(sum);
        st = run_once(db, o, false, sum, &again, err);
        sum->t_total = br_now_s() - t0;
    }
    return st;
}
