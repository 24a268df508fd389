/* Loading what a batch starts from (load.h). */
#include "store/load.h"

#include "core/btime.h"
#include "core/sha256.h"
#include "store/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define i64 br_sql_i64
#define str br_sql_str

static enum br_status load_accounts(struct br_db *db, struct br_book *b, struct br_error *err)
{
    PGresult *r;
    enum br_status st =
        br_sql_query(db, "SELECT account_id, name, address, tax_id, email FROM billing.accounts", 0,
                     NULL, &r, err);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r) && st == BR_OK; i++) {
        uint32_t a;
        const char *id = PQgetvalue(r, i, 0);
        st = br_book_account(b, id, strlen(id), &a);
        const char *f[4] = {PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
                            PQgetvalue(r, i, 4)};
        size_t n[4] = {strlen(f[0]), strlen(f[1]), strlen(f[2]), strlen(f[3])};
        if (st == BR_OK)
            st = br_book_account_set(b, a, f, n);
    }
    PQclear(r);
    return st == BR_OK ? BR_OK : br_fail(err, st, "out of memory loading accounts");
}

static enum br_status load_prices(struct br_db *db, struct br_book *b, struct br_error *err)
{
    PGresult *r;
    enum br_status st = br_sql_query(
        db,
        "SELECT price_id, item, spec, unit_price_e10, extract(epoch FROM effective_from)::bigint, "
        "extract(epoch FROM effective_to)::bigint, tod_from_s, tod_to_s, free_per_month_units "
        "FROM billing.prices ORDER BY price_id",
        0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r) && st == BR_OK; i++) {
        struct br_price p = {0};
        p.id = i64(r, i, 0, 0);
        const char *item = PQgetvalue(r, i, 1), *spec = PQgetvalue(r, i, 2);
        if (!br_item_parse(item, strlen(item), &p.item)) {
            st = br_fail(err, BR_ERR_STATE, "billing.prices has an unknown item %s", item);
            break;
        }
        p.spec = BR_SPEC_ANY;
        if (strcmp(spec, "*") != 0)
            st = br_strtab_intern(&b->specs, spec, strlen(spec), &p.spec);
        p.price_e10 = i64(r, i, 3, 0);
        p.from = i64(r, i, 4, 0);
        p.to = i64(r, i, 5, BR_T_OPEN);
        p.tod_from = (int32_t)i64(r, i, 6, -1);
        p.tod_to = (int32_t)i64(r, i, 7, -1);
        p.free_units = i64(r, i, 8, -1);
        if (st == BR_OK)
            st = br_book_add_price(b, &p);
    }
    PQclear(r);
    return st;
}

static enum br_order_kind kind_of(const char *s)
{
    if (strcmp(s, "plan") == 0)
        return BR_ORDER_PLAN;
    if (strcmp(s, "coupon") == 0)
        return BR_ORDER_COUPON;
    if (strcmp(s, "topup") == 0)
        return BR_ORDER_TOPUP;
    return BR_ORDER_PAYMENT;
}

static enum br_plan_type plan_type_of(const char *s)
{
    static const char *const n[] = {"", "amount", "pool", "monthly", "capacity"};
    for (int i = 1; s != NULL && i < 5; i++)
        if (strcmp(s, n[i]) == 0)
            return (enum br_plan_type)i;
    return BR_PLAN_NONE;
}

static enum br_status load_orders(struct br_db *db, struct br_book *b, int64_t as_of,
                                  const struct br_strtab *ids, struct br_error *err)
{
    struct br_buf arr;
    br_buf_init(&arr, (size_t)1 << 30);
    char since[32];
    br_sql_time_param(as_of - 366 * (int64_t)BR_DAY_S, since);
    if (br_sql_array(ids, &arr) != BR_OK) {
        br_buf_free(&arr);
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    }
    const char *p[2] = {arr.data, since};
    PGresult *r;
    /* The night's orders, the plans that have not ended and the coupons of
     * the last 366 days, each found by an index: never every order stored.
     * A run expires every plan it knows whose validity ended by its as-of
     * (br_rate_recognise), and it knows every plan not yet ended, so a plan
     * that ends at or before the last run's as-of has ended; the others are
     * read by their end (orders_plan_valid_to), and verify checks that no
     * plan escaped (checks.c, "plan expiries"). */
#define ORDER_COLUMNS                                                                              \
    "SELECT order_id, account_id, extract(epoch FROM order_time)::bigint, kind, scope, "           \
    "scope_mask, plan_type, quantity_e10, unit, face, paid_e8, valid_days, "                       \
    "extract(epoch FROM valid_from)::bigint, extract(epoch FROM valid_to)::bigint, bundle_id "     \
    "FROM billing.orders o "
    enum br_status st = br_sql_query(
        db,
        ORDER_COLUMNS
        "WHERE o.order_id = ANY ($1::text[]) "
        "UNION " ORDER_COLUMNS "WHERE o.kind = 'plan' AND o.valid_to > coalesce("
        "  (SELECT max(as_of) FROM ledger.batches WHERE kind IN ('run', 'reprocess')), "
        "  '-infinity') "
        "AND NOT EXISTS (SELECT 1 FROM billing.plan_events e "
        "  WHERE e.order_id = o.order_id AND e.kind IN ('breakage', 'expiry')) "
        "UNION " ORDER_COLUMNS "WHERE o.kind = 'coupon' AND o.valid_to > $2::timestamptz "
        "ORDER BY 1",
        2, p, &r, err);
#undef ORDER_COLUMNS
    br_buf_free(&arr);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r) && st == BR_OK; i++) {
        struct br_order o = {0};
        o.order_id = PQgetvalue(r, i, 0);
        const char *acct = PQgetvalue(r, i, 1);
        if (!br_book_account_find(b, acct, strlen(acct), &o.account)) {
            st = br_fail(err, BR_ERR_STATE, "order %s names an unknown account", o.order_id);
            break;
        }
        o.order_time = i64(r, i, 2, 0);
        o.kind = kind_of(PQgetvalue(r, i, 3));
        o.scope_text = PQgetvalue(r, i, 4);
        o.scope_star = strcmp(o.scope_text, "*") == 0;
        o.scope = (uint8_t)i64(r, i, 5, 0);
        o.plan_type = plan_type_of(str(r, i, 6));
        /* NULL with a face: too large to keep at 10 decimals (rows.c) */
        o.quantity_e10 = PQgetisnull(r, i, 7) && !PQgetisnull(r, i, 9) ? -1 : i64(r, i, 7, 0);
        const char *unit = str(r, i, 8);
        o.unit = BR_UNIT_CNY;
        if (unit != NULL)
            br_unit_parse(unit, strlen(unit), &o.unit);
        o.face = i64(r, i, 9, 0);
        o.paid_e8 = i64(r, i, 10, 0);
        o.valid_days = (int32_t)i64(r, i, 11, 0);
        o.valid_from = i64(r, i, 12, 0);
        o.valid_to = i64(r, i, 13, 0);
        o.bundle_id = (char *)str(r, i, 14);
        o.is_new = false;
        st = br_book_add_order(b, &o);
    }
    PQclear(r);
    return st;
}

static bool item_of(const char *s, enum br_item *out)
{
    return s != NULL && br_item_parse(s, strlen(s), out);
}

/* One adjustment row of a result (adjustment_id, account_id, epoch time,
 * kind, item, amount_e8, invoice_no, reason) into the book, not new. */
static enum br_status add_adjustment(struct br_book *b, const PGresult *r, int i, bool recredit,
                                     struct br_error *err)
{
    struct br_adjustment a = {.adjustment_id = PQgetvalue(r, i, 0),
                              .at = i64(r, i, 2, 0),
                              .credit = strcmp(PQgetvalue(r, i, 3), "credit") == 0,
                              .amount_e8 = i64(r, i, 5, 0),
                              .invoice_no = (char *)str(r, i, 6),
                              .reason = PQgetvalue(r, i, 7),
                              .recredit = recredit};
    const char *acct = PQgetvalue(r, i, 1);
    if (!br_book_account_find(b, acct, strlen(acct), &a.account) ||
        !item_of(PQgetvalue(r, i, 4), &a.item))
        return br_fail(err, BR_ERR_STATE, "adjustment %s names an unknown account or item",
                       a.adjustment_id);
    enum br_status st = br_book_add_adjustment(b, &a);
    return st == BR_OK ? BR_OK : br_fail(err, st, "out of memory loading adjustments");
}

#define ADJUSTMENT_COLUMNS                                                                         \
    "adjustment_id, account_id, extract(epoch FROM adjustment_time)::bigint, kind, item, "         \
    "amount_e8, invoice_no, reason"

/* The adjustments a night's files name (to tell a re-sent one from a
 * conflicting one), and the final invoices they name (for unknown_invoice
 * and over_credit: gross - free, and the credits accepted so far). */
static enum br_status load_adjustments(struct br_db *db, struct br_book *b,
                                       const struct br_load_ids *ids, struct br_error *err)
{
    struct br_buf adj, inv;
    br_buf_init(&adj, (size_t)1 << 30);
    br_buf_init(&inv, (size_t)1 << 30);
    if (br_sql_array(ids ? &ids->adjustments : NULL, &adj) != BR_OK ||
        br_sql_array(ids ? &ids->invoices : NULL, &inv) != BR_OK) {
        br_buf_free(&adj);
        br_buf_free(&inv);
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    }
    const char *p1[1] = {adj.data}, *p2[1] = {inv.data};
    PGresult *r = NULL;
    enum br_status st = br_sql_query(db,
                                     "SELECT " ADJUSTMENT_COLUMNS " FROM billing.adjustment_rows "
                                     "WHERE adjustment_id = ANY ($1::text[]) ORDER BY 1",
                                     1, p1, &r, err);
    for (int i = 0; st == BR_OK && i < PQntuples(r); i++)
        st = add_adjustment(b, r, i, false, err);
    if (r != NULL)
        PQclear(r);
    r = NULL;
    if (st == BR_OK)
        st = br_sql_query(
            db,
            "SELECT f.invoice_no, f.account_id, f.gross_e8 - f.free_e8, "
            "coalesce((SELECT sum(a.amount_e8) FROM billing.adjustment_rows a "
            "  WHERE a.invoice_no = f.invoice_no AND a.kind = 'credit'), 0) "
            "FROM billing.invoice_finals f WHERE f.invoice_no = ANY ($1::text[]) ORDER BY 1",
            1, p2, &r, err);
    for (int i = 0; st == BR_OK && i < PQntuples(r); i++) {
        const char *acct = PQgetvalue(r, i, 1);
        struct br_invoice_ref x = {.invoice_no = PQgetvalue(r, i, 0),
                                   .limit_e8 = i64(r, i, 2, 0),
                                   .credited_e8 = i64(r, i, 3, 0)};
        if (!br_book_account_find(b, acct, strlen(acct), &x.account))
            st = br_fail(err, BR_ERR_STATE, "invoice %s names an unknown account", x.invoice_no);
        else if (br_book_add_invoice(b, &x) != BR_OK)
            st = br_fail(err, BR_ERR_NOMEM, "out of memory loading invoices");
    }
    if (r != NULL)
        PQclear(r);
    br_buf_free(&adj);
    br_buf_free(&inv);
    return st;
}

void br_load_ids_init(struct br_load_ids *ids)
{
    br_strtab_init(&ids->orders, (size_t)1 << 30);
    br_strtab_init(&ids->adjustments, (size_t)1 << 30);
    br_strtab_init(&ids->invoices, (size_t)1 << 30);
}

void br_load_ids_free(struct br_load_ids *ids)
{
    br_strtab_free(&ids->orders);
    br_strtab_free(&ids->adjustments);
    br_strtab_free(&ids->invoices);
}

enum br_status br_load_book(struct br_db *db, struct br_book *book, int64_t as_of,
                            const struct br_load_ids *ids, struct br_error *err)
{
    enum br_status st = load_accounts(db, book, err);
    if (st == BR_OK)
        st = load_prices(db, book, err);
    if (st == BR_OK)
        st = load_orders(db, book, as_of, ids ? &ids->orders : NULL, err);
    if (st == BR_OK)
        st = load_adjustments(db, book, ids, err);
    return st;
}

enum br_status br_load_closed(struct br_db *db, br_period **out, size_t *n, struct br_error *err)
{
    PGresult *r;
    *out = NULL;
    *n = 0;
    enum br_status st = br_sql_query(db, "SELECT period FROM billing.period_closes ORDER BY period",
                                     0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    int rows = PQntuples(r);
    *out = br_mallocn((size_t)rows + 1, sizeof(**out));
    if (*out == NULL) {
        PQclear(r);
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < rows; i++) {
        const char *p = PQgetvalue(r, i, 0);
        if (br_period_parse(p, strlen(p), &(*out)[*n]))
            (*n)++;
    }
    PQclear(r);
    return BR_OK;
}

static enum br_status load_order_state(struct br_db *db, const struct br_book *b,
                                       struct br_rate_state *s, struct br_error *err)
{
    struct br_buf arr;
    br_buf_init(&arr, (size_t)1 << 30);
    if (br_sql_array(&b->order_ids, &arr) != BR_OK) {
        br_buf_free(&arr);
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    }
    const char *p[1] = {arr.data};
    PGresult *r;
    enum br_status st = br_sql_query(
        db,
        "SELECT x.order_id, x.consumed, x.recognised_e8, x.sl_elapsed_s, x.breakage_e8, "
        "x.expired FROM unnest($1::text[]) AS o(order_id) CROSS JOIN LATERAL "
        "(SELECT * FROM billing.order_state s WHERE s.order_id = o.order_id "
        " ORDER BY s.batch_id DESC LIMIT 1) x",
        1, p, &r, err);
    br_buf_free(&arr);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *id = PQgetvalue(r, i, 0);
        uint32_t oi;
        if (!br_book_order_find(b, id, strlen(id), &oi))
            continue;
        struct br_order_state *x = &s->orders[oi];
        x->consumed = i64(r, i, 1, 0);
        x->recognised_e8 = i64(r, i, 2, 0);
        x->sl_to = i64(r, i, 3, 0);
        x->breakage_e8 = i64(r, i, 4, 0);
        x->expired = PQgetvalue(r, i, 5)[0] == 't';
        x->dirty = false;
    }
    PQclear(r);
    return BR_OK;
}

static enum br_status load_balances(struct br_db *db, const struct br_book *b,
                                    struct br_rate_state *s, struct br_error *err)
{
    struct br_buf arr;
    br_buf_init(&arr, (size_t)1 << 30);
    if (br_sql_array(&b->account_ids, &arr) != BR_OK) {
        br_buf_free(&arr);
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    }
    const char *p[1] = {arr.data};
    PGresult *r;
    enum br_status st =
        br_sql_query(db,
                     "SELECT a.account_id, x.balance_e8 FROM unnest($1::text[]) AS a(account_id) "
                     "CROSS JOIN LATERAL (SELECT balance_e8 FROM billing.balance_state s "
                     " WHERE s.account_id = a.account_id ORDER BY s.batch_id DESC LIMIT 1) x",
                     1, p, &r, err);
    br_buf_free(&arr);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *id = PQgetvalue(r, i, 0);
        uint32_t a;
        if (br_book_account_find(b, id, strlen(id), &a))
            s->balance_e8[a] = i64(r, i, 1, 0);
    }
    PQclear(r);
    return BR_OK;
}

/* Credit adjustments of earlier runs dated after `since`: like top-ups, out
 * of the opening balance, back at their own time (corrections.md 3). */
static enum br_status load_credit_recredits(struct br_db *db, struct br_book *book,
                                            struct br_rate_state *state, const char *since,
                                            struct br_error *err)
{
    const char *p[1] = {since};
    PGresult *r;
    enum br_status st = br_sql_query(db,
                                     "SELECT " ADJUSTMENT_COLUMNS " FROM billing.adjustment_rows "
                                     "WHERE kind = 'credit' AND adjustment_time > $1::timestamptz "
                                     "ORDER BY adjustment_id",
                                     1, p, &r, err);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r) && st == BR_OK; i++) {
        const char *id = PQgetvalue(r, i, 0);
        uint32_t k;
        if (br_book_adjustment_find(book, id, strlen(id), &k)) {
            struct br_adjustment *a = &book->adjustments[k];
            if (a->is_new || a->recredit)
                continue; /* sent again by this run: applied once, as before */
            a->recredit = true;
        } else {
            st = add_adjustment(book, r, i, true, err);
            if (st != BR_OK)
                break;
            k = (uint32_t)book->nadjustments - 1;
        }
        if (br_rate_state_fit(state, book) != BR_OK) {
            st = br_fail(err, BR_ERR_NOMEM, "out of memory for the rating state");
            break;
        }
        /* may go below zero: draws need a positive balance */
        state->balance_e8[book->adjustments[k].account] -= book->adjustments[k].amount_e8;
    }
    PQclear(r);
    return st;
}

enum br_status br_load_recredits(struct br_db *db, struct br_book *book,
                                 struct br_rate_state *state, int64_t t_min, struct br_error *err)
{
    if (t_min == INT64_MAX)
        return BR_OK;
    char since[32];
    br_sql_time_param(t_min, since);
    const char *p[1] = {since};
    PGresult *r;
    enum br_status st =
        br_sql_query(db,
                     "SELECT order_id, account_id, extract(epoch FROM order_time)::bigint, paid_e8 "
                     "FROM billing.orders WHERE kind = 'topup' AND order_time > $1::timestamptz "
                     "ORDER BY order_id",
                     1, p, &r, err);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r) && st == BR_OK; i++) {
        const char *id = PQgetvalue(r, i, 0), *acct = PQgetvalue(r, i, 1);
        uint32_t a, oi;
        if (!br_book_account_find(book, acct, strlen(acct), &a)) {
            st = br_fail(err, BR_ERR_STATE, "top-up %s names an unknown account", id);
            break;
        }
        if (br_book_order_find(book, id, strlen(id), &oi)) {
            struct br_order *o = &book->orders[oi];
            if (o->is_new || o->kind != BR_ORDER_TOPUP || o->recredit)
                continue; /* sent again by this run: applied once, as before */
            o->recredit = true;
        } else {
            struct br_order o = {.order_id = (char *)id,
                                 .account = a,
                                 .order_time = i64(r, i, 2, 0),
                                 .kind = BR_ORDER_TOPUP,
                                 .paid_e8 = i64(r, i, 3, 0),
                                 .storage_next = BR_NO_ID,
                                 .is_new = false,
                                 .recredit = true};
            st = br_book_add_order(book, &o);
            if (st != BR_OK) {
                st = br_fail(err, st, "out of memory loading top-ups");
                break;
            }
        }
        /* may go below zero: draws need a positive balance */
        state->balance_e8[a] -= i64(r, i, 3, 0);
    }
    PQclear(r);
    if (st == BR_OK)
        st = load_credit_recredits(db, book, state, since, err);
    if (st == BR_OK && br_rate_state_fit(state, book) != BR_OK)
        st = br_fail(err, BR_ERR_NOMEM, "out of memory for the rating state");
    return st;
}

/* The 24 hours of a capacity plan's day: "{h0,...,h23}" into v. */
static bool parse_hours(const char *t, int64_t v[24])
{
    if (t == NULL || *t++ != '{')
        return false;
    for (int h = 0; h < 24; h++) {
        char *end;
        v[h] = strtoll(t, &end, 10);
        if (end == t || *end != (h == 23 ? '}' : ','))
            return false;
        t = end + 1;
    }
    return true;
}

static enum br_status put_bucket(struct br_rate_state *s, uint32_t order, uint64_t bucket,
                                 int64_t used, struct br_error *err)
{
    struct br_map_entry *e = br_map_put(&s->buckets, order, bucket);
    if (e == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory loading quota buckets");
    e->value = used;
    return BR_OK;
}

static enum br_status load_buckets(struct br_db *db, const struct br_book *b,
                                   struct br_rate_state *s, br_period min_period, int64_t min_hour,
                                   struct br_error *err)
{
    char p1[24], p2[24];
    snprintf(p1, sizeof(p1), "%d", (int)min_period);
    /* whole UTC days: a capacity plan's day row is written with all 24 hours */
    snprintf(p2, sizeof(p2), "%lld", (long long)br_floor_div(min_hour, 24));
    const char *params[2] = {p1, p2};
    PGresult *r;
    /* A monthly plan's month, or a capacity plan's UTC day with its 24
     * hours in an array; the latest batch's row of a key wins. */
    enum br_status st = br_sql_query(
        db,
        "SELECT DISTINCT ON (order_id, kind, bucket) order_id, kind, bucket, used, hours "
        "FROM billing.bucket_state WHERE (kind = 'month' AND bucket >= $1::bigint) "
        "OR (kind = 'day' AND bucket >= $2::bigint) "
        "ORDER BY order_id, kind, bucket, batch_id DESC",
        2, params, &r, err);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r) && st == BR_OK; i++) {
        const char *id = PQgetvalue(r, i, 0);
        uint32_t oi;
        if (!br_book_order_find(b, id, strlen(id), &oi))
            continue;
        int64_t bucket = i64(r, i, 2, 0);
        if (PQgetvalue(r, i, 1)[0] == 'm') {
            st = put_bucket(s, oi, (uint64_t)bucket, i64(r, i, 3, 0), err);
            continue;
        }
        int64_t hours[24];
        if (!parse_hours(str(r, i, 4), hours)) {
            st = br_fail(err, BR_ERR_STATE, "billing.bucket_state: plan %s, day %lld: bad hours",
                         id, (long long)bucket);
            break;
        }
        for (int h = 0; h < 24 && st == BR_OK; h++)
            st = put_bucket(s, oi, (uint64_t)(bucket * 24 + h), hours[h], err);
    }
    PQclear(r);
    return st;
}

static enum br_status load_allowance(struct br_db *db, const struct br_book *b,
                                     struct br_rate_state *s, br_period min_period,
                                     struct br_error *err)
{
    char p1[16];
    br_period_format(min_period, p1, sizeof(p1));
    const char *params[1] = {p1};
    PGresult *r;
    enum br_status st =
        br_sql_query(db,
                     "SELECT DISTINCT ON (account_id, item, period) account_id, item, period, used "
                     "FROM billing.allowance_state WHERE period >= $1 "
                     "ORDER BY account_id, item, period, batch_id DESC",
                     1, params, &r, err);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r) && st == BR_OK; i++) {
        const char *id = PQgetvalue(r, i, 0), *item = PQgetvalue(r, i, 1);
        const char *per = PQgetvalue(r, i, 2);
        uint32_t a;
        enum br_item it;
        br_period p;
        if (!br_book_account_find(b, id, strlen(id), &a) ||
            !br_item_parse(item, strlen(item), &it) || !br_period_parse(per, strlen(per), &p))
            continue;
        struct br_map_entry *e =
            br_map_put(&s->allowance, ((uint64_t)a << 8) | it, (uint64_t)(int64_t)p);
        if (e == NULL)
            st = br_fail(err, BR_ERR_NOMEM, "out of memory loading allowances");
        else
            e->value = i64(r, i, 3, 0);
    }
    PQclear(r);
    return st;
}

enum br_status br_load_state(struct br_db *db, const struct br_book *book,
                             struct br_rate_state *state, br_period min_period, int64_t min_hour,
                             struct br_error *err)
{
    enum br_status st = br_rate_state_fit(state, book);
    if (st != BR_OK)
        return br_fail(err, st, "out of memory for the rating state");
    st = load_order_state(db, book, state, err);
    if (st == BR_OK)
        st = load_balances(db, book, state, err);
    if (st == BR_OK)
        st = load_buckets(db, book, state, min_period, min_hour, err);
    if (st == BR_OK)
        st = load_allowance(db, book, state, min_period, err);
    return st;
}

enum br_status br_load_name_seen(struct br_db *db, const char *name, bool *seen,
                                 struct br_error *err)
{
    const char *p[1] = {name};
    int64_t n = 0;
    enum br_status st = br_sql_int64(db,
                                     "SELECT count(*) FROM (SELECT 1 FROM billing.files "
                                     "WHERE name = $1 AND kind <> 'reprocess' LIMIT 1) f",
                                     1, p, 0, &n, err);
    *seen = n != 0;
    return st;
}

enum br_status br_load_known(struct br_db *db, const char *name, const uint8_t sha[32],
                             enum br_known *out, enum br_reason *reason, struct br_error *err)
{
    char hex[65];
    br_hex32(sha, hex);
    const char *p[2] = {name, hex};
    PGresult *r;
    enum br_status st =
        br_sql_query(db,
                     "SELECT bool_or(status = 'applied' AND sha256 = decode($2, 'hex')), "
                     "bool_or(status = 'applied' AND sha256 <> decode($2, 'hex')), "
                     "(array_agg(reason ORDER BY file_id DESC) FILTER (WHERE status = 'refused' "
                     "AND sha256 = decode($2, 'hex')))[1] "
                     "FROM billing.files WHERE name = $1 AND kind <> 'reprocess'",
                     2, p, &r, err);
    if (st != BR_OK)
        return st;
    *out = BR_KNOWN_NEW;
    *reason = BR_R_NONE;
    if (!PQgetisnull(r, 0, 0) && PQgetvalue(r, 0, 0)[0] == 't') {
        *out = BR_KNOWN_SAME;
    } else if (!PQgetisnull(r, 0, 2)) {
        /* the same bytes are refused the same way again: not read, not
         * recorded again, but still reported (exit 3) while in the inbox */
        *out = BR_KNOWN_REFUSED;
        if (!br_reason_parse(PQgetvalue(r, 0, 2), reason))
            *reason = BR_R_NONE;
    } else if (!PQgetisnull(r, 0, 1) && PQgetvalue(r, 0, 1)[0] == 't') {
        *out = BR_KNOWN_CHANGED;
    }
    PQclear(r);
    return BR_OK;
}

bool br_load_rated(void *ctx, enum br_item item, const char *spec, int64_t from, int64_t to)
{
    struct br_db *db = ctx;
    char h0[24], h1[24];
    /* hours h with [h*3600, h*3600+3600) meeting [from, to) */
    snprintf(h0, sizeof(h0), "%lld", (long long)br_floor_div(from, BR_HOUR_S));
    snprintf(h1, sizeof(h1), "%lld",
             (long long)(to == BR_T_OPEN ? INT64_MAX : br_floor_div(to - 1, BR_HOUR_S)));
    const char *p[4] = {br_items[item].name, spec, h0, h1};
    int64_t hit = 1;
    struct br_error err;
    br_sql_int64(db,
                 "SELECT count(*) FROM billing.rated_spans WHERE item = $1 "
                 "AND ($2::text IS NULL OR spec = $2) AND hour_from <= $4::bigint "
                 "AND hour_to >= $3::bigint",
                 4, p, 1, &hit, &err);
    return hit != 0;
}

enum br_status br_load_open_rejects(struct br_db *db,
                                    enum br_status (*fn)(void *ctx, const struct br_open_reject *r),
                                    void *ctx, struct br_error *err)
{
    PGresult *r;
    enum br_status st = br_sql_query(
        db,
        "SELECT r.reject_id, r.line, f.kind, r.raw_bytes, coalesce(o.reason, r.reason) "
        "FROM billing.reject_rows r "
        "JOIN billing.files f USING (file_id) "
        "LEFT JOIN LATERAL (SELECT outcome, reason FROM billing.reject_outcomes x "
        "  WHERE x.reject_id = r.reject_id ORDER BY batch_id DESC LIMIT 1) o ON true "
        "WHERE coalesce(o.outcome, '') <> 'rated' AND NOT r.truncated "
        "AND coalesce(o.reason, r.reason) IN ('unknown_account', 'no_price') "
        "AND f.kind IN ('orders', 'eas', 'oss') "
        "ORDER BY CASE f.kind WHEN 'orders' THEN 0 WHEN 'eas' THEN 1 ELSE 2 END, r.reject_id",
        0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(r) && st == BR_OK; i++) {
        const char *kind = PQgetvalue(r, i, 2);
        struct br_open_reject x = {.reject_id = i64(r, i, 0, 0),
                                   .line = (uint64_t)i64(r, i, 1, 0),
                                   .kind = strcmp(kind, "orders") == 0 ? BR_KIND_ORDERS
                                           : strcmp(kind, "eas") == 0  ? BR_KIND_EAS
                                                                       : BR_KIND_OSS};
        if (!br_reason_parse(PQgetvalue(r, i, 4), &x.reason))
            x.reason = BR_R_NONE;
        size_t len = 0;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 3), &len);
        if (raw == NULL) {
            st = br_fail(err, BR_ERR_NOMEM, "out of memory reading rejects");
            break;
        }
        x.raw = (const char *)raw;
        x.raw_len = len;
        st = fn(ctx, &x);
        PQfreemem(raw);
    }
    PQclear(r);
    return st;
}

enum br_status br_load_file_name(struct br_db *db, int64_t file_id, char *buf, size_t size,
                                 struct br_error *err)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)file_id);
    const char *p[1] = {id};
    PGresult *r;
    enum br_status st =
        br_sql_query(db, "SELECT name FROM billing.files WHERE file_id = $1", 1, p, &r, err);
    if (st != BR_OK)
        return st;
    snprintf(buf, size, "%s", PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "?");
    PQclear(r);
    return BR_OK;
}

enum br_status br_load_clock(struct br_db *db, int64_t *server_now, int64_t *max_run_as_of,
                             bool *any, struct br_error *err)
{
    PGresult *r;
    enum br_status st =
        br_sql_query(db,
                     "SELECT floor(extract(epoch FROM clock_timestamp()))::bigint, "
                     "(SELECT extract(epoch FROM max(as_of))::bigint FROM ledger.batches "
                     " WHERE kind IN ('run', 'reprocess'))",
                     0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    *server_now = br_sql_i64(r, 0, 0, 0);
    *any = !PQgetisnull(r, 0, 1);
    *max_run_as_of = br_sql_i64(r, 0, 1, 0);
    PQclear(r);
    return BR_OK;
}

enum br_status br_load_last_found_duplicates(struct br_db *db, bool *found, struct br_error *err)
{
    *found = false;
    PGresult *r;
    enum br_status st = br_sql_query(
        db, "SELECT max(batch_id) FROM ledger.batches WHERE kind IN ('run', 'reprocess')", 0, NULL,
        &r, err);
    if (st != BR_OK)
        return st;
    bool any = !PQgetisnull(r, 0, 0);
    char id[32];
    snprintf(id, sizeof(id), "%lld", (long long)br_sql_i64(r, 0, 0, 0));
    PQclear(r);
    if (!any)
        return BR_OK;
    /* a constant batch id: the BRIN index on reject_rows (batch_id) finds
     * the last batch's pages */
    const char *p[1] = {id};
    st = br_sql_query(
        db,
        "SELECT EXISTS (SELECT 1 FROM billing.reject_rows "
        "WHERE batch_id = $1::bigint AND reason = 'duplicate_record' AND detail IS NOT NULL)",
        1, p, &r, err);
    if (st != BR_OK)
        return st;
    *found = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return BR_OK;
}
