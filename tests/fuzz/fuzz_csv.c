/* Fuzz target for the raw CSV reader (csvread.c over libcsv), with any header:
 * the expected header is the input's own first record (so data records are
 * delivered), or a fixed one (so the refusal paths run). Every record must
 * match the reference splitter of fuzz_common.h field by field (line, field
 * count, fields, raw text, bad_utf8, empty lines), the outcome must be the
 * one formats.md gives, and reading from memory, from a file descriptor (with
 * records delivered on the reading thread or on a second one) and hashing
 * only must agree on outcome, records and SHA-256. */
#include "fuzz_common.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#endif

struct csv_seen {
    const struct fz_csv *ref; /* NULL: no comparison (the fd pass) */
    size_t ncols;
    size_t next; /* next reference record */
    uint64_t nlines, prev_line, records;
    uint64_t digest;
    uint64_t nfirst, with_fields; /* hook calls; records delivered that have a field */
};

static void csv_mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ s[i]) * 0x100000001b3ULL;
}

static void csv_on_first(void *ctx, const char *p, size_t n)
{
    struct csv_seen *s = ctx;
    FUZZ_CHECK(n <= BR_FIELD_KEEP, "first field of %zu bytes", n);
    FUZZ_CHECK(p != NULL, "first field pointer");
    s->nfirst++;
}

static void csv_compare(struct csv_seen *s, const struct br_csv_record *rec)
{
    const struct fz_csv *ref = s->ref;
    if (s->next >= ref->nrecs) {
        FUZZ_CHECK(!ref->complete, "record on line %llu the reference does not have",
                   (unsigned long long)rec->line);
        return;
    }
    const struct fz_rec *want = &ref->recs[s->next++];
    FUZZ_CHECK(rec->line == want->line, "line %llu, want %llu", (unsigned long long)rec->line,
               (unsigned long long)want->line);
    FUZZ_CHECK(rec->empty_line == want->empty_line, "line %llu: empty_line",
               (unsigned long long)rec->line);
    FUZZ_CHECK(rec->bad_utf8 == want->bad_utf8, "line %llu: bad_utf8 %d",
               (unsigned long long)rec->line, rec->bad_utf8);
    FUZZ_CHECK(rec->nfields == want->nfields, "line %llu: %llu fields, want %zu",
               (unsigned long long)rec->line, (unsigned long long)rec->nfields, want->nfields);
    for (size_t i = 0; i < want->nfields && i < s->ncols; i++) {
        const struct fz_field *f = &ref->fields[want->first + i];
        size_t keep = f->len < BR_FIELD_KEEP ? f->len : BR_FIELD_KEEP;
        FUZZ_CHECK(rec->fields[i].len == keep &&
                       memcmp(rec->fields[i].p, ref->text + f->off, keep) == 0,
                   "line %llu: field %zu (%u bytes, want %zu)", (unsigned long long)rec->line, i,
                   rec->fields[i].len, f->len);
    }
    size_t raw = want->raw_len < BR_RAW_MAX ? want->raw_len : BR_RAW_MAX;
    FUZZ_CHECK(rec->raw_len == raw && memcmp(rec->raw, ref->norm + want->raw_off, raw) == 0,
               "line %llu: raw text", (unsigned long long)rec->line);
    FUZZ_CHECK(rec->raw_truncated == (want->raw_len > BR_RAW_MAX), "line %llu: raw_truncated",
               (unsigned long long)rec->line);
}

static enum br_status csv_on_record(void *ctx, const struct br_csv_record *rec)
{
    struct csv_seen *s = ctx;
    FUZZ_CHECK(rec->line > s->prev_line && rec->line >= 2 && rec->line <= s->nlines,
               "line %llu after %llu (of %llu)", (unsigned long long)rec->line,
               (unsigned long long)s->prev_line, (unsigned long long)s->nlines);
    FUZZ_CHECK(rec->empty_line == (rec->nfields == 0), "line %llu: %llu fields, empty %d",
               (unsigned long long)rec->line, (unsigned long long)rec->nfields, rec->empty_line);
    FUZZ_CHECK(rec->raw_len <= BR_RAW_MAX, "raw of %zu bytes", rec->raw_len);
    FUZZ_CHECK(!rec->empty_line || rec->raw_len == 0, "an empty line with text");
    if (s->ref == NULL && !rec->empty_line) { /* the hooked passes: called, at most ahead */
        FUZZ_CHECK(s->nfirst > s->with_fields, "first-field hook not called");
        FUZZ_CHECK(s->nfirst - s->with_fields - 1 <= BR_CSV_AHEAD, "hook %llu records ahead",
                   (unsigned long long)(s->nfirst - s->with_fields - 1));
        s->with_fields++;
    }
    s->prev_line = rec->line;
    s->records++;
    uint64_t h = s->digest;
    csv_mix(&h, &rec->line, sizeof(rec->line));
    csv_mix(&h, &rec->nfields, sizeof(rec->nfields));
    unsigned char flags =
        (unsigned char)(rec->bad_utf8 | rec->empty_line << 1 | rec->raw_truncated << 2);
    csv_mix(&h, &flags, 1);
    for (uint64_t i = 0; i < rec->nfields && i < s->ncols; i++) {
        FUZZ_CHECK(rec->fields[i].len <= BR_FIELD_KEEP, "field of %u bytes", rec->fields[i].len);
        csv_mix(&h, &rec->fields[i].len, sizeof(rec->fields[i].len));
        csv_mix(&h, rec->fields[i].p, rec->fields[i].len);
    }
    csv_mix(&h, rec->raw, rec->raw_len);
    s->digest = h;
    if (s->ref != NULL)
        csv_compare(s, rec);
    return BR_OK;
}

/* The header to expect: the first record's fields when they can be one. */
static size_t csv_header(const struct fz_csv *ref, size_t size, char names[][65], const char **hdr)
{
    static const char *const fixed[] = {"a", "b", "c"};
    bool own = ref->nrecs > 0 && ref->recs[0].nfields <= BR_CSV_COLS_MAX && size % 7 != 0;
    for (size_t i = 0; own && i < ref->recs[0].nfields; i++) {
        const struct fz_field *f = &ref->fields[ref->recs[0].first + i];
        own = f->len <= 64 && memchr(ref->text + f->off, 0, f->len) == NULL;
    }
    if (!own) {
        for (size_t i = 0; i < 3; i++)
            hdr[i] = fixed[i];
        return 3;
    }
    size_t n = ref->recs[0].nfields;
    for (size_t i = 0; i < n; i++) {
        const struct fz_field *f = &ref->fields[ref->recs[0].first + i];
        memcpy(names[i], ref->text + f->off, f->len);
        names[i][f->len] = '\0';
        hdr[i] = names[i];
    }
    return n;
}

/* The outcome formats.md gives, or -1 where the reference cannot tell. */
static int csv_want_outcome(const struct fz_csv *ref, const char *const *hdr, size_t ncols)
{
    if (!ref->any_content)
        return BR_CSV_EMPTY;
    if (ref->line1_empty)
        return BR_CSV_BAD_HEADER;
    if (ref->nrecs == 0)
        return -1; /* a header the reference does not model */
    return fz_csv_header_is(ref, hdr, ncols) ? BR_CSV_READ : BR_CSV_BAD_HEADER;
}

int FUZZ_ENTRY(csv)(const uint8_t *data, size_t size);

int FUZZ_ENTRY(csv)(const uint8_t *data, size_t size)
{
    struct fz_csv ref;
    fz_csv_split(&ref, data, size);
    char names[BR_CSV_COLS_MAX][65];
    const char *hdr[BR_CSV_COLS_MAX];
    size_t ncols = csv_header(&ref, size, names, hdr);

    struct csv_seen mem = {.ref = &ref, .ncols = ncols, .next = 1, .nlines = ref.nlines};
    struct br_csv_result res_mem;
    struct br_error err = {0};
    enum br_status st =
        br_csv_read_mem(data, size, hdr, ncols, csv_on_record, &mem, &res_mem, &err);
    FUZZ_CHECK(st == BR_OK, "read_mem: %s", err.msg);
    FUZZ_CHECK(res_mem.bytes == size, "bytes %llu", (unsigned long long)res_mem.bytes);
    FUZZ_CHECK(res_mem.records == mem.records, "%llu records counted, %llu delivered",
               (unsigned long long)res_mem.records, (unsigned long long)mem.records);
    int want = csv_want_outcome(&ref, hdr, ncols);
    FUZZ_CHECK(want < 0 || (int)res_mem.outcome == want, "outcome %d, want %d",
               (int)res_mem.outcome, want);
    FUZZ_CHECK(res_mem.outcome == BR_CSV_READ || mem.records == 0, "records of a refused file");
    FUZZ_CHECK(res_mem.outcome != BR_CSV_BAD_HEADER || res_mem.detail[0] != '\0',
               "a refusal without detail");
    /* the detail is stored as text: it must be UTF-8 whatever the file held */
    FUZZ_CHECK(fz_utf8_valid((const unsigned char *)res_mem.detail, strlen(res_mem.detail)),
               "detail not UTF-8: %s", res_mem.detail);
    if (res_mem.outcome == BR_CSV_READ && ref.complete)
        FUZZ_CHECK(mem.next == ref.nrecs, "%zu of %zu reference records delivered", mem.next,
                   ref.nrecs);

    /* the same bytes from a file descriptor, with the first-field hook */
    fz_memfd_write(data, size);
    const char *path = fz_path;
    int fd = open(path, O_RDONLY);
    FUZZ_CHECK(fd >= 0, "open %s", path);
    struct csv_seen fdr = {.ncols = ncols, .nlines = ref.nlines};
    struct br_csv_result res_fd;
    st = br_csv_read_fd_hooked(fd, hdr, ncols, true, csv_on_record, csv_on_first, &fdr, &res_fd,
                               &err);
    close(fd);
    FUZZ_CHECK(st == BR_OK, "read_fd: %s", err.msg);
    FUZZ_CHECK(res_fd.outcome == res_mem.outcome, "fd outcome %d, memory %d", (int)res_fd.outcome,
               (int)res_mem.outcome);
    FUZZ_CHECK(fdr.records == mem.records && fdr.digest == mem.digest,
               "fd and memory records differ (%llu, %llu)", (unsigned long long)fdr.records,
               (unsigned long long)mem.records);
    FUZZ_CHECK(memcmp(res_fd.sha256, res_mem.sha256, 32) == 0 && res_fd.bytes == size,
               "fd and memory hashes differ");

    /* again, with the records delivered on a second thread (the path of big
     * files): the same records, hook calls and digest */
    fd = open(path, O_RDONLY);
    FUZZ_CHECK(fd >= 0, "open %s", path);
    struct csv_seen piped = {.ncols = ncols, .nlines = ref.nlines};
    struct br_csv_result res_piped;
    uint64_t was = br_csv_set_pipeline_min(0);
    st = br_csv_read_fd_hooked(fd, hdr, ncols, true, csv_on_record, csv_on_first, &piped,
                               &res_piped, &err);
    br_csv_set_pipeline_min(was);
    close(fd);
    FUZZ_CHECK(st == BR_OK, "read_fd on a second thread: %s", err.msg);
    FUZZ_CHECK(res_piped.outcome == res_mem.outcome && res_piped.records == mem.records &&
                   piped.records == mem.records && piped.digest == mem.digest,
               "records delivered on a second thread differ (%llu, %llu)",
               (unsigned long long)piped.records, (unsigned long long)mem.records);
    FUZZ_CHECK(memcmp(res_piped.sha256, res_mem.sha256, 32) == 0, "hash on a second thread");

    /* hashing only: the same digest, the same verdict on the header */
    fd = open(path, O_RDONLY);
    FUZZ_CHECK(fd >= 0, "open %s", path);
    struct br_csv_result res_hash;
    st = br_csv_read_fd(fd, hdr, ncols, false, csv_on_record, &fdr, &res_hash, &err);
    close(fd);
    FUZZ_CHECK(st == BR_OK, "hash only: %s", err.msg);
    FUZZ_CHECK(res_hash.records == 0, "records delivered while hashing");
    FUZZ_CHECK(memcmp(res_hash.sha256, res_mem.sha256, 32) == 0, "hash-only digest differs");
    FUZZ_CHECK(res_hash.outcome == res_mem.outcome, "hash-only outcome %d, read %d",
               (int)res_hash.outcome, (int)res_mem.outcome);
    fz_csv_free(&ref);
    return 0;
}
