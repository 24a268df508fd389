/* billrun-gen usage model: per-account parameters, machine schedules, and the
 * scale that brings the expected number of usage rows to --rows. */
#include "gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const gen_gpu_names[GEN_GPU_COUNT] = {"A10", "T4", "A100", "L20", "V100", "H20"};
/* Share of shared services per GPU type, and GPU time relative to an A10. */
static const double gpu_weight[GEN_GPU_COUNT] = {40, 18, 10, 16, 8, 8};
const double gen_gpu_speed[GEN_GPU_COUNT] = {1.0, 2.3, 0.45, 0.8, 1.35, 0.55};

const char *const gen_machine_names[GEN_MACHINE_COUNT] = {
    "ml.gu7i.c16m60.1-gu30", "ml.gu7i.c32m188.1-gu30", "ml.gn7i.c8m30.1-t4",
    "ml.gu7ef.c16m93.1-gu50", /* no exact price: billed by the '*' row */
};
static const double machine_weight[GEN_MACHINE_COUNT] = {40, 25, 20, 15};

const char *const gen_tool_names[2] = {"stable_diffusion", "comfyui"};

const char *const gen_bucket_kinds[GEN_BUCKET_KINDS] = {"models", "outputs", "datasets",
                                                        "loras",  "images",  "backup"};
static const float bucket_put_share[GEN_BUCKET_KINDS] = {0.25f, 0.9f, 0.35f, 0.3f, 0.8f, 0.6f};
static const float bucket_egress_mb[GEN_BUCKET_KINDS] = {400, 1500, 250, 150, 2000, 60};
const char *const gen_regions[3] = {"cn-shanghai", "cn-beijing", "cn-hangzhou"};

/* Shared jobs by local hour (UTC+8): office hours with a lunch dip, a tail
 * into the evening, quiet nights; weekends flatter and lower. */
const double gen_job_prof[2][24] = {
    {0.08, 0.05, 0.03, 0.02, 0.02, 0.02, 0.04, 0.10, 0.35, 0.90, 1.00, 1.00,
     0.55, 0.85, 1.00, 1.00, 1.00, 0.95, 0.65, 0.40, 0.38, 0.35, 0.25, 0.15},
    {0.12, 0.08, 0.05, 0.03, 0.02, 0.02, 0.03, 0.05, 0.10, 0.25, 0.45, 0.55,
     0.50, 0.60, 0.65, 0.65, 0.60, 0.55, 0.50, 0.50, 0.50, 0.45, 0.35, 0.20},
};
/* Chance that a bucket sees traffic in an hour, by local hour, before the
 * bucket's own activity and the scale. */
const double gen_oss_prof[24] = {0.25, 0.18, 0.12, 0.10, 0.10, 0.10, 0.15, 0.30,
                                 0.60, 0.90, 1.00, 1.00, 0.80, 0.95, 1.00, 1.00,
                                 1.00, 0.95, 0.85, 0.75, 0.70, 0.65, 0.50, 0.35};
const double gen_oss_dayf[2] = {1.0, 0.6};

#define WEEKEND_JOBS 0.35
#define GB_D 1073741824.0

int64_t gen_account_start(const struct gen_model *m, uint32_t account)
{
    return m->t0 + (int64_t)m->acc[account].join_day * GEN_DAY_S;
}

static size_t pick_weighted(struct gen_rng *r, const double *w, size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    double x = gen_rng_unit(r) * total;
    for (size_t i = 0; i + 1 < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

/* ---- Exclusive machine schedules ---- */

static int64_t office_start(struct gen_excl *e, int64_t prev_end)
{
    int64_t ld = gen_floor_div(prev_end + GEN_LOCAL_OFFSET_S, GEN_DAY_S);
    int64_t start = prev_end + 60;
    for (int i = 0; i < 30; i++, ld++) { /* bounded: a working day is near */
        int64_t s =
            ld * GEN_DAY_S - GEN_LOCAL_OFFSET_S + 8 * 3600 + 1800 + gen_rng_range(&e->rng, 0, 7200);
        if (s < prev_end + 60)
            continue;
        start = s;
        if (gen_weekday(ld) < 5 || gen_rng_chance(&e->rng, 0.15))
            break;
    }
    return start;
}

void gen_excl_step(struct gen_excl *e, int64_t prev_end)
{
    struct gen_rng *r = &e->rng;
    int64_t start, dur_s;
    switch (e->mode) {
    case GEN_EXCL_OFFICE:
        start = office_start(e, prev_end);
        dur_s = gen_rng_range(r, 7 * 3600, 13 * 3600);
        if (gen_rng_chance(r, 0.15)) /* left running overnight */
            dur_s += gen_rng_range(r, 10 * 3600, 16 * 3600);
        break;
    case GEN_EXCL_ALWAYS:
        start = prev_end + gen_rng_range(r, 60, 1800);
        dur_s = gen_rng_range(r, GEN_DAY_S, 10 * GEN_DAY_S);
        break;
    default:
        start = prev_end + gen_rng_range(r, 2 * 3600, 3 * GEN_DAY_S);
        dur_s = gen_rng_range(r, 3600, 6 * 3600);
        break;
    }
    /* Never longer than the 31 days formats.md allows. */
    if (dur_s > 31 * GEN_DAY_S)
        dur_s = 31 * GEN_DAY_S;
    e->start = start;
    e->end = start + dur_s;
}

/* ---- Accounts ---- */

struct build {
    struct gen_model *m;
    size_t bkt_cap;
    size_t ex_cap;
    bool one_bucket;
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * elem);
    if (q == NULL)
        gen_die("out of memory");
    *cap = c;
    return q;
}

static void build_shared(struct gen_account *a, struct gen_rng *r)
{
    double u = gen_rng_unit(r);
    a->nshared = u < 0.08 ? 0 : u < 0.55 ? 1 : u < 0.83 ? 2 : u < 0.96 ? 3 : 4;
    /* Pareto (x_m 5, alpha 1.5): most studios make a few dozen images a
     * day, a few make thousands. */
    double w = 5.0 / pow(1.0 - gen_rng_unit(r), 1.0 / 1.5);
    a->weight = a->nshared == 0 ? 0.0 : (w > 2000.0 ? 2000.0 : w);
    for (unsigned s = 0; s < a->nshared; s++) {
        a->tool[s] = gen_rng_chance(r, 0.6) ? 0 : 1;
        a->gpu[s] = (uint8_t)pick_weighted(r, gpu_weight, GEN_GPU_COUNT);
        a->svc[s] = (uint16_t)gen_rng_next(r);
        double ms = exp(log(6000.0) + 0.5 * gen_rng_normal(r)) * (a->tool[s] ? 1.6 : 1.0);
        a->base_ms[s] = (float)(ms < 1500 ? 1500 : ms > 40000 ? 40000 : ms);
    }
}

static void build_buckets(struct build *b, uint32_t ai, struct gen_rng *r)
{
    struct gen_model *m = b->m;
    struct gen_account *a = &m->acc[ai];
    double u = gen_rng_unit(r);
    a->nbuckets = b->one_bucket ? 1 : u < 0.6 ? 1 : u < 0.9 ? 2 : 3;
    a->bucket0 = (uint32_t)m->nbkt;
    m->bkt = grow(m->bkt, &b->bkt_cap, m->nbkt + a->nbuckets, sizeof(*m->bkt));
    unsigned kind0 = (unsigned)gen_rng_below(r, GEN_BUCKET_KINDS);
    uint8_t region0 = (uint8_t)(u < 0.5 ? 0 : gen_rng_below(r, 3));
    for (unsigned j = 0; j < a->nbuckets; j++) {
        struct gen_bucket *k = &m->bkt[m->nbkt++];
        k->account = ai;
        k->kind = (uint8_t)((kind0 + j) % GEN_BUCKET_KINDS);
        k->region = gen_rng_chance(r, 0.8) ? region0 : (uint8_t)gen_rng_below(r, 3);
        k->act = (float)(0.1 + 0.5 * gen_rng_unit(r));
        k->put_share = bucket_put_share[k->kind];
        k->egress_mb = (float)(bucket_egress_mb[k->kind] * exp(0.7 * gen_rng_normal(r)));
        k->req_scale = (float)exp(1.2 * gen_rng_normal(r));
        k->bytes = exp(log(10.0) + gen_rng_unit(r) * (log(400.0) - log(10.0))) * GB_D;
        k->growth = k->bytes * gen_rng_unit(r) * 0.012 / 24.0;
    }
}

static void build_excl(struct build *b, uint32_t ai, struct gen_rng *r)
{
    struct gen_model *m = b->m;
    if (!gen_rng_chance(r, 0.12))
        return;
    unsigned n = gen_rng_chance(r, 0.75) ? 1 : 2;
    m->ex = grow(m->ex, &b->ex_cap, m->nex + n, sizeof(*m->ex));
    for (unsigned j = 0; j < n; j++) {
        struct gen_excl *e = &m->ex[m->nex++];
        memset(e, 0, sizeof(*e));
        e->account = ai;
        e->svc = (uint16_t)gen_rng_next(r);
        e->tool = gen_rng_chance(r, 0.5) ? 0 : 1;
        e->spec = (uint8_t)pick_weighted(r, machine_weight, GEN_MACHINE_COUNT);
        double u = gen_rng_unit(r);
        e->mode = u < 0.5 ? GEN_EXCL_OFFICE : u < 0.75 ? GEN_EXCL_ALWAYS : GEN_EXCL_ADHOC;
        gen_rng_init(&e->rng, m->opt.seed, GEN_S_EXCL, ai, j);
        int64_t from = gen_account_start(m, ai);
        if (e->mode == GEN_EXCL_ALWAYS) /* already running: the first restart comes any time */
            from += gen_rng_range(&e->rng, 0, 20 * 3600);
        gen_excl_step(e, from);
    }
}

static void build_accounts(struct build *b)
{
    struct gen_model *m = b->m;
    uint32_t days = m->opt.days;
    m->nbkt = 0;
    m->nex = 0;
    for (uint32_t ai = 0; ai < m->opt.accounts; ai++) {
        struct gen_rng r;
        gen_rng_init(&r, m->opt.seed, GEN_S_ACCOUNT, ai, 0);
        struct gen_account *a = &m->acc[ai];
        memset(a, 0, sizeof(*a));
        /* Most studios are customers already; some sign up during the range. */
        bool joins = days > 1 && gen_rng_chance(&r, 0.15);
        a->join_day = joins ? 1 + (uint32_t)gen_rng_below(&r, days - 1) : 0;
        build_shared(a, &r);
        build_buckets(b, ai, &r);
        build_excl(b, ai, &r);
    }
}

/* ---- Expected volume ---- */

double gen_day_lambda(const struct gen_model *m, uint32_t account, uint32_t day, double *frac)
{
    struct gen_rng r;
    gen_rng_init(&r, m->opt.seed, GEN_S_DAY, account, day);
    double z = gen_rng_normal(&r);
    *frac = gen_rng_unit(&r);
    double f = gen_weekday(m->opt.start_day + day) < 5 ? 1.0 : WEEKEND_JOBS;
    /* Day-to-day noise: log-normal with mean 1. */
    return m->acc[account].weight * f * exp(0.35 * z - 0.06125);
}

struct volume {
    double fixed;  /* storage rows and machine intervals */
    double lambda; /* shared jobs at scale 1 */
    /* cells[j][local hour][weekend]: hours from day j to the end */
    double *cells;
};

static uint64_t excl_rows(const struct gen_model *m)
{
    uint64_t n = 0;
    for (size_t i = 0; i < m->nex; i++) {
        struct gen_excl e = m->ex[i];
        while (e.start < m->t_end) { /* bounded: every step moves >= 60 s on */
            n++;
            gen_excl_step(&e, e.end);
        }
    }
    return n;
}

static void count_cells(const struct gen_model *m, double *cells)
{
    uint32_t days = m->opt.days;
    memset(cells, 0, sizeof(double) * 48 * (days + 1));
    for (uint32_t d = days; d-- > 0;) {
        memcpy(cells + 48 * d, cells + 48 * (d + 1), sizeof(double) * 48);
        for (unsigned h = 0; h < 24; h++) {
            int64_t l = m->t0 + (int64_t)d * GEN_DAY_S + h * 3600 + GEN_LOCAL_OFFSET_S;
            int64_t ld = gen_floor_div(l, GEN_DAY_S);
            unsigned lh = (unsigned)((l - ld * GEN_DAY_S) / 3600);
            unsigned we = gen_weekday(ld) >= 5;
            cells[48 * d + lh * 2 + we] += 1;
        }
    }
}

static void measure(const struct gen_model *m, struct volume *v)
{
    v->fixed = (double)excl_rows(m);
    v->lambda = 0;
    for (uint32_t ai = 0; ai < m->opt.accounts; ai++) {
        const struct gen_account *a = &m->acc[ai];
        v->fixed += (double)a->nbuckets * 24.0 * (m->opt.days - a->join_day);
        if (a->nshared == 0)
            continue;
        for (uint32_t d = a->join_day; d < m->opt.days; d++) {
            double frac;
            v->lambda += gen_day_lambda(m, ai, d, &frac);
        }
    }
    count_cells(m, v->cells);
}

double gen_oss_chance(double scale, const struct gen_bucket *k, unsigned lh, unsigned weekend)
{
    double p = scale * k->act * gen_oss_prof[lh] * gen_oss_dayf[weekend];
    return p < 1.0 ? p : 1.0;
}

static double expected_rows(const struct gen_model *m, const struct volume *v, double s)
{
    double rows = v->fixed + s * v->lambda;
    for (size_t i = 0; i < m->nbkt; i++) {
        const struct gen_bucket *k = &m->bkt[i];
        const double *c = v->cells + 48 * m->acc[k->account].join_day;
        double hours = 0;
        for (unsigned lh = 0; lh < 24; lh++)
            for (unsigned we = 0; we < 2; we++)
                hours += c[lh * 2 + we] * gen_oss_chance(s, k, lh, we);
        rows += hours * (2.0 + k->put_share);
    }
    return rows;
}

static double solve_scale(const struct gen_model *m, const struct volume *v, double target)
{
    double lo = 0, hi = 1;
    for (int i = 0; i < 60 && expected_rows(m, v, hi) < target; i++)
        hi *= 2;
    for (int i = 0; i < 60; i++) {
        double mid = (lo + hi) / 2;
        if (expected_rows(m, v, mid) < target)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

void gen_model_build(struct gen_model *m, const struct gen_opts *opt, struct gen_stats *st)
{
    memset(m, 0, sizeof(*m));
    m->opt = *opt;
    m->t0 = opt->start_day * GEN_DAY_S;
    m->t_end = m->t0 + (int64_t)opt->days * GEN_DAY_S;
    m->acc = calloc(opt->accounts, sizeof(*m->acc));
    struct volume v = {0};
    v.cells = calloc(48 * ((size_t)opt->days + 1), sizeof(double));
    if (m->acc == NULL || v.cells == NULL)
        gen_die("out of memory");
    struct build b = {.m = m};
    build_accounts(&b);
    measure(m, &v);
    double target = (double)opt->rows;
    if (opt->rows > 0 && v.fixed > 0.6 * target) {
        /* Hourly storage rows dominate: give every account one bucket. */
        b.one_bucket = true;
        st->one_bucket = true;
        build_accounts(&b);
        measure(m, &v);
    }
    m->scale = 1.0;
    if (opt->rows > 0)
        m->scale = v.fixed >= target ? 0.0 : solve_scale(m, &v, target);
    st->scale = m->scale;
    st->floor_rows = v.fixed;
    st->expected_rows = expected_rows(m, &v, m->scale);
    free(v.cells);
}

void gen_model_free(struct gen_model *m)
{
    free(m->acc);
    free(m->bkt);
    free(m->ex);
    memset(m, 0, sizeof(*m));
}
