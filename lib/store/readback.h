/* Reading a batch back: every stored row of the batch, column by column as
 * typed values, serialised with the canonical row functions (ledger/canon.h)
 * into its section. This is how `billrun verify` recomputes a batch's
 * content hash. Before it commits, a batch only counts its stored rows per
 * table (br_readback_counts): reading every row back doubled the cost of
 * storing a night, and `billrun verify` does it for every batch anyway. */
#ifndef BR_READBACK_H
#define BR_READBACK_H

#include "ledger/canon.h"
#include "store/db.h"

/* The row counts and section hashes of batch_id's stored rows. */
enum br_status br_readback_sums(struct br_db *db, int64_t batch_id, struct br_batch_sums *out,
                                struct br_error *err);

/* The row counts of batch_id's stored rows, per section (out->hash left
 * zero). */
enum br_status br_readback_counts(struct br_db *db, int64_t batch_id, struct br_batch_sums *out,
                                  struct br_error *err);

/* One link of the chain as stored in ledger.batches. */
struct br_chain_row {
    int64_t batch_id;
    char kind[16];
    int64_t as_of;
    char period[16]; /* "" when none */
    bool has_prev;
    uint8_t prev[32], content[32], hash[32];
};

/* Calls fn for every batch in batch_id order; stops at the first status
 * other than BR_OK and returns it. */
enum br_status br_readback_chain(struct br_db *db,
                                 enum br_status (*fn)(void *ctx, const struct br_chain_row *b),
                                 void *ctx, struct br_error *err);

/* The last batch (has_prev false when there is none). */
enum br_status br_readback_tip(struct br_db *db, struct br_chain_row *tip, bool *any,
                               struct br_error *err);

#endif
