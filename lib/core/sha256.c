/* SHA-256 wrapper over EVP. */
#include "sha256.h"

#include <openssl/evp.h>

int br_sha256_init(struct br_sha256 *h)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        h->ctx = NULL;
        return -1;
    }
    h->ctx = c;
    return 0;
}

int br_sha256_update(struct br_sha256 *h, const void *p, size_t n)
{
    return EVP_DigestUpdate(h->ctx, p, n) == 1 ? 0 : -1;
}

int br_sha256_final(struct br_sha256 *h, uint8_t out[32])
{
    unsigned len = 0;
    int ok = EVP_DigestFinal_ex(h->ctx, out, &len) == 1 && len == 32;
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
    return ok ? 0 : -1;
}

int br_sha256_digest(struct br_sha256 *h, const void *p, size_t n, uint8_t out[32])
{
    unsigned len = 0;
    if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(h->ctx, p, n) != 1 ||
        EVP_DigestFinal_ex(h->ctx, out, &len) != 1 || len != 32)
        return -1;
    return 0;
}

void br_sha256_abort(struct br_sha256 *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void br_hex32(const uint8_t in[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[64] = '\0';
}
