/* The waterfall of each piece, and per-day accumulation of lines and draws. */
#define _GNU_SOURCE /* qsort_r */
#include "rate/waterfall.h"

#include "core/money.h"

#include <stdlib.h>
#include <string.h>

/* --- the plan index ------------------------------------------------------- */

static int prio_cmp(const void *pa, const void *pb, void *arg)
{
    const struct br_book *b = arg;
    return br_order_priority_cmp(&b->orders[*(const uint32_t *)pa],
                                 &b->orders[*(const uint32_t *)pb]);
}

static enum br_status index_kind(const struct br_book *b, enum br_order_kind kind, uint32_t **off,
                                 uint32_t **list)
{
    size_t na = br_book_naccounts(b);
    *off = br_calloc(na + 2, sizeof(**off));
    *list = br_mallocn(b->norders + 1, sizeof(**list));
    if (*off == NULL || *list == NULL)
        return BR_ERR_NOMEM;
    for (size_t i = 0; i < b->norders; i++)
        if (b->orders[i].kind == kind)
            (*off)[b->orders[i].account + 1]++;
    for (size_t a = 0; a < na; a++)
        (*off)[a + 1] += (*off)[a];
    uint32_t *pos = br_mallocn(na + 1, sizeof(*pos));
    if (pos == NULL)
        return BR_ERR_NOMEM;
    memcpy(pos, *off, (na + 1) * sizeof(*pos));
    for (size_t i = 0; i < b->norders; i++)
        if (b->orders[i].kind == kind)
            (*list)[pos[b->orders[i].account]++] = (uint32_t)i;
    free(pos);
    for (size_t a = 0; a < na; a++)
        if ((*off)[a + 1] - (*off)[a] > 1)
            qsort_r(*list + (*off)[a], (*off)[a + 1] - (*off)[a], sizeof(**list), prio_cmp,
                    (void *)b);
    return BR_OK;
}

enum br_status br_plan_index_build(struct br_plan_index *x, const struct br_book *book)
{
    memset(x, 0, sizeof(*x));
    x->naccounts = br_book_naccounts(book);
    enum br_status st = index_kind(book, BR_ORDER_PLAN, &x->plan_off, &x->plans);
    if (st == BR_OK)
        st = index_kind(book, BR_ORDER_COUPON, &x->coupon_off, &x->coupons);
    return st;
}

void br_plan_index_free(struct br_plan_index *x)
{
    free(x->plan_off);
    free(x->plans);
    free(x->coupon_off);
    free(x->coupons);
    memset(x, 0, sizeof(*x));
}

/* --- the pass ---------------------------------------------------------------- */

void br_pass_init(struct br_pass *p, const struct br_rate_input *in, struct br_rate_state *state,
                  struct br_sorted_events ev, const struct br_plan_index *pidx)
{
    memset(p, 0, sizeof(*p));
    p->in = in;
    p->state = state;
    p->ev = ev;
    p->pidx = pidx;
}

void br_pass_free(struct br_pass *p)
{
    free(p->lines);
    free(p->draws);
    free(p->dd);
    free(p->plan_open);
    free(p->closed_buckets);
    free(p->closed_allow);
    p->lines = NULL;
    p->draws = NULL;
    p->dd = NULL;
    p->plan_open = NULL;
    p->closed_buckets = NULL;
    p->closed_allow = NULL;
}

static void fail(struct br_pass *p, enum br_status st)
{
    if (p->st == BR_OK)
        p->st = st;
}

/* Flushes the day's lines and draws to the thread's output. */
static void flush_day(struct br_pass *p)
{
    if (!p->have_day)
        return;
    for (int i = 0; i < BR_ITEM_COUNT; i++) {
        struct br_line *l = &p->acc[i];
        if (l->pieces == 0)
            continue;
        if (br_grow((void **)&p->lines, &p->lines_cap, p->nlines + 1, sizeof(*p->lines),
                    (size_t)1 << 34) != BR_OK) {
            fail(p, BR_ERR_NOMEM);
            return;
        }
        p->lines[p->nlines++] = *l;
    }
    if (p->ndd > 0) {
        if (br_grow((void **)&p->draws, &p->draws_cap, p->ndraws + p->ndd, sizeof(*p->draws),
                    (size_t)1 << 34) != BR_OK) {
            fail(p, BR_ERR_NOMEM);
            return;
        }
        memcpy(p->draws + p->ndraws, p->dd, p->ndd * sizeof(*p->dd));
        p->ndraws += p->ndd;
    }
    p->ndd = 0;
    memset(p->dd_last, 0, sizeof(p->dd_last));
    p->have_day = false;
}

static void start_day(struct br_pass *p, int64_t day)
{
    flush_day(p);
    p->have_day = true;
    p->day = day;
    p->own = br_period_of_day(day);
    p->post = br_post_period(p->in->closed, p->in->nclosed, p->own);
    for (int i = 0; i < BR_ITEM_COUNT; i++) {
        memset(&p->acc[i], 0, sizeof(p->acc[i]));
        p->acc[i].account = p->account;
        p->acc[i].period = p->post;
        p->acc[i].own_period = p->own;
        p->acc[i].day = day;
        p->acc[i].item = (enum br_item)i;
    }
}

static void draw(struct br_pass *p, enum br_item item, enum br_source src, uint32_t order,
                 int64_t units, int64_t value, int64_t recognised)
{
    struct br_draw *d = NULL;
    uint32_t last = p->dd_last[item][src];
    if (last && p->dd[last - 1].order == order) {
        d = &p->dd[last - 1];
    } else {
        for (size_t i = 0; i < p->ndd; i++) {
            struct br_draw *x = &p->dd[i];
            if (x->item == item && x->source == src && x->order == order) {
                d = x;
                break;
            }
        }
    }
    if (d == NULL) {
        if (br_grow((void **)&p->dd, &p->dd_cap, p->ndd + 1, sizeof(*p->dd), 1u << 20) != BR_OK) {
            fail(p, BR_ERR_NOMEM);
            return;
        }
        d = &p->dd[p->ndd++];
        p->dd_last[item][src] = (uint32_t)p->ndd;
        *d = (struct br_draw){.account = p->account,
                              .period = p->post,
                              .own_period = p->own,
                              .day = p->day,
                              .item = item,
                              .source = src,
                              .order = order};
    }
    p->dd_last[item][src] = (uint32_t)(d - p->dd) + 1;
    if (!br_add_i64(d->units, units, &d->units) || !br_add_i64(d->value_e8, value, &d->value_e8) ||
        !br_add_i64(d->recognised_e8, recognised, &d->recognised_e8))
        fail(p, BR_ERR_OVERFLOW);
}

/* What is left to pay of a piece. */
struct unpaid {
    int64_t value; /* e8 */
    int64_t units; /* base units */
    int64_t price_e10;
    uint64_t divisor;
};

/* A unit-measured source with `left` units covers u units worth v. */
static void cover_units(struct unpaid *u, int64_t left, int64_t *cu, int64_t *cv)
{
    *cu = *cv = 0;
    if (u->units == 0 || left <= 0 || u->value == 0)
        return;
    *cu = left < u->units ? left : u->units;
    if (*cu == u->units) {
        *cv = u->value;
    } else {
        int64_t v;
        BR_ASSERT(br_value_e8((uint64_t)*cu, u->price_e10, u->divisor, &v));
        *cv = v < u->value ? v : u->value;
    }
    u->units -= *cu;
    u->value -= *cv;
}

/* A money-measured source with `left` e8 covers v. */
static int64_t cover_money(struct unpaid *u, int64_t left)
{
    if (left <= 0 || u->value == 0)
        return 0;
    int64_t v = left < u->value ? left : u->value;
    u->value -= v;
    u->units = u->value > 0 ? br_units_for_value(u->value, u->price_e10, u->divisor) : 0;
    return v;
}

/* Closes an open entry: a changed one goes to the thread's list. */
static void close_entry(struct br_pass *p, struct br_open_entry *o, uint64_t a,
                        struct br_closed_entry **list, size_t *n, size_t *cap)
{
    if (o->open && o->dirty) {
        if (br_grow((void **)list, cap, *n + 1, sizeof(**list), (size_t)1 << 34) != BR_OK) {
            fail(p, BR_ERR_NOMEM);
        } else {
            (*list)[(*n)++] = (struct br_closed_entry){a, o->b, o->value};
        }
    }
    o->open = false;
}

/* The open entry for bucket b of a state keyed (a, b): opened from the
 * opening state when the bucket moves on. */
static struct br_open_entry *open_entry(struct br_pass *p, struct br_open_entry *o,
                                        const struct br_map *opening, uint64_t a, uint64_t b,
                                        struct br_closed_entry **list, size_t *n, size_t *cap)
{
    if (o->open && o->b == b)
        return o;
    close_entry(p, o, a, list, n, cap);
    const struct br_map_entry *e = br_map_get(opening, a, b);
    *o = (struct br_open_entry){.b = b, .value = e != NULL ? e->value : 0, .open = true};
    return o;
}

static void free_allowance(struct br_pass *p, struct unpaid *u, enum br_item item,
                           const struct br_price *price)
{
    if (price->free_units <= 0)
        return;
    struct br_open_entry *e = open_entry(
        p, &p->allow_open[item], &p->state->allowance, ((uint64_t)p->account << 8) | item,
        (uint64_t)(int64_t)p->own, &p->closed_allow, &p->nclosed_allow, &p->closed_allow_cap);
    if (e->value >= price->free_units)
        return;
    int64_t cu, cv;
    cover_units(u, price->free_units - e->value, &cu, &cv);
    if (cu == 0)
        return;
    e->value += cu;
    e->dirty = true;
    p->acc[item].alloc_e8[BR_SRC_FREE] += cv;
    p->acc[item].free_units += cu;
    draw(p, item, BR_SRC_FREE, BR_NO_ID, cu, cv, 0);
}

/* Revenue recognised so far by an amount or pool plan: floor(paid * consumed
 * / face), cumulatively; returns the increase. */
static int64_t recognise(const struct br_order *o, struct br_order_state *s)
{
    int64_t to_date = br_muldiv_floor(o->paid_e8, s->consumed, o->face);
    int64_t inc = to_date - s->recognised_e8;
    BR_ASSERT(inc >= 0);
    s->recognised_e8 = to_date;
    return inc;
}

/* One plan's cover of a piece at t. */
static void plan_cover(struct br_pass *p, struct unpaid *u, uint32_t oi, size_t slot,
                       enum br_item item, int64_t t)
{
    const struct br_order *o = &p->in->book->orders[oi];
    struct br_order_state *s = &p->state->orders[oi];
    int64_t cu = 0, cv = 0, rec = 0;
    struct br_open_entry *e = NULL;
    switch (o->plan_type) {
    case BR_PLAN_AMOUNT:
        cv = cover_money(u, o->face - s->consumed);
        cu = cv;
        s->consumed += cv;
        rec = recognise(o, s);
        break;
    case BR_PLAN_POOL:
        cover_units(u, o->face - s->consumed, &cu, &cv);
        s->consumed += cu;
        rec = recognise(o, s);
        break;
    case BR_PLAN_MONTHLY:
    case BR_PLAN_CAPACITY: {
        uint64_t bucket = o->plan_type == BR_PLAN_MONTHLY ? (uint64_t)(int64_t)p->own
                                                          : (uint64_t)br_floor_div(t, BR_HOUR_S);
        e = open_entry(p, &p->plan_open[slot], &p->state->buckets, oi, bucket, &p->closed_buckets,
                       &p->nclosed_buckets, &p->closed_buckets_cap);
        cover_units(u, o->face - e->value, &cu, &cv);
        e->value += cu;
        e->dirty = e->dirty || cu > 0;
        s->consumed += cu;
        break;
    }
    default:
        BR_UNREACHABLE();
    }
    if (cv == 0 && cu == 0)
        return;
    s->dirty = true;
    p->acc[item].alloc_e8[BR_SRC_PLAN] += cv;
    draw(p, item, BR_SRC_PLAN, oi, cu, cv, rec);
}

static bool usable(const struct br_order *o, const struct br_order_state *s, enum br_item item,
                   int64_t t)
{
    return !s->expired && (o->scope & (1u << item)) && t >= o->valid_from && t < o->valid_to;
}

static void waterfall(struct br_pass *p, struct unpaid *u, enum br_item item, int64_t t,
                      const struct br_price *price)
{
    const struct br_plan_index *x = p->pidx;
    const struct br_book *b = p->in->book;
    free_allowance(p, u, item, price);
    uint32_t k0 = x->plan_off[p->account];
    for (uint32_t k = k0; k < x->plan_off[p->account + 1]; k++) {
        if (u->value == 0)
            return;
        uint32_t oi = x->plans[k];
        if (usable(&b->orders[oi], &p->state->orders[oi], item, t))
            plan_cover(p, u, oi, k - k0, item, t);
    }
    for (uint32_t k = x->coupon_off[p->account]; k < x->coupon_off[p->account + 1]; k++) {
        if (u->value == 0)
            return;
        uint32_t oi = x->coupons[k];
        const struct br_order *o = &b->orders[oi];
        struct br_order_state *s = &p->state->orders[oi];
        if (!usable(o, s, item, t))
            continue;
        int64_t v = cover_money(u, o->face - s->consumed);
        if (v == 0)
            continue;
        s->consumed += v;
        s->dirty = true;
        p->acc[item].alloc_e8[BR_SRC_COUPON] += v;
        draw(p, item, BR_SRC_COUPON, oi, v, v, 0);
    }
    int64_t *bal = &p->state->balance_e8[p->account];
    if (u->value > 0 && *bal > 0) {
        int64_t v = cover_money(u, *bal);
        *bal -= v;
        p->state->balance_dirty[p->account] = true;
        p->acc[item].alloc_e8[BR_SRC_BALANCE] += v;
        draw(p, item, BR_SRC_BALANCE, BR_NO_ID, v, v, 0);
    }
    if (u->value > 0) {
        p->acc[item].alloc_e8[BR_SRC_OUTSTANDING] += u->value;
        draw(p, item, BR_SRC_OUTSTANDING, BR_NO_ID, u->units, u->value, 0);
        u->value = 0;
    }
}

static void piece(struct br_pass *p, size_t i)
{
    const struct br_event *e = &p->ev.ev[i];
    int64_t t = p->ev.tmin + (int64_t)(e->key >> 1);
    uint64_t qty = e->qty;
    int64_t day = br_local_day(&p->in->cal, t);
    if (!p->have_day || day != p->day)
        start_day(p, day);
    const struct br_price *price = &p->in->book->prices[e->price];
    enum br_item item = price->item;
    struct unpaid u = {.units = (int64_t)qty,
                       .price_e10 = price->price_e10,
                       .divisor = br_items[item].price_divisor};
    BR_ASSERT(br_value_e8(qty, price->price_e10, u.divisor, &u.value));
    struct br_line *l = &p->acc[item];
    if (l->pieces == 0 || price->price_e10 < l->price_min_e10)
        l->price_min_e10 = price->price_e10;
    if (l->pieces == 0 || price->price_e10 > l->price_max_e10)
        l->price_max_e10 = price->price_e10;
    l->pieces++;
    p->pieces++;
    if (__builtin_add_overflow(l->qty, qty, &l->qty) ||
        !br_add_i64(l->gross_e8, u.value, &l->gross_e8) ||
        !br_add_i64(p->gross_e8, u.value, &p->gross_e8)) {
        fail(p, BR_ERR_OVERFLOW);
        return;
    }
    if (u.value == 0)
        return; /* a piece whose gross is 0 consumes nothing */
    waterfall(p, &u, item, t, price);
}

/* A balance credit: a top-up or a credit adjustment. */
static void topup(struct br_pass *p, size_t i)
{
    uint32_t c = p->ev.topups[p->ev.ev[i].qty];
    int64_t *bal = &p->state->balance_e8[p->account];
    if (!br_add_i64(*bal, br_credit_amount(p->in->book, c), bal)) {
        fail(p, BR_ERR_OVERFLOW);
        return;
    }
    if (!br_credit_recredit(p->in->book, c)) /* a recredit gives back what loading took out */
        p->state->balance_dirty[p->account] = true;
}

void br_pass_account(struct br_pass *p, uint32_t account, size_t from, size_t to)
{
    const struct br_plan_index *x = p->pidx;
    size_t nplans = x->plan_off[account + 1] - x->plan_off[account];
    if (br_grow((void **)&p->plan_open, &p->plan_open_cap, nplans + 1, sizeof(*p->plan_open),
                (size_t)1 << 32) != BR_OK) {
        fail(p, BR_ERR_NOMEM);
        return;
    }
    memset(p->plan_open, 0, (nplans + 1) * sizeof(*p->plan_open));
    memset(p->allow_open, 0, sizeof(p->allow_open));
    p->account = account;
    p->have_day = false;
    p->ndd = 0;
    memset(p->dd_last, 0, sizeof(p->dd_last));
    for (size_t i = from; i < to && p->st == BR_OK; i++) {
        uint32_t pr = p->ev.ev[i].price;
        if (pr == BR_EV_TOPUP)
            topup(p, i);
        else if (pr != BR_EV_SKIP)
            piece(p, i);
    }
    flush_day(p);
    for (size_t k = 0; k < nplans; k++)
        close_entry(p, &p->plan_open[k], x->plans[x->plan_off[account] + k], &p->closed_buckets,
                    &p->nclosed_buckets, &p->closed_buckets_cap);
    for (int i = 0; i < BR_ITEM_COUNT; i++)
        close_entry(p, &p->allow_open[i], ((uint64_t)account << 8) | (uint64_t)i, &p->closed_allow,
                    &p->nclosed_allow, &p->closed_allow_cap);
}
