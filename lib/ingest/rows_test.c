/* Unit tests of ingest/rows through br_ingest_*: every reject reason of
 * formats.md for every file kind, their precedence, duplicate and repeated
 * ids, per-file counts, and the rejects of the spec examples 11 and 18. */
#include "ingest/rows.h"

#include "core/book.h"
#include "ingest/ingest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define HDR_ACCOUNTS "account_id,name,address,tax_id,email"
#define HDR_PRICES "item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,free_per_month"
#define HDR_ORDERS                                                                                 \
    "order_id,account_id,order_time,kind,scope,plan_type,quantity,unit,paid,valid_days,bundle_id"
#define HDR_EAS "record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms"
#define HDR_OSS "record_id,account_id,bucket,region,hour_start,metric,value"

#define MAX_FILES 16
#define MAX_WANT 64

/* A run over a temporary inbox with the UTC+8 billing calendar. */
struct fx {
    char dir[64];
    char names[MAX_FILES][64];
    size_t nnames;
    struct br_book book;
    struct br_ingest ing;
};

struct want {
    uint64_t line;
    enum br_reason reason;
};

/* A file being written: its rows and the rejects they must give. */
struct doc {
    char *text;
    size_t len, cap;
    uint64_t next_line;
    struct want w[MAX_WANT];
    size_t nw, rows;
};

static char LONG[2100]; /* 'a' * 2099 */

static struct fx *fx_new(void)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/rows_test.XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    br_book_init(&fx->book);
    br_ingest_init(&fx->ing, &fx->book, (struct br_calendar){28800}, (size_t)1 << 20);
    memset(LONG, 'a', sizeof(LONG) - 1);
    return fx;
}

static void fx_free(struct fx *fx)
{
    br_ingest_free(&fx->ing);
    br_book_free(&fx->book);
    char path[160];
    for (size_t i = 0; i < fx->nnames; i++) {
        snprintf(path, sizeof(path), "%s/%s", fx->dir, fx->names[i]);
        unlink(path);
    }
    rmdir(fx->dir);
    free(fx);
}

/* Writes name into the inbox and reads it; returns its file index. */
static uint32_t fx_read(struct fx *fx, const char *name, const char *text, size_t len)
{
    assert_true(fx->nnames < MAX_FILES);
    snprintf(fx->names[fx->nnames++], 64, "%s", name);
    char path[160];
    snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    enum br_kind kind;
    assert_true(br_kind_of_name(name, &kind));
    uint32_t idx;
    assert_int_equal(br_ingest_add_file(&fx->ing, fx->dir, name, kind, &idx), BR_OK);
    struct br_error err = {0};
    if (br_ingest_read(&fx->ing, idx, &err) != BR_OK)
        fail_msg("%s: %s", name, err.msg);
    return idx;
}

static void expect_counts(const struct fx *fx, uint32_t file, uint64_t rows, uint64_t accepted,
                          uint64_t rejected)
{
    const struct br_ingest_file *f = &fx->ing.files[file];
    if (f->rows != rows || f->accepted != accepted || f->rejected != rejected)
        fail_msg("%s: rows %llu = %llu + %llu, want %llu = %llu + %llu", f->name,
                 (unsigned long long)f->rows, (unsigned long long)f->accepted,
                 (unsigned long long)f->rejected, (unsigned long long)rows,
                 (unsigned long long)accepted, (unsigned long long)rejected);
}

/* The rejects of a file are exactly w[0..n), in order. */
static void expect_rejects(const struct fx *fx, uint32_t file, const struct want *w, size_t n)
{
    size_t k = 0;
    const char *name = fx->ing.files[file].name;
    for (size_t i = 0; i < fx->ing.nrejects; i++) {
        const struct br_reject *r = &fx->ing.rejects[i];
        if (r->file != file)
            continue;
        if (k >= n)
            fail_msg("%s: unexpected reject line %llu %s", name, (unsigned long long)r->line,
                     br_reason_str(r->reason));
        if (r->line != w[k].line || r->reason != w[k].reason)
            fail_msg("%s: reject line %llu %s, want line %llu %s", name,
                     (unsigned long long)r->line, br_reason_str(r->reason),
                     (unsigned long long)w[k].line, br_reason_str(w[k].reason));
        k++;
    }
    if (k != n)
        fail_msg("%s: missing reject line %llu %s", name, (unsigned long long)w[k].line,
                 br_reason_str(w[k].reason));
}

static void doc_append(struct doc *d, const char *s, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        d->cap = (d->len + n + 1) * 2;
        d->text = realloc(d->text, d->cap);
        assert_non_null(d->text);
    }
    memcpy(d->text + d->len, s, n);
    d->len += n;
    d->text[d->len] = '\0';
}

static void doc_init(struct doc *d, const char *header)
{
    memset(d, 0, sizeof(*d));
    doc_append(d, header, strlen(header));
    doc_append(d, "\n", 1);
    d->next_line = 2;
}

/* Appends a row (and its newline); want = BR_R_NONE when it is accepted. */
static void doc_row(struct doc *d, enum br_reason want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void doc_row(struct doc *d, enum br_reason want, const char *fmt, ...)
{
    char row[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(row, sizeof(row), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(row));
    if (want != BR_R_NONE) {
        assert_true(d->nw < MAX_WANT);
        d->w[d->nw++] = (struct want){d->next_line, want};
    }
    doc_append(d, row, (size_t)n);
    doc_append(d, "\n", 1);
    d->rows++;
    d->next_line++;
    for (int i = 0; i < n; i++)
        d->next_line += row[i] == '\n';
}

/* Reads the document as a file and checks its rejects and counts. */
static uint32_t doc_check(struct fx *fx, struct doc *d, const char *name)
{
    uint32_t f = fx_read(fx, name, d->text, d->len);
    assert_int_equal(fx->ing.files[f].status, BR_FILE_APPLIED);
    expect_rejects(fx, f, d->w, d->nw);
    expect_counts(fx, f, d->rows, d->rows - d->nw, d->nw);
    free(d->text);
    d->text = NULL;
    return f;
}

static void add_accounts(struct fx *fx)
{
    static const char text[] = HDR_ACCOUNTS "\n"
                                            "acc-1,One,addr,T1,a@example.com\n"
                                            "acc-2,Two,addr,T2,b@example.com\n";
    uint32_t f = fx_read(fx, "accounts-0.csv", text, sizeof(text) - 1);
    expect_counts(fx, f, 2, 2, 0);
}

/* A shared EAS row of id and account at 2026-11-05T00:00:00Z. */
#define EAS_OK(id, acct)                                                                           \
    id "," acct ",svc,stable_diffusion,shared,A10,2026-11-05T00:00:00Z,2026-11-05T00:00:10Z,1000"
#define T0 "2026-11-05T00:00:00Z"
#define T1 "2026-11-05T00:00:10Z"

static void test_eas_single_fields(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    add_accounts(fx);
    struct doc d;
    doc_init(&d, HDR_EAS);
    doc_row(&d, BR_R_NONE, EAS_OK("e-ok", "acc-1"));
    doc_row(&d, BR_R_BAD_FIELD_COUNT, "e-fc,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1);
    doc_row(&d, BR_R_BAD_FIELD_COUNT, EAS_OK("e-fc2", "acc-1") ",");
    doc_row(&d, BR_R_BAD_FIELD_COUNT, "%s", ""); /* an empty line between records */
    doc_row(&d, BR_R_BAD_UTF8, "e-utf,acc-1,svc\xFF,stable_diffusion,shared,A10," T0 "," T1 ",1");
    doc_row(&d, BR_R_BAD_TIMESTAMP,
            "e-ts,acc-1,svc,stable_diffusion,shared,A10,2026-02-30T00:00:00Z," T1 ",1");
    doc_row(&d, BR_R_BAD_TIMESTAMP,
            "e-ts2,acc-1,svc,stable_diffusion,shared,A10,2026-11-05T00:00:00," T1 ",1");
    doc_row(&d, BR_R_BAD_TIMESTAMP,
            "e-ts3,acc-1,svc,stable_diffusion,shared,A10,2026-11-05T00:00:00.5Z," T1 ",1");
    doc_row(&d, BR_R_BAD_TIMESTAMP,
            "e-ts4,acc-1,svc,stable_diffusion,shared,A10," T0 ",2026-13-05T00:00:10Z,1");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "e-ts5,acc-1,svc,stable_diffusion,shared,A10,," T1 ",1");
    doc_row(&d, BR_R_BAD_NUMBER, "e-n1,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1 ",12a");
    doc_row(&d, BR_R_BAD_NUMBER, "e-n2,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1 ",");
    doc_row(&d, BR_R_BAD_NUMBER, "e-n3,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1 ",1e5");
    doc_row(&d, BR_R_BAD_NUMBER, "e-n4,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1 ",1.5");
    doc_row(&d, BR_R_BAD_NUMBER,
            "e-n5,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1 ",99999999999999999999");
    doc_row(&d, BR_R_BAD_NUMBER, "e-n6,acc-1,svc,comfyui,exclusive,gpu-x," T0 "," T1 ",100");
    doc_row(&d, BR_R_BAD_NUMBER, "e-n7,acc-1,svc,comfyui,exclusive,gpu-x," T0 "," T1 ",0");
    doc_row(&d, BR_R_NEGATIVE_QUANTITY,
            "e-neg,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1 ",-5");
    doc_row(&d, BR_R_UNKNOWN_ENUM,
            "e-en1,acc-1,svc,stable_diffusion,dedicated,A10," T0 "," T1 ",1");
    doc_row(&d, BR_R_UNKNOWN_ENUM, "e-en2,acc-1,svc,midjourney,shared,A10," T0 "," T1 ",1");
    doc_row(&d, BR_R_UNKNOWN_ENUM, "e-en3,acc-1,svc,Comfyui,shared,A10," T0 "," T1 ",1");
    doc_row(&d, BR_R_UNKNOWN_ENUM, "e-en4,acc-1,svc,comfyui,,A10," T0 "," T1 ",1");
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, EAS_OK("e-ba1", "acc 1"));
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, EAS_OK("e-ba2", ""));
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, EAS_OK("e-ba3", "acc/1"));
    doc_row(&d, BR_R_UNKNOWN_ACCOUNT, EAS_OK("e-ua", "acc-999"));
    doc_row(&d, BR_R_NONE,
            "e-big,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1 ",9223372036854775807");
    doc_row(&d, BR_R_NONE,
            "e-off,acc-1,svc,comfyui,shared,T4,2026-11-05T05:30:00+05:30,2026-11-05T00:00:00Z,7");
    doc_check(fx, &d, "eas-1.csv");
    assert_int_equal(fx->ing.usage.n, 3);
    fx_free(fx);
}

static void test_eas_cross_fields(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    add_accounts(fx);
    struct doc d;
    doc_init(&d, HDR_EAS);
    doc_row(&d, BR_R_END_BEFORE_START, "x1,acc-1,svc,stable_diffusion,shared,A10," T1 "," T0 ",1");
    doc_row(&d, BR_R_NONE, "x2,acc-1,svc,stable_diffusion,shared,A10," T0 "," T0 ",1");
    doc_row(&d, BR_R_NONE, /* shared jobs have no length limit */
            "x3,acc-1,svc,stable_diffusion,shared,A10,2026-09-01T00:00:00Z,2026-11-01T00:00:00Z,1");
    doc_row(&d, BR_R_END_BEFORE_START, "x4,acc-1,svc,comfyui,exclusive,gpu-x," T1 "," T0 ",");
    doc_row(&d, BR_R_INTERVAL_TOO_LONG,
            "x5,acc-1,svc,comfyui,exclusive,gpu-x,2026-09-01T00:00:00Z,2026-10-02T00:00:01Z,");
    doc_row(&d, BR_R_NONE,
            "x6,acc-1,svc,comfyui,exclusive,gpu-x,2026-09-01T00:00:00Z,2026-10-02T00:00:00Z,");
    doc_row(&d, BR_R_NONE, "x7,acc-1,svc,comfyui,exclusive,gpu-x," T0 "," T0 ",");
    doc_row(&d, BR_R_NONE, /* 31 days written with offsets */
            "x8,acc-1,svc,comfyui,exclusive,gpu-x,2026-09-01T08:00:00+08:00,2026-10-01T19:00:00-05:"
            "00,");
    /* gpu_ms on an exclusive row: its own check first (negative), else
     * bad_number because it must be empty */
    doc_row(&d, BR_R_NEGATIVE_QUANTITY, "x9,acc-1,svc,comfyui,exclusive,gpu-x," T0 "," T1 ",-5");
    doc_row(&d, BR_R_BAD_NUMBER, "x10,acc-1,svc,comfyui,exclusive,gpu-x," T0 "," T1 ",5");
    doc_row(&d, BR_R_BAD_NUMBER, "x11,acc-1,svc,comfyui,exclusive,gpu-x," T0 "," T1 ",abc");
    doc_check(fx, &d, "eas-1.csv");
    assert_int_equal(fx->ing.usage.n, 5);
    fx_free(fx);
}

/* Usage must fall in years 0001-9999 of the billing calendar (periods are
 * YYYY-MM): with a calendar behind UTC, 0001-01-01T00:30Z is still 0000. */
static void test_eas_calendar_years(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    fx->ing.cal = (struct br_calendar){-3600};
    add_accounts(fx);
    struct doc d;
    doc_init(&d, HDR_EAS);
    doc_row(&d, BR_R_BAD_TIMESTAMP,
            "y1,acc-1,svc,comfyui,shared,A10,0001-01-01T00:30:00Z,"
            "0001-01-01T00:40:00Z,5");
    doc_row(&d, BR_R_NONE,
            "y2,acc-1,svc,comfyui,shared,A10,0001-01-01T01:00:00Z,"
            "0001-01-01T01:10:00Z,5");
    doc_row(&d, BR_R_NONE,
            "y3,acc-1,svc,comfyui,shared,A10,9999-12-31T23:30:00Z,"
            "9999-12-31T23:40:00Z,5");
    doc_check(fx, &d, "eas-1.csv");
    assert_int_equal(fx->ing.usage.n, 2); /* y2, and y3: still 9999 at -01:00 */
    fx_free(fx);
}

static void test_eas_precedence(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    add_accounts(fx);
    struct doc d;
    doc_init(&d, HDR_EAS);
    doc_row(&d, BR_R_NONE, EAS_OK("p-ok", "acc-1"));
    /* bad_utf8 > bad_field_count */
    doc_row(&d, BR_R_BAD_UTF8, "p1,acc-1,\xFE,stable_diffusion,shared,A10," T0 "," T1);
    /* bad_field_count > duplicate_record */
    doc_row(&d, BR_R_BAD_FIELD_COUNT, "p-ok,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1);
    /* broken quoting is bad_field_count, ends with its line and claims no id */
    doc_row(&d, BR_R_BAD_FIELD_COUNT,
            "p-bq,acc-1,\"svc\"x,stable_diffusion,shared,A10," T0 "," T1 ",1");
    doc_row(&d, BR_R_NONE, EAS_OK("p-bq", "acc-1"));
    /* duplicate_record > field_too_long and single fields */
    doc_row(&d, BR_R_DUPLICATE_RECORD, EAS_OK("p-ok", "%.65s"), LONG);
    doc_row(&d, BR_R_DUPLICATE_RECORD, "p-ok,acc 1,svc,x,y,A10,2026-02-30T00:00:00Z," T1 ",-1");
    /* field_too_long > bad_account_id > single fields in column order */
    doc_row(&d, BR_R_FIELD_TOO_LONG, "p2,acc 1%.60s,svc,x,shared,A10," T0 "," T1 ",1", LONG);
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, "p3,acc 1,svc,midjourney,shared,A10,bad," T1 ",1");
    doc_row(&d, BR_R_UNKNOWN_ENUM, "p4,acc-1,svc,midjourney,shared,A10,bad," T1 ",12a");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "p5,acc-1,svc,comfyui,shared,A10,bad," T1 ",12a");
    doc_row(&d, BR_R_BAD_NUMBER, "p6,acc-1,svc,comfyui,shared,A10," T1 "," T0 ",12a");
    /* single fields > across fields > unknown_account */
    doc_row(&d, BR_R_NEGATIVE_QUANTITY, "p7,acc-9,svc,comfyui,shared,A10," T1 "," T0 ",-1");
    doc_row(&d, BR_R_NONE, "p7z,acc-1,svc,comfyui,shared,A10," T0 "," T1 ",-0"); /* zero */
    doc_row(&d, BR_R_END_BEFORE_START, "p8,acc-9,svc,comfyui,shared,A10," T1 "," T0 ",1");
    doc_row(&d, BR_R_INTERVAL_TOO_LONG,
            "p9,acc-9,svc,comfyui,exclusive,gpu-x,2026-01-01T00:00:00Z,2026-11-01T00:00:00Z,");
    doc_row(&d, BR_R_UNKNOWN_ENUM, "p10,acc-9,svc,comfyui,dedicated,A10," T0 "," T1 ",1");
    doc_check(fx, &d, "eas-1.csv");
    fx_free(fx);
}

/* The first row with an id claims it, accepted or not, across files of a
 * source; OSS ids live apart from EAS ids. */
static void test_eas_duplicates(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    add_accounts(fx);
    struct doc d;
    doc_init(&d, HDR_EAS);
    doc_row(&d, BR_R_NONE, EAS_OK("d1", "acc-1"));
    doc_row(&d, BR_R_DUPLICATE_RECORD, EAS_OK("d1", "acc-1"));
    doc_row(&d, BR_R_DUPLICATE_RECORD, EAS_OK("d1", "acc-2"));
    doc_row(&d, BR_R_BAD_TIMESTAMP,
            "d2,acc-1,svc,stable_diffusion,shared,A10,2026-02-30T00:00:00Z," T1 ",1");
    doc_row(&d, BR_R_DUPLICATE_RECORD, EAS_OK("d2", "acc-1"));
    doc_row(&d, BR_R_UNKNOWN_ACCOUNT, EAS_OK("d3", "acc-9"));
    doc_row(&d, BR_R_DUPLICATE_RECORD, EAS_OK("d3", "acc-1"));
    doc_row(&d, BR_R_FIELD_TOO_LONG, EAS_OK("d4", "%.65s"), LONG);
    doc_row(&d, BR_R_DUPLICATE_RECORD, EAS_OK("d4", "acc-1"));
    doc_row(&d, BR_R_NONE, EAS_OK("D1", "acc-1")); /* ids are case-sensitive */
    doc_check(fx, &d, "eas-1.csv");
    doc_init(&d, HDR_EAS);
    doc_row(&d, BR_R_DUPLICATE_RECORD, EAS_OK("d1", "acc-1"));
    doc_row(&d, BR_R_DUPLICATE_RECORD, EAS_OK("d3", "acc-1"));
    doc_row(&d, BR_R_NONE, EAS_OK("d5", "acc-1"));
    doc_check(fx, &d, "eas-2.csv");
    doc_init(&d, HDR_OSS);
    doc_row(&d, BR_R_NONE, "d1,acc-1,b,cn,2026-11-05T05:00:00Z,get_requests,1");
    doc_row(&d, BR_R_NONE, "d2,acc-1,b,cn,2026-11-05T05:00:00Z,get_requests,1");
    doc_row(&d, BR_R_DUPLICATE_RECORD, "d1,acc-1,b,cn,2026-11-05T06:00:00Z,get_requests,1");
    doc_check(fx, &d, "oss-1.csv");
    assert_int_equal(fx->ing.usage.n, 5);
    fx_free(fx);
}

/* Length limits: 64 for account ids, 128 for record ids, 1024 for any field. */
static void test_eas_lengths(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    add_accounts(fx);
    struct doc d;
    doc_init(&d, HDR_EAS);
    doc_row(&d, BR_R_FIELD_TOO_LONG, EAS_OK("l1", "%.65s"), LONG); /* also unknown */
    doc_row(&d, BR_R_UNKNOWN_ACCOUNT, EAS_OK("l2", "%.64s"), LONG);
    doc_row(&d, BR_R_FIELD_TOO_LONG, EAS_OK("%.129s", "acc-1"), LONG);
    doc_row(&d, BR_R_NONE, EAS_OK("%.128s", "acc-1"), LONG);
    doc_row(&d, BR_R_FIELD_TOO_LONG, "l3,acc-1,%.1025s,stable_diffusion,shared,A10," T0 "," T1 ",1",
            LONG);
    doc_row(&d, BR_R_NONE, "l4,acc-1,%.1024s,stable_diffusion,shared,A10," T0 "," T1 ",1", LONG);
    doc_row(&d, BR_R_FIELD_TOO_LONG, "l5,acc-1,svc,stable_diffusion,shared,%.2000s," T0 "," T1 ",1",
            LONG);
    doc_row(&d, BR_R_FIELD_TOO_LONG,
            "l6,acc-1,svc,stable_diffusion,shared,A10," T0 "," T1 ",%.1100s", LONG);
    doc_check(fx, &d, "eas-1.csv");
    fx_free(fx);
}

#define OSS(id, rest) id ",acc-1,b,cn-shanghai," rest

static void test_oss_rows(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    add_accounts(fx);
    struct doc d;
    doc_init(&d, HDR_OSS);
    doc_row(&d, BR_R_NONE, OSS("o-ok", "2026-11-05T05:00:00Z,storage_bytes,1073741824"));
    doc_row(&d, BR_R_NOT_HOUR_ALIGNED, OSS("o-a1", "2026-11-05T05:30:00Z,storage_bytes,1"));
    doc_row(&d, BR_R_NOT_HOUR_ALIGNED, OSS("o-a2", "2026-11-05T05:00:00+05:30,storage_bytes,1"));
    doc_row(&d, BR_R_NOT_HOUR_ALIGNED, OSS("o-a3", "2026-11-05T05:00:01Z,storage_bytes,1"));
    doc_row(&d, BR_R_NONE, OSS("o-a4", "2026-11-05T05:30:00+05:30,storage_bytes,1"));
    doc_row(&d, BR_R_NONE, OSS("o-a5", "2026-11-05T13:00:00+08:00,put_requests,100"));
    doc_row(&d, BR_R_NONE, OSS("o-a6", "1969-12-31T23:00:00Z,egress_bytes,0"));
    doc_row(&d, BR_R_UNKNOWN_ENUM, OSS("o-m1", "2026-11-05T05:00:00Z,delete_requests,5"));
    doc_row(&d, BR_R_UNKNOWN_ENUM, OSS("o-m2", "2026-11-05T05:00:00Z,Storage_bytes,5"));
    doc_row(&d, BR_R_NEGATIVE_QUANTITY, OSS("o-v1", "2026-11-05T05:00:00Z,put_requests,-1"));
    doc_row(&d, BR_R_NONE, OSS("o-v0", "2026-11-05T05:00:00Z,put_requests,-0"));
    doc_row(&d, BR_R_BAD_NUMBER, OSS("o-v2", "2026-11-05T05:00:00Z,put_requests,1.5"));
    doc_row(&d, BR_R_BAD_NUMBER, OSS("o-v3", "2026-11-05T05:00:00Z,put_requests,"));
    doc_row(&d, BR_R_BAD_TIMESTAMP, OSS("o-t1", "2026-11-05T05:00:00,put_requests,1"));
    doc_row(&d, BR_R_NOT_HOUR_ALIGNED, OSS("o-p1", "2026-11-05T05:30:00Z,delete,-1"));
    doc_row(&d, BR_R_UNKNOWN_ENUM, OSS("o-p2", "2026-11-05T05:00:00Z,delete,-1"));
    doc_row(&d, BR_R_UNKNOWN_ACCOUNT, "o-u,acc-9,b,cn,2026-11-05T05:00:00Z,get_requests,1");
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, "o-b,acc 1,b,cn,2026-11-05T05:30:00Z,get_requests,1");
    doc_row(&d, BR_R_BAD_FIELD_COUNT, OSS("o-fc", "2026-11-05T05:00:00Z,get_requests"));
    doc_row(&d, BR_R_DUPLICATE_RECORD, OSS("o-ok", "2026-11-05T07:00:00Z,storage_bytes,5"));
    doc_row(&d, BR_R_DUPLICATE_RECORD, OSS("o-a1", "2026-11-05T07:00:00Z,storage_bytes,5"));
    doc_check(fx, &d, "oss-1.csv");
    assert_int_equal(fx->ing.usage.n, 5);
    fx_free(fx);
}

static void test_accounts_rows(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    struct doc d;
    doc_init(&d, HDR_ACCOUNTS);
    doc_row(&d, BR_R_NONE, "acc-1,One,addr,T1,a@example.com");
    doc_row(&d, BR_R_FIELD_TOO_LONG, "%.65s,Long,addr,T,e", LONG);
    doc_row(&d, BR_R_NONE, "%.64s,Max,addr,T,e", LONG);
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, "acc 2,Space,addr,T,e");
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, ",Empty,addr,T,e");
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, "acc/3,Slash,addr,T,e");
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, "\xE5\xAE\xA2\xE6\x88\xB7,Chinese id,addr,T,e");
    doc_row(&d, BR_R_NONE, "\"acc-3\",\"Multi\nLine, Co.\",\"addr, with comma\",T,e");
    doc_row(&d, BR_R_BAD_FIELD_COUNT, "acc-4,Short,addr,T");
    doc_row(&d, BR_R_FIELD_TOO_LONG, "acc-5,%.1025s,addr,T,e", LONG);
    doc_row(&d, BR_R_FIELD_TOO_LONG, "acc 6,%.1025s,addr,T,e", LONG);
    doc_row(&d, BR_R_BAD_UTF8, "acc-7,Bad\xC0\xAF,addr,T,e");
    doc_row(&d, BR_R_NONE, "acc-8,\xE5\x85\xB0\xE4\xBA\xAD,addr,T,e");
    doc_row(&d, BR_R_NONE, "acc-1,One Renamed,addr,T1,a@example.com");
    doc_check(fx, &d, "accounts-1.csv");
    assert_int_equal(br_book_naccounts(&fx->book), 4);
    uint32_t a;
    assert_true(br_book_account_find(&fx->book, "acc-1", 5, &a));
    assert_string_equal(fx->book.accounts[a].name, "One Renamed");
    assert_true(br_book_account_find(&fx->book, "acc-3", 5, &a));
    assert_string_equal(fx->book.accounts[a].name, "Multi\nLine, Co.");
    assert_int_equal(fx->book.accounts[a].line, 9);
    fx_free(fx);
}

#define FROM "2026-01-01T00:00:00+08:00"

static void test_prices_rows(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    struct doc d;
    doc_init(&d, HDR_PRICES);
    doc_row(&d, BR_R_NONE, "compute_shared,A10,0.0123456789," FROM ",,,,");
    doc_row(&d, BR_R_NONE, "egress,cold,0.5," FROM ",,08:00,24:00,");
    doc_row(&d, BR_R_NONE, "egress,cold,0.25," FROM ",,00:00,08:00,");
    doc_row(&d, BR_R_NONE, "storage,*,0.12," FROM ",2027-01-01T00:00:00+08:00,,,");
    doc_row(&d, BR_R_NONE, "put,*,0.01," FROM ",,,,5000000");
    doc_row(&d, BR_R_NONE, "get,*,0,2026-01-01T00:00:00Z,,,,0");
    doc_row(&d, BR_R_UNKNOWN_ENUM, "gpu_hours,*,1," FROM ",,,,");
    doc_row(&d, BR_R_UNKNOWN_ENUM, "Storage,*,1," FROM ",,,,");
    doc_row(&d, BR_R_BAD_NUMBER, "storage,*,0.12345678901," FROM ",,,,");
    doc_row(&d, BR_R_BAD_NUMBER, "storage,*,abc," FROM ",,,,");
    doc_row(&d, BR_R_BAD_NUMBER, "storage,*,," FROM ",,,,");
    doc_row(&d, BR_R_NEGATIVE_QUANTITY, "get,*,-0.01," FROM ",,,,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "put,x,0.01," FROM ",,08:00,,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "put,x,0.01," FROM ",,,08:00,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "egress,x,0.5," FROM ",,24:00,08:00,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "egress,x,0.5," FROM ",,8:00,09:00,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "egress,x,0.5," FROM ",,08:00,24:01,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "egress,x,0.5,2026-06-01,,,,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "egress,x,0.5,,,,,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "egress,x,0.5," FROM ",2026-06-31T00:00:00Z,,,");
    doc_row(&d, BR_R_END_BEFORE_START, "egress,x,0.5,2026-06-01T00:00:00+08:00," FROM ",,,");
    doc_row(&d, BR_R_END_BEFORE_START, "egress,x,0.5," FROM "," FROM ",,,");
    doc_row(&d, BR_R_END_BEFORE_START, "egress,x,0.5," FROM ",2025-12-31T16:00:00Z,,,");
    doc_row(&d, BR_R_NEGATIVE_QUANTITY, "put,x,0.01," FROM ",,,,-5");
    doc_row(&d, BR_R_NEGATIVE_QUANTITY, "put,x,0.01," FROM ",,,,-0.000001");
    doc_row(&d, BR_R_BAD_NUMBER, "put,x,0.01," FROM ",,,,abc");
    doc_row(&d, BR_R_BAD_FIELD_COUNT, "put,x,0.01," FROM ",,,");
    /* precedence: column order, then across fields */
    doc_row(&d, BR_R_UNKNOWN_ENUM, "gpu_hours,*,-1,bad,,,,");
    doc_row(&d, BR_R_NEGATIVE_QUANTITY, "storage,*,-1,bad,,,,");
    doc_row(&d, BR_R_BAD_NUMBER, "storage,*,abc," FROM ",,08:00,,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "storage,*,1,bad,2020-01-01T00:00:00Z,,,");
    doc_row(&d, BR_R_FIELD_TOO_LONG, "gpu_hours,%.1025s,-1,bad,,,,", LONG);
    /* "63 bits after scaling": a billion requests fit in base units */
    doc_row(&d, BR_R_NONE, "put,big,0.01," FROM ",,,,1000000000");
    doc_row(&d, BR_R_BAD_NUMBER, "get,big,0.01," FROM ",,,,9223372036854775808");
    doc_row(&d, BR_R_BAD_NUMBER, "egress,big,0.5," FROM ",,,,9000000000"); /* * 2^30 */
    doc_row(&d, BR_R_BAD_NUMBER, "egress,big,0.5," FROM ",,,,0.00000000001");
    /* -0 is zero in every number column: not negative */
    doc_row(&d, BR_R_NONE, "put,m0,0.01," FROM ",,,,-0");
    doc_row(&d, BR_R_NONE, "put,m1,-0.00," FROM ",,,,-0.0");
    doc_check(fx, &d, "prices-1.csv");
    assert_int_equal(fx->book.nprices, 9);
    assert_int_equal(fx->book.prices[6].free_units, 1000000000);
    fx_free(fx);
}

#define NOV1 "2026-11-01T00:00:00+08:00"

static void test_orders_rows(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    add_accounts(fx);
    struct doc d;
    doc_init(&d, HDR_ORDERS);
    doc_row(&d, BR_R_NONE, "O1,acc-1," NOV1 ",topup,,,,,100,,");
    doc_row(&d, BR_R_NONE, "O1,acc-1," NOV1 ",topup,,,,,100,,"); /* ignored */
    doc_row(&d, BR_R_CONFLICTING_ORDER, "O1,acc-1," NOV1 ",topup,,,,,200,,");
    doc_row(&d, BR_R_UNKNOWN_ACCOUNT, "O1,acc-9," NOV1 ",topup,,,,,300,,");
    doc_row(&d, BR_R_BAD_NUMBER, "O1,acc-1," NOV1 ",topup,,,,,abc,,");
    doc_row(&d, BR_R_NONE, "S1,acc-1," NOV1 ",plan,storage,capacity,100,GB,3,30,");
    doc_row(&d, BR_R_PLAN_LIMIT,
            "S2,acc-1,2026-11-30T23:59:59+08:00,plan,storage,capacity,50,GB,2,30,");
    doc_row(&d, BR_R_NONE, "S1,acc-1," NOV1 ",plan,storage,capacity,100,GB,3,30,");
    doc_row(&d, BR_R_CONFLICTING_ORDER, "S1,acc-1," NOV1 ",plan,storage,capacity,90,GB,3,30,");
    doc_row(&d, BR_R_NONE, "S3,acc-1,2026-12-01T00:00:00+08:00,plan,storage,capacity,200,GB,6,30,");
    doc_row(&d, BR_R_NONE, "S4,acc-2,2026-11-10T00:00:00+08:00,plan,storage,capacity,50,GB,2,30,");
    doc_row(&d, BR_R_NONE, "A1,acc-1," NOV1 ",plan,storage|egress,amount,5,CNY,4,,");
    doc_row(&d, BR_R_BAD_PLAN, "P1,acc-1," NOV1 ",plan,put,pool,10,request,1,0,");
    doc_row(&d, BR_R_BAD_PLAN, "C1,acc-1," NOV1 ",coupon,*,,5,CNY,0,-2,");
    doc_row(&d, BR_R_BAD_NUMBER, "C2,acc-1," NOV1 ",coupon,*,,5,CNY,0,1.5,");
    doc_row(&d, BR_R_BAD_NUMBER, "P2,acc-1," NOV1 ",plan,egress,pool,10,GB,1,30.0,");
    doc_row(&d, BR_R_BAD_NUMBER, "C3,acc-1," NOV1 ",coupon,*,,5,CNY,0,,");
    doc_row(&d, BR_R_NONE, "C4,acc-1," NOV1 ",coupon,*,,5,CNY,0,1,");
    doc_row(&d, BR_R_UNKNOWN_ENUM, "R1,acc-1," NOV1 ",refund,,,,,5,,");
    doc_row(&d, BR_R_BAD_ACCOUNT_ID, "B1,acc 1," NOV1 ",topup,,,,,5,,");
    doc_row(&d, BR_R_BAD_TIMESTAMP, "B2,acc-1,2026-13-01T00:00:00+08:00,topup,,,,,5,,");
    doc_row(&d, BR_R_BAD_NUMBER, "B3,acc-1," NOV1 ",topup,,,,,99999999999,,");
    doc_row(&d, BR_R_BAD_FIELD_COUNT, "B4,acc-1," NOV1 ",topup,,,,,5,,,");
    doc_row(&d, BR_R_FIELD_TOO_LONG, "%.129s,acc-1," NOV1 ",topup,,,,,5,,", LONG);
    doc_row(&d, BR_R_NONE, "%.128s,acc-1," NOV1 ",topup,,,,,5,,", LONG);
    doc_row(&d, BR_R_FIELD_TOO_LONG, "B5,%.65s," NOV1 ",topup,,,,,5,,", LONG);
    doc_row(&d, BR_R_BAD_PLAN, "B6,acc-9," NOV1 ",plan,storage,pool,10,GB,1,30,");
    /* faces must fit in 63 bits in base units, not the quantity at e10 */
    doc_row(&d, BR_R_NONE, "P3,acc-2," NOV1 ",plan,put,pool,1000000000,request,1,30,");
    doc_row(&d, BR_R_NONE, "P3,acc-2," NOV1 ",plan,put,pool,1000000000,request,1,30,");
    doc_row(&d, BR_R_CONFLICTING_ORDER, "P3,acc-2," NOV1 ",plan,put,pool,1000000001,request,1,30,");
    doc_row(&d, BR_R_NONE, "C5,acc-2," NOV1 ",coupon,*,,1000000000.5,CNY,0,1,");
    doc_row(&d, BR_R_BAD_NUMBER, "P4,acc-2," NOV1 ",plan,egress,pool,9000000000,GB,1,30,");
    doc_row(&d, BR_R_BAD_NUMBER, "P5,acc-2," NOV1 ",plan,put,pool,1000000000.5,request,1,30,");
    doc_row(&d, BR_R_NEGATIVE_QUANTITY,
            "P6,acc-2," NOV1 ",plan,put,pool,-1000000000,request,1,30,");
    doc_check(fx, &d, "orders-1.csv");
    /* O1, S1, S3, S4, A1, C4, the 128-character id, P3 and C5 */
    assert_int_equal(fx->book.norders, 9);
    uint32_t i;
    assert_true(br_book_order_find(&fx->book, "P3", 2, &i));
    assert_int_equal(fx->book.orders[i].face, 1000000000);
    assert_int_equal(fx->book.orders[i].quantity_e10, -1);
    assert_true(br_book_order_find(&fx->book, "C5", 2, &i));
    assert_int_equal(fx->book.orders[i].face, 100000000050000000);
    assert_true(br_book_order_find(&fx->book, "A1", 2, &i));
    assert_int_equal(fx->book.orders[i].valid_days, 365);
    fx_free(fx);
}

/* The worked examples live in the repository (tests/examples). */
static const char *examples_dir(void)
{
    const char *src = getenv("BILLRUN_SOURCE_DIR");
    static char dir[512];
    snprintf(dir, sizeof(dir), "%s/tests/examples", src != NULL && src[0] != '\0' ? src : "..");
    return dir;
}

/* Reads the named files of an example's inbox in the order given. */
static void read_example(struct fx *fx, const char *example, const char *const *names, size_t n)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/%s/inbox", examples_dir(), example);
    if (access(dir, R_OK) != 0)
        fail_msg("cannot read %s (set BILLRUN_SOURCE_DIR)", dir);
    for (size_t i = 0; i < n; i++) {
        enum br_kind kind;
        assert_true(br_kind_of_name(names[i], &kind));
        uint32_t idx;
        assert_int_equal(br_ingest_add_file(&fx->ing, dir, names[i], kind, &idx), BR_OK);
        assert_int_equal(idx, i);
        struct br_error err = {0};
        if (br_ingest_read(&fx->ing, idx, &err) != BR_OK)
            fail_msg("%s: %s", names[i], err.msg);
    }
}

static void expect_refused(const struct fx *fx, uint32_t file, enum br_reason reason)
{
    const struct br_ingest_file *f = &fx->ing.files[file];
    assert_int_equal(f->status, BR_FILE_REFUSED);
    if (f->reason != reason)
        fail_msg("%s refused for %s, want %s", f->name, br_reason_str(f->reason),
                 br_reason_str(reason));
    expect_counts(fx, file, 0, 0, 0);
    expect_rejects(fx, file, NULL, 0);
}

#define W(line, r)                                                                                 \
    {                                                                                              \
        line, BR_R_##r                                                                             \
    }
#define NW(a) (sizeof(a) / sizeof((a)[0]))

static void test_example_11_rejects(void **state)
{
    (void)state;
    static const char *const names[] = {"accounts-1.csv",      "prices-1.csv", "prices-2.csv",
                                        "prices-3.csv",        "prices-4.csv", "orders-1.csv",
                                        "eas-0-badheader.csv", "eas-1.csv",    "oss-1.csv"};
    static const struct want acc[] = {W(3, FIELD_TOO_LONG), W(4, BAD_ACCOUNT_ID),
                                      W(7, BAD_FIELD_COUNT)};
    static const struct want pr[] = {W(4, UNKNOWN_ENUM),     W(5, BAD_NUMBER),
                                     W(6, BAD_TIMESTAMP),    W(7, NEGATIVE_QUANTITY),
                                     W(8, END_BEFORE_START), W(13, END_BEFORE_START),
                                     W(14, BAD_TIMESTAMP)};
    static const struct want ord[] = {
        W(4, CONFLICTING_ORDER), W(5, UNKNOWN_ACCOUNT), W(6, UNKNOWN_ENUM),
        W(8, BAD_PLAN),          W(9, BAD_PLAN),        W(10, BAD_NUMBER),
        W(11, BAD_TIMESTAMP),    W(12, BAD_NUMBER),     W(13, BAD_NUMBER),
        W(14, UNKNOWN_ACCOUNT),  W(15, BAD_NUMBER),     W(16, BAD_ACCOUNT_ID)};
    /* line 12 (no_price) is rejected later, by rating */
    static const struct want eas[] = {
        W(3, BAD_FIELD_COUNT),   W(4, BAD_TIMESTAMP),    W(5, BAD_NUMBER),
        W(6, NEGATIVE_QUANTITY), W(7, END_BEFORE_START), W(8, INTERVAL_TOO_LONG),
        W(10, UNKNOWN_ENUM),     W(11, UNKNOWN_ACCOUNT), W(13, DUPLICATE_RECORD),
        W(14, BAD_UTF8),         W(17, BAD_TIMESTAMP),   W(18, BAD_TIMESTAMP),
        W(19, FIELD_TOO_LONG),   W(20, BAD_NUMBER),      W(21, UNKNOWN_ENUM),
        W(22, BAD_FIELD_COUNT),  W(24, FIELD_TOO_LONG),  W(25, FIELD_TOO_LONG)};
    static const struct want oss[] = {W(3, NOT_HOUR_ALIGNED), W(4, NOT_HOUR_ALIGNED),
                                      W(5, UNKNOWN_ENUM), W(6, NEGATIVE_QUANTITY),
                                      W(9, DUPLICATE_RECORD)};
    struct fx *fx = fx_new();
    read_example(fx, "11-rejects", names, NW(names));
    expect_rejects(fx, 0, acc, NW(acc));
    expect_counts(fx, 0, 5, 2, 3);
    expect_rejects(fx, 1, pr, NW(pr));
    expect_counts(fx, 1, 13, 6, 7);
    expect_refused(fx, 2, BR_R_PRICE_OVERLAP);
    expect_counts(fx, 3, 2, 2, 0);
    expect_counts(fx, 4, 1, 1, 0);
    expect_rejects(fx, 5, ord, NW(ord));
    expect_counts(fx, 5, 16, 4, 12);
    expect_refused(fx, 6, BR_R_BAD_HEADER);
    expect_rejects(fx, 7, eas, NW(eas));
    expect_counts(fx, 7, 23, 5, 18);
    expect_rejects(fx, 8, oss, NW(oss));
    expect_counts(fx, 8, 8, 3, 5);
    assert_int_equal(fx->ing.nrejects, NW(acc) + NW(pr) + NW(ord) + NW(eas) + NW(oss));
    fx_free(fx);
}

static void test_example_18_bad_plan(void **state)
{
    (void)state;
    static const char *const names[] = {"accounts-1.csv", "prices-1.csv", "orders-1.csv",
                                        "oss-1.csv"};
    static const struct want ord[] = {
        W(3, BAD_PLAN),    W(4, BAD_PLAN),    W(5, BAD_PLAN),    W(6, BAD_PLAN),
        W(7, BAD_PLAN),    W(8, BAD_PLAN),    W(9, BAD_PLAN),    W(10, UNKNOWN_ENUM),
        W(11, PLAN_LIMIT), W(14, BAD_PLAN),   W(15, BAD_PLAN),   W(16, BAD_PLAN),
        W(17, BAD_PLAN),   W(18, BAD_NUMBER), W(19, BAD_NUMBER), W(20, BAD_PLAN)};
    struct fx *fx = fx_new();
    read_example(fx, "18-bad-plan", names, NW(names));
    expect_counts(fx, 0, 1, 1, 0);
    expect_counts(fx, 1, 1, 1, 0);
    expect_rejects(fx, 2, ord, NW(ord));
    expect_counts(fx, 2, 19, 3, 16);
    expect_counts(fx, 3, 2, 2, 0);
    assert_int_equal(fx->ing.nrejects, NW(ord));
    assert_int_equal(fx->book.norders, 3);
    fx_free(fx);
}

/* A refused file keeps nothing: counts zero, its rejects dropped. */
static void test_refused_files(void **state)
{
    (void)state;
    struct fx *fx = fx_new();
    add_accounts(fx);
    static const char bad[] = "record_id,account_id\ne1,acc-1\n";
    uint32_t f = fx_read(fx, "eas-1.csv", bad, sizeof(bad) - 1);
    expect_refused(fx, f, BR_R_BAD_HEADER);
    f = fx_read(fx, "oss-1.csv", "\xEF\xBB\xBF\n\n", 5);
    expect_refused(fx, f, BR_R_EMPTY_FILE);
    static const char prices[] = HDR_PRICES "\n"
                                            "nonsense,*,1," FROM ",,,,\n"
                                            "storage,*,0.12," FROM ",,,,\n"
                                            "storage,*,0.13," FROM ",,,,\n";
    f = fx_read(fx, "prices-1.csv", prices, sizeof(prices) - 1);
    expect_refused(fx, f, BR_R_PRICE_OVERLAP);
    assert_int_equal(fx->book.nprices, 0);
    assert_int_equal(fx->ing.nrejects, 0);
    fx_free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eas_single_fields),  cmocka_unit_test(test_eas_calendar_years),
        cmocka_unit_test(test_eas_cross_fields),   cmocka_unit_test(test_eas_precedence),
        cmocka_unit_test(test_eas_duplicates),     cmocka_unit_test(test_eas_lengths),
        cmocka_unit_test(test_oss_rows),           cmocka_unit_test(test_accounts_rows),
        cmocka_unit_test(test_prices_rows),        cmocka_unit_test(test_orders_rows),
        cmocka_unit_test(test_example_11_rejects), cmocka_unit_test(test_example_18_bad_plan),
        cmocka_unit_test(test_refused_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
