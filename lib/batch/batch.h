/* A batch: the one way anything is written to the ledger. Every writing
 * verb (run, reprocess, close) goes through the same steps, in order:
 *
 *   br_batch_open    BEGIN, the writer role, billrun's lock; the chain's
 *                    tip (this batch's number and previous hash) and the
 *                    next free entry and transfer ids
 *   (the verb)       writes its facts and journal through b->writer
 *   br_batch_seal    every section's row count read back from the database and compared
 *                    with what was written and hashed; the content hash,
 *                    the chain link, the ledger.batches row
 *   br_batch_commit  COMMIT
 *
 * Any failure before the commit rolls everything back (br_batch_abort):
 * a batch is all or nothing. */
#ifndef BR_BATCH_H
#define BR_BATCH_H

#include "ledger/canon.h"
#include "store/db.h"
#include "store/txn.h"
#include "store/write.h"

#include <stdbool.h>
#include <stdint.h>

struct br_batch {
    struct br_db *db;
    const char *kind; /* run, reprocess, close */
    int64_t batch_id;
    bool has_prev;
    uint8_t prev[32];
    int64_t next_entry, next_transfer;
    int64_t started_at;
    struct br_batch_writer writer;
    uint8_t hash[32]; /* after br_batch_seal: this batch's chain hash */
    bool open;
};

/* Opens the batch's transaction (waiting for another writer unless no_wait:
 * then BR_ERR_LOCKED). */
enum br_status br_batch_open(struct br_batch *b, struct br_db *db, const char *kind,
                             const struct br_wait *wait, struct br_error *err);

/* Checks what was written against what the database stored, and links the
 * batch into the chain. period: the period a close closes, else NULL. */
enum br_status br_batch_seal(struct br_batch *b, int64_t as_of, const char *period,
                             const char *version, const char *summary, struct br_error *err);

enum br_status br_batch_commit(struct br_batch *b, struct br_error *err);

/* Rolls back an open batch (nothing of it remains). */
void br_batch_abort(struct br_batch *b);

/* Frees the batch's memory (after a commit or an abort). */
void br_batch_free(struct br_batch *b);

#endif
