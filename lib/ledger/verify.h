/* billrun verify: re-derives the ledger's integrity from the database. */
#ifndef BR_VERIFY_H
#define BR_VERIFY_H

#include "ledger/db.h"

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
};

/* Runs every check (read-only). BR_OK means the checks ran; rep->failed
 * counts those that found a problem. */
enum br_status br_verify(struct br_db *db, struct br_verify_report *rep, struct br_error *err);

#endif
