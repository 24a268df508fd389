/* What the fuzz targets share: the failure macro, slow reference models
 * written from the spec rather than from lib/ (a CSV splitter, a UTF-8
 * validator, a decimal parser, RFC 3339 timestamps), and the ingest fixture
 * (a book with known accounts, files read through br_ingest_read from a
 * memfd). Header-only so that tests/integration/fuzz_smoke_test.c can include
 * every target into one program. */
#ifndef BR_FUZZ_COMMON_H
#define BR_FUZZ_COMMON_H

#include "core/book.h"
#include "core/btime.h"
#include "core/money.h"
#include "ingest/csvread.h"
#include "ingest/ingest.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A broken invariant: print it and stop (libFuzzer records the input). The
 * smoke test redefines FUZZ_FAIL to fail the cmocka test instead. */
#ifndef FUZZ_FAIL
#define FUZZ_FAIL(msg) abort()
#endif

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            FUZZ_FAIL(#cond);                                                                      \
        }                                                                                          \
    } while (0)

/* --- UTF-8, from the Unicode Standard's table 3-7 (well-formed sequences) -- */

static inline bool fz_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        unsigned char lo = 0x80, hi = 0xBF;
        size_t more;
        if (c == 0)
            return false; /* formats.md: NUL is bad_utf8 too */
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            more = 1;
        else if (c == 0xE0)
            more = 2, lo = 0xA0;
        else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
            more = 2;
        else if (c == 0xED)
            more = 2, hi = 0x9F;
        else if (c == 0xF0)
            more = 3, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3)
            more = 3;
        else if (c == 0xF4)
            more = 3, hi = 0x8F;
        else
            return false;
        if (n - i - 1 < more)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= more; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += more + 1;
    }
    return true;
}

/* --- a reference CSV splitter --------------------------------------------
 * formats.md: RFC 4180 (quoted fields, doubled quotes), CRLF or LF; a CR
 * just before LF is dropped; one BOM allowed; physical line numbers, a record
 * numbered by the line it starts on; empty lines between records are records
 * of no fields, empty lines at the end are ignored. Malformed quoting (a
 * quote inside an unquoted field, text after a closing quote, a quote never
 * closed) is left unmodelled: the splitter stops there (complete = false) and
 * callers compare only the records before it. */

struct fz_field {
    size_t off, len; /* into text */
};

struct fz_rec {
    uint64_t line;
    bool empty_line, bad_utf8;
    size_t first, nfields;   /* into fields */
    size_t raw_off, raw_len; /* into norm: the record without its final newline */
};

struct fz_csv {
    char *norm; /* the input less its BOM and the CR of each CRLF */
    size_t norm_len;
    char *text; /* unescaped field bytes */
    size_t text_len;
    struct fz_field *fields;
    size_t nfields;
    struct fz_rec *recs; /* recs[0] is the header record */
    size_t nrecs;
    bool complete;
    bool line1_empty; /* the first line is empty: the file is refused */
    bool any_content; /* some line is not empty */
    uint64_t nlines;  /* physical lines of the input */
};

static inline void *fz_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        abort();
    return q;
}

static inline void fz_csv_free(struct fz_csv *c)
{
    free(c->norm);
    free(c->text);
    free(c->fields);
    free(c->recs);
    memset(c, 0, sizeof(*c));
}

/* Physical lines of a file: newlines, plus a last line without one. */
static inline uint64_t fz_count_lines(const uint8_t *d, size_t n)
{
    uint64_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += d[i] == '\n';
    return lines + (n > 0 && d[n - 1] != '\n');
}

static inline void fz_csv_push_rec(struct fz_csv *c, struct fz_rec r)
{
    c->recs = fz_xrealloc(c->recs, (c->nrecs + 1) * sizeof(*c->recs));
    c->recs[c->nrecs++] = r;
}

/* Parses one record at norm[*p], which is not an empty line. Returns false
 * where the record is malformed (not modelled). */
static inline bool fz_csv_record(struct fz_csv *c, size_t *p, uint64_t *line)
{
    const char *s = c->norm;
    size_t n = c->norm_len, i = *p;
    struct fz_rec r = {.line = *line, .first = c->nfields, .raw_off = i};
    for (;;) {
        size_t start = c->text_len;
        if (i < n && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= n)
                    return false; /* never closed */
                if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') {
                    c->text[c->text_len++] = '"';
                    i += 2;
                    continue;
                }
                if (s[i] == '"')
                    break;
                if (s[i] == '\n')
                    (*line)++;
                c->text[c->text_len++] = s[i++];
            }
            i++; /* the closing quote */
            if (i < n && s[i] != ',' && s[i] != '\n')
                return false; /* text after the closing quote */
        } else {
            while (i < n && s[i] != ',' && s[i] != '\n') {
                if (s[i] == '"')
                    return false; /* a quote inside an unquoted field */
                c->text[c->text_len++] = s[i++];
            }
        }
        c->fields = fz_xrealloc(c->fields, (c->nfields + 1) * sizeof(*c->fields));
        c->fields[c->nfields++] = (struct fz_field){start, c->text_len - start};
        r.nfields++;
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        break;
    }
    r.raw_len = i - r.raw_off;
    r.bad_utf8 = !fz_utf8_valid((const unsigned char *)s + r.raw_off, r.raw_len);
    if (i < n) { /* the record's newline */
        i++;
        (*line)++;
    }
    *p = i;
    fz_csv_push_rec(c, r);
    return true;
}

static inline void fz_csv_split(struct fz_csv *c, const uint8_t *data, size_t len)
{
    memset(c, 0, sizeof(*c));
    c->nlines = fz_count_lines(data, len);
    size_t off = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    c->norm = fz_xrealloc(NULL, len + 1);
    c->text = fz_xrealloc(NULL, len + 1);
    for (size_t i = off; i < len; i++) {
        bool cr_at_end = data[i] == '\r' && (i + 1 == len || data[i + 1] == '\n');
        if (!cr_at_end)
            c->norm[c->norm_len++] = (char)data[i];
    }
    c->complete = true;
    size_t p = 0;
    uint64_t line = 1, pending = 0, pending_first = 0;
    while (p < c->norm_len) {
        if (c->norm[p] == '\n') {
            if (line == 1)
                c->line1_empty = true;
            if (pending++ == 0)
                pending_first = line;
            p++;
            line++;
            continue;
        }
        c->any_content = true;
        if (c->line1_empty)
            return; /* refused: nothing more is read */
        for (uint64_t k = 0; k < pending && c->nrecs > 0; k++)
            fz_csv_push_rec(c, (struct fz_rec){.line = pending_first + k, .empty_line = true});
        pending = 0;
        if (!fz_csv_record(c, &p, &line)) {
            c->complete = false;
            return;
        }
    }
}

static inline bool fz_field_is(const struct fz_csv *c, const struct fz_rec *r, size_t i,
                               const char *lit)
{
    const struct fz_field *f = &c->fields[r->first + i];
    return f->len == strlen(lit) && memcmp(c->text + f->off, lit, f->len) == 0;
}

/* Does the header record hold exactly these names? */
static inline bool fz_csv_header_is(const struct fz_csv *c, const char *const *names, size_t n)
{
    if (c->nrecs == 0 || c->recs[0].nfields != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!fz_field_is(c, &c->recs[0], i, names[i]))
            return false;
    return true;
}

/* --- a reference decimal parser: -?[0-9]+(\.[0-9]+)?, scaled, 63 bits ---- */

static inline enum br_num fz_dec_parse(const char *s, size_t n, unsigned scale, int64_t *out)
{
    size_t i = s != NULL && n > 0 && s[0] == '-' ? 1 : 0;
    bool neg = i == 1;
    size_t int_from = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t int_to = i, frac_from = i, frac_to = i;
    if (int_to == int_from)
        return BR_NUM_SYNTAX;
    if (i < n && s[i] == '.') {
        frac_from = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        frac_to = i;
        if (frac_to == frac_from)
            return BR_NUM_SYNTAX;
    }
    if (i != n)
        return BR_NUM_SYNTAX;
    if (frac_to - frac_from > scale)
        return BR_NUM_FRAC;
    /* the scaled digits, leading zeros dropped, compared as text */
    char digits[64];
    size_t nd = 0;
    bool too_many = false;
    for (size_t k = int_from; k < int_to; k++) {
        if (nd == 0 && s[k] == '0')
            continue;
        if (nd < sizeof(digits))
            digits[nd++] = s[k];
        else
            too_many = true;
    }
    for (size_t k = 0; k < scale; k++) {
        char d = k < frac_to - frac_from ? s[frac_from + k] : '0';
        if (nd == 0 && d == '0')
            continue;
        if (nd < sizeof(digits))
            digits[nd++] = d;
        else
            too_many = true;
    }
    static const char max[] = "9223372036854775807";
    if (too_many || nd > 19 || (nd == 19 && memcmp(digits, max, 19) > 0))
        return BR_NUM_RANGE;
    int64_t v = 0;
    for (size_t k = 0; k < nd; k++)
        v = v * 10 + (digits[k] - '0');
    *out = neg ? -v : v;
    return BR_NUM_OK;
}

/* Reference for br_dec_times at 10 decimals: a non-negative decimal times a
 * base, exactly, as (integer part) * base + (fraction in e10) * base / 10^10,
 * each part read by fz_dec_parse. BR_NUM_RANGE when not whole or past 63
 * bits. */
static inline enum br_num fz_dec_times10(const char *s, size_t n, uint64_t base, int64_t *out)
{
    int64_t probe;
    enum br_num k = fz_dec_parse(s, n, 10, &probe);
    if (k == BR_NUM_SYNTAX || k == BR_NUM_FRAC)
        return k;
    if (n > 0 && s[0] == '-')
        return BR_NUM_SYNTAX;
    size_t dot = 0;
    while (dot < n && s[dot] != '.')
        dot++;
    int64_t ip = 0, fp = 0;
    if (fz_dec_parse(s, dot, 0, &ip) != BR_NUM_OK)
        return BR_NUM_RANGE;
    if (dot < n) {
        char frac[16] = "0.";
        size_t fl = n - dot - 1; /* 1..10: checked above */
        memcpy(frac + 2, s + dot + 1, fl);
        if (fz_dec_parse(frac, 2 + fl, 10, &fp) != BR_NUM_OK)
            return BR_NUM_SYNTAX;
    }
    br_u128 whole = (br_u128)(uint64_t)ip * base, part = (br_u128)(uint64_t)fp * base;
    if (part % 10000000000u != 0)
        return BR_NUM_RANGE;
    whole += part / 10000000000u;
    if (whole > (br_u128)INT64_MAX)
        return BR_NUM_RANGE;
    *out = (int64_t)whole;
    return BR_NUM_OK;
}

/* --- a reference RFC 3339 parser (formats.md: seconds, Z or +-HH:MM) ------ */

static inline bool fz_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 by counting whole years and months: slow, obvious. */
static inline int64_t fz_days(int64_t y, int m, int d)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t days = 0;
    for (int64_t k = 1970; k < y; k++)
        days += fz_leap(k) ? 366 : 365;
    for (int64_t k = y; k < 1970; k++)
        days -= fz_leap(k) ? 366 : 365;
    for (int k = 1; k < m; k++)
        days += dim[k - 1] + (k == 2 && fz_leap(y));
    return days + d - 1;
}

static inline bool fz_num(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* The earliest instant the engine takes: 0001-01-01T00:00:00Z (PostgreSQL
 * has no year 0). */
#define FZ_T_MIN (-62135596800LL)

static inline bool fz_time_parse(const char *s, size_t n, int64_t *out, int32_t *offset_s)
{
    int y, mo, d, h, mi, se, oh = 0, om = 0;
    if (n != 20 && n != 25)
        return false;
    if (!fz_num(s, 4, &y) || s[4] != '-' || !fz_num(s + 5, 2, &mo) || s[7] != '-' ||
        !fz_num(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !fz_num(s + 11, 2, &h) ||
        s[13] != ':' || !fz_num(s + 14, 2, &mi) || s[16] != ':' || !fz_num(s + 17, 2, &se))
        return false;
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > dim[mo - 1] + (mo == 2 && fz_leap(y)))
        return false;
    if (h > 23 || mi > 59 || se > 59)
        return false;
    int sign = 0;
    if (n == 20) {
        if (s[19] != 'Z' && s[19] != 'z')
            return false;
    } else {
        if ((s[19] != '+' && s[19] != '-') || s[22] != ':' || !fz_num(s + 20, 2, &oh) ||
            !fz_num(s + 23, 2, &om) || oh > 23 || om > 59)
            return false;
        sign = s[19] == '-' ? -1 : 1;
    }
    *offset_s = sign * (oh * 3600 + om * 60);
    *out = fz_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - *offset_s;
    return *out >= FZ_T_MIN;
}

/* A timestamp field as the row validators take it: RFC 3339, and in a year
 * 0001-9999 of the billing calendar (the fixture's UTC+08:00), since ledger
 * periods are YYYY-MM. */
#define FZ_CAL_OFFSET_S 28800
#define FZ_YEAR_10000 253402300800LL /* 10000-01-01T00:00:00 */

static inline bool fz_time_field(const char *s, size_t n, int64_t *out)
{
    int32_t off;
    return fz_time_parse(s, n, out, &off) && *out + FZ_CAL_OFFSET_S < FZ_YEAR_10000;
}

/* --- the ingest fixture ---------------------------------------------------- */

/* Accounts the seed files use (examples and samples), known before a run. */
static const char *const fz_accounts[] = {
    "acc-1",     "acc-2",     "acc-4",     "acc-9",     "acc-a",
    "acc-b",     "acc-c",     "acc-00042", "acc-10017", "acc-10071",
    "acc-10342", "acc-20981", "acc-31415", "acc-52860", "acc-77001",
};

struct fz_run {
    struct br_book book;
    struct br_ingest ing;
};

static inline void fz_run_init(struct fz_run *r)
{
    br_book_init(&r->book);
    br_ingest_init(&r->ing, &r->book, (struct br_calendar){FZ_CAL_OFFSET_S}, (size_t)1 << 20);
    for (size_t i = 0; i < sizeof(fz_accounts) / sizeof(*fz_accounts); i++) {
        uint32_t acct;
        FUZZ_CHECK(br_book_account(&r->book, fz_accounts[i], strlen(fz_accounts[i]), &acct) ==
                       BR_OK,
                   "preloading accounts");
    }
}

static inline void fz_run_free(struct fz_run *r)
{
    br_ingest_free(&r->ing);
    br_book_free(&r->book);
}

/* One memfd per process, rewritten for each file: br_ingest_read opens it by
 * its /proc path as it opens an inbox file. */
/* The one file inputs are written to: a regular file in a private folder
 * (ingest opens files by path, never through a symlink such as
 * /proc/self/fd/N), removed when the process exits. */
static char fz_dir[256], fz_path[300];

static inline void fz_cleanup(void)
{
    unlink(fz_path);
    rmdir(fz_dir);
}

static inline int fz_memfd(void)
{
    static int fd = -1;
    if (fd < 0) {
        const char *base = getenv("TMPDIR");
        snprintf(fz_dir, sizeof(fz_dir), "%s/billrun-fuzz.XXXXXX",
                 base != NULL && base[0] != '\0' ? base : "/tmp");
        if (mkdtemp(fz_dir) == NULL)
            abort();
        snprintf(fz_path, sizeof(fz_path), "%s/input.csv", fz_dir);
        fd = open(fz_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            abort();
        atexit(fz_cleanup);
    }
    return fd;
}

static inline void fz_memfd_write(const uint8_t *data, size_t len)
{
    int fd = fz_memfd();
    if (ftruncate(fd, 0) != 0)
        abort();
    size_t done = 0;
    while (done < len) {
        ssize_t w = pwrite(fd, data + done, len - done, (off_t)done);
        if (w <= 0)
            abort();
        done += (size_t)w;
    }
}

/* The header line of a kind, then the body: a whole file. Caller frees. */
static inline uint8_t *fz_with_header(enum br_kind kind, const uint8_t *body, size_t n, size_t *len)
{
    size_t ncols;
    const char *const *hdr = br_kind_header(kind, &ncols);
    size_t hl = 0;
    for (size_t c = 0; c < ncols; c++)
        hl += strlen(hdr[c]) + 1;
    uint8_t *out = fz_xrealloc(NULL, hl + n);
    size_t o = 0;
    for (size_t c = 0; c < ncols; c++) {
        memcpy(out + o, hdr[c], strlen(hdr[c]));
        o += strlen(hdr[c]);
        out[o++] = c + 1 < ncols ? ',' : '\n';
    }
    if (n > 0)
        memcpy(out + o, body, n);
    *len = o + n;
    return out;
}

/* Hashes and reads a whole file as a run does; returns its index. */
static inline uint32_t fz_read_file(struct fz_run *r, enum br_kind kind, const uint8_t *file,
                                    size_t len)
{
    fz_memfd_write(file, len);
    uint32_t i;
    FUZZ_CHECK(br_ingest_add_file(&r->ing, fz_dir, "input.csv", kind, &i) == BR_OK, "add");
    struct br_error err = {0};
    enum br_status st = br_ingest_hash(&r->ing, i, &err);
    FUZZ_CHECK(st == BR_OK, "hash: %s", err.msg);
    FUZZ_CHECK(r->ing.files[i].bytes == len, "hashed %llu bytes of %zu",
               (unsigned long long)r->ing.files[i].bytes, len);
    /* files of odd length have their records delivered on a second thread
     * (the path of files of 4 MiB or more), the others on this one: the
     * reference models must hold either way */
    uint64_t was = br_csv_set_pipeline_min(len % 2 ? 0 : UINT64_MAX);
    st = br_ingest_read(&r->ing, i, &err);
    br_csv_set_pipeline_min(was);
    FUZZ_CHECK(st == BR_OK, "read: %s", err.msg);
    return i;
}

/* Splits a fuzz input into up to max files at lines "--" (so that one input
 * can exercise state across files: duplicate ids, price admission). */
static inline size_t fz_split_files(const uint8_t *d, size_t n, const uint8_t **part,
                                    size_t *part_len, size_t max)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i + 3 < n && k + 1 < max; i++) {
        if (d[i] == '\n' && d[i + 1] == '-' && d[i + 2] == '-' && d[i + 3] == '\n') {
            part[k] = d + start;
            part_len[k++] = i + 1 - start;
            start = i + 4;
            i += 3;
        }
    }
    part[k] = d + start;
    part_len[k++] = n - start;
    return k;
}

/* The checks every file's outcome must pass:
 * - a refused file has a file-level reason, zero counts and left nothing
 *   behind (no rejects, no usage rows);
 * - an applied file has rows = accepted + rejected, exactly `rejected`
 *   rejects, each with a row-level reason, a line within the file, lines
 *   increasing, and its raw text;
 * - where the reference splitter models the whole file: as many rows as it
 *   has records, rejects on record lines with their exact raw text, and
 *   bad_utf8 / bad_field_count exactly where the record says so.
 * A file's rejects are contiguous, from reject_mark. */
static inline void fz_check_file(const struct fz_run *r, uint32_t i, size_t reject_mark,
                                 const struct fz_csv *ref)
{
    const struct br_ingest *ing = &r->ing;
    const struct br_ingest_file *f = &ing->files[i];
    size_t ncols;
    br_kind_header(f->kind, &ncols);
    FUZZ_CHECK(f->status == BR_FILE_APPLIED || f->status == BR_FILE_REFUSED, "status %d",
               (int)f->status);
    if (f->status == BR_FILE_REFUSED) {
        FUZZ_CHECK(f->reason == BR_R_BAD_HEADER || f->reason == BR_R_EMPTY_FILE ||
                       f->reason == BR_R_PRICE_OVERLAP || f->reason == BR_R_REPRICES_HISTORY,
                   "refused for %s", br_reason_str(f->reason));
        FUZZ_CHECK(f->rows == 0 && f->accepted == 0 && f->rejected == 0, "counts of a refusal");
        FUZZ_CHECK(fz_utf8_valid((const unsigned char *)f->detail, strlen(f->detail)),
                   "detail not UTF-8: %s", f->detail);
        FUZZ_CHECK(ing->nrejects == reject_mark, "a refused file left rejects");
        FUZZ_CHECK(f->row_end == f->row_begin, "a refused file left usage rows");
        return;
    }
    FUZZ_CHECK(f->rows == f->accepted + f->rejected, "rows %llu != %llu + %llu",
               (unsigned long long)f->rows, (unsigned long long)f->accepted,
               (unsigned long long)f->rejected);
    FUZZ_CHECK(ing->nrejects - reject_mark == f->rejected, "%zu rejects kept, %llu counted",
               ing->nrejects - reject_mark, (unsigned long long)f->rejected);
    uint64_t prev = 1;
    size_t k = 0; /* walks ref->recs alongside the rejects */
    for (size_t j = reject_mark; j < ing->nrejects; j++) {
        const struct br_reject *x = &ing->rejects[j];
        FUZZ_CHECK(x->file == i, "reject of file %u among file %u's", x->file, i);
        FUZZ_CHECK(x->reason >= BR_R_BAD_UTF8 && x->reason <= BR_R_PLAN_LIMIT,
                   "row reason %d out of range", (int)x->reason);
        FUZZ_CHECK(x->line > prev && x->line <= ref->nlines, "line %llu after %llu of %llu",
                   (unsigned long long)x->line, (unsigned long long)prev,
                   (unsigned long long)ref->nlines);
        FUZZ_CHECK(x->raw_len <= BR_RAW_MAX && (x->raw_len == BR_RAW_MAX || !x->raw_truncated),
                   "raw length %zu", x->raw_len);
        prev = x->line;
        if (!ref->complete)
            continue;
        while (k < ref->nrecs && ref->recs[k].line < x->line)
            k++;
        FUZZ_CHECK(k < ref->nrecs && ref->recs[k].line == x->line && k > 0,
                   "reject on line %llu where no record starts", (unsigned long long)x->line);
        const struct fz_rec *rec = &ref->recs[k];
        size_t want = rec->raw_len < BR_RAW_MAX ? rec->raw_len : BR_RAW_MAX;
        FUZZ_CHECK(x->raw_len == want && memcmp(x->raw, ref->norm + rec->raw_off, want) == 0,
                   "raw text of line %llu", (unsigned long long)x->line);
        FUZZ_CHECK(x->raw[x->raw_len] == '\0', "raw text not terminated");
        if (rec->bad_utf8)
            FUZZ_CHECK(x->reason == BR_R_BAD_UTF8, "line %llu: %s, want bad_utf8",
                       (unsigned long long)x->line, br_reason_str(x->reason));
        else if (rec->empty_line || rec->nfields != ncols)
            FUZZ_CHECK(x->reason == BR_R_BAD_FIELD_COUNT, "line %llu: %s, want bad_field_count",
                       (unsigned long long)x->line, br_reason_str(x->reason));
        else
            FUZZ_CHECK(x->reason > BR_R_BAD_FIELD_COUNT, "line %llu: %s on a whole record",
                       (unsigned long long)x->line, br_reason_str(x->reason));
    }
    if (ref->complete && fz_csv_header_is(ref, br_kind_header(f->kind, &ncols), ncols)) {
        FUZZ_CHECK(f->rows == ref->nrecs - 1, "%llu rows, the reference has %zu records",
                   (unsigned long long)f->rows, ref->nrecs - 1);
        /* every malformed record is a reject (both lists ascend by line) */
        size_t j = reject_mark;
        for (size_t q = 1; q < ref->nrecs; q++) {
            const struct fz_rec *rec = &ref->recs[q];
            while (j < ing->nrejects && ing->rejects[j].line < rec->line)
                j++;
            bool bad = rec->bad_utf8 || rec->empty_line || rec->nfields != ncols;
            FUZZ_CHECK(!bad || (j < ing->nrejects && ing->rejects[j].line == rec->line),
                       "the malformed record on line %llu was accepted",
                       (unsigned long long)rec->line);
        }
    }
}

#endif
