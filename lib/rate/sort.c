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

static void sort_ties(const struct br_sort_ctx *c, struct br_event *ev, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && ev[j].key == ev[i].key)
            j++;
        bool sorted = true; /* runs usually come in order already */
        for (size_t k = i + 1; sorted && k < j; k++)
            sorted = tie_cmp(&ev[k - 1], &ev[k], (void *)c) <= 0;
        if (!sorted)
            qsort_r(ev + i, j - i, sizeof(*ev), tie_cmp, (void *)c);
        i = j;
    }
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
    sort_ties(c, ev, n);
    return BR_OK;
}
