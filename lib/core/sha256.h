/* SHA-256 through OpenSSL's libcrypto (hardware-accelerated, well kept). */
#ifndef BR_SHA256_H
#define BR_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct br_sha256 {
    void *ctx; /* EVP_MD_CTX */
};

/* All return 0 on success, -1 if libcrypto fails (out of memory). */
int br_sha256_init(struct br_sha256 *h);
int br_sha256_update(struct br_sha256 *h, const void *p, size_t n);
/* Writes 32 bytes and releases the context. */
int br_sha256_final(struct br_sha256 *h, uint8_t out[32]);
/* The digest of p[0, n) alone, reusing h (from br_sha256_init, not yet
 * finalised) for one digest after another: h stays usable, and is released
 * by br_sha256_abort. */
int br_sha256_digest(struct br_sha256 *h, const void *p, size_t n, uint8_t out[32]);
void br_sha256_abort(struct br_sha256 *h);
/* Lower-case hex of 32 bytes into out[65]. */
void br_hex32(const uint8_t in[32], char out[65]);

#endif
