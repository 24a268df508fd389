/* Unit tests of core/mem and core/map: growth ceilings, the arena, byte
 * buffers, the string table (stable pointers, dense ids) and the pair map. */
#include "core/map.h"
#include "core/mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_grow_doubles(void **state)
{
    (void)state;
    int *p = NULL;
    size_t cap = 0;
    assert_int_equal(br_grow((void **)&p, &cap, 1, sizeof(*p), 1000), BR_OK);
    assert_non_null(p);
    assert_int_equal(cap, 16);
    p[15] = 7;
    assert_int_equal(br_grow((void **)&p, &cap, 16, sizeof(*p), 1000), BR_OK);
    assert_int_equal(cap, 16); /* already enough */
    assert_int_equal(br_grow((void **)&p, &cap, 17, sizeof(*p), 1000), BR_OK);
    assert_int_equal(cap, 32);
    assert_int_equal(p[15], 7);
    assert_int_equal(br_grow((void **)&p, &cap, 100, sizeof(*p), 1000), BR_OK);
    assert_int_equal(cap, 128);
    p[127] = 1;
    free(p);
}

static void test_grow_ceiling(void **state)
{
    (void)state;
    int *p = NULL;
    size_t cap = 0;
    assert_int_equal(br_grow((void **)&p, &cap, 17, sizeof(*p), 20), BR_OK);
    assert_int_equal(cap, 20); /* doubling stops at the ceiling */
    p[19] = 1;
    int *before = p;
    assert_int_equal(br_grow((void **)&p, &cap, 21, sizeof(*p), 20), BR_ERR_NOMEM);
    assert_ptr_equal(p, before);
    assert_int_equal(cap, 20);
    free(p);
    /* n * size overflows size_t: refused, nothing changed */
    char *q = NULL;
    size_t qcap = 0;
    assert_int_equal(br_grow((void **)&q, &qcap, 4, SIZE_MAX / 2, SIZE_MAX), BR_ERR_NOMEM);
    assert_null(q);
    assert_int_equal(qcap, 0);
    assert_int_equal(br_grow((void **)&q, &qcap, 1, 1, 0), BR_ERR_NOMEM);
    assert_null(q);
}

static void test_resize_and_alloc(void **state)
{
    (void)state;
    long *p = NULL;
    size_t cap = 0;
    assert_int_equal(br_resize((void **)&p, &cap, 10, sizeof(*p)), BR_OK);
    assert_int_equal(cap, 10);
    p[9] = 3;
    assert_int_equal(br_resize((void **)&p, &cap, 3, sizeof(*p)), BR_OK);
    assert_int_equal(cap, 3);
    assert_int_equal(br_resize((void **)&p, &cap, SIZE_MAX, 8), BR_ERR_NOMEM);
    assert_int_equal(cap, 3);
    free(p);
    assert_null(br_mallocn(SIZE_MAX / 2, 4));
    void *z = br_calloc(0, 0);
    assert_non_null(z);
    free(z);
}

static void test_arena_alignment(void **state)
{
    (void)state;
    struct br_arena a;
    br_arena_init(&a, 0);
    unsigned char *prev[200];
    size_t sizes[200];
    for (size_t i = 0; i < 200; i++) {
        sizes[i] = (i * 37) % 101 + 1;
        if (i % 50 == 49)
            sizes[i] = (size_t)3 << 20; /* bigger than a chunk */
        prev[i] = br_arena_alloc(&a, sizes[i]);
        assert_non_null(prev[i]);
        assert_int_equal((uintptr_t)prev[i] % 16, 0);
        memset(prev[i], (int)(i & 0xFF), sizes[i]);
    }
    for (size_t i = 0; i < 200; i++) /* no two allocations overlap */
        for (size_t k = 0; k < sizes[i]; k += 97)
            assert_int_equal(prev[i][k], i & 0xFF);
    char *s = br_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    assert_int_equal((uintptr_t)s % 16, 0);
    br_arena_free(&a);
    assert_null(a.head);
    assert_int_equal(a.used_bytes, 0);
}

static void test_arena_ceiling(void **state)
{
    (void)state;
    struct br_arena a;
    br_arena_init(&a, 64);
    assert_non_null(br_arena_alloc(&a, 30));
    assert_non_null(br_arena_alloc(&a, 32));
    assert_int_equal(a.used_bytes, 64);
    assert_null(br_arena_alloc(&a, 1));
    assert_null(br_arena_strndup(&a, "x", 1));
    assert_int_equal(a.used_bytes, 64);
    br_arena_free(&a);
    br_arena_init(&a, 64);
    assert_null(br_arena_alloc(&a, 65));
    assert_null(br_arena_alloc(&a, SIZE_MAX - 100));
    assert_non_null(br_arena_alloc(&a, 64));
    br_arena_free(&a);
}

/* A size near SIZE_MAX must not wrap to a tiny allocation when rounded up. */
static void test_arena_size_overflow(void **state)
{
    (void)state;
    struct br_arena a;
    br_arena_init(&a, 0);
    assert_null(br_arena_alloc(&a, SIZE_MAX));
    assert_null(br_arena_alloc(&a, SIZE_MAX - 5));
    assert_null(br_arena_alloc(&a, SIZE_MAX - 15)); /* chunk header + size would wrap */
    assert_null(br_arena_alloc(&a, SIZE_MAX - 40));
    br_arena_free(&a);
    br_arena_init(&a, 64);
    assert_null(br_arena_alloc(&a, SIZE_MAX));
    br_arena_free(&a);
}

static void test_buf_ceiling(void **state)
{
    (void)state;
    struct br_buf b;
    br_buf_init(&b, 10);
    assert_int_equal(br_buf_append(&b, "0123456789", 10), BR_OK);
    assert_int_equal(b.len, 10);
    assert_int_equal(br_buf_append(&b, "x", 1), BR_ERR_NOMEM);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(br_buf_append(&b, "", 0), BR_OK);
    br_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(br_buf_printf(&b, "%d-%s", 42, "ab"), BR_OK);
    assert_string_equal(b.data, "42-ab");
    assert_int_equal(br_buf_printf(&b, "%s", "123456"), BR_ERR_NOMEM);
    assert_string_equal(b.data, "42-ab");
    assert_int_equal(br_buf_append(&b, NULL, SIZE_MAX), BR_ERR_NOMEM);
    br_buf_free(&b);
    assert_null(b.data);
}

static void test_buf_big_printf(void **state)
{
    (void)state;
    struct br_buf b;
    br_buf_init(&b, 1 << 20);
    char big[3000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(br_buf_printf(&b, "<%s>", big), BR_OK);
    assert_int_equal(b.len, sizeof(big) + 1);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[b.len - 1], '>');
    assert_int_equal(b.data[b.len], '\0');
    br_buf_free(&b);
    br_buf_init(&b, 100);
    assert_int_equal(br_buf_printf(&b, "%s", big), BR_ERR_NOMEM);
    assert_int_equal(b.len, 0);
    br_buf_free(&b);
}

static void test_strtab_intern_find(void **state)
{
    (void)state;
    struct br_strtab t;
    br_strtab_init(&t, 1000);
    uint32_t id = 99;
    assert_false(br_strtab_find(&t, "abc", 3, &id));
    assert_int_equal(br_strtab_intern(&t, "abc", 3, &id), BR_OK);
    assert_int_equal(id, 0);
    assert_int_equal(br_strtab_intern(&t, "def", 3, &id), BR_OK);
    assert_int_equal(id, 1);
    assert_int_equal(br_strtab_intern(&t, "abc", 3, &id), BR_OK);
    assert_int_equal(id, 0);
    assert_int_equal(br_strtab_intern(&t, "ab\0c", 4, &id), BR_OK); /* bytes, not C strings */
    assert_int_equal(id, 2);
    assert_int_equal(br_strtab_intern(&t, "", 0, &id), BR_OK);
    assert_int_equal(id, 3);
    assert_int_equal(t.n, 4);
    assert_true(br_strtab_find(&t, "def", 3, &id));
    assert_int_equal(id, 1);
    assert_true(br_strtab_find(&t, "", 0, &id));
    assert_int_equal(id, 3);
    assert_false(br_strtab_find(&t, "ab", 2, &id));
    assert_false(br_strtab_find(&t, "abcd", 4, &id));
    size_t len;
    const char *s = br_strtab_get(&t, 2, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(s, "ab\0c", 5); /* NUL-terminated too */
    br_strtab_free(&t);
}

static void test_strtab_many(void **state)
{
    (void)state;
    struct br_strtab t;
    br_strtab_init(&t, (size_t)1 << 20);
    uint32_t id;
    assert_int_equal(br_strtab_intern(&t, "first-string", 12, &id), BR_OK);
    const char *first = br_strtab_get(&t, id, NULL);
    char key[32];
    for (uint32_t i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof(key), "key-%u", i);
        assert_int_equal(br_strtab_intern(&t, key, (size_t)n, &id), BR_OK);
        assert_int_equal(id, i + 1); /* dense, in order of first sight */
    }
    assert_int_equal(t.n, 100001);
    assert_string_equal(first, "first-string"); /* never moved */
    assert_ptr_equal(br_strtab_get(&t, 0, NULL), first);
    for (uint32_t i = 0; i < 100000; i += 7) {
        int n = snprintf(key, sizeof(key), "key-%u", i);
        assert_true(br_strtab_find(&t, key, (size_t)n, &id));
        assert_int_equal(id, i + 1);
        size_t len;
        assert_string_equal(br_strtab_get(&t, id, &len), key);
        assert_int_equal(len, (size_t)n);
    }
    assert_false(br_strtab_find(&t, "key-100000", 10, &id));
    br_strtab_free(&t);
}

static void test_strtab_ceiling(void **state)
{
    (void)state;
    struct br_strtab t;
    br_strtab_init(&t, 3);
    uint32_t id;
    assert_int_equal(br_strtab_intern(&t, "a", 1, &id), BR_OK);
    assert_int_equal(br_strtab_intern(&t, "b", 1, &id), BR_OK);
    assert_int_equal(br_strtab_intern(&t, "c", 1, &id), BR_OK);
    assert_int_equal(br_strtab_intern(&t, "d", 1, &id), BR_ERR_NOMEM);
    assert_int_equal(t.n, 3);
    assert_false(br_strtab_find(&t, "d", 1, &id));
    assert_int_equal(br_strtab_intern(&t, "b", 1, &id), BR_OK); /* known ids still found */
    assert_int_equal(id, 1);
    br_strtab_free(&t);
}

static void test_map_put_get(void **state)
{
    (void)state;
    struct br_map m;
    br_map_init(&m);
    assert_null(br_map_get(&m, 1, 2));
    struct br_map_entry *e = br_map_put(&m, 1, 2);
    assert_non_null(e);
    assert_int_equal(e->value, 0);
    assert_false(e->dirty);
    e->value = -5;
    assert_ptr_equal(br_map_put(&m, 1, 2), e);
    assert_int_equal(m.n, 1);
    assert_null(br_map_get(&m, 2, 1)); /* (a, b) is ordered */
    assert_int_equal(br_map_get(&m, 1, 2)->value, -5);
    e = br_map_put(&m, UINT64_MAX, 0);
    assert_non_null(e);
    e->value = INT64_MIN;
    assert_int_equal(br_map_get(&m, UINT64_MAX, 0)->value, INT64_MIN);
    assert_int_equal(m.n, 2);
    br_map_free(&m);
    assert_int_equal(m.n, 0);
    assert_null(br_map_get(&m, 1, 2));
}

static void test_map_growth_dirty(void **state)
{
    (void)state;
    struct br_map m;
    br_map_init(&m);
    for (uint64_t i = 0; i < 20000; i++) {
        struct br_map_entry *e = br_map_put(&m, i % 100, i / 100);
        assert_non_null(e);
        e->value = (int64_t)i * 3;
        e->dirty = i % 3 == 0;
    }
    assert_int_equal(m.n, 20000);
    assert_true(m.cap >= 20000 * 4 / 3);
    assert_int_equal(m.cap & (m.cap - 1), 0);
    size_t dirty = 0;
    for (uint64_t i = 0; i < 20000; i++) {
        struct br_map_entry *e = br_map_get(&m, i % 100, i / 100);
        assert_non_null(e);
        assert_int_equal(e->value, (int64_t)i * 3);
        assert_int_equal(e->dirty, i % 3 == 0);
        dirty += e->dirty;
    }
    assert_int_equal(dirty, 6667);
    assert_null(br_map_get(&m, 100, 0));
    assert_null(br_map_get(&m, 0, 200));
    br_map_free(&m);
}

/* Merging maps in slot order, as the rating pass merges its threads' maps
 * into the state: each source is as dense as a map gets before growing, so
 * without reserving room first the second one, swept in slot order into a
 * table of its own size, piles into one probe run that every insert walks
 * (quadratic: 5 s for 662k capacity-plan buckets). The cost is counted in
 * slots looked at, not timed. */
static void test_map_reserve_merge(void **state)
{
    (void)state;
    struct br_map src[2], dst;
    br_map_init(&dst);
    const uint64_t n = 662000;
    for (int k = 0; k < 2; k++) {
        br_map_init(&src[k]);
        for (uint64_t i = k * n / 2; i < (k + 1) * n / 2; i++)
            br_map_put(&src[k], i / 48, 494000 + i % 48)->value = (int64_t)i;
    }
    assert_int_equal(src[1].cap, 524288);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(br_map_reserve(&dst, dst.n + src[k].n), BR_OK);
        size_t cap = dst.cap;
        for (size_t i = 0; i < src[k].cap; i++)
            if (src[k].e[i].used)
                br_map_put(&dst, src[k].e[i].a, src[k].e[i].b)->value = src[k].e[i].value;
        assert_int_equal(dst.cap, cap); /* reserved: no growth on the way */
    }
    assert_int_equal(dst.n, n);
    for (uint64_t i = 0; i < n; i += 997)
        assert_int_equal(br_map_get(&dst, i / 48, 494000 + i % 48)->value, (int64_t)i);
    assert_true(dst.put_probes < 4 * n);
    assert_int_equal(br_map_reserve(&dst, 10), BR_OK); /* never shrinks */
    assert_int_equal(dst.cap, 1048576);
    for (int k = 0; k < 2; k++)
        br_map_free(&src[k]);
    br_map_free(&dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow_doubles),       cmocka_unit_test(test_grow_ceiling),
        cmocka_unit_test(test_resize_and_alloc),   cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_ceiling),      cmocka_unit_test(test_arena_size_overflow),
        cmocka_unit_test(test_buf_ceiling),        cmocka_unit_test(test_buf_big_printf),
        cmocka_unit_test(test_strtab_intern_find), cmocka_unit_test(test_strtab_many),
        cmocka_unit_test(test_strtab_ceiling),     cmocka_unit_test(test_map_put_get),
        cmocka_unit_test(test_map_growth_dirty),   cmocka_unit_test(test_map_reserve_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
