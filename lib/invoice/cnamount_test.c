/* Unit tests of invoice/cnamount: the 48 amounts of the research notes for
 * issue #20 (every PBOC and MoF example, the zero rules across 万 and 亿
 * groups, the largest amount, a negative one), golden cases. */
#include "invoice/cnamount.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

struct golden {
    int64_t fen;
    unsigned flags;
    const char *want;
};

#define ZJ BR_CN_ZHENG_AFTER_JIAO

static const struct golden cases[] = {
    {123456, 0, "壹仟贰佰叁拾肆元伍角陆分"},
    {10000, 0, "壹佰元整"},
    {100000520, 0, "壹佰万零伍元贰角"},
    {5, 0, "伍分"},
    {0, 0, "零元整"},
    {50, 0, "伍角"},
    {56, 0, "伍角陆分"},
    {100, 0, "壹元整"},
    {1000, 0, "壹拾元整"},
    {1500, 0, "壹拾伍元整"},
    {140950, 0, "壹仟肆佰零玖元伍角"},        /* PBOC 四(一) */
    {600714, 0, "陆仟零柒元壹角肆分"},        /* PBOC 四(二) */
    {168032, 0, "壹仟陆佰捌拾元叁角贰分"},    /* PBOC 四(三) */
    {10700053, 0, "壹拾万零柒仟元伍角叁分"},  /* PBOC 四(三) */
    {1640902, 0, "壹万陆仟肆佰零玖元零贰分"}, /* PBOC 四(四) */
    {32504, 0, "叁佰贰拾伍元零肆分"},         /* PBOC 四(四) */
    {100500, 0, "壹仟零伍元整"},              /* not 壹仟伍元整 */
    {1000000, 0, "壹万元整"},
    {1000100, 0, "壹万零壹元整"},
    {1001000, 0, "壹万零壹拾元整"},
    {10000000, 0, "壹拾万元整"},
    {10000500, 0, "壹拾万零伍元整"},
    {1200000000, 0, "壹仟贰佰万元整"},
    {10000000000LL, 0, "壹亿元整"},
    {10000000100LL, 0, "壹亿零壹元整"},
    {10001000000LL, 0, "壹亿零壹万元整"},
    {20030000000LL, 0, "贰亿零叁拾万元整"},
    {20300000000LL, 0, "贰亿零叁佰万元整"},
    {100010000000000LL, 0, "壹万零壹亿元整"},
    {110000000000000LL, 0, "壹万壹仟亿元整"},
    {20000500000LL, 0, "贰亿零伍仟元整"},
    {123456789012LL, 0, "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"},
    {100000000000000LL, 0, "壹万亿元整"},
    {100000000000100LL, 0, "壹万亿零壹元整"},
    {99999999999999999LL, 0,
     "玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
    {-12000, 0, "负壹佰贰拾元整"},
    {200001, 0, "贰仟元零壹分"},
    {200010, 0, "贰仟元壹角"},
    {3568000, 0, "叁万伍仟陆佰捌拾元整"},   /* MoF */
    {47190, ZJ, "肆佰柒拾壹元玖角整"},      /* MoF */
    {230866, ZJ, "贰仟叁佰零捌元陆角陆分"}, /* MoF */
    {28954652, 0, "贰拾捌万玖仟伍佰肆拾陆元伍角贰分"},
    {10150, ZJ, "壹佰零壹元伍角整"},
    {100456, 0, "壹仟零肆元伍角陆分"},
    {42503, 0, "肆佰贰拾伍元零叁分"},
    {100000520, ZJ, "壹佰万零伍元贰角整"},
    {50, ZJ, "伍角整"},
    {5, ZJ, "伍分"},
};

static void test_golden(void **state)
{
    (void)state;
    assert_int_equal(sizeof(cases) / sizeof(cases[0]), 48);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char got[BR_CN_TEXT_MAX];
        assert_int_equal(br_cn_capital(cases[i].fen, cases[i].flags, got, sizeof(got)), 0);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%lld fen: got %s, want %s", (long long)cases[i].fen, got, cases[i].want);
    }
}

static void test_limits(void **state)
{
    (void)state;
    char got[BR_CN_TEXT_MAX], small[8];
    assert_int_equal(br_cn_capital(1000000000000000000LL, 0, got, sizeof(got)), -1);
    assert_int_equal(br_cn_capital(INT64_MIN, 0, got, sizeof(got)), -1);
    assert_int_equal(br_cn_capital(123456, 0, small, sizeof(small)), -1);
    assert_string_equal(small, "");
    assert_int_equal(br_cn_capital(-999999999999999999LL, 0, got, sizeof(got)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
