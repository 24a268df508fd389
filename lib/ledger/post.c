/* Building and writing a batch. */
#include "ledger/post.h"

#include "core/btime.h"
#include "core/log.h"
#include "core/money.h"
#include "core/sha256.h"
#include "ingest/csvread.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_CASH 1000
#define CODE_AR 1100
#define CODE_PREPAID 2100
#define CODE_LIABILITY 2200
#define CODE_BREAKAGE 4800
#define CODE_COUPONS 4900

const char *br_entry_kind_str(enum br_entry_kind k)
{
    static const char *const n[] = {"purchase",    "topup",    "payment",   "usage",
                                    "recognition", "breakage", "round_down"};
    return (unsigned)k < 7 ? n[k] : "?";
}

void br_journal_init(struct br_journal *j, int64_t next_entry, int64_t next_transfer)
{
    memset(j, 0, sizeof(*j));
    j->next_entry = next_entry;
    j->next_transfer = next_transfer;
    br_arena_init(&j->arena, 0);
}

void br_journal_free(struct br_journal *j)
{
    free(j->entries);
    free(j->transfers);
    br_arena_free(&j->arena);
    memset(j, 0, sizeof(*j));
}

int64_t br_journal_entry(struct br_journal *j, const struct br_entry *e)
{
    if (br_grow((void **)&j->entries, &j->entries_cap, j->nentries + 1, sizeof(*j->entries),
                (size_t)1 << 32) != BR_OK)
        return 0;
    struct br_entry *x = &j->entries[j->nentries++];
    *x = *e;
    x->id = j->next_entry++;
    return x->id;
}

enum br_status br_journal_transfer(struct br_journal *j, int64_t entry, int dcode, const char *dsub,
                                   int ccode, const char *csub, int64_t amount_e8)
{
    BR_ASSERT(amount_e8 >= 0);
    if (amount_e8 == 0)
        return BR_OK;
    enum br_status st = br_grow((void **)&j->transfers, &j->transfers_cap, j->ntransfers + 1,
                                sizeof(*j->transfers), (size_t)1 << 32);
    if (st != BR_OK)
        return st;
    j->transfers[j->ntransfers++] = (struct br_transfer){.id = j->next_transfer++,
                                                         .entry = entry,
                                                         .debit_code = dcode,
                                                         .debit_sub = dsub,
                                                         .credit_code = ccode,
                                                         .credit_sub = csub,
                                                         .amount_e8 = amount_e8};
    return BR_OK;
}

static void copy_period(struct br_copy *c, br_period p)
{
    char b[16];
    size_t n = br_period_format(p, b, sizeof(b));
    br_copy_text(c, b, n);
}

static void copy_day(struct br_copy *c, int64_t day)
{
    char b[16];
    size_t n = br_day_format(day, b, sizeof(b));
    br_copy_text(c, b, n);
}

enum br_status br_journal_write(struct br_journal *j, struct br_db *db, int64_t batch_id,
                                struct br_calendar cal, struct br_error *err)
{
    (void)cal;
    struct br_copy c;
    enum br_status st = br_copy_begin(
        &c, db,
        "COPY ledger.entries (entry_id, batch_id, period, effective_at, account_id, kind, item, "
        "order_id, late, description) FROM STDIN",
        err);
    for (size_t i = 0; st == BR_OK && i < j->nentries; i++) {
        const struct br_entry *e = &j->entries[i];
        br_copy_i64(&c, e->id);
        br_copy_sep(&c);
        br_copy_i64(&c, batch_id);
        br_copy_sep(&c);
        copy_period(&c, e->period);
        br_copy_sep(&c);
        br_copy_time(&c, e->effective_at);
        br_copy_sep(&c);
        br_copy_str(&c, e->account);
        br_copy_sep(&c);
        br_copy_str(&c, br_entry_kind_str(e->kind));
        br_copy_sep(&c);
        br_copy_str(&c, e->item >= 0 ? br_items[e->item].name : NULL);
        br_copy_sep(&c);
        br_copy_str(&c, e->order_id);
        br_copy_sep(&c);
        br_copy_bool(&c, e->late);
        br_copy_sep(&c);
        br_copy_str(&c, e->description);
        br_copy_end_row(&c);
    }
    if (st == BR_OK)
        st = br_copy_finish(&c, err);
    if (st == BR_OK)
        st = br_copy_begin(&c, db,
                           "COPY ledger.transfers (transfer_id, entry_id, debit_code, debit_sub, "
                           "credit_code, credit_sub, amount_e8) FROM STDIN",
                           err);
    for (size_t i = 0; st == BR_OK && i < j->ntransfers; i++) {
        const struct br_transfer *t = &j->transfers[i];
        br_copy_i64(&c, t->id);
        br_copy_sep(&c);
        br_copy_i64(&c, t->entry);
        br_copy_sep(&c);
        br_copy_i64(&c, t->debit_code);
        br_copy_sep(&c);
        br_copy_str(&c, t->debit_sub);
        br_copy_sep(&c);
        br_copy_i64(&c, t->credit_code);
        br_copy_sep(&c);
        br_copy_str(&c, t->credit_sub);
        br_copy_sep(&c);
        br_copy_i64(&c, t->amount_e8);
        br_copy_end_row(&c);
    }
    if (st == BR_OK)
        st = br_copy_finish(&c, err);
    return st;
}

/* --- building the journal ------------------------------------------------ */

static const char *fmt(struct br_journal *j, const char *f, ...)
    __attribute__((format(printf, 2, 3)));

static const char *fmt(struct br_journal *j, const char *f, ...)
{
    char b[512];
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(b, sizeof(b), f, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(b))
        n = sizeof(b) - 1;
    const char *s = br_arena_strndup(&j->arena, b, (size_t)n);
    return s ? s : "";
}

static enum br_status post_orders(const struct br_post_input *in, struct br_journal *j)
{
    const struct br_book *b = in->book;
    for (size_t i = 0; i < b->norders; i++) {
        const struct br_order *o = &b->orders[i];
        if (!o->is_new || o->paid_e8 == 0 || o->kind == BR_ORDER_COUPON)
            continue;
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
        int dcode = CODE_CASH, ccode;
        const char *csub = acct;
        if (o->kind == BR_ORDER_PLAN) {
            e.kind = BR_ENTRY_PURCHASE;
            e.description = fmt(j, "Plan purchase %s (%s %s) by %s, paid %s", o->order_id,
                                br_plan_type_str(o->plan_type), o->scope_text ? o->scope_text : "",
                                acct, money);
            ccode = CODE_LIABILITY;
            csub = o->order_id;
        } else if (o->kind == BR_ORDER_TOPUP) {
            e.kind = BR_ENTRY_TOPUP;
            e.description = fmt(j, "Top-up %s by %s, %s", o->order_id, acct, money);
            ccode = CODE_PREPAID;
        } else {
            e.kind = BR_ENTRY_PAYMENT;
            e.description = fmt(j, "Payment %s by %s, %s", o->order_id, acct, money);
            ccode = CODE_AR;
        }
        int64_t id = br_journal_entry(j, &e);
        if (id == 0)
            return BR_ERR_NOMEM;
        enum br_status st = br_journal_transfer(j, id, dcode, acct, ccode, csub, o->paid_e8);
        if (st != BR_OK)
            return st;
    }
    return BR_OK;
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

static bool rated_in_order(const struct br_rate_result *r)
{
    for (size_t i = 1; i < r->nlines; i++)
        if (line_cmp(&r->lines[i - 1], &r->lines[i]) > 0)
            return false;
    for (size_t i = 1; i < r->ndraws; i++)
        if (draw_cmp(&r->draws[i - 1], &r->draws[i]) > 0)
            return false;
    return true;
}

void br_post_order_rated(struct br_rate_result *r)
{
    if (r->nlines > 1)
        qsort(r->lines, r->nlines, sizeof(*r->lines), line_cmp);
    if (r->ndraws > 1)
        qsort(r->draws, r->ndraws, sizeof(*r->draws), draw_cmp);
}

/* The transfers of one usage line from its draws. */
static enum br_status usage_transfers(const struct br_post_input *in, struct br_journal *j,
                                      int64_t id, const char *acct, int rev,
                                      const struct br_draw *d, size_t nd)
{
    const struct br_book *b = in->book;
    enum br_status st = BR_OK;
    for (size_t k = 0; k < nd && st == BR_OK; k++) {
        const char *order = d[k].order != BR_NO_ID ? b->orders[d[k].order].order_id : NULL;
        switch (d[k].source) {
        case BR_SRC_PLAN:
            st = br_journal_transfer(j, id, CODE_LIABILITY, order, rev, acct, d[k].recognised_e8);
            break;
        case BR_SRC_COUPON:
            st = br_journal_transfer(j, id, CODE_COUPONS, order, rev, acct, d[k].value_e8);
            break;
        case BR_SRC_BALANCE:
            st = br_journal_transfer(j, id, CODE_PREPAID, acct, rev, acct, d[k].value_e8);
            break;
        case BR_SRC_OUTSTANDING:
            st = br_journal_transfer(j, id, CODE_AR, acct, rev, acct, d[k].value_e8);
            break;
        default:
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

static enum br_status post_usage(const struct br_post_input *in, struct br_journal *j)
{
    /* in order already when run.c called br_post_order_rated: then only
     * read, as br_post_write_facts may be reading them on another thread */
    if (!rated_in_order(in->rated))
        br_post_order_rated((struct br_rate_result *)in->rated);
    const struct br_rate_result *r = in->rated;
    size_t k = 0;
    for (size_t i = 0; i < r->nlines; i++) {
        const struct br_line *l = &r->lines[i];
        while (k < r->ndraws && line_cmp(&r->draws[k], l) < 0)
            k++; /* struct br_draw starts like struct br_line: account, period.., day, item */
        size_t e = k;
        while (e < r->ndraws && r->draws[e].account == l->account && r->draws[e].day == l->day &&
               r->draws[e].item == l->item)
            e++;
        if (!draws_post(r->draws + k, e - k)) {
            k = e;
            continue;
        }
        const char *acct = br_book_account_id(in->book, l->account);
        char day[16], gross[32];
        br_day_format(l->day, day, sizeof(day));
        br_e8_format(l->gross_e8, gross, sizeof(gross));
        struct br_entry en = {
            .period = l->period,
            .effective_at = br_day_start(&in->cal, l->day),
            .account = acct,
            .kind = BR_ENTRY_USAGE,
            .item = (int)l->item,
            .late = l->period != l->own_period,
            .description =
                fmt(j, "Usage of %s on %s by %s: %" PRIu64 " pieces, gross %s%s",
                    br_items[l->item].name, day, acct, l->pieces, gross,
                    l->period != l->own_period ? " (late: dated in a closed period)" : ""),
        };
        int64_t id = br_journal_entry(j, &en);
        if (id == 0)
            return BR_ERR_NOMEM;
        enum br_status st =
            usage_transfers(in, j, id, acct, br_items[l->item].revenue_code, r->draws + k, e - k);
        if (st != BR_OK)
            return st;
        k = e;
    }
    return BR_OK;
}

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

static enum br_status post_recognition(const struct br_post_input *in, struct br_journal *j)
{
    const struct br_book *b = in->book;
    for (size_t i = 0; i < in->rated->nrecogs; i++) {
        const struct br_recog *r = &in->rated->recogs[i];
        if (r->amount_e8 == 0)
            continue;
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
        int ccode;
        const char *csub;
        if (r->kind == BR_RECOG_STRAIGHT) {
            e.kind = BR_ENTRY_RECOGNITION;
            e.description = fmt(j, "Straight-line recognition of %s plan %s up to %s: %s",
                                br_plan_type_str(o->plan_type), o->order_id, at, money);
            ccode = first_scope_revenue(o);
            csub = acct;
        } else {
            e.kind = BR_ENTRY_BREAKAGE;
            e.description = fmt(j, "Breakage of %s plan %s at expiry (last valid %s): %s",
                                br_plan_type_str(o->plan_type), o->order_id, at, money);
            ccode = CODE_BREAKAGE;
            csub = o->order_id;
        }
        int64_t id = br_journal_entry(j, &e);
        if (id == 0)
            return BR_ERR_NOMEM;
        enum br_status st =
            br_journal_transfer(j, id, CODE_LIABILITY, o->order_id, ccode, csub, r->amount_e8);
        if (st != BR_OK)
            return st;
    }
    return BR_OK;
}

enum br_status br_post_build(const struct br_post_input *in, struct br_journal *j,
                             struct br_error *err)
{
    enum br_status st = post_orders(in, j);
    if (st == BR_OK)
        st = post_usage(in, j);
    if (st == BR_OK)
        st = post_recognition(in, j);
    if (st != BR_OK)
        return br_fail(err, st, "building the journal failed: %s", br_status_str(st));
    return BR_OK;
}

/* --- facts ---------------------------------------------------------------- */

enum br_status br_next_id(struct br_db *db, const char *table, const char *column, int64_t *out,
                          struct br_error *err)
{
    char sql[200];
    snprintf(sql, sizeof(sql), "SELECT coalesce(max(%s), 0) + 1 FROM %s", column, table);
    return br_db_int64(db, sql, 0, NULL, 1, out, err);
}

static const char *const file_status_names[] = {"applied", "refused", "skipped"};

static enum br_status write_files(struct br_db *db, const struct br_post_input *in,
                                  struct br_error *err)
{
    int64_t next;
    enum br_status st = br_next_id(db, "billing.files", "file_id", &next, err);
    struct br_copy c;
    if (st == BR_OK)
        st = br_copy_begin(&c, db,
                           "COPY billing.files (file_id, batch_id, name, sha256, size_bytes, kind, "
                           "status, reason, detail, rows, accepted, rejected) FROM STDIN",
                           err);
    for (size_t i = 0; st == BR_OK && i < in->ing->nfiles; i++) {
        const struct br_ingest_file *f = &in->ing->files[i];
        in->file_ids[i] = 0;
        if (f->status == BR_FILE_SKIPPED || f->status == BR_FILE_REFUSED_BEFORE)
            continue;
        in->file_ids[i] = next++;
        br_copy_i64(&c, in->file_ids[i]);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_str(&c, f->name);
        br_copy_sep(&c);
        br_copy_bytea(&c, f->sha256, 32);
        br_copy_sep(&c);
        br_copy_i64(&c, (int64_t)f->bytes);
        br_copy_sep(&c);
        br_copy_str(&c, f->reprocess ? "reprocess" : br_kind_str(f->kind));
        br_copy_sep(&c);
        br_copy_str(&c, file_status_names[f->status]);
        br_copy_sep(&c);
        br_copy_str(&c, f->status == BR_FILE_REFUSED ? br_reason_str(f->reason) : NULL);
        br_copy_sep(&c);
        br_copy_str(&c, f->status == BR_FILE_REFUSED ? f->detail : NULL);
        br_copy_sep(&c);
        br_copy_i64(&c, (int64_t)f->rows);
        br_copy_sep(&c);
        br_copy_i64(&c, (int64_t)f->accepted);
        br_copy_sep(&c);
        br_copy_i64(&c, (int64_t)f->rejected);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

/* Raw bytes as readable text: invalid UTF-8 and NUL become \xNN. */
static void copy_raw_text(struct br_copy *c, const char *raw, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && (unsigned char)raw[j] < 0x80 && raw[j] != 0)
            j++;
        br_copy_text(c, raw + i, j - i);
        if (j >= n)
            break;
        /* a non-ASCII sequence: keep it if valid, else escape a byte */
        unsigned char b0 = (unsigned char)raw[j];
        size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1;
        if (b0 != 0 && len > 1 && j + len <= n &&
            br_utf8_valid((const unsigned char *)raw + j, len)) {
            br_copy_text(c, raw + j, len);
            i = j + len;
        } else {
            char esc[8];
            snprintf(esc, sizeof(esc), "\\x%02X", b0);
            br_copy_text(c, esc, 4);
            i = j + 1;
        }
    }
}

static enum br_status write_rejects(struct br_db *db, const struct br_post_input *in,
                                    struct br_error *err)
{
    int64_t next;
    enum br_status st = br_next_id(db, "billing.reject_rows", "reject_id", &next, err);
    struct br_copy c;
    if (st == BR_OK)
        st = br_copy_begin(&c, db,
                           "COPY billing.reject_rows (reject_id, batch_id, file_id, line, reason, "
                           "raw, raw_bytes, truncated) FROM STDIN",
                           err);
    for (size_t i = 0; st == BR_OK && i < in->ing->nrejects; i++) {
        const struct br_reject *r = &in->ing->rejects[i];
        if (r->origin_id != 0)
            continue;
        br_copy_i64(&c, next++);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_i64(&c, in->file_ids[r->file]);
        br_copy_sep(&c);
        br_copy_i64(&c, (int64_t)r->line);
        br_copy_sep(&c);
        br_copy_str(&c, br_reason_str(r->reason));
        br_copy_sep(&c);
        copy_raw_text(&c, r->raw, r->raw_len);
        br_copy_sep(&c);
        br_copy_bytea(&c, r->raw, r->raw_len);
        br_copy_sep(&c);
        br_copy_bool(&c, r->raw_truncated);
        br_copy_end_row(&c);
    }
    if (st == BR_OK)
        st = br_copy_finish(&c, err);
    /* reprocessing outcomes */
    if (st == BR_OK)
        st = br_copy_begin(&c, db,
                           "COPY billing.reject_outcomes (reject_id, batch_id, outcome, reason) "
                           "FROM STDIN",
                           err);
    for (size_t i = 0; st == BR_OK && i < in->ing->nrejects; i++) {
        const struct br_reject *r = &in->ing->rejects[i];
        if (r->origin_id == 0 || r->unchanged)
            continue;
        br_copy_i64(&c, r->origin_id);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_str(&c, "rejected");
        br_copy_sep(&c);
        br_copy_str(&c, br_reason_str(r->reason));
        br_copy_end_row(&c);
    }
    for (size_t i = 0; st == BR_OK && i < in->ing->naccepted_origins; i++) {
        br_copy_i64(&c, in->ing->accepted_origins[i]);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_str(&c, "rated");
        br_copy_sep(&c);
        br_copy_null(&c);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

static enum br_status write_accounts(struct br_db *db, const struct br_post_input *in,
                                     struct br_error *err)
{
    const struct br_book *b = in->book;
    struct br_copy c;
    enum br_status st = br_copy_begin(&c, db,
                                      "COPY billing.account_versions (account_id, batch_id, "
                                      "file_id, line, name, address, tax_id, email) FROM STDIN",
                                      err);
    for (size_t a = 0; st == BR_OK && a < br_book_naccounts(b); a++) {
        const struct br_account *x = &b->accounts[a];
        if (!x->changed)
            continue;
        br_copy_str(&c, br_book_account_id(b, (uint32_t)a));
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_i64(&c, in->file_ids[x->file]);
        br_copy_sep(&c);
        br_copy_i64(&c, x->line);
        br_copy_sep(&c);
        br_copy_str(&c, x->name);
        br_copy_sep(&c);
        br_copy_str(&c, x->address);
        br_copy_sep(&c);
        br_copy_str(&c, x->tax_id);
        br_copy_sep(&c);
        br_copy_str(&c, x->email);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

static void copy_opt_i64(struct br_copy *c, bool present, int64_t v)
{
    if (present)
        br_copy_i64(c, v);
    else
        br_copy_null(c);
}

static enum br_status write_prices(struct br_db *db, const struct br_post_input *in,
                                   struct br_error *err)
{
    const struct br_book *b = in->book;
    int64_t next;
    enum br_status st = br_next_id(db, "billing.prices", "price_id", &next, err);
    struct br_copy c;
    if (st == BR_OK)
        st = br_copy_begin(&c, db,
                           "COPY billing.prices (price_id, batch_id, file_id, line, item, spec, "
                           "unit_price_e10, effective_from, effective_to, tod_from_s, tod_to_s, "
                           "free_per_month_units) FROM STDIN",
                           err);
    for (size_t i = 0; st == BR_OK && i < b->nprices; i++) {
        const struct br_price *p = &b->prices[i];
        if (p->id != 0)
            continue;
        br_copy_i64(&c, next++);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_i64(&c, in->file_ids[p->file]);
        br_copy_sep(&c);
        br_copy_i64(&c, p->line);
        br_copy_sep(&c);
        br_copy_str(&c, br_items[p->item].name);
        br_copy_sep(&c);
        br_copy_str(&c, br_book_spec(b, p->spec));
        br_copy_sep(&c);
        br_copy_i64(&c, p->price_e10);
        br_copy_sep(&c);
        br_copy_time(&c, p->from);
        br_copy_sep(&c);
        if (p->to == BR_T_OPEN)
            br_copy_null(&c);
        else
            br_copy_time(&c, p->to);
        br_copy_sep(&c);
        copy_opt_i64(&c, p->tod_from >= 0, p->tod_from);
        br_copy_sep(&c);
        copy_opt_i64(&c, p->tod_to >= 0, p->tod_to);
        br_copy_sep(&c);
        copy_opt_i64(&c, p->free_units >= 0, p->free_units);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

static enum br_status write_orders(struct br_db *db, const struct br_post_input *in,
                                   struct br_error *err)
{
    const struct br_book *b = in->book;
    struct br_copy c;
    enum br_status st = br_copy_begin(
        &c, db,
        "COPY billing.orders (order_id, batch_id, file_id, line, account_id, order_time, kind, "
        "scope, scope_mask, plan_type, quantity_e10, unit, face, paid_e8, valid_days, valid_from, "
        "valid_to, bundle_id, period, late) FROM STDIN",
        err);
    for (size_t i = 0; st == BR_OK && i < b->norders; i++) {
        const struct br_order *o = &b->orders[i];
        if (!o->is_new)
            continue;
        bool has_face = o->kind == BR_ORDER_PLAN || o->kind == BR_ORDER_COUPON;
        br_period own = br_period_of(&in->cal, o->order_time);
        br_period post = br_post_period(in->closed, in->nclosed, own);
        br_copy_str(&c, o->order_id);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_i64(&c, in->file_ids[o->file]);
        br_copy_sep(&c);
        br_copy_i64(&c, o->line);
        br_copy_sep(&c);
        br_copy_str(&c, br_book_account_id(b, o->account));
        br_copy_sep(&c);
        br_copy_time(&c, o->order_time);
        br_copy_sep(&c);
        br_copy_str(&c, br_order_kind_str(o->kind));
        br_copy_sep(&c);
        br_copy_str(&c, o->scope_text ? o->scope_text : "");
        br_copy_sep(&c);
        br_copy_i64(&c, o->scope);
        br_copy_sep(&c);
        br_copy_str(&c, o->plan_type != BR_PLAN_NONE ? br_plan_type_str(o->plan_type) : NULL);
        br_copy_sep(&c);
        copy_opt_i64(&c, has_face && o->quantity_e10 >= 0, o->quantity_e10);
        br_copy_sep(&c);
        br_copy_str(&c, has_face ? br_unit_name(o->unit) : NULL);
        br_copy_sep(&c);
        copy_opt_i64(&c, has_face, o->face);
        br_copy_sep(&c);
        br_copy_i64(&c, o->paid_e8);
        br_copy_sep(&c);
        copy_opt_i64(&c, has_face, o->valid_days);
        br_copy_sep(&c);
        if (has_face)
            br_copy_time(&c, o->valid_from);
        else
            br_copy_null(&c);
        br_copy_sep(&c);
        if (has_face)
            br_copy_time(&c, o->valid_to);
        else
            br_copy_null(&c);
        br_copy_sep(&c);
        br_copy_str(&c, o->bundle_id);
        br_copy_sep(&c);
        copy_period(&c, post);
        br_copy_sep(&c);
        br_copy_bool(&c, post != own);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

static enum br_status write_lines(struct br_db *db, const struct br_post_input *in,
                                  struct br_error *err)
{
    const struct br_rate_result *r = in->rated;
    struct br_copy c;
    enum br_status st = br_copy_begin(
        &c, db,
        "COPY billing.usage_lines (batch_id, account_id, period, own_period, day, item, late, "
        "pieces, quantity, gross_e8, free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8, "
        "free_units, price_min_e10, price_max_e10) FROM STDIN",
        err);
    for (size_t i = 0; st == BR_OK && i < r->nlines; i++) {
        const struct br_line *l = &r->lines[i];
        if (l->qty > (uint64_t)INT64_MAX || l->pieces > (uint64_t)INT64_MAX) {
            char day[16];
            br_day_format(l->day, day, sizeof(day));
            st = br_fail(err, BR_ERR_OVERFLOW,
                         "the %s usage of account %s on %s adds up to more than 2^63 - 1 base "
                         "units, which a usage line cannot hold: check that account's rows of "
                         "that day (each fits; their sum does not)",
                         br_items[l->item].name, br_book_account_id(in->book, l->account), day);
            break;
        }
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_str(&c, br_book_account_id(in->book, l->account));
        br_copy_sep(&c);
        copy_period(&c, l->period);
        br_copy_sep(&c);
        copy_period(&c, l->own_period);
        br_copy_sep(&c);
        copy_day(&c, l->day);
        br_copy_sep(&c);
        br_copy_str(&c, br_items[l->item].name);
        br_copy_sep(&c);
        br_copy_bool(&c, l->period != l->own_period);
        br_copy_sep(&c);
        br_copy_i64(&c, (int64_t)l->pieces);
        br_copy_sep(&c);
        br_copy_i64(&c, (int64_t)l->qty);
        br_copy_sep(&c);
        br_copy_i64(&c, l->gross_e8);
        for (int s = 0; s < BR_SRC_COUNT; s++) {
            br_copy_sep(&c);
            br_copy_i64(&c, l->alloc_e8[s]);
        }
        br_copy_sep(&c);
        br_copy_i64(&c, l->free_units);
        br_copy_sep(&c);
        br_copy_i64(&c, l->price_min_e10);
        br_copy_sep(&c);
        br_copy_i64(&c, l->price_max_e10);
        br_copy_end_row(&c);
    }
    if (st == BR_OK)
        st = br_copy_finish(&c, err);
    if (st == BR_OK)
        st = br_copy_begin(&c, db,
                           "COPY billing.draws (batch_id, account_id, period, own_period, day, "
                           "item, source, order_id, units, value_e8, recognised_e8) FROM STDIN",
                           err);
    for (size_t i = 0; st == BR_OK && i < r->ndraws; i++) {
        const struct br_draw *d = &r->draws[i];
        /* The free allowance, the balance and the receivable have no order:
         * their draws are the usage line's free_e8/balance_e8/outstanding_e8
         * (and free_units), at the same grain, so only plans and coupons are
         * written here (sql/006). */
        if (d->source != BR_SRC_PLAN && d->source != BR_SRC_COUPON)
            continue;
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_str(&c, br_book_account_id(in->book, d->account));
        br_copy_sep(&c);
        copy_period(&c, d->period);
        br_copy_sep(&c);
        copy_period(&c, d->own_period);
        br_copy_sep(&c);
        copy_day(&c, d->day);
        br_copy_sep(&c);
        br_copy_str(&c, br_items[d->item].name);
        br_copy_sep(&c);
        br_copy_str(&c, br_source_str(d->source));
        br_copy_sep(&c);
        br_copy_str(&c, d->order != BR_NO_ID ? in->book->orders[d->order].order_id : NULL);
        br_copy_sep(&c);
        br_copy_i64(&c, d->units);
        br_copy_sep(&c);
        br_copy_i64(&c, d->value_e8);
        br_copy_sep(&c);
        br_copy_i64(&c, d->recognised_e8);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

static enum br_status write_plan_events(struct br_db *db, const struct br_post_input *in,
                                        struct br_error *err)
{
    static const char *const kinds[] = {"straight", "breakage", "expiry"};
    const struct br_rate_result *r = in->rated;
    struct br_copy c;
    enum br_status st = br_copy_begin(&c, db,
                                      "COPY billing.plan_events (batch_id, order_id, kind, period, "
                                      "own_period, effective_at, amount_e8) FROM STDIN",
                                      err);
    for (size_t i = 0; st == BR_OK && i < r->nrecogs; i++) {
        const struct br_recog *x = &r->recogs[i];
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_str(&c, in->book->orders[x->order].order_id);
        br_copy_sep(&c);
        br_copy_str(&c, kinds[x->kind]);
        br_copy_sep(&c);
        copy_period(&c, x->period);
        br_copy_sep(&c);
        copy_period(&c, x->own_period);
        br_copy_sep(&c);
        br_copy_time(&c, x->effective_at);
        br_copy_sep(&c);
        br_copy_i64(&c, x->amount_e8);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

static enum br_status write_order_state(struct br_db *db, const struct br_post_input *in,
                                        struct br_error *err)
{
    const struct br_book *b = in->book;
    struct br_copy c;
    enum br_status st = br_copy_begin(&c, db,
                                      "COPY billing.order_state (order_id, batch_id, consumed, "
                                      "recognised_e8, sl_elapsed_s, breakage_e8, expired) FROM "
                                      "STDIN",
                                      err);
    for (size_t i = 0; st == BR_OK && i < b->norders; i++) {
        const struct br_order *o = &b->orders[i];
        const struct br_order_state *s = &in->state->orders[i];
        if (o->kind != BR_ORDER_PLAN && o->kind != BR_ORDER_COUPON)
            continue;
        if (!s->dirty && !o->is_new)
            continue;
        br_copy_str(&c, o->order_id);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_i64(&c, s->consumed);
        br_copy_sep(&c);
        br_copy_i64(&c, s->recognised_e8);
        br_copy_sep(&c);
        br_copy_i64(&c, s->sl_to);
        br_copy_sep(&c);
        br_copy_i64(&c, s->breakage_e8);
        br_copy_sep(&c);
        br_copy_bool(&c, s->expired);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

static enum br_status write_balances(struct br_db *db, const struct br_post_input *in,
                                     struct br_error *err)
{
    struct br_copy c;
    enum br_status st = br_copy_begin(
        &c, db, "COPY billing.balance_state (account_id, batch_id, balance_e8) FROM STDIN", err);
    for (size_t a = 0; st == BR_OK && a < in->state->naccounts; a++) {
        if (!in->state->balance_dirty[a])
            continue;
        br_copy_str(&c, br_book_account_id(in->book, (uint32_t)a));
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_i64(&c, in->state->balance_e8[a]);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

struct cap_day {
    uint32_t order;
    int64_t day;
};

static int cap_day_cmp(const void *pa, const void *pb)
{
    const struct cap_day *a = pa, *b = pb;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return (a->day > b->day) - (a->day < b->day);
}

/* Capacity plans' hourly use goes out as one row per plan and UTC day that
 * the batch changed, carrying all 24 hours (sql/006): the day's other hours
 * come from the opening state, which br_load_state reads by whole days. */
static enum br_status write_capacity_days(struct br_db *db, const struct br_post_input *in,
                                          struct br_error *err)
{
    const struct br_map *m = &in->state->buckets;
    size_t n = 0, cap = 0;
    struct cap_day *d = NULL;
    for (size_t i = 0; i < m->cap; i++) {
        const struct br_map_entry *e = &m->e[i];
        if (!e->used || !e->dirty || in->book->orders[e->a].plan_type == BR_PLAN_MONTHLY)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            struct cap_day *nd = realloc(d, ncap * sizeof(*d));
            if (nd == NULL) {
                free(d);
                return br_fail(err, BR_ERR_NOMEM, "out of memory for capacity plan days");
            }
            d = nd;
            cap = ncap;
        }
        d[n++] = (struct cap_day){(uint32_t)e->a, br_floor_div((int64_t)e->b, 24)};
    }
    if (n > 1)
        qsort(d, n, sizeof(*d), cap_day_cmp);
    struct br_copy c;
    enum br_status st = br_copy_begin(
        &c, db,
        "COPY billing.bucket_state (order_id, kind, bucket, batch_id, used, hours) FROM STDIN",
        err);
    for (size_t i = 0; st == BR_OK && i < n; i++) {
        if (i > 0 && d[i].order == d[i - 1].order && d[i].day == d[i - 1].day)
            continue;
        char hours[24 * 21 + 3];
        size_t len = 0;
        int64_t used = 0;
        for (int h = 0; h < 24; h++) {
            const struct br_map_entry *e = br_map_get(m, d[i].order, (uint64_t)(d[i].day * 24 + h));
            int64_t v = e != NULL ? e->value : 0;
            used += v; /* each hour is at most the plan's capacity: no overflow */
            len += (size_t)snprintf(hours + len, sizeof(hours) - len, "%c%" PRId64,
                                    h == 0 ? '{' : ',', v);
        }
        hours[len++] = '}';
        br_copy_str(&c, in->book->orders[d[i].order].order_id);
        br_copy_sep(&c);
        br_copy_str(&c, "day");
        br_copy_sep(&c);
        br_copy_i64(&c, d[i].day);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_i64(&c, used);
        br_copy_sep(&c);
        br_copy_text(&c, hours, len);
        br_copy_end_row(&c);
    }
    free(d);
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

static enum br_status write_maps(struct br_db *db, const struct br_post_input *in,
                                 struct br_error *err)
{
    const struct br_map *m = &in->state->buckets;
    struct br_copy c;
    enum br_status st = br_copy_begin(
        &c, db, "COPY billing.bucket_state (order_id, kind, bucket, batch_id, used) FROM STDIN",
        err);
    for (size_t i = 0; st == BR_OK && i < m->cap; i++) {
        const struct br_map_entry *e = &m->e[i];
        if (!e->used || !e->dirty)
            continue;
        const struct br_order *o = &in->book->orders[e->a];
        if (o->plan_type != BR_PLAN_MONTHLY)
            continue;
        br_copy_str(&c, o->order_id);
        br_copy_sep(&c);
        br_copy_str(&c, "month");
        br_copy_sep(&c);
        br_copy_i64(&c, (int64_t)e->b);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_i64(&c, e->value);
        br_copy_end_row(&c);
    }
    if (st == BR_OK)
        st = br_copy_finish(&c, err);
    if (st == BR_OK)
        st = write_capacity_days(db, in, err);
    m = &in->state->allowance;
    if (st == BR_OK)
        st = br_copy_begin(&c, db,
                           "COPY billing.allowance_state (account_id, item, period, batch_id, "
                           "used) FROM STDIN",
                           err);
    for (size_t i = 0; st == BR_OK && i < m->cap; i++) {
        const struct br_map_entry *e = &m->e[i];
        if (!e->used || !e->dirty)
            continue;
        br_copy_str(&c, br_book_account_id(in->book, (uint32_t)(e->a >> 8)));
        br_copy_sep(&c);
        br_copy_str(&c, br_items[e->a & 0xFF].name);
        br_copy_sep(&c);
        copy_period(&c, (br_period)(int64_t)e->b);
        br_copy_sep(&c);
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_i64(&c, e->value);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

static enum br_status write_spans(struct br_db *db, const struct br_post_input *in,
                                  struct br_error *err)
{
    const struct br_rate_result *r = in->rated;
    const struct br_usage *u = &in->ing->usage;
    struct br_copy c;
    enum br_status st = br_copy_begin(
        &c, db, "COPY billing.rated_spans (batch_id, item, spec, hour_from, hour_to) FROM STDIN",
        err);
    for (size_t i = 0; st == BR_OK && i < r->nspans; i++) {
        const struct br_rated_span *s = &r->spans[i];
        br_copy_i64(&c, in->batch_id);
        br_copy_sep(&c);
        br_copy_str(&c, br_items[u->keys[s->key].item].name);
        br_copy_sep(&c);
        br_copy_str(&c, br_book_spec(in->book, u->keys[s->key].spec));
        br_copy_sep(&c);
        br_copy_i64(&c, s->hour_from);
        br_copy_sep(&c);
        br_copy_i64(&c, s->hour_to);
        br_copy_end_row(&c);
    }
    return st == BR_OK ? br_copy_finish(&c, err) : st;
}

/* Runs one writer, logging its time at debug level (where a night's post
 * stage spends its time). */
static enum br_status timed(const char *what,
                            enum br_status (*w)(struct br_db *, const struct br_post_input *,
                                                struct br_error *),
                            struct br_db *db, const struct br_post_input *in, struct br_error *err)
{
    double t0 = br_now_s();
    enum br_status st = w(db, in, err);
    br_log(BR_LOG_DEBUG, "post_step", "step=%s seconds=%.3f", what, br_now_s() - t0);
    return st;
}

enum br_status br_post_write_facts(struct br_db *db, const struct br_post_input *in,
                                   struct br_error *err)
{
    static const struct {
        const char *name;
        enum br_status (*w)(struct br_db *, const struct br_post_input *, struct br_error *);
    } steps[] = {{"files", write_files},
                 {"rejects", write_rejects},
                 {"accounts", write_accounts},
                 {"prices", write_prices},
                 {"orders", write_orders},
                 {"lines", write_lines},
                 {"plan_events", write_plan_events},
                 {"order_state", write_order_state},
                 {"balances", write_balances},
                 {"maps", write_maps},
                 {"spans", write_spans}};
    enum br_status st = BR_OK;
    for (size_t i = 0; st == BR_OK && i < sizeof(steps) / sizeof(steps[0]); i++)
        st = timed(steps[i].name, steps[i].w, db, in, err);
    return st;
}

/* --- the hash chain --------------------------------------------------------- */

/* What a batch's content hash covers, in canonical order. %1$lld is the
 * batch, %2$lld and %3$lld the lowest and highest of its entry ids, which
 * let the queries read the batch's own rows by index (a join on batch_id
 * alone scanned every transfer of the history, each night). */
static const char *const hashed[] = {
    "COPY (SELECT entry_id, period, extract(epoch FROM effective_at)::bigint, account_id, kind, "
    "item, order_id, late, description FROM ledger.entries WHERE batch_id = %1$lld "
    "AND entry_id BETWEEN %2$lld AND %3$lld ORDER BY entry_id) TO STDOUT",
    NULL, /* the transfers: transfers_of_range or transfers_of_batch, below */
    "COPY (SELECT file_id, name, encode(sha256, 'hex'), size_bytes, kind, status, reason, rows, "
    "accepted, rejected FROM billing.files WHERE batch_id = %1$lld ORDER BY file_id) TO STDOUT",
    "COPY (SELECT account_id, period, own_period, day, item, late, pieces, quantity, gross_e8, "
    "free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8 FROM billing.usage_lines "
    "WHERE batch_id = %1$lld ORDER BY account_id, day, item, period) TO STDOUT",
    "COPY (SELECT invoice_no, period, account_id, outstanding_e8, round_down_e8, amount_due_e8 "
    "FROM billing.invoice_finals WHERE batch_id = %1$lld ORDER BY invoice_no) TO STDOUT",
};

/* The transfers of the batch's entries. When no other batch's entry lies
 * in the batch's entry id range (billrun gives ids out batch by batch, under
 * its lock), they are the transfers of that range: one index range read;
 * otherwise the join says which they are. The rows are the same either way. */
static const char *const transfers_of_range =
    "COPY (SELECT /* batch %1$lld */ transfer_id, entry_id, debit_code, debit_sub, credit_code, "
    "credit_sub, amount_e8 FROM ledger.transfers WHERE entry_id BETWEEN %2$lld AND %3$lld "
    "ORDER BY transfer_id) TO STDOUT";
static const char *const transfers_of_batch =
    "COPY (SELECT t.transfer_id, t.entry_id, t.debit_code, t.debit_sub, t.credit_code, "
    "t.credit_sub, t.amount_e8 FROM ledger.transfers t JOIN ledger.entries e USING (entry_id) "
    "WHERE e.batch_id = %1$lld AND e.entry_id BETWEEN %2$lld AND %3$lld "
    "AND t.entry_id BETWEEN %2$lld AND %3$lld ORDER BY t.transfer_id) TO STDOUT";

static void hash_chunk(void *ctx, const char *p, size_t n)
{
    br_sha256_update(ctx, p, n);
}

/* COPY TO's text format, fed to a hash: what the database returns for the
 * queries above, formatted from what the batch wrote instead. */
struct copy_out {
    struct br_sha256 *s;
    size_t n;
    char b[1 << 16];
};

static void out_flush(struct copy_out *o)
{
    br_sha256_update(o->s, o->b, o->n);
    o->n = 0;
}

static void out_put(struct copy_out *o, const char *p, size_t n)
{
    if (o->n + n > sizeof(o->b)) {
        out_flush(o);
        if (n > sizeof(o->b)) {
            br_sha256_update(o->s, p, n);
            return;
        }
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void out_i64(struct copy_out *o, int64_t v)
{
    char b[24];
    char *e = b + sizeof(b), *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    out_put(o, p, (size_t)(e - p));
}

/* As PostgreSQL's CopyAttributeOutText with a tab delimiter: backslash and
 * the named control characters are escaped, other bytes are sent as they
 * are. NULL is \N. */
static void out_text(struct copy_out *o, const char *t)
{
    if (t == NULL) {
        out_put(o, "\\N", 2);
        return;
    }
    const char *run = t, *p = t;
    for (;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c > '\\' || (c >= 0x20 && c != '\\'))
            continue;
        if (c == '\0')
            break;
        char e = 0;
        switch (c) {
        case '\b':
            e = 'b';
            break;
        case '\f':
            e = 'f';
            break;
        case '\n':
            e = 'n';
            break;
        case '\r':
            e = 'r';
            break;
        case '\t':
            e = 't';
            break;
        case '\v':
            e = 'v';
            break;
        case '\\':
            e = '\\';
            break;
        default:
            continue; /* other control characters go as they are */
        }
        out_put(o, run, (size_t)(p - run));
        char esc[2] = {'\\', e};
        out_put(o, esc, 2);
        run = p + 1;
    }
    out_put(o, run, (size_t)(p - run));
}

static void out_tab(struct copy_out *o)
{
    out_put(o, "\t", 1);
}

static void out_bool(struct copy_out *o, bool v)
{
    out_put(o, v ? "t" : "f", 1);
}

static void out_period(struct copy_out *o, br_period p)
{
    char b[16];
    out_put(o, b, br_period_format(p, b, sizeof(b)));
}

/* Section #0 (entries), as hashed[0] returns it. */
static void out_entries(struct copy_out *o, const struct br_journal *j)
{
    for (size_t i = 0; i < j->nentries; i++) {
        const struct br_entry *e = &j->entries[i];
        out_i64(o, e->id);
        out_tab(o);
        out_period(o, e->period);
        out_tab(o);
        out_i64(o, e->effective_at);
        out_tab(o);
        out_text(o, e->account);
        out_tab(o);
        out_text(o, br_entry_kind_str(e->kind));
        out_tab(o);
        out_text(o, e->item >= 0 ? br_items[e->item].name : NULL);
        out_tab(o);
        out_text(o, e->order_id);
        out_tab(o);
        out_bool(o, e->late);
        out_tab(o);
        out_text(o, e->description);
        out_put(o, "\n", 1);
    }
}

/* Section #1 (transfers), as the transfers queries return it. */
static void out_transfers(struct copy_out *o, const struct br_journal *j)
{
    for (size_t i = 0; i < j->ntransfers; i++) {
        const struct br_transfer *t = &j->transfers[i];
        out_i64(o, t->id);
        out_tab(o);
        out_i64(o, t->entry);
        out_tab(o);
        out_i64(o, t->debit_code);
        out_tab(o);
        out_text(o, t->debit_sub);
        out_tab(o);
        out_i64(o, t->credit_code);
        out_tab(o);
        out_text(o, t->credit_sub);
        out_tab(o);
        out_i64(o, t->amount_e8);
        out_put(o, "\n", 1);
    }
}

/* Section #2 (files), as hashed[2] returns it: the files write_files wrote,
 * in file id order. */
static void out_files(struct copy_out *o, const struct br_post_input *in)
{
    for (size_t i = 0; i < in->ing->nfiles; i++) {
        const struct br_ingest_file *f = &in->ing->files[i];
        if (in->file_ids[i] == 0)
            continue;
        char hex[65];
        br_hex32(f->sha256, hex);
        out_i64(o, in->file_ids[i]);
        out_tab(o);
        out_text(o, f->name);
        out_tab(o);
        out_put(o, hex, 64);
        out_tab(o);
        out_i64(o, (int64_t)f->bytes);
        out_tab(o);
        out_text(o, f->reprocess ? "reprocess" : br_kind_str(f->kind));
        out_tab(o);
        out_text(o, file_status_names[f->status]);
        out_tab(o);
        out_text(o, f->status == BR_FILE_REFUSED ? br_reason_str(f->reason) : NULL);
        out_tab(o);
        out_i64(o, (int64_t)f->rows);
        out_tab(o);
        out_i64(o, (int64_t)f->accepted);
        out_tab(o);
        out_i64(o, (int64_t)f->rejected);
        out_put(o, "\n", 1);
    }
}

/* Section #3 (usage lines), as hashed[3] returns it when text sorts by
 * bytes: ORDER BY account_id, day, item, period (own_period follows from
 * the day). */
struct line_order {
    uint32_t account_rank;
    uint32_t item_rank;
    int64_t day;
    int64_t period;
    size_t line;
};

struct ranked_account {
    const char *id;
    uint32_t account;
};

static int ranked_account_cmp(const void *pa, const void *pb)
{
    const struct ranked_account *a = pa, *b = pb;
    return strcmp(a->id, b->id);
}

static int line_order_cmp(const void *pa, const void *pb)
{
    const struct line_order *a = pa, *b = pb;
    if (a->account_rank != b->account_rank)
        return a->account_rank < b->account_rank ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    if (a->item_rank != b->item_rank)
        return a->item_rank < b->item_rank ? -1 : 1;
    if (a->period != b->period)
        return a->period < b->period ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

static enum br_status out_lines(struct copy_out *o, const struct br_post_input *in)
{
    const struct br_rate_result *r = in->rated;
    size_t na = br_book_naccounts(in->book);
    struct ranked_account *ra = malloc((na + 1) * sizeof(*ra));
    uint32_t *rank = malloc((na + 1) * sizeof(*rank));
    struct line_order *lo = malloc((r->nlines + 1) * sizeof(*lo));
    if (ra == NULL || rank == NULL || lo == NULL) {
        free(ra);
        free(rank);
        free(lo);
        return BR_ERR_NOMEM;
    }
    for (size_t a = 0; a < na; a++)
        ra[a] = (struct ranked_account){br_book_account_id(in->book, (uint32_t)a), (uint32_t)a};
    qsort(ra, na, sizeof(*ra), ranked_account_cmp);
    for (size_t a = 0; a < na; a++)
        rank[ra[a].account] = (uint32_t)a;
    uint32_t item_rank[BR_ITEM_COUNT];
    for (int i = 0; i < BR_ITEM_COUNT; i++) {
        item_rank[i] = 0;
        for (int k = 0; k < BR_ITEM_COUNT; k++)
            item_rank[i] += strcmp(br_items[k].name, br_items[i].name) < 0;
    }
    for (size_t i = 0; i < r->nlines; i++) {
        const struct br_line *l = &r->lines[i];
        lo[i] = (struct line_order){.account_rank = rank[l->account],
                                    .item_rank = item_rank[l->item],
                                    .day = l->day,
                                    .period = (int64_t)l->period,
                                    .line = i};
    }
    qsort(lo, r->nlines, sizeof(*lo), line_order_cmp);
    for (size_t i = 0; i < r->nlines; i++) {
        const struct br_line *l = &r->lines[lo[i].line];
        char b[16];
        out_text(o, br_book_account_id(in->book, l->account));
        out_tab(o);
        out_period(o, l->period);
        out_tab(o);
        out_period(o, l->own_period);
        out_tab(o);
        out_put(o, b, br_day_format(l->day, b, sizeof(b)));
        out_tab(o);
        out_text(o, br_items[l->item].name);
        out_tab(o);
        out_bool(o, l->period != l->own_period);
        out_tab(o);
        out_i64(o, (int64_t)l->pieces);
        out_tab(o);
        out_i64(o, (int64_t)l->qty);
        out_tab(o);
        out_i64(o, l->gross_e8);
        for (int k = 0; k < BR_SRC_COUNT; k++) {
            out_tab(o);
            out_i64(o, l->alloc_e8[k]);
        }
        out_put(o, "\n", 1);
    }
    free(ra);
    free(rank);
    free(lo);
    return BR_OK;
}

/* Whether ORDER BY on billing.usage_lines' text columns is byte order: their
 * collation is the database's default, a libc C, POSIX or C.UTF-8 one. */
static enum br_status text_sorts_by_bytes(struct br_db *db, bool *yes, struct br_error *err)
{
    int64_t v = 0;
    enum br_status st = br_db_int64(
        db,
        "SELECT count(*) FROM pg_database d WHERE d.datname = current_database() "
        "AND coalesce(to_jsonb(d)->>'datlocprovider', 'c') = 'c' "
        "AND d.datcollate IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8') "
        "AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = "
        "'billing.usage_lines'::regclass AND a.attname IN ('account_id', 'item', 'period') "
        "AND a.attcollation <> 100)" /* 100: the default collation */,
        0, NULL, 0, &v, err);
    *yes = st == BR_OK && v == 1;
    return st;
}

static void hash_head(struct br_sha256 *s, const struct br_batch_header *h)
{
    char head[256];
    int n =
        snprintf(head, sizeof(head), "billrun-batch-v1\n%lld %s %lld %s\n", (long long)h->batch_id,
                 h->kind, (long long)h->as_of, h->period ? h->period : "-");
    br_sha256_update(s, head, (size_t)n);
}

static void hash_sep(struct br_sha256 *s, size_t i)
{
    char sep[16];
    int m = snprintf(sep, sizeof(sep), "#%zu\n", i);
    br_sha256_update(s, sep, (size_t)m);
}

/* The content hash, every section read back from the database except the
 * journal's two when j is not NULL. */
static enum br_status hash_content(struct br_db *db, const struct br_batch_header *h,
                                   const struct br_journal *j, uint8_t content[32],
                                   struct br_error *err)
{
    struct br_sha256 s;
    struct copy_out *o = j != NULL ? malloc(sizeof(*o)) : NULL;
    if (j != NULL && o == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory hashing the batch");
    if (br_sha256_init(&s) != 0) {
        free(o);
        return br_fail(err, BR_ERR_NOMEM, "SHA-256 unavailable");
    }
    hash_head(&s, h);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)h->batch_id);
    const char *p[1] = {id};
    int64_t lo = 0, hi = -1; /* by the (batch_id, entry_id) index */
    PGresult *r;
    enum br_status st = BR_OK;
    if (j == NULL)
        st = br_db_query(
            db, "SELECT min(entry_id), max(entry_id) FROM ledger.entries WHERE batch_id = $1", 1, p,
            &r, err);
    if (st == BR_OK && j == NULL) {
        if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) && !PQgetisnull(r, 0, 1)) {
            lo = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
            hi = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
        }
        PQclear(r);
    }
    int64_t strangers = 0;
    if (st == BR_OK && j == NULL) {
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM ledger.entries WHERE entry_id BETWEEN %lld AND %lld "
                 "AND batch_id <> %lld",
                 (long long)lo, (long long)hi, (long long)h->batch_id);
        st = br_db_int64(db, sql, 0, NULL, 0, &strangers, err);
    }
    for (size_t i = 0; st == BR_OK && i < sizeof(hashed) / sizeof(hashed[0]); i++) {
        char sql[1024];
        const char *q = hashed[i] != NULL ? hashed[i]
                        : strangers == 0  ? transfers_of_range
                                          : transfers_of_batch;
        snprintf(sql, sizeof(sql), q, (long long)h->batch_id, (long long)lo, (long long)hi);
        hash_sep(&s, i);
        double t0 = br_now_s();
        if (j != NULL && i < 2) {
            *o = (struct copy_out){.s = &s};
            if (i == 0)
                out_entries(o, j);
            else
                out_transfers(o, j);
            out_flush(o);
        } else {
            st = br_copy_out(db, sql, hash_chunk, &s, err);
        }
        br_log(BR_LOG_DEBUG, "post_step", "step=hash_%zu seconds=%.3f", i, br_now_s() - t0);
    }
    free(o);
    if (st != BR_OK) {
        br_sha256_abort(&s);
        return st;
    }
    br_sha256_final(&s, content);
    return BR_OK;
}

struct br_hash_job {
    pthread_t thread;
    struct br_batch_header h;
    const struct br_journal *j;
    const struct br_post_input *facts;
    enum br_status st;
    uint8_t content[32];
    struct copy_out o;
};

/* The whole content hash from what the batch wrote. */
static void *hash_job_run(void *arg)
{
    struct br_hash_job *job = arg;
    struct br_sha256 s;
    if (br_sha256_init(&s) != 0) {
        job->st = BR_ERR_NOMEM;
        return NULL;
    }
    job->o = (struct copy_out){.s = &s};
    struct copy_out *o = &job->o;
    hash_head(&s, &job->h);
    hash_sep(&s, 0);
    out_entries(o, job->j);
    out_flush(o);
    hash_sep(&s, 1);
    out_transfers(o, job->j);
    out_flush(o);
    hash_sep(&s, 2);
    out_files(o, job->facts);
    out_flush(o);
    hash_sep(&s, 3);
    job->st = out_lines(o, job->facts);
    out_flush(o);
    hash_sep(&s, 4); /* a run batch writes no final invoices */
    if (job->st != BR_OK) {
        br_sha256_abort(&s);
        return NULL;
    }
    br_sha256_final(&s, job->content);
    return NULL;
}

enum br_status br_batch_hash_start(struct br_db *db, const struct br_batch_header *h,
                                   const struct br_journal *j, const struct br_post_input *facts,
                                   struct br_hash_job **job, struct br_error *err)
{
    *job = NULL;
    bool bytewise = false;
    enum br_status st = text_sorts_by_bytes(db, &bytewise, err);
    if (st != BR_OK || !bytewise)
        return st;
    struct br_hash_job *x = malloc(sizeof(*x));
    if (x == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory hashing the batch");
    *x = (struct br_hash_job){.h = *h, .j = j, .facts = facts, .st = BR_OK};
    if (pthread_create(&x->thread, NULL, hash_job_run, x) != 0) {
        free(x); /* no thread: the hash is read back at the end instead */
        return BR_OK;
    }
    *job = x;
    return BR_OK;
}

enum br_status br_batch_hash_finish(struct br_hash_job *job, uint8_t content[32],
                                    struct br_error *err)
{
    pthread_join(job->thread, NULL);
    enum br_status st = job->st;
    memcpy(content, job->content, 32);
    free(job);
    if (st != BR_OK)
        return br_fail(err, st, "hashing the batch failed: %s", br_status_str(st));
    return BR_OK;
}

#ifdef NDEBUG
static bool hash_readback = false;
#else
static bool hash_readback = true;
#endif

bool br_batch_hash_set_readback(bool on)
{
    bool was = hash_readback;
    hash_readback = on;
    return was;
}

enum br_status br_batch_hash(struct br_db *db, const struct br_batch_header *h, uint8_t content[32],
                             uint8_t chained[32], struct br_error *err)
{
    enum br_status st = BR_OK;
    if (h->content != NULL)
        memcpy(content, h->content, 32);
    else
        st = hash_content(db, h, h->journal, content, err);
    uint8_t again[32];
    if (hash_readback && st == BR_OK && (h->journal != NULL || h->content != NULL)) {
        st = hash_content(db, h, NULL, again, err);
        if (st == BR_OK && memcmp(content, again, 32) != 0)
            return br_fail(err, BR_ERR_VERIFY,
                           "batch %lld: the hash of what it wrote differs from its stored rows'",
                           (long long)h->batch_id);
    }
    if (st != BR_OK)
        return st;
    struct br_sha256 s;
    char head[256];
    char prev[65] = "-", ch[65];
    if (h->has_prev)
        br_hex32(h->prev_hash, prev);
    br_hex32(content, ch);
    if (br_sha256_init(&s) != 0)
        return br_fail(err, BR_ERR_NOMEM, "SHA-256 unavailable");
    int n = snprintf(head, sizeof(head), "billrun-chain-v1\n%s\n%s\n", prev, ch);
    br_sha256_update(&s, head, (size_t)n);
    br_sha256_final(&s, chained);
    return BR_OK;
}

enum br_status br_batch_insert(struct br_db *db, const struct br_batch_header *h,
                               struct br_error *err)
{
    uint8_t content[32], chained[32];
    enum br_status st = br_batch_hash(db, h, content, chained, err);
    if (st != BR_OK)
        return st;
    char id[24], started[32], asof[32], prev[70], ch[70], hh[70], cur[65];
    snprintf(id, sizeof(id), "%lld", (long long)h->batch_id);
    br_db_time_param(h->started_at, started);
    br_db_time_param(h->as_of, asof);
    br_hex32(h->prev_hash, cur);
    snprintf(prev, sizeof(prev), "\\x%s", cur);
    br_hex32(content, cur);
    snprintf(ch, sizeof(ch), "\\x%s", cur);
    br_hex32(chained, cur);
    snprintf(hh, sizeof(hh), "\\x%s", cur);
    const char *p[9] = {
        id, h->kind, started, asof, h->period, h->version, h->has_prev ? prev : NULL, ch, hh};
    const char *p10[10];
    memcpy(p10, p, sizeof(p));
    p10[9] = h->summary ? h->summary : "";
    return br_db_execp(db,
                       "INSERT INTO ledger.batches (batch_id, kind, started_at, as_of, period, "
                       "tool_version, prev_hash, content_hash, hash, summary) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7::bytea, $8::bytea, $9::bytea, $10)",
                       10, p10, err);
}
