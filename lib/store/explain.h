/* What billrun explain shows: one account's invoice of a period, its lines,
 * what paid each line (the draws of plans and coupons, and the free
 * allowance, balance and receivable of the lines), and the account's plans
 * and coupons. Strings are owned by the struct (its arena) until
 * br_explain_free. */
#ifndef BR_STORE_EXPLAIN_H
#define BR_STORE_EXPLAIN_H

#include "core/btime.h"
#include "core/mem.h"
#include "store/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_explain_line {
    const char *item, *quantity, *unit; /* quantity in display units, as the view shows it */
    const char *gross, *free, *plan, *coupon, *balance, *outstanding; /* CNY text */
    int item_no;
    int64_t first, last; /* [start of its first day, end of its last day) */
};

struct br_explain_draw {
    const char *item, *source;
    const char *order_id; /* NULL for free, balance, outstanding */
    int64_t units, value_e8, recognised_e8;
};

struct br_explain_order {
    const char *order_id, *kind, *type, *scope, *quantity, *unit;
    int64_t scope_mask, valid_from, valid_to, face, consumed;
    bool expired;
};

/* A credit or debit note posted in the period (corrections.md section 3). */
struct br_explain_adjustment {
    const char *adjustment_id, *kind, *item, *amount, *invoice_no, *reason, *note_no;
    int64_t at;
    bool late;
};

struct br_explain {
    int32_t tz_offset_s;
    /* the invoice (CNY text as billing.invoices shows it) */
    const char *invoice_no, *status, *name;
    const char *gross, *free, *plan, *coupon, *balance, *outstanding, *round_down, *amount_due;
    const char *credits, *debits;
    struct br_explain_line *lines;
    size_t nlines;
    struct br_explain_draw *draws; /* by item, then source order */
    size_t ndraws;
    struct br_explain_order *orders; /* by valid_to, valid_from, order_id */
    size_t norders;
    struct br_explain_adjustment *adjustments; /* by time, then id */
    size_t nadjustments;
    struct br_arena arena;
};

/* Loads account's invoice of period; BR_ERR_STATE when there is none. */
enum br_status br_explain_load(struct br_db *db, const char *account, br_period period,
                               struct br_explain *out, struct br_error *err);
void br_explain_free(struct br_explain *x);

#endif
