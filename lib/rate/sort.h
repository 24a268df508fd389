/* The one sort of rating, done per account: an account's events by time,
 * orders (top-ups) before pieces, then the tie-breaks of rules.md section 4
 * (order_id; record_id, EAS before OSS; then input order). */
#ifndef BR_SORT_H
#define BR_SORT_H

#include "core/book.h"
#include "core/status.h"
#include "ingest/usage.h"

/* One event of the pass: a priced piece of a usage row, or a top-up. */
struct br_event {
    uint64_t key;   /* (t - tmin) << 1, | 1 for a piece (top-ups first at equal t) */
    uint64_t qty;   /* piece: base units; top-up: its index in topups */
    uint32_t price; /* book price row, or a BR_EV_* mark */
    uint32_t row;   /* piece: usage row; top-up: BR_EV_NO_ROW */
};

#define BR_EV_NO_ROW UINT32_MAX

/* A credit to an account's prepaid balance (an event without a row): a
 * top-up order, or a credit adjustment (corrections.md section 3: it joins
 * the balance exactly like a top-up). The rating's list of them holds an
 * order's index, or BR_CREDIT_ADJ | an adjustment's index. At one instant,
 * orders come first (by order_id), then adjustments (by adjustment_id),
 * then pieces. */
#define BR_CREDIT_ADJ 0x80000000u

static inline bool br_credit_is_adj(uint32_t c)
{
    return (c & BR_CREDIT_ADJ) != 0;
}

static inline uint32_t br_credit_account(const struct br_book *b, uint32_t c)
{
    return br_credit_is_adj(c) ? b->adjustments[c & ~BR_CREDIT_ADJ].account : b->orders[c].account;
}

static inline int64_t br_credit_time(const struct br_book *b, uint32_t c)
{
    return br_credit_is_adj(c) ? b->adjustments[c & ~BR_CREDIT_ADJ].at : b->orders[c].order_time;
}

static inline int64_t br_credit_amount(const struct br_book *b, uint32_t c)
{
    return br_credit_is_adj(c) ? b->adjustments[c & ~BR_CREDIT_ADJ].amount_e8
                               : b->orders[c].paid_e8;
}

static inline bool br_credit_recredit(const struct br_book *b, uint32_t c)
{
    return br_credit_is_adj(c) ? b->adjustments[c & ~BR_CREDIT_ADJ].recredit
                               : b->orders[c].recredit;
}

static inline const char *br_credit_id(const struct br_book *b, uint32_t c)
{
    return br_credit_is_adj(c) ? b->adjustments[c & ~BR_CREDIT_ADJ].adjustment_id
                               : b->orders[c].order_id;
}

struct br_sort_ctx {
    const struct br_book *book;
    const struct br_usage *usage;
    const uint32_t *topups; /* per credit event: an order, or BR_CREDIT_ADJ | an adjustment */
};

struct br_tie;

/* Room for merging and for sorting ties, grown when an account's events
 * need it; br_sort_scratch_free frees it. */
struct br_sort_scratch {
    struct br_event *ev;
    size_t cap;
    struct br_tie *tie;
    size_t tie_cap;
    unsigned char *ids; /* the record ids of a run of ties */
    size_t ids_cap;
};

void br_sort_scratch_free(struct br_sort_scratch *tmp);

/* Sorts ev[0, n), one account's events in input order, into rating order.
 * BR_ERR_NOMEM when the scratch cannot grow (ev is then in no useful order). */
enum br_status br_sort_events(const struct br_sort_ctx *c, struct br_event *ev, size_t n,
                              struct br_sort_scratch *tmp);

#endif
