/* Unit tests of ingest/csvread: RFC 4180 records, physical line numbers, raw
 * text, the header check, UTF-8 flags, bounded memory for long fields and
 * lines, reading across the 1 MiB buffer, and the SHA-256 of the bytes. */
#include "ingest/csvread.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

static const char *const HDR[] = {"a", "b", "c"};
#define NCOLS 3
#define MIB ((size_t)1 << 20)

/* A copy of one delivered record. */
struct rec {
    uint64_t line, nfields;
    char *f[NCOLS];
    uint32_t flen[NCOLS];
    char *raw;
    size_t raw_len;
    bool raw_truncated, bad_utf8, empty_line, bad_quote;
};

struct sink {
    struct rec *v;
    size_t n, cap;
    size_t stop_at; /* return an error at this record (1-based); 0 = never */
};

static char *dup_bytes(const char *p, size_t n)
{
    char *c = malloc(n + 1);
    assert_non_null(c);
    if (n)
        memcpy(c, p, n);
    c[n] = '\0';
    return c;
}

static enum br_status collect(void *ctx, const struct br_csv_record *r)
{
    struct sink *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        assert_non_null(s->v);
    }
    struct rec *c = &s->v[s->n++];
    memset(c, 0, sizeof(*c));
    c->line = r->line;
    c->nfields = r->nfields;
    for (size_t i = 0; i < NCOLS && i < r->nfields; i++) {
        c->f[i] = dup_bytes(r->fields[i].p, r->fields[i].len);
        c->flen[i] = r->fields[i].len;
    }
    c->raw = dup_bytes(r->raw, r->raw_len);
    c->raw_len = r->raw_len;
    c->raw_truncated = r->raw_truncated;
    c->bad_utf8 = r->bad_utf8;
    c->empty_line = r->empty_line;
    c->bad_quote = r->bad_quote;
    return s->stop_at == s->n ? BR_ERR_INPUT : BR_OK;
}

static void sink_free(struct sink *s)
{
    for (size_t i = 0; i < s->n; i++) {
        for (size_t k = 0; k < NCOLS; k++)
            free(s->v[i].f[k]);
        free(s->v[i].raw);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static struct br_csv_result read_mem(const void *data, size_t len, struct sink *s)
{
    struct br_csv_result res;
    struct br_error err = {0};
    size_t before = s->n;
    assert_int_equal(br_csv_read_mem(data, len, HDR, NCOLS, collect, s, &res, &err), BR_OK);
    assert_int_equal(res.records, s->n - before);
    assert_int_equal(res.bytes, len);
    return res;
}

/* For literals: the length is the literal's, so NUL bytes are kept. */
#define READ_LIT(lit, sink) read_mem(lit, sizeof(lit) - 1, sink)

/* A temporary file holding data, opened for reading (already unlinked). */
static int temp_fd(const void *data, size_t len)
{
    char path[] = "/tmp/csvread_test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    const char *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        assert_true(w > 0);
        done += (size_t)w;
    }
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

static struct br_csv_result read_fd(const void *data, size_t len, struct sink *s)
{
    int fd = temp_fd(data, len);
    struct br_csv_result res;
    struct br_error err = {0};
    size_t before = s->n;
    assert_int_equal(br_csv_read_fd(fd, HDR, NCOLS, true, collect, s, &res, &err), BR_OK);
    close(fd);
    assert_int_equal(res.records, s->n - before);
    assert_int_equal(res.bytes, len);
    return res;
}

#define READ_FD_LIT(lit, sink) read_fd(lit, sizeof(lit) - 1, sink)

static void check_field(const struct rec *r, size_t i, const char *want)
{
    size_t n = strlen(want);
    if (r->flen[i] != n || memcmp(r->f[i], want, n) != 0)
        fail_msg("line %llu field %zu: \"%s\", want \"%s\"", (unsigned long long)r->line, i,
                 r->f[i], want);
}

static void check_rec(const struct rec *r, uint64_t line, const char *a, const char *b,
                      const char *c)
{
    assert_int_equal(r->line, line);
    assert_int_equal(r->nfields, 3);
    assert_false(r->empty_line);
    check_field(r, 0, a);
    check_field(r, 1, b);
    check_field(r, 2, c);
}

static void check_raw(const struct rec *r, const char *want)
{
    if (r->raw_len != strlen(want) || memcmp(r->raw, want, r->raw_len) != 0)
        fail_msg("line %llu raw \"%s\" (%zu bytes), want \"%s\"", (unsigned long long)r->line,
                 r->raw, r->raw_len, want);
}

static void test_quoting(void **state)
{
    (void)state;
    struct sink s = {0};
    struct br_csv_result res =
        READ_LIT("a,b,c\n1,\"x,y\",\"he said \"\"hi\"\"\"\n\"\",,\"\"\"\"\n", &s);
    assert_int_equal(res.outcome, BR_CSV_READ);
    assert_int_equal(s.n, 2);
    check_rec(&s.v[0], 2, "1", "x,y", "he said \"hi\"");
    check_raw(&s.v[0], "1,\"x,y\",\"he said \"\"hi\"\"\"");
    check_rec(&s.v[1], 3, "", "", "\"");
    sink_free(&s);
}

static void test_multiline_record(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\n1,\"x\ny\",z\n2,b,c\n3,\"p\n\nq\n\",r\n4,b,c\n", &s);
    assert_int_equal(s.n, 4);
    check_rec(&s.v[0], 2, "1", "x\ny", "z");
    check_raw(&s.v[0], "1,\"x\ny\",z");
    check_rec(&s.v[1], 4, "2", "b", "c");
    check_rec(&s.v[2], 5, "3", "p\n\nq\n", "r"); /* an empty line inside quotes is data */
    check_raw(&s.v[2], "3,\"p\n\nq\n\",r");
    check_rec(&s.v[3], 9, "4", "b", "c");
    sink_free(&s);
}

static void test_crlf(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\r\n1,2,3\r\n4,\"x\r\ny\",6\r\n7,a\rb,9\r\n", &s);
    assert_int_equal(s.n, 3);
    check_rec(&s.v[0], 2, "1", "2", "3");
    check_raw(&s.v[0], "1,2,3");
    check_rec(&s.v[1], 3, "4", "x\ny", "6"); /* quoted line ends become LF */
    check_raw(&s.v[1], "4,\"x\ny\",6");
    check_rec(&s.v[2], 5, "7", "a\rb", "9"); /* only '\n' ends a line */
    sink_free(&s);
}

static void test_bom(void **state)
{
    (void)state;
    struct sink s = {0};
    struct br_csv_result res = READ_LIT("\xEF\xBB\xBF"
                                        "a,b,c\r\n1,2,3\r\n",
                                        &s);
    assert_int_equal(res.outcome, BR_CSV_READ);
    assert_int_equal(s.n, 1);
    check_rec(&s.v[0], 2, "1", "2", "3");
    sink_free(&s);
    res = READ_LIT("\xEF\xBB\xBF\xEF\xBB\xBF"
                   "a,b,c\n1,2,3\n",
                   &s); /* only one BOM */
    assert_int_equal(res.outcome, BR_CSV_BAD_HEADER);
    assert_int_equal(s.n, 0);
    res = READ_LIT("\"a\",\"b\",\"c\"\n1,2,3\n", &s); /* compared after unquoting */
    assert_int_equal(res.outcome, BR_CSV_READ);
    assert_int_equal(s.n, 1);
    sink_free(&s);
}

static void test_header_only(void **state)
{
    (void)state;
    struct sink s = {0};
    assert_int_equal(READ_LIT("a,b,c\n", &s).outcome, BR_CSV_READ);
    assert_int_equal(READ_LIT("a,b,c", &s).outcome, BR_CSV_READ);
    assert_int_equal(READ_LIT("a,b,c\r\n", &s).outcome, BR_CSV_READ);
    assert_int_equal(READ_LIT("a,b,c\n\n\n", &s).outcome, BR_CSV_READ);
    assert_int_equal(s.n, 0);
}

static void test_empty_files(void **state)
{
    (void)state;
    static const char *const empty[] = {"",       "\xEF\xBB\xBF", "\n",
                                        "\n\n\n", "\r\n\r\n",     "\xEF\xBB\xBF\n\n"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        struct sink s = {0};
        size_t len = strlen(empty[i]);
        if (read_mem(empty[i], len, &s).outcome != BR_CSV_EMPTY)
            fail_msg("mem case %zu is not empty", i);
        if (read_fd(empty[i], len, &s).outcome != BR_CSV_EMPTY)
            fail_msg("fd case %zu is not empty", i);
        assert_int_equal(s.n, 0);
    }
}

static void test_bad_header(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a,b,x\n1,2,3\n", "a,b\n1,2,3\n",   "a,b,c,d\n1,2,3\n", " a,b,c\n1,2,3\n",
        "A,B,C\n1,2,3\n", "a;b;c\n1,2,3\n", "a,b,c \n1,2,3\n",  "\"a,b\",c\n1,2,3\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sink s = {0};
        struct br_csv_result res = read_mem(bad[i], strlen(bad[i]), &s);
        if (res.outcome != BR_CSV_BAD_HEADER)
            fail_msg("header %zu accepted", i);
        assert_int_equal(s.n, 0);
        assert_int_equal(res.records, 0);
        assert_true(res.detail[0] != '\0');
        res = read_fd(bad[i], strlen(bad[i]), &s);
        assert_int_equal(res.outcome, BR_CSV_BAD_HEADER);
        assert_int_equal(s.n, 0);
    }
    struct sink s = {0};
    struct br_csv_result res = READ_LIT("a,b,x\n1,2,3\n", &s);
    assert_non_null(strstr(res.detail, "a,b,x"));
}

static void test_first_line_empty(void **state)
{
    (void)state;
    struct sink s = {0};
    struct br_csv_result res = READ_LIT("\na,b,c\n1,2,3\n", &s);
    assert_int_equal(res.outcome, BR_CSV_BAD_HEADER);
    assert_int_equal(s.n, 0);
    res = READ_LIT("\xEF\xBB\xBF\r\na,b,c\r\n1,2,3\r\n", &s);
    assert_int_equal(res.outcome, BR_CSV_BAD_HEADER);
    assert_int_equal(s.n, 0);
}

static void test_missing_final_newline(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\n1,2,3\n4,5,6", &s);
    assert_int_equal(s.n, 2);
    check_rec(&s.v[1], 3, "4", "5", "6");
    check_raw(&s.v[1], "4,5,6");
    sink_free(&s);
    READ_FD_LIT("a,b,c\r\n1,2,3\r\n4,5,\"6\"", &s);
    assert_int_equal(s.n, 2);
    check_rec(&s.v[1], 3, "4", "5", "6");
    check_raw(&s.v[1], "4,5,\"6\"");
    sink_free(&s);
}

static void test_trailing_empty_lines(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\n1,2,3\n\n\n\n", &s);
    assert_int_equal(s.n, 1);
    sink_free(&s);
    READ_LIT("a,b,c\r\n1,2,3\r\n\r\n\r\n", &s);
    assert_int_equal(s.n, 1);
    sink_free(&s);
    READ_FD_LIT("a,b,c\n1,2,3\n\n\n", &s);
    assert_int_equal(s.n, 1);
    sink_free(&s);
}

static void test_empty_line_between(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\n1,2,3\n\n4,5,6\n\r\n\n7,8,9\n\n", &s);
    assert_int_equal(s.n, 6);
    check_rec(&s.v[0], 2, "1", "2", "3");
    assert_true(s.v[1].empty_line);
    assert_int_equal(s.v[1].line, 3);
    assert_int_equal(s.v[1].nfields, 0);
    assert_int_equal(s.v[1].raw_len, 0);
    check_rec(&s.v[2], 4, "4", "5", "6");
    assert_true(s.v[3].empty_line);
    assert_int_equal(s.v[3].line, 5);
    assert_true(s.v[4].empty_line);
    assert_int_equal(s.v[4].line, 6);
    check_rec(&s.v[5], 7, "7", "8", "9");
    sink_free(&s);
    READ_LIT("a,b,c\n\n1,2,3\n", &s); /* right after the header */
    assert_int_equal(s.n, 2);
    assert_true(s.v[0].empty_line);
    assert_int_equal(s.v[0].line, 2);
    check_rec(&s.v[1], 3, "1", "2", "3");
    sink_free(&s);
}

/* "a,b,c\n1,<field>,z\n2,b,c\n" with a field of n bytes made by fill(). */
static char *long_field_doc(size_t n, bool quoted, size_t *len, char **field)
{
    char *f = malloc(n + 1);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        f[i] = (char)('a' + i % 26);
    f[n] = '\0';
    char *doc = malloc(n + 64);
    assert_non_null(doc);
    int k = snprintf(doc, n + 64, "a,b,c\n1,%s", quoted ? "\"" : "");
    memcpy(doc + k, f, n);
    k += (int)n;
    k += snprintf(doc + k, n + 64 - (size_t)k, "%s,z\n2,b,c\n", quoted ? "\"" : "");
    *len = (size_t)k;
    *field = f;
    return doc;
}

static void check_long_field(size_t n, bool quoted)
{
    size_t len;
    char *f;
    char *doc = long_field_doc(n, quoted, &len, &f);
    struct sink s = {0};
    read_mem(doc, len, &s);
    assert_int_equal(s.n, 2);
    size_t keep = n < BR_FIELD_KEEP ? n : BR_FIELD_KEEP;
    assert_int_equal(s.v[0].flen[1], keep);
    assert_memory_equal(s.v[0].f[1], f, keep);
    check_field(&s.v[0], 2, "z");
    assert_int_equal(s.v[0].nfields, 3);
    check_rec(&s.v[1], 3, "2", "b", "c");
    sink_free(&s);
    free(doc);
    free(f);
}

static void test_long_fields(void **state)
{
    (void)state;
    static const size_t sizes[] = {1023, 1024, 1025, 1026, 1500, 4095, 4096, 4097, 9000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        check_long_field(sizes[i], false);
        check_long_field(sizes[i], true);
    }
}

/* A doubled quote at every position around libcsv's 4096-byte buffer cap. */
static void test_long_field_doubled_quote(void **state)
{
    (void)state;
    for (size_t at = 4085; at < 4105; at++) {
        size_t n = at + 3000;
        char *doc = malloc(n + 64);
        assert_non_null(doc);
        int k = snprintf(doc, n + 64, "a,b,c\n1,\"");
        memset(doc + k, 'x', at);
        k += (int)at;
        k += snprintf(doc + k, n + 64 - (size_t)k, "\"\"");
        memset(doc + k, 'y', 3000);
        k += 3000;
        k += snprintf(doc + k, n + 64 - (size_t)k, "\",z\n2,b,c\n");
        struct sink s = {0};
        read_mem(doc, (size_t)k, &s);
        assert_int_equal(s.n, 2);
        assert_int_equal(s.v[0].nfields, 3);
        assert_int_equal(s.v[0].flen[1], BR_FIELD_KEEP);
        check_field(&s.v[0], 2, "z");
        check_rec(&s.v[1], 3, "2", "b", "c");
        sink_free(&s);
        free(doc);
    }
}

static void test_huge_field_10mb(void **state)
{
    (void)state;
    size_t len;
    char *f;
    char *doc = long_field_doc(10 * MIB, false, &len, &f);
    struct sink s = {0};
    read_mem(doc, len, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0].nfields, 3);
    assert_int_equal(s.v[0].flen[1], BR_FIELD_KEEP);
    assert_memory_equal(s.v[0].f[1], f, BR_FIELD_KEEP);
    check_field(&s.v[0], 2, "z");
    assert_true(s.v[0].raw_truncated);
    assert_int_equal(s.v[0].raw_len, BR_RAW_MAX);
    assert_memory_equal(s.v[0].raw, "1,abc", 5);
    check_rec(&s.v[1], 3, "2", "b", "c");
    assert_false(s.v[1].raw_truncated);
    sink_free(&s);
    /* the same through a file: the line is longer than the read buffer */
    read_fd(doc, len, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0].flen[1], BR_FIELD_KEEP);
    assert_memory_equal(s.v[0].f[1], f, BR_FIELD_KEEP);
    check_field(&s.v[0], 2, "z");
    assert_true(s.v[0].raw_truncated);
    assert_int_equal(s.v[0].raw_len, BR_RAW_MAX);
    check_rec(&s.v[1], 3, "2", "b", "c");
    sink_free(&s);
    free(doc);
    free(f);
}

struct counter {
    uint64_t n, nfields, line;
    bool bad_utf8;
    uint32_t len1; /* of field 1 of the first record */
};

static enum br_status count(void *ctx, const struct br_csv_record *r)
{
    struct counter *c = ctx;
    if (c->n == 0 && r->nfields > 1)
        c->len1 = r->fields[1].len;
    c->n++;
    c->nfields = r->nfields;
    c->line = r->line;
    c->bad_utf8 |= r->bad_utf8;
    return BR_OK;
}

static long max_rss_kib(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss;
}

/* A 32 MiB field read from a file costs the reader about its 1 MiB buffer,
 * not the field (the peak RSS of the process barely moves). Runs first, while
 * the peak is still low. */
static void test_huge_field_memory(void **state)
{
    (void)state;
    char *chunk = malloc(MIB);
    assert_non_null(chunk);
    memset(chunk, 'q', MIB);
    int fd = temp_fd("a,b,c\n1,", 8);
    assert_int_equal(lseek(fd, 0, SEEK_END), 8);
    for (int i = 0; i < 32; i++)
        assert_int_equal(write(fd, chunk, MIB), (ssize_t)MIB);
    assert_int_equal(write(fd, ",z\n2,b,c\n", 9), 9);
    free(chunk);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    long before = max_rss_kib();
    struct counter c = {0};
    struct br_csv_result res;
    struct br_error err = {0};
    assert_int_equal(br_csv_read_fd(fd, HDR, NCOLS, true, count, &c, &res, &err), BR_OK);
    close(fd);
    long grown = max_rss_kib() - before;
    assert_int_equal(c.n, 2);
    assert_int_equal(c.line, 3);
    assert_int_equal(c.len1, BR_FIELD_KEEP);
    assert_int_equal(res.bytes, 8 + 32 * MIB + 9);
    if (grown > 12 * 1024)
        fail_msg("reading a 32 MiB field grew the peak RSS by %ld KiB", grown);
}

static void test_million_columns(void **state)
{
    (void)state;
    size_t cols = 1000000;
    size_t len = 6 + 2 * cols + 6;
    char *doc = malloc(len);
    assert_non_null(doc);
    memcpy(doc, "a,b,c\n", 6);
    for (size_t i = 0; i < cols; i++) {
        doc[6 + 2 * i] = '7';
        doc[6 + 2 * i + 1] = i + 1 < cols ? ',' : '\n';
    }
    memcpy(doc + 6 + 2 * cols, "1,2,3\n", 6);
    struct counter c = {0};
    struct br_csv_result res;
    struct br_error err = {0};
    assert_int_equal(br_csv_read_mem(doc, len, HDR, NCOLS, count, &c, &res, &err), BR_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.line, 3);
    assert_int_equal(c.nfields, 3);
    struct sink s = {0};
    read_mem(doc, len, &s);
    assert_int_equal(s.v[0].nfields, cols);
    check_field(&s.v[0], 2, "7");
    sink_free(&s);
    read_fd(doc, len, &s); /* a 2 MB line through the 1 MiB buffer */
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0].nfields, cols);
    check_rec(&s.v[1], 3, "1", "2", "3");
    sink_free(&s);
    free(doc);
}

static void check_utf8_flag(const char *row, size_t n, bool bad)
{
    size_t len = 6 + n + 7;
    char *doc = malloc(len);
    assert_non_null(doc);
    memcpy(doc, "a,b,c\n", 6);
    memcpy(doc + 6, row, n);
    memcpy(doc + 6 + n, "\n1,2,3\n", 7);
    struct sink s = {0};
    read_mem(doc, len, &s);
    assert_int_equal(s.n, 2);
    if (s.v[0].bad_utf8 != bad)
        fail_msg("row \"%s\": bad_utf8 %d", row, s.v[0].bad_utf8);
    assert_false(s.v[1].bad_utf8); /* the flag is per record */
    sink_free(&s);
    free(doc);
}

#define UTF8_CASE(lit, bad) check_utf8_flag(lit, sizeof(lit) - 1, bad)

static void test_bad_utf8(void **state)
{
    (void)state;
    UTF8_CASE("1,x\xFFy,3", true);
    UTF8_CASE("1,\xC0\xAF,3", true);         /* overlong '/' */
    UTF8_CASE("1,\xE0\x80\xAF,3", true);     /* overlong, 3 bytes */
    UTF8_CASE("1,\xF0\x80\x80\xAF,3", true); /* overlong, 4 bytes */
    UTF8_CASE("1,\xED\xA0\x80,3", true);     /* surrogate U+D800 */
    UTF8_CASE("1,\xED\xBF\xBF,3", true);     /* surrogate U+DFFF */
    UTF8_CASE("1,\xF4\x90\x80\x80,3", true); /* above U+10FFFF */
    UTF8_CASE("1,\xE4\xB8,3", true);         /* truncated sequence */
    UTF8_CASE("1,\x80,3", true);             /* lone continuation byte */
    UTF8_CASE("1,a\0b,3", true);             /* NUL */
    UTF8_CASE("1,\"x\ny\xFE\",3", true);     /* on the second line of a record */
    UTF8_CASE("1,\xE4\xB8\xAD\xE6\x96\x87,3", false);
    UTF8_CASE("1,\xF0\x9F\x98\x80,\xC2\xA9", false);
    UTF8_CASE("1,\xED\x9F\xBF,\xEE\x80\x80", false); /* U+D7FF, U+E000 */
    UTF8_CASE("1,\xF4\x8F\xBF\xBF,3", false);        /* U+10FFFF */
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(br_utf8_valid((const unsigned char *)"", 0));
    assert_true(br_utf8_valid((const unsigned char *)"plain ascii text, long enough", 29));
    assert_false(br_utf8_valid((const unsigned char *)"plain ascii\0text, long enough", 29));
    assert_false(br_utf8_valid((const unsigned char *)"0123456\0", 8));
    assert_false(br_utf8_valid((const unsigned char *)"\xC1\xBF", 2));
    assert_false(br_utf8_valid((const unsigned char *)"\xF5\x80\x80\x80", 4));
    assert_true(br_utf8_valid((const unsigned char *)"\xC2\x80", 2));
    assert_false(br_utf8_valid((const unsigned char *)"\xC2", 1));
}

static void test_unclosed_quote(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\n1,\"abc,3\n4,5,6\n7,8,9\n", &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].line, 2);
    assert_int_equal(s.v[0].nfields, 2);
    check_field(&s.v[0], 1, "abc,3\n4,5,6\n7,8,9\n");
    sink_free(&s);
    READ_LIT("a,b,c\n1,\"abc,3\n4,5,6", &s); /* no final newline */
    assert_int_equal(s.n, 1);
    check_field(&s.v[0], 1, "abc,3\n4,5,6");
    check_raw(&s.v[0], "1,\"abc,3\n4,5,6");
    sink_free(&s);
    READ_FD_LIT("a,b,c\n1,\"abc,3\n4,5,6\n", &s);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].line, 2);
    check_field(&s.v[0], 1, "abc,3\n4,5,6\n");
    sink_free(&s);
}

/* Text after a quoted field's closing quote breaks RFC 4180: the record ends
 * at the end of that physical line, flagged, and the next line is a record
 * of its own (leniently, the field would stay open and swallow the lines
 * after it up to the next quote). A quote inside an unquoted field is one of
 * its characters. */
static void test_bad_quote(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\n1,\"svc\"x,3\n4,5,6\n7,a\"b,9\n\"p\nq\" ,r\n10,\"s\"\"t\",u\n"
             "\"x\"\"y\"z\"\n11,12,13",
             &s);
    assert_int_equal(s.n, 7);
    assert_int_equal(s.v[0].line, 2);
    assert_true(s.v[0].bad_quote);
    check_raw(&s.v[0], "1,\"svc\"x,3");
    check_rec(&s.v[1], 3, "4", "5", "6");
    assert_false(s.v[1].bad_quote);
    check_rec(&s.v[2], 4, "7", "a\"b", "9"); /* a quote in an unquoted field */
    assert_false(s.v[2].bad_quote);
    assert_int_equal(s.v[3].line, 5); /* broken on its second line */
    assert_true(s.v[3].bad_quote);
    check_raw(&s.v[3], "\"p\nq\" ,r");
    check_rec(&s.v[4], 7, "10", "s\"t", "u");
    assert_false(s.v[4].bad_quote);
    assert_int_equal(s.v[5].line, 8);
    assert_true(s.v[5].bad_quote);
    check_raw(&s.v[5], "\"x\"\"y\"z\"");
    check_rec(&s.v[6], 9, "11", "12", "13");
    sink_free(&s);
    /* the last line, and a file without a final newline */
    READ_LIT("a,b,c\n\"1\"2,3,4", &s);
    assert_int_equal(s.n, 1);
    assert_true(s.v[0].bad_quote);
    check_raw(&s.v[0], "\"1\"2,3,4");
    sink_free(&s);
    /* a header so broken is not the header */
    struct br_csv_result res = READ_LIT("a,\"b\"x,c\n1,2,3\n", &s);
    assert_int_equal(res.outcome, BR_CSV_BAD_HEADER);
    assert_int_equal(s.n, 0);
    sink_free(&s);
}

/* A line longer than the read buffer broken early: the rest of it is
 * skipped, and the next line is read as usual. */
static void test_bad_quote_long_line(void **state)
{
    (void)state;
    size_t mid = 3 * MIB;
    size_t len = 6 + 6 + mid + 3 + 6;
    char *doc = malloc(len);
    assert_non_null(doc);
    memcpy(doc, "a,b,c\n\"x\"y,", 12);
    memset(doc + 12, 'm', mid);
    memcpy(doc + 12 + mid, ",c\n1,2,3\n", 9);
    struct sink s = {0};
    read_fd(doc, len, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0].line, 2);
    assert_true(s.v[0].bad_quote);
    check_rec(&s.v[1], 3, "1", "2", "3");
    assert_false(s.v[1].bad_quote);
    sink_free(&s);
    free(doc);
}

/* The raw text of a record left open at the end of a file that ends with a
 * newline: each physical line once, without the final newline. */
static void test_unclosed_quote_raw(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\n1,\"abc,3\n4,5,6\n7,8,9\n", &s);
    assert_int_equal(s.n, 1);
    check_raw(&s.v[0], "1,\"abc,3\n4,5,6\n7,8,9");
    sink_free(&s);
    READ_FD_LIT("a,b,c\n1,\"abc,3\n4,5,6\n", &s);
    assert_int_equal(s.n, 1);
    check_raw(&s.v[0], "1,\"abc,3\n4,5,6");
    sink_free(&s);
}

static void test_raw_text(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\r\n1, 2 ,3\r\n\"x\r\ny\",\"\"\"\",z\r\n", &s);
    assert_int_equal(s.n, 2);
    check_rec(&s.v[0], 2, "1", " 2 ", "3"); /* fields are not trimmed */
    check_raw(&s.v[0], "1, 2 ,3");
    check_raw(&s.v[1], "\"x\ny\",\"\"\"\",z");
    assert_false(s.v[1].raw_truncated);
    sink_free(&s);
}

/* Spaces, tabs and a bare CR on the later lines of a record whose first line
 * has none are data too: fields are not trimmed, only LF ends a line. */
static void test_multiline_not_trimmed(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\n1,\"x\ny\", z \n2,\"x\ny\",\tz\t\n3,\"x\ny\",a\rb\n4,b,c\n", &s);
    assert_int_equal(s.n, 4);
    check_rec(&s.v[0], 2, "1", "x\ny", " z ");
    check_rec(&s.v[1], 4, "2", "x\ny", "\tz\t");
    check_rec(&s.v[2], 6, "3", "x\ny", "a\rb");
    check_rec(&s.v[3], 8, "4", "b", "c");
    sink_free(&s);
}

static void test_field_counts(void **state)
{
    (void)state;
    struct sink s = {0};
    READ_LIT("a,b,c\n1,2,3,4,5\n1,2\n\"\"\n,,\n", &s);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.v[0].nfields, 5);
    check_field(&s.v[0], 2, "3");
    assert_int_equal(s.v[1].nfields, 2);
    assert_int_equal(s.v[2].nfields, 1);
    assert_false(s.v[2].empty_line);
    check_rec(&s.v[3], 5, "", "", "");
    sink_free(&s);
}

static void test_callback_stops(void **state)
{
    (void)state;
    static const char doc[] = "a,b,c\n1,2,3\n4,5,6\n7,8,9\n";
    struct sink s = {.stop_at = 2};
    struct br_csv_result res;
    struct br_error err = {0};
    assert_int_equal(br_csv_read_mem(doc, sizeof(doc) - 1, HDR, NCOLS, collect, &s, &res, &err),
                     BR_ERR_INPUT);
    assert_int_equal(s.n, 2);
    sink_free(&s);
    s.stop_at = 1;
    int fd = temp_fd(doc, sizeof(doc) - 1);
    assert_int_equal(br_csv_read_fd(fd, HDR, NCOLS, true, collect, &s, &res, &err), BR_ERR_INPUT);
    close(fd);
    assert_int_equal(s.n, 1);
    sink_free(&s);
}

static void test_read_error(void **state)
{
    (void)state;
    int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    struct sink s = {0};
    struct br_csv_result res;
    struct br_error err = {0};
    assert_int_equal(br_csv_read_fd(fd, HDR, NCOLS, true, collect, &s, &res, &err), BR_ERR_IO);
    assert_true(err.msg[0] != '\0');
    close(fd);
    assert_int_equal(s.n, 0);
}

/* 200k records, some spanning two lines, some with CRLF: > 1 MiB. */
static char *big_doc(size_t nrec, size_t *len, uint64_t *lines)
{
    size_t cap = nrec * 80 + 64;
    char *doc = malloc(cap);
    assert_non_null(doc);
    size_t k = (size_t)snprintf(doc, cap, "a,b,c\n");
    uint64_t line = 2;
    for (size_t i = 0; i < nrec; i++) {
        lines[i] = line;
        k += (size_t)snprintf(doc + k, cap - k, "r%zu,%zu,", i, i);
        if (i % 997 == 0) {
            k += (size_t)snprintf(doc + k, cap - k, "\"two\nlines\"");
            line++;
        } else {
            memset(doc + k, 'x', i % 53);
            k += i % 53;
        }
        k += (size_t)snprintf(doc + k, cap - k, "%s", i % 3 == 0 ? "\r\n" : "\n");
        line++;
    }
    *len = k;
    return doc;
}

struct big_check {
    const uint64_t *lines;
    uint64_t n;
    bool ok;
};

static enum br_status big_record(void *ctx, const struct br_csv_record *r)
{
    struct big_check *b = ctx;
    char num[32];
    uint32_t n = r->fields[1].len < 31 ? r->fields[1].len : 31;
    memcpy(num, r->fields[1].p, n);
    num[n] = '\0';
    uint64_t i = strtoull(num, NULL, 10);
    bool cr = r->fields[2].len > 0 && r->fields[2].p[r->fields[2].len - 1] == '\r';
    if (i != b->n || r->line != b->lines[i] || r->nfields != 3 || r->bad_utf8 || cr)
        b->ok = false;
    b->n++;
    return BR_OK;
}

static void test_big_file(void **state)
{
    (void)state;
    size_t nrec = 200000, len;
    uint64_t *lines = malloc(nrec * sizeof(*lines));
    assert_non_null(lines);
    char *doc = big_doc(nrec, &len, lines);
    assert_true(len > 4 * MIB);
    struct big_check b = {.lines = lines, .ok = true};
    struct br_csv_result res;
    struct br_error err = {0};
    int fd = temp_fd(doc, len);
    assert_int_equal(br_csv_read_fd(fd, HDR, NCOLS, true, big_record, &b, &res, &err), BR_OK);
    close(fd);
    assert_true(b.ok);
    assert_int_equal(b.n, nrec);
    assert_int_equal(res.records, nrec);
    assert_int_equal(res.bytes, len);
    uint8_t want[32];
    SHA256((const unsigned char *)doc, len, want);
    assert_memory_equal(res.sha256, want, 32);
    b = (struct big_check){.lines = lines, .ok = true};
    assert_int_equal(br_csv_read_mem(doc, len, HDR, NCOLS, big_record, &b, &res, &err), BR_OK);
    assert_true(b.ok);
    assert_int_equal(b.n, nrec);
    assert_memory_equal(res.sha256, want, 32);
    free(doc);
    free(lines);
}

static void check_sha(const char *data, size_t len, const char *hex)
{
    struct sink s = {0};
    char got[65];
    struct br_csv_result res = read_mem(data, len, &s);
    for (int i = 0; i < 32; i++)
        snprintf(got + 2 * i, sizeof(got) - 2 * (size_t)i, "%02x", res.sha256[i]);
    assert_string_equal(got, hex);
    res = read_fd(data, len, &s);
    for (int i = 0; i < 32; i++)
        snprintf(got + 2 * i, sizeof(got) - 2 * (size_t)i, "%02x", res.sha256[i]);
    assert_string_equal(got, hex);
    sink_free(&s);
}

static void test_sha256(void **state)
{
    (void)state;
    check_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* "abc" is a bad header: the hash still covers every byte */
    check_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* A refused file bigger than the buffer, and hashing only: every byte hashed. */
static void test_sha256_large(void **state)
{
    (void)state;
    size_t len = 3 * MIB + 12345;
    char *doc = malloc(len);
    assert_non_null(doc);
    for (size_t i = 0; i < len; i++)
        doc[i] = (char)(i % 61 == 60 ? '\n' : 'A' + i % 26);
    uint8_t want[32];
    SHA256((const unsigned char *)doc, len, want);
    struct sink s = {0};
    struct br_csv_result res = read_fd(doc, len, &s);
    assert_int_equal(res.outcome, BR_CSV_BAD_HEADER);
    assert_memory_equal(res.sha256, want, 32);
    memcpy(doc, "a,b,c\n", 6);
    SHA256((const unsigned char *)doc, len, want);
    int fd = temp_fd(doc, len);
    struct br_error err = {0};
    assert_int_equal(br_csv_read_fd(fd, HDR, NCOLS, false, collect, &s, &res, &err), BR_OK);
    close(fd);
    assert_int_equal(s.n, 0); /* hashing only: nothing delivered */
    assert_int_equal(res.outcome, BR_CSV_READ);
    assert_int_equal(res.bytes, len);
    assert_memory_equal(res.sha256, want, 32);
    free(doc);
}

/* A 3 MB field of 3-byte characters: pieces fed from the 1 MiB buffer must
 * not cut a character in two. */
static void test_long_line_utf8(void **state)
{
    (void)state;
    size_t nchars = 1000000;
    size_t len = 6 + 2 + 3 * nchars + 9;
    char *doc = malloc(len);
    assert_non_null(doc);
    memcpy(doc, "a,b,c\nx,", 8);
    for (size_t i = 0; i < nchars; i++)
        memcpy(doc + 8 + 3 * i, "\xE4\xB8\xAD", 3);
    memcpy(doc + 8 + 3 * nchars, ",c\n1,2,3\n", 9);
    struct sink s = {0};
    read_fd(doc, len, &s);
    assert_int_equal(s.n, 2);
    assert_false(s.v[0].bad_utf8);
    assert_int_equal(s.v[0].nfields, 3);
    assert_int_equal(s.v[0].flen[1], BR_FIELD_KEEP);
    check_field(&s.v[0], 2, "c");
    assert_true(s.v[0].raw_truncated);
    check_rec(&s.v[1], 3, "1", "2", "3");
    sink_free(&s);
    free(doc);
}

/* A CRLF line whose '\r' is the last byte of a full read buffer. */
static void test_long_line_cr_at_buffer_end(void **state)
{
    (void)state;
    size_t mid = MIB - 5; /* "x," + mid + ",c" + '\r' ends at buffer byte MIB - 1 */
    size_t len = 7 + 2 + mid + 4 + 7;
    char *doc = malloc(len);
    assert_non_null(doc);
    memcpy(doc, "a,b,c\r\nx,", 9);
    memset(doc + 9, 'm', mid);
    memcpy(doc + 9 + mid, ",c\r\n1,2,3\r\n", 11);
    struct sink s = {0};
    read_fd(doc, len, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0].line, 2);
    assert_int_equal(s.v[0].nfields, 3);
    check_field(&s.v[0], 2, "c");
    check_rec(&s.v[1], 3, "1", "2", "3");
    sink_free(&s);
    free(doc);
}

/* --- records delivered on a second thread ------------------------------------ */

/* The first-field hook's log: field 0 of each call, and how far it ran ahead
 * of the record callback. */
struct hooked {
    struct sink s;
    char **first;
    size_t nfirst, first_cap;
    size_t with_fields; /* records delivered that have a field */
    size_t max_lead;
    bool hook_late; /* a record with a field came before its hook call */
};

static void hook_first(void *ctx, const char *p, size_t n)
{
    struct hooked *h = ctx;
    if (h->nfirst == h->first_cap) {
        h->first_cap = h->first_cap ? h->first_cap * 2 : 64;
        h->first = realloc(h->first, h->first_cap * sizeof(*h->first));
        assert_non_null(h->first);
    }
    h->first[h->nfirst++] = dup_bytes(p, n);
}

static enum br_status hook_record(void *ctx, const struct br_csv_record *r)
{
    struct hooked *h = ctx;
    if (!r->empty_line && r->nfields > 0) {
        if (h->nfirst <= h->with_fields)
            h->hook_late = true;
        else if (h->nfirst - h->with_fields - 1 > h->max_lead)
            h->max_lead = h->nfirst - h->with_fields - 1;
        h->with_fields++;
    }
    return collect(&h->s, r);
}

/* Every kind of record, over several 1 MiB chunks. */
static char *mixed_doc(size_t *len)
{
    size_t cap = 24 * MIB, k = 0;
    char *d = malloc(cap);
    assert_non_null(d);
    k += (size_t)snprintf(d + k, cap - k, "a,b,c\n");
    for (size_t i = 0; k < 12 * MIB; i++) {
        bool rare = (i / 17) % 8 == 0; /* long fields and lines: every 8th round */
        switch (rare || i % 17 < 5 || i % 17 > 7 ? i % 17 : 16) {
        case 0:
            k += (size_t)snprintf(d + k, cap - k, "q%zu,\"x, \"\"y\"\"\",\"two\nlines\"\n", i);
            break;
        case 1:
            k += (size_t)snprintf(d + k, cap - k, "c%zu,crlf,z\r\n", i);
            break;
        case 2:
            k += (size_t)snprintf(d + k, cap - k, "\n\n");
            break;
        case 3:
            k += (size_t)snprintf(d + k, cap - k, "u%zu,\xC3\x28,bad\n", i);
            break;
        case 4:
            k += (size_t)snprintf(d + k, cap - k, "n%zu,a", i);
            d[k++] = '\0';
            k += (size_t)snprintf(d + k, cap - k, "b,nul\n");
            break;
        case 5: /* a field longer than kept, on a plain line under 4 KiB */
        case 6: /* a plain line over 4 KiB */
        case 7: /* a field over libcsv's 4 KiB buffer */
            k += (size_t)snprintf(d + k, cap - k, "l%zu,", i);
            size_t n = i % 17 == 5 ? 2000 : i % 17 == 6 ? 3000 : 5000;
            memset(d + k, 'a' + (char)(i % 26), n);
            k += n;
            d[k++] = ',';
            if (i % 17 == 6) {
                memset(d + k, 'z', n);
                k += n;
            }
            d[k++] = '\n';
            break;
        case 8:
            k += (size_t)snprintf(d + k, cap - k, "f%zu,too,many,fields\n", i);
            break;
        case 9:
            k += (size_t)snprintf(d + k, cap - k, "f%zu\n", i);
            break;
        case 10:
            k += (size_t)snprintf(d + k, cap - k, " s%zu , spaced ,\tt\n", i);
            break;
        case 11:
            if (i % 680 == 11) { /* a record longer than the raw text kept */
                k += (size_t)snprintf(d + k, cap - k, "r%zu,\"", i);
                for (int j = 0; j < 40; j++) {
                    memset(d + k, 'r', 2000);
                    k += 2000;
                    d[k++] = '\n';
                }
                k += (size_t)snprintf(d + k, cap - k, "\",end\n");
                break;
            }
            /* fall through */
        default:
            k += (size_t)snprintf(d + k, cap - k, "p%zu,%zu,\xE4\xB8\xAD%zu\n", i, i * 7, i);
            break;
        }
    }
    k += (size_t)snprintf(d + k, cap - k, "last,no,newline");
    *len = k;
    return d;
}

static void read_hooked(const char *doc, size_t len, struct hooked *h, size_t stop_at,
                        enum br_status want)
{
    memset(h, 0, sizeof(*h));
    h->s.stop_at = stop_at;
    int fd = temp_fd(doc, len);
    struct br_csv_result res;
    struct br_error err = {0};
    assert_int_equal(
        br_csv_read_fd_hooked(fd, HDR, NCOLS, true, hook_record, hook_first, h, &res, &err), want);
    close(fd);
    assert_int_equal(res.records, h->s.n);
    assert_false(h->hook_late);
    assert_true(h->max_lead <= BR_CSV_AHEAD);
}

static void hooked_free(struct hooked *h)
{
    for (size_t i = 0; i < h->nfirst; i++)
        free(h->first[i]);
    free(h->first);
    sink_free(&h->s);
}

static void same_records(const struct hooked *x, const struct hooked *y)
{
    assert_int_equal(x->s.n, y->s.n);
    for (size_t i = 0; i < x->s.n; i++) {
        const struct rec *a = &x->s.v[i], *b = &y->s.v[i];
        assert_int_equal(a->line, b->line);
        assert_int_equal(a->nfields, b->nfields);
        for (size_t k = 0; k < NCOLS && k < a->nfields; k++) {
            assert_int_equal(a->flen[k], b->flen[k]);
            assert_memory_equal(a->f[k], b->f[k], a->flen[k]);
        }
        assert_int_equal(a->raw_len, b->raw_len);
        assert_memory_equal(a->raw, b->raw, a->raw_len);
        assert_int_equal(a->raw_truncated, b->raw_truncated);
        assert_int_equal(a->bad_utf8, b->bad_utf8);
        assert_int_equal(a->empty_line, b->empty_line);
    }
    /* the hook saw the same first fields, one per record that has one */
    assert_int_equal(x->nfirst, y->nfirst);
    for (size_t i = 0; i < x->nfirst; i++)
        assert_string_equal(x->first[i], y->first[i]);
}

/* Parsing on one thread and delivering on another gives the same records,
 * raw text, flags and hook calls as doing both on one, and stops where the
 * callback fails. */
static void test_pipeline_same_records(void **state)
{
    (void)state;
    size_t len;
    char *doc = mixed_doc(&len);
    struct hooked one, two;
    uint64_t was = br_csv_set_pipeline_min(UINT64_MAX);
    read_hooked(doc, len, &one, 0, BR_OK);
    br_csv_set_pipeline_min(0);
    read_hooked(doc, len, &two, 0, BR_OK);
    assert_true(one.s.n > 50000 && two.with_fields > 50000);
    assert_true(one.max_lead == 0 && two.max_lead == BR_CSV_AHEAD);
    bool truncated = false, bad = false, empty = false;
    for (size_t i = 0; i < one.s.n; i++) {
        truncated |= one.s.v[i].raw_truncated;
        bad |= one.s.v[i].bad_utf8;
        empty |= one.s.v[i].empty_line;
    }
    assert_true(truncated && bad && empty);
    same_records(&one, &two);
    assert_int_equal(one.with_fields, one.nfirst);
    hooked_free(&one);
    hooked_free(&two);
    size_t stop = 23456;
    br_csv_set_pipeline_min(UINT64_MAX);
    read_hooked(doc, len, &one, stop, BR_ERR_INPUT);
    br_csv_set_pipeline_min(0);
    read_hooked(doc, len, &two, stop, BR_ERR_INPUT);
    assert_int_equal(one.s.n, stop);
    assert_int_equal(two.s.n, stop);
    assert_int_equal(one.with_fields, two.with_fields);
    hooked_free(&one);
    hooked_free(&two);
    free(doc);
    br_csv_set_pipeline_min(was);
}

static uint64_t default_pipeline_min;

static int delivered_on_a_thread(void **state)
{
    (void)state;
    default_pipeline_min = br_csv_set_pipeline_min(0);
    return 0;
}

static int delivered_as_by_default(void **state)
{
    (void)state;
    br_csv_set_pipeline_min(default_pipeline_min);
    return 0;
}

#define CSV_TESTS                                                                                  \
    cmocka_unit_test(test_quoting), cmocka_unit_test(test_multiline_record),                       \
        cmocka_unit_test(test_crlf), cmocka_unit_test(test_bom),                                   \
        cmocka_unit_test(test_header_only), cmocka_unit_test(test_empty_files),                    \
        cmocka_unit_test(test_bad_header), cmocka_unit_test(test_first_line_empty),                \
        cmocka_unit_test(test_missing_final_newline), cmocka_unit_test(test_trailing_empty_lines), \
        cmocka_unit_test(test_empty_line_between), cmocka_unit_test(test_long_fields),             \
        cmocka_unit_test(test_long_field_doubled_quote), cmocka_unit_test(test_huge_field_10mb),   \
        cmocka_unit_test(test_million_columns), cmocka_unit_test(test_bad_utf8),                   \
        cmocka_unit_test(test_utf8_valid), cmocka_unit_test(test_unclosed_quote),                  \
        cmocka_unit_test(test_unclosed_quote_raw), cmocka_unit_test(test_raw_text),                \
        cmocka_unit_test(test_multiline_not_trimmed), cmocka_unit_test(test_field_counts),         \
        cmocka_unit_test(test_callback_stops), cmocka_unit_test(test_read_error),                  \
        cmocka_unit_test(test_big_file), cmocka_unit_test(test_sha256),                            \
        cmocka_unit_test(test_sha256_large), cmocka_unit_test(test_long_line_utf8),                \
        cmocka_unit_test(test_long_line_cr_at_buffer_end),                                         \
        cmocka_unit_test(test_pipeline_same_records), cmocka_unit_test(test_bad_quote),            \
        cmocka_unit_test(test_bad_quote_long_line),

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_field_memory), /* first: it measures the peak RSS */
        CSV_TESTS};
    /* again, every file read with its records delivered on a second thread
     * (the peak-memory test only makes sense first in a process) */
    const struct CMUnitTest on_a_thread[] = {CSV_TESTS};
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    failed += cmocka_run_group_tests(on_a_thread, delivered_on_a_thread, delivered_as_by_default);
    return failed;
}
