/* Transactions: a writing batch's (the lock), a reader's snapshot. */
#ifndef BR_TXN_H
#define BR_TXN_H

#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

/* Starts the transaction of a writing batch: BEGIN, the writer role when
 * the session holds it, and billrun's lock (waiting for another writer
 * unless no_wait: then BR_ERR_LOCKED). Rolls back on failure. */
enum br_status br_txn_begin_write(struct br_db *db, bool no_wait, struct br_error *err);

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
