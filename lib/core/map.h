/* An open-addressing hash map from a pair of 64-bit keys to a 64-bit value,
 * with a dirty flag per entry (what a run changed and must persist). */
#ifndef BR_MAP_H
#define BR_MAP_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_map_entry {
    uint64_t a, b;
    int64_t value;
    bool used;
    bool dirty;
};

struct br_map {
    struct br_map_entry *e;
    size_t cap; /* power of two, or 0 */
    size_t n;
    uint64_t put_probes; /* slots br_map_put has looked at: its cost, for tests */
};

void br_map_init(struct br_map *m);
void br_map_free(struct br_map *m);
/* The entry for (a, b), or NULL. */
struct br_map_entry *br_map_get(const struct br_map *m, uint64_t a, uint64_t b);
/* Finds or inserts (a, b) (value 0, not dirty). NULL on exhaustion. */
struct br_map_entry *br_map_put(struct br_map *m, uint64_t a, uint64_t b);
/* Grows the map so that n entries fit without growing again. Call it before
 * copying one map into another: inserting entries in slot order into a
 * smaller table that grows on the way builds long probe runs. */
enum br_status br_map_reserve(struct br_map *m, size_t n);

#endif
