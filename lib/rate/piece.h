/* The priced pieces of a usage row (rules.md section 2): one piece per row,
 * except an exclusive interval, which is split at every clock-hour boundary
 * and each piece charged at its own start. Pure functions of the usage
 * columns. */
#ifndef BR_PIECE_H
#define BR_PIECE_H

#include "ingest/usage.h"

#include <stddef.h>
#include <stdint.h>

/* How many pieces row has; t0 is its charge time (br_usage_t). An
 * exclusive interval of zero seconds has none. */
uint32_t br_piece_count(const struct br_usage *u, size_t row, int64_t t0);

/* Piece `sub` (< br_piece_count) of row: its charge time and quantity in
 * base units. */
void br_piece_at(const struct br_usage *u, size_t row, uint32_t sub, int64_t t0, int64_t *t,
                 uint64_t *qty);

#endif
