/* Exact integer money arithmetic with 128-bit intermediates. */
#include "money.h"
#include "status.h"

#include <stdio.h>
#include <string.h>

/* num / den where den < 2^64 and the quotient fits 64 bits: one divq on
 * x86-64 instead of the generic 128-bit division routine. */
static inline uint64_t div128_64(br_u128 num, uint64_t den, uint64_t *rem)
{
#if defined(__x86_64__)
    uint64_t q, r;
    __asm__("divq %4"
            : "=a"(q), "=d"(r)
            : "a"((uint64_t)num), "d"((uint64_t)(num >> 64)), "rm"(den));
    *rem = r;
    return q;
#else
    *rem = (uint64_t)(num % den);
    return (uint64_t)(num / den);
#endif
}

bool br_rhu_div(br_u128 num, br_u128 den, int64_t *out)
{
    BR_ASSERT(den > 0);
    if ((den >> 64) == 0 && (uint64_t)(num >> 64) < (uint64_t)den) {
        uint64_t d = (uint64_t)den, r, q;
        if ((num >> 64) == 0) {
            q = (uint64_t)num / d;
            r = (uint64_t)num % d;
        } else {
            q = div128_64(num, d, &r);
        }
        if (q > (uint64_t)INT64_MAX)
            return false;
        if (r >= d - r)
            q++;
        if (q > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)q;
        return true;
    }
    br_u128 q = num / den;
    br_u128 r = num % den;
    if (r >= den - r) /* r >= den/2, exactly: half rounds up */
        q++;
    if (q > (br_u128)INT64_MAX)
        return false;
    *out = (int64_t)q;
    return true;
}

bool br_value_e8(uint64_t qty, int64_t price_e10, uint64_t divisor, int64_t *out)
{
    BR_ASSERT(price_e10 >= 0);
    BR_ASSERT(divisor > 0);
    br_u128 num = (br_u128)qty * (br_u128)(uint64_t)price_e10;
    br_u128 den = (br_u128)divisor * BR_PRICE_TO_E8_DIV;
    return br_rhu_div(num, den, out);
}

int64_t br_units_for_value(int64_t value_e8, int64_t price_e10, uint64_t divisor)
{
    BR_ASSERT(value_e8 >= 0);
    BR_ASSERT(price_e10 > 0);
    br_u128 num = (br_u128)(uint64_t)value_e8 * divisor * BR_PRICE_TO_E8_DIV;
    br_u128 q = num / (br_u128)(uint64_t)price_e10;
    return q > (br_u128)INT64_MAX ? INT64_MAX : (int64_t)q;
}

int64_t br_muldiv_floor(int64_t a, int64_t b, int64_t c)
{
    BR_ASSERT(a >= 0);
    BR_ASSERT(b >= 0);
    BR_ASSERT(c > 0);
    br_u128 q = (br_u128)(uint64_t)a * (uint64_t)b / (uint64_t)c;
    return q > (br_u128)INT64_MAX ? INT64_MAX : (int64_t)q;
}

enum br_num br_dec_parse(const char *s, size_t n, unsigned scale, int64_t *out)
{
    BR_ASSERT(scale <= 18);
    size_t i = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    size_t int_start = i;
    br_u128 v = 0;
    const br_u128 limit = (br_u128)INT64_MAX;
    bool big = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > limit)
            big = true, v = limit + 1; /* keep scanning the syntax */
    }
    if (i == int_start)
        return BR_NUM_SYNTAX;
    unsigned frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t frac_start = i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            frac++;
            if (frac <= scale) {
                v = v * 10 + (unsigned)(s[i] - '0');
                if (v > limit * 10)
                    big = true, v = limit * 10;
            }
        }
        if (i == frac_start)
            return BR_NUM_SYNTAX;
    }
    if (i != n)
        return BR_NUM_SYNTAX;
    if (frac > scale)
        return BR_NUM_FRAC;
    for (unsigned k = frac; k < scale; k++) {
        v *= 10;
        if (v > limit)
            big = true, v = limit + 1;
    }
    if (big || v > limit)
        return BR_NUM_RANGE;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return BR_NUM_OK;
}

enum br_num br_dec_times(const char *s, size_t n, unsigned max_frac, uint64_t mult, int64_t *out)
{
    BR_ASSERT(max_frac <= 18);
    /* mantissa: at most 19 significant integer digits + 18 fractional ones
     * before it is surely too big; kept below 10^37 so it never wraps */
    const br_u128 cap = (br_u128)10000000000000000000ull * 10000000000000000000ull / 10;
    br_u128 m = 0;
    bool big = false;
    size_t i = 0, int_start = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (m < cap)
            m = m * 10 + (unsigned)(s[i] - '0');
        else
            big = true;
    }
    if (i == int_start)
        return BR_NUM_SYNTAX;
    unsigned frac = 0;
    if (i < n && s[i] == '.') {
        size_t frac_start = ++i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            frac++;
            if (m < cap)
                m = m * 10 + (unsigned)(s[i] - '0');
            else
                big = true;
        }
        if (i == frac_start)
            return BR_NUM_SYNTAX;
    }
    if (i != n)
        return BR_NUM_SYNTAX;
    if (frac > max_frac)
        return BR_NUM_FRAC;
    if (big)
        return BR_NUM_RANGE;
    br_u128 den = 1;
    for (unsigned k = 0; k < frac; k++)
        den *= 10;
    /* value * mult = m * mult / den; m < 10^37 and mult < 2^64 may not fit
     * 128 bits, so divide first where it goes evenly */
    br_u128 q = m / den, r = m % den;
    br_u128 limit = (br_u128)INT64_MAX;
    if (mult != 0 && q > limit / mult)
        return BR_NUM_RANGE;
    br_u128 whole = q * mult;
    br_u128 part = r * mult; /* r < 10^18, mult < 2^64: < 2^124 */
    if (part % den != 0)
        return BR_NUM_RANGE; /* not a whole number of base units */
    whole += part / den;
    if (whole > limit)
        return BR_NUM_RANGE;
    *out = (int64_t)whole;
    return BR_NUM_OK;
}

size_t br_e8_format(int64_t e8, char *buf, size_t size)
{
    br_u128 mag = e8 < 0 ? (br_u128)(-(br_i128)e8) : (br_u128)e8;
    int n = snprintf(buf, size, "%s%llu.%08llu", e8 < 0 ? "-" : "",
                     (unsigned long long)(mag / BR_E8), (unsigned long long)(mag % BR_E8));
    BR_ASSERT(n > 0 && (size_t)n < size);
    return (size_t)n;
}

size_t br_scaled_format(br_i128 num, br_u128 den, unsigned decimals, char *buf, size_t size)
{
    BR_ASSERT(den > 0);
    BR_ASSERT(decimals <= 12);
    bool neg = num < 0;
    br_u128 mag = neg ? (br_u128)(-num) : (br_u128)num;
    br_u128 scale = 1;
    for (unsigned k = 0; k < decimals; k++)
        scale *= 10;
    /* rhu(mag * scale / den) without overflow for the magnitudes we use */
    br_u128 whole = mag / den;
    br_u128 rem = mag % den;
    br_u128 fnum = rem * scale;
    br_u128 frac = fnum / den;
    br_u128 r = fnum % den;
    if (r >= den - r)
        frac++;
    if (frac >= scale) {
        frac -= scale;
        whole++;
    }
    int n;
    if (decimals == 0)
        n = snprintf(buf, size, "%s%llu", neg ? "-" : "", (unsigned long long)whole);
    else
        n = snprintf(buf, size, "%s%llu.%0*llu", neg ? "-" : "", (unsigned long long)whole,
                     (int)decimals, (unsigned long long)frac);
    BR_ASSERT(n > 0 && (size_t)n < size);
    return (size_t)n;
}
