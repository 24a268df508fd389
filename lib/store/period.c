/* A closed period's documents from the database (period.h): the invoices,
 * their lines, days and plans, the trial balance, the contract liability
 * roll-forward and the rejects, in a few bulk queries; each invoice's
 * document is then built on demand (from any thread) out of those results.
 * Everything printed comes from the database as frozen at close, so the
 * same period gives the same documents. An open period's drafts are built
 * the same way, their heads being the figures a close would issue now
 * (br_period_totals), unnumbered. Also the queries of a close. */
#include "store/period.h"

#include "core/chart.h"
#include "core/items.h"
#include "core/money.h"
#include "invoice/seller.h"
#include "store/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- loading ------------------------------------------------------------------ */

struct br_period_docs {
    br_period period;
    char per[16];
    int64_t start, end, issued_at;
    int32_t tz;
    char *seller_text;
    struct br_party seller;
    enum br_lang lang; /* frozen with the seller block at close */
    PGresult *inv, *lines, *daily, *plans, *tb, *roll, *rejects, *notes, *revenue;
    /* the invoices' heads in account order: from inv (a closed period), or
     * the close's own figures of an open one (a draft: no numbers, no inv,
     * tb, roll, rejects or revenue) */
    bool draft;
    struct br_invoice_final *head;
    size_t nhead;
    struct br_close_totals totals;
    /* per invoice: first row of its lines, daily, plans and notes */
    int *line_at, *daily_at, *plan_at, *note_at;
    /* the notes (in their rows' order: account, time, id), and per note
     * the invoice that lists it */
    struct br_inv_note *note;
    int *note_inv;
};

static const char *v(const PGresult *r, int row, int col)
{
    return PQgetvalue(r, row, col);
}

static int64_t n64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static enum br_status q(struct br_db *db, const char *sql, const struct br_period_docs *d,
                        PGresult **out, struct br_error *err)
{
    char s[32], e[32];
    br_sql_time_param(d->start, s);
    br_sql_time_param(d->end, e);
    const char *p[3] = {d->per, s, e};
    return br_sql_query(db, sql, 3, p, out, err);
}

static const char *const sql_invoices =
    "SELECT invoice_no, account_id, buyer_name, buyer_address, buyer_tax_id, buyer_email, "
    "gross_e8, free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8, round_down_e8, "
    "amount_due_e8, credits_e8, debits_e8 FROM billing.invoice_finals WHERE period = $1 "
    "AND $2::text IS NOT NULL "
    "AND $3::text IS NOT NULL ORDER BY invoice_no";

static const char *const sql_lines =
    "SELECT l.account_id, l.item, round(sum(l.quantity)::numeric / i.display_divisor, 6)::text, "
    "i.display_unit, CASE WHEN min(l.price_min_e10) = max(l.price_max_e10) THEN "
    "trim_scale(min(l.price_min_e10)::numeric / 10000000000)::text || ' CNY per ' || "
    "CASE l.item WHEN 'compute_shared' THEN 'GPU-second' WHEN 'compute_exclusive' THEN 'hour' "
    "WHEN 'storage' THEN 'GB-month' WHEN 'egress' THEN 'GB' ELSE '10,000 requests' END "
    "ELSE 'see detail' END, sum(l.gross_e8), sum(l.free_e8), sum(l.plan_e8), sum(l.coupon_e8), "
    "sum(l.balance_e8), sum(l.outstanding_e8) "
    "FROM billing.usage_lines l JOIN billing.items i USING (item) "
    "WHERE l.period = $1 AND $2::text IS NOT NULL AND $3::text IS NOT NULL "
    "GROUP BY l.account_id, l.item, i.item_no, i.display_divisor, i.display_unit "
    "ORDER BY l.account_id COLLATE \"C\", i.item_no";

static const char *const sql_daily =
    "SELECT l.account_id, (l.day - date '1970-01-01')::bigint, l.item, "
    "round(sum(l.quantity)::numeric / i.display_divisor, 6)::text, i.display_unit, "
    "sum(l.gross_e8), sum(l.outstanding_e8) "
    "FROM billing.usage_lines l JOIN billing.items i USING (item) "
    "WHERE l.period = $1 AND $2::text IS NOT NULL AND $3::text IS NOT NULL "
    "GROUP BY l.account_id, l.day, l.item, i.item_no, i.display_divisor, i.display_unit "
    "ORDER BY l.account_id COLLATE \"C\", l.day, i.item_no";

/* The plans of the invoices' accounts valid in the period (accounts: a
 * query of account_id). */
#define SQL_LIABILITY BR_CHART_SQL(BR_ACC_LIABILITY)
#define SQL_PLANS(accounts)                                                                        \
    "WITH used AS (SELECT order_id, sum(units) AS u FROM billing.draws "                           \
    "  WHERE source = 'plan' AND period = $1 GROUP BY order_id), "                                 \
    "before AS (SELECT order_id, sum(units) AS u FROM billing.draws "                              \
    "  WHERE source = 'plan' AND period < $1 GROUP BY order_id), "                                 \
    "rec AS (SELECT t.debit_sub AS order_id, sum(t.amount_e8) AS r FROM ledger.transfers t "       \
    "  JOIN ledger.entries e USING (entry_id) WHERE e.period = $1 "                                \
    "  AND t.debit_code = " SQL_LIABILITY " AND e.kind <> 'breakage' GROUP BY 1), "                \
    "ended AS (SELECT DISTINCT order_id FROM billing.plan_events WHERE period = $1 "               \
    "  AND kind IN ('breakage', 'expiry')) "                                                       \
    "SELECT o.account_id, o.order_id, o.plan_type, o.unit, o.scope, coalesce(o.bundle_id, ''), "   \
    "extract(epoch FROM o.valid_from)::bigint, extract(epoch FROM o.valid_to)::bigint, o.face, "   \
    "coalesce(b.u, 0), coalesce(u.u, 0), (x.order_id IS NOT NULL)::int, o.paid_e8, "               \
    "coalesce(rec.r, 0), billing.unit_base(o.unit)::bigint "                                       \
    "FROM billing.orders o LEFT JOIN used u USING (order_id) LEFT JOIN before b USING (order_id) " \
    "LEFT JOIN rec USING (order_id) LEFT JOIN ended x USING (order_id) "                           \
    "WHERE o.kind = 'plan' AND o.valid_from < $3::timestamptz AND o.valid_to > $2::timestamptz "   \
    "AND o.account_id IN (" accounts ") "                                                          \
    "ORDER BY o.account_id COLLATE \"C\", o.valid_to, o.valid_from, o.order_id COLLATE \"C\""

static const char *const sql_plans =
    SQL_PLANS("SELECT account_id FROM billing.invoice_finals WHERE period = $1");

/* A draft's: the accounts a close would invoice (br_period_totals). */
static const char *const sql_plans_draft =
    SQL_PLANS("SELECT account_id FROM billing.usage_lines WHERE period = $1 "
              "UNION SELECT account_id FROM billing.orders WHERE period = $1 "
              "UNION SELECT account_id FROM billing.adjustment_rows WHERE period = $1");

static const char *const sql_tb =
    "WITH s AS (SELECT t.debit_code AS code, t.amount_e8 AS dr, 0::bigint AS cr "
    "  FROM ledger.transfers t JOIN ledger.entries e USING (entry_id) WHERE e.period = $1 "
    "  UNION ALL SELECT t.credit_code, 0, t.amount_e8 FROM ledger.transfers t "
    "  JOIN ledger.entries e USING (entry_id) WHERE e.period = $1) "
    "SELECT s.code, c.name, sum(s.dr), sum(s.cr) FROM s JOIN ledger.chart c ON c.code = s.code "
    "WHERE $2::text IS NOT NULL AND $3::text IS NOT NULL GROUP BY s.code, c.name ORDER BY s.code";

/* Revenue per local day and revenue account (xlsx.h br_sum_revenue). */
static const char *const sql_revenue =
    "WITH s AS (SELECT t.credit_code AS code, t.amount_e8 AS a, e.effective_at AS at "
    "  FROM ledger.transfers t JOIN ledger.entries e USING (entry_id) WHERE e.period = $1 "
    "  UNION ALL SELECT t.debit_code, -t.amount_e8, e.effective_at FROM ledger.transfers t "
    "  JOIN ledger.entries e USING (entry_id) WHERE e.period = $1) "
    "SELECT floor((extract(epoch FROM s.at) + st.tz_offset_s) / 86400)::bigint, s.code, c.name, "
    "sum(s.a) FROM s JOIN ledger.chart c ON c.code = s.code CROSS JOIN billing.settings st "
    "WHERE s.code BETWEEN " BR_CHART_SQL(BR_ACC_REV_SHARED) " AND " BR_CHART_SQL(
        BR_ACC_BREAKAGE) " AND $2::text IS NOT NULL AND $3::text IS NOT NULL "
                         "GROUP BY 1, s.code, c.name ORDER BY 1, s.code";

static const char *const sql_roll =
    "SELECT order_id, coalesce(account_id, ''), coalesce(plan_type, ''), "
    "(opening * 100000000)::bigint, (sales * 100000000)::bigint, "
    "(recognised * 100000000)::bigint, (breakage * 100000000)::bigint, "
    "(closing * 100000000)::bigint FROM ledger.plan_rollforward WHERE period = $1 "
    "AND $2::text IS NOT NULL AND $3::text IS NOT NULL ORDER BY order_id COLLATE \"C\"";

static const char *const sql_rejects =
    "SELECT f.name, r.line, r.reason, r.raw, coalesce(r.detail, '') FROM billing.reject_rows r "
    "JOIN billing.files f USING (file_id) "
    "WHERE r.batch_id > coalesce((SELECT max(batch_id) FROM billing.period_closes "
    "  WHERE period < $1), 0) "
    "AND r.batch_id < (SELECT batch_id FROM billing.period_closes WHERE period = $1) "
    "AND $2::text IS NOT NULL AND $3::text IS NOT NULL ORDER BY r.reject_id LIMIT 1000000";

static const char *const sql_notes =
    "SELECT a.account_id, n.note_no, a.adjustment_id, a.kind, a.item, a.amount_e8, "
    "coalesce(a.invoice_no, ''), a.reason, extract(epoch FROM a.adjustment_time)::bigint, "
    "a.late::int FROM billing.adjustment_notes n JOIN billing.adjustment_rows a "
    "USING (adjustment_id) WHERE n.period = $1 AND $2::text IS NOT NULL AND $3::text IS NOT NULL "
    "ORDER BY a.account_id COLLATE \"C\", a.adjustment_time, a.adjustment_id COLLATE \"C\"";

/* A draft's notes: the period's adjustments, not yet numbered. */
static const char *const sql_notes_draft =
    "SELECT a.account_id, '(draft)', a.adjustment_id, a.kind, a.item, a.amount_e8, "
    "coalesce(a.invoice_no, ''), a.reason, extract(epoch FROM a.adjustment_time)::bigint, "
    "a.late::int FROM billing.adjustment_rows a WHERE a.period = $1 AND $2::text IS NOT NULL "
    "AND $3::text IS NOT NULL "
    "ORDER BY a.account_id COLLATE \"C\", a.adjustment_time, a.adjustment_id COLLATE \"C\"";

/* For each invoice (ordered like the rows, by account), its first row in r. */
static enum br_status index_rows(const struct br_period_docs *d, const PGresult *r, int **at)
{
    int n = (int)d->nhead, m = PQntuples(r);
    *at = br_mallocn((size_t)n + 1, sizeof(**at));
    if (*at == NULL)
        return BR_ERR_NOMEM;
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *acct = d->head[i].account_id;
        while (k < m && strcmp(v(r, k, 0), acct) < 0)
            k++;
        (*at)[i] = k;
    }
    (*at)[n] = m;
    return BR_OK;
}

static void period_data_free(struct br_period_docs *d)
{
    PGresult *rs[] = {d->inv,  d->lines,   d->daily, d->plans,  d->tb,
                      d->roll, d->rejects, d->notes, d->revenue};
    for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++)
        if (rs[i])
            PQclear(rs[i]);
    free(d->seller_text);
    free(d->line_at);
    free(d->daily_at);
    free(d->plan_at);
    free(d->note_at);
    free(d->note);
    free(d->note_inv);
    if (!d->draft)
        free(d->head);
    br_close_totals_free(&d->totals);
}

static const char *item_label(const char *item);

/* The notes as documents see them, each with the invoice that lists it
 * (every account with a note in the period has an invoice: rules of
 * corrections.md section 3). */
static enum br_status load_notes(struct br_period_docs *d, struct br_error *err)
{
    int n = PQntuples(d->notes), ni = (int)d->nhead;
    d->note = br_calloc((size_t)n + 1, sizeof(*d->note));
    d->note_inv = br_calloc((size_t)n + 1, sizeof(*d->note_inv));
    if (d->note == NULL || d->note_inv == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    const PGresult *r = d->notes;
    int k = 0;
    for (int i = 0; i < n; i++) {
        d->note[i] = (struct br_inv_note){.note_no = v(r, i, 1),
                                          .adjustment_id = v(r, i, 2),
                                          .credit = strcmp(v(r, i, 3), "credit") == 0,
                                          .item = v(r, i, 4),
                                          .label = item_label(v(r, i, 4)),
                                          .amount_e8 = n64(r, i, 5),
                                          .invoice_no = v(r, i, 6),
                                          .reason = v(r, i, 7),
                                          .adjustment_time = n64(r, i, 8),
                                          .late = n64(r, i, 9) != 0};
        while (k < ni && strcmp(d->head[k].account_id, v(r, i, 0)) < 0)
            k++;
        if (k == ni || strcmp(d->head[k].account_id, v(r, i, 0)) != 0)
            return br_fail(err, BR_ERR_STATE, "note %s of %s: %s has no invoice in %s", v(r, i, 1),
                           d->per, v(r, i, 0), d->per);
        d->note_inv[i] = k;
    }
    return BR_OK;
}

/* A closed period's invoice heads, from its invoice_finals rows. */
static enum br_status load_heads(struct br_period_docs *d, struct br_error *err)
{
    const PGresult *r = d->inv;
    int n = PQntuples(r);
    d->head = br_calloc((size_t)n + 1, sizeof(*d->head));
    if (d->head == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        struct br_invoice_final *h = &d->head[i];
        snprintf(h->invoice_no, sizeof(h->invoice_no), "%s", v(r, i, 0));
        h->account_id = v(r, i, 1);
        h->buyer_name = v(r, i, 2);
        h->buyer_address = v(r, i, 3);
        h->buyer_tax_id = v(r, i, 4);
        h->buyer_email = v(r, i, 5);
        h->gross_e8 = n64(r, i, 6);
        h->free_e8 = n64(r, i, 7);
        h->plan_e8 = n64(r, i, 8);
        h->coupon_e8 = n64(r, i, 9);
        h->balance_e8 = n64(r, i, 10);
        h->outstanding_e8 = n64(r, i, 11);
        h->round_down_e8 = n64(r, i, 12);
        h->amount_due_e8 = n64(r, i, 13);
        h->credits_e8 = n64(r, i, 14);
        h->debits_e8 = n64(r, i, 15);
    }
    d->nhead = (size_t)n;
    return BR_OK;
}

/* The plans of the period's invoices, with nested loops off. The query
 * reads a whole period and joins it on order ids, where hash and merge
 * joins are right whatever the statistics say; but a close right after the
 * nights that wrote its rows meets tables autovacuum has not analysed yet,
 * whose estimates of one row made PostgreSQL join it by nested loops over
 * re-run aggregates: 3.6 s of a 5,000-invoice close (0.1 s without).
 * SET, not SET LOCAL: an `invoices` run reads outside a transaction. */
static enum br_status load_plans(struct br_db *db, struct br_period_docs *d, struct br_error *err)
{
    enum br_status st = br_sql_exec(db, "SET enable_nestloop = off", err);
    if (st == BR_OK)
        st = q(db, d->draft ? sql_plans_draft : sql_plans, d, &d->plans, err);
    struct br_error ignore;
    if (st == BR_OK)
        st = br_sql_exec(db, "RESET enable_nestloop", err);
    else
        br_sql_exec(db, "RESET enable_nestloop", &ignore); /* a failed transaction refuses it */
    return st;
}

/* The invoices' lines, days, plans and notes (draft or final queries),
 * indexed by invoice. */
static enum br_status load_rows(struct br_db *db, struct br_period_docs *d, struct br_error *err)
{
    enum br_status st = q(db, sql_lines, d, &d->lines, err);
    if (st == BR_OK)
        st = q(db, sql_daily, d, &d->daily, err);
    if (st == BR_OK)
        st = load_plans(db, d, err);
    if (st == BR_OK)
        st = q(db, d->draft ? sql_notes_draft : sql_notes, d, &d->notes, err);
    if (st == BR_OK && (index_rows(d, d->lines, &d->line_at) != BR_OK ||
                        index_rows(d, d->daily, &d->daily_at) != BR_OK ||
                        index_rows(d, d->plans, &d->plan_at) != BR_OK ||
                        index_rows(d, d->notes, &d->note_at) != BR_OK))
        st = br_fail(err, BR_ERR_NOMEM, "out of memory");
    if (st == BR_OK)
        st = load_notes(d, err);
    return st;
}

static enum br_status load_period(struct br_db *db, struct br_period_docs *d, struct br_error *err)
{
    PGresult *r;
    const char *p[1] = {d->per};
    enum br_status st = br_sql_query(
        db,
        "SELECT extract(epoch FROM closed_at)::bigint, seller FROM billing.period_closes "
        "WHERE period = $1",
        1, p, &r, err);
    if (st != BR_OK)
        return st;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return br_fail(err, BR_ERR_STATE, "%s is not closed", d->per);
    }
    d->issued_at = n64(r, 0, 0);
    d->seller_text = strdup(v(r, 0, 1));
    PQclear(r);
    if (d->seller_text == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    d->lang = br_seller_lang(d->seller_text);
    br_seller_fields(d->seller_text, &d->seller);
    st = q(db, sql_invoices, d, &d->inv, err);
    if (st == BR_OK)
        st = q(db, sql_tb, d, &d->tb, err);
    if (st == BR_OK)
        st = q(db, sql_roll, d, &d->roll, err);
    if (st == BR_OK)
        st = q(db, sql_rejects, d, &d->rejects, err);
    if (st == BR_OK)
        st = load_heads(d, err);
    if (st == BR_OK)
        st = q(db, sql_revenue, d, &d->revenue, err);
    if (st == BR_OK)
        st = load_rows(db, d, err);
    return st;
}

/* An open period as a close would invoice it now: the heads are the
 * close's own figures (br_period_totals), without their numbers. */
static enum br_status load_draft(struct br_db *db, struct br_period_docs *d,
                                 const char *seller_text, struct br_error *err)
{
    bool closed = false;
    enum br_status st = br_period_closed(db, d->per, &closed, err);
    if (st == BR_OK && closed)
        st = br_fail(err, BR_ERR_STATE, "%s is closed: it has final invoices, not drafts", d->per);
    if (st != BR_OK)
        return st;
    d->seller_text = strdup(seller_text);
    if (d->seller_text == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    d->lang = br_seller_lang(d->seller_text);
    br_seller_fields(d->seller_text, &d->seller);
    st = br_period_totals(db, d->per, &d->totals, err);
    d->head = d->totals.inv;
    d->nhead = d->totals.n;
    if (st == BR_OK)
        st = load_rows(db, d, err);
    return st;
}

/* --- documents ---------------------------------------------------------------- */

static const char *item_label(const char *item)
{
    static const char *const labels[][2] = {
        {"compute_shared", "GPU compute, shared edition"},
        {"compute_exclusive", "GPU compute, exclusive machines"},
        {"storage", "Object storage"},
        {"egress", "Outbound traffic"},
        {"put", "PUT requests"},
        {"get", "GET requests"},
    };
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (strcmp(item, labels[i][0]) == 0)
            return labels[i][1];
    return item;
}

/* Plan-unit quantities as exact decimal text, in a per-invoice buffer. */
struct textbuf {
    char s[256][40];
    int n;
};

static const char *units_text(struct textbuf *tb, int64_t units, int64_t base)
{
    if (tb->n >= 256)
        return "?";
    char *b = tb->s[tb->n++];
    br_scaled_format((br_i128)units, (br_u128)(base > 0 ? base : 1), 8, b, 40);
    return b;
}

static void plan_row(const PGresult *r, int i, struct br_inv_plan *p, struct textbuf *tb)
{
    const char *type = v(r, i, 2);
    int64_t face = n64(r, i, 8), before = n64(r, i, 9), used = n64(r, i, 10);
    bool ended = n64(r, i, 11) != 0;
    int64_t base = n64(r, i, 14);
    int64_t opening = face - before, expired = 0, closing;
    if (strcmp(type, "monthly") == 0) {
        opening = face; /* the quota of the month; what is left lapses */
        expired = face - used;
        closing = 0;
    } else if (strcmp(type, "capacity") == 0) {
        opening = face; /* covers up to face in every hour; never depletes */
        closing = ended ? 0 : face;
    } else {
        expired = ended ? opening - used : 0;
        closing = opening - used - expired;
    }
    *p = (struct br_inv_plan){.order_id = v(r, i, 1),
                              .plan_type = type,
                              .unit = v(r, i, 3),
                              .scope = v(r, i, 4),
                              .bundle_id = v(r, i, 5),
                              .valid_from = n64(r, i, 6),
                              .valid_to = n64(r, i, 7),
                              .face = units_text(tb, face, base),
                              .opening = units_text(tb, opening, base),
                              .used = units_text(tb, used, base),
                              .expired = units_text(tb, expired, base),
                              .closing = units_text(tb, closing, base),
                              .paid_e8 = n64(r, i, 12),
                              .recognised_e8 = n64(r, i, 13)};
}

struct br_doc_scratch {
    struct br_inv_line *lines;
    struct br_inv_daily *daily;
    struct br_inv_plan *plans;
    struct textbuf text;
};

static void scratch_clear(struct br_doc_scratch *b)
{
    free(b->lines);
    free(b->daily);
    free(b->plans);
    b->lines = NULL;
    b->daily = NULL;
    b->plans = NULL;
}

static enum br_status build_doc(const struct br_period_docs *d, int i, struct br_doc_scratch *b,
                                struct br_invoice_doc *doc)
{
    const struct br_invoice_final *h = &d->head[i];
    int l0 = d->line_at[i], l1 = d->line_at[i + 1];
    int d0 = d->daily_at[i], d1 = d->daily_at[i + 1];
    int p0 = d->plan_at[i], p1 = d->plan_at[i + 1];
    int n0 = d->note_at[i], n1 = d->note_at[i + 1];
    const char *acct = h->account_id;
    while (l1 > l0 && strcmp(v(d->lines, l1 - 1, 0), acct) != 0)
        l1--;
    while (d1 > d0 && strcmp(v(d->daily, d1 - 1, 0), acct) != 0)
        d1--;
    while (p1 > p0 && strcmp(v(d->plans, p1 - 1, 0), acct) != 0)
        p1--;
    while (n1 > n0 && strcmp(v(d->notes, n1 - 1, 0), acct) != 0)
        n1--;
    scratch_clear(b);
    b->lines = br_calloc((size_t)(l1 - l0) + 1, sizeof(*b->lines));
    b->daily = br_calloc((size_t)(d1 - d0) + 1, sizeof(*b->daily));
    b->plans = br_calloc((size_t)(p1 - p0) + 1, sizeof(*b->plans));
    b->text.n = 0;
    if (!b->lines || !b->daily || !b->plans)
        return BR_ERR_NOMEM;
    for (int k = l0; k < l1; k++) {
        const PGresult *r = d->lines;
        b->lines[k - l0] = (struct br_inv_line){.item = v(r, k, 1),
                                                .label = item_label(v(r, k, 1)),
                                                .quantity = v(r, k, 2),
                                                .unit = v(r, k, 3),
                                                .unit_price = v(r, k, 4),
                                                .gross_e8 = n64(r, k, 5),
                                                .free_e8 = n64(r, k, 6),
                                                .plan_e8 = n64(r, k, 7),
                                                .coupon_e8 = n64(r, k, 8),
                                                .balance_e8 = n64(r, k, 9),
                                                .outstanding_e8 = n64(r, k, 10)};
    }
    for (int k = d0; k < d1; k++) {
        const PGresult *r = d->daily;
        b->daily[k - d0] = (struct br_inv_daily){.day = n64(r, k, 1),
                                                 .item = v(r, k, 2),
                                                 .quantity = v(r, k, 3),
                                                 .unit = v(r, k, 4),
                                                 .gross_e8 = n64(r, k, 5),
                                                 .outstanding_e8 = n64(r, k, 6)};
    }
    for (int k = p0; k < p1; k++)
        plan_row(d->plans, k, &b->plans[k - p0], &b->text);
    *doc = (struct br_invoice_doc){.seller = d->seller,
                                   .buyer = {.account_id = acct,
                                             .name = h->buyer_name,
                                             .address = h->buyer_address,
                                             .tax_id = h->buyer_tax_id,
                                             .email = h->buyer_email},
                                   .invoice_no = d->draft ? NULL : h->invoice_no,
                                   .period = d->per,
                                   .issued_at = d->issued_at,
                                   .tz_offset_s = d->tz,
                                   .currency = "CNY",
                                   .lines = b->lines,
                                   .nlines = (size_t)(l1 - l0),
                                   .gross_e8 = h->gross_e8,
                                   .free_e8 = h->free_e8,
                                   .plan_e8 = h->plan_e8,
                                   .coupon_e8 = h->coupon_e8,
                                   .balance_e8 = h->balance_e8,
                                   .outstanding_e8 = h->outstanding_e8,
                                   .round_down_e8 = h->round_down_e8,
                                   .amount_due_e8 = h->amount_due_e8,
                                   .credits_e8 = h->credits_e8,
                                   .debits_e8 = h->debits_e8,
                                   .notes = d->note + n0,
                                   .nnotes = (size_t)(n1 - n0),
                                   .plans = b->plans,
                                   .nplans = (size_t)(p1 - p0),
                                   .daily = b->daily,
                                   .ndaily = (size_t)(d1 - d0),
                                   .lang = d->lang};
    return BR_OK;
}

/* --- the public face ---------------------------------------------------------- */

enum br_status br_period_docs_load(struct br_db *db, struct br_calendar cal, br_period period,
                                   struct br_period_docs **out, struct br_error *err)
{
    struct br_period_docs *d = calloc(1, sizeof(*d));
    *out = NULL;
    if (d == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    d->period = period;
    d->tz = cal.offset_s;
    d->start = br_period_start(&cal, period);
    d->end = br_period_start(&cal, period + 1);
    br_period_format(period, d->per, sizeof(d->per));
    enum br_status st = load_period(db, d, err);
    if (st != BR_OK) {
        br_period_docs_free(d);
        return st;
    }
    *out = d;
    return BR_OK;
}

enum br_status br_period_docs_load_draft(struct br_db *db, struct br_calendar cal, br_period p,
                                         const char *seller_text, int64_t issued_at,
                                         struct br_period_docs **out, struct br_error *err)
{
    struct br_period_docs *d = calloc(1, sizeof(*d));
    *out = NULL;
    if (d == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    d->draft = true;
    d->period = p;
    d->tz = cal.offset_s;
    d->start = br_period_start(&cal, p);
    d->end = br_period_start(&cal, p + 1);
    d->issued_at = issued_at;
    br_period_format(p, d->per, sizeof(d->per));
    enum br_status st = load_draft(db, d, seller_text, err);
    if (st != BR_OK) {
        br_period_docs_free(d);
        return st;
    }
    *out = d;
    return BR_OK;
}

void br_period_docs_free(struct br_period_docs *d)
{
    if (d == NULL)
        return;
    period_data_free(d);
    free(d);
}

size_t br_period_docs_count(const struct br_period_docs *d)
{
    return d->nhead;
}

const char *br_period_docs_name(const struct br_period_docs *d)
{
    return d->per;
}

struct br_doc_scratch *br_doc_scratch_new(void)
{
    return calloc(1, sizeof(struct br_doc_scratch));
}

void br_doc_scratch_free(struct br_doc_scratch *s)
{
    if (s == NULL)
        return;
    scratch_clear(s);
    free(s);
}

enum br_status br_period_docs_invoice(const struct br_period_docs *d, size_t i,
                                      struct br_doc_scratch *s, struct br_invoice_doc *doc)
{
    BR_ASSERT(i < br_period_docs_count(d));
    return build_doc(d, (int)i, s, doc);
}

size_t br_period_docs_note_count(const struct br_period_docs *d)
{
    return d->draft ? 0 : (size_t)PQntuples(d->notes);
}

void br_period_docs_note(const struct br_period_docs *d, size_t i, struct br_note_doc *doc)
{
    BR_ASSERT(i < br_period_docs_note_count(d));
    int k = d->note_inv[i];
    *doc = (struct br_note_doc){.seller = d->seller,
                                .buyer = {.account_id = v(d->inv, k, 1),
                                          .name = v(d->inv, k, 2),
                                          .address = v(d->inv, k, 3),
                                          .tax_id = v(d->inv, k, 4),
                                          .email = v(d->inv, k, 5)},
                                .note = &d->note[i],
                                .period = d->per,
                                .listed_on = v(d->inv, k, 0),
                                .issued_at = d->issued_at,
                                .tz_offset_s = d->tz,
                                .currency = "CNY",
                                .lang = d->lang};
}

struct br_summary_scratch {
    struct br_sum_invoice *inv;
    struct br_sum_tb *tb;
    struct br_sum_roll *roll;
    struct br_sum_reject *rej;
    struct br_sum_note *notes;
    struct br_sum_revenue *rev;
};

static int sum_note_cmp(const void *a, const void *b)
{
    return strcmp(((const struct br_sum_note *)a)->note->note_no,
                  ((const struct br_sum_note *)b)->note->note_no);
}

enum br_status br_period_docs_summary(const struct br_period_docs *d,
                                      struct br_summary_scratch **scratch,
                                      struct br_summary_doc *doc)
{
    BR_ASSERT(!d->draft);
    int ni = PQntuples(d->inv), nt = PQntuples(d->tb), nr = PQntuples(d->roll),
        nj = PQntuples(d->rejects);
    struct br_summary_scratch *x = calloc(1, sizeof(*x));
    *scratch = x;
    if (x == NULL)
        return BR_ERR_NOMEM;
    x->inv = br_calloc((size_t)ni + 1, sizeof(*x->inv));
    x->tb = br_calloc((size_t)nt + 1, sizeof(*x->tb));
    x->roll = br_calloc((size_t)nr + 1, sizeof(*x->roll));
    x->rej = br_calloc((size_t)nj + 1, sizeof(*x->rej));
    int nn = PQntuples(d->notes), nv = PQntuples(d->revenue);
    x->notes = br_calloc((size_t)nn + 1, sizeof(*x->notes));
    x->rev = br_calloc((size_t)nv + 1, sizeof(*x->rev));
    if (!x->inv || !x->tb || !x->roll || !x->rej || !x->notes || !x->rev)
        return BR_ERR_NOMEM;
    for (int i = 0; i < nv; i++)
        x->rev[i] = (struct br_sum_revenue){n64(d->revenue, i, 0), (int)n64(d->revenue, i, 1),
                                            v(d->revenue, i, 2), n64(d->revenue, i, 3)};
    for (int i = 0; i < nn; i++)
        x->notes[i] = (struct br_sum_note){.account_id = v(d->notes, i, 0),
                                           .listed_on = v(d->inv, d->note_inv[i], 0),
                                           .note = &d->note[i]};
    qsort(x->notes, (size_t)nn, sizeof(*x->notes), sum_note_cmp);
    for (int i = 0; i < ni; i++)
        x->inv[i] = (struct br_sum_invoice){.invoice_no = v(d->inv, i, 0),
                                            .account_id = v(d->inv, i, 1),
                                            .name = v(d->inv, i, 2),
                                            .gross_e8 = n64(d->inv, i, 6),
                                            .free_e8 = n64(d->inv, i, 7),
                                            .plan_e8 = n64(d->inv, i, 8),
                                            .coupon_e8 = n64(d->inv, i, 9),
                                            .balance_e8 = n64(d->inv, i, 10),
                                            .outstanding_e8 = n64(d->inv, i, 11),
                                            .credits_e8 = n64(d->inv, i, 14),
                                            .debits_e8 = n64(d->inv, i, 15),
                                            .round_down_e8 = n64(d->inv, i, 12),
                                            .amount_due_e8 = n64(d->inv, i, 13)};
    for (int i = 0; i < nt; i++)
        x->tb[i] = (struct br_sum_tb){(int)n64(d->tb, i, 0), v(d->tb, i, 1), n64(d->tb, i, 2),
                                      n64(d->tb, i, 3)};
    for (int i = 0; i < nr; i++)
        x->roll[i] = (struct br_sum_roll){
            v(d->roll, i, 0),   v(d->roll, i, 1),   v(d->roll, i, 2),   n64(d->roll, i, 3),
            n64(d->roll, i, 4), n64(d->roll, i, 5), n64(d->roll, i, 6), n64(d->roll, i, 7)};
    for (int i = 0; i < nj; i++)
        x->rej[i] =
            (struct br_sum_reject){v(d->rejects, i, 0), n64(d->rejects, i, 1), v(d->rejects, i, 2),
                                   v(d->rejects, i, 3), v(d->rejects, i, 4)};
    *doc = (struct br_summary_doc){.period = d->per,
                                   .issued_at = d->issued_at,
                                   .tz_offset_s = d->tz,
                                   .seller_name = d->seller.name,
                                   .invoices = x->inv,
                                   .ninvoices = (size_t)ni,
                                   .tb = x->tb,
                                   .ntb = (size_t)nt,
                                   .roll = x->roll,
                                   .nroll = (size_t)nr,
                                   .rejects = x->rej,
                                   .nrejects = (size_t)nj,
                                   .notes = x->notes,
                                   .nnotes = (size_t)nn,
                                   .revenue = x->rev,
                                   .nrevenue = (size_t)nv,
                                   .lang = d->lang};
    return BR_OK;
}

void br_summary_scratch_free(struct br_summary_scratch *x)
{
    if (x == NULL)
        return;
    free(x->inv);
    free(x->tb);
    free(x->roll);
    free(x->rej);
    free(x->notes);
    free(x->rev);
    free(x);
}

/* --- a close's queries ------------------------------------------------------------ */

enum br_status br_period_close_batch(struct br_db *db, const char *period, bool *closed,
                                     int64_t *batch_id, struct br_error *err)
{
    const char *p[1] = {period};
    PGresult *r;
    enum br_status st = br_sql_query(
        db, "SELECT batch_id FROM billing.period_closes WHERE period = $1", 1, p, &r, err);
    if (st != BR_OK)
        return st;
    *closed = PQntuples(r) == 1;
    *batch_id = *closed ? br_sql_i64(r, 0, 0, 0) : 0;
    PQclear(r);
    return BR_OK;
}

enum br_status br_period_closed(struct br_db *db, const char *period, bool *closed,
                                struct br_error *err)
{
    const char *p[1] = {period};
    int64_t v;
    enum br_status st = br_sql_int64(
        db, "SELECT count(*) FROM billing.period_closes WHERE period = $1", 1, p, 0, &v, err);
    *closed = st == BR_OK && v > 0;
    return st;
}

void br_close_totals_free(struct br_close_totals *t)
{
    free(t->inv);
    free(t->notes);
    br_arena_free(&t->strings);
    memset(t, 0, sizeof(*t));
}

static const char *keep(struct br_close_totals *t, const PGresult *r, int i, int c, bool *ok)
{
    const char *s = PQgetvalue(r, i, c);
    char *x = br_arena_strndup(&t->strings, s, strlen(s));
    *ok = *ok && x != NULL;
    return x != NULL ? x : "";
}

static enum br_status period_notes(struct br_db *db, const char *period, struct br_close_totals *t,
                                   struct br_error *err)
{
    const char *p[1] = {period};
    PGresult *r;
    enum br_status st = br_sql_query(
        db,
        "SELECT adjustment_id, account_id, kind FROM billing.adjustment_rows WHERE period = $1 "
        "ORDER BY account_id COLLATE \"C\", adjustment_time, adjustment_id COLLATE \"C\"",
        1, p, &r, err);
    if (st != BR_OK)
        return st;
    int n = PQntuples(r);
    t->notes = br_calloc((size_t)n + 1, sizeof(*t->notes));
    bool ok = t->notes != NULL;
    int next[2] = {1, 1}; /* debit, credit */
    for (int i = 0; ok && i < n; i++) {
        struct br_note *x = &t->notes[i];
        x->credit = strcmp(v(r, i, 2), "credit") == 0;
        snprintf(x->note_no, sizeof(x->note_no), "%s-%.4s%.2s-%06d", x->credit ? "CN" : "DN",
                 period, period + 5, next[x->credit]++);
        x->adjustment_id = keep(t, r, i, 0, &ok);
        x->account_id = keep(t, r, i, 1, &ok);
    }
    t->nnotes = ok ? (size_t)n : 0;
    PQclear(r);
    return ok ? BR_OK : br_fail(err, BR_ERR_NOMEM, "out of memory numbering notes");
}

enum br_status br_period_totals(struct br_db *db, const char *period, struct br_close_totals *t,
                                struct br_error *err)
{
    memset(t, 0, sizeof(*t));
    br_arena_init(&t->strings, 0);
    const char *p[1] = {period};
    PGresult *r;
    enum br_status st = br_sql_query(
        db,
        "WITH activity AS (SELECT account_id FROM billing.usage_lines WHERE period = $1 "
        "  UNION SELECT account_id FROM billing.orders WHERE period = $1 "
        "  UNION SELECT account_id FROM billing.adjustment_rows WHERE period = $1), "
        "u AS (SELECT account_id, sum(gross_e8) AS g, sum(free_e8) AS f, sum(plan_e8) AS p, "
        "  sum(coupon_e8) AS c, sum(balance_e8) AS b, sum(outstanding_e8) AS o "
        "  FROM billing.usage_lines WHERE period = $1 GROUP BY account_id), "
        "adj AS (SELECT account_id, sum(amount_e8) FILTER (WHERE kind = 'credit') AS cr, "
        "  sum(amount_e8) FILTER (WHERE kind = 'debit') AS dr "
        "  FROM billing.adjustment_rows WHERE period = $1 GROUP BY account_id) "
        "SELECT a.account_id, coalesce(u.g, 0), coalesce(u.f, 0), coalesce(u.p, 0), "
        "coalesce(u.c, 0), coalesce(u.b, 0), coalesce(u.o, 0), "
        "coalesce(c.name, ''), coalesce(c.address, ''), coalesce(c.tax_id, ''), "
        "coalesce(c.email, ''), coalesce(adj.cr, 0), coalesce(adj.dr, 0) "
        "FROM activity a LEFT JOIN u USING (account_id) LEFT JOIN adj USING (account_id) "
        "LEFT JOIN billing.accounts c ON c.account_id = a.account_id "
        "ORDER BY a.account_id COLLATE \"C\"",
        1, p, &r, err);
    if (st != BR_OK)
        return st;
    int n = PQntuples(r);
    t->inv = br_calloc((size_t)n + 1, sizeof(*t->inv));
    bool ok = t->inv != NULL;
    for (int i = 0; ok && i < n; i++) {
        struct br_invoice_final *x = &t->inv[i];
        snprintf(x->invoice_no, sizeof(x->invoice_no), "INV-%.4s%.2s-%06d", period, period + 5,
                 i + 1);
        x->account_id = keep(t, r, i, 0, &ok);
        x->gross_e8 = n64(r, i, 1);
        x->free_e8 = n64(r, i, 2);
        x->plan_e8 = n64(r, i, 3);
        x->coupon_e8 = n64(r, i, 4);
        x->balance_e8 = n64(r, i, 5);
        x->outstanding_e8 = n64(r, i, 6);
        x->credits_e8 = n64(r, i, 11);
        x->debits_e8 = n64(r, i, 12);
        int64_t owed;
        if (__builtin_add_overflow(x->outstanding_e8, x->debits_e8, &owed)) {
            PQclear(r);
            return br_fail(err, BR_ERR_OVERFLOW, "%s: %s owes more than 2^63 e8", period,
                           x->account_id);
        }
        x->amount_due_e8 = br_floor_fen(owed);
        x->round_down_e8 = owed - x->amount_due_e8;
        x->buyer_name = keep(t, r, i, 7, &ok);
        x->buyer_address = keep(t, r, i, 8, &ok);
        x->buyer_tax_id = keep(t, r, i, 9, &ok);
        x->buyer_email = keep(t, r, i, 10, &ok);
    }
    t->n = ok ? (size_t)n : 0;
    PQclear(r);
    if (!ok)
        return br_fail(err, BR_ERR_NOMEM, "out of memory closing");
    return period_notes(db, period, t, err);
}
