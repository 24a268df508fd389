/* The one sort of rating: events by (account, time, orders first, then
 * order_id or record_id). A stable counting sort by account, then on the
 * threads each account's events by their packed time key (a merge of the
 * runs the input already has), then the runs of equal keys by comparison. */
#define _GNU_SOURCE /* qsort_r */
#include "rate/sort.h"

#include "core/mem.h"

#include <pthread.h>
#include <stdbool.h>

#include <stdlib.h>
#include <string.h>

static int tie_cmp(const void *pa, const void *pb, void *arg)
{
    const struct br_sort_input *in = arg;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    bool oa = a >= in->npieces, ob = b >= in->npieces;
    if (oa != ob)
        return oa ? -1 : 1;
    if (oa) {
        const struct br_order *x = &in->book->orders[in->topups[a - in->npieces]];
        const struct br_order *y = &in->book->orders[in->topups[b - in->npieces]];
        return strcmp(x->order_id, y->order_id);
    }
    uint32_t ra = in->ev_row[a], rb = in->ev_row[b];
    int c = ra == rb ? 0 : br_usage_rid_cmp(in->usage, ra, rb);
    if (c != 0)
        return c;
    int sa = br_item_source(br_usage_item(in->usage, ra));
    int sb = br_item_source(br_usage_item(in->usage, rb));
    if (sa != sb)
        return sa - sb; /* EAS before OSS for equal ids */
    return (a > b) - (a < b);
}

static void sort_ties(const struct br_sort_input *in, const uint64_t *keys, uint32_t *idx,
                      size_t from, size_t to)
{
    size_t i = from;
    while (i < to) {
        size_t j = i + 1;
        while (j < to && keys[j] == keys[i])
            j++;
        bool sorted = true; /* runs usually come in order already */
        for (size_t k = i + 1; sorted && k < j; k++)
            sorted = tie_cmp(&idx[k - 1], &idx[k], (void *)in) <= 0;
        if (!sorted)
            qsort_r(idx + i, j - i, sizeof(*idx), tie_cmp, (void *)in);
        i = j;
    }
}

/* Sorts keys[0, n) (with idx) ascending, stably, by merging the runs the
 * input already has: an account's events mostly come in time order. */
static void natural_merge_sort(uint64_t *keys, uint32_t *idx, size_t n, uint64_t *tk, uint32_t *ti)
{
    bool sorted = true;
    for (size_t i = 1; sorted && i < n; i++)
        sorted = keys[i - 1] <= keys[i];
    if (sorted)
        return;
    uint64_t *sk = keys, *dk = tk;
    uint32_t *si = idx, *di = ti;
    for (;;) {
        size_t i = 0, runs = 0;
        while (i < n) {
            size_t m = i + 1; /* first run [i, m) */
            while (m < n && sk[m - 1] <= sk[m])
                m++;
            size_t e = m < n ? m + 1 : m; /* second run [m, e) */
            while (e < n && sk[e - 1] <= sk[e])
                e++;
            size_t a = i, b = m, o = i;
            while (a < m && b < e) {
                bool left = sk[a] <= sk[b];
                dk[o] = left ? sk[a] : sk[b];
                di[o++] = left ? si[a++] : si[b++];
            }
            while (a < m) {
                dk[o] = sk[a];
                di[o++] = si[a++];
            }
            while (b < e) {
                dk[o] = sk[b];
                di[o++] = si[b++];
            }
            runs++;
            i = e;
        }
        uint64_t *xk = sk;
        sk = dk;
        dk = xk;
        uint32_t *xi = si;
        si = di;
        di = xi;
        if (runs == 1)
            break;
    }
    if (sk != keys) {
        memcpy(keys, sk, n * sizeof(*keys));
        memcpy(idx, si, n * sizeof(*idx));
    }
}

struct seg_arg {
    const struct br_sort_input *in;
    uint64_t *keys;
    uint32_t *idx;
    const size_t *off;
    size_t a0, a1, max_len;
    bool failed;
};

static void *sort_segments(void *arg)
{
    struct seg_arg *g = arg;
    uint64_t *tk = br_mallocn(g->max_len + 1, sizeof(*tk));
    uint32_t *ti = br_mallocn(g->max_len + 1, sizeof(*ti));
    if (tk == NULL || ti == NULL) {
        g->failed = true;
    } else {
        for (size_t a = g->a0; a < g->a1; a++) {
            size_t from = g->off[a], len = g->off[a + 1] - from;
            if (len > 1) {
                natural_merge_sort(g->keys + from, g->idx + from, len, tk, ti);
                sort_ties(g->in, g->keys, g->idx, from, from + len);
            }
        }
    }
    free(tk);
    free(ti);
    return NULL;
}

enum br_status br_sort_events(const struct br_sort_input *in, struct br_sort_output *out)
{
    size_t n = in->nevents, na = in->naccounts;
    memset(out, 0, sizeof(*out));
    uint64_t *keys = br_mallocn(n ? n : 1, sizeof(*keys));
    uint32_t *idx = br_mallocn(n ? n : 1, sizeof(*idx));
    size_t *off = br_calloc(na + 1, sizeof(*off));
    size_t *pos = br_mallocn(na + 1, sizeof(*pos));
    if (!keys || !idx || !off || !pos) {
        free(keys), free(idx), free(off), free(pos);
        return BR_ERR_NOMEM;
    }
    /* a stable counting sort by account... */
    for (size_t i = 0; i < n; i++)
        off[in->account_of[i] + 1]++;
    size_t max_len = 0;
    for (size_t a = 0; a < na; a++) {
        if (off[a + 1] > max_len)
            max_len = off[a + 1];
        off[a + 1] += off[a];
    }
    memcpy(pos, off, (na + 1) * sizeof(*pos));
    for (size_t i = 0; i < n; i++) {
        size_t p = pos[in->account_of[i]]++;
        keys[p] = in->keys[i];
        idx[p] = (uint32_t)i;
    }
    free(pos);
    /* ...then each account's events by time, on the threads */
    int nt = in->threads < 1 ? 1 : in->threads > 16 ? 16 : in->threads;
    struct seg_arg g[16];
    pthread_t th[16];
    size_t a = 0;
    for (int t = 0; t < nt; t++) {
        size_t goal = n * (size_t)(t + 1) / (size_t)nt;
        g[t] = (struct seg_arg){
            .in = in, .keys = keys, .idx = idx, .off = off, .a0 = a, .max_len = max_len};
        while (a < na && (t == nt - 1 || off[a] < goal))
            a++;
        g[t].a1 = a;
    }
    int started = 0;
    for (int t = 1; t < nt; t++)
        if (pthread_create(&th[t], NULL, sort_segments, &g[t]) == 0)
            started = t;
        else
            break;
    for (int t = started + 1; t < nt; t++)
        sort_segments(&g[t]);
    sort_segments(&g[0]);
    bool failed = g[0].failed;
    for (int t = 1; t <= started; t++) {
        pthread_join(th[t], NULL);
        failed |= g[t].failed;
    }
    for (int t = started + 1; t < nt; t++)
        failed |= g[t].failed;
    free(keys);
    if (failed) {
        free(idx);
        free(off);
        return BR_ERR_NOMEM;
    }
    out->order = idx;
    out->account_off = off;
    return BR_OK;
}

void br_sort_output_free(struct br_sort_output *out)
{
    free(out->order);
    free(out->account_off);
    memset(out, 0, sizeof(*out));
}
