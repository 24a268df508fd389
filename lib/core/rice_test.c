/* Rice coding (rice.h): round trips of random and adversarial sequences,
 * truncated input, and no read past the end. */
#include "core/rice.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Encodes v, decodes it from a buffer of exactly the encoded length (so a
 * read past the end is caught by ASan), compares. */
static void round_trip(const uint64_t *v, size_t n, int width, int k)
{
    size_t bound = br_rice_bound(n, width, k);
    unsigned char *buf = malloc(bound);
    assert_non_null(buf);
    size_t len = br_rice_encode(v, n, k, buf);
    assert_true(len <= bound);
    unsigned char *exact = malloc(len ? len : 1);
    assert_non_null(exact);
    memcpy(exact, buf, len);
    uint64_t *out = calloc(n + 1, sizeof(*out));
    assert_non_null(out);
    assert_true(br_rice_decode(exact, len, k, (uint32_t)n, out));
    for (size_t i = 0; i < n; i++)
        if (out[i] != v[i])
            fail_msg("value %zu of %zu (k=%d, width=%d): got %llu, want %llu", i, n, k, width,
                     (unsigned long long)out[i], (unsigned long long)v[i]);
    /* one value more than was written: the bytes run out, never a hang */
    if (n > 0 && len > 0) {
        uint64_t *more = calloc(n + 2, sizeof(*more));
        assert_non_null(more);
        br_rice_decode(exact, len, k, (uint32_t)n + 1, more); /* false, or a padding zero */
        free(more);
        /* cut to fewer bits than n values need (k + 1 each): must fail */
        if ((len / 2) * 8 < n * (size_t)(k + 1))
            assert_false(br_rice_decode(exact, len / 2, k, (uint32_t)n, out));
    }
    free(out);
    free(exact);
    free(buf);
}

static void test_random(void **state)
{
    (void)state;
    alarm(60);
    static const size_t sizes[] = {0, 1, 2, 7, 64, 1000, 40000, 262144};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        size_t n = sizes[s];
        uint64_t *v = malloc((n + 1) * sizeof(*v));
        assert_non_null(v);
        for (int width = 10; width <= 36; width += 13) {
            for (size_t i = 0; i < n; i++)
                v[i] = next() >> (64 - width);
            qsort(v, n, sizeof(*v), cmp_u64);
            /* parameters from a little below the mean gap's log2 (long
             * unary runs) to the whole width (no unary at all) */
            int lg = 0;
            while (((size_t)1 << lg) < n + 1)
                lg++;
            int k0 = width - lg - 4 > 0 ? width - lg - 4 : 0;
            for (int k = k0; k <= width; k += k < k0 + 6 ? 1 : 5)
                round_trip(v, n, width, k);
        }
        free(v);
    }
    alarm(0);
}

/* Gaps far longer than a 64-bit window (k = 0 and a huge first value),
 * all-equal values, runs of exactly 31, 32, 63, 64 and 65 ones. */
static void test_adversarial(void **state)
{
    (void)state;
    alarm(60);
    uint64_t one[1] = {(UINT64_C(1) << 20) - 1};
    round_trip(one, 1, 20, 0);
    uint64_t same[100];
    for (int i = 0; i < 100; i++)
        same[i] = 12345;
    round_trip(same, 100, 20, 3);
    round_trip(same, 100, 20, 0);
    static const uint64_t runs[] = {0, 31, 63, 95, 96, 160, 224, 225, 289, 290, 291, 1000, 1064};
    round_trip(runs, sizeof(runs) / sizeof(runs[0]), 11, 0);
    /* gaps of 50 to 70 ones: a run that fills a fresh 64-bit window */
    uint64_t edge[21];
    for (int i = 0; i < 21; i++)
        edge[i] = (i ? edge[i - 1] : 0) + 50 + (uint64_t)i;
    round_trip(edge, 21, 11, 0);
    uint64_t far[4] = {0, 5000, 5001, 100000};
    round_trip(far, 4, 17, 1);
    round_trip(far, 4, 17, 16);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_adversarial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
