/* Sorting rating events: pieces and top-ups of all accounts. */
#ifndef BR_SORT_H
#define BR_SORT_H

#include "core/book.h"
#include "ingest/usage.h"

struct br_sort_input {
    const struct br_book *book;
    const struct br_usage *usage;
    size_t nevents;
    size_t npieces;             /* events [0, npieces) are pieces, the rest top-ups */
    const uint64_t *keys;       /* per event: (t - tmin) << 1 | (piece ? 1 : 0) */
    const uint32_t *account_of; /* per event */
    const uint32_t *ev_row;     /* per piece: its usage row */
    const uint32_t *topups;     /* per top-up event: book order index */
    size_t naccounts;
    int threads;
};

struct br_sort_output {
    uint32_t *order;     /* events in rating order */
    size_t *account_off; /* events of account a: order[off[a] .. off[a+1]) */
};

/* Sorts by (account, time, orders before pieces, then order_id among orders
 * and record_id in byte order among pieces, EAS before OSS for equal ids). */
enum br_status br_sort_events(const struct br_sort_input *in, struct br_sort_output *out);
void br_sort_output_free(struct br_sort_output *out);

#endif
