/* billrun-gen usage writer: streams EAS and OSS rows hour by hour, in time
 * order within each file, with optional bad rows. Memory is bounded by one
 * day's bursts and two hours of jobs, never the dataset. */
#include "gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BURST_JOBS_MAX 24 /* with <= 150 s per job, a burst ends within 2 h */
#define JOB_STEP_MAX_S 150
#define WINDOW_S 7200 /* jobs are sorted over the hour and the next one */
#define ITEMS_MAX ((size_t)1 << 27)
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char EAS_HEADER[] =
    "record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms\n";
static const char OSS_HEADER[] = "record_id,account_id,bucket,region,hour_start,metric,value\n";
static const char *const metric_names[GEN_METRIC_COUNT] = {"storage_bytes", "egress_bytes",
                                                           "put_requests", "get_requests"};

struct burst {
    uint32_t account;
    uint16_t second;
    uint8_t size;
    uint8_t svc;
    uint8_t hour;
};

struct job {
    int64_t t;
    uint32_t dur_s;
    uint32_t gpu_ms;
    uint32_t account;
    uint16_t svc;
    uint8_t tool;
    uint8_t spec; /* GPU (shared) or machine (exclusive) */
    uint8_t excl;
};

#define RECENT_IDS 256

/* Today's record ids of one source. */
struct ids {
    char prefix[16]; /* "eas-YYYYMMDD-" */
    uint64_t n;      /* numbers used today */
    /* Numbers of recent good rows: a duplicate repeats one of these, never
     * the id of a row that may not have claimed it (bad_utf8, ...). */
    uint64_t recent[RECENT_IDS];
    unsigned nrecent;
};

struct usage {
    struct gen_model *m;
    struct gen_stats *st;
    struct gen_out eas, oss;
    bool open;
    struct gen_rng detail; /* job and traffic details, in output order */
    struct gen_rng bad;    /* which rows go bad and how: apart, so bad rows
                              do not change the good data */
    struct ids ids[2];     /* [enum gen_source] */
    struct burst *bursts, *by_hour;
    size_t nbursts, bursts_cap, by_hour_cap;
    size_t hour_at[25];
    struct job *jobs, *sorted;
    size_t njobs, jobs_cap, sorted_cap;
    uint32_t count[WINDOW_S + 1];
    double job_cdf[2][24]; /* [weekend][UTC hour] */
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    if (need > ITEMS_MAX)
        gen_die("more than %zu jobs in one day or two hours: lower --rows or raise --days",
                ITEMS_MAX);
    size_t c = *cap ? *cap * 2 : 4096;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * elem);
    if (q == NULL)
        gen_die("out of memory");
    *cap = c;
    return q;
}

/* ---- Files ---- */

static void open_files(struct usage *u, int64_t day)
{
    char name[64];
    char ymd[9];
    gen_fmt_day_compact(ymd, day);
    ymd[8] = '\0';
    bool single = u->m->opt.files == GEN_FILES_SINGLE;
    snprintf(name, sizeof(name), "eas-%s.csv", single ? "all" : ymd);
    gen_out_open(&u->eas, u->m->opt.out_dir, name);
    snprintf(name, sizeof(name), "oss-%s.csv", single ? "all" : ymd);
    gen_out_open(&u->oss, u->m->opt.out_dir, name);
    char *p = gen_out_reserve(&u->eas);
    gen_out_commit(&u->eas, gen_put_str(p, EAS_HEADER));
    p = gen_out_reserve(&u->oss);
    gen_out_commit(&u->oss, gen_put_str(p, OSS_HEADER));
    u->open = true;
    u->st->files += 2;
}

static void close_files(struct usage *u)
{
    if (!u->open)
        return;
    gen_out_close(&u->eas);
    gen_out_close(&u->oss);
    u->st->bytes += u->eas.bytes + u->oss.bytes;
    u->open = false;
}

static void start_day(struct usage *u, int64_t day)
{
    char ymd[9];
    gen_fmt_day_compact(ymd, day);
    memset(u->ids, 0, sizeof(u->ids));
    snprintf(u->ids[GEN_EAS].prefix, sizeof(u->ids[GEN_EAS].prefix), "eas-%.8s-", ymd);
    snprintf(u->ids[GEN_OSS].prefix, sizeof(u->ids[GEN_OSS].prefix), "oss-%.8s-", ymd);
    if (u->m->opt.files == GEN_FILES_PER_DAY) {
        close_files(u);
        open_files(u, day);
    } else if (!u->open) {
        open_files(u, day);
    }
}

/* ---- Bad rows ---- */

static const enum gen_bad bad_shared[] = {
    GEN_BAD_FIELD_COUNT,
    GEN_BAD_TIMESTAMP,
    GEN_BAD_NUMBER,
    GEN_BAD_NEGATIVE,
    GEN_BAD_END_BEFORE_START,
    GEN_BAD_UNKNOWN_ENUM,
    GEN_BAD_UNKNOWN_ACCOUNT,
    GEN_BAD_ACCOUNT_ID,
    GEN_BAD_DUPLICATE,
    GEN_BAD_TOO_LONG,
    GEN_BAD_UTF8,
};
static const enum gen_bad bad_exclusive[] = {
    GEN_BAD_FIELD_COUNT,      GEN_BAD_TIMESTAMP,
    GEN_BAD_END_BEFORE_START, GEN_BAD_INTERVAL_TOO_LONG,
    GEN_BAD_UNKNOWN_ENUM,     GEN_BAD_UNKNOWN_ACCOUNT,
    GEN_BAD_ACCOUNT_ID,       GEN_BAD_DUPLICATE,
    GEN_BAD_TOO_LONG,         GEN_BAD_UTF8,
};
static const enum gen_bad bad_oss[] = {
    GEN_BAD_FIELD_COUNT,
    GEN_BAD_TIMESTAMP,
    GEN_BAD_NUMBER,
    GEN_BAD_NEGATIVE,
    GEN_BAD_NOT_HOUR_ALIGNED,
    GEN_BAD_UNKNOWN_ENUM,
    GEN_BAD_UNKNOWN_ACCOUNT,
    GEN_BAD_ACCOUNT_ID,
    GEN_BAD_DUPLICATE,
    GEN_BAD_TOO_LONG,
    GEN_BAD_UTF8,
};

/* Whether this row goes bad, and with which reason. Each reason is chosen so
 * that it is the only one the row has (formats.md's first-reason order). */
static enum gen_bad pick_bad(struct usage *u, const enum gen_bad *list, size_t n,
                             const struct ids *ids)
{
    uint32_t permille = u->m->opt.bad_permille;
    if (permille == 0 || gen_rng_below(&u->bad, 1000) >= permille)
        return GEN_BAD_NONE;
    enum gen_bad b = list[gen_rng_below(&u->bad, n)];
    if (b == GEN_BAD_DUPLICATE && ids->nrecent == 0) /* nothing to repeat yet today */
        b = GEN_BAD_UNKNOWN_ACCOUNT;
    return b;
}

static char *put_rid(struct usage *u, char *p, struct ids *ids, enum gen_bad bad)
{
    p = gen_put_mem(p, ids->prefix, 13);
    /* Every row uses up a number, a duplicate too, so that the good rows keep
     * the ids they have in a run without bad rows. */
    uint64_t id = ++ids->n;
    if (bad == GEN_BAD_DUPLICATE) {
        unsigned n = ids->nrecent < RECENT_IDS ? ids->nrecent : RECENT_IDS;
        id = ids->recent[gen_rng_below(&u->bad, n)];
    } else if (bad == GEN_BAD_NONE) {
        ids->recent[ids->nrecent++ % RECENT_IDS] = id;
    }
    return gen_put_u64w(p, id, 7);
}

static char *put_account_field(char *p, uint32_t account, enum gen_bad bad)
{
    if (bad == GEN_BAD_UNKNOWN_ACCOUNT)
        return gen_put_str(p, "acc-999999");
    p = gen_put_account(p, account + 1);
    if (bad == GEN_BAD_ACCOUNT_ID)
        *p++ = '#';
    return p;
}

/* A name field (service id, bucket) that may be too long or hold bad UTF-8. */
static char *put_name_tail(struct usage *u, char *p, enum gen_bad bad)
{
    if (bad == GEN_BAD_TOO_LONG) {
        size_t n = 1025 + gen_rng_below(&u->bad, 200);
        memset(p, 'x', n);
        return p + n;
    }
    if (bad == GEN_BAD_UTF8) /* 0xff never occurs in UTF-8; e4 b8 is cut short */
        return gen_put_str(p, gen_rng_chance(&u->bad, 0.5) ? "\xff" : "\xe4\xb8");
    return p;
}

static char *put_time_field(struct usage *u, char *p, int64_t t, enum gen_bad bad)
{
    size_t n = gen_fmt_time(p, t, 0);
    if (bad != GEN_BAD_TIMESTAMP)
        return p + n;
    if (gen_rng_chance(&u->bad, 0.5)) {
        memcpy(p + 5, "02-30", 5); /* February 30th */
        return p + n;
    }
    return p + n - 1; /* no offset */
}

static char *put_quantity(struct usage *u, char *p, uint64_t v, enum gen_bad bad)
{
    if (bad == GEN_BAD_NEGATIVE) {
        *p++ = '-';
        return gen_put_u64(p, v + 1);
    }
    p = gen_put_u64(p, v);
    if (bad == GEN_BAD_NUMBER)
        *p++ = gen_rng_chance(&u->bad, 0.5) ? 'a' : 'x';
    return p;
}

/* Ends a row: bad_field_count drops the last field or adds one. */
static char *end_row(struct usage *u, char *p, char *last_comma, enum gen_bad bad)
{
    if (bad == GEN_BAD_FIELD_COUNT) {
        if (gen_rng_chance(&u->bad, 0.5))
            p = last_comma;
        else
            p = gen_put_str(p, ",extra");
    }
    *p++ = '\n';
    return p;
}

/* ---- EAS rows ---- */

static char *put_hex4(char *p, uint16_t v)
{
    static const char hex[] = "0123456789abcdef";
    for (int s = 12; s >= 0; s -= 4)
        *p++ = hex[(v >> s) & 15];
    return p;
}

static int64_t eas_end(struct usage *u, const struct job *j, enum gen_bad bad)
{
    if (bad == GEN_BAD_END_BEFORE_START)
        return j->t - (j->excl ? gen_rng_range(&u->bad, 60, 3600) : gen_rng_range(&u->bad, 1, 120));
    if (bad == GEN_BAD_INTERVAL_TOO_LONG)
        return j->t + 32 * GEN_DAY_S + gen_rng_range(&u->bad, 0, 8 * GEN_DAY_S);
    return j->t + j->dur_s;
}

static void emit_eas(struct usage *u, const struct job *j)
{
    struct ids *ids = &u->ids[GEN_EAS];
    enum gen_bad bad = j->excl ? pick_bad(u, bad_exclusive, COUNT_OF(bad_exclusive), ids)
                               : pick_bad(u, bad_shared, COUNT_OF(bad_shared), ids);
    char *p = gen_out_reserve(&u->eas);
    p = put_rid(u, p, ids, bad);
    *p++ = ',';
    p = put_account_field(p, j->account, bad);
    p = gen_put_mem(p, ",svc-", 5);
    p = put_hex4(p, j->svc);
    p = put_name_tail(u, p, bad);
    *p++ = ',';
    p = gen_put_str(p, gen_tool_names[j->tool]);
    *p++ = ',';
    p = gen_put_str(p, bad == GEN_BAD_UNKNOWN_ENUM ? "dedicated"
                       : j->excl                   ? "exclusive"
                                                   : "shared");
    *p++ = ',';
    p = gen_put_str(p, j->excl ? gen_machine_names[j->spec] : gen_gpu_names[j->spec]);
    *p++ = ',';
    p = put_time_field(u, p, j->t, bad);
    *p++ = ',';
    int64_t end = eas_end(u, j, bad);
    p = put_time_field(u, p, end, GEN_BAD_NONE);
    char *last_comma = p;
    *p++ = ',';
    if (!j->excl)
        p = put_quantity(u, p, j->gpu_ms, bad);
    p = end_row(u, p, last_comma, bad);
    gen_out_commit(&u->eas, p);
    if (j->excl)
        u->st->eas_exclusive++;
    else
        u->st->eas_shared++;
    u->st->bad[GEN_EAS][bad]++;
}

/* ---- OSS rows ---- */

static void emit_oss(struct usage *u, const struct gen_bucket *k, int64_t hour_t,
                     enum gen_metric metric, uint64_t value)
{
    struct ids *ids = &u->ids[GEN_OSS];
    enum gen_bad bad = pick_bad(u, bad_oss, COUNT_OF(bad_oss), ids);
    char *p = gen_out_reserve(&u->oss);
    p = put_rid(u, p, ids, bad);
    *p++ = ',';
    p = put_account_field(p, k->account, bad);
    p = gen_put_mem(p, ",artlab-", 8);
    p = gen_put_account(p, k->account + 1);
    *p++ = '-';
    p = gen_put_str(p, gen_bucket_kinds[k->kind]);
    p = put_name_tail(u, p, bad);
    *p++ = ',';
    p = gen_put_str(p, gen_regions[k->region]);
    *p++ = ',';
    int64_t t = hour_t;
    if (bad == GEN_BAD_NOT_HOUR_ALIGNED)
        t += gen_rng_chance(&u->bad, 0.5) ? 60 * gen_rng_range(&u->bad, 1, 59)
                                          : gen_rng_range(&u->bad, 1, 59);
    p = put_time_field(u, p, t, bad);
    *p++ = ',';
    p = gen_put_str(p, bad == GEN_BAD_UNKNOWN_ENUM ? "delete_requests" : metric_names[metric]);
    char *last_comma = p;
    *p++ = ',';
    p = put_quantity(u, p, value, bad);
    p = end_row(u, p, last_comma, bad);
    gen_out_commit(&u->oss, p);
    u->st->oss[metric]++;
    u->st->bad[GEN_OSS][bad]++;
}

/* ---- Shared jobs: a day's bursts, then jobs hour by hour ---- */

static void build_cdf(struct usage *u)
{
    for (unsigned we = 0; we < 2; we++) {
        double sum = 0;
        for (unsigned h = 0; h < 24; h++) {
            sum += gen_job_prof[we][(h + GEN_LOCAL_OFFSET_S / 3600) % 24];
            u->job_cdf[we][h] = sum;
        }
        for (unsigned h = 0; h < 24; h++)
            u->job_cdf[we][h] /= sum;
    }
}

static uint8_t pick_hour(struct gen_rng *r, const double *cdf)
{
    double x = gen_rng_unit(r);
    for (uint8_t h = 0; h < 23; h++)
        if (x < cdf[h])
            return h;
    return 23;
}

static void plan_account_day(struct usage *u, uint32_t ai, uint32_t d, const double *cdf)
{
    const struct gen_model *m = u->m;
    const struct gen_account *a = &m->acc[ai];
    double frac;
    double lambda = gen_day_lambda(m, ai, d, &frac);
    uint64_t n = (uint64_t)floor(m->scale * lambda + frac);
    struct gen_rng r;
    gen_rng_init(&r, m->opt.seed, GEN_S_BURSTS, ai, d);
    while (n > 0) { /* bounded: every burst takes at least one job */
        uint64_t size = 1 + (uint64_t)(-log(1.0 - gen_rng_unit(&r)) * 6.0);
        if (size > BURST_JOBS_MAX)
            size = BURST_JOBS_MAX;
        if (size > n)
            size = n;
        u->bursts = grow(u->bursts, &u->bursts_cap, u->nbursts + 1, sizeof(*u->bursts));
        struct burst *b = &u->bursts[u->nbursts++];
        b->account = ai;
        b->hour = pick_hour(&r, cdf);
        b->second = (uint16_t)gen_rng_below(&r, 3600);
        b->size = (uint8_t)size;
        b->svc = (uint8_t)gen_rng_below(&r, a->nshared);
        n -= size;
    }
}

/* The day's bursts of all accounts, grouped by UTC hour (account order kept). */
static void plan_day(struct usage *u, uint32_t d)
{
    const struct gen_model *m = u->m;
    const double *cdf = u->job_cdf[gen_weekday(m->opt.start_day + d) >= 5];
    u->nbursts = 0;
    for (uint32_t ai = 0; ai < m->opt.accounts; ai++)
        if (m->acc[ai].nshared > 0 && m->acc[ai].join_day <= d)
            plan_account_day(u, ai, d, cdf);
    u->by_hour = grow(u->by_hour, &u->by_hour_cap, u->nbursts, sizeof(*u->by_hour));
    memset(u->hour_at, 0, sizeof(u->hour_at));
    for (size_t i = 0; i < u->nbursts; i++)
        u->hour_at[u->bursts[i].hour + 1]++;
    for (unsigned h = 0; h < 24; h++)
        u->hour_at[h + 1] += u->hour_at[h];
    size_t at[24];
    memcpy(at, u->hour_at, sizeof(at));
    for (size_t i = 0; i < u->nbursts; i++)
        u->by_hour[at[u->bursts[i].hour]++] = u->bursts[i];
}

static struct job *push_job(struct usage *u)
{
    u->jobs = grow(u->jobs, &u->jobs_cap, u->njobs + 1, sizeof(*u->jobs));
    return &u->jobs[u->njobs++];
}

static uint32_t job_gpu_ms(struct usage *u, const struct gen_account *a, unsigned s)
{
    double ms = a->base_ms[s] * gen_gpu_speed[a->gpu[s]] * exp(0.25 * gen_rng_normal(&u->detail));
    if (gen_rng_chance(&u->detail, 0.07)) /* hires fix, upscaling, a big batch */
        ms *= 2.5;
    return (uint32_t)(ms < 800 ? 800 : ms > 120000 ? 120000 : ms);
}

static void burst_jobs(struct usage *u, const struct burst *b, int64_t hour_t)
{
    const struct gen_account *a = &u->m->acc[b->account];
    struct gen_rng *r = &u->detail;
    int64_t t = hour_t + b->second;
    for (unsigned k = 0; k < b->size; k++) {
        struct job *j = push_job(u);
        j->t = t;
        j->gpu_ms = job_gpu_ms(u, a, b->svc);
        j->dur_s = (j->gpu_ms + 999) / 1000 + (uint32_t)gen_rng_below(r, 3);
        if (gen_rng_chance(r, 0.04)) /* cold start: the model loads first */
            j->dur_s += (uint32_t)gen_rng_range(r, 8, 45);
        j->account = b->account;
        j->svc = a->svc[b->svc];
        j->tool = a->tool[b->svc];
        j->spec = a->gpu[b->svc];
        j->excl = 0;
        double u01 = gen_rng_unit(r);
        int64_t gap = u01 < 0.7    ? gen_rng_range(r, 0, 6)
                      : u01 < 0.95 ? gen_rng_range(r, 7, 60)
                                   : gen_rng_range(r, 60, 140);
        int64_t step = j->dur_s + gap;
        t += step < JOB_STEP_MAX_S ? step : JOB_STEP_MAX_S;
    }
}

static void excl_jobs(struct usage *u, int64_t hour_end)
{
    struct gen_model *m = u->m;
    for (size_t i = 0; i < m->nex; i++) {
        struct gen_excl *e = &m->ex[i];
        while (e->start < hour_end && e->start < m->t_end) { /* bounded: steps move on */
            struct job *j = push_job(u);
            j->t = e->start;
            j->dur_s = (uint32_t)(e->end - e->start);
            j->gpu_ms = 0;
            j->account = e->account;
            j->svc = e->svc;
            j->tool = e->tool;
            j->spec = e->spec;
            j->excl = 1;
            gen_excl_step(e, e->end);
        }
    }
}

/* Sorts the window by start second (stable: account order within a second),
 * writes the hour's rows and keeps the rest for the next hour. */
static void flush_hour(struct usage *u, int64_t hour_t)
{
    memset(u->count, 0, sizeof(u->count));
    for (size_t i = 0; i < u->njobs; i++) {
        int64_t off = u->jobs[i].t - hour_t;
        if (off < 0 || off >= WINDOW_S)
            gen_die("internal error: a job %lld s from its hour", (long long)off);
        u->count[off + 1]++;
    }
    for (unsigned s = 0; s < WINDOW_S; s++)
        u->count[s + 1] += u->count[s];
    u->sorted = grow(u->sorted, &u->sorted_cap, u->njobs, sizeof(*u->sorted));
    for (size_t i = 0; i < u->njobs; i++)
        u->sorted[u->count[u->jobs[i].t - hour_t]++] = u->jobs[i];
    size_t i = 0;
    for (; i < u->njobs && u->sorted[i].t < hour_t + GEN_HOUR_S; i++)
        emit_eas(u, &u->sorted[i]);
    size_t keep = u->njobs - i;
    if (keep > 0)
        memcpy(u->jobs, u->sorted + i, keep * sizeof(*u->jobs));
    u->njobs = keep;
}

/* ---- OSS rows of one hour ---- */

static void bucket_hour(struct usage *u, struct gen_bucket *k, int64_t hour_t, unsigned lh,
                        unsigned we)
{
    struct gen_rng *r = &u->detail;
    emit_oss(u, k, hour_t, GEN_STORAGE, (uint64_t)k->bytes);
    k->bytes += k->growth * 2.0 * gen_rng_unit(r);
    if (gen_rng_chance(r, 0.002)) /* a clean-up of old outputs */
        k->bytes *= 0.8 + 0.15 * gen_rng_unit(r);
    if (k->bytes > 500.0 * 1073741824.0)
        k->bytes = 500.0 * 1073741824.0;
    if (k->bytes < 10.0 * 1073741824.0)
        k->bytes = 10.0 * 1073741824.0;
    if (!gen_rng_chance(r, gen_oss_chance(u->m->scale, k, lh, we)))
        return;
    double busy = gen_oss_prof[lh];
    double mb = k->egress_mb * busy * exp(0.8 * gen_rng_normal(r));
    emit_oss(u, k, hour_t, GEN_EGRESS, (uint64_t)(mb * 1048576.0) + gen_rng_below(r, 4096));
    if (gen_rng_chance(r, k->put_share)) {
        double puts = 800.0 * k->req_scale * busy * exp(gen_rng_normal(r));
        emit_oss(u, k, hour_t, GEN_PUT, 1 + (uint64_t)puts);
    }
    double gets = 3000.0 * k->req_scale * busy * exp(1.1 * gen_rng_normal(r));
    emit_oss(u, k, hour_t, GEN_GET, 1 + (uint64_t)gets);
}

static void oss_hour(struct usage *u, uint32_t d, int64_t hour_t)
{
    struct gen_model *m = u->m;
    int64_t l = hour_t + GEN_LOCAL_OFFSET_S;
    int64_t ld = gen_floor_div(l, GEN_DAY_S);
    unsigned lh = (unsigned)((l - ld * GEN_DAY_S) / 3600);
    unsigned we = gen_weekday(ld) >= 5;
    for (uint32_t ai = 0; ai < m->opt.accounts; ai++) {
        const struct gen_account *a = &m->acc[ai];
        if (a->join_day > d)
            continue;
        for (unsigned b = 0; b < a->nbuckets; b++)
            bucket_hour(u, &m->bkt[a->bucket0 + b], hour_t, lh, we);
    }
}

/* ---- The run ---- */

static void run_day(struct usage *u, uint32_t d)
{
    const struct gen_model *m = u->m;
    int64_t day_t = m->t0 + (int64_t)d * GEN_DAY_S;
    start_day(u, m->opt.start_day + d);
    plan_day(u, d);
    for (unsigned h = 0; h < 24; h++) {
        int64_t hour_t = day_t + h * GEN_HOUR_S;
        for (size_t i = u->hour_at[h]; i < u->hour_at[h + 1]; i++)
            burst_jobs(u, &u->by_hour[i], hour_t);
        excl_jobs(u, hour_t + GEN_HOUR_S);
        flush_hour(u, hour_t);
        oss_hour(u, d, hour_t);
    }
}

void gen_write_usage(struct gen_model *m, struct gen_stats *st)
{
    struct usage *u = calloc(1, sizeof(*u));
    if (u == NULL)
        gen_die("out of memory");
    u->m = m;
    u->st = st;
    gen_rng_init(&u->detail, m->opt.seed, GEN_S_DETAIL, 0, 0);
    gen_rng_init(&u->bad, m->opt.seed, GEN_S_BAD, 0, 0);
    build_cdf(u);
    for (uint32_t d = 0; d < m->opt.days; d++)
        run_day(u, d);
    close_files(u);
    /* Jobs of the last morning's bursts that run past the range end. */
    st->dropped_past_end = u->njobs;
    free(u->bursts);
    free(u->by_hour);
    free(u->jobs);
    free(u->sorted);
    free(u);
}
