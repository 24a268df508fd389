/* Unit tests of batch/export_map: golden cases of chart map files, each
 * accepted or refused with the reason the operator reads. */
#include "batch/export_map.h"

#include "core/chart.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Every code of the chart, as a map row per line after the header; a
 * row is left out, replaced or added by the cases below. */
static const char *const rows[] = {
    "1000,1002.01,银行存款-清算",
    "1100,1122,应收账款",
    "2100,2203,预收账款",
    "2200,2204,合同负债",
    "4100,6001,主营业务收入",
    "4110,6001,主营业务收入",
    "4200,6001,主营业务收入",
    "4300,6001,主营业务收入",
    "4400,6001,主营业务收入",
    "4800,6051,其他业务收入",
    "4900,6001.90,\"折扣, 优惠券\"",
    "4910,6001.91,抹零",
    "4920,6001.92,调整",
};
enum { NROWS = sizeof(rows) / sizeof(rows[0]) };

/* The map file: a header, then rows[] with row `skip` left out (-1: none)
 * and `extra` appended (NULL: none); CRLF line ends when crlf. */
static size_t make(char *buf, size_t size, const char *head, int skip, const char *extra, bool crlf)
{
    const char *eol = crlf ? "\r\n" : "\n";
    size_t n = (size_t)snprintf(buf, size, "%s%s", head, eol);
    for (int i = 0; i < NROWS; i++)
        if (i != skip)
            n += (size_t)snprintf(buf + n, size - n, "%s%s", rows[i], eol);
    if (extra != NULL)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", extra, eol);
    assert_true(n < size);
    return n;
}

static void expect_refused(const char *text, size_t len, const char *why)
{
    struct br_chart_map m;
    struct br_error err = {0};
    assert_int_equal(br_chart_map_parse(text, len, "map.csv", &m, &err), BR_ERR_USAGE);
    if (strstr(err.msg, why) == NULL)
        fail_msg("want \"%s\" in: %s", why, err.msg);
}

static void test_accepted(void **state)
{
    (void)state;
    assert_int_equal(NROWS, (int)br_chart_count);
    char buf[4096];
    struct br_chart_map m;
    struct br_error err = {0};
    /* with a BOM, CRLF and an empty line at the end */
    size_t n = make(buf + 3, sizeof(buf) - 3, "billrun_code,code,name", -1, "", true);
    memcpy(buf, "\xEF\xBB\xBF", 3);
    assert_int_equal(br_chart_map_parse(buf, n + 3, "map.csv", &m, &err), BR_OK);
    const struct br_chart_account *ar = br_chart_find(BR_ACC_RECEIVABLE);
    assert_string_equal(m.acc[ar - br_chart].code, "1122");
    assert_string_equal(m.acc[ar - br_chart].name, "应收账款");
    const struct br_chart_account *co = br_chart_find(BR_ACC_COUPONS);
    assert_string_equal(m.acc[co - br_chart].name, "折扣, 优惠券");
}

static void test_identity(void **state)
{
    (void)state;
    struct br_chart_map m;
    br_chart_map_identity(&m);
    for (size_t i = 0; i < br_chart_count; i++) {
        char code[16];
        snprintf(code, sizeof(code), "%d", br_chart[i].code);
        assert_string_equal(m.acc[i].code, code);
        assert_string_equal(m.acc[i].name, br_chart[i].name);
    }
}

static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        int skip;
        const char *extra;
        const char *why;
    } cases[] = {
        {"billrun_code,code,name", 12, NULL, "no row for 4920"},
        {"billrun_code,code,name", -1, "4801,9999,x", "\"4801\" is not a code of billrun's chart"},
        {"billrun_code,code,name", -1, "1100,1123,x", "1100 is mapped twice (line 3 too)"},
        {"billrun_code,code,name", 0, "1000,10 02,x", "the code for 1000 must be"},
        {"billrun_code,code,name", 0, "1000,1002,", "the name for 1000 must be"},
        {"billrun_code,code,name", 0, "1000,1002,a\tb", "the name for 1000 must be"},
        {"billrun_code,code,name", 0, "1000,1002", "want 3 fields"},
        {"billrun_code,code,name", 0, "1000,1002,x,y", "want 3 fields"},
        {"billrun_code,code,name", 4, "4100,6001,收入", "code 6001 has two names"},
        {"billrun_code,code", -1, NULL, "the first line must be billrun_code,code,name"},
        {"code,billrun_code,name", -1, NULL, "the first line must be billrun_code,code,name"},
        {"billrun_code,code,name", 0, "1000,1002,\xff", "not UTF-8"},
        {"billrun_code,code,name", 0, "01000,1002,x", "\"01000\" is not a code"},
    };
    char buf[4096];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = make(buf, sizeof(buf), cases[i].head, cases[i].skip, cases[i].extra, false);
        expect_refused(buf, n, cases[i].why);
    }
    expect_refused("", 0, "is empty");
    char longer[300];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    char extra[400];
    snprintf(extra, sizeof(extra), "1000,1002,%s", longer);
    size_t n = make(buf, sizeof(buf), "billrun_code,code,name", 0, extra, false);
    expect_refused(buf, n, "the name for 1000 must be 1 to 200 bytes");
}

static void test_missing_file(void **state)
{
    (void)state;
    struct br_chart_map m;
    struct br_error err = {0};
    assert_int_equal(br_chart_map_read("/nonexistent/map.csv", &m, &err), BR_ERR_USAGE);
    assert_non_null(strstr(err.msg, "No such file"));
    assert_int_equal(br_chart_map_read("/", &m, &err), BR_ERR_USAGE);
    assert_non_null(strstr(err.msg, "not a regular file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
