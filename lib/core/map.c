/* Pair-keyed hash map. */
#include "core/map.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

void br_map_init(struct br_map *m)
{
    memset(m, 0, sizeof(*m));
}

void br_map_free(struct br_map *m)
{
    free(m->e);
    br_map_init(m);
}

static size_t slot(uint64_t a, uint64_t b, size_t cap)
{
    uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xC2B2AE3D27D4EB4FULL);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return (size_t)h & (cap - 1);
}

struct br_map_entry *br_map_get(const struct br_map *m, uint64_t a, uint64_t b)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = slot(a, b, m->cap);; i = (i + 1) & (m->cap - 1)) {
        struct br_map_entry *e = &m->e[i];
        if (!e->used)
            return NULL;
        if (e->a == a && e->b == b)
            return e;
    }
}

static bool grow_to(struct br_map *m, size_t cap)
{
    struct br_map_entry *e = br_calloc(cap, sizeof(*e));
    if (e == NULL)
        return false;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->e[i].used)
            continue;
        size_t j = slot(m->e[i].a, m->e[i].b, cap);
        while (e[j].used)
            j = (j + 1) & (cap - 1);
        e[j] = m->e[i];
    }
    free(m->e);
    m->e = e;
    m->cap = cap;
    return true;
}

static bool grow(struct br_map *m)
{
    return grow_to(m, m->cap ? m->cap * 2 : 64);
}

enum br_status br_map_reserve(struct br_map *m, size_t n)
{
    size_t cap = m->cap ? m->cap : 64;
    while (n * 4 > cap * 3) {
        if (cap > SIZE_MAX / 2 / sizeof(struct br_map_entry))
            return BR_ERR_NOMEM;
        cap *= 2;
    }
    return cap == m->cap || grow_to(m, cap) ? BR_OK : BR_ERR_NOMEM;
}

struct br_map_entry *br_map_put(struct br_map *m, uint64_t a, uint64_t b)
{
    for (;;) {
        if (m->cap > 0) {
            size_t i = slot(a, b, m->cap);
            for (;; i = (i + 1) & (m->cap - 1)) {
                m->put_probes++;
                struct br_map_entry *e = &m->e[i];
                if (!e->used)
                    break;
                if (e->a == a && e->b == b)
                    return e;
            }
            if ((m->n + 1) * 4 <= m->cap * 3) {
                m->e[i] = (struct br_map_entry){.a = a, .b = b, .used = true};
                m->n++;
                return &m->e[i];
            }
        }
        if (!grow(m)) /* then look again in the larger table */
            return NULL;
    }
}
