/* A night in memory: an inbox read into a book and usage columns, rated
 * from an opening state. No database: `billrun run` fills the book and the
 * state from the store and tells the night what it knows of each file;
 * `billrun ingest`, the rating tests and the benchmarks use it as it is,
 * from an empty book and state (br_night_rate_inbox).
 *
 * Ownership: a night owns its book, its ingest (files, rejects, usage), its
 * rating state and result; everything lives until br_night_free. A night
 * can be followed by the next (br_night_next) that keeps the book and the
 * state, as the database would carry them from night to night. */
#ifndef BR_NIGHT_H
#define BR_NIGHT_H

#include "batch/inbox.h"
#include "core/book.h"
#include "core/btime.h"
#include "ingest/ingest.h"
#include "rate/pricer.h"
#include "rate/rate.h"

#include <stdbool.h>
#include <stdint.h>

/* The most usage rows a night holds (row numbers are 32 bits). */
#define BR_NIGHT_MAX_ROWS ((size_t)UINT32_MAX - 1)

struct br_night {
    struct br_calendar cal;
    int threads;
    struct br_book book;
    struct br_ingest ing;
    struct br_rate_state state;
    struct br_rate_result rated;
    struct br_pricer pricer;
    bool pricer_live;
    const br_period *closed; /* borrowed: closed periods, ascending */
    size_t nclosed;
    /* borrowed, or NULL: per usage row, nonzero when it is not to be rated
     * (billed by an earlier batch: batch/dups.h) */
    const uint8_t *skip;
    /* set by br_night_prepare: the earliest charge time of the usage, and
     * the period and UTC hour it falls in (INT64_MAX / INT32_MAX: none) */
    int64_t t_min, hour_min;
    br_period period_min;
};

void br_night_init(struct br_night *n, struct br_calendar cal, int threads);
void br_night_free(struct br_night *n);

/* Ends this night's files, usage and result, keeping the book (its orders
 * no longer new) and the rating state, for the next night. */
void br_night_next(struct br_night *n);

/* Adds an inbox file to read; *index is its number among the night's files. */
enum br_status br_night_add(struct br_night *n, const struct br_inbox *in, size_t i,
                            uint32_t *index, struct br_error *err);

/* Reads and validates file index (br_ingest_read), logging the outcome. */
enum br_status br_night_read(struct br_night *n, uint32_t index, struct br_error *err);

/* Lists dir and reads every file as new. */
enum br_status br_night_read_inbox(struct br_night *n, const char *dir, struct br_error *err);

/* After the reading: drops the record id index, builds the price tables and
 * finds the usage's time bounds (t_min, period_min, hour_min), which say
 * which opening state a database must load. */
enum br_status br_night_prepare(struct br_night *n, struct br_error *err);

/* Rates the usage from the opening state in n->state (plans expire and
 * straight-line recognition runs up to as_of); rows without a price are
 * rejected no_price, rows whose gross passes 63 bits bad_number. The result
 * is in n->rated, sorted for the journal (br_rate_result_sort). */
enum br_status br_night_rate(struct br_night *n, int64_t as_of, struct br_error *err);

/* Straight-line recognition and expiries only, up to `until` (a close: its
 * period end), into n->rated. */
enum br_status br_night_recognise(struct br_night *n, int64_t until, struct br_error *err);

/* The database-free entry point: reads dir as a first night and rates it
 * from an empty state. */
enum br_status br_night_rate_inbox(struct br_night *n, const char *dir, int64_t as_of,
                                   struct br_error *err);

#endif
