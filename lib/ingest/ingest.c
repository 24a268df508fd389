/* Ingest driver: files in, rows validated in the order of reject reasons of
 * formats.md (bad_utf8, bad_field_count, duplicate_record, field_too_long,
 * single fields in column order, across fields, unknown_account,
 * conflicting_order, plan_limit; no_price comes later, from rating). */
#include "ingest/ingest.h"

#include "core/money.h"
#include "ingest/csvread.h"
#include "ingest/rows.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A usage row is rarely shorter than this: the index sized for file bytes /
 * this holds the file's rows without growing. */
#define BR_ROW_BYTES_GUESS 100

void br_ingest_init(struct br_ingest *ing, struct br_book *book, struct br_calendar cal,
                    size_t max_usage_rows)
{
    memset(ing, 0, sizeof(*ing));
    ing->book = book;
    ing->cal = cal;
    br_usage_init(&ing->usage, max_usage_rows);
    br_arena_init(&ing->arena, 0);
    ing->window_start = INT64_MIN;
}

void br_ingest_free(struct br_ingest *ing)
{
    br_usage_free(&ing->usage);
    br_arena_free(&ing->arena);
    free(ing->files);
    free(ing->rejects);
    free(ing->origin);
    free(ing->origin_reason);
    free(ing->accepted_origins);
    memset(ing, 0, sizeof(*ing));
}

enum br_status br_ingest_add_file(struct br_ingest *ing, const char *dir, const char *name,
                                  enum br_kind kind, uint32_t *index)
{
    enum br_status st = br_grow((void **)&ing->files, &ing->files_cap, ing->nfiles + 1,
                                sizeof(*ing->files), 1u << 24);
    if (st != BR_OK)
        return st;
    struct br_ingest_file *f = &ing->files[ing->nfiles];
    memset(f, 0, sizeof(*f));
    f->name = br_arena_strndup(&ing->arena, name, strlen(name));
    size_t plen = strlen(dir) + strlen(name) + 2;
    f->path = br_arena_alloc(&ing->arena, plen);
    if (f->name == NULL || f->path == NULL)
        return BR_ERR_NOMEM;
    snprintf(f->path, plen, "%s/%s", dir, name);
    f->kind = kind;
    f->row_begin = f->row_end = ing->usage.n;
    *index = (uint32_t)ing->nfiles++;
    return BR_OK;
}

enum br_status br_ingest_reserve(struct br_ingest *ing)
{
    size_t bytes = 0;
    for (size_t i = 0; i < ing->nfiles; i++) {
        struct stat sb;
        if (ing->files[i].kind >= BR_KIND_EAS && stat(ing->files[i].path, &sb) == 0)
            bytes += (size_t)sb.st_size;
    }
    return br_usage_reserve(&ing->usage, ing->usage.n + bytes / BR_ROW_BYTES_GUESS);
}

static enum br_status count_only(void *ctx, const struct br_csv_record *rec)
{
    (void)ctx;
    (void)rec;
    return BR_OK;
}

enum br_status br_ingest_open(const char *path, int *fd, struct br_error *err)
{
    /* never through a symlink, never blocking on a FIFO put in its place */
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (*fd < 0)
        return br_fail(err, BR_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(*fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(*fd);
        *fd = -1;
        return br_fail(err, BR_ERR_IO, "%s is not a regular file", path);
    }
    int fl = fcntl(*fd, F_GETFL);
    if (fl >= 0)
        fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK);
    return BR_OK;
}

enum br_status br_ingest_hash(struct br_ingest *ing, uint32_t i, struct br_error *err)
{
    struct br_ingest_file *f = &ing->files[i];
    int fd;
    enum br_status st = br_ingest_open(f->path, &fd, err);
    if (st != BR_OK)
        return st;
    size_t ncols;
    const char *const *hdr = br_kind_header(f->kind, &ncols);
    struct br_csv_result res;
    st = br_csv_read_fd(fd, hdr, ncols, false, count_only, NULL, &res, err);
    close(fd);
    if (st != BR_OK)
        return st;
    memcpy(f->sha256, res.sha256, 32);
    f->bytes = res.bytes;
    return BR_OK;
}

enum br_status br_ingest_reject(struct br_ingest *ing, uint32_t file, uint64_t line,
                                enum br_reason reason, const char *raw, size_t raw_len,
                                bool truncated, int64_t origin_id)
{
    enum br_status st = br_grow((void **)&ing->rejects, &ing->rejects_cap, ing->nrejects + 1,
                                sizeof(*ing->rejects), (size_t)1 << 32);
    if (st != BR_OK)
        return st;
    char *copy = br_arena_alloc(&ing->arena, raw_len + 1);
    if (copy == NULL)
        return BR_ERR_NOMEM;
    memcpy(copy, raw, raw_len);
    copy[raw_len] = '\0';
    ing->rejects[ing->nrejects++] = (struct br_reject){.file = file,
                                                       .line = line,
                                                       .reason = reason,
                                                       .raw = copy,
                                                       .raw_len = raw_len,
                                                       .raw_truncated = truncated,
                                                       .origin_id = origin_id};
    ing->files[file].rejected++;
    return BR_OK;
}

static void refuse(struct br_ingest_file *f, enum br_reason reason, const char *detail)
{
    f->status = BR_FILE_REFUSED;
    f->reason = reason;
    snprintf(f->detail, sizeof(f->detail), "%s", detail);
    f->rows = f->accepted = f->rejected = 0;
}

/* Reads file i through the row validator of its kind. */
static enum br_status read_rows(struct br_ingest *ing, uint32_t i, struct br_rows_ctx *rc,
                                struct br_error *err)
{
    struct br_ingest_file *f = &ing->files[i];
    int fd;
    enum br_status st = br_ingest_open(f->path, &fd, err);
    if (st != BR_OK)
        return st;
    size_t ncols;
    const char *const *hdr = br_kind_header(f->kind, &ncols);
    struct br_csv_result res;
    st = br_csv_read_fd_hooked(fd, hdr, ncols, true, br_rows_on_record,
                               f->kind >= BR_KIND_EAS ? br_rows_on_first : NULL, rc, &res, err);
    close(fd);
    if (st != BR_OK)
        return st;
    if (f->bytes != 0 || memcmp(f->sha256, (uint8_t[32]){0}, 32) != 0) {
        if (memcmp(f->sha256, res.sha256, 32) != 0)
            return br_fail(err, BR_ERR_IO, "%s changed while it was being read", f->name);
    }
    memcpy(f->sha256, res.sha256, 32);
    f->bytes = res.bytes;
    if (res.outcome == BR_CSV_BAD_HEADER)
        refuse(f, BR_R_BAD_HEADER, res.detail);
    else if (res.outcome == BR_CSV_EMPTY)
        refuse(f, BR_R_EMPTY_FILE, "no header line");
    return BR_OK;
}

/* Undoes what a refused file added: its rejects (and, for prices, nothing was
 * added to the book yet; accounts/orders/usage files are refused only before
 * any row is read). */
static void drop_rejects_from(struct br_ingest *ing, size_t mark)
{
    ing->nrejects = mark;
}

enum br_status br_ingest_read(struct br_ingest *ing, uint32_t i, struct br_error *err)
{
    struct br_ingest_file *f = &ing->files[i];
    size_t reject_mark = ing->nrejects;
    struct br_rows_ctx rc;
    br_rows_ctx_init(&rc, ing, i);
    f->row_begin = ing->usage.n;
    enum br_status st = BR_OK;
    struct stat sb;
    if (f->kind >= BR_KIND_EAS && stat(f->path, &sb) == 0) /* size the id index for its rows */
        st = br_usage_reserve(&ing->usage, ing->usage.n + (size_t)sb.st_size / BR_ROW_BYTES_GUESS);
    if (st == BR_OK)
        st = read_rows(ing, i, &rc, err);
    if (st == BR_OK && f->status != BR_FILE_REFUSED && f->kind == BR_KIND_PRICES) {
        enum br_reason why = BR_R_NONE;
        char detail[200] = "";
        st = br_admit_prices(ing->book, rc.staged, rc.nstaged, ing->cal, ing->rated, ing->rated_ctx,
                             &why, detail, sizeof(detail));
        if (st == BR_OK && why != BR_R_NONE)
            refuse(f, why, detail);
    }
    f->row_end = ing->usage.n;
    br_rows_ctx_free(&rc);
    if (st != BR_OK)
        return br_fail(err, st, "%s: %s", f->name, err->msg[0] ? err->msg : br_status_str(st));
    if (f->status == BR_FILE_REFUSED) {
        drop_rejects_from(ing, reject_mark);
        BR_ASSERT(f->row_end == f->row_begin || f->kind >= BR_KIND_EAS);
        return BR_OK;
    }
    BR_ASSERT(f->rows == f->accepted + f->rejected);
    return BR_OK;
}

enum br_status br_ingest_read_raw(struct br_ingest *ing, uint32_t file, const char *raw,
                                  size_t raw_len, uint64_t line, int64_t origin_id,
                                  enum br_reason current, struct br_error *err)
{
    struct br_ingest_file *f = &ing->files[file];
    size_t ncols;
    const char *const *hdr = br_kind_header(f->kind, &ncols);
    /* The header, then the raw record: the reader sees a one-row file. */
    struct br_buf b;
    br_buf_init(&b, raw_len + 512);
    for (size_t c = 0; c < ncols; c++) {
        if (br_buf_append(&b, c ? "," : "", c ? 1 : 0) != BR_OK ||
            br_buf_append(&b, hdr[c], strlen(hdr[c])) != BR_OK) {
            br_buf_free(&b);
            return br_fail(err, BR_ERR_NOMEM, "out of memory");
        }
    }
    if (br_buf_append(&b, "\n", 1) != BR_OK || br_buf_append(&b, raw, raw_len) != BR_OK) {
        br_buf_free(&b);
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    }
    struct br_rows_ctx rc;
    br_rows_ctx_init(&rc, ing, file);
    rc.line_override = line;
    rc.origin_id = origin_id;
    rc.origin_reason = current;
    struct br_csv_result res;
    size_t before = ing->usage.n;
    enum br_status st =
        br_csv_read_mem(b.data, b.len, hdr, ncols, br_rows_on_record, &rc, &res, err);
    br_buf_free(&b);
    if (st == BR_OK && ing->usage.n > before) {
        st = br_grow((void **)&ing->origin, &ing->origin_cap, ing->usage.n, sizeof(*ing->origin),
                     (size_t)1 << 32);
        if (st == BR_OK)
            st = br_grow((void **)&ing->origin_reason, &ing->origin_reason_cap, ing->usage.n,
                         sizeof(*ing->origin_reason), (size_t)1 << 32);
        if (st == BR_OK) {
            for (size_t r = ing->norigin; r < ing->usage.n; r++) {
                ing->origin[r] = r >= before ? origin_id : 0;
                ing->origin_reason[r] = current;
            }
            ing->norigin = ing->usage.n;
        }
    }
    br_rows_ctx_free(&rc);
    f->row_end = ing->usage.n;
    return st;
}

uint32_t br_ingest_file_of_row(const struct br_ingest *ing, size_t row)
{
    for (size_t i = 0; i < ing->nfiles; i++) {
        const struct br_ingest_file *f = &ing->files[i];
        if (row >= f->row_begin && row < f->row_end)
            return (uint32_t)i;
    }
    BR_UNREACHABLE();
}

/* Finds rejected usage rows again in their file by record id to keep their
 * raw text and line; rows of a reprocessing pseudo-file keep their origin. */
struct rescan {
    struct br_ingest *ing;
    uint32_t file;
    struct br_strtab want; /* record id -> position in the wanted rows */
    bool *done;
    enum br_reason reason;
    const char *const *details; /* per wanted row, or NULL */
    size_t found;
};

static enum br_status rescan_record(void *ctx, const struct br_csv_record *rec)
{
    struct rescan *rs = ctx;
    size_t ncols;
    br_kind_header(rs->ing->files[rs->file].kind, &ncols);
    /* Rows that never claimed an id cannot be the accepted row; any other
     * first row with the id is it (a later one would have been a duplicate). */
    if (rec->empty_line || rec->bad_utf8 || rec->bad_quote || rec->nfields != ncols)
        return BR_OK;
    uint32_t pos;
    if (!br_strtab_find(&rs->want, rec->fields[0].p, rec->fields[0].len, &pos) || rs->done[pos])
        return BR_OK;
    rs->done[pos] = true;
    rs->found++;
    enum br_status st = br_ingest_reject(rs->ing, rs->file, rec->line, rs->reason, rec->raw,
                                         rec->raw_len, rec->raw_truncated, 0);
    if (st == BR_OK && rs->details != NULL)
        rs->ing->rejects[rs->ing->nrejects - 1].detail = rs->details[pos];
    return st;
}

static enum br_status rescan_file(struct br_ingest *ing, uint32_t file, const uint32_t *rows,
                                  size_t n, enum br_reason reason, const char *const *details,
                                  struct br_error *err)
{
    struct br_ingest_file *f = &ing->files[file];
    struct rescan rs = {.ing = ing, .file = file, .reason = reason, .details = details};
    br_strtab_init(&rs.want, n + 1);
    rs.done = br_calloc(n, sizeof(*rs.done));
    enum br_status st = rs.done ? BR_OK : BR_ERR_NOMEM;
    for (size_t k = 0; k < n && st == BR_OK; k++) {
        size_t len;
        char buf[BR_RID_MAX];
        const char *id = br_usage_rid(&ing->usage, rows[k], buf, &len);
        uint32_t pos;
        st = br_strtab_intern(&rs.want, id, len, &pos);
    }
    if (st == BR_OK) {
        int fd;
        st = br_ingest_open(f->path, &fd, err);
        if (st == BR_OK) {
            size_t ncols;
            const char *const *hdr = br_kind_header(f->kind, &ncols);
            struct br_csv_result res;
            st = br_csv_read_fd(fd, hdr, ncols, true, rescan_record, &rs, &res, err);
            close(fd);
            if (st == BR_OK && memcmp(res.sha256, f->sha256, 32) != 0)
                st = br_fail(err, BR_ERR_IO, "%s changed while it was being read", f->name);
        }
    }
    br_strtab_free(&rs.want);
    free(rs.done);
    if (st == BR_OK && rs.found != n)
        st = br_fail(err, BR_ERR_STATE, "%s: %zu rejected rows not found again", f->name,
                     n - rs.found);
    return st;
}

enum br_status br_ingest_reject_rows(struct br_ingest *ing, const uint32_t *rows, size_t n,
                                     enum br_reason reason, const char *const *details,
                                     struct br_error *err)
{
    size_t k = 0;
    while (k < n) {
        uint32_t file = br_ingest_file_of_row(ing, rows[k]);
        size_t e = k;
        while (e < n && rows[e] < ing->files[file].row_end)
            e++;
        struct br_ingest_file *f = &ing->files[file];
        enum br_status st = BR_OK;
        if (f->reprocess) {
            /* reprocessed rows: the origin reject keeps its raw text; record
             * the new outcome against it */
            for (size_t j = k; j < e && st == BR_OK; j++) {
                int64_t origin = ing->origin[rows[j]];
                st = br_ingest_reject(ing, file, 0, reason, "", 0, false, origin);
                if (st == BR_OK && details != NULL)
                    ing->rejects[ing->nrejects - 1].detail = details[j];
                if (st == BR_OK && reason == ing->origin_reason[rows[j]])
                    ing->rejects[ing->nrejects - 1].unchanged = true;
                for (size_t a = 0; a < ing->naccepted_origins; a++)
                    if (ing->accepted_origins[a] == origin)
                        ing->accepted_origins[a] = ing->accepted_origins[--ing->naccepted_origins];
            }
        } else {
            st = rescan_file(ing, file, rows + k, e - k, reason, details ? details + k : NULL, err);
        }
        if (st != BR_OK)
            return st;
        f->accepted -= e - k;
        k = e;
    }
    return BR_OK;
}
