/* Rice coding of sorted values, most significant bit first: each gap g
 * from the previous value (from 0 for the first) is g >> k in unary (that
 * many ones, then a zero) followed by its low k bits. The fingerprints of
 * billing.record_ids (docs/record-ids.md) are stored this way: about
 * k + 2 bits a value for gaps of mean about 2^k. */
#ifndef BR_RICE_H
#define BR_RICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most bytes br_rice_encode writes for n values below 2^width. */
size_t br_rice_bound(size_t n, int width, int k);

/* Encodes v[0..n) (ascending) with parameter k (0 to 63) into out (of at
 * least br_rice_bound bytes); returns the bytes written. */
size_t br_rice_encode(const uint64_t *v, size_t n, int k, unsigned char *out);

/* Decodes n values from p[0..len) into out; false when the bytes end first.
 * Reads 64 bits at a time where 8 bytes remain, never past p + len. */
bool br_rice_decode(const unsigned char *p, size_t len, int k, uint32_t n, uint64_t *out);

#endif
