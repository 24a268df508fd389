/* Unit tests of batch/export_csv: quoting, CRLF, the BOM, the file aside
 * until published, its mode whatever the umask, and a discard that leaves
 * nothing. */
#include "batch/export_csv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char g_dir[64];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[4096];
    *len = fread(buf, 1, sizeof(buf) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void test_quoting_and_publish(void **state)
{
    (void)state;
    mode_t old = umask(0);
    struct br_csv_out *c = calloc(1, sizeof(*c));
    struct br_error err = {0};
    assert_int_equal(br_csv_out_open(c, g_dir, "a.csv", true, &err), BR_OK);
    umask(old);
    static const char *const row1[] = {"plain", "with,comma", "say \"hi\"", "two\nlines",
                                       " edge", "",           NULL,         "记账"};
    br_csv_out_fields(c, row1, sizeof(row1) / sizeof(row1[0]));
    br_csv_out_field(c, "=1+2");
    br_csv_out_row(c);
    assert_int_equal(br_csv_out_close(c), BR_OK);
    char path[128];
    snprintf(path, sizeof(path), "%s/a.csv", g_dir);
    assert_false(exists(path)); /* aside until published */
    assert_true(exists(c->tmp));
    assert_int_equal(br_csv_out_publish(c), BR_OK);
    assert_false(exists(c->tmp));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    size_t len;
    const char *text = slurp(path, &len);
    assert_string_equal(text, "\xEF\xBB\xBF"
                              "plain,\"with,comma\",\"say \"\"hi\"\"\",\"two\nlines\",\" edge\",,,"
                              "记账\r\n=1+2\r\n");
    br_csv_out_discard(c); /* after publishing: removes nothing */
    assert_true(exists(path));
    unlink(path);
    free(c);
}

static void test_discard(void **state)
{
    (void)state;
    struct br_csv_out *c = calloc(1, sizeof(*c));
    struct br_error err = {0};
    assert_int_equal(br_csv_out_open(c, g_dir, "b.csv", false, &err), BR_OK);
    br_csv_out_field(c, "x");
    br_csv_out_row(c);
    br_csv_out_discard(c);
    assert_false(exists(c->tmp));
    char path[128];
    snprintf(path, sizeof(path), "%s/b.csv", g_dir);
    assert_false(exists(path));
    /* a folder that does not exist: the error names the file */
    assert_int_equal(br_csv_out_open(c, "/nonexistent", "c.csv", false, &err), BR_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/c.csv.tmp-"));
    br_csv_out_discard(c);
    free(c);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/billrun-export-csv.XXXXXX");
    return mkdtemp(g_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(g_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quoting_and_publish),
        cmocka_unit_test(test_discard),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
