/* The canonical row format, section hashes and the hash chain
 * (canon.h, docs/hash.md). */
#include "ledger/canon.h"

#include "core/mem.h"
#include "core/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the hashed tables ------------------------------------------------------ */

#define TABLE(name_, scope_, cols_, types_)                                                        \
    {                                                                                              \
        .name = name_, .scope = scope_, .ncols = sizeof(cols_) / sizeof(const char *),             \
        .cols = cols_, .types = types_                                                             \
    }

/* Short names for the column types of the tables below. */
#define I BR_COL_INT
#define T BR_COL_TEXT
#define B BR_COL_BOOL
#define TM BR_COL_TIME
#define D BR_COL_DATE
#define BY BR_COL_BYTES
#define IS BR_COL_INTS
#define DG BR_COL_DIGEST

static const char *const entries_c[] = {"entry_id",   "period", "effective_at",
                                        "account_id", "kind",   "item",
                                        "order_id",   "late",   "description"};
static const enum br_coltype entries_t[] = {I, T, TM, T, T, T, T, B, T};
static const char *const transfers_c[] = {"transfer_id", "entry_id",   "debit_code", "debit_sub",
                                          "credit_code", "credit_sub", "amount_e8"};
static const enum br_coltype transfers_t[] = {I, I, I, T, I, T, I};
static const char *const files_c[] = {"file_id", "name",     "sha256",  "size_bytes",
                                      "kind",    "status",   "reason",  "detail",
                                      "rows",    "accepted", "rejected"};
static const enum br_coltype files_t[] = {I, T, BY, I, T, T, T, T, I, I, I};
static const char *const rejects_c[] = {"reject_id", "file_id",   "line",      "reason",
                                        "raw",       "raw_bytes", "truncated", "detail"};
static const enum br_coltype rejects_t[] = {I, I, I, T, T, BY, B, T};
static const char *const outcomes_c[] = {"reject_id", "outcome", "reason"};
static const enum br_coltype outcomes_t[] = {I, T, T};
static const char *const accounts_c[] = {"account_id", "file_id", "line", "name",
                                         "address",    "tax_id",  "email"};
static const enum br_coltype accounts_t[] = {T, I, I, T, T, T, T};
static const char *const prices_c[] = {"price_id",
                                       "file_id",
                                       "line",
                                       "item",
                                       "spec",
                                       "unit_price_e10",
                                       "effective_from",
                                       "effective_to",
                                       "tod_from_s",
                                       "tod_to_s",
                                       "free_per_month_units"};
static const enum br_coltype prices_t[] = {I, I, I, T, T, I, TM, TM, I, I, I};
static const char *const orders_c[] = {
    "order_id",   "file_id",   "line",         "account_id", "order_time", "kind",    "scope",
    "scope_mask", "plan_type", "quantity_e10", "unit",       "face",       "paid_e8", "valid_days",
    "valid_from", "valid_to",  "bundle_id",    "period",     "late"};
static const enum br_coltype orders_t[] = {T, I, I, T, TM, T,  T, I, T, I,
                                           T, I, I, I, TM, TM, T, T, B};
static const char *const lines_c[] = {
    "account_id", "period",         "own_period", "day",           "item",         "late",
    "pieces",     "quantity",       "gross_e8",   "free_e8",       "plan_e8",      "coupon_e8",
    "balance_e8", "outstanding_e8", "free_units", "price_min_e10", "price_max_e10"};
static const enum br_coltype lines_t[] = {T, T, T, D, T, B, I, I, I, I, I, I, I, I, I, I, I};
static const char *const draws_c[] = {"account_id", "period",       "own_period", "day",
                                      "item",       "source",       "order_id",   "units",
                                      "value_e8",   "recognised_e8"};
static const enum br_coltype draws_t[] = {T, T, T, D, T, T, T, I, I, I};
static const char *const events_c[] = {"order_id",   "kind",         "period",
                                       "own_period", "effective_at", "amount_e8"};
static const enum br_coltype events_t[] = {T, T, T, T, TM, I};
static const char *const ostate_c[] = {"order_id",     "consumed",    "recognised_e8",
                                       "sl_elapsed_s", "breakage_e8", "expired"};
static const enum br_coltype ostate_t[] = {T, I, I, I, I, B};
static const char *const bstate_c[] = {"account_id", "balance_e8"};
static const enum br_coltype bstate_t[] = {T, I};
static const char *const buckets_c[] = {"order_id", "kind", "bucket", "used", "hours"};
static const enum br_coltype buckets_t[] = {T, T, I, I, IS};
static const char *const allow_c[] = {"account_id", "item", "period", "used"};
static const enum br_coltype allow_t[] = {T, T, T, I};
static const char *const spans_c[] = {"item", "spec", "hour_from", "hour_to"};
static const enum br_coltype spans_t[] = {T, T, I, I};
static const char *const closes_c[] = {"period", "closed_at", "forced", "seller"};
static const enum br_coltype closes_t[] = {T, TM, B, T};
static const char *const finals_c[] = {
    "invoice_no",    "period",     "account_id",     "gross_e8",     "free_e8",    "plan_e8",
    "coupon_e8",     "balance_e8", "outstanding_e8", "credits_e8",   "debits_e8",  "round_down_e8",
    "amount_due_e8", "buyer_name", "buyer_address",  "buyer_tax_id", "buyer_email"};
static const enum br_coltype finals_t[] = {T, T, T, I, I, I, I, I, I, I, I, I, I, T, T, T, T};
static const char *const adjust_c[] = {"adjustment_id",   "file_id", "line",   "account_id",
                                       "adjustment_time", "kind",    "item",   "amount_e8",
                                       "invoice_no",      "reason",  "period", "late"};
static const enum br_coltype adjust_t[] = {T, I, I, T, TM, T, T, I, T, T, T, B};
static const char *const notes_c[] = {"note_no", "adjustment_id", "period"};
static const enum br_coltype notes_t[] = {T, T, T};
static const char *const recids_c[] = {"source", "part",  "seq",    "n",     "t_min",
                                       "t_max",  "files", "rice",   "width", "tbytes",
                                       "fbytes", "fps",   "entries"};
static const enum br_coltype recids_t[] = {T, I, I, I, TM, TM, IS, I, I, I, I, DG, DG};

#undef I
#undef T
#undef B
#undef TM
#undef D
#undef BY
#undef IS
#undef DG

const struct br_table br_tables[BR_SEC_COUNT] = {
    [BR_SEC_ENTRIES] = TABLE("ledger.entries", BR_SCOPE_BATCH, entries_c, entries_t),
    [BR_SEC_TRANSFERS] = TABLE("ledger.transfers", BR_SCOPE_ENTRIES, transfers_c, transfers_t),
    [BR_SEC_FILES] = TABLE("billing.files", BR_SCOPE_BATCH, files_c, files_t),
    [BR_SEC_REJECTS] = TABLE("billing.reject_rows", BR_SCOPE_BATCH, rejects_c, rejects_t),
    [BR_SEC_REJECT_OUTCOMES] =
        TABLE("billing.reject_outcomes", BR_SCOPE_BATCH, outcomes_c, outcomes_t),
    [BR_SEC_ACCOUNTS] = TABLE("billing.account_versions", BR_SCOPE_BATCH, accounts_c, accounts_t),
    [BR_SEC_PRICES] = TABLE("billing.prices", BR_SCOPE_BATCH, prices_c, prices_t),
    [BR_SEC_ORDERS] = TABLE("billing.orders", BR_SCOPE_BATCH, orders_c, orders_t),
    [BR_SEC_USAGE_LINES] = TABLE("billing.usage_lines", BR_SCOPE_BATCH, lines_c, lines_t),
    [BR_SEC_DRAWS] = TABLE("billing.draws", BR_SCOPE_BATCH, draws_c, draws_t),
    [BR_SEC_PLAN_EVENTS] = TABLE("billing.plan_events", BR_SCOPE_BATCH, events_c, events_t),
    [BR_SEC_ORDER_STATE] = TABLE("billing.order_state", BR_SCOPE_BATCH, ostate_c, ostate_t),
    [BR_SEC_BALANCE_STATE] = TABLE("billing.balance_state", BR_SCOPE_BATCH, bstate_c, bstate_t),
    [BR_SEC_BUCKET_STATE] = TABLE("billing.bucket_state", BR_SCOPE_BATCH, buckets_c, buckets_t),
    [BR_SEC_ALLOWANCE_STATE] = TABLE("billing.allowance_state", BR_SCOPE_BATCH, allow_c, allow_t),
    [BR_SEC_RATED_SPANS] = TABLE("billing.rated_spans", BR_SCOPE_BATCH, spans_c, spans_t),
    [BR_SEC_PERIOD_CLOSES] = TABLE("billing.period_closes", BR_SCOPE_BATCH, closes_c, closes_t),
    [BR_SEC_INVOICE_FINALS] = TABLE("billing.invoice_finals", BR_SCOPE_BATCH, finals_c, finals_t),
    [BR_SEC_ADJUSTMENTS] = TABLE("billing.adjustment_rows", BR_SCOPE_BATCH, adjust_c, adjust_t),
    [BR_SEC_NOTES] = TABLE("billing.adjustment_notes", BR_SCOPE_BATCH, notes_c, notes_t),
    [BR_SEC_RECORD_IDS] = TABLE("billing.record_ids", BR_SCOPE_BATCH, recids_c, recids_t),
};

/* ---- one row ------------------------------------------------------------------ */

void br_row_init(struct br_row *r)
{
    memset(r, 0, sizeof(*r));
}

void br_row_free(struct br_row *r)
{
    free(r->p);
    memset(r, 0, sizeof(*r));
}

void br_row_reset(struct br_row *r)
{
    r->n = 0;
    r->fields = 0;
    r->st = BR_OK;
}

static void put(struct br_row *r, const void *p, size_t n)
{
    if (r->st != BR_OK)
        return;
    if (r->n + n > r->cap && br_grow((void **)&r->p, &r->cap, r->n + n, 1, BR_ROW_MAX) != BR_OK) {
        r->st = BR_ERR_NOMEM;
        return;
    }
    memcpy(r->p + r->n, p, n);
    r->n += n;
}

/* Starts a field: a TAB before every field but the first. */
static void field(struct br_row *r)
{
    if (r->fields++ > 0)
        put(r, "\t", 1);
}

static void put_i64(struct br_row *r, int64_t v)
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
    put(r, p, (size_t)(e - p));
}

void br_row_int(struct br_row *r, int64_t v)
{
    field(r);
    put_i64(r, v);
}

void br_row_textn(struct br_row *r, const char *s, size_t n)
{
    field(r);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char e;
        switch (s[i]) {
        case '\\':
            e = '\\';
            break;
        case '\t':
            e = 't';
            break;
        case '\n':
            e = 'n';
            break;
        case '\r':
            e = 'r';
            break;
        default:
            continue;
        }
        put(r, s + run, i - run);
        char esc[2] = {'\\', e};
        put(r, esc, 2);
        run = i + 1;
    }
    put(r, s + run, n - run);
}

void br_row_text(struct br_row *r, const char *s)
{
    if (s == NULL)
        br_row_null(r);
    else
        br_row_textn(r, s, strlen(s));
}

void br_row_bool(struct br_row *r, bool v)
{
    field(r);
    put(r, v ? "t" : "f", 1);
}

void br_row_time(struct br_row *r, int64_t t)
{
    char b[40];
    size_t n = br_time_format(t, 0, b, sizeof(b));
    field(r);
    put(r, b, n);
}

void br_row_date(struct br_row *r, int64_t day)
{
    char b[24];
    size_t n = br_day_format(day, b, sizeof(b));
    field(r);
    put(r, b, n);
}

void br_row_period(struct br_row *r, br_period p)
{
    char b[16];
    size_t n = br_period_format(p, b, sizeof(b));
    field(r);
    put(r, b, n);
}

void br_row_bytes(struct br_row *r, const void *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    field(r);
    put(r, "\\\\x", 3);
    const unsigned char *s = p;
    char chunk[128];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        chunk[k++] = hex[s[i] >> 4];
        chunk[k++] = hex[s[i] & 15];
        if (k == sizeof(chunk)) {
            put(r, chunk, k);
            k = 0;
        }
    }
    put(r, chunk, k);
}

void br_row_digest(struct br_row *r, const void *p, size_t n)
{
    struct br_sha256 h;
    uint8_t d[32];
    if (br_sha256_init(&h) != 0 || br_sha256_update(&h, p, n) != 0 || br_sha256_final(&h, d) != 0) {
        if (r->st == BR_OK)
            r->st = BR_ERR_NOMEM;
        field(r);
        return;
    }
    br_row_bytes(r, d, sizeof(d));
}

void br_row_ints(struct br_row *r, const int64_t *v, size_t n)
{
    field(r);
    put(r, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            put(r, ",", 1);
        put_i64(r, v[i]);
    }
    put(r, "}", 1);
}

void br_row_null(struct br_row *r)
{
    field(r);
    put(r, "\\N", 2);
}

enum br_status br_row_end(struct br_row *r)
{
    put(r, "\n", 1);
    return r->st;
}

/* ---- sections ------------------------------------------------------------------- */

void br_section_init(struct br_section_hash *h)
{
    memset(h, 0, sizeof(*h));
}

void br_section_free(struct br_section_hash *h)
{
    if (h->has_sha)
        br_sha256_abort(&h->sha);
    free(h->d);
    memset(h, 0, sizeof(*h));
}

void br_section_add(struct br_section_hash *h, const char *row, size_t n)
{
    if (h->st != BR_OK)
        return;
    if (h->n == h->cap &&
        br_grow((void **)&h->d, &h->cap, h->n + 1, sizeof(*h->d), (size_t)1 << 34) != BR_OK) {
        h->st = BR_ERR_NOMEM;
        return;
    }
    if (!h->has_sha && br_sha256_init(&h->sha) != 0) {
        h->st = BR_ERR_NOMEM;
        return;
    }
    h->has_sha = true;
    if (br_sha256_digest(&h->sha, row, n, h->d[h->n]) != 0) {
        h->st = BR_ERR_NOMEM;
        return;
    }
    h->n++;
}

static int digest_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

enum br_status br_section_finish(struct br_section_hash *h, uint8_t out[32])
{
    if (h->st != BR_OK)
        return h->st;
    if (h->n > 1)
        qsort(h->d, h->n, sizeof(*h->d), digest_cmp);
    struct br_sha256 s;
    if (br_sha256_init(&s) != 0)
        return BR_ERR_NOMEM;
    if (h->n > 0)
        br_sha256_update(&s, h->d, h->n * sizeof(*h->d));
    br_sha256_final(&s, out);
    return BR_OK;
}

/* ---- batches and the chain ------------------------------------------------------ */

enum br_status br_batch_content(const struct br_batch_head *h, const struct br_batch_sums *s,
                                uint8_t out[32])
{
    struct br_sha256 sha;
    if (br_sha256_init(&sha) != 0)
        return BR_ERR_NOMEM;
    char line[512];
    int n =
        snprintf(line, sizeof(line), "billrun-batch-v2\n%lld %s %lld %s\n", (long long)h->batch_id,
                 h->kind, (long long)h->as_of, h->period != NULL ? h->period : "-");
    BR_ASSERT(n > 0 && (size_t)n < sizeof(line));
    br_sha256_update(&sha, line, (size_t)n);
    for (int i = 0; i < BR_SEC_COUNT; i++) {
        char hex[65];
        br_hex32(s->hash[i], hex);
        n = snprintf(line, sizeof(line), "%s %llu %s\n", br_tables[i].name,
                     (unsigned long long)s->rows[i], hex);
        BR_ASSERT(n > 0 && (size_t)n < sizeof(line));
        br_sha256_update(&sha, line, (size_t)n);
    }
    br_sha256_final(&sha, out);
    return BR_OK;
}

enum br_status br_chain_link(const uint8_t *prev, const uint8_t content[32], uint8_t out[32])
{
    struct br_sha256 sha;
    if (br_sha256_init(&sha) != 0)
        return BR_ERR_NOMEM;
    char p[65] = "-", c[65], line[160];
    if (prev != NULL)
        br_hex32(prev, p);
    br_hex32(content, c);
    int n = snprintf(line, sizeof(line), "billrun-chain-v2\n%s\n%s\n", p, c);
    br_sha256_update(&sha, line, (size_t)n);
    br_sha256_final(&sha, out);
    return BR_OK;
}

int br_batch_sums_diff(const struct br_batch_sums *a, const struct br_batch_sums *b)
{
    for (int i = 0; i < BR_SEC_COUNT; i++)
        if (a->rows[i] != b->rows[i] || memcmp(a->hash[i], b->hash[i], 32) != 0)
            return i;
    return -1;
}
