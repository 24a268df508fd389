/* The integrity checks of `billrun verify` that are queries: entries and
 * periods balance, nothing posted into a closed period, sub-ledgers against
 * the billing state, revenue recognition, draws, files against rejects,
 * final invoices against their lines. Read-only; run them in a snapshot. */
#ifndef BR_CHECKS_H
#define BR_CHECKS_H

#include "store/db.h"

#include <stdbool.h>
#include <stddef.h>

struct br_check_result {
    bool ok;
    char name[64];
    char detail[600]; /* what was checked, or the first rows that break it */
};

size_t br_checks_count(void);

/* Runs check i (< br_checks_count()). BR_OK means it ran; out->ok says
 * whether it passed. */
enum br_status br_checks_run(struct br_db *db, size_t i, struct br_check_result *out,
                             struct br_error *err);

#endif
