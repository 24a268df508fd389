/* Unit test of ingest on the sample month: reads samples/inbox in application
 * order and checks the per-file counts and rejects against samples/expected,
 * less the one row that only rating rejects (no_price). */
#include "core/book.h"
#include "ingest/ingest.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_FILES 64
#define MAX_REJECTS 256

struct inbox_file {
    enum br_kind kind;
    char name[256];
};

struct expected_file {
    char name[256], kind[16], status[16], reason[32];
    uint64_t rows, accepted, rejected;
};

struct reject_row {
    char file[256];
    uint64_t line;
    char reason[32];
};

/* A run over the sample inbox. */
struct run {
    char inbox[512];
    struct inbox_file files[MAX_FILES];
    size_t nfiles;
    struct br_book book;
    struct br_ingest ing;
};

static const char *source_dir(void)
{
    const char *dir = getenv("BILLRUN_SOURCE_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : "..";
}

static int by_kind_then_name(const void *a, const void *b)
{
    const struct inbox_file *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The inbox's <kind>-*.csv files in application order. */
static void list_inbox(struct run *r)
{
    DIR *d = opendir(r->inbox);
    if (d == NULL)
        fail_msg("cannot open %s (set BILLRUN_SOURCE_DIR)", r->inbox);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        enum br_kind kind;
        if (!br_kind_of_name(e->d_name, &kind))
            continue;
        assert_true(r->nfiles < MAX_FILES);
        r->files[r->nfiles].kind = kind;
        snprintf(r->files[r->nfiles].name, sizeof(r->files[0].name), "%s", e->d_name);
        r->nfiles++;
    }
    closedir(d);
    qsort(r->files, r->nfiles, sizeof(r->files[0]), by_kind_then_name);
}

static struct run *run_samples(void)
{
    struct run *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    snprintf(r->inbox, sizeof(r->inbox), "%s/samples/inbox", source_dir());
    list_inbox(r);
    br_book_init(&r->book);
    br_ingest_init(&r->ing, &r->book, (struct br_calendar){28800}, (size_t)1 << 20);
    for (size_t i = 0; i < r->nfiles; i++) {
        uint32_t idx;
        assert_int_equal(
            br_ingest_add_file(&r->ing, r->inbox, r->files[i].name, r->files[i].kind, &idx), BR_OK);
        assert_int_equal(idx, i);
        struct br_error err = {0};
        if (br_ingest_read(&r->ing, idx, &err) != BR_OK)
            fail_msg("%s: %s", r->files[i].name, err.msg);
    }
    return r;
}

static void run_free(struct run *r)
{
    br_ingest_free(&r->ing);
    br_book_free(&r->book);
    free(r);
}

/* Splits a CSV line without quoting into at most max fields (in place). */
static size_t split(char *line, char **out, size_t max)
{
    line[strcspn(line, "\r\n")] = '\0';
    size_t n = 0;
    char *p = line;
    while (p != NULL && n < max)
        out[n++] = strsep(&p, ",");
    return n;
}

static FILE *open_expected(const char *name)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/samples/expected/%s", source_dir(), name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char line[512];
    assert_non_null(fgets(line, sizeof(line), f)); /* the header */
    return f;
}

static size_t load_source_files(struct expected_file *out, size_t max)
{
    FILE *f = open_expected("source_files.csv");
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *c[8];
        if (line[0] == '\n')
            continue;
        assert_int_equal(split(line, c, 8), 7);
        assert_true(n < max);
        struct expected_file *e = &out[n++];
        snprintf(e->name, sizeof(e->name), "%s", c[0]);
        snprintf(e->kind, sizeof(e->kind), "%s", c[1]);
        snprintf(e->status, sizeof(e->status), "%s", c[2]);
        snprintf(e->reason, sizeof(e->reason), "%s", c[3]);
        e->rows = strtoull(c[4], NULL, 10);
        e->accepted = strtoull(c[5], NULL, 10);
        e->rejected = strtoull(c[6], NULL, 10);
    }
    fclose(f);
    return n;
}

static size_t load_rejects(struct reject_row *out, size_t max)
{
    FILE *f = open_expected("rejects.csv");
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *c[4];
        if (line[0] == '\n')
            continue;
        assert_int_equal(split(line, c, 4), 3);
        assert_true(n < max);
        snprintf(out[n].file, sizeof(out[n].file), "%s", c[0]);
        out[n].line = strtoull(c[1], NULL, 10);
        snprintf(out[n].reason, sizeof(out[n].reason), "%s", c[2]);
        n++;
    }
    fclose(f);
    return n;
}

/* Drops the no_price rejects (rating's, not ingest's) and moves each from
 * its file's rejected count to its accepted count. Returns how many. */
static size_t drop_no_price(struct reject_row *rj, size_t *nrj, struct expected_file *ex,
                            size_t nex)
{
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < *nrj; i++) {
        if (strcmp(rj[i].reason, "no_price") != 0) {
            rj[kept++] = rj[i];
            continue;
        }
        dropped++;
        for (size_t k = 0; k < nex; k++) {
            if (strcmp(ex[k].name, rj[i].file) == 0) {
                ex[k].accepted++;
                ex[k].rejected--;
            }
        }
    }
    *nrj = kept;
    return dropped;
}

static int reject_cmp(const void *a, const void *b)
{
    const struct reject_row *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c != 0)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->reason, y->reason);
}

static void test_application_order(void **state)
{
    (void)state;
    static const char *const order[] = {
        "accounts-2026-11.csv", "prices-2026-01.csv", "prices-2026-11.csv", "orders-2026-11.csv",
        "eas-2026-11-w1.csv",   "eas-2026-11-w2.csv", "eas-2026-11-w3.csv", "eas-2026-11-w4.csv",
        "oss-2026-11-w1.csv",   "oss-2026-11-w2.csv", "oss-2026-11-w3.csv", "oss-2026-11-w4.csv"};
    struct run *r = run_samples();
    assert_int_equal(r->nfiles, sizeof(order) / sizeof(order[0]));
    for (size_t i = 0; i < r->nfiles; i++)
        assert_string_equal(r->ing.files[i].name, order[i]);
    run_free(r);
}

static void test_source_files(void **state)
{
    (void)state;
    struct expected_file *ex = calloc(MAX_FILES, sizeof(*ex));
    struct reject_row *rj = calloc(MAX_REJECTS, sizeof(*rj));
    assert_non_null(ex);
    assert_non_null(rj);
    size_t nex = load_source_files(ex, MAX_FILES);
    size_t nrj = load_rejects(rj, MAX_REJECTS);
    /* one EAS row of eas-2026-11-w3.csv is rejected by rating, not ingest */
    assert_int_equal(drop_no_price(rj, &nrj, ex, nex), 1);
    struct run *r = run_samples();
    assert_int_equal(r->ing.nfiles, nex);
    for (size_t i = 0; i < r->ing.nfiles; i++) {
        const struct br_ingest_file *f = &r->ing.files[i];
        const struct expected_file *e = NULL;
        for (size_t k = 0; k < nex && e == NULL; k++)
            e = strcmp(ex[k].name, f->name) == 0 ? &ex[k] : NULL;
        if (e == NULL)
            fail_msg("%s is not in source_files.csv", f->name);
        assert_string_equal(br_kind_str(f->kind), e->kind);
        assert_string_equal(e->status, "applied");
        assert_int_equal(f->status, BR_FILE_APPLIED);
        if (f->rows != e->rows || f->accepted != e->accepted || f->rejected != e->rejected)
            fail_msg("%s: %llu = %llu + %llu, want %llu = %llu + %llu", f->name,
                     (unsigned long long)f->rows, (unsigned long long)f->accepted,
                     (unsigned long long)f->rejected, (unsigned long long)e->rows,
                     (unsigned long long)e->accepted, (unsigned long long)e->rejected);
    }
    run_free(r);
    free(ex);
    free(rj);
}

static void test_rejects(void **state)
{
    (void)state;
    struct expected_file ex[1];
    struct reject_row *want = calloc(MAX_REJECTS, sizeof(*want));
    struct reject_row *got = calloc(MAX_REJECTS, sizeof(*got));
    assert_non_null(want);
    assert_non_null(got);
    size_t nwant = load_rejects(want, MAX_REJECTS);
    assert_int_equal(drop_no_price(want, &nwant, ex, 0), 1);
    struct run *r = run_samples();
    assert_true(r->ing.nrejects <= MAX_REJECTS);
    for (size_t i = 0; i < r->ing.nrejects; i++) {
        const struct br_reject *x = &r->ing.rejects[i];
        snprintf(got[i].file, sizeof(got[i].file), "%s", r->ing.files[x->file].name);
        got[i].line = x->line;
        snprintf(got[i].reason, sizeof(got[i].reason), "%s", br_reason_str(x->reason));
    }
    size_t ngot = r->ing.nrejects;
    qsort(want, nwant, sizeof(*want), reject_cmp);
    qsort(got, ngot, sizeof(*got), reject_cmp);
    for (size_t i = 0; i < nwant || i < ngot; i++) {
        if (i >= ngot)
            fail_msg("missing reject %s:%llu %s", want[i].file, (unsigned long long)want[i].line,
                     want[i].reason);
        if (i >= nwant || reject_cmp(&want[i], &got[i]) != 0)
            fail_msg("unexpected reject %s:%llu %s", got[i].file, (unsigned long long)got[i].line,
                     got[i].reason);
    }
    run_free(r);
    free(want);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_application_order),
        cmocka_unit_test(test_source_files),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
