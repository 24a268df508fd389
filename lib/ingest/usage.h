/* Usage rows as columns (struct of arrays): what rating needs of every
 * accepted EAS and OSS row, ~22 bytes per row plus its record id, front-coded
 * against the first id of its block of BR_RID_BLOCK rows. */
#ifndef BR_USAGE_H
#define BR_USAGE_H

#include "core/items.h"
#include "core/mem.h"

#include <stdbool.h>
#include <stdint.h>

/* Times are kept as 32-bit seconds since 2000-01-01T00:00:00Z; the rare time
 * outside [2000, 2136) goes to a side list (t32 = BR_T32_FAR). */
#define BR_T32_BASE 946684800LL
#define BR_T32_FAR UINT32_MAX

/* A rate key names what prices a row: an item and a spec (the exact spec when
 * the price book has rows for it, else BR_SPEC_ANY). */
struct br_rate_key {
    enum br_item item;
    uint32_t spec;
};

struct br_usage {
    size_t n, cap, max_rows;
    uint32_t *account; /* account number in the book */
    uint16_t *key;     /* index into keys */
    uint32_t *t32;     /* charge time (start) */
    uint64_t *qty;     /* gpu_ms (shared), seconds (exclusive), value (OSS) */
    uint32_t *rid_at;  /* offset of row i's record id entry in rid[] */
    unsigned char *rid;
    size_t rid_len, rid_cap;
    struct br_usage_far {
        uint32_t row;
        int64_t t;
    } * far;
    size_t nfar, far_cap;
    /* record id index over accepted rows: per slot the id hash's top 32 bits
     * and row + 1 in the low 32 bits (0 = empty): one cache line per probe, and
     * an id compared only when 32 bits of its hash match */
    uint64_t *slots;
    size_t nslots;
    /* record ids claimed by rejected rows, per source (0 EAS, 1 OSS) */
    struct br_strtab claimed[2];
    struct br_rate_key *keys;
    size_t nkeys, keys_cap;
    struct br_strtab key_index;
};

void br_usage_init(struct br_usage *u, size_t max_rows);
void br_usage_free(struct br_usage *u);

/* 0 for EAS items, 1 for OSS items: record ids are unique per source. */
static inline int br_item_source(enum br_item item)
{
    return item <= BR_ITEM_COMPUTE_EXCLUSIVE ? 0 : 1;
}

enum br_status br_usage_key(struct br_usage *u, enum br_item item, uint32_t spec, uint16_t *out);

/* The hash of a record id in a source (0 EAS, 1 OSS), for the calls below. */
uint64_t br_usage_rid_hash(int source, const char *id, size_t n);

/* Is record id `id` (with hash h) already claimed in `source` (by a kept or
 * rejected row)? */
bool br_usage_claimed(const struct br_usage *u, int source, const char *id, size_t n, uint64_t h);

/* Prefetches the index slot of hash h (call as early as the id is known). */
void br_usage_prefetch(const struct br_usage *u, uint64_t h);

/* Sizes the record id index for about `rows` rows (avoids rehashing). */
enum br_status br_usage_reserve(struct br_usage *u, size_t rows);
/* Claims id for a rejected row; *claim is its number among the source's
 * claimed ids (br_strtab_get(&u->claimed[source], claim)). */
enum br_status br_usage_claim_rejected(struct br_usage *u, int source, const char *id, size_t n,
                                       uint32_t *claim);

/* Appends an accepted row and claims its id. */
enum br_status br_usage_append(struct br_usage *u, uint32_t account, uint16_t key, int64_t t,
                               uint64_t qty, const char *id, size_t idn, uint64_t h);

int64_t br_usage_t(const struct br_usage *u, size_t row);

#define BR_RID_BLOCK 32
#define BR_RID_MAX 255

/* The record id of a row: a pointer to it (into the columns, or into buf
 * when it had to be decoded), and its length. buf must hold BR_RID_MAX. */
const char *br_usage_rid(const struct br_usage *u, size_t row, char *buf, size_t *len);
static inline enum br_item br_usage_item(const struct br_usage *u, size_t row)
{
    return u->keys[u->key[row]].item;
}

/* Compares the record ids of two rows in byte order (shorter first when one
 * is a prefix of the other): <0, 0, >0. Cheap when both lie in one block. */
int br_usage_rid_cmp(const struct br_usage *u, size_t a, size_t b);

/* Drops the record id index (after ingest, to give its memory back). */
void br_usage_drop_index(struct br_usage *u);

#endif
