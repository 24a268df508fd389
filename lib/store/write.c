/* Writing a batch (write.h). Every table is written through one table
 * writer: a COPY whose column list comes from the table's entry in
 * br_tables, fed with canonical rows that are hashed on the way. */
#include "store/write.h"

#include "core/items.h"
#include "core/log.h"
#include "core/money.h"
#include "ingest/csvread.h"
#include "store/sql.h"
#include "store/table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void br_writer_init(struct br_batch_writer *w, int64_t batch_id)
{
    memset(w, 0, sizeof(*w));
    w->batch_id = batch_id;
    for (int i = 0; i < BR_SEC_COUNT; i++)
        br_section_init(&w->sec[i]);
    br_row_init(&w->row);
}

void br_writer_free(struct br_batch_writer *w)
{
    for (int i = 0; i < BR_SEC_COUNT; i++)
        br_section_free(&w->sec[i]);
    br_row_free(&w->row);
}

enum br_status br_writer_sums(struct br_batch_writer *w, struct br_batch_sums *out,
                              struct br_error *err)
{
    for (int i = 0; i < BR_SEC_COUNT; i++) {
        out->rows[i] = w->rows[i];
        enum br_status st = br_section_finish(&w->sec[i], out->hash[i]);
        if (st != BR_OK)
            return br_fail(err, st, "out of memory hashing the batch");
    }
    return BR_OK;
}

/* ---- the journal --------------------------------------------------------------- */

enum br_status br_write_journal(struct br_db *db, struct br_batch_writer *w,
                                const struct br_journal *j, struct br_error *err)
{
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_ENTRIES, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < j->nentries; i++) {
        const struct br_entry *e = &j->entries[i];
        struct br_row *r = tw_row(&t);
        br_row_int(r, e->id);
        br_row_period(r, e->period);
        br_row_time(r, e->effective_at);
        br_row_text(r, e->account);
        br_row_text(r, br_entry_kind_str(e->kind));
        br_row_text(r, e->item >= 0 ? br_items[e->item].name : NULL);
        br_row_text(r, e->order_id);
        br_row_bool(r, e->late);
        br_row_text(r, e->description);
        tw_end(&t);
    }
    st = tw_finish(&t, BR_OK, err);
    if (st == BR_OK)
        st = tw_begin(&t, db, w, BR_SEC_TRANSFERS, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < j->ntransfers; i++) {
        const struct br_transfer *x = &j->transfers[i];
        struct br_row *r = tw_row(&t);
        br_row_int(r, x->id);
        br_row_int(r, x->entry);
        br_row_int(r, x->debit_code);
        br_row_text(r, x->debit_sub);
        br_row_int(r, x->credit_code);
        br_row_text(r, x->credit_sub);
        br_row_int(r, x->amount_e8);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

/* ---- facts ---------------------------------------------------------------------- */

enum br_status br_next_id(struct br_db *db, const char *table, const char *column, int64_t *out,
                          struct br_error *err)
{
    char sql[200];
    snprintf(sql, sizeof(sql), "SELECT coalesce(max(%s), 0) + 1 FROM %s", column, table);
    return br_sql_int64(db, sql, 0, NULL, 1, out, err);
}

static const char *const file_status_names[] = {"applied", "refused"};

static enum br_status write_files(struct br_db *db, struct br_batch_writer *w,
                                  const struct br_facts *f, struct br_error *err)
{
    int64_t next;
    enum br_status st = br_next_id(db, "billing.files", "file_id", &next, err);
    struct tw t;
    if (st == BR_OK)
        st = tw_begin(&t, db, w, BR_SEC_FILES, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < f->ing->nfiles; i++) {
        const struct br_ingest_file *x = &f->ing->files[i];
        f->file_ids[i] = 0;
        if (x->status == BR_FILE_SKIPPED || x->status == BR_FILE_REFUSED_BEFORE)
            continue;
        bool refused = x->status == BR_FILE_REFUSED;
        f->file_ids[i] = next++;
        struct br_row *r = tw_row(&t);
        br_row_int(r, f->file_ids[i]);
        br_row_text(r, x->name);
        br_row_bytes(r, x->sha256, 32);
        br_row_int(r, (int64_t)x->bytes);
        br_row_text(r, x->reprocess ? "reprocess" : br_kind_str(x->kind));
        br_row_text(r, file_status_names[refused]);
        br_row_text(r, refused ? br_reason_str(x->reason) : NULL);
        br_row_text(r, refused ? x->detail : NULL);
        br_row_int(r, (int64_t)x->rows);
        br_row_int(r, (int64_t)x->accepted);
        br_row_int(r, (int64_t)x->rejected);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

/* Raw bytes as readable text: invalid UTF-8 and NUL become \xNN. */
static enum br_status raw_text(const char *raw, size_t n, struct br_buf *out)
{
    br_buf_reset(out);
    enum br_status st = BR_OK;
    size_t i = 0;
    while (i < n && st == BR_OK) {
        size_t j = i;
        while (j < n && (unsigned char)raw[j] < 0x80 && raw[j] != 0)
            j++;
        st = br_buf_append(out, raw + i, j - i);
        if (j >= n || st != BR_OK)
            break;
        /* a non-ASCII sequence: keep it if valid, else escape a byte */
        unsigned char b0 = (unsigned char)raw[j];
        size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1;
        if (b0 != 0 && len > 1 && j + len <= n &&
            br_utf8_valid((const unsigned char *)raw + j, len)) {
            st = br_buf_append(out, raw + j, len);
            i = j + len;
        } else {
            st = br_buf_printf(out, "\\x%02X", b0);
            i = j + 1;
        }
    }
    return st;
}

static enum br_status write_rejects(struct br_db *db, struct br_batch_writer *w,
                                    const struct br_facts *f, struct br_error *err)
{
    int64_t next;
    enum br_status st = br_next_id(db, "billing.reject_rows", "reject_id", &next, err);
    struct tw t;
    if (st == BR_OK)
        st = tw_begin(&t, db, w, BR_SEC_REJECTS, err);
    if (st != BR_OK)
        return st;
    struct br_buf text;
    br_buf_init(&text, (size_t)1 << 20);
    for (size_t i = 0; i < f->ing->nrejects && st == BR_OK; i++) {
        const struct br_reject *x = &f->ing->rejects[i];
        if (x->origin_id != 0)
            continue;
        st = raw_text(x->raw, x->raw_len, &text);
        struct br_row *r = tw_row(&t);
        br_row_int(r, next++);
        br_row_int(r, f->file_ids[x->file]);
        br_row_int(r, (int64_t)x->line);
        br_row_text(r, br_reason_str(x->reason));
        br_row_textn(r, text.data != NULL ? text.data : "", text.len);
        br_row_bytes(r, x->raw, x->raw_len);
        br_row_bool(r, x->raw_truncated);
        br_row_text(r, x->detail);
        tw_end(&t);
    }
    br_buf_free(&text);
    if (st != BR_OK)
        st = br_fail(err, st, "out of memory writing rejects");
    return tw_finish(&t, st, err);
}

static enum br_status write_outcomes(struct br_db *db, struct br_batch_writer *w,
                                     const struct br_facts *f, struct br_error *err)
{
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_REJECT_OUTCOMES, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < f->ing->nrejects; i++) {
        const struct br_reject *x = &f->ing->rejects[i];
        if (x->origin_id == 0 || x->unchanged)
            continue;
        struct br_row *r = tw_row(&t);
        br_row_int(r, x->origin_id);
        br_row_text(r, "rejected");
        br_row_text(r, br_reason_str(x->reason));
        tw_end(&t);
    }
    for (size_t i = 0; i < f->ing->naccepted_origins; i++) {
        struct br_row *r = tw_row(&t);
        br_row_int(r, f->ing->accepted_origins[i]);
        br_row_text(r, "rated");
        br_row_null(r);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

static enum br_status write_accounts(struct br_db *db, struct br_batch_writer *w,
                                     const struct br_facts *f, struct br_error *err)
{
    const struct br_book *b = f->book;
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_ACCOUNTS, err);
    if (st != BR_OK)
        return st;
    for (size_t a = 0; a < br_book_naccounts(b); a++) {
        const struct br_account *x = &b->accounts[a];
        if (!x->changed)
            continue;
        struct br_row *r = tw_row(&t);
        br_row_text(r, br_book_account_id(b, (uint32_t)a));
        br_row_int(r, f->file_ids[x->file]);
        br_row_int(r, x->line);
        br_row_text(r, x->name);
        br_row_text(r, x->address);
        br_row_text(r, x->tax_id);
        br_row_text(r, x->email);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

static void opt_int(struct br_row *r, bool present, int64_t v)
{
    if (present)
        br_row_int(r, v);
    else
        br_row_null(r);
}

static void opt_time(struct br_row *r, bool present, int64_t t)
{
    if (present)
        br_row_time(r, t);
    else
        br_row_null(r);
}

static enum br_status write_prices(struct br_db *db, struct br_batch_writer *w,
                                   const struct br_facts *f, struct br_error *err)
{
    const struct br_book *b = f->book;
    int64_t next;
    enum br_status st = br_next_id(db, "billing.prices", "price_id", &next, err);
    struct tw t;
    if (st == BR_OK)
        st = tw_begin(&t, db, w, BR_SEC_PRICES, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < b->nprices; i++) {
        const struct br_price *p = &b->prices[i];
        if (p->id != 0)
            continue;
        struct br_row *r = tw_row(&t);
        br_row_int(r, next++);
        br_row_int(r, f->file_ids[p->file]);
        br_row_int(r, p->line);
        br_row_text(r, br_items[p->item].name);
        br_row_text(r, br_book_spec(b, p->spec));
        br_row_int(r, p->price_e10);
        br_row_time(r, p->from);
        opt_time(r, p->to != BR_T_OPEN, p->to);
        opt_int(r, p->tod_from >= 0, p->tod_from);
        opt_int(r, p->tod_to >= 0, p->tod_to);
        opt_int(r, p->free_units >= 0, p->free_units);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

static void order_row(struct br_row *r, const struct br_facts *f, const struct br_order *o)
{
    bool has_face = o->kind == BR_ORDER_PLAN || o->kind == BR_ORDER_COUPON;
    br_period own = br_period_of(&f->cal, o->order_time);
    br_period post = br_post_period(f->closed, f->nclosed, own);
    br_row_text(r, o->order_id);
    br_row_int(r, f->file_ids[o->file]);
    br_row_int(r, o->line);
    br_row_text(r, br_book_account_id(f->book, o->account));
    br_row_time(r, o->order_time);
    br_row_text(r, br_order_kind_str(o->kind));
    br_row_text(r, o->scope_text ? o->scope_text : "");
    br_row_int(r, o->scope);
    br_row_text(r, o->plan_type != BR_PLAN_NONE ? br_plan_type_str(o->plan_type) : NULL);
    opt_int(r, has_face && o->quantity_e10 >= 0, o->quantity_e10);
    br_row_text(r, has_face ? br_unit_name(o->unit) : NULL);
    opt_int(r, has_face, o->face);
    br_row_int(r, o->paid_e8);
    opt_int(r, has_face, o->valid_days);
    opt_time(r, has_face, o->valid_from);
    opt_time(r, has_face, o->valid_to);
    br_row_text(r, o->bundle_id);
    br_row_period(r, post);
    br_row_bool(r, post != own);
}

static enum br_status write_orders(struct br_db *db, struct br_batch_writer *w,
                                   const struct br_facts *f, struct br_error *err)
{
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_ORDERS, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < f->book->norders; i++) {
        const struct br_order *o = &f->book->orders[i];
        if (!o->is_new)
            continue;
        order_row(tw_row(&t), f, o);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

static enum br_status write_adjustments(struct br_db *db, struct br_batch_writer *w,
                                        const struct br_facts *f, struct br_error *err)
{
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_ADJUSTMENTS, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < f->book->nadjustments; i++) {
        const struct br_adjustment *a = &f->book->adjustments[i];
        if (!a->is_new)
            continue;
        br_period own = br_period_of(&f->cal, a->at);
        br_period post = br_post_period(f->closed, f->nclosed, own);
        struct br_row *r = tw_row(&t);
        br_row_text(r, a->adjustment_id);
        br_row_int(r, f->file_ids[a->file]);
        br_row_int(r, a->line);
        br_row_text(r, br_book_account_id(f->book, a->account));
        br_row_time(r, a->at);
        br_row_text(r, a->credit ? "credit" : "debit");
        br_row_text(r, br_items[a->item].name);
        br_row_int(r, a->amount_e8);
        br_row_text(r, a->invoice_no);
        br_row_text(r, a->reason);
        br_row_period(r, post);
        br_row_bool(r, post != own);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

static enum br_status write_lines(struct br_db *db, struct br_batch_writer *w,
                                  const struct br_facts *f, struct br_error *err)
{
    const struct br_rate_result *rr = f->rated;
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_USAGE_LINES, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < rr->nlines && st == BR_OK; i++) {
        const struct br_line *l = &rr->lines[i];
        if (l->qty > (uint64_t)INT64_MAX || l->pieces > (uint64_t)INT64_MAX) {
            char day[16];
            br_day_format(l->day, day, sizeof(day));
            st = br_fail(err, BR_ERR_OVERFLOW,
                         "the %s usage of account %s on %s adds up to more than 2^63 - 1 base "
                         "units, which a usage line cannot hold: check that account's rows of "
                         "that day (each fits; their sum does not)",
                         br_items[l->item].name, br_book_account_id(f->book, l->account), day);
            break;
        }
        struct br_row *r = tw_row(&t);
        br_row_text(r, br_book_account_id(f->book, l->account));
        br_row_period(r, l->period);
        br_row_period(r, l->own_period);
        br_row_date(r, l->day);
        br_row_text(r, br_items[l->item].name);
        br_row_bool(r, l->period != l->own_period);
        br_row_int(r, (int64_t)l->pieces);
        br_row_int(r, (int64_t)l->qty);
        br_row_int(r, l->gross_e8);
        for (int s = 0; s < BR_SRC_COUNT; s++)
            br_row_int(r, l->alloc_e8[s]);
        br_row_int(r, l->free_units);
        br_row_int(r, l->price_min_e10);
        br_row_int(r, l->price_max_e10);
        tw_end(&t);
    }
    return tw_finish(&t, st, err);
}

static enum br_status write_draws(struct br_db *db, struct br_batch_writer *w,
                                  const struct br_facts *f, struct br_error *err)
{
    const struct br_rate_result *rr = f->rated;
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_DRAWS, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < rr->ndraws; i++) {
        const struct br_draw *d = &rr->draws[i];
        /* The free allowance, the balance and the receivable have no order:
         * their draws are the usage line's own columns, at the same grain. */
        if (d->source != BR_SRC_PLAN && d->source != BR_SRC_COUPON)
            continue;
        BR_ASSERT(d->order != BR_NO_ID);
        struct br_row *r = tw_row(&t);
        br_row_text(r, br_book_account_id(f->book, d->account));
        br_row_period(r, d->period);
        br_row_period(r, d->own_period);
        br_row_date(r, d->day);
        br_row_text(r, br_items[d->item].name);
        br_row_text(r, br_source_str(d->source));
        br_row_text(r, f->book->orders[d->order].order_id);
        br_row_int(r, d->units);
        br_row_int(r, d->value_e8);
        br_row_int(r, d->recognised_e8);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

static enum br_status write_plan_events(struct br_db *db, struct br_batch_writer *w,
                                        const struct br_facts *f, struct br_error *err)
{
    static const char *const kinds[] = {"straight", "breakage", "expiry"};
    const struct br_rate_result *rr = f->rated;
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_PLAN_EVENTS, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < rr->nrecogs; i++) {
        const struct br_recog *x = &rr->recogs[i];
        struct br_row *r = tw_row(&t);
        br_row_text(r, f->book->orders[x->order].order_id);
        br_row_text(r, kinds[x->kind]);
        br_row_period(r, x->period);
        br_row_period(r, x->own_period);
        br_row_time(r, x->effective_at);
        br_row_int(r, x->amount_e8);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

static enum br_status write_order_state(struct br_db *db, struct br_batch_writer *w,
                                        const struct br_facts *f, struct br_error *err)
{
    const struct br_book *b = f->book;
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_ORDER_STATE, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < b->norders; i++) {
        const struct br_order *o = &b->orders[i];
        const struct br_order_state *s = &f->state->orders[i];
        if (o->kind != BR_ORDER_PLAN && o->kind != BR_ORDER_COUPON)
            continue;
        if (!s->dirty && !o->is_new)
            continue;
        struct br_row *r = tw_row(&t);
        br_row_text(r, o->order_id);
        br_row_int(r, s->consumed);
        br_row_int(r, s->recognised_e8);
        br_row_int(r, s->sl_to);
        br_row_int(r, s->breakage_e8);
        br_row_bool(r, s->expired);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

static enum br_status write_balances(struct br_db *db, struct br_batch_writer *w,
                                     const struct br_facts *f, struct br_error *err)
{
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_BALANCE_STATE, err);
    if (st != BR_OK)
        return st;
    for (size_t a = 0; a < f->state->naccounts; a++) {
        if (!f->state->balance_dirty[a])
            continue;
        struct br_row *r = tw_row(&t);
        br_row_text(r, br_book_account_id(f->book, (uint32_t)a));
        br_row_int(r, f->state->balance_e8[a]);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
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

/* The UTC days of capacity plans the batch changed, each once. */
static enum br_status capacity_days(const struct br_facts *f, struct cap_day **out, size_t *n)
{
    const struct br_map *m = &f->state->buckets;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < m->cap; i++) {
        const struct br_map_entry *e = &m->e[i];
        if (!e->used || !e->dirty || f->book->orders[e->a].plan_type == BR_PLAN_MONTHLY)
            continue;
        if (br_grow((void **)out, &cap, *n + 1, sizeof(**out), (size_t)1 << 32) != BR_OK)
            return BR_ERR_NOMEM;
        (*out)[(*n)++] = (struct cap_day){(uint32_t)e->a, br_floor_div((int64_t)e->b, 24)};
    }
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), cap_day_cmp);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (k == 0 || (*out)[i].order != (*out)[k - 1].order || (*out)[i].day != (*out)[k - 1].day)
            (*out)[k++] = (*out)[i];
    *n = k;
    return BR_OK;
}

/* Monthly plans' months (kind month), and capacity plans' hourly use as one
 * row per plan and UTC day that the batch changed, carrying all 24 hours
 * (kind day): the day's other hours come from the opening state, which
 * br_load_state reads by whole days. */
static enum br_status write_buckets(struct br_db *db, struct br_batch_writer *w,
                                    const struct br_facts *f, struct br_error *err)
{
    const struct br_map *m = &f->state->buckets;
    struct cap_day *days;
    size_t ndays;
    if (capacity_days(f, &days, &ndays) != BR_OK)
        return br_fail(err, BR_ERR_NOMEM, "out of memory for capacity plan days");
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_BUCKET_STATE, err);
    for (size_t i = 0; i < m->cap && st == BR_OK; i++) {
        const struct br_map_entry *e = &m->e[i];
        if (!e->used || !e->dirty || f->book->orders[e->a].plan_type != BR_PLAN_MONTHLY)
            continue;
        struct br_row *r = tw_row(&t);
        br_row_text(r, f->book->orders[e->a].order_id);
        br_row_text(r, "month");
        br_row_int(r, (int64_t)e->b);
        br_row_int(r, e->value);
        br_row_null(r);
        tw_end(&t);
    }
    for (size_t i = 0; i < ndays && st == BR_OK; i++) {
        int64_t hours[24], used = 0;
        for (int h = 0; h < 24; h++) {
            const struct br_map_entry *e =
                br_map_get(m, days[i].order, (uint64_t)(days[i].day * 24 + h));
            hours[h] = e != NULL ? e->value : 0;
            used += hours[h]; /* each hour is at most the plan's capacity: no overflow */
        }
        struct br_row *r = tw_row(&t);
        br_row_text(r, f->book->orders[days[i].order].order_id);
        br_row_text(r, "day");
        br_row_int(r, days[i].day);
        br_row_int(r, used);
        br_row_ints(r, hours, 24);
        tw_end(&t);
    }
    free(days);
    return st == BR_OK ? tw_finish(&t, BR_OK, err) : st;
}

static enum br_status write_allowance(struct br_db *db, struct br_batch_writer *w,
                                      const struct br_facts *f, struct br_error *err)
{
    const struct br_map *m = &f->state->allowance;
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_ALLOWANCE_STATE, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < m->cap; i++) {
        const struct br_map_entry *e = &m->e[i];
        if (!e->used || !e->dirty)
            continue;
        struct br_row *r = tw_row(&t);
        br_row_text(r, br_book_account_id(f->book, (uint32_t)(e->a >> 8)));
        br_row_text(r, br_items[e->a & 0xFF].name);
        br_row_period(r, (br_period)(int64_t)e->b);
        br_row_int(r, e->value);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

static enum br_status write_spans(struct br_db *db, struct br_batch_writer *w,
                                  const struct br_facts *f, struct br_error *err)
{
    const struct br_rate_result *rr = f->rated;
    const struct br_usage *u = &f->ing->usage;
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_RATED_SPANS, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < rr->nspans; i++) {
        const struct br_rated_span *s = &rr->spans[i];
        struct br_row *r = tw_row(&t);
        br_row_text(r, br_items[u->keys[s->key].item].name);
        br_row_text(r, br_book_spec(f->book, u->keys[s->key].spec));
        br_row_int(r, s->hour_from);
        br_row_int(r, s->hour_to);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

enum br_status br_write_facts(struct br_db *db, struct br_batch_writer *w, const struct br_facts *f,
                              struct br_error *err)
{
    static enum br_status (*const steps[])(struct br_db *, struct br_batch_writer *,
                                           const struct br_facts *, struct br_error *) = {
        write_files,       write_rejects,     write_outcomes, write_accounts,  write_prices,
        write_orders,      write_adjustments, write_lines,    write_draws,     write_plan_events,
        write_order_state, write_balances,    write_buckets,  write_allowance, write_spans};
    enum br_status st = BR_OK;
    for (size_t i = 0; st == BR_OK && i < sizeof(steps) / sizeof(steps[0]); i++)
        st = steps[i](db, w, f, err);
    return st;
}

/* ---- closes and batches ---------------------------------------------------------- */

enum br_status br_write_close(struct br_db *db, struct br_batch_writer *w, const char *period,
                              bool forced, const char *seller, const struct br_invoice_final *inv,
                              size_t n, int64_t *closed_at, struct br_error *err)
{
    enum br_status st = br_sql_int64(db, "SELECT extract(epoch FROM date_trunc('second', now()))",
                                     0, NULL, 0, closed_at, err);
    struct tw t;
    if (st == BR_OK)
        st = tw_begin(&t, db, w, BR_SEC_PERIOD_CLOSES, err);
    if (st != BR_OK)
        return st;
    struct br_row *r = tw_row(&t);
    br_row_text(r, period);
    br_row_time(r, *closed_at);
    br_row_bool(r, forced);
    br_row_text(r, seller);
    tw_end(&t);
    st = tw_finish(&t, BR_OK, err);
    if (st == BR_OK)
        st = tw_begin(&t, db, w, BR_SEC_INVOICE_FINALS, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        const struct br_invoice_final *x = &inv[i];
        r = tw_row(&t);
        br_row_text(r, x->invoice_no);
        br_row_text(r, period);
        br_row_text(r, x->account_id);
        br_row_int(r, x->gross_e8);
        br_row_int(r, x->free_e8);
        br_row_int(r, x->plan_e8);
        br_row_int(r, x->coupon_e8);
        br_row_int(r, x->balance_e8);
        br_row_int(r, x->outstanding_e8);
        br_row_int(r, x->credits_e8);
        br_row_int(r, x->debits_e8);
        br_row_int(r, x->round_down_e8);
        br_row_int(r, x->amount_due_e8);
        br_row_text(r, x->buyer_name);
        br_row_text(r, x->buyer_address);
        br_row_text(r, x->buyer_tax_id);
        br_row_text(r, x->buyer_email);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

enum br_status br_write_notes(struct br_db *db, struct br_batch_writer *w, const char *period,
                              const struct br_note *notes, size_t n, struct br_error *err)
{
    struct tw t;
    enum br_status st = tw_begin(&t, db, w, BR_SEC_NOTES, err);
    if (st != BR_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        struct br_row *r = tw_row(&t);
        br_row_text(r, notes[i].note_no);
        br_row_text(r, notes[i].adjustment_id);
        br_row_text(r, period);
        tw_end(&t);
    }
    return tw_finish(&t, BR_OK, err);
}

enum br_status br_write_batch_row(struct br_db *db, const struct br_batch_row *b,
                                  struct br_error *err)
{
    char id[24], started[32], asof[32], prev[70], ch[70], hh[70], hex[65];
    snprintf(id, sizeof(id), "%lld", (long long)b->head.batch_id);
    br_sql_time_param(b->started_at, started);
    br_sql_time_param(b->head.as_of, asof);
    if (b->prev_hash != NULL) {
        br_hex32(b->prev_hash, hex);
        snprintf(prev, sizeof(prev), "\\x%s", hex);
    }
    br_hex32(b->content, hex);
    snprintf(ch, sizeof(ch), "\\x%s", hex);
    br_hex32(b->hash, hex);
    snprintf(hh, sizeof(hh), "\\x%s", hex);
    const char *p[10] = {id,
                         b->head.kind,
                         started,
                         asof,
                         b->head.period,
                         b->version,
                         b->prev_hash != NULL ? prev : NULL,
                         ch,
                         hh,
                         b->summary ? b->summary : ""};
    return br_sql_execp(db,
                        "INSERT INTO ledger.batches (batch_id, kind, started_at, as_of, period, "
                        "tool_version, prev_hash, content_hash, hash, summary) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7::bytea, $8::bytea, $9::bytea, $10)",
                        10, p, err);
}
