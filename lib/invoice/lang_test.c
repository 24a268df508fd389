/* Unit tests of invoice/lang: label forms, amounts under each display rule,
 * dates in each language. */
#include "invoice/lang.h"

#include "core/btime.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_labels(void **state)
{
    (void)state;
    assert_string_equal(br_label(BR_LANG_EN, BR_L_TOTAL), "Total");
    assert_string_equal(br_label(BR_LANG_ZH, BR_L_TOTAL), "合计");
    assert_string_equal(br_label(BR_LANG_ZH_EN, BR_L_TOTAL), "合计 Total");
    assert_string_equal(br_label(BR_LANG_ZH_EN, BR_L_AMOUNT_DUE), "应付金额 Amount due");
    for (int l = 0; l < BR_L_COUNT; l++)
        for (int g = 0; g < 3; g++)
            assert_true(strlen(br_label((enum br_lang)g, (enum br_label)l)) > 0);
    enum br_lang lang;
    assert_true(br_lang_parse("zh-en", &lang));
    assert_int_equal(lang, BR_LANG_ZH_EN);
    assert_true(br_lang_parse("zh", &lang));
    assert_int_equal(lang, BR_LANG_ZH);
    assert_true(br_lang_parse("en", &lang));
    assert_int_equal(lang, BR_LANG_EN);
    assert_false(br_lang_parse("EN", &lang));
    assert_false(br_lang_parse("", &lang));
    assert_false(br_lang_parse(NULL, &lang));
    assert_string_equal(br_lang_name(BR_LANG_ZH_EN), "zh-en");
}

static const char *amount(int64_t e8, enum br_amount_rule rule, bool yen)
{
    static char buf[64];
    br_amount_text(e8, rule, yen, buf, sizeof(buf));
    return buf;
}

static void test_amounts(void **state)
{
    (void)state;
    assert_string_equal(amount(1443262556, BR_AMOUNT_EXACT, false), "14.43262556");
    assert_string_equal(amount(1443262556, BR_AMOUNT_TOTAL, false), "14.43");
    assert_string_equal(amount(1443262556, BR_AMOUNT_E8, true), "¥14.43262556");
    assert_string_equal(amount(5773200000, BR_AMOUNT_EXACT, false), "57.732");
    assert_string_equal(amount(2000000000, BR_AMOUNT_EXACT, false), "20.00");
    assert_string_equal(amount(2000000000, BR_AMOUNT_E8, false), "20.00000000");
    assert_string_equal(amount(123456789012345678LL, BR_AMOUNT_EXACT, false),
                        "1,234,567,890.12345678");
    assert_string_equal(amount(100000000000LL, BR_AMOUNT_DUE, true), "¥1,000.00");
    assert_string_equal(amount(-12000000000LL, BR_AMOUNT_TOTAL, true), "-¥120.00");
    assert_string_equal(amount(0, BR_AMOUNT_DUE, true), "¥0.00");
    /* half away from zero at the fen, as a spreadsheet shows it */
    assert_string_equal(amount(500000, BR_AMOUNT_TOTAL, false), "0.01");
    assert_string_equal(amount(499999, BR_AMOUNT_TOTAL, false), "0.00");
    assert_string_equal(amount(-500000, BR_AMOUNT_TOTAL, false), "-0.01");
    assert_string_equal(amount(-1, BR_AMOUNT_TOTAL, false), "0.00");
    assert_string_equal(amount(INT64_MIN, BR_AMOUNT_EXACT, false), "-92,233,720,368.54775808");
}

/* Items: the known ones in each language, with or without the label the
 * document carries; an unknown item, or a label that is not the known one
 * (a renamed item), shown as given in every language. */
static void test_items(void **state)
{
    (void)state;
    assert_string_equal(br_item_text(BR_LANG_EN, "storage", NULL), "Object storage");
    assert_string_equal(br_item_text(BR_LANG_ZH, "storage", NULL), "对象存储");
    assert_string_equal(br_item_text(BR_LANG_ZH_EN, "storage", "Object storage"),
                        "对象存储 Object storage");
    assert_string_equal(br_item_text(BR_LANG_ZH, "storage", "Storage (renamed)"),
                        "Storage (renamed)");
    assert_string_equal(br_item_text(BR_LANG_ZH_EN, "gpu_x", NULL), "gpu_x");
    assert_string_equal(br_item_text(BR_LANG_EN, "gpu_x", "GPU X"), "GPU X");
    assert_string_equal(br_item_text(BR_LANG_ZH, NULL, NULL), "");
}

static void test_dates(void **state)
{
    (void)state;
    char buf[32];
    int64_t day = br_days_from_civil(2026, 11, 30);
    br_date_text(BR_LANG_ZH, day, buf, sizeof(buf));
    assert_string_equal(buf, "2026年11月30日");
    br_date_text(BR_LANG_ZH_EN, br_days_from_civil(2026, 1, 5), buf, sizeof(buf));
    assert_string_equal(buf, "2026年1月5日");
    br_date_text(BR_LANG_EN, day, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-30");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
