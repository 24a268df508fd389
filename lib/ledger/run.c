/* The nightly run, in stages: begin (lock), load, ingest, rate, post,
 * chain, commit. Everything happens in one transaction. */
#include "ledger/run.h"

#include "core/log.h"
#include "core/money.h"
#include "ingest/csvread.h"
#include "ingest/ingest.h"
#include "ledger/load.h"
#include "ledger/post.h"
#include "ledger/schema.h"
#include "rate/pricebook.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_USAGE_ROWS ((size_t)UINT32_MAX - 1)

void br_run_summary_free(struct br_run_summary *s)
{
    free(s->files);
    s->files = NULL;
    s->nfiles = 0;
}

static void stage(const struct br_run_opts *o, const char *name)
{
    if (o->on_stage)
        o->on_stage(name);
}

enum br_status br_run_begin(struct br_db *db, bool no_wait, struct br_error *err)
{
    enum br_status st = br_db_exec(db, "BEGIN", err);
    if (st != BR_OK)
        return st;
    int64_t member = 0;
    st = br_db_int64(db,
                     "SELECT (EXISTS (SELECT FROM pg_roles WHERE rolname = '" BR_ROLE_WRITER "') "
                     "AND pg_has_role('" BR_ROLE_WRITER "', 'MEMBER'))::int",
                     0, NULL, 0, &member, err);
    if (st == BR_OK && member)
        st = br_db_exec(db, "SET LOCAL ROLE " BR_ROLE_WRITER, err);
    int64_t got = 0;
    if (st == BR_OK)
        st = br_db_int64(db, "SELECT pg_try_advisory_xact_lock(" BR_LOCK_KEY ")::int", 0, NULL, 0,
                         &got, err);
    if (st == BR_OK && !got) {
        if (no_wait)
            st = br_fail(err, BR_ERR_LOCKED,
                         "another billrun run or close holds the database lock; try again later");
        else {
            br_log(BR_LOG_WARN, "lock_wait", "msg=%s",
                   br_logq("another billrun holds the database lock; waiting for it"));
            st = br_db_exec(db, "SELECT pg_advisory_xact_lock(" BR_LOCK_KEY ")", err);
        }
    }
    if (st != BR_OK) {
        struct br_error ignore;
        br_db_exec(db, "ROLLBACK", &ignore);
    }
    return st;
}

enum br_status br_run_chain_tip(struct br_db *db, int64_t *batch_id, bool *has_prev,
                                uint8_t prev[32], struct br_error *err)
{
    PGresult *r;
    enum br_status st = br_db_query(
        db,
        "SELECT batch_id, encode(hash, 'hex') FROM ledger.batches ORDER BY batch_id DESC LIMIT 1",
        0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    *has_prev = PQntuples(r) > 0;
    *batch_id = 0;
    memset(prev, 0, 32);
    if (*has_prev) {
        *batch_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        const char *h = PQgetvalue(r, 0, 1);
        for (int i = 0; i < 32 && h[2 * i]; i++) {
            unsigned v;
            sscanf(h + 2 * i, "%2x", &v);
            prev[i] = (uint8_t)v;
        }
    }
    PQclear(r);
    return BR_OK;
}

/* --- the inbox --------------------------------------------------------------- */

struct inbox_file {
    enum br_kind kind;
    char *name;
};

static int inbox_cmp(const void *pa, const void *pb)
{
    const struct inbox_file *a = pa, *b = pb;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    return strcmp(a->name, b->name);
}

/* Files named <kind>-*.csv that are regular files, in application order. */
static enum br_status list_inbox(const char *dir, struct inbox_file **out, size_t *n,
                                 struct br_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return br_fail(err, BR_ERR_IO, "cannot read the inbox %s: %s", dir, strerror(errno));
    size_t cap = 0;
    enum br_status st = BR_OK;
    struct dirent *e;
    while (st == BR_OK && (e = readdir(d)) != NULL) {
        enum br_kind k;
        if (!br_kind_of_name(e->d_name, &k))
            continue;
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        /* Only regular files: a symlink is not followed (it could show a file
         * from outside the inbox, even its first line in a refusal's detail),
         * and a name that is not UTF-8 cannot be recorded. Both are logged. */
        bool exists = lstat(path, &sb) == 0;
        if (!exists || !S_ISREG(sb.st_mode)) {
            if (exists && S_ISLNK(sb.st_mode))
                br_log(BR_LOG_WARN, "file_ignored", "name=%s reason=symlink", br_logq(e->d_name));
            continue;
        }
        if (!br_utf8_valid((const unsigned char *)e->d_name, strlen(e->d_name))) {
            br_log(BR_LOG_WARN, "file_ignored", "name=%s reason=name_not_utf8", br_logq(e->d_name));
            continue;
        }
        st = br_grow((void **)out, &cap, *n + 1, sizeof(**out), 1u << 20);
        if (st == BR_OK) {
            (*out)[*n].kind = k;
            (*out)[*n].name = strdup(e->d_name);
            if ((*out)[*n].name == NULL)
                st = BR_ERR_NOMEM;
            else
                (*n)++;
        }
    }
    closedir(d);
    if (st != BR_OK)
        return br_fail(err, st, "out of memory listing the inbox");
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), inbox_cmp);
    return BR_OK;
}

static void free_inbox(struct inbox_file *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(f[i].name);
    free(f);
}

/* Reads the inbox: skips files already recorded, refuses changed ones. */
static enum br_status ingest_inbox(struct br_db *db, struct br_ingest *ing, const char *dir,
                                   struct br_error *err)
{
    struct inbox_file *files;
    size_t n;
    enum br_status st = list_inbox(dir, &files, &n, err);
    size_t usage_bytes = 0;
    for (size_t i = 0; st == BR_OK && i < n; i++) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
        if (files[i].kind >= BR_KIND_EAS && stat(path, &sb) == 0)
            usage_bytes += (size_t)sb.st_size;
    }
    if (st == BR_OK && br_usage_reserve(&ing->usage, usage_bytes / 100) != BR_OK)
        st = br_fail(err, BR_ERR_NOMEM, "out of memory sizing the record id index");
    for (size_t i = 0; st == BR_OK && i < n; i++) {
        uint32_t fi;
        st = br_ingest_add_file(ing, dir, files[i].name, files[i].kind, &fi);
        if (st != BR_OK) {
            st = br_fail(err, st, "out of memory");
            break;
        }
        /* A name never seen is new whatever its content: it is read (and
         * hashed while it is read) at once. A name seen before is hashed
         * first, to skip it or refuse it unread. */
        bool seen = false;
        st = br_load_name_seen(db, files[i].name, &seen, err);
        if (st == BR_OK && seen)
            st = br_ingest_hash(ing, fi, err);
        enum br_known known = BR_KNOWN_NEW;
        enum br_reason why = BR_R_NONE;
        if (st == BR_OK && seen)
            st = br_load_known(db, files[i].name, ing->files[fi].sha256, &known, &why, err);
        if (st != BR_OK)
            break;
        struct br_ingest_file *f = &ing->files[fi];
        if (known == BR_KNOWN_SAME) {
            f->status = BR_FILE_SKIPPED;
            br_log(BR_LOG_INFO, "file_skipped", "name=%s reason=already_applied", br_logq(f->name));
            continue;
        }
        if (known == BR_KNOWN_REFUSED) {
            f->status = BR_FILE_REFUSED_BEFORE;
            f->reason = why;
            br_log(BR_LOG_WARN, "file_refused_before", "name=%s reason=%s", br_logq(f->name),
                   br_reason_str(why));
            continue;
        }
        if (known == BR_KNOWN_CHANGED) {
            f->status = BR_FILE_REFUSED;
            f->reason = BR_R_CHANGED_CONTENT;
            snprintf(f->detail, sizeof(f->detail),
                     "a file of this name was applied with other content");
        } else {
            st = br_ingest_read(ing, fi, err);
        }
        if (st == BR_OK)
            br_log(f->status == BR_FILE_REFUSED ? BR_LOG_WARN : BR_LOG_INFO,
                   f->status == BR_FILE_REFUSED ? "file_refused" : "file_read",
                   "name=%s kind=%s rows=%llu accepted=%llu rejected=%llu reason=%s",
                   br_logq(f->name), br_kind_str(f->kind), (unsigned long long)f->rows,
                   (unsigned long long)f->accepted, (unsigned long long)f->rejected,
                   f->status == BR_FILE_REFUSED ? br_reason_str(f->reason) : "-");
    }
    free_inbox(files, n);
    return st;
}

/* Reprocessing: open rejects for a missing account or price, re-read. */
static enum br_status ingest_reprocess(struct br_db *db, struct br_ingest *ing, int64_t batch_id,
                                       struct br_error *err)
{
    PGresult *r;
    enum br_status st = br_db_query(
        db,
        "SELECT r.reject_id, r.line, f.kind, r.raw_bytes, coalesce(o.reason, r.reason) "
        "FROM billing.reject_rows r "
        "JOIN billing.files f USING (file_id) "
        "LEFT JOIN LATERAL (SELECT outcome, reason FROM billing.reject_outcomes x "
        "  WHERE x.reject_id = r.reject_id ORDER BY batch_id DESC LIMIT 1) o ON true "
        "WHERE coalesce(o.outcome, '') <> 'rated' AND NOT r.truncated "
        "AND coalesce(o.reason, r.reason) IN ('unknown_account', 'no_price') "
        "AND f.kind IN ('orders', 'eas', 'oss') "
        "ORDER BY CASE f.kind WHEN 'orders' THEN 0 WHEN 'eas' THEN 1 ELSE 2 END, r.reject_id",
        0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    uint32_t file[BR_KIND_COUNT];
    for (int k = 0; k < BR_KIND_COUNT; k++)
        file[k] = UINT32_MAX;
    for (int i = 0; i < PQntuples(r) && st == BR_OK; i++) {
        const char *kind = PQgetvalue(r, i, 2);
        enum br_kind k = strcmp(kind, "orders") == 0 ? BR_KIND_ORDERS
                         : strcmp(kind, "eas") == 0  ? BR_KIND_EAS
                                                     : BR_KIND_OSS;
        if (file[k] == UINT32_MAX) {
            char name[64];
            snprintf(name, sizeof(name), "reprocess-%lld-%s", (long long)batch_id, kind);
            st = br_ingest_add_file(ing, "(reprocess)", name, k, &file[k]);
            if (st != BR_OK)
                break;
            ing->files[file[k]].reprocess = true;
            ing->files[file[k]].row_begin = ing->usage.n;
        }
        size_t len = 0;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 3), &len);
        if (raw == NULL) {
            st = br_fail(err, BR_ERR_NOMEM, "out of memory reading rejects");
            break;
        }
        enum br_reason current = BR_R_NONE;
        br_reason_parse(PQgetvalue(r, i, 4), &current);
        st = br_ingest_read_raw(ing, file[k], (const char *)raw, len,
                                (uint64_t)strtoll(PQgetvalue(r, i, 1), NULL, 10),
                                strtoll(PQgetvalue(r, i, 0), NULL, 10), current, err);
        PQfreemem(raw);
    }
    PQclear(r);
    for (int k = 0; k < BR_KIND_COUNT && st == BR_OK; k++) {
        if (file[k] == UINT32_MAX)
            continue;
        struct br_ingest_file *f = &ing->files[file[k]];
        memset(f->sha256, 0, sizeof(f->sha256));
    }
    return st;
}

/* --- rating --------------------------------------------------------------- */

static void usage_time_bounds(const struct br_usage *u, struct br_calendar cal, br_period *minp,
                              int64_t *minh, int64_t *mint)
{
    int64_t tmin = INT64_MAX;
    for (size_t r = 0; r < u->n; r++) {
        int64_t t = br_usage_t(u, r);
        if (t < tmin)
            tmin = t;
    }
    *mint = tmin;
    if (tmin == INT64_MAX) {
        *minp = INT32_MAX;
        *minh = INT64_MAX;
        return;
    }
    *minp = br_period_of(&cal, tmin);
    *minh = br_floor_div(tmin, BR_HOUR_S);
}

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

static bool anything_to_write(const struct br_ingest *ing, const struct br_journal *j,
                              const struct br_rate_result *rr, const struct br_rate_state *st)
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
    if (j->nentries > 0 || rr->nrecogs > 0 || rr->nlines > 0)
        return true;
    for (size_t i = 0; i < st->norders; i++)
        if (st->orders[i].dirty)
            return true;
    return false;
}

struct run_ctx {
    struct br_db *db;
    const struct br_run_opts *o;
    struct br_calendar cal;
    struct br_book book;
    struct br_ingest ing;
    struct br_rate_state state;
    struct br_rate_result rated;
    struct br_pricer pricer;
    struct br_journal journal;
    br_period *closed;
    size_t nclosed;
    int64_t batch_id;
    bool has_prev;
    uint8_t prev[32];
    int64_t *file_ids;
    struct br_post_input facts; /* what do_post wrote, for the batch hash */
    uint8_t content[32];        /* its content hash, when has_content */
    bool has_content;
};

static enum br_status do_rate(struct run_ctx *c, struct br_error *err)
{
    struct br_usage *u = &c->ing.usage;
    br_usage_drop_index(u);
    enum br_status st = br_pricer_build(&c->pricer, &c->book, c->cal, u->keys, u->nkeys);
    if (st != BR_OK)
        return br_fail(err, st, "out of memory building the price tables");
    br_period minp;
    int64_t minh, mint;
    usage_time_bounds(u, c->cal, &minp, &minh, &mint);
    st = br_load_state(c->db, &c->book, &c->state, minp, minh, err);
    if (st == BR_OK)
        st = br_load_recredits(c->db, &c->book, &c->state, mint, err);
    if (st != BR_OK)
        return st;
    struct br_rate_input in = {.book = &c->book,
                               .usage = u,
                               .pricer = &c->pricer,
                               .cal = c->cal,
                               .as_of = c->o->as_of,
                               .closed = c->closed,
                               .nclosed = c->nclosed,
                               .threads = c->o->threads};
    st = br_rate(&in, &c->state, &c->rated, err);
    if (st == BR_OK && c->rated.nno_price > 0)
        st = br_ingest_reject_rows(&c->ing, c->rated.no_price_rows, c->rated.nno_price,
                                   BR_R_NO_PRICE, err);
    if (st == BR_OK && c->rated.noverflow > 0)
        st = br_ingest_reject_rows(&c->ing, c->rated.overflow_rows, c->rated.noverflow,
                                   BR_R_BAD_NUMBER, err);
    return st;
}

/* br_post_build on a thread of its own. */
struct build_job {
    pthread_t thread;
    const struct br_post_input *in;
    struct br_journal *j;
    enum br_status st;
    struct br_error err;
};

static void *build_run(void *arg)
{
    struct build_job *b = arg;
    b->st = br_post_build(b->in, b->j, &b->err);
    return NULL;
}

static enum br_status do_post(struct run_ctx *c, struct br_run_summary *sum, struct br_error *err)
{
    int64_t next_entry, next_transfer;
    enum br_status st = br_next_id(c->db, "ledger.entries", "entry_id", &next_entry, err);
    if (st == BR_OK)
        st = br_next_id(c->db, "ledger.transfers", "transfer_id", &next_transfer, err);
    if (st != BR_OK)
        return st;
    br_journal_init(&c->journal, next_entry, next_transfer);
    c->file_ids = br_calloc(c->ing.nfiles + 1, sizeof(*c->file_ids));
    if (c->file_ids == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    struct br_post_input in = {.batch_id = c->batch_id,
                               .cal = c->cal,
                               .closed = c->closed,
                               .nclosed = c->nclosed,
                               .ing = &c->ing,
                               .book = &c->book,
                               .rated = &c->rated,
                               .state = &c->state,
                               .file_ids = c->file_ids};
    c->facts = in;
    double tb = br_now_s();
    if (anything_to_write(&c->ing, &c->journal, &c->rated, &c->state)) {
        /* facts to write whatever the journal holds: build it on a second
         * thread while they are stored */
        br_post_order_rated(&c->rated);
        struct build_job b = {.in = &in, .j = &c->journal};
        bool threaded = pthread_create(&b.thread, NULL, build_run, &b) == 0;
        if (!threaded)
            build_run(&b);
        st = br_post_write_facts(c->db, &in, err);
        if (threaded)
            pthread_join(b.thread, NULL);
        br_log(BR_LOG_DEBUG, "post_step", "step=build_and_facts seconds=%.3f", br_now_s() - tb);
        summarise(sum, &c->ing, &c->rated, &c->journal);
        if (st == BR_OK && b.st != BR_OK) {
            *err = b.err;
            st = b.st;
        }
    } else {
        st = br_post_build(&in, &c->journal, err);
        br_log(BR_LOG_DEBUG, "post_step", "step=build seconds=%.3f", br_now_s() - tb);
        summarise(sum, &c->ing, &c->rated, &c->journal);
        if (st != BR_OK)
            return st;
        if (!anything_to_write(&c->ing, &c->journal, &c->rated, &c->state)) {
            sum->nothing_new = true;
            return BR_OK;
        }
        st = br_post_write_facts(c->db, &in, err);
    }
    /* the content hash, from what is written, while the journal is stored */
    struct br_hash_job *job = NULL;
    struct br_batch_header h = {.batch_id = c->batch_id,
                                .kind = c->o->reprocess ? "reprocess" : "run",
                                .as_of = c->o->as_of};
    if (st == BR_OK)
        st = br_batch_hash_start(c->db, &h, &c->journal, &c->facts, &job, err);
    double t0 = br_now_s();
    if (st == BR_OK)
        st = br_journal_write(&c->journal, c->db, c->batch_id, c->cal, err);
    br_log(BR_LOG_DEBUG, "post_step", "step=journal seconds=%.3f", br_now_s() - t0);
    if (job != NULL) {
        t0 = br_now_s();
        struct br_error herr = {0}; /* a failed write keeps its own message */
        enum br_status hst = br_batch_hash_finish(job, c->content, &herr);
        br_log(BR_LOG_DEBUG, "post_step", "step=hash_wait seconds=%.3f", br_now_s() - t0);
        c->has_content = hst == BR_OK;
        if (st == BR_OK && hst != BR_OK) {
            *err = herr;
            st = hst;
        }
    }
    return st;
}

static enum br_status do_commit(struct run_ctx *c, int64_t started, struct br_run_summary *sum,
                                struct br_error *err)
{
    char summary[256];
    snprintf(summary, sizeof(summary),
             "files %zu applied, %zu refused; rows %llu = %llu accepted + %llu rejected; "
             "%zu entries",
             sum->applied, sum->refused, (unsigned long long)sum->rows,
             (unsigned long long)sum->accepted, (unsigned long long)sum->rejected, sum->entries);
    struct br_batch_header h = {.batch_id = c->batch_id,
                                .kind = c->o->reprocess ? "reprocess" : "run",
                                .started_at = started,
                                .as_of = c->o->as_of,
                                .version = c->o->version,
                                .has_prev = c->has_prev,
                                .summary = summary,
                                .journal = &c->journal,
                                .content = c->has_content ? c->content : NULL};
    memcpy(h.prev_hash, c->prev, 32);
    enum br_status st = br_batch_insert(c->db, &h, err);
    stage(c->o, "commit");
    double t0 = br_now_s();
    if (st == BR_OK)
        st = br_db_exec(c->db, "COMMIT", err);
    br_log(BR_LOG_DEBUG, "post_step", "step=commit seconds=%.3f", br_now_s() - t0);
    if (st == BR_OK)
        sum->batch_id = c->batch_id;
    return st;
}

static void run_ctx_free(struct run_ctx *c)
{
    br_journal_free(&c->journal);
    br_pricer_free(&c->pricer);
    br_rate_result_free(&c->rated);
    br_rate_state_free(&c->state);
    br_ingest_free(&c->ing);
    br_book_free(&c->book);
    free(c->closed);
    free(c->file_ids);
}

enum br_status br_run(struct br_db *db, const struct br_run_opts *o, struct br_run_summary *sum,
                      struct br_error *err)
{
    memset(sum, 0, sizeof(*sum));
    double t0 = br_now_s();
    int64_t started = (int64_t)time(NULL);
    struct run_ctx c;
    memset(&c, 0, sizeof(c));
    c.db = db;
    c.o = o;
    int32_t tz;
    enum br_status st = br_schema_calendar(db, &tz, err);
    if (st != BR_OK)
        return st;
    c.cal.offset_s = tz;
    sum->tz_offset_s = tz;
    st = br_run_begin(db, o->no_wait, err);
    if (st != BR_OK)
        return st;
    br_book_init(&c.book);
    br_ingest_init(&c.ing, &c.book, c.cal, MAX_USAGE_ROWS);
    c.ing.rated = br_load_rated;
    c.ing.rated_ctx = db;
    stage(o, "load");
    st = br_run_chain_tip(db, &c.batch_id, &c.has_prev, c.prev, err);
    c.batch_id++;
    if (st == BR_OK)
        st = br_load_closed(db, &c.closed, &c.nclosed, err);
    struct br_strtab ids;
    br_strtab_init(&ids, (size_t)1 << 30);
    if (st == BR_OK && o->inbox)
        st = br_load_scan_order_ids(o->inbox, &ids, err);
    if (st == BR_OK)
        st = br_load_book(db, &c.book, o->as_of, &ids, err);
    br_strtab_free(&ids);
    stage(o, "ingest");
    if (st == BR_OK && o->inbox)
        st = ingest_inbox(db, &c.ing, o->inbox, err);
    if (st == BR_OK && o->reprocess)
        st = ingest_reprocess(db, &c.ing, c.batch_id, err);
    double t1 = br_now_s();
    stage(o, "rate");
    if (st == BR_OK)
        st = do_rate(&c, err);
    double t2 = br_now_s();
    stage(o, "post");
    if (st == BR_OK)
        st = do_post(&c, sum, err);
    double t3 = br_now_s();
    if (st == BR_OK && !sum->nothing_new)
        st = do_commit(&c, started, sum, err);
    if (st != BR_OK || sum->nothing_new) {
        struct br_error ignore;
        br_db_exec(db, "ROLLBACK", &ignore);
    }
    sum->t_ingest = t1 - t0;
    sum->t_rate = t2 - t1;
    sum->t_post = t3 - t2;
    sum->t_total = br_now_s() - t0;
    run_ctx_free(&c);
    return st;
}
