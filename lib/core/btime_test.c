/* Unit tests of core/btime: RFC 3339 parsing and formatting, times of day,
 * offsets and the billing calendar (UTC+8 month boundaries, times before 1970). */
#include "core/btime.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define T_2026_11_30_16Z 1796054400LL /* = 2026-12-01T00:00:00+08:00 */
#define T_2026_11_26_010203Z 1795654923LL

static const struct br_calendar CAL8 = {28800};
static const struct br_calendar CAL0 = {0};

static bool tparse(const char *s, int64_t *out)
{
    return br_time_parse(s, strlen(s), out);
}

static int64_t t_ok(const char *s)
{
    int64_t t = 0;
    if (!tparse(s, &t))
        fail_msg("\"%s\" should parse", s);
    return t;
}

static void t_bad(const char *s)
{
    int64_t t;
    if (tparse(s, &t))
        fail_msg("\"%s\" should be refused", s);
}

static br_period P(int y, int m)
{
    return (br_period)(y * 12 + m - 1);
}

static void test_time_parse_zones(void **state)
{
    (void)state;
    assert_int_equal(t_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(t_ok("2000-01-01T00:00:00Z"), 946684800);
    assert_int_equal(t_ok("2026-11-26T01:02:03Z"), T_2026_11_26_010203Z);
    assert_int_equal(t_ok("2026-11-26t01:02:03z"), T_2026_11_26_010203Z);
    assert_int_equal(t_ok("2026-11-26T01:02:03+00:00"), T_2026_11_26_010203Z);
    assert_int_equal(t_ok("2026-11-26T01:02:03-00:00"), T_2026_11_26_010203Z);
    assert_int_equal(t_ok("2026-11-26T09:02:03+08:00"), T_2026_11_26_010203Z);
    assert_int_equal(t_ok("2026-11-25T19:32:03-05:30"), T_2026_11_26_010203Z);
    assert_int_equal(t_ok("2026-11-05T00:00:00-05:30"), 1793856600); /* 05:30Z */
    assert_int_equal(t_ok("2026-11-26T01:02:03+23:59"), T_2026_11_26_010203Z - 86340);
    /* the UTC+8 day boundary */
    assert_int_equal(t_ok("2026-12-01T00:00:00+08:00"), T_2026_11_30_16Z);
    assert_int_equal(t_ok("2026-11-30T16:00:00Z"), T_2026_11_30_16Z);
}

static void test_time_parse_dates(void **state)
{
    (void)state;
    assert_int_equal(t_ok("2024-02-29T00:00:00Z"), 1709164800);
    t_ok("2000-02-29T00:00:00Z");
    t_bad("2026-02-29T00:00:00Z");
    t_bad("1900-02-29T00:00:00Z");
    t_bad("2100-02-29T00:00:00Z");
    t_bad("2026-02-30T00:00:00Z");
    t_bad("2026-04-31T00:00:00Z");
    t_ok("2026-12-31T23:59:59Z");
    t_bad("2026-13-01T00:00:00Z");
    t_bad("2026-00-01T00:00:00Z");
    t_bad("2026-11-00T00:00:00Z");
    t_bad("2026-11-32T00:00:00Z");
    assert_int_equal(t_ok("0001-01-01T00:00:00Z"), -62135596800);
    assert_int_equal(t_ok("9999-12-31T23:59:59Z"), 253402300799);
    /* year 0 does not exist for PostgreSQL, also not after normalising */
    t_bad("0000-01-01T00:00:00Z");
    t_bad("0000-12-31T23:59:59Z");
    t_bad("0001-01-01T00:00:00+00:01");
    assert_int_equal(t_ok("1969-12-31T23:59:59Z"), -1);
}

static void test_time_parse_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2026-11-05T24:00:00Z",
        "2026-11-05T23:60:00Z",
        "2016-12-31T23:59:60Z",
        "2026-11-05T00:00:00.5Z",
        "2026-11-05T00:00:00.000Z",
        "2026-11-05T00:00:00",
        "2026-11-05T00:00:00+24:00",
        "2026-11-05T00:00:00-24:00",
        "2026-11-05T00:00:00+08:60",
        "2026-11-05T00:00:00+0800",
        "2026-11-05T00:00:00+08",
        "2026-11-05 00:00:00Z",
        "2026-11-05",
        "2026-1-05T00:00:00Z",
        "2026-11-05T0:00:00Z",
        "2026-11-05T00:00:00ZZ",
        "2026-11-05T00:00:00z ",
        " 2026-11-05T00:00:00Z",
        "2026/11/05T00:00:00Z",
        "2026-11-0aT00:00:00Z",
        "+2026-11-05T00:00:00Z",
        "2026-11-05T00:00:00UTC",
        "2026-11-05T00:00:00X",
        "",
        "2026-11-05T00:00:00 08:00",
        "2026-11-05T00:00:00*08:00",
        "2026-11-05T00:00:00+08-00",
        "2026-11-05T00:00:00+-8:00",
        "20261105T000000Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        t_bad(bad[i]);
}

static void check_format(int64_t t, int32_t off, const char *want)
{
    char buf[32];
    size_t n = br_time_format(t, off, buf, sizeof(buf));
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
    int64_t back;
    assert_true(br_time_parse(buf, n, &back));
    assert_int_equal(back, t);
}

static void test_time_format(void **state)
{
    (void)state;
    check_format(T_2026_11_30_16Z, 0, "2026-11-30T16:00:00Z");
    check_format(T_2026_11_30_16Z, 28800, "2026-12-01T00:00:00+08:00");
    check_format(T_2026_11_30_16Z, -19800, "2026-11-30T10:30:00-05:30");
    check_format(0, 0, "1970-01-01T00:00:00Z");
    check_format(-1, 0, "1969-12-31T23:59:59Z");
    check_format(-1, 28800, "1970-01-01T07:59:59+08:00");
    check_format(-62135596800, 0, "0001-01-01T00:00:00Z");
    check_format(253402300799, 0, "9999-12-31T23:59:59Z");
}

static void test_time_round_trip(void **state)
{
    (void)state;
    static const int32_t offs[] = {0, 28800, -19800, 86340, -86340};
    char buf[32];
    for (int64_t t = -62135596800 + 86400; t < 253402300799 - 86400; t += 7777777 * 13 + 1) {
        for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
            size_t n = br_time_format(t, offs[k], buf, sizeof(buf));
            int64_t back;
            if (!br_time_parse(buf, n, &back) || back != t)
                fail_msg("round trip of %lld at %d: %s", (long long)t, offs[k], buf);
        }
    }
}

static bool tod(const char *s, bool allow_24, int32_t *out)
{
    return br_tod_parse(s, strlen(s), allow_24, out);
}

static void test_tod_parse(void **state)
{
    (void)state;
    int32_t v;
    assert_true(tod("00:00", false, &v));
    assert_int_equal(v, 0);
    assert_true(tod("08:30", false, &v));
    assert_int_equal(v, 30600);
    assert_true(tod("23:59", false, &v));
    assert_int_equal(v, 86340);
    assert_true(tod("24:00", true, &v));
    assert_int_equal(v, 86400);
    assert_false(tod("24:00", false, &v));
    static const char *const bad[] = {"24:01", "25:00", "12:60", "8:00",   "08:0",  "0800",
                                      "08-00", "+8:00", "",      "08:00 ", " 8:00", "99:99"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (tod(bad[i], true, &v))
            fail_msg("\"%s\" is not a time of day", bad[i]);
}

static void test_offset_parse(void **state)
{
    (void)state;
    int32_t v;
    assert_true(br_offset_parse("+08:00", 6, &v));
    assert_int_equal(v, 28800);
    assert_true(br_offset_parse("-05:30", 6, &v));
    assert_int_equal(v, -19800);
    assert_true(br_offset_parse("+00:00", 6, &v));
    assert_int_equal(v, 0);
    assert_true(br_offset_parse("-00:00", 6, &v));
    assert_int_equal(v, 0);
    assert_true(br_offset_parse("+23:59", 6, &v));
    assert_int_equal(v, 86340);
    static const char *const bad[] = {"+24:00", "+08:60",  "08:00", "+0800", "Z",
                                      "+8:00",  "+08:00 ", "",      "*08:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (br_offset_parse(bad[i], strlen(bad[i]), &v))
            fail_msg("\"%s\" is not an offset", bad[i]);
}

static void check_day(const struct br_calendar *cal, int64_t t, const char *day)
{
    char buf[16];
    br_day_format(br_local_day(cal, t), buf, sizeof(buf));
    assert_string_equal(buf, day);
}

static void test_calendar_month_boundary(void **state)
{
    (void)state;
    int64_t last = T_2026_11_30_16Z - 1; /* 2026-11-30T15:59:59Z */
    assert_int_equal(br_period_of(&CAL8, last), P(2026, 11));
    assert_int_equal(br_period_of(&CAL8, T_2026_11_30_16Z), P(2026, 12));
    assert_int_equal(br_period_of(&CAL0, T_2026_11_30_16Z), P(2026, 11));
    check_day(&CAL8, last, "2026-11-30");
    check_day(&CAL8, T_2026_11_30_16Z, "2026-12-01");
    assert_int_equal(br_local_tod(&CAL8, last), 86399);
    assert_int_equal(br_local_tod(&CAL8, T_2026_11_30_16Z), 0);
    assert_int_equal(br_local_tod(&CAL0, T_2026_11_30_16Z), 57600);
    assert_int_equal(br_period_start(&CAL8, P(2026, 12)), T_2026_11_30_16Z);
    assert_int_equal(br_period_start(&CAL8, P(2027, 1)), 1798732800);
    assert_int_equal(br_period_start(&CAL8, P(2026, 1)), 1767196800);
    assert_int_equal(br_period_start(&CAL0, P(2026, 12)), T_2026_11_30_16Z + 28800);
    assert_int_equal(br_day_start(&CAL8, br_local_day(&CAL8, last)), T_2026_11_30_16Z - BR_DAY_S);
    assert_int_equal(br_period_of_day(br_local_day(&CAL8, T_2026_11_30_16Z)), P(2026, 12));
}

static void test_calendar_before_1970(void **state)
{
    (void)state;
    const struct br_calendar west = {-18000};
    assert_int_equal(br_local_day(&CAL0, -1), -1);
    assert_int_equal(br_local_tod(&CAL0, -1), 86399);
    assert_int_equal(br_period_of(&CAL0, -1), P(1969, 12));
    assert_int_equal(br_local_day(&CAL8, -1), 0);
    assert_int_equal(br_local_tod(&CAL8, -1), 28799);
    assert_int_equal(br_period_of(&CAL8, -1), P(1970, 1));
    assert_int_equal(br_local_day(&CAL8, -28801), -1);
    assert_int_equal(br_local_tod(&CAL8, -28801), 86399);
    assert_int_equal(br_period_of(&CAL8, -28801), P(1969, 12));
    assert_int_equal(br_period_of(&CAL8, -28800), P(1970, 1));
    assert_int_equal(br_period_start(&CAL8, P(1970, 1)), -28800);
    assert_int_equal(br_period_start(&CAL8, P(1969, 12)), -31 * 86400 - 28800);
    assert_int_equal(br_period_of(&west, 0), P(1969, 12));
    assert_int_equal(br_local_tod(&west, 0), 86400 - 18000);
    int64_t t1900 = t_ok("1900-03-01T00:00:00Z");
    assert_int_equal(t1900, -2203891200);
    assert_int_equal(br_period_of(&CAL0, t1900), P(1900, 3));
    assert_int_equal(br_period_of(&CAL0, t1900 - 1), P(1900, 2));
    assert_int_equal(br_period_start(&CAL0, P(1900, 3)), t1900);
    check_day(&CAL0, t1900 - 1, "1900-02-28");
}

static void test_civil_round_trip(void **state)
{
    (void)state;
    assert_int_equal(br_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(br_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(br_days_from_civil(2000, 3, 1), 11017);
    for (int64_t z = -800000; z <= 3000000; z += 97) {
        int64_t y;
        unsigned m, d;
        br_civil_from_days(z, &y, &m, &d);
        if (br_days_from_civil(y, m, d) != z)
            fail_msg("day %lld", (long long)z);
    }
}

static void test_period_parse_format(void **state)
{
    (void)state;
    br_period p;
    assert_true(br_period_parse("2026-11", 7, &p));
    assert_int_equal(p, P(2026, 11));
    assert_true(br_period_parse("2026-12", 7, &p));
    assert_int_equal(p, P(2026, 12));
    assert_true(br_period_parse("1969-01", 7, &p));
    assert_int_equal(p, P(1969, 1));
    static const char *const bad[] = {"2026-13", "2026-00", "2026-1",   "2026/11", "202611",
                                      "26-11",   "2026-1a", "2026-11 ", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (br_period_parse(bad[i], strlen(bad[i]), &p))
            fail_msg("\"%s\" is not a period", bad[i]);
    char buf[16];
    assert_int_equal(br_period_format(P(2026, 11), buf, sizeof(buf)), 7);
    assert_string_equal(buf, "2026-11");
    br_period_format(P(2026, 12), buf, sizeof(buf));
    assert_string_equal(buf, "2026-12");
    br_period_format(P(2027, 1), buf, sizeof(buf));
    assert_string_equal(buf, "2027-01");
    br_period_format(P(1969, 12), buf, sizeof(buf));
    assert_string_equal(buf, "1969-12");
    for (int y = 1; y <= 9999; y += 37) {
        for (int m = 1; m <= 12; m++) {
            size_t n = br_period_format(P(y, m), buf, sizeof(buf));
            assert_true(br_period_parse(buf, n, &p));
            assert_int_equal(p, P(y, m));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse_zones),     cmocka_unit_test(test_time_parse_dates),
        cmocka_unit_test(test_time_parse_refused),   cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_round_trip),      cmocka_unit_test(test_tod_parse),
        cmocka_unit_test(test_offset_parse),         cmocka_unit_test(test_calendar_month_boundary),
        cmocka_unit_test(test_calendar_before_1970), cmocka_unit_test(test_civil_round_trip),
        cmocka_unit_test(test_period_parse_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
