/* Usage columns, the record id index and rate keys. */
#include "ingest/usage.h"

#include "core/book.h"
#include "core/money.h"

#include <stdlib.h>
#include <string.h>

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
    free(u->rid_end);
    free(u->rid);
    free(u->far);
    free(u->slots);
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
static uint64_t rid_hash(int source, const char *id, size_t n)
{
    return br_hash_bytes(id, n) ^ (source ? 0x9E3779B97F4A7C15ULL : 0);
}

static bool slot_match(const struct br_usage *u, uint32_t row, int source, const char *id, size_t n)
{
    size_t len;
    const char *r = br_usage_rid(u, row, &len);
    return len == n && br_item_source(br_usage_item(u, row)) == source && memcmp(r, id, n) == 0;
}

/* Hash to a slot: multiply-shift onto any table size (not only powers of 2),
 * so the index can grow by 1.5x and stay near its maximum load. */
static size_t slot_of(uint64_t h, size_t nslots)
{
    return (size_t)(((br_u128)h * nslots) >> 64);
}

bool br_usage_claimed(const struct br_usage *u, int source, const char *id, size_t n)
{
    uint32_t dummy;
    if (br_strtab_find(&u->claimed[source], id, n, &dummy))
        return true;
    if (u->nslots == 0)
        return false;
    for (size_t i = slot_of(rid_hash(source, id, n), u->nslots);;
         i = i + 1 == u->nslots ? 0 : i + 1) {
        uint32_t v = u->slots[i];
        if (v == 0)
            return false;
        if (slot_match(u, v - 1, source, id, n))
            return true;
    }
}

enum br_status br_usage_claim_rejected(struct br_usage *u, int source, const char *id, size_t n)
{
    uint32_t dummy;
    return br_strtab_intern(&u->claimed[source], id, n, &dummy);
}

static void slot_put(uint32_t *slots, size_t nslots, uint64_t h, uint32_t row)
{
    size_t i = slot_of(h, nslots);
    while (slots[i] != 0)
        i = i + 1 == nslots ? 0 : i + 1;
    slots[i] = row + 1;
}

static enum br_status index_grow(struct br_usage *u)
{
    size_t nslots = u->nslots ? u->nslots + u->nslots / 2 : 4096;
    uint32_t *slots = calloc(nslots, sizeof(*slots));
    if (slots == NULL)
        return BR_ERR_NOMEM;
    for (size_t r = 0; r < u->n; r++) {
        size_t len;
        const char *id = br_usage_rid(u, r, &len);
        slot_put(slots, nslots, rid_hash(br_item_source(br_usage_item(u, r)), id, len),
                 (uint32_t)r);
    }
    free(u->slots);
    u->slots = slots;
    u->nslots = nslots;
    return BR_OK;
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
    st = st ? st : br_resize((void **)&u->rid_end, &c, cap, sizeof(*u->rid_end));
    if (st == BR_OK)
        u->cap = cap;
    return st;
}

enum br_status br_usage_append(struct br_usage *u, uint32_t account, uint16_t key, int64_t t,
                               uint64_t qty, const char *id, size_t idn)
{
    enum br_status st = columns_grow(u, u->n + 1);
    if (st != BR_OK)
        return st;
    if (u->rid_len + idn > UINT32_MAX)
        return BR_ERR_NOMEM;
    st = br_grow((void **)&u->rid, &u->rid_cap, u->rid_len + idn, 1, UINT32_MAX);
    if (st != BR_OK)
        return st;
    if ((u->n + 1) * 20 > u->nslots * 17) { /* keep the load under 0.85 */
        st = index_grow(u);
        if (st != BR_OK)
            return st;
    }
    size_t row = u->n;
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
    memcpy(u->rid + u->rid_len, id, idn);
    u->rid_len += idn;
    u->account[row] = account;
    u->key[row] = key;
    u->qty[row] = qty;
    u->rid_end[row] = (uint32_t)u->rid_len;
    u->n++;
    slot_put(u->slots, u->nslots, rid_hash(br_item_source(u->keys[key].item), id, idn),
             (uint32_t)row);
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
    free(u->slots);
    u->slots = NULL;
    u->nslots = 0;
}
