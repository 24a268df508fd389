/* Helpers shared by the rating tests (rate_test, pricer_test,
 * property_test): inboxes in temporary folders, the call sequence of
 * the database-free night of lib/batch/night.h, and sums over a result.
 * Static inline only: every test file includes it once. */
#ifndef BR_RATE_TESTUTIL_H
#define BR_RATE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/book.h"
#include "core/btime.h"
#include "core/map.h"
#include "core/money.h"
#include "ingest/ingest.h"
#include "batch/night.h"
#include "rate/pricer.h"
#include "rate/piece.h"
#include "rate/rate.h"
#include "rate/waterfall.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RT_OFFSET_S 28800 /* the default billing calendar, UTC+08:00 */
#define RT_MAX_ROWS ((size_t)1 << 20)
#define RT_MAX_FILES 64

/* Wildcards for the sums below. */
#define RT_ANY_ACCT UINT32_MAX
#define RT_ANY_ITEM (-1)
#define RT_ANY_PERIOD INT32_MIN
#define RT_ANY_DAY INT64_MIN
#define RT_ANY_ORDER (UINT32_MAX - 1) /* BR_NO_ID (free, balance, outstanding) matches itself */
#define RT_ANY_SOURCE (-1)
#define RT_ANY_KIND (-1)

/* Equality of two integers, printed signed when it fails. */
#define RT_EQ(actual, expected)                                                                    \
    rt_eq((int64_t)(actual), (int64_t)(expected), #actual, __FILE__, __LINE__)

static inline void rt_eq(int64_t actual, int64_t expected, const char *what, const char *file,
                         int line)
{
    if (actual == expected)
        return;
    print_error("%s = %lld, expected %lld\n", what, (long long)actual, (long long)expected);
    _fail(file, line);
}

static inline struct br_calendar rt_cal(void)
{
    return (struct br_calendar){RT_OFFSET_S};
}

/* --- times ------------------------------------------------------------------ */

static inline int64_t rt_t(const char *rfc3339)
{
    int64_t t = 0;
    bool ok = br_time_parse(rfc3339, strlen(rfc3339), &t);
    assert_true(ok);
    return t;
}

static inline br_period rt_period(const char *yyyy_mm)
{
    br_period p = 0;
    bool ok = br_period_parse(yyyy_mm, strlen(yyyy_mm), &p);
    assert_true(ok);
    return p;
}

/* The local day number of a calendar date. */
static inline int64_t rt_day(int64_t y, unsigned m, unsigned d)
{
    return br_days_from_civil(y, m, d);
}

/* --- temporary inboxes ------------------------------------------------------ */

/* Creates a fresh folder; out >= 64 bytes. */
static inline void rt_tmpdir(char *out, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, size, "%s/br_rate_test.XXXXXX", base != NULL && base[0] ? base : "/tmp");
    char *made = mkdtemp(out);
    assert_non_null(made);
}

static inline void rt_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t n = strlen(text);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Removes the files of a folder made by rt_tmpdir, then the folder. */
static inline void rt_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* The inbox of a worked example (BILLRUN_SOURCE_DIR/tests/examples/<name>/inbox);
 * skips the test when the source folder is not known. */
static inline void rt_spec_inbox(const char *name, char *out, size_t size)
{
    const char *src = getenv("BILLRUN_SOURCE_DIR");
    if (src == NULL || src[0] == '\0') {
        print_message("BILLRUN_SOURCE_DIR is not set: skipping %s\n", name);
        skip();
    }
    snprintf(out, size, "%s/tests/examples/%s/inbox", src, name);
}

/* Skips the test now (before it makes anything) when the spec is not known. */
static inline void rt_require_spec(void)
{
    char dir[512];
    rt_spec_inbox("", dir, sizeof(dir));
}

/* --- the run -------------------------------------------------------------- */

/* One book and rating state, carried over any number of nights: the
 * database-free night of lib/batch/night.h, as `billrun run` drives it. */
struct rt_run {
    struct br_night night;
    int threads;
};

static inline void rt_open(struct rt_run *r)
{
    memset(r, 0, sizeof(*r));
    br_night_init(&r->night, rt_cal(), 1);
    r->threads = 1;
}

static inline void rt_close(struct rt_run *r)
{
    br_night_free(&r->night);
    memset(r, 0, sizeof(*r));
}

/* Starts the next night: the orders of earlier nights are no longer new
 * (their top-ups were applied), as the database would load them. */
static inline void rt_begin(struct rt_run *r)
{
    br_night_next(&r->night);
}

/* Reads one file of the current night. */
static inline void rt_read_file(struct rt_run *r, const char *dir, const char *name,
                                enum br_kind kind)
{
    uint32_t idx;
    struct br_error err = {0};
    assert_int_equal(br_ingest_add_file(&r->night.ing, dir, name, kind, &idx), BR_OK);
    enum br_status st = br_night_read(&r->night, idx, &err);
    if (st != BR_OK)
        print_message("reading %s/%s: %s\n", dir, name, err.msg);
    assert_int_equal(st, BR_OK);
}

/* Starts a night and reads every inbox file of dir in application order. */
static inline void rt_read_dir(struct rt_run *r, const char *dir)
{
    struct br_error err = {0};
    rt_begin(r);
    enum br_status st = br_night_read_inbox(&r->night, dir, &err);
    if (st != BR_OK)
        print_message("reading %s: %s\n", dir, err.msg);
    assert_int_equal(st, BR_OK);
}

/* Rates the current night's usage into r->night.rated. */
static inline void rt_rate(struct rt_run *r, int64_t as_of)
{
    struct br_error err = {0};
    r->night.threads = r->threads;
    enum br_status st = br_night_prepare(&r->night, &err);
    if (st == BR_OK)
        st = br_night_rate(&r->night, as_of, &err);
    if (st != BR_OK)
        print_message("rating: %s\n", err.msg);
    assert_int_equal(st, BR_OK);
}

static inline void rt_run_dir(struct rt_run *r, const char *dir, int64_t as_of)
{
    rt_read_dir(r, dir);
    rt_rate(r, as_of);
}

/* Runs a worked example's inbox. */
static inline void rt_run_example(struct rt_run *r, const char *name, int64_t as_of)
{
    char dir[512];
    rt_spec_inbox(name, dir, sizeof(dir));
    rt_run_dir(r, dir, as_of);
}

/* --- look-ups --------------------------------------------------------------- */

static inline uint32_t rt_acct(const struct rt_run *r, const char *id)
{
    uint32_t a = BR_NO_ID;
    bool found = br_book_account_find(&r->night.book, id, strlen(id), &a);
    if (!found)
        print_message("no account %s\n", id);
    assert_true(found);
    return a;
}

static inline uint32_t rt_ord(const struct rt_run *r, const char *id)
{
    uint32_t o = BR_NO_ID;
    bool found = br_book_order_find(&r->night.book, id, strlen(id), &o);
    if (!found)
        print_message("no order %s\n", id);
    assert_true(found);
    return o;
}

static inline const struct br_order_state *rt_ost(const struct rt_run *r, const char *id)
{
    uint32_t o = rt_ord(r, id);
    assert_true(o < r->night.state.norders);
    return &r->night.state.orders[o];
}

/* The usage row of the current run with record id rid from source (0 EAS,
 * 1 OSS); fails the test when there is none. */
static inline size_t rt_row(const struct rt_run *r, int source, const char *rid)
{
    const struct br_usage *u = &r->night.ing.usage;
    for (size_t i = 0; i < u->n; i++) {
        size_t len;
        char buf[BR_RID_MAX];
        const char *p = br_usage_rid(u, i, buf, &len);
        if (br_item_source(br_usage_item(u, i)) == source && len == strlen(rid) &&
            memcmp(p, rid, len) == 0)
            return i;
    }
    print_message("no usage row %s\n", rid);
    fail();
    return 0;
}

/* The unit price (e10) of piece `sub` of a row, or -1 when it has none. */
static inline int64_t rt_piece_price(const struct rt_run *r, int source, const char *rid,
                                     uint32_t sub)
{
    const struct br_usage *u = &r->night.ing.usage;
    size_t row = rt_row(r, source, rid);
    int64_t t0 = br_usage_t(u, row);
    assert_true(sub < br_piece_count(u, row, t0));
    int64_t t;
    uint64_t qty;
    br_piece_at(u, row, sub, t0, &t, &qty);
    uint32_t hint = UINT32_MAX;
    uint32_t pr = br_pricer_find(&r->night.pricer, u->key[row], t, &hint);
    return pr == BR_NO_ID ? -1 : r->night.book.prices[pr].price_e10;
}

/* --- sums over a result ------------------------------------------------------ */

struct rt_sum {
    size_t nlines;
    uint64_t pieces, qty;
    int64_t gross;
    int64_t alloc[BR_SRC_COUNT];
    int64_t free_units;
};

/* Sum of the lines matching (account, item, own period, day); RT_ANY_* for any. */
static inline struct rt_sum rt_lines(const struct br_rate_result *res, uint32_t acct, int item,
                                     br_period own, int64_t day)
{
    struct rt_sum s;
    memset(&s, 0, sizeof(s));
    for (size_t i = 0; i < res->nlines; i++) {
        const struct br_line *l = &res->lines[i];
        if ((acct != RT_ANY_ACCT && l->account != acct) ||
            (item != RT_ANY_ITEM && (int)l->item != item) ||
            (own != RT_ANY_PERIOD && l->own_period != own) || (day != RT_ANY_DAY && l->day != day))
            continue;
        s.nlines++;
        s.pieces += l->pieces;
        s.qty += l->qty;
        s.gross += l->gross_e8;
        for (int k = 0; k < BR_SRC_COUNT; k++)
            s.alloc[k] += l->alloc_e8[k];
        s.free_units += l->free_units;
    }
    return s;
}

struct rt_dsum {
    size_t n;
    int64_t units, value, recognised;
};

/* Sum of the draws matching (account, item, source, order, own period, day). */
static inline struct rt_dsum rt_draws(const struct br_rate_result *res, uint32_t acct, int item,
                                      int source, uint32_t order, br_period own, int64_t day)
{
    struct rt_dsum s;
    memset(&s, 0, sizeof(s));
    for (size_t i = 0; i < res->ndraws; i++) {
        const struct br_draw *d = &res->draws[i];
        if ((acct != RT_ANY_ACCT && d->account != acct) ||
            (item != RT_ANY_ITEM && (int)d->item != item) ||
            (source != RT_ANY_SOURCE && (int)d->source != source) ||
            (order != RT_ANY_ORDER && d->order != order) ||
            (own != RT_ANY_PERIOD && d->own_period != own) || (day != RT_ANY_DAY && d->day != day))
            continue;
        s.n++;
        s.units += d->units;
        s.value += d->value_e8;
        s.recognised += d->recognised_e8;
    }
    return s;
}

struct rt_rsum {
    size_t n;
    int64_t amount;
};

/* Sum of the recognition records matching (order, kind, own period). */
static inline struct rt_rsum rt_recogs(const struct br_rate_result *res, uint32_t order, int kind,
                                       br_period own)
{
    struct rt_rsum s = {0, 0};
    for (size_t i = 0; i < res->nrecogs; i++) {
        const struct br_recog *g = &res->recogs[i];
        if ((order != RT_ANY_ORDER && g->order != order) ||
            (kind != RT_ANY_KIND && (int)g->kind != kind) ||
            (own != RT_ANY_PERIOD && g->own_period != own))
            continue;
        s.n++;
        s.amount += g->amount_e8;
    }
    return s;
}

/* A value of the closing state's maps, 0 when absent. */
static inline int64_t rt_map_value(const struct br_map *m, uint64_t a, uint64_t b)
{
    const struct br_map_entry *e = br_map_get(m, a, b);
    return e != NULL ? e->value : 0;
}

/* Units of the free allowance used by (account, item) in period p. */
static inline int64_t rt_allowance_used(const struct rt_run *r, uint32_t acct, enum br_item item,
                                        br_period p)
{
    return rt_map_value(&r->night.state.allowance, ((uint64_t)acct << 8) | (uint64_t)item,
                        (uint64_t)(int64_t)p);
}

/* Every line conserves its gross: gross = free + plan + coupon + balance +
 * outstanding, and no part is negative. */
static inline void rt_check_conservation(const struct br_rate_result *res)
{
    for (size_t i = 0; i < res->nlines; i++) {
        const struct br_line *l = &res->lines[i];
        int64_t sum = 0;
        for (int k = 0; k < BR_SRC_COUNT; k++) {
            assert_true(l->alloc_e8[k] >= 0);
            sum += l->alloc_e8[k];
        }
        assert_int_equal(sum, l->gross_e8);
    }
}

/* --- a direct reading of rules.md section 3 ---------------------------------- */

/* The price row (index into book->prices) for a piece of (item, key spec) at
 * t, or BR_NO_ID: rows of the exact spec or "*" whose dates contain t (an
 * open row until the next later open row of its own (item, spec)) and whose
 * window contains the local time of day; exact dated > exact open > "*"
 * dated > "*" open. */
static inline uint32_t rt_naive_price(const struct br_book *b, enum br_item item, uint32_t spec,
                                      int64_t t)
{
    struct br_calendar cal = rt_cal();
    int32_t tod = br_local_tod(&cal, t);
    uint32_t best = BR_NO_ID;
    int best_rank = 99;
    for (size_t i = 0; i < b->nprices; i++) {
        const struct br_price *p = &b->prices[i];
        if (p->item != item || (p->spec != spec && p->spec != BR_SPEC_ANY))
            continue;
        bool open = p->to == BR_T_OPEN;
        int64_t end = p->to;
        for (size_t j = 0; open && j < b->nprices; j++) {
            const struct br_price *q = &b->prices[j];
            if (q->item == p->item && q->spec == p->spec && q->to == BR_T_OPEN &&
                q->from > p->from && q->from < end)
                end = q->from;
        }
        if (t < p->from || t >= end)
            continue;
        bool in =
            p->tod_from < 0 || (p->tod_from < p->tod_to ? tod >= p->tod_from && tod < p->tod_to
                                                        : tod >= p->tod_from || tod < p->tod_to);
        if (!in)
            continue;
        int rank = (p->spec == BR_SPEC_ANY ? 2 : 0) + (open ? 1 : 0);
        if (rank < best_rank) {
            best_rank = rank;
            best = (uint32_t)i;
        }
    }
    return best;
}

/* --- normalised results ------------------------------------------------------ */

/* Results with account and order ids spelled out (so books built from files
 * in another order compare), no padding (so arrays compare with memcmp). */
struct rt_nline {
    char acct[72];
    int64_t period, own, day, item; /* the key */
    int64_t pieces, qty, gross, alloc[BR_SRC_COUNT], free_units, pmin, pmax;
};

struct rt_ndraw {
    char acct[72];
    char order[136];
    int64_t period, own, day, item, source; /* the key ends here */
    int64_t units, value, rec;
};

struct rt_nrecog {
    char order[136];
    int64_t period, own, kind, at; /* the key ends here */
    int64_t amount;
};

struct rt_norm {
    struct rt_nline *lines;
    size_t nlines;
    struct rt_ndraw *draws;
    size_t ndraws;
    struct rt_nrecog *recogs;
    size_t nrecogs;
};

static inline void rt_norm_free(struct rt_norm *n)
{
    free(n->lines);
    free(n->draws);
    free(n->recogs);
    memset(n, 0, sizeof(*n));
}

static inline void rt_norm_order_id(const struct br_book *b, uint32_t order, char *out, size_t size)
{
    memset(out, 0, size);
    if (order == BR_NO_ID)
        return;
    assert_true(order < b->norders);
    snprintf(out, size, "%s", b->orders[order].order_id);
}

/* Appends a result (of a run over book b) to n. */
static inline void rt_norm_add(struct rt_norm *n, const struct br_book *b,
                               const struct br_rate_result *res)
{
    n->lines = realloc(n->lines, (n->nlines + res->nlines + 1) * sizeof(*n->lines));
    n->draws = realloc(n->draws, (n->ndraws + res->ndraws + 1) * sizeof(*n->draws));
    n->recogs = realloc(n->recogs, (n->nrecogs + res->nrecogs + 1) * sizeof(*n->recogs));
    assert_non_null(n->lines);
    assert_non_null(n->draws);
    assert_non_null(n->recogs);
    for (size_t i = 0; i < res->nlines; i++) {
        const struct br_line *l = &res->lines[i];
        struct rt_nline *x = &n->lines[n->nlines++];
        memset(x, 0, sizeof(*x));
        snprintf(x->acct, sizeof(x->acct), "%s", br_book_account_id(b, l->account));
        x->period = l->period;
        x->own = l->own_period;
        x->day = l->day;
        x->item = l->item;
        x->pieces = (int64_t)l->pieces;
        x->qty = (int64_t)l->qty;
        x->gross = l->gross_e8;
        for (int k = 0; k < BR_SRC_COUNT; k++)
            x->alloc[k] = l->alloc_e8[k];
        x->free_units = l->free_units;
        x->pmin = l->price_min_e10;
        x->pmax = l->price_max_e10;
    }
    for (size_t i = 0; i < res->ndraws; i++) {
        const struct br_draw *d = &res->draws[i];
        struct rt_ndraw *x = &n->draws[n->ndraws++];
        memset(x, 0, sizeof(*x));
        snprintf(x->acct, sizeof(x->acct), "%s", br_book_account_id(b, d->account));
        rt_norm_order_id(b, d->order, x->order, sizeof(x->order));
        x->period = d->period;
        x->own = d->own_period;
        x->day = d->day;
        x->item = d->item;
        x->source = d->source;
        x->units = d->units;
        x->value = d->value_e8;
        x->rec = d->recognised_e8;
    }
    for (size_t i = 0; i < res->nrecogs; i++) {
        const struct br_recog *g = &res->recogs[i];
        struct rt_nrecog *x = &n->recogs[n->nrecogs++];
        memset(x, 0, sizeof(*x));
        rt_norm_order_id(b, g->order, x->order, sizeof(x->order));
        x->period = g->period;
        x->own = g->own_period;
        x->kind = g->kind;
        x->at = g->effective_at;
        x->amount = g->amount_e8;
    }
}

static inline int rt_nline_cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(struct rt_nline));
}

static inline int rt_ndraw_cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(struct rt_ndraw));
}

static inline int rt_nrecog_cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(struct rt_nrecog));
}

static inline void rt_norm_sort(struct rt_norm *n)
{
    qsort(n->lines, n->nlines, sizeof(*n->lines), rt_nline_cmp);
    qsort(n->draws, n->ndraws, sizeof(*n->draws), rt_ndraw_cmp);
    qsort(n->recogs, n->nrecogs, sizeof(*n->recogs), rt_nrecog_cmp);
}

/* Merges entries with one key (lines and draws of one day that came from
 * runs split inside the day; recognition per order, period and kind, its
 * instants dropped), then sorts. */
static inline void rt_norm_merge(struct rt_norm *n)
{
    for (size_t i = 0; i < n->nrecogs; i++)
        n->recogs[i].at = 0;
    rt_norm_sort(n);
    size_t m = 0;
    const size_t lkey = offsetof(struct rt_nline, pieces);
    for (size_t i = 0; i < n->nlines; i++) {
        struct rt_nline *x = &n->lines[i];
        struct rt_nline *y = m > 0 ? &n->lines[m - 1] : NULL;
        if (y == NULL || memcmp(x, y, lkey) != 0) {
            n->lines[m++] = *x;
            continue;
        }
        y->pieces += x->pieces;
        y->qty += x->qty;
        y->gross += x->gross;
        for (int k = 0; k < BR_SRC_COUNT; k++)
            y->alloc[k] += x->alloc[k];
        y->free_units += x->free_units;
        y->pmin = x->pmin < y->pmin ? x->pmin : y->pmin;
        y->pmax = x->pmax > y->pmax ? x->pmax : y->pmax;
    }
    n->nlines = m;
    m = 0;
    const size_t dkey = offsetof(struct rt_ndraw, units);
    for (size_t i = 0; i < n->ndraws; i++) {
        struct rt_ndraw *x = &n->draws[i];
        struct rt_ndraw *y = m > 0 ? &n->draws[m - 1] : NULL;
        if (y == NULL || memcmp(x, y, dkey) != 0) {
            n->draws[m++] = *x;
            continue;
        }
        y->units += x->units;
        y->value += x->value;
        y->rec += x->rec;
    }
    n->ndraws = m;
    m = 0;
    const size_t rkey = offsetof(struct rt_nrecog, amount);
    for (size_t i = 0; i < n->nrecogs; i++) {
        struct rt_nrecog *x = &n->recogs[i];
        struct rt_nrecog *y = m > 0 ? &n->recogs[m - 1] : NULL;
        if (y == NULL || memcmp(x, y, rkey) != 0) {
            n->recogs[m++] = *x;
            continue;
        }
        y->amount += x->amount;
    }
    n->nrecogs = m;
    rt_norm_sort(n);
}

static inline void rt_print_nline(const char *tag, const struct rt_nline *x)
{
    print_error("%s line %s period %lld own %lld day %lld item %lld: pieces %lld qty %lld gross "
                "%lld alloc %lld/%lld/%lld/%lld/%lld free_units %lld price %lld..%lld\n",
                tag, x->acct, (long long)x->period, (long long)x->own, (long long)x->day,
                (long long)x->item, (long long)x->pieces, (long long)x->qty, (long long)x->gross,
                (long long)x->alloc[0], (long long)x->alloc[1], (long long)x->alloc[2],
                (long long)x->alloc[3], (long long)x->alloc[4], (long long)x->free_units,
                (long long)x->pmin, (long long)x->pmax);
}

static inline void rt_print_ndraw(const char *tag, const struct rt_ndraw *x)
{
    print_error("%s draw %s order '%s' period %lld own %lld day %lld item %lld source %lld: "
                "units %lld value %lld rec %lld\n",
                tag, x->acct, x->order, (long long)x->period, (long long)x->own, (long long)x->day,
                (long long)x->item, (long long)x->source, (long long)x->units, (long long)x->value,
                (long long)x->rec);
}

static inline void rt_print_nrecog(const char *tag, const struct rt_nrecog *x)
{
    print_error("%s recog order '%s' period %lld own %lld kind %lld at %lld amount %lld\n", tag,
                x->order, (long long)x->period, (long long)x->own, (long long)x->kind,
                (long long)x->at, (long long)x->amount);
}

/* Byte-for-byte equality of two sorted normalised results; prints the first
 * difference. */
static inline bool rt_norm_equal(const struct rt_norm *a, const struct rt_norm *b)
{
    bool ok = true;
    for (size_t i = 0; ok && i < a->nlines && i < b->nlines; i++)
        if (memcmp(&a->lines[i], &b->lines[i], sizeof(a->lines[i])) != 0) {
            rt_print_nline("a", &a->lines[i]);
            rt_print_nline("b", &b->lines[i]);
            ok = false;
        }
    for (size_t i = 0; ok && i < a->ndraws && i < b->ndraws; i++)
        if (memcmp(&a->draws[i], &b->draws[i], sizeof(a->draws[i])) != 0) {
            rt_print_ndraw("a", &a->draws[i]);
            rt_print_ndraw("b", &b->draws[i]);
            ok = false;
        }
    for (size_t i = 0; ok && i < a->nrecogs && i < b->nrecogs; i++)
        if (memcmp(&a->recogs[i], &b->recogs[i], sizeof(a->recogs[i])) != 0) {
            rt_print_nrecog("a", &a->recogs[i]);
            rt_print_nrecog("b", &b->recogs[i]);
            ok = false;
        }
    if (ok && (a->nlines != b->nlines || a->ndraws != b->ndraws || a->nrecogs != b->nrecogs)) {
        print_error("sizes differ: lines %zu/%zu draws %zu/%zu recogs %zu/%zu\n", a->nlines,
                    b->nlines, a->ndraws, b->ndraws, a->nrecogs, b->nrecogs);
        ok = false;
    }
    return ok;
}

/* The closing states of two runs agree, matched by order and account ids:
 * order states (not the dirty flags), balances, and the non-zero entries of
 * the bucket and allowance maps. */
static inline bool rt_state_equal(const struct rt_run *x, const struct rt_run *y)
{
    bool ok = x->night.book.norders == y->night.book.norders &&
              br_book_naccounts(&x->night.book) == br_book_naccounts(&y->night.book);
    if (!ok)
        print_error("books differ: %zu/%zu orders\n", x->night.book.norders, y->night.book.norders);
    for (size_t i = 0; ok && i < x->night.book.norders; i++) {
        const char *id = x->night.book.orders[i].order_id;
        uint32_t j = rt_ord(y, id);
        const struct br_order_state *a = &x->night.state.orders[i], *b = &y->night.state.orders[j];
        if (a->consumed != b->consumed || a->recognised_e8 != b->recognised_e8 ||
            a->sl_to != b->sl_to || a->breakage_e8 != b->breakage_e8 || a->expired != b->expired) {
            print_error("order %s: consumed %lld/%lld recognised %lld/%lld sl_to %lld/%lld "
                        "breakage %lld/%lld expired %d/%d\n",
                        id, (long long)a->consumed, (long long)b->consumed,
                        (long long)a->recognised_e8, (long long)b->recognised_e8,
                        (long long)a->sl_to, (long long)b->sl_to, (long long)a->breakage_e8,
                        (long long)b->breakage_e8, a->expired, b->expired);
            ok = false;
        }
    }
    for (uint32_t i = 0; ok && i < br_book_naccounts(&x->night.book); i++) {
        const char *id = br_book_account_id(&x->night.book, i);
        uint32_t j = rt_acct(y, id);
        if (x->night.state.balance_e8[i] != y->night.state.balance_e8[j]) {
            print_error("balance of %s: %lld/%lld\n", id, (long long)x->night.state.balance_e8[i],
                        (long long)y->night.state.balance_e8[j]);
            ok = false;
        }
    }
    /* maps, both ways */
    for (int pass = 0; ok && pass < 2; pass++) {
        const struct rt_run *p = pass == 0 ? x : y, *q = pass == 0 ? y : x;
        for (size_t i = 0; ok && i < p->night.state.buckets.cap; i++) {
            const struct br_map_entry *e = &p->night.state.buckets.e[i];
            if (!e->used || e->value == 0)
                continue;
            uint32_t j = rt_ord(q, p->night.book.orders[e->a].order_id);
            int64_t v = rt_map_value(&q->night.state.buckets, j, e->b);
            if (v != e->value) {
                print_error("bucket %s/%llu: %lld/%lld\n", p->night.book.orders[e->a].order_id,
                            (unsigned long long)e->b, (long long)e->value, (long long)v);
                ok = false;
            }
        }
        for (size_t i = 0; ok && i < p->night.state.allowance.cap; i++) {
            const struct br_map_entry *e = &p->night.state.allowance.e[i];
            if (!e->used || e->value == 0)
                continue;
            uint32_t j = rt_acct(q, br_book_account_id(&p->night.book, (uint32_t)(e->a >> 8)));
            int64_t v =
                rt_map_value(&q->night.state.allowance, ((uint64_t)j << 8) | (e->a & 0xFF), e->b);
            if (v != e->value) {
                print_error("allowance %llx/%llu: %lld/%lld\n", (unsigned long long)e->a,
                            (unsigned long long)e->b, (long long)e->value, (long long)v);
                ok = false;
            }
        }
    }
    return ok;
}

#endif
