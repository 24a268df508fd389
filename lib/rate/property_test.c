/* Rating properties over generated inboxes (a seeded PRNG: a few accounts
 * over four days across a month end, random prices with windows, promotions
 * and price changes, plans of every kind, coupons, top-ups): conservation,
 * no source below zero, no draw outside its order's validity or scope,
 * prices as rules.md section 3 reads, independence from file order and from
 * the split into runs of whole UTC days, and identical results when rated
 * twice or with two threads. */
#include "rate/rate_testutil.h"

#include <inttypes.h>

#define NSEEDS 20
#define NDAYS 4
#define MAX_ACCTS 4

/* --- the generator ------------------------------------------------------------ */

struct grow {
    enum br_kind kind;
    int64_t t; /* when it happens (orders, usage); 0 for accounts and prices */
    char text[400];
};

struct gen {
    uint64_t rng;
    int64_t start; /* first UTC day of usage */
    int naccts;
    struct grow *rows;
    size_t n, cap;
    unsigned eas_ids, oss_ids, order_ids;
};

static uint64_t rnd(struct gen *g)
{
    /* splitmix64 */
    uint64_t z = (g->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t between(struct gen *g, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(g) % (uint64_t)(hi - lo + 1));
}

static bool chance(struct gen *g, int percent)
{
    return between(g, 0, 99) < percent;
}

static void add_row(struct gen *g, enum br_kind kind, int64_t t, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_row(struct gen *g, enum br_kind kind, int64_t t, const char *fmt, ...)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 256;
        g->rows = realloc(g->rows, g->cap * sizeof(*g->rows));
        assert_non_null(g->rows);
    }
    struct grow *r = &g->rows[g->n++];
    r->kind = kind;
    r->t = t;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(r->text, sizeof(r->text), fmt, ap);
    va_end(ap);
    assert_true(len > 0 && (size_t)len < sizeof(r->text));
}

/* A decimal with `scale` fractional digits. */
static const char *dec(char *buf, int64_t v, int scale)
{
    int64_t div = 1;
    for (int i = 0; i < scale; i++)
        div *= 10;
    snprintf(buf, 48, "%" PRId64 ".%0*" PRId64, v / div, scale, v % div);
    return buf;
}

/* A timestamp in UTC or in the billing calendar's offset, at random. */
static const char *ts(struct gen *g, char *buf, int64_t t)
{
    br_time_format(t, chance(g, 50) ? 0 : RT_OFFSET_S, buf, 48);
    return buf;
}

static const char *hhmm(char *buf, int64_t h)
{
    snprintf(buf, 8, "%02d:00", (int)h);
    return buf;
}

#define JAN1 "2026-01-01T00:00:00+08:00"

/* A unit price in e10 up to hi: now and then 0, often a round number, else
 * any digits (values of pieces and partial covers that need rounding). */
static int64_t a_price(struct gen *g, int64_t hi)
{
    if (chance(g, 4))
        return 0;
    int64_t p = between(g, 1, hi);
    if (chance(g, 40) && p > hi / 100)
        p -= p % (hi / 100);
    return p;
}

/* A dated row of (item, spec) over a random span of the four days, with a
 * random window (maybe wrapping) half the time. */
static void gen_promo(struct gen *g, const char *item, const char *spec, int64_t price_e10,
                      bool with_free)
{
    char p[48], f[48], t[48], a[8], b[8];
    int64_t from = g->start + between(g, -1, NDAYS - 1) * BR_DAY_S + between(g, 0, 23) * 3600;
    int64_t to = from + between(g, 1, 40) * 3600;
    int64_t h1 = between(g, 0, 23);
    int64_t h2 = between(g, 0, 23);
    bool window = chance(g, 50) && h1 != h2;
    dec(p, price_e10, 10);
    ts(g, f, from);
    ts(g, t, to);
    add_row(g, BR_KIND_PRICES, 0, "%s,%s,%s,%s,%s,%s,%s,%s", item, spec, p, f, t,
            window ? hhmm(a, h1) : "", window ? hhmm(b, h2) : "", with_free ? "100" : "");
}

/* An open row from Jan 1 of (item, spec), maybe in a window [h1, h2). */
static void gen_open(struct gen *g, const char *item, const char *spec, int64_t price_e10,
                     int64_t h1, int64_t h2, const char *free_text)
{
    char p[48], a[8], b[8];
    dec(p, price_e10, 10);
    add_row(g, BR_KIND_PRICES, 0, "%s,%s,%s," JAN1 ",,%s,%s,%s", item, spec, p,
            h1 >= 0 ? hhmm(a, h1) : "", h1 >= 0 ? hhmm(b, h2) : "", free_text);
}

static void gen_compute_prices(struct gen *g)
{
    char p[48], f[48], a[8], b[8];
    /* compute_shared: "*" open; A10 open in a wrapping window only; T4 with a
     * later open row (maybe windowed) that ends the first whatever its window */
    gen_open(g, "compute_shared", "*", a_price(g, 500000000), -1, -1, "");
    if (chance(g, 60)) {
        int64_t price = a_price(g, 500000000);
        int64_t h1 = between(g, 16, 23);
        gen_open(g, "compute_shared", "A10", price, h1, between(g, 1, 9), "");
    }
    if (chance(g, 50))
        gen_promo(g, "compute_shared", "*", a_price(g, 300000000), false);
    gen_open(g, "compute_shared", "T4", a_price(g, 500000000), -1, -1, "");
    if (chance(g, 60)) {
        int64_t h = between(g, 1, 12);
        int64_t h2 = h + between(g, 1, 11);
        bool w = chance(g, 50);
        dec(p, a_price(g, 500000000), 10);
        ts(g, f, g->start + between(g, 0, NDAYS * 24) * 3600);
        add_row(g, BR_KIND_PRICES, 0, "compute_shared,T4,%s,%s,,%s,%s,", p, f, w ? hhmm(a, h) : "",
                w ? hhmm(b, h2) : "");
    }
    /* compute_exclusive: "*" and gpu-x open, a gpu-x promotion */
    gen_open(g, "compute_exclusive", "*", a_price(g, 400000000000), -1, -1, "");
    gen_open(g, "compute_exclusive", "gpu-x", a_price(g, 400000000000), -1, -1, "");
    if (chance(g, 50))
        gen_promo(g, "compute_exclusive", "gpu-x", a_price(g, 400000000000), false);
}

static void gen_prices(struct gen *g)
{
    char f[48], f2[48], p[48];
    gen_compute_prices(g);
    gen_open(g, "storage", "*", a_price(g, 15000000000), -1, -1, "");
    /* egress: two open windows meeting at h, maybe a wrapping promotion */
    int64_t h = between(g, 1, 23);
    gen_open(g, "egress", "*", a_price(g, 8000000000), 0, h, "");
    gen_open(g, "egress", "*", a_price(g, 8000000000), h, 24, "");
    if (chance(g, 50))
        gen_promo(g, "egress", "*", a_price(g, 8000000000), false);
    /* put with a free allowance (or none), maybe a promotion without one */
    int64_t price = a_price(g, 500000000);
    if (chance(g, 70))
        dec(f, between(g, 0, 3000), 0);
    else
        f[0] = '\0';
    gen_open(g, "put", "*", price, -1, -1, f);
    if (chance(g, 50)) {
        price = a_price(g, 500000000);
        gen_promo(g, "put", "*", price, chance(g, 30));
    }
    /* get: open with an allowance, or only a dated row (the rest: no_price) */
    price = a_price(g, 5000000);
    if (chance(g, 70)) {
        dec(f, between(g, 0, 50000), 0);
        gen_open(g, "get", "*", price, -1, -1, f);
    } else {
        dec(p, price, 10);
        ts(g, f, g->start + BR_DAY_S);
        ts(g, f2, g->start + 3 * BR_DAY_S);
        add_row(g, BR_KIND_PRICES, 0, "get,*,%s,%s,%s,,,", p, f, f2);
    }
}

static const char *const ITEM_NAMES[BR_ITEM_COUNT] = {
    "compute_shared", "compute_exclusive", "storage", "egress", "put", "get"};

/* A money scope: "*" or 1-3 items joined by '|'. */
static void money_scope(struct gen *g, char *out, size_t size)
{
    if (chance(g, 25)) {
        snprintf(out, size, "*");
        return;
    }
    unsigned mask = 0;
    int n = (int)between(g, 1, 3);
    for (int i = 0; i < n; i++)
        mask |= 1u << between(g, 0, BR_ITEM_COUNT - 1);
    out[0] = '\0';
    for (int i = 0; i < BR_ITEM_COUNT; i++)
        if (mask & (1u << i)) {
            size_t l = strlen(out);
            snprintf(out + l, size - l, "%s%s", l ? "|" : "", ITEM_NAMES[i]);
        }
}

/* A unit plan's scope, unit and quantity (pool and monthly: no storage). */
static void unit_plan(struct gen *g, const char **scope, const char **unit, char *qty)
{
    switch (between(g, 0, 5)) {
    case 0:
        *scope = "compute_shared", *unit = "gpu_second";
        dec(qty, between(g, 1, 2000000), 3);
        break;
    case 1:
        *scope = "compute_exclusive", *unit = "hour";
        dec(qty, between(g, 1, 12) * 25, 2);
        break;
    case 2:
        *scope = "egress", *unit = "GB";
        dec(qty, between(g, 1, 64) * 625, 4); /* sixteenths of a GB */
        break;
    case 3:
        *scope = "put", *unit = "request";
        dec(qty, between(g, 1, 20000), 0);
        break;
    case 4:
        *scope = "get", *unit = "request";
        dec(qty, between(g, 1, 50000), 0);
        break;
    default:
        *scope = "put|get", *unit = "request";
        dec(qty, between(g, 1, 20000), 0);
        break;
    }
}

static void gen_plan(struct gen *g, int acct, const char *id, int64_t t, const char *when,
                     int64_t kind, bool *has_capacity)
{
    static const int days[] = {1, 2, 3, 5, 30, 365};
    char sc[128], q[48], paid[48];
    int vd = days[between(g, 0, 5)];
    const char *scope, *unit;
    if (kind < 20) {
        int64_t face = between(g, 1, 3000) * 1000000;
        money_scope(g, sc, sizeof(sc));
        if (strcmp(sc, "storage") == 0) /* a storage plan: one per account (plan_limit) */
            snprintf(sc, sizeof(sc), "storage|egress");
        dec(q, face, 8);
        dec(paid, between(g, 0, face), 8);
        add_row(g, BR_KIND_ORDERS, t, "%s,acc-%d,%s,plan,%s,amount,%s,CNY,%s,%d,", id, acct, when,
                sc, q, paid, vd);
    } else if (kind < 50 || *has_capacity) {
        unit_plan(g, &scope, &unit, q);
        dec(paid, between(g, 0, 5000000000), 8);
        add_row(g, BR_KIND_ORDERS, t, "%s,acc-%d,%s,plan,%s,%s,%s,%s,%s,%d,", id, acct, when, scope,
                kind % 2 ? "pool" : "monthly", q, unit, paid, vd);
    } else {
        /* one capacity plan per account: more would hit plan_limit by file order */
        *has_capacity = true;
        dec(q, between(g, 1, 800) * 25, 2);
        dec(paid, between(g, 0, 900000000), 8);
        add_row(g, BR_KIND_ORDERS, t, "%s,acc-%d,%s,plan,storage,capacity,%s,GB,%s,%d,", id, acct,
                when, q, paid, vd);
    }
}

static void gen_order(struct gen *g, int acct, bool *has_capacity)
{
    char id[32], when[48], sc[128], q[48], paid[48];
    snprintf(id, sizeof(id), "o%u", g->order_ids++);
    int64_t t = g->start + between(g, -3 * BR_DAY_S, NDAYS * BR_DAY_S - 3600);
    if (chance(g, 25))
        t -= ((t % 3600) + 3600) % 3600;
    ts(g, when, t);
    int64_t kind = between(g, 0, 99);
    if (kind < 60) {
        gen_plan(g, acct, id, t, when, kind, has_capacity);
    } else if (kind < 78) {
        int64_t face = between(g, 1, 3000) * 1000000;
        int64_t days = between(g, 1, 10);
        money_scope(g, sc, sizeof(sc));
        dec(q, face, 8);
        add_row(g, BR_KIND_ORDERS, t, "%s,acc-%d,%s,coupon,%s,,%s,CNY,0,%d,", id, acct, when, sc, q,
                (int)days);
    } else {
        dec(paid, between(g, 1, 3000000000), 8);
        add_row(g, BR_KIND_ORDERS, t, "%s,acc-%d,%s,%s,,,,,%s,,", id, acct, when,
                kind < 95 ? "topup" : "payment", paid);
    }
}

/* A random instant of the four days, on the hour a third of the time. */
static int64_t usage_time(struct gen *g)
{
    int64_t t = g->start + between(g, 0, NDAYS * BR_DAY_S - 1);
    if (chance(g, 33))
        t -= t % 3600;
    return t;
}

static void gen_eas(struct gen *g, int acct, bool exclusive)
{
    static const char *const shared_specs[] = {"A10", "T4", "V100"};
    char a[48], b[48];
    int64_t t = usage_time(g);
    if (!exclusive) {
        int64_t ms = chance(g, 10) ? 0 : between(g, 1, 600000);
        const char *spec = shared_specs[between(g, 0, 2)];
        ts(g, a, t);
        ts(g, b, t + between(g, 0, 7200));
        add_row(g, BR_KIND_EAS, t, "r%u,acc-%d,svc-%d,stable_diffusion,shared,%s,%s,%s,%" PRId64,
                g->eas_ids++, acct, acct, spec, a, b, ms);
        return;
    }
    /* within its UTC day, so that a split into whole days keeps it whole */
    int64_t midnight = (t / BR_DAY_S + 1) * BR_DAY_S;
    int64_t len = chance(g, 10) ? 0 : between(g, 1, 3 * 3600);
    if (t + len > midnight)
        len = midnight - t;
    const char *spec = chance(g, 50) ? "gpu-x" : "gpu-y";
    ts(g, a, t);
    ts(g, b, t + len);
    add_row(g, BR_KIND_EAS, t, "r%u,acc-%d,svc-%d,comfyui,exclusive,%s,%s,%s,", g->eas_ids++, acct,
            acct, spec, a, b);
}

static void gen_oss(struct gen *g, int acct)
{
    static const char *const metrics[] = {"storage_bytes", "egress_bytes", "put_requests",
                                          "get_requests"};
    static const int64_t max_value[] = {150 * (int64_t)BR_GB, 4 * (int64_t)BR_GB, 4000, 40000};
    char a[48];
    int64_t t = g->start + between(g, 0, NDAYS * 24 - 1) * 3600;
    int m = (int)between(g, 0, 3);
    int64_t v = chance(g, 8) ? 0 : between(g, 1, max_value[m]);
    int bucket = (int)between(g, 0, 2);
    ts(g, a, t);
    add_row(g, BR_KIND_OSS, t, "r%u,acc-%d,bucket-%d,cn-shanghai,%s,%s,%" PRId64, g->oss_ids++,
            acct, bucket, a, metrics[m], v);
}

static void gen_usage(struct gen *g, int acct)
{
    int64_t kind = between(g, 0, 99);
    if (kind < 50)
        gen_eas(g, acct, kind >= 30);
    else
        gen_oss(g, acct);
}

static void gen_all(struct gen *g, uint64_t seed)
{
    memset(g, 0, sizeof(*g));
    g->rng = seed * 7919 + 17;
    g->start = rt_t("2026-11-28T00:00:00Z");
    g->naccts = (int)between(g, 2, MAX_ACCTS);
    for (int a = 0; a < g->naccts; a++)
        add_row(g, BR_KIND_ACCOUNTS, 0, "acc-%d,Gen %d,addr,TAX%d,a%d@example.com", a, a, a, a);
    gen_prices(g);
    for (int a = 0; a < g->naccts; a++) {
        bool has_capacity = false;
        int n = (int)between(g, 2, 12);
        for (int i = 0; i < n; i++)
            gen_order(g, a, &has_capacity);
        n = (int)between(g, 20, 60);
        for (int i = 0; i < n; i++)
            gen_usage(g, a);
    }
}

static void gen_free(struct gen *g)
{
    free(g->rows);
    memset(g, 0, sizeof(*g));
}

/* --- writing inboxes ---------------------------------------------------------- */

static const char *const HEADERS[BR_KIND_COUNT] = {
    [BR_KIND_ACCOUNTS] = "account_id,name,address,tax_id,email",
    [BR_KIND_PRICES] =
        "item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,free_per_month",
    [BR_KIND_ORDERS] = "order_id,account_id,order_time,kind,scope,plan_type,quantity,unit,paid,"
                       "valid_days,bundle_id",
    [BR_KIND_ADJUSTMENTS] =
        "adjustment_id,account_id,adjustment_time,kind,item,amount,invoice_no,reason",
    [BR_KIND_EAS] = "record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms",
    [BR_KIND_OSS] = "record_id,account_id,bucket,region,hour_start,metric,value",
};

/* Writes rows idx[0..n) (all of one kind) as dir/name. */
static void write_rows(const char *dir, const char *name, enum br_kind kind, const struct gen *g,
                       const size_t *idx, size_t n)
{
    size_t size = strlen(HEADERS[kind]) + 2;
    for (size_t i = 0; i < n; i++)
        size += strlen(g->rows[idx[i]].text) + 1;
    char *text = malloc(size);
    assert_non_null(text);
    size_t len = (size_t)snprintf(text, size, "%s\n", HEADERS[kind]);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, size - len, "%s\n", g->rows[idx[i]].text);
    rt_write(dir, name, text);
    free(text);
}

/* The rows of one kind, in generation order. */
static size_t rows_of(const struct gen *g, enum br_kind kind, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->rows[i].kind == kind)
            idx[n++] = i;
    return n;
}

static void write_canonical(const struct gen *g, const char *dir)
{
    size_t *idx = malloc((g->n + 1) * sizeof(*idx));
    assert_non_null(idx);
    for (int k = 0; k < BR_KIND_COUNT; k++) {
        char name[32];
        snprintf(name, sizeof(name), "%s-1.csv", br_kind_str((enum br_kind)k));
        write_rows(dir, name, (enum br_kind)k, g, idx, rows_of(g, (enum br_kind)k, idx));
    }
    free(idx);
}

/* Every kind's rows shuffled and dealt at random into 1-3 files whose names
 * sort in another order than they were dealt. */
static void write_shuffled(const struct gen *g, const char *dir, uint64_t seed)
{
    struct gen r = {.rng = seed ^ 0xABCDEF};
    size_t *idx = malloc((g->n + 1) * sizeof(*idx));
    size_t *part = malloc((g->n + 1) * sizeof(*part));
    assert_non_null(idx);
    assert_non_null(part);
    static const char *const suffix[3] = {"zz", "b", "a10"};
    for (int k = 0; k < BR_KIND_COUNT; k++) {
        size_t n = rows_of(g, (enum br_kind)k, idx);
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)between(&r, 0, (int64_t)i - 1);
            size_t x = idx[i - 1];
            idx[i - 1] = idx[j];
            idx[j] = x;
        }
        int nf = (int)between(&r, 1, 3);
        for (int f = 0; f < nf; f++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if ((size_t)f == i % (size_t)nf)
                    part[m++] = idx[i];
            char name[32];
            snprintf(name, sizeof(name), "%s-%s.csv", br_kind_str((enum br_kind)k), suffix[f]);
            write_rows(dir, name, (enum br_kind)k, g, part, m);
        }
    }
    free(idx);
    free(part);
}

/* The run (UTC day) a row belongs to when the input is split by day. */
static int run_of(const struct gen *g, const struct grow *row)
{
    if (row->kind == BR_KIND_ACCOUNTS || row->kind == BR_KIND_PRICES)
        return 0;
    int64_t d = br_floor_div(row->t - g->start, BR_DAY_S);
    return d < 0 ? 0 : d >= NDAYS ? NDAYS - 1 : (int)d;
}

static void write_day(const struct gen *g, const char *dir, int run)
{
    size_t *idx = malloc((g->n + 1) * sizeof(*idx));
    assert_non_null(idx);
    for (int k = 0; k < BR_KIND_COUNT; k++) {
        size_t n = 0;
        for (size_t i = 0; i < g->n; i++)
            if (g->rows[i].kind == (enum br_kind)k && run_of(g, &g->rows[i]) == run)
                idx[n++] = i;
        if (n == 0)
            continue;
        char name[32];
        snprintf(name, sizeof(name), "%s-d%d.csv", br_kind_str((enum br_kind)k), run);
        write_rows(dir, name, (enum br_kind)k, g, idx, n);
    }
    free(idx);
}

/* --- checks -------------------------------------------------------------------- */

/* Every file applied and no row rejected but for a missing price (the
 * generator writes valid rows; rating rejects those without a price, which
 * the no_price checks below look at). */
static void check_ingest(const struct rt_run *r)
{
    for (size_t i = 0; i < r->night.ing.nfiles; i++) {
        if (r->night.ing.files[i].status != BR_FILE_APPLIED)
            print_error("%s: %s %s\n", r->night.ing.files[i].name,
                        br_reason_str(r->night.ing.files[i].reason), r->night.ing.files[i].detail);
        RT_EQ(r->night.ing.files[i].status, BR_FILE_APPLIED);
    }
    size_t bad = 0;
    for (size_t i = 0; i < r->night.ing.nrejects; i++) {
        const struct br_reject *x = &r->night.ing.rejects[i];
        if (x->reason == BR_R_NO_PRICE && (size_t)x->line > 0)
            continue;
        print_error("reject %s line %llu: %.*s\n", br_reason_str(x->reason),
                    (unsigned long long)x->line, (int)x->raw_len, x->raw);
        bad++;
    }
    RT_EQ(bad, 0);
}

/* Lines: one per (account, period, day, item), conserving their gross. */
static void check_lines(const struct br_rate_result *res)
{
    rt_check_conservation(res);
    for (size_t i = 0; i < res->nlines; i++) {
        const struct br_line *l = &res->lines[i];
        assert_true(l->pieces > 0);
        assert_true(l->price_min_e10 <= l->price_max_e10);
        assert_true(l->free_units >= 0);
        RT_EQ(l->own_period, br_period_of_day(l->day));
        RT_EQ(l->period, l->own_period); /* nothing is closed */
        for (size_t j = i + 1; j < res->nlines; j++) {
            const struct br_line *m = &res->lines[j];
            assert_false(m->account == l->account && m->day == l->day && m->item == l->item);
        }
    }
}

/* Draws: from an order of the account, of the right kind, covering the item,
 * on a day within the order's validity; per line and source, the draws add
 * up to the line's allocation. */
static void check_draws(const struct rt_run *r, const struct br_rate_result *res)
{
    struct br_calendar cal = rt_cal();
    for (size_t i = 0; i < res->ndraws; i++) {
        const struct br_draw *d = &res->draws[i];
        assert_true(d->units >= 0);
        assert_true(d->value_e8 >= 0);
        assert_true(d->units > 0 || d->value_e8 > 0);
        assert_true(d->recognised_e8 >= 0);
        bool sourced = d->source == BR_SRC_PLAN || d->source == BR_SRC_COUPON;
        if (!sourced) {
            RT_EQ(d->order, BR_NO_ID);
            if (d->source == BR_SRC_BALANCE)
                RT_EQ(d->units, d->value_e8);
            continue;
        }
        assert_true(d->order < r->night.book.norders);
        const struct br_order *o = &r->night.book.orders[d->order];
        RT_EQ(o->kind, d->source == BR_SRC_PLAN ? BR_ORDER_PLAN : BR_ORDER_COUPON);
        RT_EQ(o->account, d->account);
        assert_true((o->scope >> d->item) & 1u);
        assert_true(d->day >= br_local_day(&cal, o->valid_from));
        assert_true(d->day <= br_local_day(&cal, o->valid_to - 1));
        if (o->kind == BR_ORDER_COUPON || o->plan_type == BR_PLAN_AMOUNT)
            RT_EQ(d->units, d->value_e8);
        if (o->plan_type != BR_PLAN_AMOUNT && o->plan_type != BR_PLAN_POOL)
            RT_EQ(d->recognised_e8, 0);
        if (d->item == BR_ITEM_STORAGE && o->kind == BR_ORDER_PLAN)
            assert_true(o->plan_type == BR_PLAN_AMOUNT || o->plan_type == BR_PLAN_CAPACITY);
    }
    for (size_t i = 0; i < res->nlines; i++) {
        const struct br_line *l = &res->lines[i];
        for (int s = 0; s < BR_SRC_COUNT; s++) {
            struct rt_dsum ds =
                rt_draws(res, l->account, (int)l->item, s, RT_ANY_ORDER, l->own_period, l->day);
            RT_EQ(ds.value, l->alloc_e8[s]);
            if (s == BR_SRC_FREE)
                RT_EQ(ds.units, l->free_units);
        }
    }
}

/* No source below zero, recognition and expiry as the rules say, at as_of. */
static void check_state(const struct rt_run *r, int64_t as_of)
{
    const struct br_book *b = &r->night.book;
    for (size_t i = 0; i < b->norders; i++) {
        const struct br_order *o = &b->orders[i];
        const struct br_order_state *s = &r->night.state.orders[i];
        assert_true(s->consumed >= 0);
        if (o->kind == BR_ORDER_COUPON)
            assert_true(s->consumed <= o->face);
        if (o->kind != BR_ORDER_PLAN)
            continue;
        assert_true(s->recognised_e8 >= 0);
        assert_true(s->recognised_e8 <= o->paid_e8);
        bool due = o->valid_to <= as_of;
        RT_EQ(s->expired, due);
        RT_EQ(s->breakage_e8, due ? o->paid_e8 - s->recognised_e8 : 0);
        switch (o->plan_type) {
        case BR_PLAN_AMOUNT:
        case BR_PLAN_POOL:
            assert_true(s->consumed <= o->face);
            RT_EQ(s->recognised_e8, br_muldiv_floor(o->paid_e8, s->consumed, o->face));
            break;
        default: {
            int64_t dur = o->valid_to - o->valid_from;
            int64_t el = as_of - o->valid_from;
            el = el < 0 ? 0 : el > dur ? dur : el;
            RT_EQ(s->recognised_e8, br_muldiv_floor(o->paid_e8, el, dur));
            if (due)
                RT_EQ(s->recognised_e8, o->paid_e8);
            break;
        }
        }
    }
    const struct br_map *m = &r->night.state.buckets;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->e[i].used)
            continue;
        assert_true(m->e[i].a < b->norders);
        const struct br_order *o = &b->orders[m->e[i].a];
        assert_true(o->plan_type == BR_PLAN_MONTHLY || o->plan_type == BR_PLAN_CAPACITY);
        assert_true(m->e[i].value >= 0);
        assert_true(m->e[i].value <= o->face);
    }
    int64_t max_free[BR_ITEM_COUNT] = {0};
    for (size_t i = 0; i < b->nprices; i++)
        if (b->prices[i].free_units > max_free[b->prices[i].item])
            max_free[b->prices[i].item] = b->prices[i].free_units;
    m = &r->night.state.allowance;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->e[i].used)
            continue;
        assert_true(m->e[i].value >= 0);
        assert_true(m->e[i].value <= max_free[m->e[i].a & 0xFF]);
    }
    for (size_t a = 0; a < br_book_naccounts(b); a++)
        assert_true(r->night.state.balance_e8[a] >= 0);
}

/* The closing state is what the draws (of every run, normalised in n) say:
 * consumption, amount/pool recognition, straight lines and expiries, the
 * balance (top-ups less balance draws), monthly buckets and allowances. */
static void check_totals(const struct rt_run *r, const struct rt_norm *n)
{
    const struct br_book *b = &r->night.book;
    for (size_t i = 0; i < b->norders; i++) {
        const struct br_order *o = &b->orders[i];
        const struct br_order_state *s = &r->night.state.orders[i];
        int64_t units = 0, value = 0, rec = 0, straight = 0, ends = 0, breakage = 0;
        for (size_t j = 0; j < n->ndraws; j++)
            if (strcmp(n->draws[j].order, o->order_id) == 0) {
                units += n->draws[j].units;
                value += n->draws[j].value;
                rec += n->draws[j].rec;
            }
        for (size_t j = 0; j < n->nrecogs; j++)
            if (strcmp(n->recogs[j].order, o->order_id) == 0) {
                if (n->recogs[j].kind == BR_RECOG_STRAIGHT)
                    straight += n->recogs[j].amount;
                else
                    ends++, breakage += n->recogs[j].amount;
            }
        if (o->kind == BR_ORDER_COUPON)
            RT_EQ(s->consumed, value);
        if (o->kind == BR_ORDER_TOPUP || o->kind == BR_ORDER_PAYMENT) {
            RT_EQ(units, 0);
            RT_EQ(value, 0);
        }
        if (o->kind != BR_ORDER_PLAN)
            continue;
        RT_EQ(s->consumed, o->plan_type == BR_PLAN_AMOUNT ? value : units);
        bool by_draws = o->plan_type == BR_PLAN_AMOUNT || o->plan_type == BR_PLAN_POOL;
        RT_EQ(s->recognised_e8, by_draws ? rec : straight);
        RT_EQ(by_draws ? straight : rec, 0);
        RT_EQ(ends, s->expired ? 1 : 0);
        RT_EQ(breakage, s->breakage_e8);
        if (o->plan_type == BR_PLAN_MONTHLY)
            for (size_t j = 0; j < n->ndraws; j++) {
                const struct rt_ndraw *d = &n->draws[j];
                if (strcmp(d->order, o->order_id) != 0)
                    continue;
                int64_t month = 0;
                for (size_t k = 0; k < n->ndraws; k++)
                    if (strcmp(n->draws[k].order, o->order_id) == 0 && n->draws[k].own == d->own)
                        month += n->draws[k].units;
                RT_EQ(rt_map_value(&r->night.state.buckets, i, (uint64_t)d->own), month);
            }
    }
    for (uint32_t a = 0; a < br_book_naccounts(b); a++) {
        const char *id = br_book_account_id(b, a);
        int64_t bal = 0;
        for (size_t i = 0; i < b->norders; i++)
            if (b->orders[i].account == a && b->orders[i].kind == BR_ORDER_TOPUP)
                bal += b->orders[i].paid_e8;
        for (size_t j = 0; j < n->ndraws; j++) {
            const struct rt_ndraw *d = &n->draws[j];
            if (strcmp(d->acct, id) != 0)
                continue;
            if (d->source == BR_SRC_BALANCE)
                bal -= d->value;
            if (d->source == BR_SRC_FREE) {
                int64_t used = 0;
                for (size_t k = 0; k < n->ndraws; k++) {
                    const struct rt_ndraw *e = &n->draws[k];
                    if (e->source == BR_SRC_FREE && e->item == d->item && e->own == d->own &&
                        strcmp(e->acct, id) == 0)
                        used += e->units;
                }
                RT_EQ(rt_allowance_used(r, a, (enum br_item)d->item, (br_period)d->own), used);
            }
        }
        RT_EQ(r->night.state.balance_e8[a], bal);
    }
}

/* Pieces and prices re-derived from the rules: pieces split at clock hours
 * (exclusive), each priced by the direct reading of section 3 and rounded
 * once; lines hold these sums, and the rows with an unpriced piece are
 * exactly the no_price rows. */
struct expect {
    uint32_t account;
    int64_t day;
    enum br_item item;
    uint64_t pieces, qty;
    int64_t gross;
};

#define MAX_PIECES 8

static size_t row_pieces(const struct br_usage *u, size_t row, int64_t *t, uint64_t *qty)
{
    int64_t t0 = br_usage_t(u, row);
    if (br_usage_item(u, row) != BR_ITEM_COMPUTE_EXCLUSIVE) {
        t[0] = t0;
        qty[0] = u->qty[row];
        return 1;
    }
    int64_t end = t0 + (int64_t)u->qty[row];
    size_t n = 0;
    for (int64_t s = t0; s < end; n++) {
        int64_t next = (br_floor_div(s, 3600) + 1) * 3600;
        if (next > end)
            next = end;
        assert_true(n < MAX_PIECES);
        t[n] = s;
        qty[n] = (uint64_t)(next - s);
        s = next;
    }
    return n;
}

static void expect_add(struct expect *ex, size_t *nex, uint32_t account, int64_t day,
                       enum br_item item, uint64_t qty, int64_t gross)
{
    size_t k = 0;
    while (k < *nex && !(ex[k].account == account && ex[k].day == day && ex[k].item == item))
        k++;
    if (k == *nex)
        ex[(*nex)++] = (struct expect){account, day, item, 0, 0, 0};
    ex[k].pieces++;
    ex[k].qty += qty;
    ex[k].gross += gross;
}

static void check_pricing(const struct rt_run *r, const struct br_rate_result *res)
{
    const struct br_usage *u = &r->night.ing.usage;
    struct br_calendar cal = rt_cal();
    struct expect *ex = calloc(u->n * MAX_PIECES + 1, sizeof(*ex));
    assert_non_null(ex);
    size_t nex = 0, nbad = 0;
    for (size_t row = 0; row < u->n; row++) {
        enum br_item item = br_usage_item(u, row);
        uint32_t spec = u->keys[u->key[row]].spec;
        int64_t t[MAX_PIECES];
        uint64_t qty[MAX_PIECES];
        uint32_t pr[MAX_PIECES];
        size_t np = row_pieces(u, row, t, qty);
        bool bad = false;
        for (size_t i = 0; i < np; i++) {
            pr[i] = rt_naive_price(&r->night.book, item, spec, t[i]);
            bad = bad || pr[i] == BR_NO_ID;
        }
        if (bad) {
            assert_true(nbad < res->nno_price);
            RT_EQ(res->no_price_rows[nbad], row);
            nbad++;
            continue;
        }
        for (size_t i = 0; i < np; i++) {
            __extension__ unsigned __int128 num =
                (unsigned __int128)qty[i] * (uint64_t)r->night.book.prices[pr[i]].price_e10;
            __extension__ unsigned __int128 den =
                (unsigned __int128)br_items[item].price_divisor * 100u;
            expect_add(ex, &nex, u->account[row], br_local_day(&cal, t[i]), item, qty[i],
                       (int64_t)((num + den / 2) / den));
        }
    }
    RT_EQ(nbad, res->nno_price);
    RT_EQ(nex, res->nlines);
    for (size_t k = 0; k < nex; k++) {
        struct rt_sum s = rt_lines(res, ex[k].account, (int)ex[k].item, RT_ANY_PERIOD, ex[k].day);
        RT_EQ(s.nlines, 1);
        RT_EQ(s.pieces, ex[k].pieces);
        RT_EQ(s.qty, ex[k].qty);
        RT_EQ(s.gross, ex[k].gross);
    }
    free(ex);
}

/* --- the record ids of the rows rejected no_price ------------------------------ */

struct ids {
    char (*s)[144];
    size_t n;
};

static void ids_add(struct ids *x, const struct rt_run *r)
{
    const struct br_usage *u = &r->night.ing.usage;
    x->s = realloc(x->s, (x->n + r->night.rated.nno_price + 1) * sizeof(*x->s));
    assert_non_null(x->s);
    for (size_t i = 0; i < r->night.rated.nno_price; i++) {
        size_t row = r->night.rated.no_price_rows[i], len;
        char buf[BR_RID_MAX];
        const char *id = br_usage_rid(u, row, buf, &len);
        snprintf(x->s[x->n++], sizeof(x->s[0]), "%d:%.*s", br_item_source(br_usage_item(u, row)),
                 (int)len, id);
    }
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void ids_check_equal(struct ids *x, struct ids *y)
{
    qsort(x->s, x->n, sizeof(x->s[0]), id_cmp);
    qsort(y->s, y->n, sizeof(y->s[0]), id_cmp);
    RT_EQ(x->n, y->n);
    for (size_t i = 0; i < x->n; i++)
        assert_string_equal(x->s[i], y->s[i]);
}

static void ids_free(struct ids *x)
{
    free(x->s);
    memset(x, 0, sizeof(*x));
}

/* --- one seed ------------------------------------------------------------------- */

/* The seed being checked (reported by the teardown when a check fails) and
 * the folders to remove. */
static int g_seed = -1;
static char g_dirs[NDAYS + 2][64];
static int g_ndirs;

static const char *new_dir(void)
{
    assert_true(g_ndirs < NDAYS + 2);
    rt_tmpdir(g_dirs[g_ndirs], sizeof(g_dirs[0]));
    return g_dirs[g_ndirs++];
}

static void drop_dirs(void)
{
    for (int i = 0; i < g_ndirs; i++)
        rt_rmdir(g_dirs[i]);
    g_ndirs = 0;
}

static int teardown(void **unused)
{
    (void)unused;
    if (g_seed >= 0)
        print_error("failed at seed %d\n", g_seed);
    g_seed = -1;
    drop_dirs();
    return 0;
}

/* A generated inbox rated at once from its canonical files, checked. */
struct seed {
    struct gen g;
    int64_t end; /* as-of: the end of the last day */
    const char *dir;
    struct rt_run r;
    struct rt_norm n; /* sorted */
    struct ids no_price;
};

static void seed_open(struct seed *s, int seed)
{
    g_seed = seed;
    memset(s, 0, sizeof(*s));
    gen_all(&s->g, (uint64_t)seed);
    s->end = s->g.start + NDAYS * BR_DAY_S;
    s->dir = new_dir();
    write_canonical(&s->g, s->dir);
    rt_open(&s->r);
    rt_run_dir(&s->r, s->dir, s->end);
    check_ingest(&s->r);
    rt_norm_add(&s->n, &s->r.night.book, &s->r.night.rated);
    rt_norm_sort(&s->n);
    ids_add(&s->no_price, &s->r);
}

static void seed_close(struct seed *s)
{
    rt_close(&s->r);
    rt_norm_free(&s->n);
    ids_free(&s->no_price);
    gen_free(&s->g);
    drop_dirs();
    g_seed = -1;
}

/* With RT_STATS set: what a seed's data exercise. */
static void print_stats(const struct seed *s, int seed)
{
    if (getenv("RT_STATS") == NULL)
        return;
    const struct br_rate_result *res = &s->r.night.rated;
    size_t by[BR_SRC_COUNT] = {0}, kinds[5] = {0};
    for (size_t i = 0; i < res->ndraws; i++) {
        by[res->draws[i].source]++;
        if (res->draws[i].order != BR_NO_ID)
            kinds[s->r.night.book.orders[res->draws[i].order].plan_type]++;
    }
    print_message("seed %d: %zu accounts, %zu orders, %zu rows; draws: free %zu plan %zu coupon "
                  "%zu balance %zu outstanding %zu; of coupons %zu amount %zu pool %zu monthly "
                  "%zu capacity %zu\n",
                  seed, br_book_naccounts(&s->r.night.book), s->r.night.book.norders,
                  s->r.night.ing.usage.n, by[0], by[1], by[2], by[3], by[4], kinds[0], kinds[1],
                  kinds[2], kinds[3], kinds[4]);
}

/* Conservation, sources, validity and scope of draws, state, prices. */
static void test_invariants(void **unused)
{
    (void)unused;
    size_t lines = 0, draws = 0, bad = 0, expired = 0;
    for (int seed = 0; seed < NSEEDS; seed++) {
        struct seed s;
        seed_open(&s, seed);
        check_lines(&s.r.night.rated);
        check_draws(&s.r, &s.r.night.rated);
        check_state(&s.r, s.end);
        check_totals(&s.r, &s.n);
        check_pricing(&s.r, &s.r.night.rated);
        print_stats(&s, seed);
        lines += s.r.night.rated.nlines;
        draws += s.r.night.rated.ndraws;
        bad += s.r.night.rated.nno_price;
        for (size_t i = 0; i < s.r.night.book.norders; i++)
            expired += s.r.night.state.orders[i].expired;
        seed_close(&s);
    }
    if (getenv("RT_STATS") != NULL)
        print_message("lines %zu draws %zu no_price %zu expired %zu\n", lines, draws, bad, expired);
    /* the data exercise what they should */
    assert_true(lines > 20 * NSEEDS);
    assert_true(draws > 20 * NSEEDS);
    assert_true(bad > 0);
    assert_true(expired > 0);
}

/* Rated twice, and with two threads: byte-for-byte the same. */
static void test_deterministic(void **unused)
{
    (void)unused;
    for (int seed = 0; seed < NSEEDS; seed++) {
        struct seed s;
        seed_open(&s, seed);
        struct rt_run r2;
        rt_open(&r2);
        r2.threads = 2;
        rt_run_dir(&r2, s.dir, s.end);
        struct rt_norm n2;
        memset(&n2, 0, sizeof(n2));
        rt_norm_add(&n2, &r2.night.book, &r2.night.rated);
        rt_norm_sort(&n2);
        assert_true(rt_norm_equal(&s.n, &n2));
        assert_true(rt_state_equal(&s.r, &r2));
        /* the same usage again from a fresh state, one thread */
        rt_norm_free(&n2);
        br_rate_state_free(&r2.night.state);
        r2.threads = 1;
        rt_rate(&r2, s.end);
        rt_norm_add(&n2, &r2.night.book, &r2.night.rated);
        rt_norm_sort(&n2);
        assert_true(rt_norm_equal(&s.n, &n2));
        assert_true(rt_state_equal(&s.r, &r2));
        RT_EQ(r2.night.rated.pieces, s.r.night.rated.pieces);
        RT_EQ(r2.night.rated.gross_e8, s.r.night.rated.gross_e8);
        rt_norm_free(&n2);
        rt_close(&r2);
        seed_close(&s);
    }
}

/* Rows shuffled within their kind and dealt into files named in another
 * order: the same result. */
static void test_file_order(void **unused)
{
    (void)unused;
    for (int seed = 0; seed < NSEEDS; seed++) {
        struct seed s;
        seed_open(&s, seed);
        const char *dir = new_dir();
        write_shuffled(&s.g, dir, (uint64_t)seed);
        struct rt_run r2;
        rt_open(&r2);
        rt_run_dir(&r2, dir, s.end);
        check_ingest(&r2);
        struct rt_norm n2;
        memset(&n2, 0, sizeof(n2));
        rt_norm_add(&n2, &r2.night.book, &r2.night.rated);
        rt_norm_sort(&n2);
        assert_true(rt_norm_equal(&s.n, &n2));
        assert_true(rt_state_equal(&s.r, &r2));
        struct ids no_price;
        memset(&no_price, 0, sizeof(no_price));
        ids_add(&no_price, &r2);
        ids_check_equal(&s.no_price, &no_price);
        ids_free(&no_price);
        rt_norm_free(&n2);
        rt_close(&r2);
        seed_close(&s);
    }
}

/* One run per UTC day, the state carried (as-of the end of each day), gives
 * per (account, day, item) and per draw what one run gives, and the same
 * closing state. */
static void test_day_split(void **unused)
{
    (void)unused;
    for (int seed = 0; seed < NSEEDS; seed++) {
        struct seed s;
        seed_open(&s, seed);
        struct rt_run r2;
        struct rt_norm n2;
        struct ids no_price;
        memset(&n2, 0, sizeof(n2));
        memset(&no_price, 0, sizeof(no_price));
        rt_open(&r2);
        for (int k = 0; k < NDAYS; k++) {
            const char *dir = new_dir();
            write_day(&s.g, dir, k);
            int64_t as_of = s.g.start + (k + 1) * (int64_t)BR_DAY_S;
            rt_run_dir(&r2, dir, as_of);
            check_ingest(&r2);
            check_lines(&r2.night.rated);
            check_draws(&r2, &r2.night.rated);
            check_state(&r2, as_of);
            check_pricing(&r2, &r2.night.rated);
            rt_norm_add(&n2, &r2.night.book, &r2.night.rated);
            ids_add(&no_price, &r2);
        }
        rt_norm_merge(&n2);
        check_totals(&r2, &n2);
        struct rt_norm n1;
        memset(&n1, 0, sizeof(n1));
        rt_norm_add(&n1, &s.r.night.book, &s.r.night.rated);
        rt_norm_merge(&n1);
        assert_true(rt_norm_equal(&n1, &n2));
        assert_true(rt_state_equal(&s.r, &r2));
        ids_check_equal(&s.no_price, &no_price);
        ids_free(&no_price);
        rt_norm_free(&n1);
        rt_norm_free(&n2);
        rt_close(&r2);
        seed_close(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_invariants, teardown),
        cmocka_unit_test_teardown(test_deterministic, teardown),
        cmocka_unit_test_teardown(test_file_order, teardown),
        cmocka_unit_test_teardown(test_day_split, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
