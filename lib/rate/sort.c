/* The one sort of rating, per account: a natural merge sort by the packed
 * time key (an account's events mostly come in time order already), then
 * the runs of equal keys by comparison. Rating sorts each account's events
 * on the thread that rates them, right before its pass, while they are in
 * cache. */
#define _GNU_SOURCE /* qsort_r */
#include "rate/sort.h"

#include "core/mem.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int tie_cmp(const void *pa, const void *pb, void *arg)
{
    const struct br_sort_ctx *c = arg;
    const struct br_event *a = pa, *b = pb;
    bool oa = a->row == BR_EV_NO_ROW, ob = b->row == BR_EV_NO_ROW;
    if (oa != ob)
        return oa ? -1 : 1;
    if (oa) { /* orders before adjustments, each by id */
        uint32_t x = c->topups[a->qty], y = c->topups[b->qty];
        if (br_credit_is_adj(x) != br_credit_is_adj(y))
            return br_credit_is_adj(x) ? 1 : -1;
        int s = strcmp(br_credit_id(c->book, x), br_credit_id(c->book, y));
        return s != 0 ? s : (a->qty > b->qty) - (a->qty < b->qty);
    }
    if (a->row != b->row) {
        int r = br_usage_rid_cmp(c->usage, a->row, b->row);
        if (r != 0)
            return r;
        int sa = br_item_source(br_usage_item(c->usage, a->row));
        int sb = br_item_source(br_usage_item(c->usage, b->row));
        if (sa != sb)
            return sa - sb;              /* EAS before OSS for equal ids */
        return a->row < b->row ? -1 : 1; /* input order */
    }
    return 0; /* the pieces of one row never share a start time */
}

/* A tied event's sort record: top-ups (class 0) before pieces (class 1);
 * a piece's record id, copied into the scratch (off, len); its position in
 * the run. */
struct br_tie {
    uint32_t off;
    uint16_t len;
    uint16_t cls;
    uint32_t pos;
};

struct tie_run {
    const struct br_sort_ctx *c;
    const struct br_event *ev;
    const unsigned char *ids;
};

static int tie_rec_cmp(const void *pa, const void *pb, void *arg)
{
    const struct br_tie *a = pa, *b = pb;
    const struct tie_run *t = arg;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    if (a->cls == 0)
        return tie_cmp(&t->ev[a->pos], &t->ev[b->pos], (void *)t->c);
    int r = memcmp(t->ids + a->off, t->ids + b->off, a->len < b->len ? a->len : b->len);
    if (r != 0)
        return r;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    const struct br_usage *u = t->c->usage;
    uint32_t ra = t->ev[a->pos].row, rb = t->ev[b->pos].row;
    int sa = br_item_source(br_usage_item(u, ra)), sb = br_item_source(br_usage_item(u, rb));
    if (sa != sb)
        return sa - sb;           /* EAS before OSS for equal ids */
    return (ra > rb) - (ra < rb); /* input order */
}

/* Sorts a run of events of one key whose rows lie apart in the input (rows
 * in no particular order): their record ids are in different places of the
 * ingest's store, so each is read once, into the scratch, rather than at
 * every comparison. The order is tie_cmp's. */
static enum br_status sort_run(const struct br_sort_ctx *c, struct br_event *ev, size_t m,
                               struct br_sort_scratch *tmp)
{
    if (br_grow((void **)&tmp->tie, &tmp->tie_cap, m, sizeof(*tmp->tie), SIZE_MAX / 2) != BR_OK ||
        br_grow((void **)&tmp->ev, &tmp->cap, m, sizeof(*tmp->ev), SIZE_MAX / 2) != BR_OK ||
        br_grow((void **)&tmp->ids, &tmp->ids_cap, m * BR_RID_MAX, 1, SIZE_MAX / 2) != BR_OK)
        return BR_ERR_NOMEM;
    /* the ids' places, then their bytes and their blocks' heads, asked for
     * ahead of reading them: the misses overlap instead of queueing */
    const struct br_usage *u = c->usage;
    for (size_t k = 0; k < m; k++)
        if (ev[k].row != BR_EV_NO_ROW)
            __builtin_prefetch(&u->rid_at[ev[k].row]);
    for (size_t k = 0; k < m; k++)
        if (ev[k].row != BR_EV_NO_ROW) {
            uint32_t r = ev[k].row;
            __builtin_prefetch(u->rid + u->rid_at[r]);
            __builtin_prefetch(&u->rid_at[r - r % BR_RID_BLOCK]);
        }
    for (size_t k = 0; k < m; k++)
        if (ev[k].row != BR_EV_NO_ROW) {
            uint32_t r = ev[k].row - ev[k].row % BR_RID_BLOCK;
            __builtin_prefetch(u->rid + u->rid_at[r]);
        }
    size_t at = 0;
    for (size_t k = 0; k < m; k++) {
        struct br_tie *x = &tmp->tie[k];
        *x = (struct br_tie){(uint32_t)at, 0, ev[k].row != BR_EV_NO_ROW, (uint32_t)k};
        if (x->cls == 1) {
            size_t len;
            const char *id = br_usage_rid(c->usage, ev[k].row, (char *)tmp->ids + at, &len);
            if (id != (const char *)tmp->ids + at)
                memcpy(tmp->ids + at, id, len);
            x->len = (uint16_t)len;
            at += len;
        }
    }
    struct tie_run t = {c, ev, tmp->ids};
    qsort_r(tmp->tie, m, sizeof(*tmp->tie), tie_rec_cmp, &t);
    for (size_t k = 0; k < m; k++)
        tmp->ev[k] = ev[tmp->tie[k].pos];
    memcpy(ev, tmp->ev, m * sizeof(*ev));
    return BR_OK;
}

static enum br_status sort_ties(const struct br_sort_ctx *c, struct br_event *ev, size_t n,
                                struct br_sort_scratch *tmp)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && ev[j].key == ev[i].key)
            j++;
        /* runs usually come in order already; rows of one block of the
         * ingest's record id store compare cheaply, others go to sort_run */
        bool sorted = true, near = true;
        for (size_t k = i + 1; near && sorted && k < j; k++) {
            near = ev[k - 1].row / BR_RID_BLOCK == ev[k].row / BR_RID_BLOCK;
            sorted = near && tie_cmp(&ev[k - 1], &ev[k], (void *)c) <= 0;
        }
        if (!sorted && sort_run(c, ev + i, j - i, tmp) != BR_OK)
            return BR_ERR_NOMEM;
        i = j;
    }
    return BR_OK;
}

void br_sort_scratch_free(struct br_sort_scratch *tmp)
{
    free(tmp->ev);
    free(tmp->tie);
    free(tmp->ids);
    memset(tmp, 0, sizeof(*tmp));
}

/* Sorts ev[0, n) ascending by key, stably, by merging the runs the input
 * already has; tmp has room for n events. */
static void natural_merge_sort(struct br_event *ev, size_t n, struct br_event *tmp)
{
    struct br_event *src = ev, *dst = tmp;
    for (;;) {
        size_t i = 0, runs = 0;
        while (i < n) {
            size_t m = i + 1; /* first run [i, m) */
            while (m < n && src[m - 1].key <= src[m].key)
                m++;
            size_t e = m < n ? m + 1 : m; /* second run [m, e) */
            while (e < n && src[e - 1].key <= src[e].key)
                e++;
            size_t a = i, b = m, o = i;
            while (a < m && b < e)
                dst[o++] = src[a].key <= src[b].key ? src[a++] : src[b++];
            while (a < m)
                dst[o++] = src[a++];
            while (b < e)
                dst[o++] = src[b++];
            runs++;
            i = e;
        }
        struct br_event *x = src;
        src = dst;
        dst = x;
        if (runs == 1)
            break;
    }
    if (src != ev)
        memcpy(ev, src, n * sizeof(*ev));
}

enum br_status br_sort_events(const struct br_sort_ctx *c, struct br_event *ev, size_t n,
                              struct br_sort_scratch *tmp)
{
    bool sorted = true; /* an account's events mostly come in time order */
    for (size_t i = 1; sorted && i < n; i++)
        sorted = ev[i - 1].key <= ev[i].key;
    if (!sorted) {
        if (br_grow((void **)&tmp->ev, &tmp->cap, n, sizeof(*tmp->ev), SIZE_MAX / 2) != BR_OK)
            return BR_ERR_NOMEM;
        natural_merge_sort(ev, n, tmp->ev);
    }
    return sort_ties(c, ev, n, tmp);
}
