/* The two 64-bit hashes billrun keeps of a usage row's record id, to
 * remember which ids it billed (corrections.md section 1). Defined so that
 * SQL can compute them too (billing.record_id_hash in sql/002_views.sql):
 * FNV-1a 64 over one byte `which` (1 or 2) and then the id's bytes, then
 * MurmurHash3's 64-bit finaliser. Not a cryptographic hash: record ids come
 * from the provider's own exports, and the two hashes together are 128 bits
 * against accidental collisions. */
#ifndef BR_IDHASH_H
#define BR_IDHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t br_id_hash(const char *id, size_t n, int which);

/* Both hashes in one pass (as fast as one: the two chains interleave). */
void br_id_hash2(const char *id, size_t n, uint64_t *h1, uint64_t *h2);

#endif
