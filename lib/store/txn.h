/* Transactions: a writing batch's (the lock), a reader's snapshot. */
#ifndef BR_TXN_H
#define BR_TXN_H

#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

/* How a writing batch waits for locks. */
struct br_wait {
    bool no_wait;  /* refuse at once when another writer holds the lock */
    int timeout_s; /* else wait this long, for it and for any lock a
                      statement needs (lock_timeout); 0: 600 */
};

/* Starts the transaction of a writing batch: BEGIN, lock_timeout, the
 * writer role when the session holds it, and the writers' lock
 * (ledger.writer_lock). BR_ERR_LOCKED when another writer holds it and
 * w->no_wait, or when it was not had within the timeout. Rolls back on
 * failure. */
enum br_status br_txn_begin_write(struct br_db *db, const struct br_wait *w, struct br_error *err);

/* A read-only snapshot (REPEATABLE READ). */
enum br_status br_txn_begin_read(struct br_db *db, struct br_error *err);

enum br_status br_txn_commit(struct br_db *db, struct br_error *err);

/* Rolls back whatever is open; failures are ignored (the connection may be
 * gone, and then so is the transaction). */
void br_txn_rollback(struct br_db *db);

/* The greatest as-of of the committed runs and reprocessings (INT64_MIN
 * when there is none). */
enum br_status br_txn_last_run_as_of(struct br_db *db, int64_t *as_of, struct br_error *err);

#endif
