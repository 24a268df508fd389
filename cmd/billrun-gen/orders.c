/* billrun-gen orders: resource plans of every kind, bundles, coupons, top-ups
 * and payments, sorted by order_time. An account never holds two storage
 * plans at one instant (formats.md `plan_limit`). */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ORDERS_PER_ACCOUNT_MAX 64

enum plan_type { PT_NONE, PT_AMOUNT, PT_POOL, PT_MONTHLY, PT_CAPACITY };
static const char *const plan_type_names[] = {"", "amount", "pool", "monthly", "capacity"};
static const char *const kind_names[GEN_ORDER_KIND_COUNT] = {"plan", "coupon", "topup", "payment"};

struct offer {
    const char *scope;
    uint8_t type;
    uint64_t quantity;
    const char *unit;
    int64_t paid_fen; /* for a year */
};

static const struct offer amount_offers[] = {
    {"*", PT_AMOUNT, 200, "CNY", 18000},
    {"*", PT_AMOUNT, 500, "CNY", 42500},
    {"*", PT_AMOUNT, 1000, "CNY", 80000},
    {"*", PT_AMOUNT, 5000, "CNY", 375000},
    {"compute_shared|compute_exclusive", PT_AMOUNT, 1000, "CNY", 78000},
    {"compute_shared", PT_AMOUNT, 300, "CNY", 25500},
};
static const struct offer pool_offers[] = {
    {"compute_shared", PT_POOL, 10000, "gpu_second", 6200},
    {"compute_shared", PT_POOL, 100000, "gpu_second", 56000},
    {"compute_shared", PT_POOL, 1000000, "gpu_second", 490000},
    {"compute_exclusive", PT_POOL, 100, "hour", 148000},
    {"compute_exclusive", PT_POOL, 500, "hour", 690000},
    {"egress", PT_POOL, 100, "GB", 2200},
    {"egress", PT_POOL, 1024, "GB", 20000},
    {"put", PT_POOL, 10000000, "request", 800},
    {"get", PT_POOL, 100000000, "request", 6000},
    {"put|get", PT_POOL, 50000000, "request", 3500},
};
static const struct offer monthly_offers[] = {
    {"egress", PT_MONTHLY, 50, "GB", 18000},
    {"egress", PT_MONTHLY, 200, "GB", 66000},
    {"get", PT_MONTHLY, 50000000, "request", 36000},
    {"put|get", PT_MONTHLY, 20000000, "request", 14400},
};
static const struct offer capacity_offers[] = {
    {"storage", PT_CAPACITY, 100, "GB", 9900},
    {"storage", PT_CAPACITY, 500, "GB", 48000},
    {"storage", PT_CAPACITY, 1024, "GB", 96000},
};
static const char *const coupon_scopes[] = {
    "*", "*", "*", "*", "*", "*", "*", "compute_shared", "compute_exclusive", "storage", "egress"};

struct order {
    int64_t t;
    uint32_t account;
    uint32_t seq; /* generation order within the account: breaks ties */
    uint8_t kind;
    uint8_t type;
    const char *scope;
    const char *unit;
    uint64_t quantity;
    int64_t paid_fen;
    uint16_t valid_days; /* 0: empty (plans default to 365) */
    uint32_t bundle;     /* 0: none */
};

struct orders {
    const struct gen_model *m;
    struct gen_stats *st;
    struct order *v;
    size_t n, cap;
    uint32_t bundles;
    /* the account being generated */
    struct gen_rng r;
    uint32_t account;
    uint32_t seq;
    int64_t lo, hi;          /* its orders fall in [lo, hi) */
    int64_t storage_free_at; /* no storage plan may start before this */
};

static struct order *add(struct orders *o, int64_t t, uint8_t kind)
{
    if (o->seq >= ORDERS_PER_ACCOUNT_MAX)
        return NULL;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 4096;
        o->v = realloc(o->v, o->cap * sizeof(*o->v));
        if (o->v == NULL)
            gen_die("out of memory");
    }
    struct order *x = &o->v[o->n++];
    memset(x, 0, sizeof(*x));
    x->t = t;
    x->account = o->account;
    x->seq = o->seq++;
    x->kind = kind;
    o->st->orders[kind]++;
    return x;
}

/* A time in [lo, hi), preferring the local business day (08:00-23:00). */
static int64_t when(struct orders *o, int64_t lo)
{
    int64_t t = lo;
    if (lo >= o->hi)
        return lo;
    for (int i = 0; i < 8; i++) {
        t = lo + (int64_t)gen_rng_below(&o->r, (uint64_t)(o->hi - lo));
        int64_t sod = (t + GEN_LOCAL_OFFSET_S) % GEN_DAY_S;
        if (sod >= 8 * 3600 && sod < 23 * 3600)
            break;
    }
    return t;
}

static uint16_t plan_days(struct orders *o)
{
    static const uint16_t short_days[] = {7, 14, 15, 30};
    double u = gen_rng_unit(&o->r);
    if (u < 0.15)
        return 0; /* empty: the default, 365 */
    if (u < 0.75)
        return 365;
    return short_days[gen_rng_below(&o->r, COUNT_OF(short_days))];
}

static int64_t valid_s(uint16_t days)
{
    return (int64_t)(days == 0 ? 365 : days) * GEN_DAY_S;
}

/* A plan row. Time-based plans (monthly, capacity) cost less when short. */
static struct order *add_plan(struct orders *o, int64_t t, const struct offer *f, uint16_t days,
                              uint32_t bundle)
{
    struct order *x = add(o, t, GEN_PLAN);
    if (x == NULL)
        return NULL;
    x->type = f->type;
    x->scope = f->scope;
    x->unit = f->unit;
    x->quantity = f->quantity;
    x->paid_fen = f->paid_fen;
    if ((f->type == PT_MONTHLY || f->type == PT_CAPACITY) && days != 0 && days < 365)
        x->paid_fen = f->paid_fen * days * 115 / 36500;
    if (bundle != 0)
        x->paid_fen = x->paid_fen * 9 / 10; /* each row carries its share */
    if (x->paid_fen < 1)
        x->paid_fen = 1;
    x->valid_days = days;
    x->bundle = bundle;
    return x;
}

static const struct offer *pick(struct orders *o, const struct offer *v, size_t n)
{
    return &v[gen_rng_below(&o->r, n)];
}

/* A storage plan, renewed or upgraded after it ends, never overlapping. */
static void storage_chain(struct orders *o, int64_t t, uint16_t days, uint32_t bundle)
{
    size_t level = gen_rng_below(&o->r, 2);
    for (int i = 0; i < 12 && t < o->hi && t >= o->storage_free_at; i++) {
        if (add_plan(o, t, &capacity_offers[level], days, bundle) == NULL)
            return;
        o->st->storage_plans++;
        o->storage_free_at = t + valid_s(days);
        if (o->storage_free_at >= o->hi || !gen_rng_chance(&o->r, 0.7))
            return;
        /* Renew exactly at the end (half-open validity) or a little later. */
        t = o->storage_free_at;
        if (gen_rng_chance(&o->r, 0.5))
            t += gen_rng_range(&o->r, 1, 2 * GEN_DAY_S);
        if (level + 1 < COUNT_OF(capacity_offers) && gen_rng_chance(&o->r, 0.3))
            level++;
        days = plan_days(o);
        bundle = 0;
    }
}

static void bundle(struct orders *o, int64_t t)
{
    uint32_t id = ++o->bundles;
    o->st->bundles++;
    uint16_t days = plan_days(o);
    switch (gen_rng_below(&o->r, 4)) {
    case 0: /* storage + traffic */
        add_plan(o, t, pick(o, monthly_offers, 2), days, id);
        storage_chain(o, t, days, id);
        break;
    case 1: /* creator pack: GPU time, storage, reads */
        add_plan(o, t, &pool_offers[gen_rng_below(&o->r, 2)], days, id);
        add_plan(o, t, &monthly_offers[2], days, id);
        storage_chain(o, t, days, id);
        break;
    case 2: /* compute money + traffic */
        add_plan(o, t, &amount_offers[4], days, id);
        add_plan(o, t, &pool_offers[5], days, id);
        break;
    default: /* studio pack: machine hours, requests, storage */
        add_plan(o, t, &pool_offers[3], days, id);
        add_plan(o, t, &pool_offers[9], days, id);
        storage_chain(o, t, days, id);
        break;
    }
}

static void plans(struct orders *o, int64_t first)
{
    const struct gen_account *a = &o->m->acc[o->account];
    double heavy = a->weight / 50.0;
    if (!gen_rng_chance(&o->r, 0.3 + 0.2 * (heavy < 1.0 ? heavy : 1.0)))
        return;
    int64_t t = gen_rng_chance(&o->r, 0.3) ? first : when(o, o->lo);
    /* One draw per statement: the order in which C evaluates arguments is
     * unspecified, and the output must not depend on the compiler. */
    double u = gen_rng_unit(&o->r);
    const struct offer *f;
    if (u < 0.3)
        f = pick(o, amount_offers, COUNT_OF(amount_offers));
    else if (u < 0.55)
        f = pick(o, pool_offers, COUNT_OF(pool_offers));
    else if (u < 0.7)
        f = pick(o, monthly_offers, COUNT_OF(monthly_offers));
    else
        f = NULL;
    if (f != NULL) {
        uint16_t days = plan_days(o);
        add_plan(o, t, f, days, 0);
    } else {
        bundle(o, t);
    }
    if (gen_rng_chance(&o->r, 0.15)) { /* a top-up pack later on */
        int64_t later = when(o, t);
        f = pick(o, pool_offers, 3);
        uint16_t days = plan_days(o);
        add_plan(o, later, f, days, 0);
    }
}

static void coupons(struct orders *o, int64_t first, bool joins)
{
    static const uint64_t faces[] = {10, 20, 30, 50, 100};
    static const uint16_t days[] = {30, 30, 30, 7, 15, 90};
    if (!gen_rng_chance(&o->r, joins ? 0.8 : 0.2))
        return;
    unsigned n = gen_rng_chance(&o->r, 0.25) ? 2 : 1;
    for (unsigned i = 0; i < n; i++) {
        bool welcome = i == 0 && (joins || gen_rng_chance(&o->r, 0.5));
        struct order *x = add(o, welcome ? first : when(o, o->lo), GEN_COUPON);
        if (x == NULL)
            return;
        x->scope = coupon_scopes[gen_rng_below(&o->r, COUNT_OF(coupon_scopes))];
        x->unit = "CNY";
        x->quantity = faces[gen_rng_below(&o->r, COUNT_OF(faces))];
        /* A campaign coupon is short-lived, so some expire inside the range. */
        x->valid_days = i == 0 ? days[gen_rng_below(&o->r, COUNT_OF(days))]
                               : (uint16_t)gen_rng_range(&o->r, 7, 14);
    }
}

static void cash(struct orders *o, int64_t first)
{
    static const int64_t topups[] = {100, 200, 500, 1000, 2000, 5000, 10000};
    if (gen_rng_chance(&o->r, 0.3)) {
        unsigned n = 1 + (unsigned)gen_rng_below(&o->r, 3);
        for (unsigned i = 0; i < n; i++) {
            int64_t t = i == 0 && gen_rng_chance(&o->r, 0.3) ? first : when(o, o->lo);
            struct order *x = add(o, t, GEN_TOPUP);
            if (x != NULL)
                x->paid_fen = topups[gen_rng_below(&o->r, COUNT_OF(topups))] * 100;
        }
    }
    if (gen_rng_chance(&o->r, 0.12)) { /* pay-as-you-go customers settling bills */
        unsigned n = 1 + (unsigned)gen_rng_below(&o->r, 2);
        for (unsigned i = 0; i < n; i++) {
            struct order *x = add(o, when(o, o->lo), GEN_PAYMENT);
            if (x != NULL)
                x->paid_fen = gen_rng_range(&o->r, 2000, 300000);
        }
    }
}

static void account_orders(struct orders *o, uint32_t ai)
{
    const struct gen_model *m = o->m;
    gen_rng_init(&o->r, m->opt.seed, GEN_S_ORDERS, ai, 0);
    o->account = ai;
    o->seq = 0;
    bool joins = m->acc[ai].join_day > 0;
    /* A new customer signs up and orders shortly before its first usage; an
     * existing one may order at the very first instant, before any piece. */
    int64_t first = joins ? gen_account_start(m, ai) - gen_rng_range(&o->r, 60, 3000) : m->t0;
    o->lo = first;
    o->hi = m->t_end;
    o->storage_free_at = first;
    plans(o, first);
    if (m->acc[ai].nbuckets > 0 && gen_rng_chance(&o->r, 0.15)) {
        int64_t t = gen_rng_chance(&o->r, 0.3) ? first : when(o, first);
        uint16_t days = plan_days(o);
        storage_chain(o, t, days, 0);
    }
    coupons(o, first, joins);
    cash(o, first);
}

static int order_cmp(const void *pa, const void *pb)
{
    const struct order *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->account != b->account)
        return a->account < b->account ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static char *put_order(char *p, const struct order *x, uint64_t id)
{
    p = gen_put_str(p, "ord-");
    p = gen_put_u64w(p, id, 7);
    *p++ = ',';
    p = gen_put_account(p, x->account + 1);
    *p++ = ',';
    p += gen_fmt_time(p, x->t, GEN_LOCAL_OFFSET_S);
    *p++ = ',';
    p = gen_put_str(p, kind_names[x->kind]);
    *p++ = ',';
    if (x->kind == GEN_TOPUP || x->kind == GEN_PAYMENT) {
        p = gen_put_str(p, ",,,,");
        p = gen_put_fen(p, x->paid_fen);
        return gen_put_str(p, ",,\n");
    }
    p = gen_put_str(p, x->scope);
    *p++ = ',';
    p = gen_put_str(p, plan_type_names[x->type]);
    *p++ = ',';
    p = gen_put_u64(p, x->quantity);
    *p++ = ',';
    p = gen_put_str(p, x->unit);
    *p++ = ',';
    p = gen_put_fen(p, x->paid_fen);
    *p++ = ',';
    if (x->valid_days != 0)
        p = gen_put_u64(p, x->valid_days);
    *p++ = ',';
    if (x->bundle != 0) {
        p = gen_put_str(p, "pkg-");
        p = gen_put_u64w(p, x->bundle, 6);
    }
    *p++ = '\n';
    return p;
}

void gen_write_orders(const struct gen_model *m, struct gen_stats *st)
{
    struct orders o = {.m = m, .st = st};
    for (uint32_t ai = 0; ai < m->opt.accounts; ai++)
        account_orders(&o, ai);
    if (o.n > 1)
        qsort(o.v, o.n, sizeof(*o.v), order_cmp);
    struct gen_out out;
    gen_out_open(&out, m->opt.out_dir, "orders-0001.csv");
    char *p = gen_out_reserve(&out);
    gen_out_commit(&out, gen_put_str(p, "order_id,account_id,order_time,kind,scope,plan_type,"
                                        "quantity,unit,paid,valid_days,bundle_id\n"));
    for (size_t i = 0; i < o.n; i++) {
        p = gen_out_reserve(&out);
        gen_out_commit(&out, put_order(p, &o.v[i], i + 1));
    }
    gen_out_close(&out);
    free(o.v);
    st->files++;
    st->bytes += out.bytes;
}
