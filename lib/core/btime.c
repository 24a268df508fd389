/* RFC 3339 timestamps and the billing calendar, in exact integer seconds. */
#include "btime.h"
#include "status.h"

#include <stdio.h>

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t br_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void br_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static bool digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

bool br_offset_parse(const char *s, size_t n, int32_t *out)
{
    unsigned oh, om;
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
        return false;
    if (!digits(s + 1, 2, &oh) || !digits(s + 4, 2, &om) || oh > 23 || om > 59)
        return false;
    int32_t v = (int32_t)(oh * 3600 + om * 60);
    *out = s[0] == '-' ? -v : v;
    return true;
}

bool br_time_parse(const char *s, size_t n, int64_t *out)
{
    /* YYYY-MM-DDTHH:MM:SS then Z (20 bytes) or +HH:MM (25 bytes) */
    if (n != 20 && n != 25)
        return false;
    unsigned y, mo, d, h, mi, se;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
        return false;
    int32_t off = 0;
    if (n == 20) {
        if (s[19] != 'Z' && s[19] != 'z')
            return false;
    } else if (!br_offset_parse(s + 19, 6, &off)) {
        return false;
    }
    int64_t days = br_days_from_civil(y, mo, d);
    *out = days * BR_DAY_S + (int64_t)h * 3600 + mi * 60 + se - off;
    /* year 0 and before does not exist for PostgreSQL: refuse it */
    return *out >= br_days_from_civil(1, 1, 1) * BR_DAY_S;
}

size_t br_time_format(int64_t t, int32_t offset_s, char *buf, size_t size)
{
    int64_t l = t + offset_s;
    int64_t day = br_floor_div(l, BR_DAY_S);
    int64_t sod = l - day * BR_DAY_S;
    int64_t y;
    unsigned m, d;
    br_civil_from_days(day, &y, &m, &d);
    int n;
    if (offset_s == 0) {
        n = snprintf(buf, size, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", (long long)y, m, d,
                     (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60));
    } else {
        int32_t a = offset_s < 0 ? -offset_s : offset_s;
        n = snprintf(buf, size, "%04lld-%02u-%02uT%02lld:%02lld:%02lld%c%02d:%02d", (long long)y, m,
                     d, (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60),
                     offset_s < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    }
    BR_ASSERT(n > 0 && (size_t)n < size);
    return (size_t)n;
}

bool br_tod_parse(const char *s, size_t n, bool allow_24, int32_t *out)
{
    unsigned h, m;
    if (n != 5 || s[2] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &m))
        return false;
    if (h == 24 && m == 0 && allow_24) {
        *out = BR_DAY_S;
        return true;
    }
    if (h > 23 || m > 59)
        return false;
    *out = (int32_t)(h * 3600 + m * 60);
    return true;
}

br_period br_period_of_day(int64_t local_day)
{
    int64_t y;
    unsigned m, d;
    br_civil_from_days(local_day, &y, &m, &d);
    return (br_period)(y * 12 + (int64_t)m - 1);
}

br_period br_period_of(const struct br_calendar *cal, int64_t t)
{
    return br_period_of_day(br_local_day(cal, t));
}

int64_t br_period_start(const struct br_calendar *cal, br_period p)
{
    int64_t y = br_floor_div(p, 12);
    unsigned m = (unsigned)(p - y * 12) + 1;
    return br_day_start(cal, br_days_from_civil(y, m, 1));
}

bool br_period_parse(const char *s, size_t n, br_period *out)
{
    unsigned y, m;
    if (n != 7 || s[4] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) || m < 1 || m > 12)
        return false;
    *out = (br_period)(y * 12 + m - 1);
    return true;
}

size_t br_period_format(br_period p, char *buf, size_t size)
{
    int64_t y = br_floor_div(p, 12);
    int n = snprintf(buf, size, "%04lld-%02d", (long long)y, (int)(p - y * 12) + 1);
    BR_ASSERT(n > 0 && (size_t)n < size);
    return (size_t)n;
}

size_t br_day_format(int64_t day, char *buf, size_t size)
{
    int64_t y;
    unsigned m, d;
    br_civil_from_days(day, &y, &m, &d);
    int n = snprintf(buf, size, "%04lld-%02u-%02u", (long long)y, m, d);
    BR_ASSERT(n > 0 && (size_t)n < size);
    return (size_t)n;
}
