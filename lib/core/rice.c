/* Rice coding of sorted values (rice.h). */
#include "core/rice.h"

#include <string.h>

size_t br_rice_bound(size_t n, int width, int k)
{
    return (n * (size_t)(k + 1) + (((size_t)1 << width) >> k) + 64) / 8 + 8;
}

size_t br_rice_encode(const uint64_t *v, size_t n, int k, unsigned char *out)
{
    uint64_t acc = 0, last = 0;
    int nacc = 0; /* bits in acc, right-aligned */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t gap = v[i] - last, quo = gap >> k;
        last = v[i];
        while (quo >= 32) { /* a long run of ones, 32 at a time */
            acc = (acc << 32) | 0xFFFFFFFFu;
            nacc += 32;
            quo -= 32;
            while (nacc >= 8) {
                out[o++] = (unsigned char)(acc >> (nacc - 8));
                nacc -= 8;
            }
        }
        /* quo ones, a zero, then the low k bits: at most 32 + k <= 68 bits */
        uint64_t code = ((UINT64_C(1) << quo) - 1) << 1;
        acc = (acc << (quo + 1)) | code;
        nacc += (int)quo + 1;
        while (nacc >= 8) {
            out[o++] = (unsigned char)(acc >> (nacc - 8));
            nacc -= 8;
        }
        if (k > 0) {
            acc = (acc << k) | (gap & ((UINT64_C(1) << k) - 1));
            nacc += k;
            while (nacc >= 8) {
                out[o++] = (unsigned char)(acc >> (nacc - 8));
                nacc -= 8;
            }
        }
    }
    if (nacc > 0)
        out[o++] = (unsigned char)(acc << (8 - nacc));
    return o;
}

/* Reads Rice-coded gaps, most significant bit first, a 64-bit window at a
 * time. */
struct bitr {
    const unsigned char *p, *end;
    uint64_t buf; /* next bits, left-aligned */
    int nb;       /* valid bits in buf */
    uint64_t last;
};

static inline void refill(struct bitr *r)
{
    if (r->end - r->p >= 8) {
        uint64_t w;
        memcpy(&w, r->p, 8);
        w = __builtin_bswap64(w);
        r->buf |= w >> r->nb;
        r->p += (63 - r->nb) >> 3;
        r->nb |= 56;
        return;
    }
    while (r->nb <= 56 && r->p < r->end) {
        r->buf |= (uint64_t)*r->p++ << (56 - r->nb);
        r->nb += 8;
    }
}

static inline void skip_bits(struct bitr *r, int n)
{
    r->buf = n < 64 ? r->buf << n : 0;
    r->nb -= n;
}

/* The next value (the running sum of gaps), or false past the end. */
static inline bool next_value(struct bitr *r, int k, uint64_t *v)
{
    uint64_t quo = 0;
    for (;;) {
        refill(r);
        if (r->nb == 0)
            return false;
        uint64_t inv = ~r->buf;
        int ones = inv != 0 ? __builtin_clzll(inv) : 64;
        if (ones < r->nb) {
            quo += (uint64_t)ones;
            skip_bits(r, ones + 1);
            break;
        }
        quo += (uint64_t)r->nb;
        skip_bits(r, r->nb);
    }
    uint64_t rem = 0;
    if (k > 0) {
        refill(r);
        if (r->nb < k)
            return false;
        rem = r->buf >> (64 - k);
        skip_bits(r, k);
    }
    r->last += (quo << k) | rem;
    *v = r->last;
    return true;
}

bool br_rice_decode(const unsigned char *p, size_t len, int k, uint32_t n, uint64_t *out)
{
    const unsigned char *q = p, *end = p + len;
    uint64_t buf = 0, last = 0;
    int nb = 0;
    uint32_t e = 0;
    /* the fast path: one 64-bit refill, then as many values as its bits
     * hold (about three), everything in registers */
    while (e < n && end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        buf |= __builtin_bswap64(w) >> nb;
        q += (63 - nb) >> 3;
        nb |= 56;
        for (bool fresh = true;; fresh = false) {
            uint64_t inv = ~buf;
            if (inv == 0)
                goto careful; /* 64 ones: a run longer than the window */
            int ones = __builtin_clzll(inv), used = ones + 1 + k;
            if (used > nb) {
                if (fresh)
                    goto careful; /* longer than a full window */
                break;
            }
            /* the k bits after the zero; two shifts so that k = 0 gives 0 */
            uint64_t rem = ((buf << (ones + 1)) >> (63 - k)) >> 1;
            last += ((uint64_t)ones << k) | rem;
            out[e++] = last;
            buf <<= used; /* used <= nb <= 63 */
            nb -= used;
            if (e == n)
                return true;
        }
    }
careful:;
    struct bitr r = {.p = q, .end = end, .buf = buf, .nb = nb, .last = last};
    for (; e < n; e++)
        if (!next_value(&r, k, &out[e]))
            return false;
    return true;
}
