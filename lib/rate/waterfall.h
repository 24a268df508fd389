/* The deduction waterfall (rules.md section 4) over one account's events in
 * rating order: free allowance, plans, coupons, balance, outstanding. */
#ifndef BR_WATERFALL_H
#define BR_WATERFALL_H

#include "rate/rate.h"
#include "rate/sort.h"

/* Per account: its plans and its coupons, each in priority order. */
struct br_plan_index {
    uint32_t *plan_off, *plans;
    uint32_t *coupon_off, *coupons;
    size_t naccounts;
};

enum br_status br_plan_index_build(struct br_plan_index *x, const struct br_book *book);
void br_plan_index_free(struct br_plan_index *x);

/* One thread's pass. Writes to the shared state only for its own accounts;
 * bucket and allowance changes go to its own lists (merged afterwards). */
/* price marks of events that are not priced pieces */
#define BR_EV_TOPUP (UINT32_MAX - 1) /* qty holds the top-up's index in topups */
#define BR_EV_SKIP UINT32_MAX        /* a piece of a row without a price */

/* An account's events in rating order (sorted per account by br_sort_events). */
struct br_sorted_events {
    const struct br_event *ev;
    int64_t tmin; /* t = tmin + (key >> 1) */
    const uint32_t *topups;
};

struct br_pass {
    const struct br_rate_input *in;
    struct br_rate_state *state;
    struct br_sorted_events ev;
    const struct br_plan_index *pidx;
    struct br_line *lines;
    size_t nlines, lines_cap;
    struct br_draw *draws;
    size_t ndraws, draws_cap;
    uint64_t pieces;
    int64_t gross_e8;
    enum br_status st;
    /* the day being accumulated */
    uint32_t account;
    bool have_day;
    int64_t day;
    br_period own, post;
    struct br_line acc[BR_ITEM_COUNT];
    struct br_draw *dd;
    size_t ndd, dd_cap;
    /* per item and source, the draw of the day used last (dd index + 1) */
    uint32_t dd_last[BR_ITEM_COUNT][BR_SRC_COUNT];
    /* The account's quota buckets and free allowances being drawn. Events
     * come in time order, so each plan fills one bucket (month or hour) at a
     * time, and each item one month's allowance: when the bucket moves on,
     * the old one is done for this run and goes to `closed`. */
    struct br_open_entry {
        uint64_t b; /* bucket or period */
        int64_t value;
        bool open, dirty;
    } * plan_open, allow_open[BR_ITEM_COUNT];
    size_t plan_open_cap;
    struct br_closed_entry {
        uint64_t a, b;
        int64_t value;
    } * closed_buckets, *closed_allow; /* changed entries, merged into the state */
    size_t nclosed_buckets, closed_buckets_cap, nclosed_allow, closed_allow_cap;
};

void br_pass_init(struct br_pass *p, const struct br_rate_input *in, struct br_rate_state *state,
                  struct br_sorted_events ev, const struct br_plan_index *pidx);
void br_pass_free(struct br_pass *p);

/* Rates the events ev[from, to) of one account, in rating order. */
void br_pass_account(struct br_pass *p, uint32_t account, size_t from, size_t to);

#endif
