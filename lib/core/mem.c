/* Growable arrays, the arena, byte buffers and the string table. */
#include "mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum br_status br_grow(void **ptr, size_t *cap, size_t need, size_t elem_size, size_t max_elems)
{
    if (need <= *cap)
        return BR_OK;
    if (need > max_elems)
        return BR_ERR_NOMEM;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap = ncap > max_elems / 2 ? max_elems : ncap * 2;
    size_t bytes;
    if (__builtin_mul_overflow(ncap, elem_size, &bytes))
        return BR_ERR_NOMEM;
    void *p = realloc(*ptr, bytes);
    if (p == NULL)
        return BR_ERR_NOMEM;
    *ptr = p;
    *cap = ncap;
    return BR_OK;
}

enum br_status br_resize(void **ptr, size_t *cap, size_t need, size_t elem_size)
{
    size_t bytes;
    if (__builtin_mul_overflow(need ? need : 1, elem_size, &bytes))
        return BR_ERR_NOMEM;
    void *p = realloc(*ptr, bytes);
    if (p == NULL)
        return BR_ERR_NOMEM;
    *ptr = p;
    *cap = need;
    return BR_OK;
}

void *br_calloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size ? size : 1);
}

void *br_mallocn(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return malloc(bytes ? bytes : 1);
}

struct br_arena_chunk {
    struct br_arena_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

void br_arena_init(struct br_arena *a, size_t max_bytes)
{
    a->head = NULL;
    a->used_bytes = 0;
    a->max_bytes = max_bytes;
}

void *br_arena_alloc(struct br_arena *a, size_t size)
{
    if (size > SIZE_MAX / 2)
        return NULL; /* rounding up, or the chunk header, would wrap to a tiny size */
    size = (size + 15) & ~(size_t)15;
    if (a->max_bytes && (size > a->max_bytes || a->used_bytes > a->max_bytes - size))
        return NULL;
    struct br_arena_chunk *c = a->head;
    if (c == NULL || c->size - c->used < size) {
        size_t csize = size > (1u << 20) ? size : (1u << 20);
        c = malloc(sizeof(*c) + csize);
        if (c == NULL)
            return NULL;
        c->size = csize;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    a->used_bytes += size;
    return p;
}

char *br_arena_strndup(struct br_arena *a, const char *s, size_t n)
{
    char *p = br_arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void br_arena_free(struct br_arena *a)
{
    struct br_arena_chunk *c = a->head;
    while (c != NULL) {
        struct br_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

void br_buf_init(struct br_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

enum br_status br_buf_append(struct br_buf *b, const void *p, size_t n)
{
    if (n > b->max || b->len > b->max - n)
        return BR_ERR_NOMEM;
    enum br_status st = br_grow((void **)&b->data, &b->cap, b->len + n + 1, 1, b->max + 1);
    if (st != BR_OK)
        return st;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BR_OK;
}

enum br_status br_buf_printf(struct br_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return BR_ERR_INPUT;
    if ((size_t)n < sizeof(small))
        return br_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (big == NULL)
        return BR_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    enum br_status st = br_buf_append(b, big, (size_t)n);
    free(big);
    return st;
}

void br_buf_reset(struct br_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void br_buf_free(struct br_buf *b)
{
    free(b->data);
    br_buf_init(b, b->max);
}

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
}

uint64_t br_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xff51afd7ed558ccdULL);
    while (n >= 8) {
        uint64_t k;
        memcpy(&k, s, 8);
        h = (h ^ (k * 0xbf58476d1ce4e5b9ULL)) * 0x94d049bb133111ebULL;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    if (n) {
        uint64_t k = 0;
        memcpy(&k, s, n);
        h = (h ^ (k * 0xbf58476d1ce4e5b9ULL)) * 0x94d049bb133111ebULL;
    }
    return mix64(h);
}

void br_strtab_init(struct br_strtab *t, size_t max_ids)
{
    memset(t, 0, sizeof(*t));
    br_arena_init(&t->strings, 0);
    t->max_ids = max_ids;
}

bool br_strtab_find(const struct br_strtab *t, const char *s, size_t n, uint32_t *id)
{
    if (t->nslots == 0)
        return false;
    size_t mask = t->nslots - 1;
    for (size_t i = br_hash_bytes(s, n) & mask;; i = (i + 1) & mask) {
        const struct br_strtab_slot *v = &t->slots[i];
        if (v->id1 == 0)
            return false;
        if (v->len == n && memcmp(v->str, s, n) == 0) {
            *id = v->id1 - 1;
            return true;
        }
    }
}

static void slot_put(struct br_strtab_slot *slots, size_t nslots, const char *s, uint32_t len,
                     uint32_t id)
{
    size_t i = br_hash_bytes(s, len) & (nslots - 1);
    while (slots[i].id1 != 0)
        i = (i + 1) & (nslots - 1);
    slots[i] = (struct br_strtab_slot){s, len, id + 1};
}

static enum br_status strtab_rehash(struct br_strtab *t, size_t nslots)
{
    struct br_strtab_slot *slots = calloc(nslots, sizeof(*slots));
    if (slots == NULL)
        return BR_ERR_NOMEM;
    for (size_t id = 0; id < t->n; id++)
        slot_put(slots, nslots, t->str[id], t->len[id], (uint32_t)id);
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return BR_OK;
}

enum br_status br_strtab_intern(struct br_strtab *t, const char *s, size_t n, uint32_t *id)
{
    if (br_strtab_find(t, s, n, id))
        return BR_OK;
    if (n > UINT32_MAX || t->n >= t->max_ids || t->n >= UINT32_MAX - 1)
        return BR_ERR_NOMEM;
    if ((t->n + 1) * 4 > t->nslots * 3) {
        enum br_status st = strtab_rehash(t, t->nslots ? t->nslots * 2 : 64);
        if (st != BR_OK)
            return st;
    }
    size_t cap = t->cap;
    enum br_status st = br_grow((void **)&t->str, &cap, t->n + 1, sizeof(*t->str), t->max_ids);
    if (st == BR_OK) {
        cap = t->cap;
        st = br_grow((void **)&t->len, &cap, t->n + 1, sizeof(*t->len), t->max_ids);
    }
    if (st != BR_OK)
        return st;
    t->cap = cap;
    char *copy = br_arena_strndup(&t->strings, s, n);
    if (copy == NULL)
        return BR_ERR_NOMEM;
    t->str[t->n] = copy;
    t->len[t->n] = (uint32_t)n;
    slot_put(t->slots, t->nslots, copy, (uint32_t)n, (uint32_t)t->n);
    *id = (uint32_t)t->n++;
    return BR_OK;
}

const char *br_strtab_get(const struct br_strtab *t, uint32_t id, size_t *len)
{
    BR_ASSERT(id < t->n);
    if (len)
        *len = t->len[id];
    return t->str[id];
}

void br_strtab_free(struct br_strtab *t)
{
    free(t->slots);
    free(t->str);
    free(t->len);
    br_arena_free(&t->strings);
    memset(t, 0, sizeof(*t));
}

long br_peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

/* The first number after key in the file at path (key "" : the file's
 * first token), or false; "max" reads as no limit (false). */
static bool read_number(const char *path, const char *key, uint64_t *v)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[256];
    bool found = false;
    size_t klen = strlen(key);
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, klen) != 0)
            continue;
        char *end;
        errno = 0;
        unsigned long long x = strtoull(line + klen, &end, 10);
        found = end != line + klen && errno == 0;
        *v = (uint64_t)x;
    }
    fclose(f);
    return found;
}

/* This process's cgroup (v2) folder under /sys/fs/cgroup, or false. */
static bool cgroup_dir(char *dir, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (f == NULL)
        return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = '\0';
            found = snprintf(dir, size, "/sys/fs/cgroup%s", line + 3) < (int)size;
        }
    fclose(f);
    return found;
}

static void least(uint64_t v, const char *what, uint64_t *best, const char **best_what)
{
    if (*best_what == NULL || v < *best) {
        *best = v;
        *best_what = what;
    }
}

bool br_mem_available(uint64_t *bytes, const char **what)
{
    uint64_t best = 0, v;
    const char *best_what = NULL;
    if (read_number("/proc/meminfo", "MemAvailable:", &v))
        least(v * 1024, "the memory the kernel has available (MemAvailable)", &best, &best_what);
    char dir[600], path[700];
    uint64_t max, cur;
    if (cgroup_dir(dir, sizeof(dir))) {
        snprintf(path, sizeof(path), "%s/memory.max", dir);
        if (read_number(path, "", &max)) {
            snprintf(path, sizeof(path), "%s/memory.current", dir);
            if (!read_number(path, "", &cur) || cur > max)
                cur = 0;
            least(max - cur, "the cgroup's memory.max less its memory.current", &best, &best_what);
        }
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        least((uint64_t)rl.rlim_cur, "the address-space limit (ulimit -v)", &best, &best_what);
    if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        least((uint64_t)rl.rlim_cur, "the data-segment limit (ulimit -d)", &best, &best_what);
    *bytes = best;
    *what = best_what;
    return best_what != NULL;
}
