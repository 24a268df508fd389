/* billrun explain: per invoice line, which sources paid how much (from the
 * recorded draws), and why each of the customer's other plans and coupons
 * paid nothing for it. */
#include "ledger/explain.h"

#include "core/btime.h"
#include "core/items.h"
#include "core/money.h"
#include "ledger/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t n64(const PGresult *r, int i, int c)
{
    return PQgetisnull(r, i, c) ? 0 : strtoll(PQgetvalue(r, i, c), NULL, 10);
}

static const char *v(const PGresult *r, int i, int c)
{
    return PQgetvalue(r, i, c);
}

static void when(int64_t t, int32_t tz, char *b, size_t n)
{
    br_time_format(t, tz, b, n);
}

static void cny(int64_t e8, char *b, size_t n)
{
    br_e8_format(e8, b, n);
}

struct ctx {
    FILE *out;
    int32_t tz;
    PGresult *lines, *draws, *orders;
};

/* Why order row k (a plan or coupon) paid nothing for item on days [d0, d1]. */
static void why_not(const struct ctx *c, int k, int item_no, int64_t first, int64_t last, char *b,
                    size_t n)
{
    const PGresult *o = c->orders;
    int64_t mask = n64(o, k, 4), vf = n64(o, k, 6), vt = n64(o, k, 7);
    int64_t face = n64(o, k, 8), consumed = n64(o, k, 9);
    bool expired = v(o, k, 10)[0] == 't';
    const char *type = v(o, k, 3);
    char t[40];
    if (!(mask & (1LL << item_no))) {
        snprintf(b, n, "out of scope (covers %s)", v(o, k, 5));
    } else if (vt <= first) {
        when(vt, c->tz, t, sizeof(t));
        snprintf(b, n, "no longer valid: it ended %s, before this usage", t);
    } else if (vf >= last) {
        when(vf, c->tz, t, sizeof(t));
        snprintf(b, n, "not yet bought: valid from %s, after this usage", t);
    } else if ((strcmp(type, "amount") == 0 || strcmp(type, "pool") == 0 ||
                strcmp(type, "coupon") == 0) &&
               consumed >= face) {
        snprintf(b, n, "used up");
    } else if (expired) {
        when(vt, c->tz, t, sizeof(t));
        snprintf(b, n, "expired %s; it covers nothing after its expiry was processed", t);
    } else if (strcmp(type, "monthly") == 0 || strcmp(type, "capacity") == 0 ||
               strcmp(type, "pool") == 0) {
        snprintf(b, n,
                 "nothing needed of it: sources before it paid the pieces in its validity, "
                 "or only slivers below one unit were left (a unit-measured source covers "
                 "none)");
    } else {
        snprintf(b, n, "nothing needed of it: sources before it paid the pieces in its validity");
    }
}

static void source_label(const struct ctx *c, const char *src, const char *order, char *b, size_t n)
{
    if (order == NULL || order[0] == '\0') {
        snprintf(b, n, "%s", strcmp(src, "free") == 0 ? "free allowance" : src);
        return;
    }
    for (int k = 0; k < PQntuples(c->orders); k++) {
        if (strcmp(v(c->orders, k, 0), order) != 0)
            continue;
        char a[40], z[40];
        when(n64(c->orders, k, 6), c->tz, a, sizeof(a));
        when(n64(c->orders, k, 7), c->tz, z, sizeof(z));
        snprintf(b, n, "%s %s (%s %s %s, valid %.16s to %.16s)", src, order, v(c->orders, k, 3),
                 v(c->orders, k, 11), v(c->orders, k, 12), a, z);
        return;
    }
    snprintf(b, n, "%s %s", src, order);
}

static void explain_line(const struct ctx *c, int li)
{
    const PGresult *l = c->lines;
    const char *item = v(l, li, 0);
    int item_no = (int)n64(l, li, 9);
    int64_t first = n64(l, li, 10), last = n64(l, li, 11);
    fprintf(c->out, "\n%s: %s %s, gross %s\n", item, v(l, li, 1), v(l, li, 2), v(l, li, 3));
    fprintf(c->out, "  = free %s + plans %s + coupons %s + balance %s + outstanding %s\n",
            v(l, li, 4), v(l, li, 5), v(l, li, 6), v(l, li, 7), v(l, li, 8));
    const PGresult *d = c->draws;
    for (int k = 0; k < PQntuples(d); k++) {
        if (strcmp(v(d, k, 0), item) != 0)
            continue;
        char label[200], val[32], rec[32];
        source_label(c, v(d, k, 1), PQgetisnull(d, k, 2) ? NULL : v(d, k, 2), label, sizeof(label));
        cny(n64(d, k, 4), val, sizeof(val));
        cny(n64(d, k, 5), rec, sizeof(rec));
        fprintf(c->out, "  paid  %-70s %14s", label, val);
        if (strcmp(v(d, k, 1), "plan") == 0 && n64(d, k, 5) > 0)
            fprintf(c->out, "  (revenue recognised %s)", rec);
        fprintf(c->out, "\n");
    }
    for (int k = 0; k < PQntuples(c->orders); k++) {
        bool used = false;
        for (int j = 0; j < PQntuples(d) && !used; j++)
            used = strcmp(v(d, j, 0), item) == 0 && !PQgetisnull(d, j, 2) &&
                   strcmp(v(d, j, 2), v(c->orders, k, 0)) == 0;
        if (used)
            continue;
        char why[300];
        why_not(c, k, item_no, first, last, why, sizeof(why));
        fprintf(c->out, "  not   %s %s: %s\n",
                strcmp(v(c->orders, k, 3), "coupon") == 0 ? "coupon" : "plan", v(c->orders, k, 0),
                why);
    }
}

enum br_status br_explain(struct br_db *db, const char *account, br_period period, FILE *out,
                          struct br_error *err)
{
    int32_t tz;
    enum br_status st = br_schema_calendar(db, &tz, err);
    if (st != BR_OK)
        return st;
    char per[16];
    br_period_format(period, per, sizeof(per));
    const char *p[2] = {per, account};
    PGresult *inv;
    st = br_db_query(db,
                     "SELECT coalesce(i.invoice_no, '(draft)'), i.status, i.gross, i.free, i.plan, "
                     "i.coupon, i.balance, i.outstanding, i.round_down, i.amount_due, "
                     "coalesce(a.name, '') FROM billing.invoices i LEFT JOIN billing.accounts a "
                     "USING (account_id) WHERE i.period = $1 AND i.account_id = $2",
                     2, p, &inv, err);
    if (st != BR_OK)
        return st;
    if (PQntuples(inv) == 0) {
        PQclear(inv);
        return br_fail(err, BR_ERR_STATE, "no invoice for %s in %s", account, per);
    }
    fprintf(out, "Invoice %s, %s, %s (%s), %s\n", v(inv, 0, 0), per, account, v(inv, 0, 10),
            v(inv, 0, 1));
    fprintf(out, "gross %s = free %s + plans %s + coupons %s + balance %s + outstanding %s\n",
            v(inv, 0, 2), v(inv, 0, 3), v(inv, 0, 4), v(inv, 0, 5), v(inv, 0, 6), v(inv, 0, 7));
    fprintf(out, "outstanding %s - round-down %s = amount due %s CNY\n", v(inv, 0, 7), v(inv, 0, 8),
            v(inv, 0, 9));
    PQclear(inv);
    struct ctx c = {.out = out, .tz = tz};
    st = br_db_query(
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
        2, p, &c.lines, err);
    if (st == BR_OK)
        st = br_db_query(db,
                         /* plans and coupons from their draws; the free allowance,
                          * the balance and the receivable from the usage lines'
                          * split (sql/006: not repeated as draws since) */
                         "SELECT item, source, order_id, sum(units), sum(value_e8), "
                         "sum(recognised_e8) FROM (SELECT item, source, order_id, units, "
                         "value_e8, recognised_e8 FROM billing.draws WHERE period = $1 AND "
                         "account_id = $2 AND source IN ('plan', 'coupon') UNION ALL "
                         "SELECT u.item, x.source, NULL, x.units, x.value_e8, 0 "
                         "FROM billing.usage_lines u CROSS JOIN LATERAL (VALUES "
                         "('free', u.free_units, u.free_e8), "
                         "('balance', u.balance_e8, u.balance_e8), "
                         "('outstanding', 0, u.outstanding_e8)) x(source, units, value_e8) "
                         "WHERE u.period = $1 AND u.account_id = $2 "
                         "AND (x.value_e8 > 0 OR x.units > 0)) d GROUP BY item, source, order_id "
                         "ORDER BY item, CASE source WHEN 'free' THEN 0 WHEN 'plan' THEN 1 "
                         "WHEN 'coupon' THEN 2 WHEN 'balance' THEN 3 ELSE 4 END, order_id",
                         2, p, &c.draws, err);
    if (st == BR_OK)
        st = br_db_query(
            db,
            "SELECT o.order_id, o.kind, o.account_id, coalesce(o.plan_type, 'coupon'), "
            "o.scope_mask, o.scope, extract(epoch FROM o.valid_from)::bigint, "
            "extract(epoch FROM o.valid_to)::bigint, o.face, coalesce(s.consumed, 0), "
            "coalesce(s.expired, false), coalesce(trim_scale(o.quantity_e10::numeric / "
            "10000000000), "
            "trim_scale(o.face / billing.unit_base(o.unit)))::text, "
            "o.unit FROM billing.orders o LEFT JOIN billing.order_state_latest s USING (order_id) "
            "WHERE o.account_id = $2 AND o.kind IN ('plan', 'coupon') AND $1::text IS NOT NULL "
            "ORDER BY o.valid_to, o.valid_from, o.order_id COLLATE \"C\"",
            2, p, &c.orders, err);
    if (st == BR_OK) {
        if (PQntuples(c.lines) == 0)
            fprintf(out, "\nno usage in %s (the invoice comes from orders only)\n", per);
        for (int i = 0; i < PQntuples(c.lines); i++)
            explain_line(&c, i);
    }
    if (c.lines)
        PQclear(c.lines);
    if (c.draws)
        PQclear(c.draws);
    if (c.orders)
        PQclear(c.orders);
    return st;
}
