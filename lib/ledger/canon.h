/* The canonical row format and the hash chain (docs/hash.md).
 *
 * Every fact a batch writes is a row of one of the tables in br_tables, and
 * every such row is hashed. A row's canonical text is its columns (all but
 * batch_id, in the table's column order) joined by TAB and ended by LF, each
 * column written by the br_row_* function of its type:
 *
 *   integer  decimal, '-' for negatives            12, -3
 *   text     its bytes; \ TAB LF CR as \\ \t \n \r  acc-10017
 *   boolean  t or f
 *   time     UTC, RFC 3339 at second resolution    2026-11-01T00:00:00Z
 *   date     YYYY-MM-DD (a local day)              2026-11-05
 *   bytes    \\x and lower-case hex                \\x9f86...
 *   integers {a,b,c}                               {0,12,0}
 *   digest   a long bytes column, hashed as the     \\x<64 hex digits>
 *            SHA-256 of its bytes (billing.record_ids: the row is
 *            sent with the bytes themselves, hashed with their digest)
 *   NULL     \N
 *
 * That text is also valid input for PostgreSQL's COPY FROM (text format), so
 * a batch is stored and hashed from one emission of each row: what is hashed
 * is, byte for byte, what is sent. A section's hash is the SHA-256 of the
 * concatenated SHA-256 digests of its rows, sorted bytewise: no row order to
 * agree on, so the database can return a batch's rows in any order. A batch's
 * content hash covers a header line and every section; its chain hash links
 * it to the previous batch's. `billrun verify` reads every column back typed
 * and serialises it with the same functions.
 *
 * Invariant: a table's rows are written (store/write.c), read back
 * (store/readback.c) and hashed only through its entry here. */
#ifndef BR_CANON_H
#define BR_CANON_H

#include "core/btime.h"
#include "core/sha256.h"
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum br_coltype {
    BR_COL_INT = 0,
    BR_COL_TEXT,
    BR_COL_BOOL,
    BR_COL_TIME,
    BR_COL_DATE,
    BR_COL_BYTES,
    BR_COL_INTS,
    BR_COL_DIGEST,
};

/* How a table's rows of one batch are found. */
enum br_scope {
    BR_SCOPE_BATCH = 0,  /* the table has a batch_id column */
    BR_SCOPE_ENTRIES = 1 /* ledger.transfers: the transfers of the batch's entries */
};

struct br_table {
    const char *name; /* schema.table */
    enum br_scope scope;
    size_t ncols;
    const char *const *cols; /* hashed columns, in order (batch_id excluded) */
    const enum br_coltype *types;
};

/* The hashed tables, in the order of the content hash's sections. Numbers
 * are the sections' order: append only (a change is a new hash version). */
enum br_section {
    BR_SEC_ENTRIES = 0,
    BR_SEC_TRANSFERS,
    BR_SEC_FILES,
    BR_SEC_REJECTS,
    BR_SEC_REJECT_OUTCOMES,
    BR_SEC_ACCOUNTS,
    BR_SEC_PRICES,
    BR_SEC_ORDERS,
    BR_SEC_USAGE_LINES,
    BR_SEC_DRAWS,
    BR_SEC_PLAN_EVENTS,
    BR_SEC_ORDER_STATE,
    BR_SEC_BALANCE_STATE,
    BR_SEC_BUCKET_STATE,
    BR_SEC_ALLOWANCE_STATE,
    BR_SEC_RATED_SPANS,
    BR_SEC_PERIOD_CLOSES,
    BR_SEC_INVOICE_FINALS,
    BR_SEC_ADJUSTMENTS,
    BR_SEC_NOTES,
    BR_SEC_RECORD_IDS,
    BR_SEC_COUNT
};

extern const struct br_table br_tables[BR_SEC_COUNT];

/* ---- one row ------------------------------------------------------------- */

/* A row being written. The buffer grows to at most BR_ROW_MAX bytes; past
 * that (or out of memory) st says so and the row is unusable. */
#define BR_ROW_MAX ((size_t)1 << 24)

struct br_row {
    char *p;
    size_t n, cap;
    size_t fields;
    enum br_status st;
};

void br_row_init(struct br_row *r);
void br_row_free(struct br_row *r);
/* Empties the row for the next one (keeps its buffer). */
void br_row_reset(struct br_row *r);
void br_row_int(struct br_row *r, int64_t v);
void br_row_text(struct br_row *r, const char *s); /* NULL: \N */
void br_row_textn(struct br_row *r, const char *s, size_t n);
void br_row_bool(struct br_row *r, bool v);
void br_row_time(struct br_row *r, int64_t t);
void br_row_date(struct br_row *r, int64_t day);   /* days since 1970-01-01 */
void br_row_period(struct br_row *r, br_period p); /* as text "YYYY-MM" */
void br_row_bytes(struct br_row *r, const void *p, size_t n);
void br_row_ints(struct br_row *r, const int64_t *v, size_t n);
/* A digest column: the SHA-256 of p[0..n), written as bytes. */
void br_row_digest(struct br_row *r, const void *p, size_t n);
void br_row_null(struct br_row *r);
/* Ends the row (appends LF). Returns r->st. */
enum br_status br_row_end(struct br_row *r);

/* ---- sections and batches --------------------------------------------------- */

/* The digests of a section's rows. */
struct br_section_hash {
    uint8_t (*d)[32];
    size_t n, cap;
    enum br_status st;
    struct br_sha256 sha; /* reused for every row's digest */
    bool has_sha;
};

void br_section_init(struct br_section_hash *h);
void br_section_free(struct br_section_hash *h);
/* Adds one finished row (its text with the final LF). */
void br_section_add(struct br_section_hash *h, const char *row, size_t n);
/* Sorts the digests and hashes them; the section can be added to again
 * (its digests are kept sorted). BR_ERR_NOMEM when a row could not be
 * kept. */
enum br_status br_section_finish(struct br_section_hash *h, uint8_t out[32]);

/* What a batch's content hash covers besides its sections. */
struct br_batch_head {
    int64_t batch_id;
    const char *kind; /* run, reprocess, close */
    int64_t as_of;
    const char *period; /* close batches; NULL otherwise */
};

/* Every section's row count and hash. */
struct br_batch_sums {
    uint64_t rows[BR_SEC_COUNT];
    uint8_t hash[BR_SEC_COUNT][32];
};

/* SHA-256 of "billrun-batch-v2\n<id> <kind> <as_of epoch> <period or ->\n"
 * and one line "<table> <rows> <section hash hex>\n" per section. */
enum br_status br_batch_content(const struct br_batch_head *h, const struct br_batch_sums *s,
                                uint8_t out[32]);

/* SHA-256 of "billrun-chain-v2\n<previous hash hex, or - for the first
 * batch>\n<content hash hex>\n". prev may be NULL. */
enum br_status br_chain_link(const uint8_t *prev, const uint8_t content[32], uint8_t out[32]);

/* The first section whose count or hash differs, or -1. */
int br_batch_sums_diff(const struct br_batch_sums *a, const struct br_batch_sums *b);

#endif
