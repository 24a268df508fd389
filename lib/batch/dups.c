/* The night's record ids against those earlier batches billed (dups.h). */
#define _GNU_SOURCE /* gettid */
#include "batch/dups.h"

#include "core/idhash.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/load.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum { SKIP_DUPLICATE = 1, SKIP_REJECTED = 2 };

void br_dups_free(struct br_dups *d)
{
    if (d->bg != NULL) {
        size_t found;
        struct br_error e;
        (void)br_dups_end(d, &found, &e);
    }
    for (int s = 0; s < 2; s++)
        free(d->q[s]);
    free(d->skip);
    memset(d, 0, sizeof(*d));
}

void br_dups_drop_questions(struct br_dups *d)
{
    BR_ASSERT(d->bg == NULL);
    for (int s = 0; s < 2; s++) {
        free(d->q[s]);
        d->q[s] = NULL;
        d->nq[s] = 0;
    }
}

/* ---- asking ----------------------------------------------------------------------- */

/* Hashes the accepted rows [r0, r1) into their sources' questions, from
 * positions at[] on. */
struct hash_job {
    const struct br_usage *u;
    size_t r0, r1;
    struct br_idq *q[2];
    size_t at[2];
    pthread_t thread;
};

static void *hash_rows(void *arg)
{
    struct hash_job *j = arg;
    for (size_t r = j->r0; r < j->r1; r++) {
        char buf[BR_RID_MAX];
        size_t len;
        const char *id = br_usage_rid(j->u, r, buf, &len);
        int s = br_item_source(br_usage_item(j->u, r));
        uint64_t h1, h2;
        br_id_hash2(id, len, &h1, &h2);
        j->q[s][j->at[s]++] = br_idq_make(h1, h2, (uint32_t)r);
    }
    return NULL;
}

struct sort_job {
    struct br_idq *q[2];
    size_t off[2][257];
    int p0, p1;
    pthread_t thread;
    enum br_status st;
};

static void *sort_run(void *arg)
{
    struct sort_job *j = arg;
    j->st = BR_OK;
    for (int s = 0; s < 2 && j->st == BR_OK; s++)
        j->st = br_idq_sort_parts(j->q[s], j->off[s], j->p0, j->p1);
    return NULL;
}

static enum br_status make_questions(const struct br_night *n, struct br_dups *d)
{
    const struct br_ingest *ing = &n->ing;
    const struct br_usage *u = &ing->usage;
    int threads = n->threads > 1 ? 2 : 1;
    size_t half = threads > 1 ? u->n / 2 : u->n, count[2] = {0}, first[2] = {0};
    for (size_t r = 0; r < u->n; r++) {
        if (r == half)
            memcpy(first, count, sizeof(first));
        count[br_item_source(br_usage_item(u, r))]++;
    }
    if (half == u->n)
        memcpy(first, count, sizeof(first));
    size_t rows[2] = {count[0], count[1]};
    for (size_t i = 0; i < ing->nrejects; i++)
        if (ing->rejects[i].claim != 0)
            count[ing->rejects[i].source]++;
    for (int s = 0; s < 2; s++) {
        d->q[s] = br_mallocn(count[s] + 1, sizeof(*d->q[s]));
        if (d->q[s] == NULL)
            return BR_ERR_NOMEM;
        d->nq[s] = count[s];
    }
    struct hash_job jobs[2] = {
        {.u = u, .r0 = 0, .r1 = half, .q = {d->q[0], d->q[1]}, .at = {0, 0}},
        {.u = u, .r0 = half, .r1 = u->n, .q = {d->q[0], d->q[1]}, .at = {first[0], first[1]}},
    };
    bool threaded = threads > 1 && pthread_create(&jobs[1].thread, NULL, hash_rows, &jobs[1]) == 0;
    hash_rows(&jobs[0]);
    if (threaded)
        pthread_join(jobs[1].thread, NULL);
    else
        hash_rows(&jobs[1]);
    size_t at[2] = {rows[0], rows[1]};
    for (size_t i = 0; i < ing->nrejects; i++) {
        const struct br_reject *x = &ing->rejects[i];
        if (x->claim == 0)
            continue;
        size_t len;
        const char *id = br_strtab_get(&u->claimed[x->source], x->claim - 1, &len);
        uint64_t h1, h2;
        br_id_hash2(id, len, &h1, &h2);
        d->q[x->source][at[x->source]++] = br_idq_make(h1, h2, BR_IDQ_OTHER | (uint32_t)i);
    }
    /* grouped by part, then the parts sorted, half of them on each thread */
    struct sort_job sj[2];
    for (int s = 0; s < 2; s++) {
        br_idq_split(d->q[s], d->nq[s], sj[0].off[s]);
        memcpy(sj[1].off[s], sj[0].off[s], sizeof(sj[0].off[s]));
    }
    for (int t = 0; t < 2; t++) {
        sj[t].q[0] = d->q[0];
        sj[t].q[1] = d->q[1];
        sj[t].p0 = t ? 128 : 0;
        sj[t].p1 = t ? 256 : 128;
    }
    bool sorted_apart = threads > 1 && pthread_create(&sj[1].thread, NULL, sort_run, &sj[1]) == 0;
    sort_run(&sj[0]);
    if (sorted_apart)
        pthread_join(sj[1].thread, NULL);
    else
        sort_run(&sj[1]);
    return sj[0].st != BR_OK ? sj[0].st : sj[1].st;
}

/* What a reject's detail says of the batch and file that billed its id: one
 * string per batch and file, in the ingest arena. */
struct namer {
    struct br_db *db;
    struct br_ingest *ing;
    struct {
        int64_t batch_id, file_id;
        const char *detail;
    } seen[64];
    size_t nseen, next;
};

static enum br_status detail_of(struct namer *m, const struct br_id_hit *h, const char **out,
                                struct br_error *err)
{
    for (size_t i = 0; i < m->nseen; i++)
        if (m->seen[i].batch_id == h->batch_id && m->seen[i].file_id == h->file_id) {
            *out = m->seen[i].detail;
            return BR_OK;
        }
    char name[512], text[700];
    enum br_status st = br_load_file_name(m->db, h->file_id, name, sizeof(name), err);
    if (st != BR_OK)
        return st;
    int len =
        snprintf(text, sizeof(text), "billed by batch %lld, file %s", (long long)h->batch_id, name);
    char *copy = br_arena_alloc(&m->ing->arena, (size_t)len + 1);
    if (copy == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    memcpy(copy, text, (size_t)len + 1);
    size_t slot = m->nseen < 64 ? m->nseen++ : m->next++ % 64;
    m->seen[slot].batch_id = h->batch_id;
    m->seen[slot].file_id = h->file_id;
    m->seen[slot].detail = copy;
    *out = copy;
    return BR_OK;
}

struct dup_row {
    uint32_t row;
    const char *detail;
};

static int dup_row_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct dup_row *)a)->row, y = ((const struct dup_row *)b)->row;
    return (x > y) - (x < y);
}

/* Rejects what the hits say an earlier batch billed. */
static enum br_status apply_hits(struct br_db *db, struct br_night *n, struct br_dups *d,
                                 const struct br_id_hit *hits, size_t nhits, struct br_error *err)
{
    struct br_ingest *ing = &n->ing;
    struct namer m = {.db = db, .ing = ing};
    struct dup_row *rows = br_mallocn(nhits + 1, sizeof(*rows));
    if (rows == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    size_t nrows = 0;
    enum br_status st = BR_OK;
    for (size_t i = 0; i < nhits && st == BR_OK; i++) {
        const char *detail = NULL;
        st = detail_of(&m, &hits[i], &detail, err);
        if (st != BR_OK)
            break;
        uint32_t idx = hits[i].idx;
        if (idx & BR_IDQ_OTHER) {
            struct br_reject *x = &ing->rejects[idx & ~BR_IDQ_OTHER];
            x->reason = BR_R_DUPLICATE_RECORD;
            x->detail = detail;
            x->unchanged = false;
        } else {
            d->skip[idx] = SKIP_DUPLICATE;
            rows[nrows++] = (struct dup_row){idx, detail};
        }
        d->found++;
    }
    if (st == BR_OK && nrows > 0) {
        qsort(rows, nrows, sizeof(*rows), dup_row_cmp);
        uint32_t *r = br_mallocn(nrows, sizeof(*r));
        const char **det = br_mallocn(nrows, sizeof(*det));
        if (r == NULL || det == NULL)
            st = br_fail(err, BR_ERR_NOMEM, "out of memory");
        for (size_t i = 0; st == BR_OK && i < nrows; i++) {
            r[i] = rows[i].row;
            det[i] = rows[i].detail;
        }
        if (st == BR_OK)
            st = br_ingest_reject_rows(ing, r, nrows, BR_R_DUPLICATE_RECORD, det, err);
        free(r);
        free(det);
    }
    free(rows);
    return st;
}

/* A search of a run of one source's questions (half of its parts), on a
 * thread of its own or not. */
struct find_job {
    struct br_db *db;
    int source;
    const struct br_idq *q;
    size_t nq;
    int64_t window_start;
    struct br_id_hit *hits;
    size_t nhits;
    enum br_status st;
    struct br_error err;
};

/* Runs jobs[0..2) (a thread's two searches, one per source), stopping at
 * the first failure. */
static void *find_run(void *arg)
{
    struct find_job *j = arg;
    for (int i = 0; i < 2; i++) {
        j[i].st = br_records_find(j[i].db, j[i].source, j[i].q, j[i].nq, j[i].window_start,
                                  &j[i].hits, &j[i].nhits, &j[i].err);
        if (j[i].st != BR_OK)
            break;
    }
    return NULL;
}

/* The four searches of the questions, [thread][source]: each source's
 * questions split in two halves by part, the lower parts of both sources on
 * thread 0, the upper parts on thread 1 (each thread's database backend
 * streams while the thread decodes). Split by source instead, the two
 * cores would share the work as the sources share the ids (a fifth EAS, the
 * rest OSS). */
static void split_jobs(const struct br_dups *d, int64_t window_start, struct find_job jobs[2][2])
{
    for (int s = 0; s < 2; s++) {
        size_t mid = br_idq_part_at(d->q[s], d->nq[s], 128);
        jobs[0][s] =
            (struct find_job){.source = s, .q = d->q[s], .nq = mid, .window_start = window_start};
        jobs[1][s] = (struct find_job){
            .source = s, .q = d->q[s] + mid, .nq = d->nq[s] - mid, .window_start = window_start};
    }
}

/* The questions and the skip list. */
static enum br_status ask(const struct br_night *n, struct br_dups *d, struct br_error *err)
{
    double t0 = br_now_s();
    d->nrows = n->ing.usage.n;
    d->skip = br_calloc(d->nrows + 1, 1);
    enum br_status st = d->skip != NULL ? make_questions(n, d) : BR_ERR_NOMEM;
    d->hash_s = br_now_s() - t0;
    return st == BR_OK ? BR_OK
                       : br_fail(err, st, "out of memory asking which record ids were billed");
}

/* What the night holds for the check from here to its end: the questions
 * and the skip list (a search's own buffers are freed as it returns). */
static size_t held_bytes(const struct br_dups *d)
{
    return (d->nq[0] + d->nq[1]) * sizeof(struct br_idq) + d->nrows + 1;
}

enum br_status br_dups_check(struct br_db *db, struct br_night *n, int64_t window_start,
                             struct br_dups *d, struct br_error *err)
{
    double t0 = br_now_s();
    enum br_status st = ask(n, d, err);
    if (st != BR_OK)
        return st;
    struct find_job jobs[2][2];
    split_jobs(d, window_start, jobs);
    struct br_db *db2 = NULL;
    pthread_t thread;
    bool threaded = n->threads > 1 && d->nq[0] + d->nq[1] > 0 &&
                    br_db_clone(db, &db2, &jobs[0][0].err) == BR_OK;
    jobs[1][0].db = jobs[1][1].db = db;
    jobs[0][0].db = jobs[0][1].db = threaded ? db2 : db;
    if (threaded)
        threaded = pthread_create(&thread, NULL, find_run, jobs[0]) == 0;
    if (!threaded)
        find_run(jobs[0]);
    find_run(jobs[1]);
    if (threaded)
        pthread_join(thread, NULL);
    br_db_close(db2);
    for (int t = 0; t < 2 && st == BR_OK; t++)
        for (int s = 0; s < 2 && st == BR_OK; s++) {
            st = jobs[t][s].st;
            if (st != BR_OK)
                *err = jobs[t][s].err;
            else
                st = apply_hits(db, n, d, jobs[t][s].hits, jobs[t][s].nhits, err);
        }
    for (int t = 0; t < 2; t++)
        for (int s = 0; s < 2; s++)
            free(jobs[t][s].hits);
    br_log(BR_LOG_DEBUG, "post_step",
           "step=record_ids_check beside=0 questions=%zu found=%zu rows=%zu held_bytes=%zu "
           "hash_seconds=%.3f seconds=%.3f",
           d->nq[0] + d->nq[1], d->found, d->nrows, held_bytes(d), d->hash_s,
           d->hash_s + br_now_s() - t0);
    return st;
}

/* ---- beside the night --------------------------------------------------------------- */

/* One of the two threads of a search beside the night. */
struct side {
    struct find_job jobs[2]; /* one per source */
    struct br_db *db;
    pthread_t thread;
    bool running;
    double t_done;
};

struct br_search {
    struct side side[2];
    double t0;
};

/* A search beside the night runs at the lowest priority (nice 19): the
 * night's own threads come first, and it takes the cores they leave idle.
 * Not SCHED_IDLE: on a host other work keeps busy, a thread of that policy
 * gets a fifth of nice 19's share, and an unprivileged process cannot raise
 * it again when the night waits for it. Its database backend streams no
 * faster than the thread reads. */
static void *find_beside(void *arg)
{
    struct side *x = arg;
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), 19); /* this thread only (Linux) */
    find_run(x->jobs);
    x->t_done = br_now_s();
    return NULL;
}

enum br_status br_dups_begin(struct br_db *db, const struct br_night *n, int64_t window_start,
                             struct br_dups *d, struct br_error *err)
{
    memset(d, 0, sizeof(*d));
    enum br_status st = ask(n, d, err);
    if (st != BR_OK)
        return st;
    struct br_search *s = br_calloc(1, sizeof(*s));
    if (s == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory asking which record ids were billed");
    s->t0 = br_now_s();
    struct find_job jobs[2][2];
    split_jobs(d, window_start, jobs);
    for (int t = 0; t < 2; t++) {
        struct side *x = &s->side[t];
        memcpy(x->jobs, jobs[t], sizeof(x->jobs));
        struct br_error e = {0};
        if (n->threads < 2 || d->nq[0] + d->nq[1] == 0 || br_db_clone(db, &x->db, &e) != BR_OK) {
            if (e.msg[0] != '\0')
                br_log(BR_LOG_DEBUG, "record_ids_beside", "second_connection=0 msg=%s",
                       br_logq(e.msg));
            x->db = NULL;
        }
        x->jobs[0].db = x->jobs[1].db = x->db != NULL ? x->db : db;
        x->running = x->db != NULL && pthread_create(&x->thread, NULL, find_beside, x) == 0;
    }
    /* What cannot be searched beside is searched now, before the batch has
     * written anything its own connection would find. */
    for (int t = 0; t < 2; t++)
        if (!s->side[t].running) {
            find_run(s->side[t].jobs); /* at the night's own priority */
            s->side[t].t_done = br_now_s();
        }
    d->bg = s;
    return BR_OK;
}

enum br_status br_dups_end(struct br_dups *d, size_t *found, struct br_error *err)
{
    *found = 0;
    struct br_search *s = d->bg;
    if (s == NULL)
        return BR_OK;
    double t0 = br_now_s(), done = 0;
    for (int t = 0; t < 2; t++) {
        struct side *x = &s->side[t];
        if (x->running)
            pthread_join(x->thread, NULL);
        br_db_close(x->db);
        done = x->t_done > done ? x->t_done : done;
    }
    double t1 = br_now_s();
    enum br_status st = BR_OK;
    for (int t = 0; t < 2; t++)
        for (int k = 0; k < 2; k++) {
            struct find_job *j = &s->side[t].jobs[k];
            if (st == BR_OK && j->st != BR_OK) {
                st = j->st;
                *err = j->err;
            }
            *found += j->nhits;
            free(j->hits);
        }
    br_log(BR_LOG_DEBUG, "post_step",
           "step=record_ids_check beside=1 questions=%zu found=%zu rows=%zu held_bytes=%zu "
           "hash_seconds=%.3f search_seconds=%.3f wait_seconds=%.3f seconds=%.3f",
           d->nq[0] + d->nq[1], *found, d->nrows, held_bytes(d), d->hash_s, done - s->t0, t1 - t0,
           d->hash_s + t1 - t0);
    free(s);
    d->bg = NULL;
    return st;
}

/* ---- remembering ------------------------------------------------------------------ */

struct file_range {
    size_t row_begin, row_end;
    uint32_t file;
};

struct remember {
    const struct br_night *n;
    const struct br_dups *d;
    struct file_range *ranges;
    size_t nranges;
};

static uint32_t file_of(const struct remember *m, size_t row)
{
    size_t lo = 0, hi = m->nranges;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ranges[mid].row_begin <= row)
            lo = mid;
        else
            hi = mid;
    }
    BR_ASSERT(row >= m->ranges[lo].row_begin && row < m->ranges[lo].row_end);
    return m->ranges[lo].file;
}

static int range_cmp(const void *a, const void *b)
{
    size_t x = ((const struct file_range *)a)->row_begin,
           y = ((const struct file_range *)b)->row_begin;
    return (x > y) - (x < y);
}

static bool billed_entry(void *ctx, uint32_t idx, int64_t *t, uint32_t *file)
{
    const struct remember *m = ctx;
    if ((idx & BR_IDQ_OTHER) || m->d->skip[idx] != 0)
        return false;
    *t = br_usage_t(&m->n->ing.usage, idx);
    *file = file_of(m, idx);
    return true;
}

/* The rows come in hash order: fetch ahead what billed_entry will read. */
static void billed_prefetch(void *ctx, uint32_t idx)
{
    const struct remember *m = ctx;
    if (!(idx & BR_IDQ_OTHER)) {
        __builtin_prefetch(&m->d->skip[idx]);
        __builtin_prefetch(&m->n->ing.usage.t32[idx]);
    }
}

enum br_status br_dups_write(struct br_db *db, struct br_batch_writer *w, const struct br_night *n,
                             const struct br_dups *d, const int64_t *file_ids, struct br_error *err)
{
    const struct br_ingest *ing = &n->ing;
    const struct br_rate_result *rr = &n->rated;
    /* rows rejected by rating were not billed */
    for (size_t i = 0; i < rr->nno_price; i++)
        d->skip[rr->no_price_rows[i]] = SKIP_REJECTED;
    for (size_t i = 0; i < rr->noverflow; i++)
        d->skip[rr->overflow_rows[i]] = SKIP_REJECTED;
    struct remember m = {.n = n, .d = d};
    m.ranges = br_mallocn(ing->nfiles + 1, sizeof(*m.ranges));
    if (m.ranges == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < ing->nfiles; i++)
        if (ing->files[i].row_end > ing->files[i].row_begin)
            m.ranges[m.nranges++] =
                (struct file_range){ing->files[i].row_begin, ing->files[i].row_end, (uint32_t)i};
    qsort(m.ranges, m.nranges, sizeof(*m.ranges), range_cmp);
    double t0 = br_now_s();
    enum br_status st = BR_OK;
    for (int s = 0; s < 2 && st == BR_OK; s++)
        st = br_records_write(db, w, s, d->q[s], d->nq[s], file_ids, ing->nfiles, billed_entry,
                              billed_prefetch, &m, err);
    br_log(BR_LOG_DEBUG, "post_step", "step=record_ids_write seconds=%.3f", br_now_s() - t0);
    free(m.ranges);
    return st;
}
