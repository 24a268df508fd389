/* Rating (rules.md sections 1-4 and the recognition of section 5): pieces,
 * exact prices, one sort of all pieces and top-ups by (account, time, ties),
 * then one pass per account through the deduction waterfall, then
 * straight-line recognition and expiries up to the as-of time. No I/O: the
 * opening state comes in, the closing state and the amounts go out. */
#ifndef BR_RATE_H
#define BR_RATE_H

#include "core/book.h"
#include "core/btime.h"
#include "core/map.h"
#include "ingest/usage.h"
#include "rate/pricer.h"

enum br_source {
    BR_SRC_FREE = 0,
    BR_SRC_PLAN = 1,
    BR_SRC_COUPON = 2,
    BR_SRC_BALANCE = 3,
    BR_SRC_OUTSTANDING = 4,
    BR_SRC_COUNT
};

const char *br_source_str(enum br_source s);

/* State of one order (plans and coupons), indexed like book->orders. */
struct br_order_state {
    int64_t consumed;      /* amount: e8; pool/monthly: base units ever drawn;
                              capacity: byte-hours covered; coupon: e8 used */
    int64_t recognised_e8; /* revenue recognised so far (plans) */
    int64_t sl_to;         /* seconds of validity recognised on the straight line (monthly,
                              capacity): valid_from + sl_to is where it reached */
    int64_t breakage_e8;
    bool expired; /* expiry processed: covers nothing more */
    bool dirty;   /* changed by this run */
};

/* The rating state carried from run to run. Maps (value = units used):
 * buckets: (order, bucket) where bucket is the period (monthly plans) or
 * the UTC hour number t / 3600 (capacity plans); allowance: (account << 8 |
 * item, period). */
struct br_rate_state {
    int64_t *balance_e8; /* per account */
    bool *balance_dirty;
    size_t naccounts;
    struct br_order_state *orders;
    size_t norders;
    struct br_map buckets;
    struct br_map allowance;
};

/* Allocates zeroed state for the book's accounts and orders (grows an
 * existing one when the book has grown). */
enum br_status br_rate_state_fit(struct br_rate_state *s, const struct br_book *book);
void br_rate_state_free(struct br_rate_state *s);

struct br_rate_input {
    const struct br_book *book;
    const struct br_usage *usage;
    const struct br_pricer *pricer;
    struct br_calendar cal;
    int64_t as_of;
    const br_period *closed; /* closed periods, ascending */
    size_t nclosed;
    int threads;              /* 1 or more */
    const uint8_t *skip_rows; /* rows not to rate (rejected after ingest), or NULL */
};

/* Per account, posting period, local day and item: what the pieces cost and
 * how they were paid. */
struct br_line {
    uint32_t account;
    br_period period;     /* posting period */
    br_period own_period; /* the period of the pieces' own time */
    int64_t day;          /* local day number of the pieces */
    enum br_item item;
    uint64_t pieces;
    uint64_t qty; /* base units */
    int64_t gross_e8;
    int64_t alloc_e8[BR_SRC_COUNT];
    int64_t free_units;
    int64_t price_min_e10, price_max_e10; /* unit prices of its pieces */
};

/* Per account, posting period, day, item and funding source (order for plans
 * and coupons): units and value drawn, and for amount and pool plans the
 * revenue recognised by these draws. */
struct br_draw {
    uint32_t account;
    br_period period;
    br_period own_period;
    int64_t day;
    enum br_item item;
    enum br_source source;
    uint32_t order; /* book order index, or BR_NO_ID */
    int64_t units;
    int64_t value_e8;
    int64_t recognised_e8;
};

enum br_recog_kind { BR_RECOG_STRAIGHT = 0, BR_RECOG_BREAKAGE = 1, BR_RECOG_EXPIRY = 2 };

/* Straight-line shares and expiries (breakage may be 0: a monthly or
 * capacity plan's expiry posts nothing but is still recorded). */
struct br_recog {
    uint32_t order;
    br_period period;     /* posting period */
    br_period own_period; /* the period it belongs to */
    int64_t effective_at; /* end of the covered span (straight line) or valid_to - 1 */
    int64_t amount_e8;
    enum br_recog_kind kind;
};

/* An hour range in which pieces of a rate key were priced. */
struct br_rated_span {
    uint16_t key;
    int64_t hour_from, hour_to; /* hours since 1970, inclusive */
};

/* Sorts spans by key and first hour and merges those that overlap or touch,
 * in place: the smallest set of ranges covering the same hours. Returns the
 * new count. */
size_t br_spans_merge(struct br_rated_span *spans, size_t n);

struct br_rate_result {
    struct br_line *lines;
    size_t nlines;
    struct br_draw *draws;
    size_t ndraws;
    struct br_recog *recogs;
    size_t nrecogs;
    uint32_t *no_price_rows; /* ascending */
    size_t nno_price;
    uint32_t *overflow_rows; /* ascending: a piece's gross would pass 2^63 e8 */
    size_t noverflow;
    struct br_rated_span *spans;
    size_t nspans;
    uint64_t pieces;
    int64_t gross_e8;
};

void br_rate_result_free(struct br_rate_result *r);

/* Puts the lines in (account, day, item) order and the draws in (account,
 * day, item, source, order) order, the order the journal posts them in (a
 * line's draws follow each other). */
void br_rate_result_sort(struct br_rate_result *r);
bool br_rate_result_sorted(const struct br_rate_result *r);

/* Does draw d come before every draw of line l in that order? */
static inline bool br_rate_draw_before_line(const struct br_draw *d, const struct br_line *l)
{
    if (d->account != l->account)
        return d->account < l->account;
    if (d->day != l->day)
        return d->day < l->day;
    return d->item < l->item;
}

/* Rates every usage row of in->usage from the opening state, leaving the
 * closing state in `state`. Rows with a piece that has no price are listed in
 * out->no_price_rows (rejected no_price), rows with a gross beyond 63 bits in
 * out->overflow_rows (rejected bad_number); both rate nothing. New top-ups of the book (is_new)
 * enter the time order; plans and coupons apply by their validity. Then straight-line recognition
 * runs to min(as_of, valid_to) and plans with valid_to <= as_of expire. Fails only on exhaustion or
 * an overflow of exact arithmetic. */
enum br_status br_rate(const struct br_rate_input *in, struct br_rate_state *state,
                       struct br_rate_result *out, struct br_error *err);

/* Straight-line recognition and expiries only (close): to `until`. Appends
 * to out (which must be initialised, e.g. zeroed). */
enum br_status br_rate_recognise(const struct br_rate_input *in, struct br_rate_state *state,
                                 int64_t until, struct br_rate_result *out, struct br_error *err);

/* The posting period of something whose own period is p: p itself, or the
 * first later period that is not closed. */
br_period br_post_period(const br_period *closed, size_t nclosed, br_period p);

/* Priority of plans and coupons: earliest valid_to, valid_from, order_id. */
int br_order_priority_cmp(const struct br_order *a, const struct br_order *b);

#endif
