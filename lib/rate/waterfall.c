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
    br_map_init(&p->buckets);
    br_map_init(&p->allowance);
}

void br_pass_free(struct br_pass *p)
{
    free(p->lines);
    free(p->draws);
    free(p->dd);
    br_map_free(&p->buckets);
    br_map_free(&p->allowance);
    p->lines = NULL;
    p->draws = NULL;
    p->dd = NULL;
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

/* A map entry of this thread for (a, b), seeded from the opening state. */
static struct br_map_entry *state_entry(struct br_pass *p, struct br_map *local,
                                        const struct br_map *opening, uint64_t a, uint64_t b)
{
    struct br_entry_cache *c = &p->ecache[(a * 31 + b) & 15];
    if (c->map == local && c->cap == local->cap && c->a == a && c->b == b)
        return c->e; /* the map has not grown since: the entry has not moved */
    struct br_map_entry *e = br_map_get(local, a, b);
    if (e == NULL) {
        e = br_map_put(local, a, b);
        if (e == NULL) {
            fail(p, BR_ERR_NOMEM);
            return NULL;
        }
        const struct br_map_entry *o = br_map_get(opening, a, b);
        e->value = o != NULL ? o->value : 0;
    }
    *c = (struct br_entry_cache){local, local->cap, a, b, e};
    return e;
}

static void free_allowance(struct br_pass *p, struct unpaid *u, enum br_item item,
                           const struct br_price *price)
{
    if (price->free_units <= 0)
        return;
    struct br_map_entry *e = state_entry(p, &p->allowance, &p->state->allowance,
                                         ((uint64_t)p->account << 8) | item, (uint64_t)p->own);
    if (e == NULL || e->value >= price->free_units)
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
static void plan_cover(struct br_pass *p, struct unpaid *u, uint32_t oi, enum br_item item,
                       int64_t t)
{
    const struct br_order *o = &p->in->book->orders[oi];
    struct br_order_state *s = &p->state->orders[oi];
    int64_t cu = 0, cv = 0, rec = 0;
    struct br_map_entry *e = NULL;
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
        e = state_entry(p, &p->buckets, &p->state->buckets, oi, bucket);
        if (e == NULL)
            return;
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
    for (uint32_t k = x->plan_off[p->account]; k < x->plan_off[p->account + 1]; k++) {
        if (u->value == 0)
            return;
        uint32_t oi = x->plans[k];
        if (usable(&b->orders[oi], &p->state->orders[oi], item, t))
            plan_cover(p, u, oi, item, t);
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
    int64_t t = p->ev.t[i];
    uint64_t qty = p->ev.qty[i];
    int64_t day = br_local_day(&p->in->cal, t);
    if (!p->have_day || day != p->day)
        start_day(p, day);
    const struct br_price *price = &p->in->book->prices[p->ev.price[i]];
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

static void topup(struct br_pass *p, size_t i)
{
    const struct br_order *o = &p->in->book->orders[p->ev.topups[p->ev.qty[i]]];
    int64_t *bal = &p->state->balance_e8[p->account];
    if (!br_add_i64(*bal, o->paid_e8, bal)) {
        fail(p, BR_ERR_OVERFLOW);
        return;
    }
    p->state->balance_dirty[p->account] = true;
}

void br_pass_account(struct br_pass *p, uint32_t account, size_t from, size_t to)
{
    p->account = account;
    p->have_day = false;
    p->ndd = 0;
    memset(p->dd_last, 0, sizeof(p->dd_last));
    for (size_t i = from; i < to && p->st == BR_OK; i++) {
        uint32_t pr = p->ev.price[i];
        if (pr == BR_EV_TOPUP)
            topup(p, i);
        else if (pr != BR_EV_SKIP)
            piece(p, i);
    }
    flush_day(p);
}
