/* Unit tests of core/money: half-up division, values and units at a price,
 * exact decimal parsing and the e8 / scaled formats. */
#include "core/money.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static int64_t rhu(br_u128 num, br_u128 den)
{
    int64_t out = -1;
    assert_true(br_rhu_div(num, den, &out));
    return out;
}

static void test_rhu_div_half_up(void **state)
{
    (void)state;
    assert_int_equal(rhu(0, 5), 0);
    assert_int_equal(rhu(5, 2), 3); /* 2.5 */
    assert_int_equal(rhu(7, 2), 4); /* 3.5 */
    assert_int_equal(rhu(1, 2), 1); /* 0.5 */
    assert_int_equal(rhu(149, 100), 1);
    assert_int_equal(rhu(150, 100), 2);
    assert_int_equal(rhu(151, 100), 2);
    assert_int_equal(rhu(1, 3), 0);
    assert_int_equal(rhu(2, 3), 1);
    assert_int_equal(rhu(4, 3), 1);
    assert_int_equal(rhu(5, 3), 2);
    assert_int_equal(rhu(44, 100), 0);
    assert_int_equal(rhu(45, 100), 0);
}

static void test_rhu_div_large(void **state)
{
    (void)state;
    br_u128 two100 = (br_u128)1 << 100;
    br_u128 two40 = (br_u128)1 << 40;
    assert_int_equal(rhu(two100 + 1, two40), (int64_t)1 << 60);
    /* exactly half of the divisor over: rounds up */
    assert_int_equal(rhu(two100 + ((br_u128)1 << 39), two40), ((int64_t)1 << 60) + 1);
    assert_int_equal(rhu(two100 + ((br_u128)1 << 39) - 1, two40), (int64_t)1 << 60);
    /* a divisor near 2^128: no overflow in the half-way test */
    br_u128 max = ~(br_u128)0; /* odd */
    assert_int_equal(rhu((br_u128)1 << 127, max), 1);
    assert_int_equal(rhu(((br_u128)1 << 127) - 1, max), 0);
    assert_int_equal(rhu((br_u128)1 << 126, (br_u128)1 << 127), 1);
    assert_int_equal(rhu(max, max), 1);
}

static void test_rhu_div_overflow(void **state)
{
    (void)state;
    int64_t out;
    assert_int_equal(rhu((br_u128)INT64_MAX, 1), INT64_MAX);
    assert_int_equal(rhu((br_u128)INT64_MAX * 2, 2), INT64_MAX);
    /* INT64_MAX + 0.5 rounds to 2^63: does not fit */
    assert_false(br_rhu_div((br_u128)INT64_MAX * 2 + 1, 2, &out));
    assert_false(br_rhu_div((br_u128)INT64_MAX + 1, 1, &out));
    assert_false(br_rhu_div(~(br_u128)0, 1, &out));
    assert_false(br_rhu_div(~(br_u128)0, (br_u128)1 << 64, &out));
}

static int64_t value(uint64_t qty, int64_t price_e10, uint64_t divisor)
{
    int64_t out = -1;
    assert_true(br_value_e8(qty, price_e10, divisor, &out));
    return out;
}

static void test_value_e8_case01(void **state)
{
    (void)state;
    /* 7420 gpu_ms at 0.0077 CNY per GPU-second */
    assert_int_equal(value(7420, 77000000, 1000), 5713400);
    /* 600 s at 18.5 CNY per hour, and a whole hour */
    assert_int_equal(value(600, 185000000000, 3600), 308333333);
    assert_int_equal(value(3600, 185000000000, 3600), 1850000000);
    assert_int_equal(value(8400, 185000000000, 3600), 4316666667);
    /* 10 requests at 0.000015 per 10,000: 1.5 e8 rounds up; 3 -> 0.45 -> 0 */
    assert_int_equal(value(10, 150000, 10000), 2);
    assert_int_equal(value(3, 150000, 10000), 0);
    assert_int_equal(value(0, 150000, 10000), 0);
}

static void test_value_e8_gb(void **state)
{
    (void)state;
    uint64_t gb = (uint64_t)1 << 30;
    /* storage 0.72 per GB-month = 100,000 e8 per GB-hour (case 14) */
    assert_int_equal(value(gb, 7200000000, gb * 720), 100000);
    assert_int_equal(value(gb + 100, 7200000000, gb * 720), 100000);
    /* egress 0.5 per GB, 2^30 + 1 bytes: 50,000,000.05 */
    assert_int_equal(value(gb + 1, 5000000000, gb), 50000000);
    /* price 0 */
    assert_int_equal(value(UINT64_MAX, 0, 1), 0);
}

static void test_value_e8_overflow(void **state)
{
    (void)state;
    int64_t out;
    assert_int_equal(value((uint64_t)INT64_MAX, 100, 1), INT64_MAX);
    assert_false(br_value_e8(UINT64_MAX, 100, 1, &out));
    assert_false(br_value_e8(UINT64_MAX, INT64_MAX, 1, &out));
    /* a 128-bit product that comes back into range */
    assert_int_equal(value(UINT64_MAX, INT64_MAX, UINT64_MAX), INT64_MAX / 100);
}

static void test_units_for_value(void **state)
{
    (void)state;
    /* case 03: 17.75 CNY at 18.5 per hour buys floor(3454.05..) seconds */
    assert_int_equal(br_units_for_value(1775000000, 185000000000, 3600), 3454);
    /* case 14: 50 e8 at 100 e8 per request buys no request */
    assert_int_equal(br_units_for_value(50, 100000000, 10000), 0);
    assert_int_equal(br_units_for_value(100, 100000000, 10000), 1);
    assert_int_equal(br_units_for_value(0, 1, 1), 0);
    /* saturates */
    assert_int_equal(br_units_for_value(INT64_MAX, 1, (uint64_t)1 << 40), INT64_MAX);
}

static void test_muldiv_floor(void **state)
{
    (void)state;
    assert_int_equal(br_muldiv_floor(600000000, 470000000, 900000000), 313333333);
    assert_int_equal(br_muldiv_floor(300000000, 1692000, 31536000), 16095890);
    assert_int_equal(br_muldiv_floor(960000000, 432000, 31536000), 13150684);
    assert_int_equal(br_muldiv_floor(100000000, 863999, 864000), 99999884);
    assert_int_equal(br_muldiv_floor(0, INT64_MAX, 7), 0);
    /* a 126-bit product, exact */
    assert_int_equal(br_muldiv_floor(INT64_MAX, INT64_MAX, INT64_MAX), INT64_MAX);
    assert_int_equal(br_muldiv_floor(INT64_MAX, INT64_MAX, 1), INT64_MAX);
    assert_int_equal(br_muldiv_floor(INT64_MAX, 2, 3), 6148914691236517204);
}

static enum br_num dec(const char *s, unsigned scale, int64_t *out)
{
    return br_dec_parse(s, strlen(s), scale, out);
}

static int64_t dec_ok(const char *s, unsigned scale)
{
    int64_t v = -12345;
    assert_int_equal(dec(s, scale, &v), BR_NUM_OK);
    return v;
}

static void test_dec_parse_ok(void **state)
{
    (void)state;
    assert_int_equal(dec_ok("0", 0), 0);
    assert_int_equal(dec_ok("42", 0), 42);
    assert_int_equal(dec_ok("42", 8), 4200000000);
    assert_int_equal(dec_ok("-7", 2), -700);
    assert_int_equal(dec_ok("0.0077", 10), 77000000);
    assert_int_equal(dec_ok("18.5", 10), 185000000000);
    assert_int_equal(dec_ok("1.2345678901", 10), 12345678901);
    assert_int_equal(dec_ok("-0.01", 10), -100000000);
    assert_int_equal(dec_ok("120.5", 8), 12050000000);
    assert_int_equal(dec_ok("000000000000000000000000000001", 0), 1);
    assert_int_equal(dec_ok("1.5", 1), 15);
    /* only n bytes are read */
    int64_t v;
    assert_int_equal(br_dec_parse("12", 1, 0, &v), BR_NUM_OK);
    assert_int_equal(v, 1);
}

static void test_dec_parse_syntax(void **state)
{
    (void)state;
    static const char *const bad[] = {"12a", "1e5",  "",      "-",     ".5",           "5.",
                                      "+5",  " 5",   "5 ",    "1,000", "1 000",        "--5",
                                      "-.5", "0x10", "1.2.3", "1_000", "\xEF\xBC\x91", "5\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t v;
        if (dec(bad[i], 8, &v) != BR_NUM_SYNTAX)
            fail_msg("\"%s\" is not a number", bad[i]);
    }
    int64_t v;
    assert_int_equal(br_dec_parse("1\0002", 3, 0, &v), BR_NUM_SYNTAX);
}

static void test_dec_parse_frac(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(dec("0.12345678901", 10, &v), BR_NUM_FRAC);
    assert_int_equal(dec("1.5", 0, &v), BR_NUM_FRAC);
    assert_int_equal(dec("30.0", 0, &v), BR_NUM_FRAC);
    assert_int_equal(dec("1.50", 1, &v), BR_NUM_FRAC);
    assert_int_equal(dec("0.000000001", 8, &v), BR_NUM_FRAC);
}

static void test_dec_parse_range(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(dec("99999999999", 8, &v), BR_NUM_RANGE);
    assert_int_equal(dec_ok("9223372036854775807", 0), INT64_MAX);
    assert_int_equal(dec_ok("-9223372036854775807", 0), -INT64_MAX);
    assert_int_equal(dec("9223372036854775808", 0, &v), BR_NUM_RANGE);
    assert_int_equal(dec("99999999999999999999999999999999999999999", 0, &v), BR_NUM_RANGE);
    assert_int_equal(dec_ok("92233720368.54775807", 8), INT64_MAX);
    assert_int_equal(dec("92233720368.54775808", 8, &v), BR_NUM_RANGE);
    assert_int_equal(dec_ok("922337203685477580.7", 1), INT64_MAX);
    assert_int_equal(dec("922337203685477580.8", 1, &v), BR_NUM_RANGE);
    assert_int_equal(dec("922337203685477581", 1, &v), BR_NUM_RANGE);
    assert_int_equal(dec("1", 18, &v), BR_NUM_OK);
    assert_int_equal(dec("10", 18, &v), BR_NUM_RANGE);
    /* syntax is still checked past the range */
    assert_int_equal(dec("99999999999999999999x", 0, &v), BR_NUM_SYNTAX);
}

static void check_e8(int64_t e8, const char *want)
{
    char buf[32];
    size_t n = br_e8_format(e8, buf, sizeof(buf));
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_e8_format(void **state)
{
    (void)state;
    check_e8(0, "0.00000000");
    check_e8(1, "0.00000001");
    check_e8(-1, "-0.00000001");
    check_e8(-100000000, "-1.00000000");
    check_e8(4322380072, "43.22380072");
    check_e8(INT64_MAX, "92233720368.54775807");
    check_e8(INT64_MIN, "-92233720368.54775808");
}

static void check_scaled(br_i128 num, br_u128 den, unsigned decimals, const char *want)
{
    char buf[48];
    size_t n = br_scaled_format(num, den, decimals, buf, sizeof(buf));
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_scaled_format(void **state)
{
    (void)state;
    check_scaled(8400, 3600, 6, "2.333333");
    check_scaled(4501, 3600, 6, "1.250278");
    check_scaled(12601, 3600, 6, "3.500278");
    check_scaled(742, 100, 6, "7.420000");
    check_scaled(-8400, 3600, 6, "-2.333333");
    check_scaled(3, 2000000, 6, "0.000002");           /* 0.0000015 half up */
    check_scaled(29, 20000000, 6, "0.000001");         /* 0.00000145 */
    check_scaled(9999995, 10000000, 6, "1.000000");    /* carry into the whole part */
    check_scaled(1073741924, 1u << 30, 6, "1.000000"); /* case 14 storage */
    check_scaled(7, 2, 0, "4");
    check_scaled(33, 1, 0, "33");
    check_scaled(0, 7, 3, "0.000");
    check_scaled(INT64_MAX, 1, 6, "9223372036854775807.000000");
}

static void test_floor_fen(void **state)
{
    (void)state;
    assert_int_equal(br_floor_fen(4322380072), 4322000000);
    assert_int_equal(br_floor_fen(1234567891), 1234000000);
    assert_int_equal(br_floor_fen(0), 0);
    assert_int_equal(br_floor_fen(999999), 0);
    assert_int_equal(br_floor_fen(1000000), 1000000);
    assert_int_equal(br_floor_fen(INT64_MAX), INT64_MAX - INT64_MAX % 1000000);
}

static enum br_num times(const char *s, unsigned max_frac, uint64_t mult, int64_t *out)
{
    return br_dec_times(s, strlen(s), max_frac, mult, out);
}

static void test_dec_times(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(times("1000000000", 10, 1, &v), BR_NUM_OK);
    assert_int_equal(v, 1000000000);
    assert_int_equal(times("1.5", 10, 1073741824, &v), BR_NUM_OK); /* 1.5 GB */
    assert_int_equal(v, 1610612736);
    assert_int_equal(times("0.0000000001", 10, 10000000000ull, &v), BR_NUM_OK);
    assert_int_equal(v, 1);
    assert_int_equal(times("8589934591", 10, 1073741824, &v), BR_NUM_OK); /* < 2^63 */
    assert_int_equal(v, 9223372035781033984);
    assert_int_equal(times("8589934592", 10, 1073741824, &v), BR_NUM_RANGE); /* = 2^63 */
    assert_int_equal(times("9223372036854775807", 0, 1, &v), BR_NUM_OK);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(times("9223372036854775808", 0, 1, &v), BR_NUM_RANGE);
    assert_int_equal(times("99999999999999999999999999999999999999999", 0, 1, &v), BR_NUM_RANGE);
    assert_int_equal(times("0.5", 10, 1, &v), BR_NUM_RANGE); /* not whole */
    assert_int_equal(times("0.00000000001", 10, 1, &v), BR_NUM_FRAC);
    assert_int_equal(times("12", 10, 0, &v), BR_NUM_OK);
    assert_int_equal(v, 0);
    assert_int_equal(times("-1", 10, 1, &v), BR_NUM_SYNTAX);
    assert_int_equal(times("1.", 10, 1, &v), BR_NUM_SYNTAX);
    assert_int_equal(times("", 10, 1, &v), BR_NUM_SYNTAX);
    assert_int_equal(times("1e3", 10, 1, &v), BR_NUM_SYNTAX);
    /* a mantissa near 10^37 times a large multiplier does not wrap */
    assert_int_equal(times("9999999999999999999.999999999999999999", 18, UINT64_MAX, &v),
                     BR_NUM_RANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rhu_div_half_up),  cmocka_unit_test(test_rhu_div_large),
        cmocka_unit_test(test_rhu_div_overflow), cmocka_unit_test(test_value_e8_case01),
        cmocka_unit_test(test_value_e8_gb),      cmocka_unit_test(test_value_e8_overflow),
        cmocka_unit_test(test_units_for_value),  cmocka_unit_test(test_muldiv_floor),
        cmocka_unit_test(test_dec_parse_ok),     cmocka_unit_test(test_dec_parse_syntax),
        cmocka_unit_test(test_dec_parse_frac),   cmocka_unit_test(test_dec_parse_range),
        cmocka_unit_test(test_e8_format),        cmocka_unit_test(test_scaled_format),
        cmocka_unit_test(test_floor_fen),        cmocka_unit_test(test_dec_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
