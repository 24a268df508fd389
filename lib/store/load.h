/* Loading what a batch starts from: the book (accounts, prices, orders),
 * the closed periods, the files already read, and the rating state. All
 * reads, in the caller's transaction. */
#ifndef BR_LOAD_H
#define BR_LOAD_H

#include "core/book.h"
#include "store/db.h"
#include "rate/rate.h"

/* The ids a night's files name (batch/inbox.c scans them first): orders
 * and adjustments (whether one sent again is the same or conflicts), and
 * the invoices adjustments name. */
struct br_load_ids {
    struct br_strtab orders, adjustments, invoices;
};

void br_load_ids_init(struct br_load_ids *ids);
void br_load_ids_free(struct br_load_ids *ids);

/* Loads into an empty book every account and price row, and the orders a
 * batch may need, so the cost does not grow with the history: every plan
 * whose expiry is not processed yet, coupons valid after as_of - 366 days,
 * and the orders and adjustments named in ids, and the final invoices they
 * name; ids may be NULL. */
enum br_status br_load_book(struct br_db *db, struct br_book *book, int64_t as_of,
                            const struct br_load_ids *ids, struct br_error *err);

/* Closed periods, ascending (caller frees *out). */
enum br_status br_load_closed(struct br_db *db, br_period **out, size_t *n, struct br_error *err);

/* The rating state for the book's accounts and orders: the latest state of
 * every plan and coupon of the book and every balance (one index probe
 * each), and the allowance and quota buckets from min_period (and capacity
 * hours from min_hour) on. */
enum br_status br_load_state(struct br_db *db, const struct br_book *book,
                             struct br_rate_state *state, br_period min_period, int64_t min_hour,
                             struct br_error *err);

/* Top-ups and credit adjustments applied by earlier runs and dated after t_min (the earliest piece
 * of this run), flagged recredit in the book (added to it when not there)
 * and taken out of their accounts' opening balances in state, which
 * br_load_state filled: the rating adds each back at its own time (rules.md
 * 4: events in time order), so a piece never draws on a top-up dated after
 * it, whichever night either arrived in. */
enum br_status br_load_recredits(struct br_db *db, struct br_book *book,
                                 struct br_rate_state *state, int64_t t_min, struct br_error *err);

/* What the database knows of a file name: nothing, applied with this very
 * content (SAME), refused with this very content and never applied
 * (REFUSED: *reason says why), or applied with other content (CHANGED). */
enum br_known { BR_KNOWN_NEW = 0, BR_KNOWN_SAME, BR_KNOWN_CHANGED, BR_KNOWN_REFUSED };

/* Whether the database records any file of this name (reprocessing aside):
 * when it does not, br_load_known would say NEW whatever the content, so the
 * file can be read without hashing it first. */
enum br_status br_load_name_seen(struct br_db *db, const char *name, bool *seen,
                                 struct br_error *err);
enum br_status br_load_known(struct br_db *db, const char *name, const uint8_t sha[32],
                             enum br_known *out, enum br_reason *reason, struct br_error *err);

/* Were pieces of (item, spec) rated in [from, to)? (spec NULL: any spec).
 * ctx is a struct br_db *. Errors count as "yes" (refusing is safe). */
bool br_load_rated(void *ctx, enum br_item item, const char *spec, int64_t from, int64_t to);

/* An open reject waiting for its account or price (reprocessing). */
struct br_open_reject {
    int64_t reject_id;
    uint64_t line;
    enum br_kind kind; /* orders, eas or oss */
    const char *raw;   /* its exact bytes, valid during the callback */
    size_t raw_len;
    enum br_reason reason; /* the reason it has now */
};

/* Calls fn for every open unknown_account or no_price reject of an orders,
 * EAS or OSS file (untruncated), orders first, then EAS, then OSS, each by
 * reject id; stops at the first status fn returns other than BR_OK. */
enum br_status br_load_open_rejects(struct br_db *db,
                                    enum br_status (*fn)(void *ctx, const struct br_open_reject *r),
                                    void *ctx, struct br_error *err);

/* The name of file file_id (billing.files), into buf ("?" when unknown). */
enum br_status br_load_file_name(struct br_db *db, int64_t file_id, char *buf, size_t size,
                                 struct br_error *err);

/* The database server's clock (epoch seconds) and the greatest as-of of
 * the run and reprocess batches committed (*any false: none). */
enum br_status br_load_clock(struct br_db *db, int64_t *server_now, int64_t *max_run_as_of,
                             bool *any, struct br_error *err);

/* Whether the last run or reprocess batch committed rejected any row as
 * duplicate_record (*found false when there is none). */
enum br_status br_load_last_found_duplicates(struct br_db *db, bool *found, struct br_error *err);

#endif
