/* What billrun export reads (batch/export.h): a period's state, its
 * postings streamed in voucher order, and its trial balance, all in the
 * caller's transaction (a read-only snapshot, so the three agree with each
 * other whatever a run commits meanwhile). Typed C data only: the rows of
 * a result never leave this module. */
#ifndef BR_STORE_EXPORT_H
#define BR_STORE_EXPORT_H

#include "core/status.h"
#include "store/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_export_state {
    bool closed;
    int64_t closed_at;  /* UTC seconds (closed periods) */
    int64_t last_batch; /* the latest committed batch (0 when none) */
    int64_t last_as_of; /* the greatest as-of of the runs (INT64_MIN when none) */
};

/* The state of period ("YYYY-MM"). */
enum br_status br_export_read_state(struct br_db *db, const char *period, struct br_export_state *s,
                                    struct br_error *err);

/* One posting: one side of one transfer of an entry posted in the period
 * (the rows of ledger.postings). Strings are valid during the callback. */
struct br_export_posting {
    int64_t entry_id;
    int64_t effective_at; /* the entry's own time, UTC seconds */
    const char *customer; /* the entry's account_id, "" when it has none */
    const char *description;
    bool late;   /* dated in a period that was closed when it was posted */
    bool credit; /* the credit side of the transfer (else its debit side) */
    int code;    /* chart code (core/chart.h) */
    const char *sub_ledger;
    int64_t amount_e8; /* > 0 */
    int64_t transfer_id;
};

typedef enum br_status (*br_export_posting_fn)(void *ctx, const struct br_export_posting *p,
                                               struct br_error *err);

/* Calls fn for every posting of period, in entry_id order and within an
 * entry debits before credits, each side in transfer_id order; a status
 * other than BR_OK from fn stops the stream and is returned. Reads through
 * a cursor in chunks, so memory does not grow with the period. */
enum br_status br_export_read_postings(struct br_db *db, const char *period,
                                       br_export_posting_fn fn, void *ctx, struct br_error *err);

/* A row of ledger.trial_balance: the period's debits and credits of one
 * code, in e8. */
struct br_export_tb {
    int code;
    int64_t debit_e8, credit_e8;
};

/* The period's rows of ledger.trial_balance in code order, at most cap
 * (BR_ERR_STATE when there are more: the chart has fewer codes). */
enum br_status br_export_read_tb(struct br_db *db, const char *period, struct br_export_tb *rows,
                                 size_t cap, size_t *n, struct br_error *err);

#endif
