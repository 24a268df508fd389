/* Loading what billrun explain shows (explain.h). */
#include "store/explain.h"

#include "store/schema.h"
#include "store/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dup(struct br_explain *x, const PGresult *r, int i, int c, bool *ok)
{
    if (PQgetisnull(r, i, c))
        return NULL;
    const char *s = PQgetvalue(r, i, c);
    char *d = br_arena_strndup(&x->arena, s, strlen(s));
    *ok = *ok && d != NULL;
    return d;
}

static int64_t n64(const PGresult *r, int i, int c)
{
    return br_sql_i64(r, i, c, 0);
}

static enum br_status load_invoice(struct br_db *db, const char *const *p, struct br_explain *x,
                                   bool *ok, struct br_error *err)
{
    PGresult *r;
    enum br_status st =
        br_sql_query(db,
                     "SELECT coalesce(i.invoice_no, '(draft)'), i.status, i.gross, i.free, i.plan, "
                     "i.coupon, i.balance, i.outstanding, i.round_down, i.amount_due, "
                     "coalesce(a.name, ''), i.credits, i.debits "
                     "FROM billing.invoices i LEFT JOIN billing.accounts a "
                     "USING (account_id) WHERE i.period = $1 AND i.account_id = $2",
                     2, p, &r, err);
    if (st != BR_OK)
        return st;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return br_fail(err, BR_ERR_STATE, "no invoice for %s in %s", p[1], p[0]);
    }
    const char **f[] = {&x->invoice_no, &x->status,     &x->gross,   &x->free,
                        &x->plan,       &x->coupon,     &x->balance, &x->outstanding,
                        &x->round_down, &x->amount_due, &x->name,    &x->credits,
                        &x->debits};
    for (int c = 0; c < 13; c++)
        *f[c] = dup(x, r, 0, c, ok);
    PQclear(r);
    return BR_OK;
}

static enum br_status load_lines(struct br_db *db, const char *const *p, struct br_explain *x,
                                 bool *ok, struct br_error *err)
{
    PGresult *r;
    enum br_status st = br_sql_query(
        db,
        "SELECT l.item, l.quantity, l.unit, l.gross, l.free, l.plan, l.coupon, l.balance, "
        "l.outstanding, i.item_no, extract(epoch FROM min(u.day)::timestamp AT TIME ZONE "
        "'UTC')::bigint "
        "- s.tz_offset_s, extract(epoch FROM max(u.day)::timestamp AT TIME ZONE 'UTC')::bigint "
        "- s.tz_offset_s + 86400 FROM billing.invoice_lines l JOIN billing.items i USING (item) "
        "JOIN billing.usage_lines u ON u.period = l.period AND u.account_id = l.account_id AND "
        "u.item = l.item CROSS JOIN billing.settings s WHERE l.period = $1 AND l.account_id = $2 "
        "GROUP BY l.item, l.quantity, l.unit, l.gross, l.free, l.plan, l.coupon, l.balance, "
        "l.outstanding, i.item_no, s.tz_offset_s ORDER BY i.item_no",
        2, p, &r, err);
    if (st != BR_OK)
        return st;
    x->nlines = (size_t)PQntuples(r);
    x->lines = br_arena_alloc(&x->arena, (x->nlines + 1) * sizeof(*x->lines));
    *ok = *ok && x->lines != NULL;
    for (size_t i = 0; *ok && i < x->nlines; i++) {
        struct br_explain_line *l = &x->lines[i];
        const char **f[] = {&l->item, &l->quantity, &l->unit,    &l->gross,      &l->free,
                            &l->plan, &l->coupon,   &l->balance, &l->outstanding};
        for (int c = 0; c < 9; c++)
            *f[c] = dup(x, r, (int)i, c, ok);
        l->item_no = (int)n64(r, (int)i, 9);
        l->first = n64(r, (int)i, 10);
        l->last = n64(r, (int)i, 11);
    }
    PQclear(r);
    return BR_OK;
}

static enum br_status load_draws(struct br_db *db, const char *const *p, struct br_explain *x,
                                 bool *ok, struct br_error *err)
{
    PGresult *r;
    /* plans and coupons from their draws; the free allowance, the balance
     * and the receivable from the usage lines' split */
    enum br_status st =
        br_sql_query(db,
                     "SELECT item, source, order_id, sum(units), sum(value_e8), "
                     "sum(recognised_e8) FROM (SELECT item, source, order_id, units, "
                     "value_e8, recognised_e8 FROM billing.draws WHERE period = $1 AND "
                     "account_id = $2 UNION ALL "
                     "SELECT u.item, x.source, NULL, x.units, x.value_e8, 0 "
                     "FROM billing.usage_lines u CROSS JOIN LATERAL (VALUES "
                     "('free', u.free_units, u.free_e8), "
                     "('balance', u.balance_e8, u.balance_e8), "
                     "('outstanding', 0, u.outstanding_e8)) x(source, units, value_e8) "
                     "WHERE u.period = $1 AND u.account_id = $2 "
                     "AND (x.value_e8 > 0 OR x.units > 0)) d GROUP BY item, source, order_id "
                     "ORDER BY item, CASE source WHEN 'free' THEN 0 WHEN 'plan' THEN 1 "
                     "WHEN 'coupon' THEN 2 WHEN 'balance' THEN 3 ELSE 4 END, order_id",
                     2, p, &r, err);
    if (st != BR_OK)
        return st;
    x->ndraws = (size_t)PQntuples(r);
    x->draws = br_arena_alloc(&x->arena, (x->ndraws + 1) * sizeof(*x->draws));
    *ok = *ok && x->draws != NULL;
    for (size_t i = 0; *ok && i < x->ndraws; i++) {
        struct br_explain_draw *d = &x->draws[i];
        d->item = dup(x, r, (int)i, 0, ok);
        d->source = dup(x, r, (int)i, 1, ok);
        d->order_id = dup(x, r, (int)i, 2, ok);
        d->units = n64(r, (int)i, 3);
        d->value_e8 = n64(r, (int)i, 4);
        d->recognised_e8 = n64(r, (int)i, 5);
    }
    PQclear(r);
    return BR_OK;
}

static enum br_status load_orders(struct br_db *db, const char *const *p, struct br_explain *x,
                                  bool *ok, struct br_error *err)
{
    PGresult *r;
    enum br_status st = br_sql_query(
        db,
        "SELECT o.order_id, o.kind, coalesce(o.plan_type, 'coupon'), "
        "o.scope_mask, o.scope, extract(epoch FROM o.valid_from)::bigint, "
        "extract(epoch FROM o.valid_to)::bigint, o.face, coalesce(s.consumed, 0), "
        "coalesce(s.expired, false), coalesce(trim_scale(o.quantity_e10::numeric / "
        "10000000000), trim_scale(o.face / billing.unit_base(o.unit)))::text, "
        "o.unit FROM billing.orders o LEFT JOIN billing.order_state_latest s USING (order_id) "
        "WHERE o.account_id = $2 AND o.kind IN ('plan', 'coupon') AND $1::text IS NOT NULL "
        "ORDER BY o.valid_to, o.valid_from, o.order_id COLLATE \"C\"",
        2, p, &r, err);
    if (st != BR_OK)
        return st;
    x->norders = (size_t)PQntuples(r);
    x->orders = br_arena_alloc(&x->arena, (x->norders + 1) * sizeof(*x->orders));
    *ok = *ok && x->orders != NULL;
    for (size_t i = 0; *ok && i < x->norders; i++) {
        struct br_explain_order *o = &x->orders[i];
        int k = (int)i;
        o->order_id = dup(x, r, k, 0, ok);
        o->kind = dup(x, r, k, 1, ok);
        o->type = dup(x, r, k, 2, ok);
        o->scope_mask = n64(r, k, 3);
        o->scope = dup(x, r, k, 4, ok);
        o->valid_from = n64(r, k, 5);
        o->valid_to = n64(r, k, 6);
        o->face = n64(r, k, 7);
        o->consumed = n64(r, k, 8);
        o->expired = br_sql_bool(r, k, 9);
        o->quantity = dup(x, r, k, 10, ok);
        o->unit = dup(x, r, k, 11, ok);
    }
    PQclear(r);
    return BR_OK;
}

static enum br_status load_adjustments(struct br_db *db, const char *const *p, struct br_explain *x,
                                       bool *ok, struct br_error *err)
{
    PGresult *r;
    enum br_status st = br_sql_query(
        db,
        "SELECT adjustment_id, kind, item, amount::text, coalesce(invoice_no, ''), reason, "
        "coalesce(note_no, ''), extract(epoch FROM adjustment_time)::bigint, late::int "
        "FROM billing.adjustments WHERE period = $1 AND account_id = $2 "
        "ORDER BY adjustment_time, adjustment_id COLLATE \"C\"",
        2, p, &r, err);
    if (st != BR_OK)
        return st;
    int n = PQntuples(r);
    x->adjustments = br_arena_alloc(&x->arena, ((size_t)n + 1) * sizeof(*x->adjustments));
    *ok = *ok && x->adjustments != NULL;
    for (int k = 0; *ok && k < n; k++) {
        struct br_explain_adjustment *a = &x->adjustments[x->nadjustments++];
        a->adjustment_id = dup(x, r, k, 0, ok);
        a->kind = dup(x, r, k, 1, ok);
        a->item = dup(x, r, k, 2, ok);
        a->amount = dup(x, r, k, 3, ok);
        a->invoice_no = dup(x, r, k, 4, ok);
        a->reason = dup(x, r, k, 5, ok);
        a->note_no = dup(x, r, k, 6, ok);
        a->at = n64(r, k, 7);
        a->late = n64(r, k, 8) != 0;
    }
    PQclear(r);
    return BR_OK;
}

enum br_status br_explain_load(struct br_db *db, const char *account, br_period period,
                               struct br_explain *x, struct br_error *err)
{
    memset(x, 0, sizeof(*x));
    br_arena_init(&x->arena, 0);
    enum br_status st = br_schema_calendar(db, &x->tz_offset_s, err);
    if (st != BR_OK)
        return st;
    char per[16];
    br_period_format(period, per, sizeof(per));
    const char *p[2] = {per, account};
    bool ok = true;
    st = load_invoice(db, p, x, &ok, err);
    if (st == BR_OK)
        st = load_lines(db, p, x, &ok, err);
    if (st == BR_OK)
        st = load_draws(db, p, x, &ok, err);
    if (st == BR_OK)
        st = load_orders(db, p, x, &ok, err);
    if (st == BR_OK)
        st = load_adjustments(db, p, x, &ok, err);
    if (st == BR_OK && !ok)
        st = br_fail(err, BR_ERR_NOMEM, "out of memory");
    return st;
}

void br_explain_free(struct br_explain *x)
{
    br_arena_free(&x->arena);
    memset(x, 0, sizeof(*x));
}
