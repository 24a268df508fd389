/* billrun run and billrun reprocess: one batch (batch.h) that reads the
 * inbox's new files (and, reprocessing, the open rejects waiting for their
 * account or price) into a night (night.h), rates it from the state the
 * database holds, posts the journal and the facts, and commits. */
#ifndef BR_RUN_H
#define BR_RUN_H

#include "core/book.h"
#include "rate/rate.h"
#include "store/db.h"

struct br_run_opts {
    const char *inbox;   /* NULL: no inbox (reprocessing only) */
    int64_t as_of;       /* expiries and straight-line recognition up to here */
    bool no_wait;        /* refuse instead of waiting for another run */
    int lock_timeout_s;  /* else wait this long for locks (0: 600) */
    bool reprocess;      /* re-read open unknown_account / no_price rejects */
    bool future_as_of;   /* allow an as-of more than 5 minutes after the server's clock */
    const char *archive; /* move the inbox's files here after the commit (archive.h), or NULL */
    uint64_t max_memory; /* refuse a night reckoned to need more (0: what the host has) */
    int threads;
    const char *version;
    /* Called as each stage begins (load, ingest, rate, post, commit) with
     * stage_ctx (progress lines, logs, test pauses); may be NULL. */
    void (*on_stage)(void *stage_ctx, const char *stage);
    void *stage_ctx;
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
    char hash[65];           /* the committed batch's chain hash, hex ("" when none) */
    size_t archived;         /* files moved into the archive */
    char archive_error[800]; /* why archiving stopped ("" when it did not) */
};

void br_run_summary_free(struct br_run_summary *s);

/* Runs one batch. BR_OK when committed (or nothing to do); any failure
 * rolls back everything. BR_ERR_USAGE, nothing done, for an as-of more than
 * 5 minutes after the database server's clock (unless opts->future_as_of)
 * or earlier than the as-of of a run committed before (corrections.md
 * section 2). */
enum br_status br_run(struct br_db *db, const struct br_run_opts *opts, struct br_run_summary *sum,
                      struct br_error *err);

#endif
