/* Fuzz target for decimals (br_dec_parse): the first byte picks the scale
 * (0..18), the rest is the text. The outcome (ok, syntax, too many decimals,
 * out of range) and the value must match the slow reference of
 * fuzz_common.h, which compares digit strings instead of multiplying; an
 * accepted value must also survive br_scaled_format and parse back, and
 * br_dec_times by 10^scale must agree with it. */
#include "fuzz_common.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#endif

int FUZZ_ENTRY(decimal)(const uint8_t *data, size_t size);

int FUZZ_ENTRY(decimal)(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned scale = data[0] % 19u;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    int64_t got = 0, want = 0;
    enum br_num a = br_dec_parse(s, n, scale, &got);
    enum br_num b = fz_dec_parse(s, n, scale, &want);
    FUZZ_CHECK(a == b, "'%.*s' scale %u: %d, reference %d", (int)n, s, scale, (int)a, (int)b);
    /* br_dec_times by 10^scale is br_dec_parse at that scale (no sign) */
    if (n == 0 || s[0] != '-') {
        uint64_t mult = 1;
        for (unsigned k = 0; k < scale; k++)
            mult *= 10;
        int64_t t = 0;
        enum br_num c = br_dec_times(s, n, scale, mult, &t);
        FUZZ_CHECK(c == a && (c != BR_NUM_OK || t == got),
                   "'%.*s' times 10^%u: %d %lld, parse %d %lld", (int)n, s, scale, (int)c,
                   (long long)t, (int)a, (long long)got);
    }
    if (a != BR_NUM_OK)
        return 0;
    FUZZ_CHECK(got == want, "'%.*s' scale %u: %lld, reference %lld", (int)n, s, scale,
               (long long)got, (long long)want);
    /* back to text with `scale` decimals (at most 12 displayable), and parsed again */
    if (scale <= 12) {
        br_u128 den = 1;
        for (unsigned k = 0; k < scale; k++)
            den *= 10;
        char buf[64];
        size_t len = br_scaled_format(got, den, scale, buf, sizeof(buf));
        int64_t back = 0;
        FUZZ_CHECK(br_dec_parse(buf, len, scale, &back) == BR_NUM_OK && back == got,
                   "%lld at scale %u formats as %s", (long long)got, scale, buf);
    }
    return 0;
}
