/* Time: RFC 3339 parsing to UTC seconds, and the billing calendar (a fixed
 * UTC offset) that maps instants to periods, days and times of day. */
#ifndef BR_BTIME_H
#define BR_BTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BR_DAY_S 86400
#define BR_HOUR_S 3600

/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
int64_t br_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The inverse of br_days_from_civil. */
void br_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Parses an RFC 3339 timestamp at exactly second resolution:
 * YYYY-MM-DDTHH:MM:SS followed by Z or +HH:MM / -HH:MM ('t' and 'z' accepted
 * in lower case as RFC 3339 allows). No fractional seconds, no leap second
 * (:60). Returns false when the text is not such a timestamp or names a date
 * that does not exist. *out is seconds since 1970-01-01T00:00:00Z. */
bool br_time_parse(const char *s, size_t n, int64_t *out);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" (or with the offset, when offset_s != 0,
 * as local time "+HH:MM"). buf >= 32. Returns the length. */
size_t br_time_format(int64_t t, int32_t offset_s, char *buf, size_t size);

/* "HH:MM" -> seconds of the day, 00:00..23:59; 24:00 only when allow_24. */
bool br_tod_parse(const char *s, size_t n, bool allow_24, int32_t *out);

/* "+HH:MM" / "-HH:MM" -> seconds east of UTC. */
bool br_offset_parse(const char *s, size_t n, int32_t *out);

/* A billing period is a month of the billing calendar, numbered
 * year * 12 + (month - 1). */
typedef int32_t br_period;

/* The billing calendar: a fixed offset east of UTC (no DST). */
struct br_calendar {
    int32_t offset_s;
};

static inline int64_t br_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Local day number (days since 1970-01-01 in the billing calendar). */
static inline int64_t br_local_day(const struct br_calendar *cal, int64_t t)
{
    return br_floor_div(t + cal->offset_s, BR_DAY_S);
}

/* Seconds since local midnight, 0..86399. */
static inline int32_t br_local_tod(const struct br_calendar *cal, int64_t t)
{
    int64_t l = t + cal->offset_s;
    return (int32_t)(l - br_floor_div(l, BR_DAY_S) * BR_DAY_S);
}

br_period br_period_of(const struct br_calendar *cal, int64_t t);
br_period br_period_of_day(int64_t local_day);
/* The first instant (UTC seconds) of a period in the calendar. */
int64_t br_period_start(const struct br_calendar *cal, br_period p);
/* The instant a local day starts. */
static inline int64_t br_day_start(const struct br_calendar *cal, int64_t local_day)
{
    return local_day * BR_DAY_S - cal->offset_s;
}

/* "YYYY-MM" <-> period. */
bool br_period_parse(const char *s, size_t n, br_period *out);
size_t br_period_format(br_period p, char *buf, size_t size);
/* "YYYY-MM-DD" of a day number. */
size_t br_day_format(int64_t day, char *buf, size_t size);

#endif
