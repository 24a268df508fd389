/* The journal and its posting rules (journal.h). */
#include "ledger/journal.h"

#include "core/chart.h"
#include "core/items.h"
#include "core/money.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest description: the arena copy is exact, this only bounds a format. */
#define DESC_MAX 4096

const char *br_entry_kind_str(enum br_entry_kind k)
{
    static const char *const n[BR_ENTRY_KIND_COUNT] = {"purchase",   "topup",       "payment",
                                                       "usage",      "recognition", "breakage",
                                                       "round_down", "adjustment"};
    BR_ASSERT((unsigned)k < BR_ENTRY_KIND_COUNT);
    return n[k];
}

void br_journal_init(struct br_journal *j, int64_t next_entry, int64_t next_transfer)
{
    memset(j, 0, sizeof(*j));
    j->next_entry = next_entry;
    j->next_transfer = next_transfer;
    br_strtab_init(&j->ids, (size_t)1 << 30);
    br_arena_init(&j->strings, 0);
}

void br_journal_free(struct br_journal *j)
{
    free(j->entries);
    free(j->transfers);
    br_strtab_free(&j->ids);
    br_arena_free(&j->strings);
    memset(j, 0, sizeof(*j));
}

/* The journal's own copy of an id (NULL stays NULL); false on exhaustion. */
static bool own_id(struct br_journal *j, const char *s, const char **out)
{
    *out = NULL;
    if (s == NULL)
        return true;
    uint32_t id;
    if (br_strtab_intern(&j->ids, s, strlen(s), &id) != BR_OK)
        return false;
    *out = br_strtab_get(&j->ids, id, NULL);
    return true;
}

enum br_status br_journal_entry(struct br_journal *j, const struct br_entry *e, int64_t *id,
                                const char *description_fmt, ...)
{
    char b[DESC_MAX];
    va_list ap;
    va_start(ap, description_fmt);
    int n = vsnprintf(b, sizeof(b), description_fmt, ap);
    va_end(ap);
    /* descriptions are built from ids of at most 128 bytes: a longer one,
     * or an empty one, is a bug */
    BR_ASSERT(n > 0);
    BR_ASSERT((size_t)n < sizeof(b));
    if (br_grow((void **)&j->entries, &j->entries_cap, j->nentries + 1, sizeof(*j->entries),
                (size_t)1 << 32) != BR_OK)
        return BR_ERR_NOMEM;
    struct br_entry x = *e;
    x.description = br_arena_strndup(&j->strings, b, (size_t)n);
    if (x.description == NULL || !own_id(j, e->account, &x.account) ||
        !own_id(j, e->order_id, &x.order_id))
        return BR_ERR_NOMEM;
    x.id = j->next_entry++;
    j->entries[j->nentries++] = x;
    *id = x.id;
    return BR_OK;
}

enum br_status br_journal_transfer(struct br_journal *j, int64_t entry, int dcode, const char *dsub,
                                   int ccode, const char *csub, int64_t amount_e8)
{
    BR_ASSERT(amount_e8 >= 0);
    BR_ASSERT(br_chart_find(dcode) != NULL);
    BR_ASSERT(br_chart_find(ccode) != NULL);
    if (amount_e8 == 0)
        return BR_OK;
    if (br_grow((void **)&j->transfers, &j->transfers_cap, j->ntransfers + 1, sizeof(*j->transfers),
                (size_t)1 << 32) != BR_OK)
        return BR_ERR_NOMEM;
    struct br_transfer t = {.id = j->next_transfer,
                            .entry = entry,
                            .debit_code = dcode,
                            .credit_code = ccode,
                            .amount_e8 = amount_e8};
    if (!own_id(j, dsub, &t.debit_sub) || !own_id(j, csub, &t.credit_sub))
        return BR_ERR_NOMEM;
    BR_ASSERT(t.debit_sub != NULL && t.credit_sub != NULL);
    j->next_transfer++;
    j->transfers[j->ntransfers++] = t;
    return BR_OK;
}

/* --- orders ------------------------------------------------------------------ */

static enum br_status post_order(struct br_journal *j, const struct br_journal_input *in,
                                 const struct br_order *o)
{
    const struct br_book *b = in->book;
    br_period own = br_period_of(&in->cal, o->order_time);
    br_period post = br_post_period(in->closed, in->nclosed, own);
    const char *acct = br_book_account_id(b, o->account);
    char money[32];
    br_e8_format(o->paid_e8, money, sizeof(money));
    struct br_entry e = {.period = post,
                         .effective_at = o->order_time,
                         .account = acct,
                         .item = -1,
                         .order_id = o->order_id,
                         .late = post != own};
    int64_t id;
    enum br_status st;
    switch (o->kind) {
    case BR_ORDER_PLAN:
        e.kind = BR_ENTRY_PURCHASE;
        st = br_journal_entry(j, &e, &id, "Plan purchase %s (%s %s) by %s, paid %s", o->order_id,
                              br_plan_type_str(o->plan_type), o->scope_text ? o->scope_text : "",
                              acct, money);
        return st == BR_OK ? br_journal_transfer(j, id, BR_ACC_CASH, acct, BR_ACC_LIABILITY,
                                                 o->order_id, o->paid_e8)
                           : st;
    case BR_ORDER_TOPUP:
        e.kind = BR_ENTRY_TOPUP;
        st = br_journal_entry(j, &e, &id, "Top-up %s by %s, %s", o->order_id, acct, money);
        return st == BR_OK
                   ? br_journal_transfer(j, id, BR_ACC_CASH, acct, BR_ACC_PREPAID, acct, o->paid_e8)
                   : st;
    case BR_ORDER_PAYMENT:
        e.kind = BR_ENTRY_PAYMENT;
        st = br_journal_entry(j, &e, &id, "Payment %s by %s, %s", o->order_id, acct, money);
        return st == BR_OK ? br_journal_transfer(j, id, BR_ACC_CASH, acct, BR_ACC_RECEIVABLE, acct,
                                                 o->paid_e8)
                           : st;
    case BR_ORDER_COUPON:
        break;
    }
    BR_UNREACHABLE();
}

static enum br_status post_orders(struct br_journal *j, const struct br_journal_input *in)
{
    const struct br_book *b = in->book;
    enum br_status st = BR_OK;
    for (size_t i = 0; i < b->norders && st == BR_OK; i++) {
        const struct br_order *o = &b->orders[i];
        /* a coupon is a grant: nothing is paid, its draws post at use */
        if (o->is_new && o->paid_e8 != 0 && o->kind != BR_ORDER_COUPON)
            st = post_order(j, in, o);
    }
    return st;
}

/* --- adjustments (corrections.md section 3) ------------------------------------ */

/* A credit: Dr adjustments (item) / Cr prepaid (customer); a debit: Dr
 * receivable (customer) / Cr adjustments (item). Posted in the period of
 * its time, or the first open period after it. */
static enum br_status post_adjustment(struct br_journal *j, const struct br_journal_input *in,
                                      const struct br_adjustment *a)
{
    br_period own = br_period_of(&in->cal, a->at);
    br_period post = br_post_period(in->closed, in->nclosed, own);
    const char *acct = br_book_account_id(in->book, a->account);
    const char *item = br_items[a->item].name;
    char money[32];
    br_e8_format(a->amount_e8, money, sizeof(money));
    struct br_entry e = {.period = post,
                         .effective_at = a->at,
                         .account = acct,
                         .kind = BR_ENTRY_ADJUSTMENT,
                         .item = (int)a->item,
                         .order_id = a->adjustment_id,
                         .late = post != own};
    int64_t id;
    enum br_status st =
        br_journal_entry(j, &e, &id, "%s %s to %s, %s %s%s%s",
                         a->credit ? "Credit note" : "Debit note", a->adjustment_id, acct, item,
                         money, a->invoice_no ? ", on " : "", a->invoice_no ? a->invoice_no : "");
    if (st != BR_OK)
        return st;
    if (a->credit)
        return br_journal_transfer(j, id, BR_ACC_ADJUSTMENTS, item, BR_ACC_PREPAID, acct,
                                   a->amount_e8);
    return br_journal_transfer(j, id, BR_ACC_RECEIVABLE, acct, BR_ACC_ADJUSTMENTS, item,
                               a->amount_e8);
}

static enum br_status post_adjustments(struct br_journal *j, const struct br_journal_input *in)
{
    enum br_status st = BR_OK;
    for (size_t i = 0; i < in->book->nadjustments && st == BR_OK; i++)
        if (in->book->adjustments[i].is_new)
            st = post_adjustment(j, in, &in->book->adjustments[i]);
    return st;
}

/* --- usage ------------------------------------------------------------------- */

/* The transfers of one usage line from its draws. */
static enum br_status usage_transfers(struct br_journal *j, const struct br_journal_input *in,
                                      int64_t id, const char *acct, int rev,
                                      const struct br_draw *d, size_t nd)
{
    const struct br_book *b = in->book;
    enum br_status st = BR_OK;
    for (size_t k = 0; k < nd && st == BR_OK; k++) {
        const char *order = d[k].order != BR_NO_ID ? b->orders[d[k].order].order_id : NULL;
        switch (d[k].source) {
        case BR_SRC_PLAN:
            st = br_journal_transfer(j, id, BR_ACC_LIABILITY, order, rev, acct, d[k].recognised_e8);
            break;
        case BR_SRC_COUPON:
            st = br_journal_transfer(j, id, BR_ACC_COUPONS, order, rev, acct, d[k].value_e8);
            break;
        case BR_SRC_BALANCE:
            st = br_journal_transfer(j, id, BR_ACC_PREPAID, acct, rev, acct, d[k].value_e8);
            break;
        case BR_SRC_OUTSTANDING:
            st = br_journal_transfer(j, id, BR_ACC_RECEIVABLE, acct, rev, acct, d[k].value_e8);
            break;
        case BR_SRC_FREE:
        case BR_SRC_COUNT:
            break; /* the free allowance posts nothing */
        }
    }
    return st;
}

static bool draws_post(const struct br_draw *d, size_t nd)
{
    for (size_t k = 0; k < nd; k++)
        if ((d[k].source == BR_SRC_PLAN && d[k].recognised_e8 > 0) ||
            (d[k].source > BR_SRC_PLAN && d[k].value_e8 > 0))
            return true;
    return false;
}

static enum br_status post_line(struct br_journal *j, const struct br_journal_input *in,
                                const struct br_line *l, const struct br_draw *d, size_t nd)
{
    const char *acct = br_book_account_id(in->book, l->account);
    char day[16], gross[32];
    br_day_format(l->day, day, sizeof(day));
    br_e8_format(l->gross_e8, gross, sizeof(gross));
    struct br_entry en = {.period = l->period,
                          .effective_at = br_day_start(&in->cal, l->day),
                          .account = acct,
                          .kind = BR_ENTRY_USAGE,
                          .item = (int)l->item,
                          .late = l->period != l->own_period};
    int64_t id;
    enum br_status st =
        br_journal_entry(j, &en, &id, "Usage of %s on %s by %s: %" PRIu64 " pieces, gross %s%s",
                         br_items[l->item].name, day, acct, l->pieces, gross,
                         l->period != l->own_period ? " (late: dated in a closed period)" : "");
    if (st == BR_OK)
        st = usage_transfers(j, in, id, acct, br_items[l->item].revenue_code, d, nd);
    return st;
}

static enum br_status post_usage(struct br_journal *j, const struct br_journal_input *in)
{
    const struct br_rate_result *r = in->rated;
    size_t k = 0;
    enum br_status st = BR_OK;
    for (size_t i = 0; i < r->nlines && st == BR_OK; i++) {
        const struct br_line *l = &r->lines[i];
        while (k < r->ndraws && br_rate_draw_before_line(&r->draws[k], l))
            k++;
        size_t e = k;
        while (e < r->ndraws && r->draws[e].account == l->account && r->draws[e].day == l->day &&
               r->draws[e].item == l->item)
            e++;
        if (draws_post(r->draws + k, e - k))
            st = post_line(j, in, l, r->draws + k, e - k);
        k = e;
    }
    return st;
}

/* --- recognition ----------------------------------------------------------------- */

/* The revenue account of a plan's first scope item (as written). */
static int first_scope_revenue(const struct br_order *o)
{
    if (o->scope_text != NULL && o->scope_text[0] != '*') {
        size_t n = strcspn(o->scope_text, "|");
        enum br_item item;
        if (br_item_parse(o->scope_text, n, &item))
            return br_items[item].revenue_code;
    }
    for (int i = 0; i < BR_ITEM_COUNT; i++)
        if (o->scope & (1u << i))
            return br_items[i].revenue_code;
    return br_items[0].revenue_code;
}

static enum br_status post_recog(struct br_journal *j, const struct br_journal_input *in,
                                 const struct br_recog *r)
{
    const struct br_book *b = in->book;
    const struct br_order *o = &b->orders[r->order];
    const char *acct = br_book_account_id(b, o->account);
    char at[40], money[32];
    br_time_format(r->effective_at, in->cal.offset_s, at, sizeof(at));
    br_e8_format(r->amount_e8, money, sizeof(money));
    struct br_entry e = {.period = r->period,
                         .effective_at = r->effective_at,
                         .account = acct,
                         .item = -1,
                         .order_id = o->order_id,
                         .late = r->period != r->own_period};
    int64_t id;
    enum br_status st;
    if (r->kind == BR_RECOG_STRAIGHT) {
        e.kind = BR_ENTRY_RECOGNITION;
        st = br_journal_entry(j, &e, &id, "Straight-line recognition of %s plan %s up to %s: %s",
                              br_plan_type_str(o->plan_type), o->order_id, at, money);
        if (st == BR_OK)
            st = br_journal_transfer(j, id, BR_ACC_LIABILITY, o->order_id, first_scope_revenue(o),
                                     acct, r->amount_e8);
        return st;
    }
    e.kind = BR_ENTRY_BREAKAGE;
    st = br_journal_entry(j, &e, &id, "Breakage of %s plan %s at expiry (last valid %s): %s",
                          br_plan_type_str(o->plan_type), o->order_id, at, money);
    if (st == BR_OK)
        st = br_journal_transfer(j, id, BR_ACC_LIABILITY, o->order_id, BR_ACC_BREAKAGE, o->order_id,
                                 r->amount_e8);
    return st;
}

static enum br_status post_recognition(struct br_journal *j, const struct br_journal_input *in)
{
    enum br_status st = BR_OK;
    for (size_t i = 0; i < in->rated->nrecogs && st == BR_OK; i++)
        if (in->rated->recogs[i].amount_e8 != 0)
            st = post_recog(j, in, &in->rated->recogs[i]);
    return st;
}

enum br_status br_journal_post(struct br_journal *j, const struct br_journal_input *in,
                               struct br_error *err)
{
    BR_ASSERT(br_rate_result_sorted(in->rated));
    enum br_status st = post_orders(j, in);
    if (st == BR_OK)
        st = post_adjustments(j, in);
    if (st == BR_OK)
        st = post_usage(j, in);
    if (st == BR_OK)
        st = post_recognition(j, in);
    if (st != BR_OK)
        return br_fail(err, st, "building the journal failed: %s", br_status_str(st));
    return BR_OK;
}

enum br_status br_journal_round_down(struct br_journal *j, br_period period, int64_t at,
                                     const char *account, const char *invoice_no, int64_t amount_e8,
                                     struct br_error *err)
{
    char money[32];
    br_e8_format(amount_e8, money, sizeof(money));
    struct br_entry e = {.period = period,
                         .effective_at = at,
                         .account = account,
                         .kind = BR_ENTRY_ROUND_DOWN,
                         .item = -1,
                         .order_id = invoice_no};
    int64_t id;
    enum br_status st = br_journal_entry(j, &e, &id, "Round-down discount on %s of %s: %s",
                                         invoice_no, account, money);
    if (st == BR_OK)
        st = br_journal_transfer(j, id, BR_ACC_ROUND_DOWN, account, BR_ACC_RECEIVABLE, account,
                                 amount_e8);
    if (st != BR_OK)
        return br_fail(err, st, "out of memory posting the round-down of %s", invoice_no);
    return BR_OK;
}
