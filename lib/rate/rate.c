/* Rating orchestration: pieces and prices (parallel over rows), the sort,
 * the waterfall pass (parallel over accounts), recognition and expiries. */
#include "rate/rate.h"

#include "core/log.h"
#include "core/money.h"
#include "rate/piece.h"
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

static int line_cmp(const void *pa, const void *pb)
{
    const struct br_line *a = pa, *b = pb;
    if (a->account != b->account)
        return a->account < b->account ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return (int)a->item - (int)b->item;
}

static int draw_cmp(const void *pa, const void *pb)
{
    const struct br_draw *a = pa, *b = pb;
    if (a->account != b->account)
        return a->account < b->account ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    if (a->item != b->item)
        return (int)a->item - (int)b->item;
    if (a->source != b->source)
        return (int)a->source - (int)b->source;
    return a->order < b->order ? -1 : a->order > b->order;
}

void br_rate_result_sort(struct br_rate_result *r)
{
    if (br_rate_result_sorted(r))
        return;
    qsort(r->lines, r->nlines, sizeof(*r->lines), line_cmp);
    qsort(r->draws, r->ndraws, sizeof(*r->draws), draw_cmp);
}

bool br_rate_result_sorted(const struct br_rate_result *r)
{
    for (size_t i = 1; i < r->nlines; i++)
        if (line_cmp(&r->lines[i - 1], &r->lines[i]) > 0)
            return false;
    for (size_t i = 1; i < r->ndraws; i++)
        if (draw_cmp(&r->draws[i - 1], &r->draws[i]) > 0)
            return false;
    return true;
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

/* One thread's share of the rows. Counting gives, per account, the pieces
 * of its rows; filling writes each piece straight to its account's segment
 * of the event array (rows in input order, this thread's after those of the
 * threads before it), so no separate scatter or gather is needed. */
struct prep {
    const struct br_rate_input *in;
    size_t r0, r1;  /* rows of this thread */
    uint32_t *next; /* per account: pieces (count), then next position (fill) */
    uint64_t total; /* pieces of the thread's rows */
    struct br_event *ev;
    uint8_t *row_bad;
    int64_t tmin;
    struct br_rated_span *spans;
    size_t nspans, spans_cap, compact_at;
    enum br_status st;
};

static int span_cmp(const void *a, const void *b)
{
    const struct br_rated_span *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->hour_from < y->hour_from ? -1 : x->hour_from > y->hour_from;
}

/* Sorts spans by key and start and merges those that overlap or touch: the
 * smallest set of ranges covering the same hours of each key, whatever the
 * order they came in. Returns the new count. */
size_t br_spans_merge(struct br_rated_span *sp, size_t n)
{
    if (n < 2)
        return n;
    qsort(sp, n, sizeof(*sp), span_cmp);
    size_t w = 0;
    for (size_t i = 1; i < n; i++) {
        struct br_rated_span *o = &sp[w];
        if (sp[i].key == o->key && sp[i].hour_from <= o->hour_to + 1) {
            if (sp[i].hour_to > o->hour_to)
                o->hour_to = sp[i].hour_to;
        } else {
            sp[++w] = sp[i];
        }
    }
    return w + 1;
}

/* Merges a thread's spans when they have doubled since the last merge, so
 * that rows in no particular order (each meeting the last span of its key
 * nowhere) cost amortised O(log n) each and the list stays as small as the
 * hours it covers; last[] then points at each key's latest span again. */
static void spans_compact(struct prep *p, size_t *last, size_t nkeys)
{
    p->nspans = br_spans_merge(p->spans, p->nspans);
    for (size_t k = 0; k < nkeys; k++)
        last[k] = SIZE_MAX;
    for (size_t i = 0; i < p->nspans; i++)
        last[p->spans[i].key] = i; /* sorted: the key's latest start */
    p->compact_at = p->nspans * 2 > 4096 ? p->nspans * 2 : 4096;
}

static void span_add(struct prep *p, uint16_t key, int64_t h0, int64_t h1, size_t *last,
                     size_t nkeys)
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
    if (p->nspans >= p->compact_at) {
        spans_compact(p, last, nkeys);
        if (last[key] != SIZE_MAX) { /* the merge may have made room in the key's latest */
            struct br_rated_span *s = &p->spans[last[key]];
            if (h0 <= s->hour_to + 1 && h1 >= s->hour_from - 1) {
                if (h0 < s->hour_from)
                    s->hour_from = h0;
                if (h1 > s->hour_to)
                    s->hour_to = h1;
                return;
            }
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

static void *prep_count(void *arg)
{
    struct prep *p = arg;
    const struct br_usage *u = p->in->usage;
    uint64_t total = 0;
    const uint8_t *skip = p->in->skip_rows;
    for (size_t r = p->r0; r < p->r1; r++) {
        if (skip != NULL && skip[r])
            continue;
        uint32_t n = br_piece_count(u, r, br_usage_t(u, r));
        p->next[u->account[r]] += n;
        total += n;
    }
    p->total = total;
    return NULL;
}

/* Fills the pieces of rows [r0, r1): prices and sort keys; flags rows with
 * an unpriced piece or a gross too large for 63 bits. */
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
        if (r + 16 < p->r1) /* rows go to scattered accounts: fetch ahead where they land */
            __builtin_prefetch(p->ev + p->next[u->account[r + 16]], 1);
        if (p->in->skip_rows != NULL && p->in->skip_rows[r])
            continue;
        int64_t t0 = br_usage_t(u, r);
        uint32_t n = br_piece_count(u, r, t0);
        if (n == 0)
            continue;
        uint16_t key = u->key[r];
        enum br_item item = u->keys[key].item;
        uint64_t divisor = br_items[item].price_divisor;
        uint8_t bad = 0; /* 1: a piece without a price, 2: a gross beyond 63 bits */
        int64_t tlast = t0;
        struct br_event *ev = p->ev + p->next[u->account[r]];
        p->next[u->account[r]] += n;
        for (uint32_t s = 0; s < n; s++) {
            int64_t t;
            uint64_t qty;
            br_piece_at(u, r, s, t0, &t, &qty);
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
            ev[s] = (struct br_event){((uint64_t)(t - p->tmin) << 1) | 1u, qty, pr, (uint32_t)r};
            tlast = t;
        }
        p->row_bad[r] = bad;
        for (uint32_t s = 0; bad && s < n; s++)
            ev[s].price = BR_EV_SKIP; /* the row is rejected whole */
        if (!bad)
            span_add(p, key, br_floor_div(t0, BR_HOUR_S), br_floor_div(tlast, BR_HOUR_S), last,
                     u->nkeys);
    }
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

/* All events, grouped by account: account a's are ev[off[a], off[a + 1]). */
struct events {
    size_t npieces, nevents;
    struct br_event *ev;
    size_t *off;
    int64_t tmin;
    uint32_t *topups;
    size_t ntopups;
    uint8_t *row_bad;
};

static void events_free(struct events *ev)
{
    free(ev->ev);
    free(ev->off);
    free(ev->topups);
    free(ev->row_bad);
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
        int64_t t = br_credit_time(in->book, ev->topups[i]);
        if (t < tmin)
            tmin = t;
    }
    return tmin;
}

static enum br_status collect_topups(const struct br_rate_input *in, struct events *ev)
{
    const struct br_book *b = in->book;
    BR_ASSERT(b->nadjustments < BR_CREDIT_ADJ);
    ev->topups = br_mallocn(b->norders + b->nadjustments + 1, sizeof(*ev->topups));
    if (ev->topups == NULL)
        return BR_ERR_NOMEM;
    for (size_t i = 0; i < b->norders; i++)
        if ((b->orders[i].is_new || b->orders[i].recredit) && b->orders[i].kind == BR_ORDER_TOPUP)
            ev->topups[ev->ntopups++] = (uint32_t)i;
    for (size_t i = 0; i < b->nadjustments; i++) {
        const struct br_adjustment *a = &b->adjustments[i];
        if ((a->is_new || a->recredit) && a->credit)
            ev->topups[ev->ntopups++] = BR_CREDIT_ADJ | (uint32_t)i;
    }
    return BR_OK;
}

/* Lays out account segments: per account, each thread's pieces, then the
 * account's top-ups; turns the threads' counts into their first positions. */
static enum br_status layout(const struct br_rate_input *in, struct events *ev, struct prep *pr,
                             int nt, struct br_error *err)
{
    size_t na = br_book_naccounts(in->book);
    uint32_t *ntop = br_calloc(na + 1, sizeof(*ntop));
    ev->off = br_calloc(na + 1, sizeof(*ev->off));
    if (ntop == NULL || ev->off == NULL) {
        free(ntop);
        return br_fail(err, BR_ERR_NOMEM, "out of memory laying out pieces");
    }
    for (size_t i = 0; i < ev->ntopups; i++)
        ntop[br_credit_account(in->book, ev->topups[i])]++;
    uint64_t pos = 0;
    for (size_t a = 0; a < na; a++) {
        ev->off[a] = pos;
        for (int t = 0; t < nt; t++) {
            uint32_t c = pr[t].next[a];
            pr[t].next[a] = (uint32_t)pos;
            pos += c;
        }
        pos += ntop[a];
        if (pos >= UINT32_MAX) {
            free(ntop);
            return br_fail(err, BR_ERR_NOMEM, "more than 2^32 pieces in one run");
        }
    }
    ev->off[na] = pos;
    ev->nevents = pos;
    ev->npieces = pos - ev->ntopups;
    free(ntop);
    return BR_OK;
}

static enum br_status build_events(const struct br_rate_input *in, struct events *ev,
                                   struct br_rate_result *out, struct br_error *err)
{
    const struct br_usage *u = in->usage;
    size_t na = br_book_naccounts(in->book);
    int nt = thread_count(in);
    struct prep pr[16];
    memset(ev, 0, sizeof(*ev));
    memset(pr, 0, sizeof(pr));
    ev->row_bad = br_calloc(u->n + 1, 1);
    if (ev->row_bad == NULL || collect_topups(in, ev) != BR_OK)
        return br_fail(err, BR_ERR_NOMEM, "out of memory building pieces");
    enum br_status st = BR_OK;
    for (int i = 0; i < nt; i++) {
        pr[i] = (struct prep){.in = in,
                              .r0 = u->n * (size_t)i / (size_t)nt,
                              .r1 = u->n * (size_t)(i + 1) / (size_t)nt,
                              .next = br_calloc(na + 1, sizeof(uint32_t)),
                              .row_bad = ev->row_bad};
        if (pr[i].next == NULL)
            st = BR_ERR_NOMEM;
    }
    if (st == BR_OK) {
        run_threads(prep_count, pr, sizeof(pr[0]), nt);
        uint64_t total = ev->ntopups;
        for (int i = 0; i < nt; i++)
            total += pr[i].total;
        if (total >= UINT32_MAX)
            st = br_fail(err, BR_ERR_NOMEM, "more than 2^32 pieces in one run");
    } else {
        st = br_fail(err, st, "out of memory counting pieces");
    }
    if (st == BR_OK)
        st = layout(in, ev, pr, nt, err);
    if (st == BR_OK) {
        ev->ev = br_mallocn(ev->nevents ? ev->nevents : 1, sizeof(*ev->ev));
        if (ev->ev == NULL)
            st = br_fail(err, BR_ERR_NOMEM, "out of memory for %zu pieces", ev->nevents);
    }
    if (st == BR_OK) {
        ev->tmin = min_time(in, ev);
        for (int i = 0; i < nt; i++) {
            pr[i].ev = ev->ev;
            pr[i].tmin = ev->tmin;
        }
        run_threads(prep_fill, pr, sizeof(pr[0]), nt);
        for (int i = 0; i < nt; i++) {
            if (st == BR_OK && pr[i].st != BR_OK)
                st = br_fail(err, pr[i].st, "out of memory pricing pieces");
            if (st == BR_OK && append((void **)&out->spans, &out->nspans, pr[i].spans, pr[i].nspans,
                                      sizeof(*out->spans)) != BR_OK)
                st = br_fail(err, BR_ERR_NOMEM, "out of memory pricing pieces");
        }
        /* the threads' spans of a key may meet: one set, in one order,
         * whatever the number of threads */
        if (st == BR_OK)
            out->nspans = br_spans_merge(out->spans, out->nspans);
    }
    if (st == BR_OK) { /* balance credits after the pieces of their account */
        for (size_t i = 0; i < ev->ntopups; i++) {
            uint32_t c = ev->topups[i];
            uint32_t *next = &pr[nt - 1].next[br_credit_account(in->book, c)];
            ev->ev[(*next)++] =
                (struct br_event){(uint64_t)(br_credit_time(in->book, c) - ev->tmin) << 1, i,
                                  BR_EV_TOPUP, BR_EV_NO_ROW};
        }
    }
    for (int i = 0; i < nt; i++) {
        free(pr[i].next);
        free(pr[i].spans);
    }
    return st;
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

/* One thread's accounts [a0, a1): each one's events sorted, then rated. */
struct pass_arg {
    struct br_pass pass;
    const struct events *ev;
    struct br_sort_ctx sort;
    uint32_t a0, a1;
};

static void *pass_thread(void *arg)
{
    struct pass_arg *pa = arg;
    const struct events *ev = pa->ev;
    struct br_sort_scratch tmp = {0};
    for (uint32_t a = pa->a0; a < pa->a1 && pa->pass.st == BR_OK; a++) {
        size_t from = ev->off[a], to = ev->off[a + 1];
        if (from == to)
            continue;
        if (br_sort_events(&pa->sort, ev->ev + from, to - from, &tmp) != BR_OK) {
            pa->pass.st = BR_ERR_NOMEM;
            pa->pass.account = a;
            break;
        }
        br_pass_account(&pa->pass, a, from, to);
    }
    br_sort_scratch_free(&tmp);
    return NULL;
}

/* Puts a thread's changed entries into the state's map, marked dirty (to
 * persist). Threads rate different accounts, so they never share a key. */
static enum br_status merge_closed(struct br_map *dst, const struct br_closed_entry *src, size_t n)
{
    if (br_map_reserve(dst, dst->n + n) != BR_OK)
        return BR_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct br_map_entry *d = br_map_put(dst, src[i].a, src[i].b);
        if (d == NULL)
            return BR_ERR_NOMEM;
        d->value = src[i].value;
        d->dirty = true;
    }
    return BR_OK;
}

static enum br_status run_pass(const struct br_rate_input *in, struct br_rate_state *state,
                               const struct events *ev, const struct br_plan_index *pidx,
                               struct br_rate_result *out, uint32_t *fail_account)
{
    int nt = thread_count(in);
    struct pass_arg pa[16];
    size_t na = br_book_naccounts(in->book);
    uint32_t a = 0;
    for (int i = 0; i < nt; i++) {
        pa[i].ev = ev;
        pa[i].sort = (struct br_sort_ctx){in->book, in->usage, ev->topups};
        pa[i].a0 = a;
        size_t goal = ev->nevents * (size_t)(i + 1) / (size_t)nt;
        while (a < na && (i == nt - 1 || ev->off[a] < goal))
            a++;
        pa[i].a1 = a;
        struct br_sorted_events se = {ev->ev, ev->tmin, ev->topups};
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
            st = merge_closed(&state->buckets, p->closed_buckets, p->nclosed_buckets);
        if (st == BR_OK)
            st = merge_closed(&state->allowance, p->closed_allow, p->nclosed_allow);
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
    double t2 = br_now_s();
    uint32_t fail_account = 0;
    if (st == BR_OK)
        st = run_pass(in, state, &ev, &pidx, out, &fail_account);
    br_log(BR_LOG_DEBUG, "rate_stages",
           "pieces_s=%.3f index_s=%.3f sort_and_pass_s=%.3f events=%zu", t1 - t0, t2 - t1,
           br_now_s() - t2, ev.nevents);
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
