/* billrun run: one all-or-nothing transaction that reads the new inbox
 * files, rates them, posts the ledger and links a batch into the chain. */
#ifndef BR_RUN_H
#define BR_RUN_H

#include "core/book.h"
#include "ledger/db.h"
#include "rate/rate.h"

struct br_run_opts {
    const char *inbox; /* NULL: no inbox (reprocessing only) */
    int64_t as_of;     /* expiries and straight-line recognition up to here */
    bool no_wait;      /* refuse instead of waiting for another run */
    bool reprocess;    /* re-read open unknown_account / no_price rejects */
    int threads;
    const char *version;
    /* Test hook: called between stages with the stage name (may be NULL). */
    void (*on_stage)(const char *stage);
};

struct br_run_file {
    char name[256];
    enum br_kind kind;
    int status; /* enum br_file_status */
    enum br_reason reason;
    uint64_t rows, accepted, rejected;
};

struct br_run_summary {
    int64_t batch_id; /* 0: nothing committed */
    bool nothing_new;
    struct br_run_file *files;
    size_t nfiles;
    uint64_t rows, accepted, rejected;
    size_t applied, skipped, refused;
    size_t refused_before; /* refused by an earlier batch, offered again unchanged */
    size_t accounts;
    uint64_t pieces;
    int64_t gross_e8;
    int64_t alloc_e8[BR_SRC_COUNT];
    size_t entries, transfers;
    int64_t posted_e8;
    size_t expiries;
    int64_t recognised_e8, breakage_e8;
    double t_ingest, t_rate, t_post, t_total;
    int32_t tz_offset_s;
};

void br_run_summary_free(struct br_run_summary *s);

/* Runs one batch. BR_OK when committed (or nothing to do); any failure
 * rolls back everything. */
enum br_status br_run(struct br_db *db, const struct br_run_opts *opts, struct br_run_summary *sum,
                      struct br_error *err);

/* Starts the transaction of a writing batch: BEGIN, the writer role when
 * granted, the advisory lock (waiting unless no_wait). */
enum br_status br_run_begin(struct br_db *db, bool no_wait, struct br_error *err);

/* The last batch's id and hash (has_prev false when there is none). */
enum br_status br_run_chain_tip(struct br_db *db, int64_t *batch_id, bool *has_prev,
                                uint8_t prev[32], struct br_error *err);

#endif
