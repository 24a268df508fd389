/* Price resolution (rules.md section 3): per rate key, time segments in
 * which the set of applicable rows is fixed, each with the winner per local
 * time of day; a piece's price is one binary search away. */
#include "rate/pricer.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    return (p->spec == BR_SPEC_ANY ? 2 : 0) + (br_price_is_open(p) ? 1 : 0);
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
        if (br_price_is_open(r)) /* until the next later open row of its own (item, spec) */
            for (size_t j = 0; j < b->nprices; j++) {
                const struct br_price *q = &b->prices[j];
                if (q->item == r->item && q->spec == r->spec && br_price_is_open(q) &&
                    q->from > r->from && q->from < c[nc].hi)
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
