/* Price file admission (rules.md section 3): the overlap and repricing
 * checks that decide whether a prices file joins the book or is refused
 * whole. */
#ifndef BR_ADMIT_H
#define BR_ADMIT_H

#include "core/book.h"
#include "core/btime.h"
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Answers "were pieces of (item, spec) already rated in [from, to)?" for
 * the repricing check; spec NULL: any spec. An answer it cannot give must be
 * "yes" (refusing a file is safe, repricing history is not). */
typedef bool (*br_rated_fn)(void *ctx, enum br_item item, const char *spec, int64_t from,
                            int64_t to);

/* Checks the rows of one price file against the book. On BR_OK with
 * *why == BR_R_NONE the rows (less those identical to a loaded row) are added
 * to the book; otherwise *why is BR_R_PRICE_OVERLAP or BR_R_REPRICES_HISTORY,
 * detail says which rows, and the book is unchanged. rated may be NULL (no
 * history: nothing was rated). BR_ERR_NOMEM on exhaustion. */
enum br_status br_admit_prices(struct br_book *book, const struct br_price *rows, size_t n,
                               struct br_calendar cal, br_rated_fn rated, void *rated_ctx,
                               enum br_reason *why, char *detail, size_t detail_size);

#endif
