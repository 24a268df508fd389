/* The one sort of rating: events by (account, time, orders first, then
 * order_id or record_id). An LSD radix sort on the packed time key, a stable
 * counting sort by account, then the rare runs of equal keys by comparison. */
#define _GNU_SOURCE /* qsort_r */
#include "rate/sort.h"

#include "core/mem.h"

#include <stdbool.h>

#include <stdlib.h>
#include <string.h>

static void radix_pass(const uint64_t *kin, const uint32_t *iin, uint64_t *kout, uint32_t *iout,
                       size_t n, unsigned shift, const size_t *count)
{
    size_t pos[256];
    size_t sum = 0;
    for (int d = 0; d < 256; d++) {
        pos[d] = sum;
        sum += count[d];
    }
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(kin[i] >> shift) & 0xFF;
        size_t p = pos[d]++;
        kout[p] = kin[i];
        iout[p] = iin[i];
    }
}

/* Sorts keys (with their indices) ascending, stably. Uses tmp buffers of n. */
static void radix_sort(uint64_t **keys, uint32_t **idx, uint64_t **tkeys, uint32_t **tidx, size_t n)
{
    uint64_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= (*keys)[i];
    for (unsigned shift = 0; shift < 64 && (any >> shift) != 0; shift += 8) {
        size_t count[256] = {0};
        uint64_t *k = *keys;
        for (size_t i = 0; i < n; i++)
            count[(k[i] >> shift) & 0xFF]++;
        bool trivial = false;
        for (int d = 0; d < 256; d++)
            trivial |= count[d] == n;
        if (trivial)
            continue;
        radix_pass(*keys, *idx, *tkeys, *tidx, n, shift, count);
        uint64_t *swk = *keys;
        *keys = *tkeys;
        *tkeys = swk;
        uint32_t *swi = *idx;
        *idx = *tidx;
        *tidx = swi;
    }
}

struct tie_ctx {
    const struct br_sort_input *in;
};

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
    size_t la, lb;
    char ba[BR_RID_MAX], bb[BR_RID_MAX];
    const char *ia = br_usage_rid(in->usage, ra, ba, &la);
    const char *ib = br_usage_rid(in->usage, rb, bb, &lb);
    int c = memcmp(ia, ib, la < lb ? la : lb);
    if (c != 0)
        return c;
    if (la != lb)
        return la < lb ? -1 : 1;
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
        if (j - i > 1)
            qsort_r(idx + i, j - i, sizeof(*idx), tie_cmp, (void *)in);
        i = j;
    }
}

enum br_status br_sort_events(const struct br_sort_input *in, struct br_sort_output *out)
{
    size_t n = in->nevents;
    memset(out, 0, sizeof(*out));
    uint64_t *keys = br_mallocn(n ? n : 1, sizeof(*keys));
    uint64_t *tkeys = br_mallocn(n ? n : 1, sizeof(*tkeys));
    uint32_t *idx = br_mallocn(n ? n : 1, sizeof(*idx));
    uint32_t *tidx = br_mallocn(n ? n : 1, sizeof(*tidx));
    size_t *off = br_calloc(in->naccounts + 1, sizeof(*off));
    if (!keys || !tkeys || !idx || !tidx || !off) {
        free(keys), free(tkeys), free(idx), free(tidx), free(off);
        return BR_ERR_NOMEM;
    }
    memcpy(keys, in->keys, n * sizeof(*keys));
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    radix_sort(&keys, &idx, &tkeys, &tidx, n);
    /* stable counting sort by account */
    for (size_t i = 0; i < n; i++)
        off[in->account_of[idx[i]] + 1]++;
    for (size_t a = 0; a < in->naccounts; a++)
        off[a + 1] += off[a];
    size_t *pos = br_mallocn(in->naccounts + 1, sizeof(*pos));
    if (pos == NULL) {
        free(keys), free(tkeys), free(idx), free(tidx), free(off);
        return BR_ERR_NOMEM;
    }
    memcpy(pos, off, (in->naccounts + 1) * sizeof(*pos));
    for (size_t i = 0; i < n; i++) {
        size_t p = pos[in->account_of[idx[i]]]++;
        tkeys[p] = keys[i];
        tidx[p] = idx[i];
    }
    free(pos);
    for (size_t a = 0; a < in->naccounts; a++)
        sort_ties(in, tkeys, tidx, off[a], off[a + 1]);
    free(keys);
    free(idx);
    free(tkeys);
    out->order = tidx;
    out->account_off = off;
    return BR_OK;
}

void br_sort_output_free(struct br_sort_output *out)
{
    free(out->order);
    free(out->account_off);
    memset(out, 0, sizeof(*out));
}
