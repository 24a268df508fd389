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

static bool grow(struct br_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
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

struct br_map_entry *br_map_put(struct br_map *m, uint64_t a, uint64_t b)
{
    struct br_map_entry *e = br_map_get(m, a, b);
    if (e != NULL)
        return e;
    if ((m->n + 1) * 4 > m->cap * 3 && !grow(m))
        return NULL;
    size_t i = slot(a, b, m->cap);
    while (m->e[i].used)
        i = (i + 1) & (m->cap - 1);
    e = &m->e[i];
    *e = (struct br_map_entry){.a = a, .b = b, .used = true};
    m->n++;
    return e;
}
