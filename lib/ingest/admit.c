/* Price file admission (rules.md section 3): a file's rows join the book
 * only when none of them can apply at one instant with another row of its
 * (item, spec) and none would change the price of a piece already rated.
 * Windows are sets of local seconds of the day, written as at most two
 * half-open intervals within [0, 86400). */
#include "ingest/admit.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct span {
    int32_t a, b; /* [a, b) */
};

/* The window of a row as intervals; returns how many (1 or 2). */
static int window_spans(const struct br_price *p, struct span out[2])
{
    if (p->tod_from < 0) {
        out[0] = (struct span){0, BR_DAY_S};
        return 1;
    }
    if (p->tod_from < p->tod_to) {
        out[0] = (struct span){p->tod_from, p->tod_to};
        return 1;
    }
    out[0] = (struct span){p->tod_from, BR_DAY_S};
    out[1] = (struct span){0, p->tod_to};
    return out[1].b > 0 ? 2 : 1;
}

/* Intersects two span lists into out (at most na * nb spans). */
static int spans_intersect(const struct span *x, int nx, const struct span *y, int ny,
                           struct span *out)
{
    int n = 0;
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < ny; j++) {
            int32_t a = x[i].a > y[j].a ? x[i].a : y[j].a;
            int32_t b = x[i].b < y[j].b ? x[i].b : y[j].b;
            if (a < b)
                out[n++] = (struct span){a, b};
        }
    return n;
}

/* Can rows p and q both apply at one instant of [lo, hi)? */
static bool share_an_instant(const struct br_price *p, const struct br_price *q, int64_t lo,
                             int64_t hi, struct br_calendar cal)
{
    if (lo >= hi)
        return false;
    struct span wp[2], wq[2], w[4], c[2], r[8];
    int nw = spans_intersect(wp, window_spans(p, wp), wq, window_spans(q, wq), w);
    if (nw == 0)
        return false;
    if (hi - lo >= BR_DAY_S)
        return true;
    int32_t t0 = br_local_tod(&cal, lo);
    int64_t end = t0 + (hi - lo);
    int nc = 1;
    if (end <= BR_DAY_S) {
        c[0] = (struct span){t0, (int32_t)end};
    } else {
        c[0] = (struct span){t0, BR_DAY_S};
        c[1] = (struct span){0, (int32_t)(end - BR_DAY_S)};
        nc = 2;
    }
    return spans_intersect(w, nw, c, nc, r) > 0;
}

static bool identical(const struct br_price *a, const struct br_price *b)
{
    return a->item == b->item && a->spec == b->spec && a->price_e10 == b->price_e10 &&
           a->from == b->from && a->to == b->to && a->tod_from == b->tod_from &&
           a->tod_to == b->tod_to && a->free_units == b->free_units;
}

/* Where row p sets prices: dated rows their dates; open rows until the
 * next later open row of their (item, spec) among `all`. */
static int64_t open_end(const struct br_price *p, const struct br_price *const *all, size_t n)
{
    int64_t end = BR_T_OPEN;
    for (size_t i = 0; i < n; i++) {
        const struct br_price *q = all[i];
        if (q->item == p->item && q->spec == p->spec && br_price_is_open(q) && q->from > p->from &&
            q->from < end)
            end = q->from;
    }
    return end;
}

/* Can rows p and q of one (item, spec) both apply to one instant? Two dated
 * rows: where their dates meet. Two open rows with one effective_from: until
 * the next later open row ends them both (all: every row of the book). */
static bool overlaps(const struct br_price *p, const struct br_price *q,
                     const struct br_price *const *all, size_t nall, struct br_calendar cal)
{
    if (p->item != q->item || p->spec != q->spec)
        return false;
    if (!br_price_is_open(p) && !br_price_is_open(q)) {
        int64_t lo = p->from > q->from ? p->from : q->from;
        int64_t hi = p->to < q->to ? p->to : q->to;
        return share_an_instant(p, q, lo, hi, cal);
    }
    if (br_price_is_open(p) && br_price_is_open(q) && p->from == q->from) {
        int64_t end = open_end(p, all, nall);
        int64_t day = p->from + BR_DAY_S;
        return share_an_instant(p, q, p->from, end < day ? end : day, cal);
    }
    return false;
}

static void describe(const struct br_book *b, const struct br_price *p, char *out, size_t size)
{
    snprintf(out, size, "%s %s (line %u)", br_items[p->item].name, br_book_spec(b, p->spec),
             p->line);
}

enum br_status br_admit_prices(struct br_book *book, const struct br_price *rows, size_t n,
                               struct br_calendar cal, br_rated_fn rated, void *rated_ctx,
                               enum br_reason *why, char *detail, size_t detail_size)
{
    *why = BR_R_NONE;
    size_t total = book->nprices + n;
    const struct br_price **all = br_mallocn(total ? total : 1, sizeof(*all));
    bool *keep = br_calloc(n, sizeof(*keep));
    if (all == NULL || keep == NULL) {
        free(all);
        free(keep);
        return BR_ERR_NOMEM;
    }
    size_t nall = 0;
    for (size_t i = 0; i < book->nprices; i++)
        all[nall++] = &book->prices[i];
    char a[160], b[160];
    for (size_t i = 0; i < n; i++) { /* rows identical to a loaded one are ignored */
        bool dup = false;
        for (size_t j = 0; j < nall && !dup; j++)
            dup = identical(&rows[i], all[j]);
        keep[i] = !dup;
        if (keep[i])
            all[nall++] = &rows[i];
    }
    for (size_t i = 0, k = book->nprices; i < n && *why == BR_R_NONE; i++) {
        if (!keep[i])
            continue;
        const struct br_price *p = &rows[i];
        for (size_t j = 0; j < k && *why == BR_R_NONE; j++) { /* the book and earlier rows */
            if (overlaps(p, all[j], all, nall, cal)) {
                describe(book, p, a, sizeof(a));
                describe(book, all[j], b, sizeof(b));
                snprintf(detail, detail_size, "%s can apply at the same instant as %s", a, b);
                *why = BR_R_PRICE_OVERLAP;
            }
        }
        k++;
    }
    for (size_t i = 0; i < n && *why == BR_R_NONE && rated != NULL; i++) {
        if (!keep[i])
            continue;
        const struct br_price *p = &rows[i];
        int64_t hi = br_price_is_open(p) ? open_end(p, all, nall) : p->to;
        const char *spec = p->spec == BR_SPEC_ANY ? NULL : br_book_spec(book, p->spec);
        bool hit = rated(rated_ctx, p->item, spec, p->from, hi);
        if (!hit && spec != NULL)
            hit = rated(rated_ctx, p->item, "*", p->from, hi);
        if (hit) {
            describe(book, p, a, sizeof(a));
            snprintf(detail, detail_size, "%s would change the price of usage already rated", a);
            *why = BR_R_REPRICES_HISTORY;
        }
    }
    enum br_status st = BR_OK;
    for (size_t i = 0; i < n && *why == BR_R_NONE && st == BR_OK; i++)
        if (keep[i])
            st = br_book_add_price(book, &rows[i]);
    free(all);
    free(keep);
    return st;
}
