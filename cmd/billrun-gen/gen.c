/* billrun-gen support: the PRNG, civil time, and the buffered CSV writer. */
#include "gen.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *const gen_bad_names[GEN_BAD_COUNT] = {
    "none",
    "bad_field_count",
    "bad_timestamp",
    "bad_number",
    "negative_quantity",
    "end_before_start",
    "interval_too_long",
    "not_hour_aligned",
    "unknown_enum",
    "unknown_account",
    "bad_account_id",
    "duplicate_record",
    "field_too_long",
    "bad_utf8",
};

_Noreturn void gen_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("billrun-gen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ---- PRNG ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t gen_mix(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xD6E8FEB86659FD93ULL);
    uint64_t h = splitmix64(&x);
    return h ^ splitmix64(&x);
}

void gen_rng_init(struct gen_rng *r, uint64_t seed, uint64_t k1, uint64_t k2, uint64_t k3)
{
    uint64_t x = gen_mix(gen_mix(gen_mix(seed, k1), k2), k3);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gen_rng_next(struct gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double gen_rng_unit(struct gen_rng *r)
{
    return (double)(gen_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t gen_rng_below(struct gen_rng *r, uint64_t n)
{
    /* The modulo bias (< n / 2^64) does not matter for synthetic data. */
    return gen_rng_next(r) % n;
}

int64_t gen_rng_range(struct gen_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)gen_rng_below(r, (uint64_t)(hi - lo) + 1);
}

double gen_rng_normal(struct gen_rng *r)
{
    double u1 = 1.0 - gen_rng_unit(r); /* (0, 1] */
    double u2 = gen_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

bool gen_rng_chance(struct gen_rng *r, double p)
{
    return gen_rng_unit(r) < p;
}

/* ---- Civil time (Howard Hinnant's algorithms) ---- */

int64_t gen_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t gen_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = gen_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (int64_t)(m + (m > 2 ? -3 : 9));
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void gen_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = gen_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

unsigned gen_weekday(int64_t day)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    int64_t w = (day + 3) % 7;
    return (unsigned)(w < 0 ? w + 7 : w);
}

static const char digits2[] = "00010203040506070809"
                              "10111213141516171819"
                              "20212223242526272829"
                              "30313233343536373839"
                              "40414243444546474849"
                              "50515253545556575859"
                              "60616263646566676869"
                              "70717273747576777879"
                              "80818283848586878889"
                              "90919293949596979899";

static char *put2(char *p, unsigned v)
{
    memcpy(p, digits2 + 2 * v, 2);
    return p + 2;
}

static char *put_date(char *p, int64_t day, bool dashes)
{
    int64_t y;
    unsigned m, d;
    gen_civil_from_days(day, &y, &m, &d);
    p = put2(p, (unsigned)(y / 100));
    p = put2(p, (unsigned)(y % 100));
    if (dashes)
        *p++ = '-';
    p = put2(p, m);
    if (dashes)
        *p++ = '-';
    return put2(p, d);
}

size_t gen_fmt_time(char *dst, int64_t t, int32_t offset_s)
{
    int64_t l = t + offset_s;
    int64_t day = gen_floor_div(l, GEN_DAY_S);
    unsigned sod = (unsigned)(l - day * GEN_DAY_S);
    char *p = put_date(dst, day, true);
    *p++ = 'T';
    p = put2(p, sod / 3600);
    *p++ = ':';
    p = put2(p, sod / 60 % 60);
    *p++ = ':';
    p = put2(p, sod % 60);
    if (offset_s == 0) {
        *p++ = 'Z';
    } else {
        int32_t a = offset_s < 0 ? -offset_s : offset_s;
        *p++ = offset_s < 0 ? '-' : '+';
        p = put2(p, (unsigned)(a / 3600));
        *p++ = ':';
        p = put2(p, (unsigned)(a / 60 % 60));
    }
    return (size_t)(p - dst);
}

size_t gen_fmt_day_compact(char *dst, int64_t day)
{
    return (size_t)(put_date(dst, day, false) - dst);
}

/* ---- Output ---- */

void gen_out_open(struct gen_out *o, const char *dir, const char *name)
{
    memset(o, 0, sizeof(*o));
    int n = snprintf(o->path, sizeof(o->path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(o->path))
        gen_die("output path too long: %s/%s", dir, name);
    o->buf = malloc(GEN_OUT_BUF_BYTES);
    if (o->buf == NULL)
        gen_die("out of memory");
    o->f = fopen(o->path, "wb");
    if (o->f == NULL)
        gen_die("cannot create %s: %s", o->path, strerror(errno));
}

static void out_flush(struct gen_out *o)
{
    if (o->n > 0 && fwrite(o->buf, 1, o->n, o->f) != o->n)
        gen_die("write to %s failed: %s", o->path, strerror(errno));
    o->bytes += o->n;
    o->n = 0;
}

void gen_out_close(struct gen_out *o)
{
    out_flush(o);
    if (fclose(o->f) != 0)
        gen_die("close of %s failed: %s", o->path, strerror(errno));
    o->f = NULL;
    free(o->buf);
    o->buf = NULL;
}

char *gen_out_reserve(struct gen_out *o)
{
    if (GEN_OUT_BUF_BYTES - o->n < GEN_ROW_MAX_BYTES)
        out_flush(o);
    return o->buf + o->n;
}

void gen_out_commit(struct gen_out *o, const char *end)
{
    size_t n = (size_t)(end - (o->buf + o->n));
    if (n > GEN_ROW_MAX_BYTES)
        gen_die("internal error: a row of %zu bytes overran its reservation", n);
    o->n += n;
}

char *gen_put_mem(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

char *gen_put_str(char *p, const char *s)
{
    return gen_put_mem(p, s, strlen(s));
}

char *gen_put_csv(char *p, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL)
        return gen_put_str(p, s);
    *p++ = '"';
    for (; *s != '\0'; s++) {
        if (*s == '"')
            *p++ = '"';
        *p++ = *s;
    }
    *p++ = '"';
    return p;
}

char *gen_put_u64(char *p, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

char *gen_put_u64w(char *p, uint64_t v, unsigned width)
{
    char tmp[24];
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n < width && n < sizeof(tmp))
        tmp[n++] = '0';
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

char *gen_put_fen(char *p, int64_t fen)
{
    if (fen < 0) {
        *p++ = '-';
        fen = -fen;
    }
    p = gen_put_u64(p, (uint64_t)(fen / 100));
    unsigned cents = (unsigned)(fen % 100);
    if (cents != 0) {
        *p++ = '.';
        *p++ = (char)('0' + cents / 10);
        if (cents % 10 != 0)
            *p++ = (char)('0' + cents % 10);
    }
    return p;
}

char *gen_put_account(char *p, uint32_t account)
{
    p = gen_put_mem(p, "acc-", 4);
    return gen_put_u64w(p, account, 6);
}
