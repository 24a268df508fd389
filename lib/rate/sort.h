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

struct br_sort_ctx {
    const struct br_book *book;
    const struct br_usage *usage;
    const uint32_t *topups; /* per top-up event: book order index */
};

/* Room for merging, grown when an account's events need it. */
struct br_sort_scratch {
    struct br_event *ev;
    size_t cap;
};

/* Sorts ev[0, n), one account's events in input order, into rating order.
 * BR_ERR_NOMEM when the scratch cannot grow (ev is then unchanged). */
enum br_status br_sort_events(const struct br_sort_ctx *c, struct br_event *ev, size_t n,
                              struct br_sort_scratch *tmp);

#endif
