/* billrun verify: re-derives the ledger's integrity from the database: the
 * hash chain (every batch's content hash recomputed from its stored rows,
 * each link from the one before) and the checks of store/checks.h. */
#ifndef BR_VERIFY_H
#define BR_VERIFY_H

#include "store/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BR_VERIFY_MAX 32

struct br_verify_check {
    bool ok;
    char name[64];
    char detail[600];
};

struct br_verify_report {
    struct br_verify_check checks[BR_VERIFY_MAX];
    size_t n;
    size_t failed;
    int64_t batches;      /* batches in the chain */
    char tip_hash[65];    /* the last batch's hash, hex ("" when none) */
    int64_t tip_batch_id; /* and its number (0 when none) */
};

/* Runs every check in one read-only snapshot. BR_OK means the checks ran;
 * rep->failed counts those that found a problem. */
enum br_status br_verify(struct br_db *db, struct br_verify_report *rep, struct br_error *err);

#endif
