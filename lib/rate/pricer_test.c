/* The price book: admission of price files (overlaps, identical rows,
 * repricing) and resolution (priorities, open-row ends, time-of-day windows),
 * the resolver checked against a direct reading of rules.md section 3. */
#include "rate/rate_testutil.h"

/* A price row; to == NULL is open, tod_from == NULL no window, free < 0 none. */
static struct br_price px(struct br_book *b, enum br_item item, const char *spec, const char *price,
                          const char *from, const char *to, const char *tod_from,
                          const char *tod_to, int64_t free_units)
{
    struct br_price p;
    memset(&p, 0, sizeof(p));
    p.item = item;
    p.spec = BR_SPEC_ANY;
    if (strcmp(spec, "*") != 0)
        assert_int_equal(br_strtab_intern(&b->specs, spec, strlen(spec), &p.spec), BR_OK);
    assert_int_equal(br_dec_parse(price, strlen(price), 10, &p.price_e10), BR_NUM_OK);
    p.from = rt_t(from);
    p.to = to != NULL ? rt_t(to) : BR_T_OPEN;
    p.tod_from = p.tod_to = -1;
    if (tod_from != NULL) {
        assert_true(br_tod_parse(tod_from, strlen(tod_from), false, &p.tod_from));
        assert_true(br_tod_parse(tod_to, strlen(tod_to), true, &p.tod_to));
    }
    p.free_units = free_units;
    p.line = 2;
    return p;
}

#define JAN1 "2026-01-01T00:00:00+08:00"

/* Admits rows as one price file; a refusal must leave the book unchanged. */
static enum br_reason admit_with(struct br_book *b, const struct br_price *rows, size_t n,
                                 br_rated_fn rated, void *ctx)
{
    enum br_reason why = BR_R_COUNT;
    char detail[200] = "";
    size_t before = b->nprices;
    enum br_status st =
        br_admit_prices(b, rows, n, rt_cal(), rated, ctx, &why, detail, sizeof(detail));
    assert_int_equal(st, BR_OK);
    if (why != BR_R_NONE) {
        RT_EQ(b->nprices, before);
        assert_true(detail[0] != '\0');
    }
    return why;
}

static enum br_reason admit(struct br_book *b, const struct br_price *rows, size_t n)
{
    return admit_with(b, rows, n, NULL, NULL);
}

/* Admission tests own a book through the test state (freed even when a
 * check fails). */
static int book_setup(void **state)
{
    struct br_book *b = malloc(sizeof(*b));
    if (b == NULL)
        return -1;
    br_book_init(b);
    *state = b;
    return 0;
}

static int book_teardown(void **state)
{
    br_book_free(*state);
    free(*state);
    return 0;
}

/* --- admission -------------------------------------------------------------- */

static void test_admit_dated_overlap(void **state)
{
    struct br_book *b = *state;
    /* two dated rows of one (item, spec) in one file, both at Nov 11 07:00-08:00 */
    struct br_price promo = px(b, BR_ITEM_EGRESS, "*", "0.20", "2026-11-10T00:00:00+08:00",
                               "2026-11-12T00:00:00+08:00", "00:00", "08:00", -1);
    struct br_price late = px(b, BR_ITEM_EGRESS, "*", "0.30", "2026-11-11T00:00:00+08:00",
                              "2026-11-12T00:00:00+08:00", "07:00", "09:00", -1);
    struct br_price both[2] = {promo, late};
    RT_EQ(admit(b, both, 2), BR_R_PRICE_OVERLAP);
    RT_EQ(b->nprices, 0);
    /* across files alike */
    RT_EQ(admit(b, &promo, 1), BR_R_NONE);
    RT_EQ(admit(b, &late, 1), BR_R_PRICE_OVERLAP);
    RT_EQ(b->nprices, 1);
    /* a window that only touches at 08:00 shares no instant */
    struct br_price touch = px(b, BR_ITEM_EGRESS, "*", "0.15", "2026-11-11T00:00:00+08:00",
                               "2026-11-12T00:00:00+08:00", "08:00", "10:00", -1);
    RT_EQ(admit(b, &touch, 1), BR_R_NONE);
    /* dates that only touch: [Nov 12, Nov 13) after [Nov 10, Nov 12) */
    struct br_price next = px(b, BR_ITEM_EGRESS, "*", "0.10", "2026-11-12T00:00:00+08:00",
                              "2026-11-13T00:00:00+08:00", NULL, NULL, -1);
    RT_EQ(admit(b, &next, 1), BR_R_NONE);
    /* another spec, or another item, never overlaps */
    struct br_price other = px(b, BR_ITEM_EGRESS, "x", "0.30", "2026-11-11T00:00:00+08:00",
                               "2026-11-12T00:00:00+08:00", NULL, NULL, -1);
    struct br_price item = px(b, BR_ITEM_PUT, "*", "0.30", "2026-11-11T00:00:00+08:00",
                              "2026-11-12T00:00:00+08:00", NULL, NULL, -1);
    RT_EQ(admit(b, &other, 1), BR_R_NONE);
    RT_EQ(admit(b, &item, 1), BR_R_NONE);
    RT_EQ(b->nprices, 5);
}

/* Dated rows whose dates meet for less than a day: the windows are read on
 * the local times of that short span only. */
static void test_admit_dated_short_overlap(void **state)
{
    struct br_book *b = *state;
    /* A covers Nov 20 23:00 - Nov 21 01:00 local, all day */
    struct br_price a = px(b, BR_ITEM_COMPUTE_SHARED, "*", "0.5", "2026-11-20T23:00:00+08:00",
                           "2026-11-21T01:00:00+08:00", NULL, NULL, -1);
    /* C over the month at 02:00-03:00: never inside A's two hours */
    struct br_price c = px(b, BR_ITEM_COMPUTE_SHARED, "*", "0.6", "2026-11-01T00:00:00+08:00",
                           "2026-12-01T00:00:00+08:00", "02:00", "03:00", -1);
    /* B over the month at 00:30-00:45: Nov 21 00:30 is inside A */
    struct br_price bb = px(b, BR_ITEM_COMPUTE_SHARED, "*", "0.7", "2026-11-01T00:00:00+08:00",
                            "2026-12-01T00:00:00+08:00", "00:30", "00:45", -1);
    RT_EQ(admit(b, &a, 1), BR_R_NONE);
    RT_EQ(admit(b, &c, 1), BR_R_NONE);
    RT_EQ(admit(b, &bb, 1), BR_R_PRICE_OVERLAP);
    /* wrapping windows on a short common span: D 22:00-06:00 over Nov 20 23:00 -
     * Nov 21 01:00, E 05:00-07:00 from Nov 21 00:30: they meet at [00:30, 01:00)
     * where E's window is closed */
    struct br_price d = px(b, BR_ITEM_GET, "*", "0.5", "2026-11-20T23:00:00+08:00",
                           "2026-11-21T01:00:00+08:00", "22:00", "06:00", -1);
    struct br_price e = px(b, BR_ITEM_GET, "*", "0.6", "2026-11-21T00:30:00+08:00",
                           "2026-11-22T00:00:00+08:00", "05:00", "07:00", -1);
    struct br_price f = px(b, BR_ITEM_GET, "*", "0.7", "2026-11-21T00:30:00+08:00",
                           "2026-11-22T00:00:00+08:00", "00:59", "01:30", -1);
    RT_EQ(admit(b, &d, 1), BR_R_NONE);
    RT_EQ(admit(b, &e, 1), BR_R_NONE);
    RT_EQ(admit(b, &f, 1), BR_R_PRICE_OVERLAP); /* 00:59 on Nov 21 is in D */
}

static void test_admit_open_rows(void **state)
{
    struct br_book *b = *state;
    /* one effective_from, intersecting windows */
    struct br_price all = px(b, BR_ITEM_PUT, "*", "0.01", JAN1, NULL, NULL, NULL, -1);
    struct br_price day = px(b, BR_ITEM_PUT, "*", "0.02", JAN1, NULL, "08:00", "20:00", -1);
    RT_EQ(admit(b, &all, 1), BR_R_NONE);
    RT_EQ(admit(b, &day, 1), BR_R_PRICE_OVERLAP);
    /* wrapping 22:00-06:00 against 05:00-07:00: both at 05:00-06:00 */
    struct br_price night = px(b, BR_ITEM_EGRESS, "*", "0.1", JAN1, NULL, "22:00", "06:00", -1);
    struct br_price dawn = px(b, BR_ITEM_EGRESS, "*", "0.2", JAN1, NULL, "05:00", "07:00", -1);
    struct br_price pair[2] = {night, dawn};
    RT_EQ(admit(b, pair, 2), BR_R_PRICE_OVERLAP);
    /* 22:00-06:00 and 06:00-22:00 only touch */
    struct br_price rest = px(b, BR_ITEM_EGRESS, "*", "0.4", JAN1, NULL, "06:00", "22:00", -1);
    struct br_price ok2[2] = {night, rest};
    RT_EQ(admit(b, ok2, 2), BR_R_NONE);
    /* 00:00-08:00 and 08:00-24:00 */
    struct br_price early = px(b, BR_ITEM_GET, "*", "0.25", JAN1, NULL, "00:00", "08:00", -1);
    struct br_price late = px(b, BR_ITEM_GET, "*", "0.5", JAN1, NULL, "08:00", "24:00", -1);
    RT_EQ(admit(b, &early, 1), BR_R_NONE);
    RT_EQ(admit(b, &late, 1), BR_R_NONE);
    /* 22:00-00:00 ([22:00, 24:00)) against 23:00-23:30, and against 00:00-22:00 */
    struct br_price eve =
        px(b, BR_ITEM_COMPUTE_SHARED, "T4", "0.01", JAN1, NULL, "22:00", "00:00", -1);
    struct br_price in =
        px(b, BR_ITEM_COMPUTE_SHARED, "T4", "0.02", JAN1, NULL, "23:00", "23:30", -1);
    struct br_price out =
        px(b, BR_ITEM_COMPUTE_SHARED, "T4", "0.03", JAN1, NULL, "00:00", "22:00", -1);
    RT_EQ(admit(b, &eve, 1), BR_R_NONE);
    RT_EQ(admit(b, &in, 1), BR_R_PRICE_OVERLAP);
    RT_EQ(admit(b, &out, 1), BR_R_NONE);
    /* open rows with different effective_from never overlap: the later ends the
     * earlier */
    struct br_price change =
        px(b, BR_ITEM_PUT, "*", "0.03", "2026-11-15T00:00:00+08:00", NULL, NULL, NULL, -1);
    RT_EQ(admit(b, &change, 1), BR_R_NONE);
    /* a row differing from a loaded one only in free_per_month is not identical */
    struct br_price freed = px(b, BR_ITEM_PUT, "*", "0.01", JAN1, NULL, NULL, NULL, 1000);
    RT_EQ(admit(b, &freed, 1), BR_R_PRICE_OVERLAP);
    RT_EQ(b->nprices, 1 + 2 + 2 + 2 + 1);
}

/* Two open rows with one effective_from are refused only when they "can both
 * apply to one instant" (rules.md 3). Here a later open row from 06:00 ends
 * both at 06:00 on their first day, before B's 12:00-13:00 window ever opens:
 * they share no instant, so the file should be applied. (The library tests a
 * whole day of windows from effective_from, ignoring the open rows' end.) */
static void test_admit_open_rows_ended_before_window(void **state)
{
    struct br_book *b = *state;
    struct br_price c =
        px(b, BR_ITEM_PUT, "*", "0.03", "2026-11-01T06:00:00+08:00", NULL, NULL, NULL, -1);
    RT_EQ(admit(b, &c, 1), BR_R_NONE);
    struct br_price ab[2] = {
        px(b, BR_ITEM_PUT, "*", "0.01", "2026-11-01T00:00:00+08:00", NULL, NULL, NULL, -1),
        px(b, BR_ITEM_PUT, "*", "0.02", "2026-11-01T00:00:00+08:00", NULL, "12:00", "13:00", -1),
    };
    RT_EQ(admit(b, ab, 2), BR_R_NONE);
    RT_EQ(b->nprices, 3);
}

static void test_admit_identical_ignored(void **state)
{
    struct br_book *b = *state;
    struct br_price r1 = px(b, BR_ITEM_COMPUTE_SHARED, "*", "0.01", JAN1, NULL, NULL, NULL, -1);
    struct br_price promo = px(b, BR_ITEM_COMPUTE_SHARED, "*", "0.005", "2026-11-20T00:00:00+08:00",
                               "2026-11-21T00:00:00+08:00", NULL, NULL, -1);
    RT_EQ(admit(b, &r1, 1), BR_R_NONE);
    RT_EQ(b->nprices, 1);
    /* again, alone and with a new row: ignored, the new row loaded */
    RT_EQ(admit(b, &r1, 1), BR_R_NONE);
    RT_EQ(b->nprices, 1);
    struct br_price again[2] = {r1, promo};
    RT_EQ(admit(b, again, 2), BR_R_NONE);
    RT_EQ(b->nprices, 2);
    /* twice in one file: once */
    struct br_price get = px(b, BR_ITEM_GET, "*", "0.01", JAN1, NULL, NULL, NULL, 20000000);
    struct br_price twice[2] = {get, get};
    RT_EQ(admit(b, twice, 2), BR_R_NONE);
    RT_EQ(b->nprices, 3);
    /* an identical row does not save a file that overlaps elsewhere */
    struct br_price clash = px(b, BR_ITEM_GET, "*", "0.02", JAN1, NULL, "01:00", "02:00", -1);
    struct br_price mixed[2] = {get, clash};
    RT_EQ(admit(b, mixed, 2), BR_R_PRICE_OVERLAP);
    RT_EQ(b->nprices, 3);
}

static void test_admit_dated_over_open(void **state)
{
    struct br_book *b = *state;
    struct br_price rows[5] = {
        px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "*", "3.6", JAN1, NULL, NULL, NULL, -1),
        px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "*", "1", "2026-11-01T00:00:00+08:00",
           "2026-12-01T00:00:00+08:00", NULL, NULL, -1),
        px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", "10", JAN1, NULL, NULL, NULL, -1),
        px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", "4", "2026-11-10T12:00:00+08:00",
           "2026-11-10T14:00:00+08:00", NULL, NULL, -1),
        /* a dated row over a window of an open row */
        px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-y", "4", "2026-11-10T12:00:00+08:00",
           "2026-11-20T14:00:00+08:00", "01:00", "03:00", -1),
    };
    RT_EQ(admit(b, rows, 5), BR_R_NONE);
    RT_EQ(b->nprices, 5);
}

/* A fake history of rated pieces: (item, rate key spec, [from, to)). */
struct rated_span {
    enum br_item item;
    const char *spec; /* a spec, or "*" for pieces priced under the "*" key */
    int64_t from, to;
};

struct rated_ctx {
    const struct rated_span *spans;
    size_t n;
    size_t calls;
    enum br_item last_item;
    char last_spec[32]; /* "(any)" for NULL */
    int64_t last_from, last_to;
};

static bool fake_rated(void *ctx, enum br_item item, const char *spec, int64_t from, int64_t to)
{
    struct rated_ctx *c = ctx;
    c->calls++;
    c->last_item = item;
    snprintf(c->last_spec, sizeof(c->last_spec), "%s", spec != NULL ? spec : "(any)");
    c->last_from = from;
    c->last_to = to;
    for (size_t i = 0; i < c->n; i++) {
        const struct rated_span *s = &c->spans[i];
        if (s->item == item && (spec == NULL || strcmp(spec, s->spec) == 0) && s->from < to &&
            from < s->to)
            return true;
    }
    return false;
}

static void test_admit_repricing(void **state)
{
    struct br_book *b = *state;
    const struct rated_span spans[2] = {
        {BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", rt_t("2026-11-01T00:00:00Z"),
         rt_t("2026-11-10T00:00:00Z")},
        {BR_ITEM_COMPUTE_EXCLUSIVE, "*", rt_t("2026-11-05T00:00:00Z"),
         rt_t("2026-11-06T00:00:00Z")},
    };
    struct rated_ctx ctx = {spans, 2, 0, BR_ITEM_COUNT, "", 0, 0};
    struct br_price base =
        px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", "10", JAN1, NULL, NULL, NULL, -1);
    RT_EQ(admit(b, &base, 1), BR_R_NONE); /* no callback: no check */

    /* a lasting change after the rated history: accepted; checked to the open end */
    struct br_price later = px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", "20", "2026-11-15T00:00:00Z",
                               NULL, NULL, NULL, -1);
    RT_EQ(admit_with(b, &later, 1, fake_rated, &ctx), BR_R_NONE);
    RT_EQ(ctx.last_from, rt_t("2026-11-15T00:00:00Z"));
    RT_EQ(ctx.last_to, BR_T_OPEN);
    RT_EQ(b->nprices, 2);

    /* a promotion inside rated hours of gpu-x: refused */
    struct br_price promo = px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", "4", "2026-11-03T00:00:00Z",
                               "2026-11-04T00:00:00Z", NULL, NULL, -1);
    RT_EQ(admit_with(b, &promo, 1, fake_rated, &ctx), BR_R_REPRICES_HISTORY);
    assert_string_equal(ctx.last_spec, "gpu-x");
    /* a new open row for gpu-x from Oct 1 runs until the Nov 15 row: refused */
    struct br_price oct = px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", "9", "2026-10-01T00:00:00Z",
                             NULL, NULL, NULL, -1);
    RT_EQ(admit_with(b, &oct, 1, fake_rated, &ctx), BR_R_REPRICES_HISTORY);
    /* from Nov 12, it ends at Nov 15 and no piece was rated then: accepted */
    struct br_price mid = px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", "12", "2026-11-12T00:00:00Z",
                             NULL, NULL, NULL, -1);
    RT_EQ(admit_with(b, &mid, 1, fake_rated, &ctx), BR_R_NONE);
    RT_EQ(ctx.last_from, rt_t("2026-11-12T00:00:00Z"));
    RT_EQ(ctx.last_to, rt_t("2026-11-15T00:00:00Z"));
    RT_EQ(b->nprices, 3);
    /* a "*" row changes pieces of any spec: gpu-x's rated hours */
    struct br_price star = px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "*", "3.6", "2026-11-09T00:00:00Z",
                              "2026-11-09T06:00:00Z", NULL, NULL, -1);
    RT_EQ(admit_with(b, &star, 1, fake_rated, &ctx), BR_R_REPRICES_HISTORY);
    assert_string_equal(ctx.last_spec, "(any)");
    /* a new exact spec would take pieces priced under "*" */
    struct br_price gy = px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-y", "5", "2026-11-05T00:00:00Z",
                            "2026-11-05T06:00:00Z", NULL, NULL, -1);
    RT_EQ(admit_with(b, &gy, 1, fake_rated, &ctx), BR_R_REPRICES_HISTORY);
    /* ... but not outside the rated hours */
    struct br_price gy2 = px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-y", "5", "2026-11-07T00:00:00Z",
                             "2026-11-08T00:00:00Z", NULL, NULL, -1);
    RT_EQ(admit_with(b, &gy2, 1, fake_rated, &ctx), BR_R_NONE);
    /* an identical row is ignored, not checked */
    size_t calls = ctx.calls;
    RT_EQ(admit_with(b, &base, 1, fake_rated, &ctx), BR_R_NONE);
    RT_EQ(ctx.calls, calls);
    /* the whole file goes: a good row with a repricing one */
    struct br_price good = px(b, BR_ITEM_EGRESS, "*", "0.5", JAN1, NULL, NULL, NULL, -1);
    struct br_price two[2] = {good, promo};
    RT_EQ(admit_with(b, two, 2, fake_rated, &ctx), BR_R_REPRICES_HISTORY);
    RT_EQ(b->nprices, 4);
}

/* --- resolution ------------------------------------------------------------- */

static uint32_t naive_find(const struct br_book *b, struct br_rate_key key, int64_t t)
{
    return rt_naive_price(b, key.item, key.spec, t);
}

struct fixture {
    struct br_book book;
    struct br_rate_key keys[8];
    size_t nkeys;
    struct br_pricer pricer;
};

static uint16_t key_of(struct fixture *f, enum br_item item, const char *spec)
{
    uint32_t s = BR_SPEC_ANY;
    if (strcmp(spec, "*") != 0)
        assert_true(br_strtab_find(&f->book.specs, spec, strlen(spec), &s));
    for (size_t k = 0; k < f->nkeys; k++)
        if (f->keys[k].item == item && f->keys[k].spec == s)
            return (uint16_t)k;
    fail();
    return 0;
}

/* The price (e10) for a key at t, or -1 for none; checks the naive reading,
 * and a search without and with a stale hint. */
static int64_t price_at(struct fixture *f, enum br_item item, const char *spec, const char *t)
{
    uint16_t k = key_of(f, item, spec);
    int64_t at = rt_t(t);
    uint32_t hint = UINT32_MAX;
    uint32_t row = br_pricer_find(&f->pricer, k, at, &hint);
    RT_EQ(row, naive_find(&f->book, f->keys[k], at));
    uint32_t stale = 0;
    RT_EQ(br_pricer_find(&f->pricer, k, at, &stale), row);
    stale = f->pricer.key_n[k] - 1;
    RT_EQ(br_pricer_find(&f->pricer, k, at, &stale), row);
    return row == BR_NO_ID ? -1 : f->book.prices[row].price_e10;
}

static void fixture_build(struct fixture *f)
{
    struct br_book *b = &f->book;
    br_book_init(b);
    const struct br_price rows[] = {
        /* priorities */
        px(b, BR_ITEM_COMPUTE_SHARED, "*", "0.01", JAN1, NULL, NULL, NULL, -1),
        px(b, BR_ITEM_COMPUTE_SHARED, "*", "0.005", "2026-11-20T00:00:00+08:00",
           "2026-11-21T00:00:00+08:00", NULL, NULL, -1),
        px(b, BR_ITEM_COMPUTE_SHARED, "*", "0.004", "2026-03-01T00:00:00+08:00",
           "2026-03-02T00:00:00+08:00", NULL, NULL, -1),
        px(b, BR_ITEM_COMPUTE_SHARED, "A10", "0.02", "2026-06-01T00:00:00+08:00", NULL, NULL, NULL,
           -1),
        px(b, BR_ITEM_COMPUTE_SHARED, "A10", "0.03", "2026-11-20T12:00:00+08:00",
           "2026-11-20T14:00:00+08:00", NULL, NULL, -1),
        /* an open row ended by a later open row whatever its window */
        px(b, BR_ITEM_PUT, "*", "0.01", JAN1, NULL, NULL, NULL, 1000),
        px(b, BR_ITEM_PUT, "*", "0.02", "2026-11-15T00:00:00+08:00", NULL, "08:00", "20:00", -1),
        /* a dated row ends; the open row applies again */
        px(b, BR_ITEM_GET, "*", "0.1", JAN1, NULL, NULL, NULL, -1),
        px(b, BR_ITEM_GET, "*", "0.05", "2026-11-10T00:00:00+08:00", "2026-11-11T00:00:00+08:00",
           NULL, NULL, -1),
        /* windows ending at 24:00 */
        px(b, BR_ITEM_EGRESS, "*", "0.25", JAN1, NULL, "00:00", "08:00", -1),
        px(b, BR_ITEM_EGRESS, "*", "0.5", JAN1, NULL, "08:00", "24:00", -1),
        /* wrapping windows */
        px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", "1", JAN1, NULL, "22:00", "06:00", -1),
        px(b, BR_ITEM_COMPUTE_EXCLUSIVE, "gpu-x", "2", JAN1, NULL, "06:00", "22:00", -1),
        px(b, BR_ITEM_STORAGE, "*", "0.72", JAN1, NULL, "22:00", "00:00", -1),
    };
    const size_t n = sizeof(rows) / sizeof(rows[0]);
    enum br_reason why = BR_R_COUNT;
    char detail[200];
    assert_int_equal(
        br_admit_prices(b, rows, n, rt_cal(), NULL, NULL, &why, detail, sizeof(detail)), BR_OK);
    RT_EQ(why, BR_R_NONE);
    RT_EQ(b->nprices, n);
    uint32_t a10, gx;
    assert_true(br_strtab_find(&b->specs, "A10", 3, &a10));
    assert_true(br_strtab_find(&b->specs, "gpu-x", 5, &gx));
    const struct br_rate_key keys[] = {
        {BR_ITEM_COMPUTE_SHARED, a10},  {BR_ITEM_COMPUTE_SHARED, BR_SPEC_ANY},
        {BR_ITEM_PUT, BR_SPEC_ANY},     {BR_ITEM_GET, BR_SPEC_ANY},
        {BR_ITEM_EGRESS, BR_SPEC_ANY},  {BR_ITEM_COMPUTE_EXCLUSIVE, gx},
        {BR_ITEM_STORAGE, BR_SPEC_ANY}, {BR_ITEM_COMPUTE_EXCLUSIVE, BR_SPEC_ANY},
    };
    f->nkeys = sizeof(keys) / sizeof(keys[0]);
    memcpy(f->keys, keys, sizeof(keys));
    assert_int_equal(br_pricer_build(&f->pricer, b, rt_cal(), f->keys, f->nkeys), BR_OK);
}

static void fixture_free(struct fixture *f)
{
    br_pricer_free(&f->pricer);
    br_book_free(&f->book);
}

static void test_find_priorities(void **unused)
{
    (void)unused;
    struct fixture f;
    fixture_build(&f);
    const enum br_item cs = BR_ITEM_COMPUTE_SHARED;
    const int64_t c = BR_E10 / 100; /* 0.01 */
    /* exact dated > exact open > "*" dated > "*" open */
    RT_EQ(price_at(&f, cs, "A10", "2026-11-20T13:00:00+08:00"), 3 * c);
    RT_EQ(price_at(&f, cs, "A10", "2026-11-20T12:00:00+08:00"), 3 * c);
    RT_EQ(price_at(&f, cs, "A10", "2026-11-20T14:00:00+08:00"), 2 * c); /* effective_to out */
    RT_EQ(price_at(&f, cs, "A10", "2026-11-20T10:00:00+08:00"), 2 * c);
    RT_EQ(price_at(&f, cs, "*", "2026-11-20T10:00:00+08:00"), c / 2);
    RT_EQ(price_at(&f, cs, "*", "2026-11-20T13:00:00+08:00"), c / 2);
    RT_EQ(price_at(&f, cs, "*", "2026-11-21T00:00:00+08:00"), c);
    RT_EQ(price_at(&f, cs, "*", "2026-11-19T23:59:59+08:00"), c);
    /* before A10's open row: the "*" rows, dated first */
    RT_EQ(price_at(&f, cs, "A10", "2026-05-01T00:00:00+08:00"), c);
    RT_EQ(price_at(&f, cs, "A10", "2026-03-01T12:00:00+08:00"), 4 * c / 10);
    RT_EQ(price_at(&f, cs, "A10", "2026-05-31T23:59:59+08:00"), c);
    RT_EQ(price_at(&f, cs, "A10", "2026-06-01T00:00:00+08:00"), 2 * c);
    /* before every row, and a key with no row at all */
    RT_EQ(price_at(&f, cs, "A10", "2025-12-31T23:59:59+08:00"), -1);
    RT_EQ(price_at(&f, cs, "*", "2025-12-31T23:59:59+08:00"), -1);
    RT_EQ(price_at(&f, cs, "*", "2026-01-01T00:00:00+08:00"), c);
    RT_EQ(price_at(&f, BR_ITEM_COMPUTE_EXCLUSIVE, "*", "2026-11-20T13:00:00+08:00"), -1);
    fixture_free(&f);
}

static void test_find_open_ends(void **unused)
{
    (void)unused;
    struct fixture f;
    fixture_build(&f);
    const int64_t c = BR_E10 / 100;
    RT_EQ(price_at(&f, BR_ITEM_PUT, "*", "2026-11-14T03:00:00+08:00"), c);
    RT_EQ(price_at(&f, BR_ITEM_PUT, "*", "2026-11-14T23:59:59+08:00"), c);
    /* the Jan 1 row ended at Nov 15 although the new row covers only 08-20 */
    RT_EQ(price_at(&f, BR_ITEM_PUT, "*", "2026-11-15T00:00:00+08:00"), -1);
    RT_EQ(price_at(&f, BR_ITEM_PUT, "*", "2026-11-16T03:00:00+08:00"), -1);
    RT_EQ(price_at(&f, BR_ITEM_PUT, "*", "2026-11-16T07:59:59+08:00"), -1);
    RT_EQ(price_at(&f, BR_ITEM_PUT, "*", "2026-11-16T08:00:00+08:00"), 2 * c);
    RT_EQ(price_at(&f, BR_ITEM_PUT, "*", "2026-11-16T19:59:59+08:00"), 2 * c);
    RT_EQ(price_at(&f, BR_ITEM_PUT, "*", "2026-11-16T20:00:00+08:00"), -1);
    RT_EQ(price_at(&f, BR_ITEM_PUT, "*", "2030-01-01T10:00:00+08:00"), 2 * c);
    /* a promotion ends, the open row is back */
    RT_EQ(price_at(&f, BR_ITEM_GET, "*", "2026-11-09T23:59:59+08:00"), 10 * c);
    RT_EQ(price_at(&f, BR_ITEM_GET, "*", "2026-11-10T00:00:00+08:00"), 5 * c);
    RT_EQ(price_at(&f, BR_ITEM_GET, "*", "2026-11-10T23:59:59+08:00"), 5 * c);
    RT_EQ(price_at(&f, BR_ITEM_GET, "*", "2026-11-11T00:00:00+08:00"), 10 * c);
    fixture_free(&f);
}

static void test_find_windows(void **unused)
{
    (void)unused;
    struct fixture f;
    fixture_build(&f);
    const int64_t e10 = BR_E10;
    /* 00:00-08:00 and 08:00-24:00 */
    RT_EQ(price_at(&f, BR_ITEM_EGRESS, "*", "2026-11-10T23:59:59+08:00"), e10 / 2);
    RT_EQ(price_at(&f, BR_ITEM_EGRESS, "*", "2026-11-11T00:00:00+08:00"), e10 / 4);
    RT_EQ(price_at(&f, BR_ITEM_EGRESS, "*", "2026-11-11T07:59:59+08:00"), e10 / 4);
    RT_EQ(price_at(&f, BR_ITEM_EGRESS, "*", "2026-11-11T08:00:00+08:00"), e10 / 2);
    /* 22:00-06:00 and 06:00-22:00 */
    const enum br_item x = BR_ITEM_COMPUTE_EXCLUSIVE;
    RT_EQ(price_at(&f, x, "gpu-x", "2026-11-10T21:59:59+08:00"), 2 * e10);
    RT_EQ(price_at(&f, x, "gpu-x", "2026-11-10T22:00:00+08:00"), e10);
    RT_EQ(price_at(&f, x, "gpu-x", "2026-11-11T00:00:00+08:00"), e10);
    RT_EQ(price_at(&f, x, "gpu-x", "2026-11-11T05:59:59+08:00"), e10);
    RT_EQ(price_at(&f, x, "gpu-x", "2026-11-11T06:00:00+08:00"), 2 * e10);
    /* 22:00-00:00 is [22:00, 24:00) */
    RT_EQ(price_at(&f, BR_ITEM_STORAGE, "*", "2026-11-10T21:59:59+08:00"), -1);
    RT_EQ(price_at(&f, BR_ITEM_STORAGE, "*", "2026-11-10T22:00:00+08:00"), 72 * e10 / 100);
    RT_EQ(price_at(&f, BR_ITEM_STORAGE, "*", "2026-11-10T23:59:59+08:00"), 72 * e10 / 100);
    RT_EQ(price_at(&f, BR_ITEM_STORAGE, "*", "2026-11-11T00:00:00+08:00"), -1);

    struct br_price p = px(&f.book, BR_ITEM_PUT, "*", "1", JAN1, NULL, "22:00", "06:00", -1);
    assert_true(br_price_tod_match(&p, 22 * 3600));
    assert_true(br_price_tod_match(&p, 0));
    assert_true(br_price_tod_match(&p, 6 * 3600 - 1));
    assert_false(br_price_tod_match(&p, 6 * 3600));
    assert_false(br_price_tod_match(&p, 22 * 3600 - 1));
    p = px(&f.book, BR_ITEM_PUT, "*", "1", JAN1, NULL, "08:00", "24:00", -1);
    assert_true(br_price_tod_match(&p, 86399));
    assert_false(br_price_tod_match(&p, 0));
    p = px(&f.book, BR_ITEM_PUT, "*", "1", JAN1, NULL, NULL, NULL, -1);
    assert_true(br_price_tod_match(&p, 12345));
    fixture_free(&f);
}

/* Every key at every boundary (each row's dates and open end, each window
 * edge, one second either side) and on a 67-minute grid over the year, with a
 * hint carried forwards, then backwards: the tables agree with the naive
 * reading. */
static void test_find_matches_naive(void **unused)
{
    (void)unused;
    struct fixture f;
    fixture_build(&f);
    struct br_calendar cal = rt_cal();
    size_t cap = 4096, n = 0;
    int64_t *ts = malloc(cap * sizeof(*ts));
    assert_non_null(ts);
    for (size_t i = 0; i < f.book.nprices; i++) {
        const struct br_price *p = &f.book.prices[i];
        int64_t edges[2] = {p->from, p->to};
        for (int e = 0; e < 2; e++) {
            if (edges[e] == BR_T_OPEN)
                continue;
            int64_t day0 = br_local_day(&cal, edges[e]);
            for (int64_t d = day0 - 1; d <= day0 + 1; d++)
                for (int32_t tod = 0; tod < BR_DAY_S; tod += 1800)
                    for (int dt = -1; dt <= 1 && n < cap; dt++)
                        ts[n++] = br_day_start(&cal, d) + tod + dt;
            for (int dt = -1; dt <= 1 && n < cap; dt++)
                ts[n++] = edges[e] + dt;
        }
    }
    uint32_t hints[8];
    for (size_t k = 0; k < f.nkeys; k++)
        hints[k] = UINT32_MAX;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < n; j++) {
            int64_t t = ts[pass == 0 ? j : n - 1 - j];
            for (size_t k = 0; k < f.nkeys; k++)
                RT_EQ(br_pricer_find(&f.pricer, (uint16_t)k, t, &hints[k]),
                      naive_find(&f.book, f.keys[k], t));
        }
        int64_t t0 = rt_t("2025-12-25T00:00:00Z"), t1 = rt_t("2027-01-05T00:00:00Z");
        for (int64_t t = pass == 0 ? t0 : t1; pass == 0 ? t < t1 : t > t0;
             t += pass == 0 ? 4020 : -4020)
            for (size_t k = 0; k < f.nkeys; k++)
                RT_EQ(br_pricer_find(&f.pricer, (uint16_t)k, t, &hints[k]),
                      naive_find(&f.book, f.keys[k], t));
    }
    free(ts);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_admit_dated_overlap, book_setup, book_teardown),
        cmocka_unit_test_setup_teardown(test_admit_dated_short_overlap, book_setup, book_teardown),
        cmocka_unit_test_setup_teardown(test_admit_open_rows, book_setup, book_teardown),
        cmocka_unit_test_setup_teardown(test_admit_open_rows_ended_before_window, book_setup,
                                        book_teardown),
        cmocka_unit_test_setup_teardown(test_admit_identical_ignored, book_setup, book_teardown),
        cmocka_unit_test_setup_teardown(test_admit_dated_over_open, book_setup, book_teardown),
        cmocka_unit_test_setup_teardown(test_admit_repricing, book_setup, book_teardown),
        cmocka_unit_test(test_find_priorities),
        cmocka_unit_test(test_find_open_ends),
        cmocka_unit_test(test_find_windows),
        cmocka_unit_test(test_find_matches_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
