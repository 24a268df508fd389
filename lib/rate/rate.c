/* Rating orchestration: pieces and prices (parallel over rows), the sort,
 * the waterfall pass (parallel over accounts), recognition and expiries. */
#include "rate/rate.h"

#include "core/log.h"
#include "core/money.h"
#include "rate/sort.h"
#include "rate/waterfall.h"

#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

const char *br_source_str(enum br_source s)
{
    static const char *const n[BR_SRC_COUNT] = {"free", "plan", "coupon", "balance", "outstanding"};
    return (unsigned)s < BR_SRC_COUNT ? n[s] : "?";
}

enum br_status br_rate_state_fit(struct br_rate_state *s, const struct br_book *book)
{
    size_t na = br_book_naccounts(book), no = book->norders;
    if (na > s->naccounts) {
        int64_t *b = realloc(s->balance_e8, (na ? na : 1) * sizeof(*b));
        if (b == NULL)
            return BR_ERR_NOMEM;
        s->balance_e8 = b;
        bool *d = realloc(s->balance_dirty, (na ? na : 1) * sizeof(*d));
        if (d == NULL)
            return BR_ERR_NOMEM;
        s->balance_dirty = d;
        for (size_t i = s->naccounts; i < na; i++) {
            s->balance_e8[i] = 0;
            s->balance_dirty[i] = false;
        }
        s->naccounts = na;
    }
    if (no > s->norders) {
        struct br_order_state *o = realloc(s->orders, (no ? no : 1) * sizeof(*o));
        if (o == NULL)
            return BR_ERR_NOMEM;
        s->orders = o;
        memset(s->orders + s->norders, 0, (no - s->norders) * sizeof(*o));
        s->norders = no;
    }
    return BR_OK;
}

void br_rate_state_free(struct br_rate_state *s)
{
    free(s->balance_e8);
    free(s->balance_dirty);
    free(s->orders);
    br_map_free(&s->buckets);
    br_map_free(&s->allowance);
    memset(s, 0, sizeof(*s));
}

void br_rate_result_free(struct br_rate_result *r)
{
    free(r->lines);
    free(r->draws);
    free(r->recogs);
    free(r->no_price_rows);
    free(r->overflow_rows);
    free(r->spans);
    memset(r, 0, sizeof(*r));
}

br_period br_post_period(const br_period *closed, size_t nclosed, br_period p)
{
    size_t lo = 0, hi = nclosed;
    while (lo < hi) { /* first closed period >= p */
        size_t mid = lo + (hi - lo) / 2;
        if (closed[mid] < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo < nclosed && closed[lo] == p) {
        p++;
        lo++;
    }
    return p;
}

int br_order_priority_cmp(const struct br_order *a, const struct br_order *b)
{
    if (a->valid_to != b->valid_to)
        return a->valid_to < b->valid_to ? -1 : 1;
    if (a->valid_from != b->valid_from)
        return a->valid_from < b->valid_from ? -1 : 1;
    return strcmp(a->order_id, b->order_id);
}

/* --- pieces ----------------------------------------------------------------- */

uint32_t br_piece_count(const struct br_usage *u, size_t row, int64_t t0)
{
    if (br_usage_item(u, row) != BR_ITEM_COMPUTE_EXCLUSIVE)
        return 1;
    uint64_t len = u->qty[row];
    if (len == 0)
        return 0;
    int64_t h0 = br_floor_div(t0, BR_HOUR_S) * BR_HOUR_S;
    return (uint32_t)(br_floor_div(t0 + (int64_t)len - 1 - h0, BR_HOUR_S) + 1);
}

void br_piece_at(const struct br_usage *u, size_t row, uint32_t sub, int64_t t0, int64_t *t,
                 uint64_t *qty)
{
    if (br_usage_item(u, row) != BR_ITEM_COMPUTE_EXCLUSIVE) {
        *t = t0;
        *qty = u->qty[row];
        return;
    }
    int64_t end = t0 + (int64_t)u->qty[row];
    int64_t h0 = br_floor_div(t0, BR_HOUR_S) * BR_HOUR_S;
    int64_t ps = sub == 0 ? t0 : h0 + (int64_t)sub * BR_HOUR_S;
    int64_t pe = h0 + ((int64_t)sub + 1) * BR_HOUR_S;
    if (pe > end)
        pe = end;
    *t = ps;
    *qty = (uint64_t)(pe - ps);
}

struct prep {
    const struct br_rate_input *in;
    size_t r0, r1; /* rows of this thread */
    uint32_t *poff;
    uint32_t *ev_row;
    uint32_t *ev_price;
    int64_t *ev_t;
    uint64_t *ev_qty;
    uint64_t *keys;
    uint32_t *acct;
    uint8_t *row_bad;
    int64_t tmin;
    struct br_rated_span *spans;
    size_t nspans, spans_cap;
    enum br_status st;
};

static void span_add(struct prep *p, uint16_t key, int64_t h0, int64_t h1, size_t *last)
{
    if (last[key] != SIZE_MAX) {
        struct br_rated_span *s = &p->spans[last[key]];
        if (h0 <= s->hour_to + 1 && h1 >= s->hour_from - 1) {
            if (h0 < s->hour_from)
                s->hour_from = h0;
            if (h1 > s->hour_to)
                s->hour_to = h1;
            return;
        }
    }
    if (br_grow((void **)&p->spans, &p->spans_cap, p->nspans + 1, sizeof(*p->spans),
                (size_t)1 << 32) != BR_OK) {
        p->st = BR_ERR_NOMEM;
        return;
    }
    p->spans[p->nspans] = (struct br_rated_span){key, h0, h1};
    last[key] = p->nspans++;
}

/* Fills the pieces of rows [r0, r1): rows, prices, sort keys; flags rows
 * with an unpriced piece or a gross too large for 63 bits. */
static void *prep_fill(void *arg)
{
    struct prep *p = arg;
    const struct br_usage *u = p->in->usage;
    const struct br_book *b = p->in->book;
    uint32_t hints[65536];
    size_t last[65536];
    for (size_t k = 0; k < u->nkeys; k++) {
        hints[k] = UINT32_MAX;
        last[k] = SIZE_MAX;
    }
    for (size_t r = p->r0; r < p->r1 && p->st == BR_OK; r++) {
        int64_t t0 = br_usage_t(u, r);
        uint16_t key = u->key[r];
        enum br_item item = u->keys[key].item;
        uint64_t divisor = br_items[item].price_divisor;
        uint8_t bad = 0; /* 1: a piece without a price, 2: a gross beyond 63 bits */
        int64_t tlast = t0;
        for (uint32_t e = p->poff[r]; e < p->poff[r + 1]; e++) {
            int64_t t;
            uint64_t qty;
            br_piece_at(u, r, e - p->poff[r], t0, &t, &qty);
            uint32_t pr = br_pricer_find(p->in->pricer, key, t, &hints[key]);
            if (pr == BR_NO_ID) {
                bad = 1;
            } else if (bad == 0) { /* a gross beyond 63 bits cannot be rated */
                br_u128 product = (br_u128)qty * (uint64_t)b->prices[pr].price_e10;
                int64_t gross;
                if (product >= (br_u128)INT64_MAX * divisor * BR_PRICE_TO_E8_DIV &&
                    !br_value_e8(qty, b->prices[pr].price_e10, divisor, &gross))
                    bad = 2;
            }
            p->ev_row[e] = (uint32_t)r;
            p->ev_price[e] = pr;
            p->ev_t[e] = t;
            p->ev_qty[e] = qty;
            p->keys[e] = ((uint64_t)(t - p->tmin) << 1) | 1u;
            p->acct[e] = u->account[r];
            tlast = t;
        }
        p->row_bad[r] = bad;
        for (uint32_t e = p->poff[r]; bad && e < p->poff[r + 1]; e++)
            p->ev_price[e] = BR_EV_SKIP; /* the row is rejected whole */
        if (!bad && p->poff[r + 1] > p->poff[r])
            span_add(p, key, br_floor_div(t0, BR_HOUR_S), br_floor_div(tlast, BR_HOUR_S), last);
    }
    return NULL;
}

static void *prep_count(void *arg)
{
    struct prep *p = arg;
    const struct br_usage *u = p->in->usage;
    for (size_t r = p->r0; r < p->r1; r++)
        p->poff[r + 1] = br_piece_count(u, r, br_usage_t(u, r));
    return NULL;
}

static void run_threads(void *(*fn)(void *), void *args, size_t size, int n)
{
    pthread_t th[16];
    int started = 0;
    for (int i = 1; i < n; i++)
        if (pthread_create(&th[i], NULL, fn, (char *)args + (size_t)i * size) == 0)
            started = i;
        else
            break;
    for (int i = started + 1; i < n; i++) /* could not start: run here */
        fn((char *)args + (size_t)i * size);
    fn(args);
    for (int i = 1; i <= started; i++)
        pthread_join(th[i], NULL);
}

static int thread_count(const struct br_rate_input *in)
{
    int n = in->threads < 1 ? 1 : in->threads;
    return n > 16 ? 16 : n;
}

static enum br_status append(void **dst, size_t *n, const void *src, size_t m, size_t size)
{
    if (m == 0)
        return BR_OK;
    void *p = realloc(*dst, (*n + m) * size);
    if (p == NULL)
        return BR_ERR_NOMEM;
    memcpy((char *)p + *n * size, src, m * size);
    *dst = p;
    *n += m;
    return BR_OK;
}

struct events {
    size_t npieces, nevents;
    uint32_t *poff, *ev_row, *ev_price, *acct, *topups;
    int64_t *ev_t;
    uint64_t *ev_qty;
    uint64_t *keys;
    uint8_t *row_bad;
    size_t ntopups;
    /* gathered in rating order */
    int64_t *s_t;
    uint64_t *s_qty;
    uint32_t *s_price;
};

static void events_free(struct events *ev)
{
    free(ev->poff);
    free(ev->ev_row);
    free(ev->ev_price);
    free(ev->acct);
    free(ev->topups);
    free(ev->keys);
    free(ev->row_bad);
    free(ev->ev_t);
    free(ev->ev_qty);
    free(ev->s_t);
    free(ev->s_qty);
    free(ev->s_price);
    memset(ev, 0, sizeof(*ev));
}

static int64_t min_time(const struct br_rate_input *in, const struct events *ev)
{
    int64_t tmin = INT64_MAX;
    const struct br_usage *u = in->usage;
    for (size_t r = 0; r < u->n; r++) {
        int64_t t = u->t32[r] != BR_T32_FAR ? BR_T32_BASE + u->t32[r] : br_usage_t(u, r);
        if (t < tmin)
            tmin = t;
    }
    for (size_t i = 0; i < ev->ntopups; i++) {
        int64_t t = in->book->orders[ev->topups[i]].order_time;
        if (t < tmin)
            tmin = t;
    }
    return tmin;
}

static enum br_status collect_topups(const struct br_rate_input *in, struct events *ev)
{
    const struct br_book *b = in->book;
    ev->topups = br_mallocn(b->norders + 1, sizeof(*ev->topups));
    if (ev->topups == NULL)
        return BR_ERR_NOMEM;
    for (size_t i = 0; i < b->norders; i++)
        if (b->orders[i].is_new && b->orders[i].kind == BR_ORDER_TOPUP)
            ev->topups[ev->ntopups++] = (uint32_t)i;
    return BR_OK;
}

static enum br_status build_events(const struct br_rate_input *in, struct events *ev,
                                   struct br_rate_result *out, struct br_error *err)
{
    const struct br_usage *u = in->usage;
    int nt = thread_count(in);
    struct prep pr[16];
    memset(ev, 0, sizeof(*ev));
    ev->poff = br_calloc(u->n + 1, sizeof(*ev->poff));
    ev->row_bad = br_calloc(u->n + 1, 1);
    if (ev->poff == NULL || ev->row_bad == NULL || collect_topups(in, ev) != BR_OK)
        return br_fail(err, BR_ERR_NOMEM, "out of memory building pieces");
    for (int i = 0; i < nt; i++)
        pr[i] = (struct prep){.in = in,
                              .r0 = u->n * (size_t)i / (size_t)nt,
                              .r1 = u->n * (size_t)(i + 1) / (size_t)nt,
                              .poff = ev->poff,
                              .row_bad = ev->row_bad};
    run_threads(prep_count, pr, sizeof(pr[0]), nt);
    uint64_t total = 0;
    for (size_t r = 0; r < u->n; r++) {
        total += ev->poff[r + 1];
        if (total + ev->ntopups >= UINT32_MAX)
            return br_fail(err, BR_ERR_NOMEM, "more than 2^32 pieces in one run");
        ev->poff[r + 1] = (uint32_t)total;
    }
    ev->npieces = total;
    ev->nevents = total + ev->ntopups;
    size_t ne = ev->nevents ? ev->nevents : 1;
    ev->ev_row = br_mallocn(ne, sizeof(*ev->ev_row));
    ev->ev_price = br_mallocn(ne, sizeof(*ev->ev_price));
    ev->keys = br_mallocn(ne, sizeof(*ev->keys));
    ev->acct = br_mallocn(ne, sizeof(*ev->acct));
    ev->ev_t = br_mallocn(ne, sizeof(*ev->ev_t));
    ev->ev_qty = br_mallocn(ne, sizeof(*ev->ev_qty));
    if (!ev->ev_row || !ev->ev_price || !ev->keys || !ev->acct || !ev->ev_t || !ev->ev_qty)
        return br_fail(err, BR_ERR_NOMEM, "out of memory for %zu pieces", ev->nevents);
    int64_t tmin = min_time(in, ev);
    for (int i = 0; i < nt; i++) {
        pr[i].ev_row = ev->ev_row;
        pr[i].ev_price = ev->ev_price;
        pr[i].ev_t = ev->ev_t;
        pr[i].ev_qty = ev->ev_qty;
        pr[i].keys = ev->keys;
        pr[i].acct = ev->acct;
        pr[i].tmin = tmin;
    }
    run_threads(prep_fill, pr, sizeof(pr[0]), nt);
    enum br_status st = BR_OK;
    for (int i = 0; i < nt; i++) {
        if (pr[i].st != BR_OK)
            st = pr[i].st;
        if (st == BR_OK)
            st = append((void **)&out->spans, &out->nspans, pr[i].spans, pr[i].nspans,
                        sizeof(*out->spans));
        free(pr[i].spans);
    }
    if (st != BR_OK)
        return br_fail(err, st, "out of memory pricing pieces");
    for (size_t i = 0; i < ev->ntopups; i++) {
        const struct br_order *o = &in->book->orders[ev->topups[i]];
        size_t e = ev->npieces + i;
        ev->keys[e] = (uint64_t)(o->order_time - tmin) << 1;
        ev->acct[e] = o->account;
        ev->ev_row[e] = UINT32_MAX;
        ev->ev_price[e] = BR_EV_TOPUP;
        ev->ev_t[e] = o->order_time;
        ev->ev_qty[e] = i;
    }
    return BR_OK;
}

/* Rows rejected for no price (or an unrepresentable gross). */
static enum br_status list_bad_rows(const struct br_usage *u, const struct events *ev,
                                    struct br_rate_result *out)
{
    size_t n[3] = {0, 0, 0}; /* by row_bad: 1 no price, 2 gross beyond 63 bits */
    for (size_t r = 0; r < u->n; r++)
        n[ev->row_bad[r]]++;
    out->no_price_rows = br_mallocn(n[1] ? n[1] : 1, sizeof(*out->no_price_rows));
    out->overflow_rows = br_mallocn(n[2] ? n[2] : 1, sizeof(*out->overflow_rows));
    if (out->no_price_rows == NULL || out->overflow_rows == NULL)
        return BR_ERR_NOMEM;
    for (size_t r = 0; r < u->n; r++) {
        if (ev->row_bad[r] == 1)
            out->no_price_rows[out->nno_price++] = (uint32_t)r;
        else if (ev->row_bad[r] == 2)
            out->overflow_rows[out->noverflow++] = (uint32_t)r;
    }
    return BR_OK;
}

/* --- the pass --------------------------------------------------------------- */

struct pass_arg {
    struct br_pass pass;
    const struct br_sort_output *sorted;
    uint32_t a0, a1;
};

static void *pass_thread(void *arg)
{
    struct pass_arg *pa = arg;
    for (uint32_t a = pa->a0; a < pa->a1 && pa->pass.st == BR_OK; a++) {
        size_t from = pa->sorted->account_off[a], to = pa->sorted->account_off[a + 1];
        if (from < to)
            br_pass_account(&pa->pass, a, from, to);
    }
    return NULL;
}

/* Gathers the events' times, quantities and prices into rating order, so the
 * pass reads memory in sequence (the random reads happen here, in a loop
 * without dependencies, prefetched). */
struct gather_arg {
    const struct events *ev;
    const uint32_t *order;
    size_t i0, i1;
};

static void *gather_thread(void *arg)
{
    struct gather_arg *g = arg;
    const struct events *ev = g->ev;
    for (size_t i = g->i0; i < g->i1; i++) {
        if (i + 16 < g->i1) {
            uint32_t f = g->order[i + 16];
            __builtin_prefetch(&ev->ev_t[f]);
            __builtin_prefetch(&ev->ev_qty[f]);
            __builtin_prefetch(&ev->ev_price[f]);
        }
        uint32_t e = g->order[i];
        ev->s_t[i] = ev->ev_t[e];
        ev->s_qty[i] = ev->ev_qty[e];
        ev->s_price[i] = ev->ev_price[e];
    }
    return NULL;
}

static enum br_status gather(const struct br_rate_input *in, struct events *ev,
                             const struct br_sort_output *sorted)
{
    size_t n = ev->nevents ? ev->nevents : 1;
    ev->s_t = br_mallocn(n, sizeof(*ev->s_t));
    ev->s_qty = br_mallocn(n, sizeof(*ev->s_qty));
    ev->s_price = br_mallocn(n, sizeof(*ev->s_price));
    if (!ev->s_t || !ev->s_qty || !ev->s_price)
        return BR_ERR_NOMEM;
    int nt = thread_count(in);
    struct gather_arg ga[16];
    for (int i = 0; i < nt; i++)
        ga[i] = (struct gather_arg){ev, sorted->order, ev->nevents * (size_t)i / (size_t)nt,
                                    ev->nevents * (size_t)(i + 1) / (size_t)nt};
    run_threads(gather_thread, ga, sizeof(ga[0]), nt);
    free(ev->ev_t);
    free(ev->ev_qty);
    free(ev->ev_price);
    ev->ev_t = NULL;
    ev->ev_qty = NULL;
    ev->ev_price = NULL;
    return BR_OK;
}

static enum br_status merge_map(struct br_map *dst, const struct br_map *src)
{
    if (br_map_reserve(dst, dst->n + src->n) != BR_OK)
        return BR_ERR_NOMEM;
    for (size_t i = 0; i < src->cap; i++) {
        const struct br_map_entry *e = &src->e[i];
        if (!e->used)
            continue;
        struct br_map_entry *d = br_map_put(dst, e->a, e->b);
        if (d == NULL)
            return BR_ERR_NOMEM;
        d->value = e->value;
        d->dirty = true;
    }
    return BR_OK;
}

static enum br_status run_pass(const struct br_rate_input *in, struct br_rate_state *state,
                               const struct events *ev, const struct br_sort_output *sorted,
                               const struct br_plan_index *pidx, struct br_rate_result *out,
                               uint32_t *fail_account)
{
    int nt = thread_count(in);
    struct pass_arg pa[16];
    size_t na = br_book_naccounts(in->book);
    uint32_t a = 0;
    for (int i = 0; i < nt; i++) {
        pa[i].sorted = sorted;
        pa[i].a0 = a;
        size_t goal = ev->nevents * (size_t)(i + 1) / (size_t)nt;
        while (a < na && (i == nt - 1 || sorted->account_off[a] < goal))
            a++;
        pa[i].a1 = a;
        struct br_sorted_events se = {ev->s_t, ev->s_qty, ev->s_price, ev->topups};
        br_pass_init(&pa[i].pass, in, state, se, pidx);
    }
    run_threads(pass_thread, pa, sizeof(pa[0]), nt);
    enum br_status st = BR_OK;
    for (int i = 0; i < nt; i++) {
        struct br_pass *p = &pa[i].pass;
        if (st == BR_OK && p->st != BR_OK)
            *fail_account = p->account; /* where its pass stopped */
        if (st == BR_OK)
            st = p->st;
        if (st == BR_OK)
            st = append((void **)&out->lines, &out->nlines, p->lines, p->nlines, sizeof(*p->lines));
        if (st == BR_OK)
            st = append((void **)&out->draws, &out->ndraws, p->draws, p->ndraws, sizeof(*p->draws));
        if (st == BR_OK)
            st = merge_map(&state->buckets, &p->buckets);
        if (st == BR_OK)
            st = merge_map(&state->allowance, &p->allowance);
        out->pieces += p->pieces;
        if (st == BR_OK && !br_add_i64(out->gross_e8, p->gross_e8, &out->gross_e8))
            st = BR_ERR_OVERFLOW;
        br_pass_free(p);
    }
    return st;
}

/* --- recognition and expiry ------------------------------------------------- */

static enum br_status add_recog(struct br_rate_result *out, const struct br_rate_input *in,
                                uint32_t order, int64_t at, int64_t amount, enum br_recog_kind kind)
{
    br_period own = br_period_of(&in->cal, at);
    struct br_recog r = {
        .order = order,
        .own_period = own,
        .period = br_post_period(in->closed, in->nclosed, own),
        .effective_at = at,
        .amount_e8 = amount,
        .kind = kind,
    };
    return append((void **)&out->recogs, &out->nrecogs, &r, 1, sizeof(r));
}

/* Posts the straight line of a monthly or capacity plan up to `until`, one
 * share per period, each the difference of cumulative floors. */
static enum br_status straight_line(const struct br_rate_input *in, struct br_order_state *s,
                                    uint32_t oi, int64_t until, struct br_rate_result *out)
{
    const struct br_order *o = &in->book->orders[oi];
    int64_t dur = o->valid_to - o->valid_from;
    int64_t goal = until - o->valid_from;
    if (goal > dur)
        goal = dur;
    int64_t done = s->sl_to; /* elapsed seconds already recognised */
    while (done < goal) {
        int64_t at = o->valid_from + done;
        br_period p = br_period_of(&in->cal, at);
        int64_t next = br_period_start(&in->cal, p + 1) - o->valid_from;
        if (next > goal)
            next = goal;
        int64_t before = br_muldiv_floor(o->paid_e8, done, dur);
        int64_t after = br_muldiv_floor(o->paid_e8, next, dur);
        if (after > before) {
            enum br_status st =
                add_recog(out, in, oi, o->valid_from + next - 1, after - before, BR_RECOG_STRAIGHT);
            if (st != BR_OK)
                return st;
            s->recognised_e8 += after - before;
        }
        done = next;
        s->sl_to = done;
        s->dirty = true;
    }
    return BR_OK;
}

enum br_status br_rate_recognise(const struct br_rate_input *in, struct br_rate_state *state,
                                 int64_t until, struct br_rate_result *out, struct br_error *err)
{
    const struct br_book *b = in->book;
    enum br_status st = br_rate_state_fit(state, b);
    for (size_t i = 0; i < b->norders && st == BR_OK; i++) {
        const struct br_order *o = &b->orders[i];
        struct br_order_state *s = &state->orders[i];
        if (o->kind != BR_ORDER_PLAN || s->expired)
            continue;
        bool straight = o->plan_type == BR_PLAN_MONTHLY || o->plan_type == BR_PLAN_CAPACITY;
        if (straight && until > o->valid_from)
            st = straight_line(in, s, (uint32_t)i, until, out);
        if (st != BR_OK || o->valid_to > until)
            continue;
        int64_t left = o->paid_e8 - s->recognised_e8;
        BR_ASSERT(left >= 0);
        BR_ASSERT(!straight || left == 0);
        st = add_recog(out, in, (uint32_t)i, o->valid_to - 1, left,
                       left > 0 ? BR_RECOG_BREAKAGE : BR_RECOG_EXPIRY);
        s->breakage_e8 = left;
        s->expired = true;
        s->dirty = true;
    }
    if (st != BR_OK)
        return br_fail(err, st, "out of memory recognising revenue");
    return BR_OK;
}

enum br_status br_rate(const struct br_rate_input *in, struct br_rate_state *state,
                       struct br_rate_result *out, struct br_error *err)
{
    memset(out, 0, sizeof(*out));
    enum br_status st = br_rate_state_fit(state, in->book);
    if (st != BR_OK)
        return br_fail(err, st, "out of memory for the rating state");
    struct events ev;
    double t0 = br_now_s();
    st = build_events(in, &ev, out, err);
    double t1 = br_now_s();
    if (st == BR_OK)
        st = list_bad_rows(in->usage, &ev, out);
    struct br_plan_index pidx;
    memset(&pidx, 0, sizeof(pidx));
    if (st == BR_OK)
        st = br_plan_index_build(&pidx, in->book);
    struct br_sort_output sorted;
    memset(&sorted, 0, sizeof(sorted));
    if (st == BR_OK) {
        struct br_sort_input si = {.book = in->book,
                                   .usage = in->usage,
                                   .nevents = ev.nevents,
                                   .npieces = ev.npieces,
                                   .keys = ev.keys,
                                   .account_of = ev.acct,
                                   .ev_row = ev.ev_row,
                                   .topups = ev.topups,
                                   .naccounts = br_book_naccounts(in->book),
                                   .threads = thread_count(in)};
        st = br_sort_events(&si, &sorted);
    }
    double t2 = br_now_s();
    if (st == BR_OK) {
        free(ev.keys); /* the sort is done with them */
        ev.keys = NULL;
        st = gather(in, &ev, &sorted);
    }
    double t3 = br_now_s();
    uint32_t fail_account = 0;
    if (st == BR_OK)
        st = run_pass(in, state, &ev, &sorted, &pidx, out, &fail_account);
    br_log(BR_LOG_DEBUG, "rate_stages",
           "pieces_s=%.3f sort_s=%.3f gather_s=%.3f pass_s=%.3f events=%zu", t1 - t0, t2 - t1,
           t3 - t2, br_now_s() - t3, ev.nevents);
    br_sort_output_free(&sorted);
    br_plan_index_free(&pidx);
    events_free(&ev);
    if (st == BR_ERR_OVERFLOW)
        return br_fail(err, st,
                       "an amount of account %s overflowed 63 bits while rating (a day's or "
                       "a balance's sum passes 2^63 e8; check that account's usage and orders)",
                       br_book_account_id(in->book, fail_account));
    if (st != BR_OK)
        return err->status == st ? st : br_fail(err, st, "rating failed: %s", br_status_str(st));
    return br_rate_recognise(in, state, in->as_of, out, err);
}
