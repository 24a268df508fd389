/* Ingest: reads inbox files of every kind into the book (accounts, prices,
 * orders) and into usage columns, validating every row: each row is either
 * accepted or kept as a reject with its file, line, raw text and reason. */
#ifndef BR_INGEST_H
#define BR_INGEST_H

#include "core/book.h"
#include "core/btime.h"
#include "ingest/admit.h"
#include "ingest/usage.h"

#include <stdbool.h>
#include <stdint.h>

enum br_file_status {
    BR_FILE_APPLIED = 0,
    BR_FILE_REFUSED = 1,
    BR_FILE_SKIPPED = 2,        /* already applied with the same content */
    BR_FILE_REFUSED_BEFORE = 3, /* refused by an earlier batch with the same content */
};

struct br_ingest_file {
    char *name; /* base name, owned by the ingest arena */
    char *path;
    enum br_kind kind;
    uint8_t sha256[32];
    uint64_t bytes;
    enum br_file_status status;
    enum br_reason reason; /* when refused */
    char detail[200];
    uint64_t rows, accepted, rejected;
    size_t row_begin, row_end; /* its usage rows */
    bool reprocess;            /* the pseudo-file of a reprocessing run */
};

struct br_reject {
    uint32_t file;
    uint64_t line;
    enum br_reason reason;
    const char *raw; /* owned by the ingest arena */
    size_t raw_len;
    bool raw_truncated;
    int64_t origin_id; /* reprocessing: the reject this row came from; else 0 */
    bool unchanged;    /* reprocessing: rejected again for the reason it had */
    /* a usage row that claimed its record id (a reason after
     * duplicate_record): its number + 1 in usage.claimed[source], else 0 */
    uint32_t claim;
    uint8_t source;
    const char *detail; /* more on the reason (owned by the ingest arena), or NULL */
};

struct br_ingest {
    struct br_book *book;
    struct br_calendar cal;
    struct br_usage usage;
    struct br_ingest_file *files;
    size_t nfiles, files_cap;
    struct br_reject *rejects;
    size_t nrejects, rejects_cap;
    struct br_arena arena;
    br_rated_fn rated;
    void *rated_ctx;
    /* usage charged before this instant is too_late (corrections.md section
     * 2); INT64_MIN: no window */
    int64_t window_start;
    /* Per-row origin of reprocessed rows (row -> reject id, and the reason
     * it was rejected for), else empty. */
    int64_t *origin;
    enum br_reason *origin_reason;
    size_t norigin, origin_cap, origin_reason_cap;
    /* Rejects a reprocessing accepted (their rows were rated or applied). */
    int64_t *accepted_origins;
    size_t naccepted_origins, accepted_origins_cap;
};

void br_ingest_init(struct br_ingest *ing, struct br_book *book, struct br_calendar cal,
                    size_t max_usage_rows);
void br_ingest_free(struct br_ingest *ing);

/* Adds a file to read; returns its index. */
enum br_status br_ingest_add_file(struct br_ingest *ing, const char *dir, const char *name,
                                  enum br_kind kind, uint32_t *index);

/* Sizes the usage columns' record id index for the usage files added so far
 * (call after adding them, before reading any: no rehashing while reading). */
enum br_status br_ingest_reserve(struct br_ingest *ing);

/* Opens a file to read: only a regular file, never through a symlink.
 * BR_ERR_IO otherwise. */
enum br_status br_ingest_open(const char *path, int *fd, struct br_error *err);

/* Hashes file i (sets sha256 and bytes) without parsing it. */
enum br_status br_ingest_hash(struct br_ingest *ing, uint32_t i, struct br_error *err);

/* Reads and validates file i into the book and the usage columns. The file
 * may end refused (bad header, empty, overlapping prices...): then nothing of
 * it is kept. Fails only on I/O errors or exhaustion; also when the file's
 * content no longer has the SHA-256 taken by br_ingest_hash. */
enum br_status br_ingest_read(struct br_ingest *ing, uint32_t i, struct br_error *err);

/* Reads rows given as raw text (reprocessing rejected rows): each raw record
 * is validated as a row of `kind` and keeps the origin reject id. */
enum br_status br_ingest_read_raw(struct br_ingest *ing, uint32_t file, const char *raw,
                                  size_t raw_len, uint64_t line, int64_t origin_id,
                                  enum br_reason current, struct br_error *err);

/* Rejects accepted usage rows after ingest (found unpriceable by rating, or
 * billed by an earlier batch): rows[] ascending, details[] (or NULL) the
 * detail of each (kept as given: the caller keeps the strings alive as
 * long as the ingest). Their raw text and lines are read back from their
 * files. Updates file counts. */
enum br_status br_ingest_reject_rows(struct br_ingest *ing, const uint32_t *rows, size_t n,
                                     enum br_reason reason, const char *const *details,
                                     struct br_error *err);

/* Keeps a reject of file (copying the raw text into the ingest arena) and
 * counts it against the file. BR_ERR_NOMEM on exhaustion. */
enum br_status br_ingest_reject(struct br_ingest *ing, uint32_t file, uint64_t line,
                                enum br_reason reason, const char *raw, size_t raw_len,
                                bool truncated, int64_t origin_id);

/* The file a usage row came from. */
uint32_t br_ingest_file_of_row(const struct br_ingest *ing, size_t row);

#endif
