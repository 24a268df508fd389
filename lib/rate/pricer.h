/* Resolving the price of pieces (rules.md section 3) through per-key
 * segment tables built once per run from the effective-dated price book. */
#ifndef BR_PRICER_H
#define BR_PRICER_H

#include "core/book.h"
#include "core/btime.h"
#include "ingest/usage.h"

/* Resolution tables: for each rate key, time segments in which the set of
 * applicable rows is fixed, each with a map from local time of day to the
 * winning row (exact dated > exact open > "*" dated > "*" open). */
struct br_price_seg {
    int64_t start;      /* first instant of the segment */
    uint32_t tod_first; /* its entries in tods[] */
    uint32_t tod_n;
};

struct br_price_tod {
    int32_t start; /* local second of the day where this winner starts */
    uint32_t row;  /* index into book->prices, or BR_NO_ID: no price */
};

struct br_pricer {
    const struct br_book *book;
    struct br_calendar cal;
    uint32_t *key_first; /* per key: its segments in segs[] */
    uint32_t *key_n;
    size_t nkeys;
    struct br_price_seg *segs;
    size_t nsegs, segs_cap;
    struct br_price_tod *tods;
    size_t ntods, tods_cap;
};

enum br_status br_pricer_build(struct br_pricer *p, const struct br_book *book,
                               struct br_calendar cal, const struct br_rate_key *keys,
                               size_t nkeys);
void br_pricer_free(struct br_pricer *p);

/* The price row for key at instant t, or BR_NO_ID. *hint caches the segment
 * last used for this key (start with UINT32_MAX). */
uint32_t br_pricer_find(const struct br_pricer *p, uint16_t key, int64_t t, uint32_t *hint);

#endif
