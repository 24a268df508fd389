/* Loading a closed period's invoices in a few bulk queries, then writing the
 * workbooks on threads. Everything printed comes from the database as frozen
 * at close, so writing again gives the same bytes. */
#include "invoice/docs.h"

#include "core/items.h"
#include "core/log.h"
#include "core/money.h"
#include "invoice/xlsx.h"

#include <dirent.h>
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const seller_keys[] = {"name", "address",      "tax_id",
                                          "bank", "bank_account", "phone"};
#define NSELLER 6

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

enum br_status br_seller_config(const char *path, char *out, size_t size, struct br_error *err)
{
    const char *file = path ? path : getenv("BILLRUN_SELLER_CONF");
    if (file == NULL || file[0] == '\0')
        file = "/etc/billrun/seller.conf";
    char val[NSELLER][512];
    memset(val, 0, sizeof(val));
    FILE *f = fopen(file, "r");
    if (f == NULL && path != NULL)
        return br_fail(err, BR_ERR_IO, "cannot read the seller configuration %s: %s", path,
                       strerror(errno));
    if (f == NULL) {
        br_log(BR_LOG_WARN, "seller_not_configured", "path=%s", br_logq(file));
        snprintf(val[0], sizeof(val[0]), "(seller not configured: see README, Seller block)");
    }
    char line[1024];
    int lineno = 0;
    while (f && fgets(line, sizeof(line), f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        int k = -1;
        if (eq) {
            *eq = '\0';
            for (int i = 0; i < NSELLER; i++)
                if (strcmp(trim(s), seller_keys[i]) == 0)
                    k = i;
        }
        if (k < 0) {
            fclose(f);
            return br_fail(err, BR_ERR_INPUT,
                           "%s:%d: expected `key = value` with key one of name, address, tax_id, "
                           "bank, bank_account, phone",
                           file, lineno);
        }
        snprintf(val[k], sizeof(val[k]), "%s", trim(eq + 1));
    }
    if (f)
        fclose(f);
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < NSELLER; i++) {
        int n = snprintf(out + o, size - o, "%s=%s\n", seller_keys[i], val[i]);
        if (n < 0 || (size_t)n >= size - o)
            return br_fail(err, BR_ERR_INPUT, "the seller configuration is too long");
        o += (size_t)n;
    }
    return BR_OK;
}

/* Splits the frozen seller text back into fields (pointing into text). */
static void seller_fields(char *text, struct br_party *p)
{
    const char **dst[NSELLER] = {&p->name, &p->address,      &p->tax_id,
                                 &p->bank, &p->bank_account, &p->phone};
    for (int i = 0; i < NSELLER; i++)
        *dst[i] = "";
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(l, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        for (int i = 0; i < NSELLER; i++)
            if (strcmp(l, seller_keys[i]) == 0)
                *dst[i] = eq + 1;
    }
}

/* --- loading ------------------------------------------------------------------ */

struct period_data {
    br_period period;
    char per[16];
    int64_t start, end, issued_at;
    int32_t tz;
    char *seller_text;
    struct br_party seller;
    PGresult *inv, *lines, *daily, *plans, *tb, *roll, *rejects;
    /* per invoice: first row of its lines, daily and plans */
    int *line_at, *daily_at, *plan_at;
};

static const char *v(const PGresult *r, int row, int col)
{
    return PQgetvalue(r, row, col);
}

static int64_t n64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static enum br_status q(struct br_db *db, const char *sql, const struct period_data *d,
                        PGresult **out, struct br_error *err)
{
    char s[32], e[32];
    br_db_time_param(d->start, s);
    br_db_time_param(d->end, e);
    const char *p[3] = {d->per, s, e};
    return br_db_query(db, sql, 3, p, out, err);
}

static const char *const sql_invoices =
    "SELECT invoice_no, account_id, buyer_name, buyer_address, buyer_tax_id, buyer_email, "
    "gross_e8, free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8, round_down_e8, "
    "amount_due_e8 FROM billing.invoice_finals WHERE period = $1 AND $2::text IS NOT NULL "
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

static const char *const sql_plans =
    "WITH used AS (SELECT order_id, sum(units) AS u FROM billing.draws "
    "  WHERE source = 'plan' AND period = $1 GROUP BY order_id), "
    "before AS (SELECT order_id, sum(units) AS u FROM billing.draws "
    "  WHERE source = 'plan' AND period < $1 GROUP BY order_id), "
    "rec AS (SELECT t.debit_sub AS order_id, sum(t.amount_e8) AS r FROM ledger.transfers t "
    "  JOIN ledger.entries e USING (entry_id) WHERE e.period = $1 AND t.debit_code = 2200 "
    "  AND e.kind <> 'breakage' GROUP BY 1), "
    "ended AS (SELECT DISTINCT order_id FROM billing.plan_events WHERE period = $1 "
    "  AND kind IN ('breakage', 'expiry')) "
    "SELECT o.account_id, o.order_id, o.plan_type, o.unit, o.scope, coalesce(o.bundle_id, ''), "
    "extract(epoch FROM o.valid_from)::bigint, extract(epoch FROM o.valid_to)::bigint, o.face, "
    "coalesce(b.u, 0), coalesce(u.u, 0), (x.order_id IS NOT NULL)::int, o.paid_e8, "
    "coalesce(rec.r, 0), billing.unit_base(o.unit)::bigint "
    "FROM billing.orders o LEFT JOIN used u USING (order_id) LEFT JOIN before b USING (order_id) "
    "LEFT JOIN rec USING (order_id) LEFT JOIN ended x USING (order_id) "
    "WHERE o.kind = 'plan' AND o.valid_from < $3::timestamptz AND o.valid_to > $2::timestamptz "
    "AND o.account_id IN (SELECT account_id FROM billing.invoice_finals WHERE period = $1) "
    "ORDER BY o.account_id COLLATE \"C\", o.valid_to, o.valid_from, o.order_id COLLATE \"C\"";

static const char *const sql_tb =
    "WITH s AS (SELECT t.debit_code AS code, t.amount_e8 AS dr, 0::bigint AS cr "
    "  FROM ledger.transfers t JOIN ledger.entries e USING (entry_id) WHERE e.period = $1 "
    "  UNION ALL SELECT t.credit_code, 0, t.amount_e8 FROM ledger.transfers t "
    "  JOIN ledger.entries e USING (entry_id) WHERE e.period = $1) "
    "SELECT s.code, c.name, sum(s.dr), sum(s.cr) FROM s JOIN ledger.chart c ON c.code = s.code "
    "WHERE $2::text IS NOT NULL AND $3::text IS NOT NULL GROUP BY s.code, c.name ORDER BY s.code";

static const char *const sql_roll =
    "SELECT order_id, coalesce(account_id, ''), coalesce(plan_type, ''), "
    "(opening * 100000000)::bigint, (sales * 100000000)::bigint, "
    "(recognised * 100000000)::bigint, (breakage * 100000000)::bigint, "
    "(closing * 100000000)::bigint FROM ledger.plan_rollforward WHERE period = $1 "
    "AND $2::text IS NOT NULL AND $3::text IS NOT NULL ORDER BY order_id COLLATE \"C\"";

static const char *const sql_rejects =
    "SELECT f.name, r.line, r.reason, r.raw FROM billing.reject_rows r "
    "JOIN billing.files f USING (file_id) "
    "WHERE r.batch_id > coalesce((SELECT max(batch_id) FROM billing.period_closes "
    "  WHERE period < $1), 0) "
    "AND r.batch_id < (SELECT batch_id FROM billing.period_closes WHERE period = $1) "
    "AND $2::text IS NOT NULL AND $3::text IS NOT NULL ORDER BY r.reject_id LIMIT 1000000";

/* For each invoice (ordered like the rows, by account), its first row in r. */
static enum br_status index_rows(const PGresult *inv, const PGresult *r, int **at)
{
    int n = PQntuples(inv), m = PQntuples(r);
    *at = br_mallocn((size_t)n + 1, sizeof(**at));
    if (*at == NULL)
        return BR_ERR_NOMEM;
    int k = 0;
    for (int i = 0; i < n; i++) {
        const char *acct = v(inv, i, 1);
        while (k < m && strcmp(v(r, k, 0), acct) < 0)
            k++;
        (*at)[i] = k;
    }
    (*at)[n] = m;
    return BR_OK;
}

static void period_data_free(struct period_data *d)
{
    PGresult *rs[] = {d->inv, d->lines, d->daily, d->plans, d->tb, d->roll, d->rejects};
    for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++)
        if (rs[i])
            PQclear(rs[i]);
    free(d->seller_text);
    free(d->line_at);
    free(d->daily_at);
    free(d->plan_at);
}

static enum br_status load_period(struct br_db *db, struct period_data *d, struct br_error *err)
{
    PGresult *r;
    const char *p[1] = {d->per};
    enum br_status st = br_db_query(
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
    seller_fields(d->seller_text, &d->seller);
    st = q(db, sql_invoices, d, &d->inv, err);
    if (st == BR_OK)
        st = q(db, sql_lines, d, &d->lines, err);
    if (st == BR_OK)
        st = q(db, sql_daily, d, &d->daily, err);
    if (st == BR_OK)
        st = q(db, sql_plans, d, &d->plans, err);
    if (st == BR_OK)
        st = q(db, sql_tb, d, &d->tb, err);
    if (st == BR_OK)
        st = q(db, sql_roll, d, &d->roll, err);
    if (st == BR_OK)
        st = q(db, sql_rejects, d, &d->rejects, err);
    if (st == BR_OK && (index_rows(d->inv, d->lines, &d->line_at) != BR_OK ||
                        index_rows(d->inv, d->daily, &d->daily_at) != BR_OK ||
                        index_rows(d->inv, d->plans, &d->plan_at) != BR_OK))
        st = br_fail(err, BR_ERR_NOMEM, "out of memory");
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

struct doc_bufs {
    struct br_inv_line *lines;
    struct br_inv_daily *daily;
    struct br_inv_plan *plans;
    struct textbuf text;
};

static enum br_status build_doc(const struct period_data *d, int i, struct doc_bufs *b,
                                struct br_invoice_doc *doc)
{
    const PGresult *inv = d->inv;
    int l0 = d->line_at[i], l1 = d->line_at[i + 1];
    int d0 = d->daily_at[i], d1 = d->daily_at[i + 1];
    int p0 = d->plan_at[i], p1 = d->plan_at[i + 1];
    const char *acct = v(inv, i, 1);
    while (l1 > l0 && strcmp(v(d->lines, l1 - 1, 0), acct) != 0)
        l1--;
    while (d1 > d0 && strcmp(v(d->daily, d1 - 1, 0), acct) != 0)
        d1--;
    while (p1 > p0 && strcmp(v(d->plans, p1 - 1, 0), acct) != 0)
        p1--;
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
                                             .name = v(inv, i, 2),
                                             .address = v(inv, i, 3),
                                             .tax_id = v(inv, i, 4),
                                             .email = v(inv, i, 5)},
                                   .invoice_no = v(inv, i, 0),
                                   .period = d->per,
                                   .issued_at = d->issued_at,
                                   .tz_offset_s = d->tz,
                                   .currency = "CNY",
                                   .lines = b->lines,
                                   .nlines = (size_t)(l1 - l0),
                                   .gross_e8 = n64(inv, i, 6),
                                   .free_e8 = n64(inv, i, 7),
                                   .plan_e8 = n64(inv, i, 8),
                                   .coupon_e8 = n64(inv, i, 9),
                                   .balance_e8 = n64(inv, i, 10),
                                   .outstanding_e8 = n64(inv, i, 11),
                                   .round_down_e8 = n64(inv, i, 12),
                                   .amount_due_e8 = n64(inv, i, 13),
                                   .plans = b->plans,
                                   .nplans = (size_t)(p1 - p0),
                                   .daily = b->daily,
                                   .ndaily = (size_t)(d1 - d0)};
    return BR_OK;
}

struct writer {
    const struct period_data *d;
    const char *dir;
    pthread_mutex_t *mu;
    int *next;
    int n;
    enum br_status st;
    struct br_error err;
    size_t written;
    bool *stop;
};

static int take(struct writer *w)
{
    pthread_mutex_lock(w->mu);
    int i = *w->stop ? w->n : (*w->next)++;
    pthread_mutex_unlock(w->mu);
    return i;
}

static void *write_invoices(void *arg)
{
    struct writer *w = arg;
    int i;
    while ((i = take(w)) < w->n) {
        struct doc_bufs b;
        struct br_invoice_doc doc;
        memset(&b, 0, sizeof(b));
        enum br_status st = build_doc(w->d, i, &b, &doc);
        char path[4400];
        if (st != BR_OK)
            br_fail(&w->err, st, "out of memory building invoice %d", i + 1);
        else if (snprintf(path, sizeof(path), "%s/%s_%s.xlsx", w->dir, doc.invoice_no,
                          doc.buyer.account_id) >= (int)sizeof(path))
            st = br_fail(&w->err, BR_ERR_IO, "output folder name too long: %s", w->dir);
        else
            st = br_xlsx_invoice(&doc, path, &w->err);
        free(b.lines);
        free(b.daily);
        free(b.plans);
        if (st != BR_OK) {
            w->st = st;
            pthread_mutex_lock(w->mu);
            *w->stop = true;
            pthread_mutex_unlock(w->mu);
            break;
        }
        w->written++;
    }
    return NULL;
}

static enum br_status write_summary(const struct period_data *d, const char *dir,
                                    struct br_error *err)
{
    int ni = PQntuples(d->inv), nt = PQntuples(d->tb), nr = PQntuples(d->roll),
        nj = PQntuples(d->rejects);
    struct br_sum_invoice *inv = br_calloc((size_t)ni + 1, sizeof(*inv));
    struct br_sum_tb *tb = br_calloc((size_t)nt + 1, sizeof(*tb));
    struct br_sum_roll *roll = br_calloc((size_t)nr + 1, sizeof(*roll));
    struct br_sum_reject *rej = br_calloc((size_t)nj + 1, sizeof(*rej));
    enum br_status st = (inv && tb && roll && rej) ? BR_OK : BR_ERR_NOMEM;
    for (int i = 0; st == BR_OK && i < ni; i++)
        inv[i] = (struct br_sum_invoice){.invoice_no = v(d->inv, i, 0),
                                         .account_id = v(d->inv, i, 1),
                                         .name = v(d->inv, i, 2),
                                         .gross_e8 = n64(d->inv, i, 6),
                                         .free_e8 = n64(d->inv, i, 7),
                                         .plan_e8 = n64(d->inv, i, 8),
                                         .coupon_e8 = n64(d->inv, i, 9),
                                         .balance_e8 = n64(d->inv, i, 10),
                                         .outstanding_e8 = n64(d->inv, i, 11),
                                         .round_down_e8 = n64(d->inv, i, 12),
                                         .amount_due_e8 = n64(d->inv, i, 13)};
    for (int i = 0; st == BR_OK && i < nt; i++)
        tb[i] = (struct br_sum_tb){(int)n64(d->tb, i, 0), v(d->tb, i, 1), n64(d->tb, i, 2),
                                   n64(d->tb, i, 3)};
    for (int i = 0; st == BR_OK && i < nr; i++)
        roll[i] = (struct br_sum_roll){v(d->roll, i, 0),   v(d->roll, i, 1),   v(d->roll, i, 2),
                                       n64(d->roll, i, 3), n64(d->roll, i, 4), n64(d->roll, i, 5),
                                       n64(d->roll, i, 6), n64(d->roll, i, 7)};
    for (int i = 0; st == BR_OK && i < nj; i++)
        rej[i] = (struct br_sum_reject){v(d->rejects, i, 0), n64(d->rejects, i, 1),
                                        v(d->rejects, i, 2), v(d->rejects, i, 3)};
    struct br_summary_doc doc = {.period = d->per,
                                 .issued_at = d->issued_at,
                                 .tz_offset_s = d->tz,
                                 .seller_name = d->seller.name,
                                 .invoices = inv,
                                 .ninvoices = (size_t)ni,
                                 .tb = tb,
                                 .ntb = (size_t)nt,
                                 .roll = roll,
                                 .nroll = (size_t)nr,
                                 .rejects = rej,
                                 .nrejects = (size_t)nj};
    char path[4200];
    if (snprintf(path, sizeof(path), "%s/summary-%.4s%.2s.xlsx", dir, d->per, d->per + 5) >=
        (int)sizeof(path))
        st = br_fail(err, BR_ERR_IO, "output folder name too long: %s", dir);
    if (st == BR_OK)
        st = br_xlsx_summary(&doc, path, err);
    else
        br_fail(err, st, "out of memory building the summary");
    free(inv);
    free(tb);
    free(roll);
    free(rej);
    return st;
}

static enum br_status make_dir(const char *path, struct br_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return br_fail(err, BR_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return br_fail(err, BR_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    return BR_OK;
}

enum br_status br_docs_remove_dir(const char *path, struct br_error *err)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return errno == ENOENT
                   ? BR_OK
                   : br_fail(err, BR_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    enum br_status st = BR_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[4400];
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        if (unlink(p) != 0 && st == BR_OK)
            st = br_fail(err, BR_ERR_IO, "cannot remove %s: %s", p, strerror(errno));
    }
    closedir(d);
    if (st == BR_OK && rmdir(path) != 0)
        st = br_fail(err, BR_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    return st;
}

/* The folder a path is in ("." for a bare name). */
static void parent_of(const char *path, char *out, size_t n)
{
    snprintf(out, n, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash == NULL)
        snprintf(out, n, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

enum br_status br_docs_publish(const char *from, const char *to, struct br_error *err)
{
    char parent[4096];
    parent_of(to, parent, sizeof(parent));
    if (rename(from, to) == 0) /* no such folder yet: all at once */
        return br_xlsx_sync_dir(parent, err);
    if (errno != EEXIST && errno != ENOTEMPTY)
        return br_fail(err, BR_ERR_IO, "cannot move %s to %s: %s", from, to, strerror(errno));
    DIR *d = opendir(from);
    if (d == NULL)
        return br_fail(err, BR_ERR_IO, "cannot open %s: %s", from, strerror(errno));
    enum br_status st = BR_OK;
    struct dirent *e;
    while (st == BR_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char a[4400], b[4400];
        snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
        snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
        if (rename(a, b) != 0)
            st = br_fail(err, BR_ERR_IO, "cannot move %s to %s: %s", a, b, strerror(errno));
    }
    closedir(d);
    if (st == BR_OK)
        st = br_xlsx_sync_dir(to, err);
    if (st == BR_OK && rmdir(from) != 0)
        st = br_fail(err, BR_ERR_IO, "cannot remove %s: %s", from, strerror(errno));
    if (st == BR_OK)
        st = br_xlsx_sync_dir(parent, err);
    return st;
}

enum br_status br_docs_write(struct br_db *db, struct br_calendar cal, br_period period,
                             const char *out_dir, const char *subdir, bool in_tx, int threads,
                             struct br_close_summary *s, struct br_error *err)
{
    struct period_data d;
    memset(&d, 0, sizeof(d));
    d.period = period;
    d.tz = cal.offset_s;
    d.start = br_period_start(&cal, period);
    d.end = br_period_start(&cal, period + 1);
    br_period_format(period, d.per, sizeof(d.per));
    enum br_status st =
        in_tx ? BR_OK : br_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", err);
    if (st == BR_OK)
        st = load_period(db, &d, err);
    if (!in_tx) {
        struct br_error ignore;
        br_db_exec(db, "ROLLBACK", &ignore);
    }
    snprintf(s->folder, sizeof(s->folder), "%s/%s", out_dir, subdir ? subdir : d.per);
    /* A file size limit (ulimit -f) must make a write fail with EFBIG, which
     * the writer reports and cleans up after (xlsx.h), not kill the process
     * with SIGXFSZ halfway through a file, its temporary file left behind. */
    struct sigaction ignore_xfsz, saved_xfsz;
    memset(&ignore_xfsz, 0, sizeof(ignore_xfsz));
    ignore_xfsz.sa_handler = SIG_IGN;
    sigemptyset(&ignore_xfsz.sa_mask);
    bool restore_xfsz = sigaction(SIGXFSZ, &ignore_xfsz, &saved_xfsz) == 0;
    if (st == BR_OK)
        st = make_dir(s->folder, err);
#ifdef __GLIBC__
    /* Each workbook deflates a dozen parts, each with a zlib state of about
     * 256 KiB: above glibc's starting mmap threshold, so every one was a
     * fresh mapping the kernel zero-filled page by page, and freed memory
     * went straight back to it. Keep such blocks in the heap instead (a
     * fifth of the writing time at 100k invoices). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
    if (st == BR_OK) {
        int nt = threads < 1 ? 1 : threads > 16 ? 16 : threads, next = 0;
        bool stop = false;
        pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        struct writer w[16];
        pthread_t th[16];
        for (int i = 0; i < nt; i++)
            w[i] = (struct writer){.d = &d,
                                   .dir = s->folder,
                                   .mu = &mu,
                                   .next = &next,
                                   .n = PQntuples(d.inv),
                                   .stop = &stop};
        int started = 0;
        for (int i = 1; i < nt; i++)
            if (pthread_create(&th[i], NULL, write_invoices, &w[i]) == 0)
                started = i;
        write_invoices(&w[0]);
        for (int i = 1; i <= started; i++)
            pthread_join(th[i], NULL);
        for (int i = 0; i < nt; i++) {
            s->files_written += w[i].written;
            if (st == BR_OK && w[i].st != BR_OK) {
                st = w[i].st;
                *err = w[i].err;
            }
        }
    }
    if (st == BR_OK)
        st = write_summary(&d, s->folder, err);
    if (st == BR_OK)
        s->files_written++;
    if (st == BR_OK)
        st = br_xlsx_sync_dir(s->folder, err);
    if (restore_xfsz)
        sigaction(SIGXFSZ, &saved_xfsz, NULL);
    if (s->invoices == 0 && d.inv)
        s->invoices = (size_t)PQntuples(d.inv);
    period_data_free(&d);
    return st;
}
