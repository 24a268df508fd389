/* Streams one CSV file through libcsv: physical line numbers, the raw text of
 * each record, UTF-8 validation, the header check, and bounded memory however
 * long a field or a line is. Records are handed to a callback one at a time. */
#ifndef BR_CSVREAD_H
#define BR_CSVREAD_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BR_FIELD_MAX 1024                /* formats.md: longer is field_too_long */
#define BR_FIELD_KEEP (BR_FIELD_MAX + 1) /* bytes kept of a field: enough to see it is too long */
#define BR_CSV_COLS_MAX 16               /* widest header we read */
#define BR_RAW_MAX 65536                 /* raw text kept of a rejected record */

struct br_csv_field {
    const char *p; /* not NUL-terminated; valid during the callback */
    uint32_t len;  /* min(actual length, BR_FIELD_KEEP) */
};

struct br_csv_record {
    const struct br_csv_field *fields; /* the first min(nfields, ncols) fields */
    uint64_t nfields;                  /* fields in the record (may exceed ncols) */
    uint64_t line;                     /* physical line the record starts on */
    const char *raw;                   /* the record's bytes, without its final newline */
    size_t raw_len;
    bool raw_truncated; /* raw holds only the first BR_RAW_MAX bytes */
    bool bad_utf8;      /* the record holds invalid UTF-8 or a NUL byte */
    bool empty_line;    /* an empty line between records (no fields) */
    bool bad_quote;     /* a quoted field's closing quote was followed by text:
                           the record was ended at the end of that line */
};

/* Called per data record (the header is not passed). Return BR_OK to go on;
 * any other status stops reading and is returned by br_csv_read*. */
typedef enum br_status (*br_csv_record_fn)(void *ctx, const struct br_csv_record *rec);

/* Optional: called with the first field of each data record as soon as it is
 * parsed, before the rest of the record (to start work early, e.g. prefetch). */
/* Called with the first field of every data record that has one, in record
 * order, before that record's br_csv_record_fn and at most BR_CSV_AHEAD
 * records before it (to start fetching what the record will need). */
typedef void (*br_csv_first_fn)(void *ctx, const char *p, size_t n);
#define BR_CSV_AHEAD 8

enum br_csv_outcome {
    BR_CSV_READ = 0,       /* header matched, records delivered */
    BR_CSV_BAD_HEADER = 1, /* first line is not the expected header: nothing delivered */
    BR_CSV_EMPTY = 2,      /* no header line at all (empty, BOM only, empty lines only) */
};

struct br_csv_result {
    enum br_csv_outcome outcome;
    uint64_t records;   /* data records delivered */
    uint64_t bytes;     /* file size read */
    uint8_t sha256[32]; /* of every byte read */
    char detail[200];   /* why the header was refused */
};

/* Reads fd to its end. header: ncols expected names (compared exactly after
 * unquoting; one UTF-8 BOM before it is allowed). With deliver = false the
 * file is only hashed. Fails with BR_ERR_IO on a read error. */
enum br_status br_csv_read_fd(int fd, const char *const *header, size_t ncols, bool deliver,
                              br_csv_record_fn fn, void *ctx, struct br_csv_result *res,
                              struct br_error *err);

/* br_csv_read_fd with a first-field hook (may be NULL). */
enum br_status br_csv_read_fd_hooked(int fd, const char *const *header, size_t ncols, bool deliver,
                                     br_csv_record_fn fn, br_csv_first_fn first, void *ctx,
                                     struct br_csv_result *res, struct br_error *err);

/* The same over a buffer in memory (tests, fuzzing, reprocessing). */
enum br_status br_csv_read_mem(const void *data, size_t len, const char *const *header,
                               size_t ncols, br_csv_record_fn fn, void *ctx,
                               struct br_csv_result *res, struct br_error *err);

/* Validates UTF-8 (and refuses NUL). Returns true when valid. */
/* Files of at least this many bytes are parsed on the calling thread and
 * their records delivered on another (default 4 MiB); tests change it to
 * cover both paths. Returns the previous value. Not thread-safe. */
uint64_t br_csv_set_pipeline_min(uint64_t bytes);

bool br_utf8_valid(const unsigned char *s, size_t n);

#endif
