/* Fuzz target for RFC 3339 timestamps (br_time_parse): acceptance and value
 * must match the slow reference of fuzz_common.h (years counted one by one),
 * and an accepted text must come back from br_time_format: in its own offset
 * as the same text (T and Z in capitals), and in UTC as an instant that
 * parses to the same value. The same bytes also go through br_tod_parse and
 * br_offset_parse against their definitions. */
#include "fuzz_common.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#endif

static void time_check_tod(const char *s, size_t n)
{
    for (int allow_24 = 0; allow_24 < 2; allow_24++) {
        int32_t got = -1;
        bool ok = br_tod_parse(s, n, allow_24 != 0, &got);
        int h = 0, m = 0;
        bool want = n == 5 && s[2] == ':' && fz_num(s, 2, &h) && fz_num(s + 3, 2, &m) &&
                    ((h <= 23 && m <= 59) || (allow_24 && h == 24 && m == 0));
        FUZZ_CHECK(ok == want, "tod %.*s: %d, want %d", (int)n, s, ok, want);
        FUZZ_CHECK(!ok || got == h * 3600 + m * 60, "tod %.*s = %d", (int)n, s, got);
    }
    int32_t off = 0;
    bool ok = br_offset_parse(s, n, &off);
    int oh = 0, om = 0;
    bool want = n == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' && fz_num(s + 1, 2, &oh) &&
                fz_num(s + 4, 2, &om) && oh <= 23 && om <= 59;
    FUZZ_CHECK(ok == want, "offset %.*s: %d, want %d", (int)n, s, ok, want);
    FUZZ_CHECK(!ok || off == (s[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60), "offset value");
}

int FUZZ_ENTRY(time)(const uint8_t *data, size_t size);

int FUZZ_ENTRY(time)(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    if (size > 64)
        return 0;
    time_check_tod(s, size);
    int64_t got = 0, want = 0;
    int32_t off = 0;
    bool ok = br_time_parse(s, size, &got);
    bool ref = fz_time_parse(s, size, &want, &off);
    FUZZ_CHECK(ok == ref, "%.*s: parse %d, reference %d", (int)size, s, ok, ref);
    if (!ok)
        return 0;
    FUZZ_CHECK(got == want, "%.*s: %lld, reference %lld", (int)size, s, (long long)got,
               (long long)want);
    /* in its own offset: the same text (an offset of zero is written Z) */
    char buf[48];
    size_t n = br_time_format(got, off, buf, sizeof(buf));
    char norm[32];
    memcpy(norm, s, size);
    norm[10] = 'T';
    if (size == 20 || off == 0) {
        norm[19] = 'Z';
        FUZZ_CHECK(n == 20 && memcmp(buf, norm, 20) == 0, "%.*s formats as %s", (int)size, s, buf);
    } else {
        FUZZ_CHECK(n == 25 && memcmp(buf, norm, 25) == 0, "%.*s formats as %s", (int)size, s, buf);
    }
    int64_t back = 0;
    FUZZ_CHECK(br_time_parse(buf, n, &back) && back == got, "%s does not parse back", buf);
    /* in UTC: parses back to the same instant while the year has 4 digits */
    n = br_time_format(got, 0, buf, sizeof(buf));
    if (got < 253402300800LL) /* 10000-01-01T00:00:00Z */
        FUZZ_CHECK(br_time_parse(buf, n, &back) && back == got, "%s (UTC) does not parse back",
                   buf);
    else
        FUZZ_CHECK(n == 21, "%s: a year past 9999 in UTC", buf);
    return 0;
}
