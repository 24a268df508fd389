/* Usage columns, the record id index and rate keys. */
#include "ingest/usage.h"

#include "core/book.h"
#include "core/money.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_BYTES ((size_t)2 << 20)

/* The index is probed at random: huge pages spare a TLB miss per probe. */
static uint64_t *slots_alloc(size_t nslots)
{
    size_t bytes = (nslots * sizeof(uint64_t) + HUGE_BYTES - 1) & ~(size_t)(HUGE_BYTES - 1);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

static void slots_free(uint64_t *slots, size_t nslots)
{
    if (slots != NULL)
        munmap(slots, (nslots * sizeof(uint64_t) + HUGE_BYTES - 1) & ~(size_t)(HUGE_BYTES - 1));
}

void br_usage_init(struct br_usage *u, size_t max_rows)
{
    memset(u, 0, sizeof(*u));
    u->max_rows = max_rows < UINT32_MAX - 1 ? max_rows : UINT32_MAX - 1;
    br_strtab_init(&u->claimed[0], (size_t)1 << 31);
    br_strtab_init(&u->claimed[1], (size_t)1 << 31);
    br_strtab_init(&u->key_index, 65535);
}

void br_usage_free(struct br_usage *u)
{
    free(u->account);
    free(u->key);
    free(u->t32);
    free(u->qty);
    free(u->rid_at);
    free(u->rid);
    free(u->far);
    slots_free(u->slots, u->nslots);
    free(u->keys);
    br_strtab_free(&u->claimed[0]);
    br_strtab_free(&u->claimed[1]);
    br_strtab_free(&u->key_index);
    memset(u, 0, sizeof(*u));
}

enum br_status br_usage_key(struct br_usage *u, enum br_item item, uint32_t spec, uint16_t *out)
{
    unsigned char k[5];
    k[0] = (unsigned char)item;
    memcpy(k + 1, &spec, 4);
    uint32_t id;
    size_t before = u->key_index.n;
    enum br_status st = br_strtab_intern(&u->key_index, (const char *)k, 5, &id);
    if (st != BR_OK)
        return st;
    if (u->key_index.n > before) {
        st = br_grow((void **)&u->keys, &u->keys_cap, id + 1, sizeof(*u->keys), 65535);
        if (st != BR_OK)
            return st;
        u->keys[id].item = item;
        u->keys[id].spec = spec;
        u->nkeys = id + 1;
    }
    *out = (uint16_t)id;
    return BR_OK;
}

/* Mixes the source into the hash so EAS and OSS ids live apart. */
uint64_t br_usage_rid_hash(int source, const char *id, size_t n)
{
    return br_hash_bytes(id, n) ^ (source ? 0x9E3779B97F4A7C15ULL : 0);
}

const char *br_usage_rid(const struct br_usage *u, size_t row, char *buf, size_t *len)
{
    const unsigned char *e = u->rid + u->rid_at[row];
    if (row % BR_RID_BLOCK == 0) { /* a block head: [len][bytes] */
        *len = e[0];
        return (const char *)e + 1;
    }
    const unsigned char *h = u->rid + u->rid_at[row - row % BR_RID_BLOCK];
    size_t shared = e[0], suffix = e[1];
    memcpy(buf, h + 1, shared);
    memcpy(buf + shared, e + 2, suffix);
    *len = shared + suffix;
    return buf;
}

int br_usage_rid_cmp(const struct br_usage *u, size_t a, size_t b)
{
    size_t ba = a / BR_RID_BLOCK, bb = b / BR_RID_BLOCK;
    if (ba == bb && a % BR_RID_BLOCK != 0 && b % BR_RID_BLOCK != 0) {
        /* both coded against one head: compare where they leave it */
        const unsigned char *h = u->rid + u->rid_at[ba * BR_RID_BLOCK];
        const unsigned char *ea = u->rid + u->rid_at[a], *eb = u->rid + u->rid_at[b];
        size_t sa = ea[0], sb = eb[0], la = sa + ea[1], lb = sb + eb[1];
        if (sa == sb) {
            size_t n = ea[1] < eb[1] ? ea[1] : eb[1];
            int c = memcmp(ea + 2, eb + 2, n);
            return c != 0 ? c : (la > lb) - (la < lb);
        }
        /* the one leaving the head earlier differs from the other there */
        const unsigned char *e = sa < sb ? ea : eb;
        size_t s = sa < sb ? sa : sb;
        int c;
        if (e[1] == 0) /* it ends where it leaves the head: a prefix of the other */
            c = -1;
        else
            c = e[2] < h[1 + s] ? -1 : 1; /* e[2] != head there, by the coding */
        return sa < sb ? c : -c;
    }
    char xa[BR_RID_MAX], xb[BR_RID_MAX];
    size_t na, nb;
    const char *ia = br_usage_rid(u, a, xa, &na);
    const char *ib = br_usage_rid(u, b, xb, &nb);
    int c = memcmp(ia, ib, na < nb ? na : nb);
    return c != 0 ? c : (na > nb) - (na < nb);
}

static bool slot_match(const struct br_usage *u, uint32_t row, int source, const char *id, size_t n)
{
    char buf[BR_RID_MAX];
    size_t len;
    const char *r = br_usage_rid(u, row, buf, &len);
    return len == n && br_item_source(br_usage_item(u, row)) == source && memcmp(r, id, n) == 0;
}

/* Hash to a slot: multiply-shift onto any table size. */
static size_t slot_of(uint64_t h, size_t nslots)
{
    return (size_t)(((br_u128)h * nslots) >> 64);
}

static uint64_t tag(uint64_t h)
{
    return h & 0xFFFFFFFF00000000ULL;
}

void br_usage_prefetch(const struct br_usage *u, uint64_t h)
{
    if (u->nslots)
        __builtin_prefetch(&u->slots[slot_of(h, u->nslots)]);
}

bool br_usage_claimed(const struct br_usage *u, int source, const char *id, size_t n, uint64_t h)
{
    uint32_t dummy;
    if (u->claimed[source].n > 0 && br_strtab_find(&u->claimed[source], id, n, &dummy))
        return true;
    if (u->nslots == 0)
        return false;
    for (size_t i = slot_of(h, u->nslots);; i = i + 1 == u->nslots ? 0 : i + 1) {
        uint64_t v = u->slots[i];
        if (v == 0)
            return false;
        if (tag(v) == tag(h) && slot_match(u, (uint32_t)v - 1, source, id, n))
            return true;
    }
}

enum br_status br_usage_claim_rejected(struct br_usage *u, int source, const char *id, size_t n,
                                       uint32_t *claim)
{
    return br_strtab_intern(&u->claimed[source], id, n, claim);
}

static void slot_put(uint64_t *slots, size_t nslots, uint64_t h, uint32_t row)
{
    size_t i = slot_of(h, nslots);
    while (slots[i] != 0)
        i = i + 1 == nslots ? 0 : i + 1;
    slots[i] = tag(h) | ((uint64_t)row + 1);
}

static enum br_status index_resize(struct br_usage *u, size_t nslots)
{
    uint64_t *slots = slots_alloc(nslots);
    if (slots == NULL)
        return BR_ERR_NOMEM;
    char buf[BR_RID_MAX];
    for (size_t r = 0; r < u->n; r++) {
        size_t len;
        const char *id = br_usage_rid(u, r, buf, &len);
        slot_put(slots, nslots, br_usage_rid_hash(br_item_source(br_usage_item(u, r)), id, len),
                 (uint32_t)r);
    }
    slots_free(u->slots, u->nslots);
    u->slots = slots;
    u->nslots = nslots;
    return BR_OK;
}

static enum br_status index_grow(struct br_usage *u)
{
    return index_resize(u, u->nslots ? u->nslots * 2 : 4096);
}

enum br_status br_usage_reserve(struct br_usage *u, size_t rows)
{
    size_t want = rows / 7 * 10 + 4096;
    return want > u->nslots ? index_resize(u, want) : BR_OK;
}

static enum br_status columns_grow(struct br_usage *u, size_t need)
{
    if (need <= u->cap)
        return BR_OK;
    if (need > u->max_rows)
        return BR_ERR_NOMEM;
    size_t cap = u->cap ? u->cap * 2 : 4096;
    if (cap > u->max_rows)
        cap = u->max_rows;
    size_t c;
    enum br_status st = BR_OK;
    c = u->cap;
    st = st ? st : br_resize((void **)&u->account, &c, cap, sizeof(*u->account));
    c = u->cap;
    st = st ? st : br_resize((void **)&u->key, &c, cap, sizeof(*u->key));
    c = u->cap;
    st = st ? st : br_resize((void **)&u->t32, &c, cap, sizeof(*u->t32));
    c = u->cap;
    st = st ? st : br_resize((void **)&u->qty, &c, cap, sizeof(*u->qty));
    c = u->cap;
    st = st ? st : br_resize((void **)&u->rid_at, &c, cap, sizeof(*u->rid_at));
    if (st == BR_OK)
        u->cap = cap;
    return st;
}

/* Appends row's record id, front-coded against its block's head. */
static enum br_status rid_put(struct br_usage *u, size_t row, const char *id, size_t idn)
{
    if (idn > BR_RID_MAX)
        return BR_ERR_INPUT;
    if (u->rid_len + idn + 2 > UINT32_MAX)
        return BR_ERR_NOMEM;
    enum br_status st = br_grow((void **)&u->rid, &u->rid_cap, u->rid_len + idn + 2, 1, UINT32_MAX);
    if (st != BR_OK)
        return st;
    unsigned char *e = u->rid + u->rid_len;
    u->rid_at[row] = (uint32_t)u->rid_len;
    if (row % BR_RID_BLOCK == 0) {
        e[0] = (unsigned char)idn;
        memcpy(e + 1, id, idn);
        u->rid_len += idn + 1;
        return BR_OK;
    }
    const unsigned char *h = u->rid + u->rid_at[row - row % BR_RID_BLOCK];
    size_t shared = 0, hl = h[0];
    while (shared < hl && shared < idn && h[1 + shared] == (unsigned char)id[shared])
        shared++;
    e[0] = (unsigned char)shared;
    e[1] = (unsigned char)(idn - shared);
    memcpy(e + 2, id + shared, idn - shared);
    u->rid_len += idn - shared + 2;
    return BR_OK;
}

enum br_status br_usage_append(struct br_usage *u, uint32_t account, uint16_t key, int64_t t,
                               uint64_t qty, const char *id, size_t idn, uint64_t h)
{
    enum br_status st = columns_grow(u, u->n + 1);
    if (st != BR_OK)
        return st;
    if ((u->n + 1) * 10 > u->nslots * 7) { /* keep the load under 0.7 */
        st = index_grow(u);
        if (st != BR_OK)
            return st;
    }
    size_t row = u->n;
    st = rid_put(u, row, id, idn);
    if (st != BR_OK)
        return st;
    int64_t rel = t - BR_T32_BASE;
    if (rel >= 0 && rel < (int64_t)BR_T32_FAR) {
        u->t32[row] = (uint32_t)rel;
    } else {
        st = br_grow((void **)&u->far, &u->far_cap, u->nfar + 1, sizeof(*u->far), u->max_rows);
        if (st != BR_OK)
            return st;
        u->far[u->nfar].row = (uint32_t)row;
        u->far[u->nfar].t = t;
        u->nfar++;
        u->t32[row] = BR_T32_FAR;
    }
    u->account[row] = account;
    u->key[row] = key;
    u->qty[row] = qty;
    u->n++;
    slot_put(u->slots, u->nslots, h, (uint32_t)row);
    return BR_OK;
}

int64_t br_usage_t(const struct br_usage *u, size_t row)
{
    uint32_t v = u->t32[row];
    if (v != BR_T32_FAR)
        return BR_T32_BASE + (int64_t)v;
    size_t lo = 0, hi = u->nfar;
    while (lo < hi) { /* rows are appended in order: binary search */
        size_t mid = lo + (hi - lo) / 2;
        if (u->far[mid].row < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    BR_ASSERT(lo < u->nfar && u->far[lo].row == row);
    return u->far[lo].t;
}

void br_usage_drop_index(struct br_usage *u)
{
    slots_free(u->slots, u->nslots);
    u->slots = NULL;
    u->nslots = 0;
}
