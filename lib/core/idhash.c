/* Record id hashes (idhash.h). */
#include "core/idhash.h"

#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static inline uint64_t fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t br_id_hash(const char *id, size_t n, int which)
{
    uint64_t h = (FNV_BASIS ^ (uint64_t)which) * FNV_PRIME;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)id[i]) * FNV_PRIME;
    return fmix64(h);
}

void br_id_hash2(const char *id, size_t n, uint64_t *h1, uint64_t *h2)
{
    uint64_t a = (FNV_BASIS ^ 1u) * FNV_PRIME, b = (FNV_BASIS ^ 2u) * FNV_PRIME;
    for (size_t i = 0; i < n; i++) {
        a = (a ^ (unsigned char)id[i]) * FNV_PRIME;
        b = (b ^ (unsigned char)id[i]) * FNV_PRIME;
    }
    *h1 = fmix64(a);
    *h2 = fmix64(b);
}
