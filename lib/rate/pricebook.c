/* Price book admission and resolution. Windows are sets of local seconds of
 * the day, written as at most two half-open intervals within [0, 86400). */
#include "rate/pricebook.h"

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

bool br_price_tod_match(const struct br_price *p, int32_t tod)
{
    if (p->tod_from < 0)
        return true;
    if (p->tod_from < p->tod_to)
        return tod >= p->tod_from && tod < p->tod_to;
    return tod >= p->tod_from || tod < p->tod_to;
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

static bool is_open(const struct br_price *p)
{
    return p->to == BR_T_OPEN;
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
        if (q->item == p->item && q->spec == p->spec && is_open(q) && q->from > p->from &&
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
    if (!is_open(p) && !is_open(q)) {
        int64_t lo = p->from > q->from ? p->from : q->from;
        int64_t hi = p->to < q->to ? p->to : q->to;
        return share_an_instant(p, q, lo, hi, cal);
    }
    if (is_open(p) && is_open(q) && p->from == q->from) {
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

enum br_status br_pricebook_admit(struct br_book *book, const struct br_price *rows, size_t n,
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
        int64_t hi = is_open(p) ? open_end(p, all, nall) : p->to;
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

/* --- resolution ------------------------------------------------------------ */

void br_pricer_free(struct br_pricer *p)
{
    free(p->key_first);
    free(p->key_n);
    free(p->segs);
    free(p->tods);
    memset(p, 0, sizeof(*p));
}

/* Priority class of a row for a key: lower wins. */
static int rank_of(const struct br_price *p)
{
    return (p->spec == BR_SPEC_ANY ? 2 : 0) + (is_open(p) ? 1 : 0);
}

struct cand {
    uint32_t row;
    int64_t lo, hi;
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t winner_at(const struct br_book *b, const struct cand *c, size_t nc, int64_t s,
                          int32_t tod)
{
    uint32_t best = BR_NO_ID;
    int best_rank = 99;
    for (size_t i = 0; i < nc; i++) {
        const struct br_price *p = &b->prices[c[i].row];
        if (c[i].lo > s || c[i].hi <= s || !br_price_tod_match(p, tod))
            continue;
        int r = rank_of(p);
        if (r < best_rank || (r == best_rank && c[i].row < best)) {
            best = c[i].row;
            best_rank = r;
        }
    }
    return best;
}

/* Builds the tod map of the segment starting at s. */
static enum br_status build_tods(struct br_pricer *p, const struct cand *c, size_t nc, int64_t s,
                                 struct br_price_seg *seg)
{
    int32_t *cuts = br_mallocn(2 * nc + 1, sizeof(*cuts));
    if (cuts == NULL)
        return BR_ERR_NOMEM;
    size_t ncuts = 0;
    cuts[ncuts++] = 0;
    for (size_t i = 0; i < nc; i++) {
        const struct br_price *r = &p->book->prices[c[i].row];
        if (c[i].lo > s || c[i].hi <= s || r->tod_from < 0)
            continue;
        cuts[ncuts++] = r->tod_from;
        if (r->tod_to < BR_DAY_S)
            cuts[ncuts++] = r->tod_to;
    }
    qsort(cuts, ncuts, sizeof(cuts[0]), cmp_i32);
    seg->tod_first = (uint32_t)p->ntods;
    seg->tod_n = 0;
    for (size_t i = 0; i < ncuts; i++) {
        if (i > 0 && cuts[i] == cuts[i - 1])
            continue;
        uint32_t w = winner_at(p->book, c, nc, s, cuts[i]);
        if (seg->tod_n > 0 && p->tods[p->ntods - 1].row == w)
            continue;
        enum br_status st =
            br_grow((void **)&p->tods, &p->tods_cap, p->ntods + 1, sizeof(*p->tods), UINT32_MAX);
        if (st != BR_OK) {
            free(cuts);
            return st;
        }
        p->tods[p->ntods++] = (struct br_price_tod){cuts[i], w};
        seg->tod_n++;
    }
    free(cuts);
    return BR_OK;
}

static enum br_status build_key(struct br_pricer *p, struct br_rate_key key, size_t k)
{
    const struct br_book *b = p->book;
    size_t nc = 0;
    struct cand *c = br_mallocn(b->nprices + 1, sizeof(*c));
    int64_t *cuts = br_mallocn(2 * b->nprices + 1, sizeof(*cuts));
    enum br_status st = (c && cuts) ? BR_OK : BR_ERR_NOMEM;
    for (size_t i = 0; st == BR_OK && i < b->nprices; i++) {
        const struct br_price *r = &b->prices[i];
        if (r->item != key.item || (r->spec != key.spec && r->spec != BR_SPEC_ANY))
            continue;
        c[nc].row = (uint32_t)i;
        c[nc].lo = r->from;
        c[nc].hi = r->to;
        if (is_open(r)) /* until the next later open row of its own (item, spec) */
            for (size_t j = 0; j < b->nprices; j++) {
                const struct br_price *q = &b->prices[j];
                if (q->item == r->item && q->spec == r->spec && is_open(q) && q->from > r->from &&
                    q->from < c[nc].hi)
                    c[nc].hi = q->from;
            }
        nc++;
    }
    size_t ncuts = 0;
    for (size_t i = 0; st == BR_OK && i < nc; i++) {
        cuts[ncuts++] = c[i].lo;
        if (c[i].hi != BR_T_OPEN)
            cuts[ncuts++] = c[i].hi;
    }
    if (st == BR_OK)
        qsort(cuts, ncuts, sizeof(*cuts), cmp_i64);
    p->key_first[k] = (uint32_t)p->nsegs;
    p->key_n[k] = 0;
    /* a segment before the first cut (no price), then one per distinct cut */
    for (size_t i = 0; st == BR_OK && i <= ncuts; i++) {
        if (i >= 2 && cuts[i - 1] == cuts[i - 2])
            continue;
        int64_t s = i == 0 ? INT64_MIN : cuts[i - 1];
        st = br_grow((void **)&p->segs, &p->segs_cap, p->nsegs + 1, sizeof(*p->segs), UINT32_MAX);
        if (st != BR_OK)
            break;
        struct br_price_seg seg = {.start = s};
        st = build_tods(p, c, nc, s, &seg);
        p->segs[p->nsegs++] = seg;
        p->key_n[k]++;
    }
    free(c);
    free(cuts);
    return st;
}

enum br_status br_pricer_build(struct br_pricer *p, const struct br_book *book,
                               struct br_calendar cal, const struct br_rate_key *keys, size_t nkeys)
{
    memset(p, 0, sizeof(*p));
    p->book = book;
    p->cal = cal;
    p->nkeys = nkeys;
    p->key_first = br_calloc(nkeys, sizeof(*p->key_first));
    p->key_n = br_calloc(nkeys, sizeof(*p->key_n));
    if (p->key_first == NULL || p->key_n == NULL)
        return BR_ERR_NOMEM;
    for (size_t k = 0; k < nkeys; k++) {
        enum br_status st = build_key(p, keys[k], k);
        if (st != BR_OK)
            return st;
    }
    return BR_OK;
}

uint32_t br_pricer_find(const struct br_pricer *p, uint16_t key, int64_t t, uint32_t *hint)
{
    BR_ASSERT(key < p->nkeys);
    const struct br_price_seg *segs = p->segs + p->key_first[key];
    uint32_t n = p->key_n[key];
    BR_ASSERT(n > 0);
    uint32_t s = *hint;
    if (!(s < n && segs[s].start <= t && (s + 1 == n || segs[s + 1].start > t))) {
        uint32_t lo = 0, hi = n; /* last segment with start <= t */
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (segs[mid].start <= t)
                lo = mid;
            else
                hi = mid;
        }
        s = lo;
        *hint = s;
    }
    const struct br_price_tod *tods = p->tods + segs[s].tod_first;
    uint32_t m = segs[s].tod_n;
    if (m == 1)
        return tods[0].row;
    int32_t tod = br_local_tod(&p->cal, t);
    uint32_t lo = 0, hi = m;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tods[mid].start <= tod)
            lo = mid;
        else
            hi = mid;
    }
    return tods[lo].row;
}
