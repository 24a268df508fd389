/* billrun explain: how each line of one account's invoice was paid, and
 * why each of its other plans and coupons paid nothing for it. */
#ifndef BR_EXPLAIN_H
#define BR_EXPLAIN_H

#include "core/btime.h"
#include "store/db.h"

#include <stdio.h>

/* Prints the explanation of account's invoice for period to out. */
enum br_status br_explain(struct br_db *db, const char *account, br_period period, FILE *out,
                          struct br_error *err);

#endif
