/* Memory: growable arrays with ceilings, a bump arena, and a string table
 * that interns strings to dense ids. No per-row malloc in hot paths. */
#ifndef BR_MEM_H
#define BR_MEM_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Grows *ptr (an array of elem_size elements, capacity *cap) to hold at least
 * need elements, doubling; never beyond max_elems. On failure *ptr and *cap
 * are unchanged and BR_ERR_NOMEM is returned. */
enum br_status br_grow(void **ptr, size_t *cap, size_t need, size_t elem_size, size_t max_elems);

/* Like br_grow but sets the capacity to exactly `need` (shrink or grow). */
enum br_status br_resize(void **ptr, size_t *cap, size_t need, size_t elem_size);

/* Allocation helpers that abort on overflow of n * size (returns NULL on
 * exhaustion as malloc does). */
void *br_calloc(size_t n, size_t size);
void *br_mallocn(size_t n, size_t size);

/* The peak resident memory of this program image in KiB (VmHWM of
 * /proc/self/status), or -1 when unknown. Unlike getrusage's ru_maxrss it
 * does not count the image before exec (a child forked from a large process
 * inherits that high-water mark). */
long br_peak_rss_kib(void);

/* The memory a run may count on: the least of what the kernel says it can
 * hand out without swapping (MemAvailable in /proc/meminfo), the cgroup's
 * limit less its current use (memory.max - memory.current, cgroup v2) and
 * the address-space and data limits (RLIMIT_AS, RLIMIT_DATA). *what names
 * the one that bounds it (a static string). False when none is known. */
bool br_mem_available(uint64_t *bytes, const char **what);

/* A bump arena: allocations live until br_arena_free. */
struct br_arena_chunk;
struct br_arena {
    struct br_arena_chunk *head;
    size_t used_bytes; /* total handed out */
    size_t max_bytes;  /* ceiling; 0 = none */
};

void br_arena_init(struct br_arena *a, size_t max_bytes);
/* Returns uninitialised memory aligned to 16, or NULL at the
 * ceiling or on exhaustion. */
void *br_arena_alloc(struct br_arena *a, size_t size);
/* Copies n bytes and appends a NUL; NULL on failure. */
char *br_arena_strndup(struct br_arena *a, const char *s, size_t n);
void br_arena_free(struct br_arena *a);

/* A growable byte buffer with a ceiling (curl's dynbuf). */
struct br_buf {
    char *data;
    size_t len, cap, max;
};
void br_buf_init(struct br_buf *b, size_t max);
enum br_status br_buf_append(struct br_buf *b, const void *p, size_t n);
enum br_status br_buf_printf(struct br_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void br_buf_reset(struct br_buf *b);
void br_buf_free(struct br_buf *b);

uint64_t br_hash_bytes(const void *p, size_t n);

/* Interns byte strings to dense ids 0, 1, 2... Strings are stored once, in
 * an arena, with a terminating NUL: pointers returned stay valid (they never
 * move) until br_strtab_free. */
struct br_strtab_slot {
    const char *str; /* the string, beside its id: a lookup reads one slot */
    uint32_t len;
    uint32_t id1; /* id + 1, 0 = empty */
};

struct br_strtab {
    struct br_strtab_slot *slots;
    size_t nslots; /* power of two */
    struct br_arena strings;
    const char **str; /* per id */
    uint32_t *len;    /* per id */
    size_t n, cap;
    size_t max_ids;
};

void br_strtab_init(struct br_strtab *t, size_t max_ids);
/* Finds or adds s; *id receives its id. BR_ERR_NOMEM at the ceiling. */
enum br_status br_strtab_intern(struct br_strtab *t, const char *s, size_t n, uint32_t *id);
/* Finds s; false if absent. */
bool br_strtab_find(const struct br_strtab *t, const char *s, size_t n, uint32_t *id);
const char *br_strtab_get(const struct br_strtab *t, uint32_t id, size_t *len);
void br_strtab_free(struct br_strtab *t);

#endif
