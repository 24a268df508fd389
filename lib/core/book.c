/* Reference data tables and the names of reasons and kinds. */
#include "core/book.h"

#include <stdlib.h>
#include <string.h>

static const char *const reason_names[BR_R_COUNT] = {
    [BR_R_NONE] = "none",
    [BR_R_BAD_UTF8] = "bad_utf8",
    [BR_R_BAD_FIELD_COUNT] = "bad_field_count",
    [BR_R_DUPLICATE_RECORD] = "duplicate_record",
    [BR_R_FIELD_TOO_LONG] = "field_too_long",
    [BR_R_BAD_ACCOUNT_ID] = "bad_account_id",
    [BR_R_BAD_TIMESTAMP] = "bad_timestamp",
    [BR_R_BAD_NUMBER] = "bad_number",
    [BR_R_NEGATIVE_QUANTITY] = "negative_quantity",
    [BR_R_END_BEFORE_START] = "end_before_start",
    [BR_R_INTERVAL_TOO_LONG] = "interval_too_long",
    [BR_R_NOT_HOUR_ALIGNED] = "not_hour_aligned",
    [BR_R_UNKNOWN_ENUM] = "unknown_enum",
    [BR_R_BAD_PLAN] = "bad_plan",
    [BR_R_UNKNOWN_ACCOUNT] = "unknown_account",
    [BR_R_CONFLICTING_ORDER] = "conflicting_order",
    [BR_R_PLAN_LIMIT] = "plan_limit",
    [BR_R_NO_PRICE] = "no_price",
    [BR_R_BAD_HEADER] = "bad_header",
    [BR_R_EMPTY_FILE] = "empty_file",
    [BR_R_CHANGED_CONTENT] = "changed_content",
    [BR_R_PRICE_OVERLAP] = "price_overlap",
    [BR_R_REPRICES_HISTORY] = "reprices_history",
    [BR_R_TOO_LATE] = "too_late",
    [BR_R_CONFLICTING_ADJUSTMENT] = "conflicting_adjustment",
    [BR_R_UNKNOWN_INVOICE] = "unknown_invoice",
    [BR_R_OVER_CREDIT] = "over_credit",
    [BR_R_MISSING_REASON] = "missing_reason",
};

const char *br_reason_str(enum br_reason r)
{
    return (unsigned)r < BR_R_COUNT ? reason_names[r] : "unknown";
}

bool br_reason_parse(const char *s, enum br_reason *out)
{
    for (int i = 0; i < BR_R_COUNT; i++) {
        if (strcmp(s, reason_names[i]) == 0) {
            *out = (enum br_reason)i;
            return true;
        }
    }
    return false;
}

static const char *const kind_names[BR_KIND_COUNT] = {"accounts",    "prices", "orders",
                                                      "adjustments", "eas",    "oss"};

static const char *const hdr_accounts[] = {"account_id", "name", "address", "tax_id", "email"};
static const char *const hdr_prices[] = {"item",           "spec",          "unit_price",
                                         "effective_from", "effective_to",  "tod_from",
                                         "tod_to",         "free_per_month"};
static const char *const hdr_orders[] = {"order_id", "account_id", "order_time", "kind",
                                         "scope",    "plan_type",  "quantity",   "unit",
                                         "paid",     "valid_days", "bundle_id"};
static const char *const hdr_adjustments[] = {"adjustment_id", "account_id", "adjustment_time",
                                              "kind",          "item",       "amount",
                                              "invoice_no",    "reason"};
static const char *const hdr_eas[] = {"record_id", "account_id", "service_id", "tool",  "edition",
                                      "spec",      "start_time", "end_time",   "gpu_ms"};
static const char *const hdr_oss[] = {"record_id",  "account_id", "bucket", "region",
                                      "hour_start", "metric",     "value"};

const char *br_kind_str(enum br_kind k)
{
    return (unsigned)k < BR_KIND_COUNT ? kind_names[k] : "?";
}

bool br_kind_of_name(const char *name, enum br_kind *out)
{
    size_t n = strlen(name);
    if (n < 4 || strcmp(name + n - 4, ".csv") != 0)
        return false;
    for (int k = 0; k < BR_KIND_COUNT; k++) {
        size_t kl = strlen(kind_names[k]);
        if (n > kl + 4 && memcmp(name, kind_names[k], kl) == 0 && name[kl] == '-') {
            *out = (enum br_kind)k;
            return true;
        }
    }
    return false;
}

const char *const *br_kind_header(enum br_kind k, size_t *ncols)
{
    switch (k) {
    case BR_KIND_ACCOUNTS:
        *ncols = 5;
        return hdr_accounts;
    case BR_KIND_PRICES:
        *ncols = 8;
        return hdr_prices;
    case BR_KIND_ORDERS:
        *ncols = 11;
        return hdr_orders;
    case BR_KIND_ADJUSTMENTS:
        *ncols = 8;
        return hdr_adjustments;
    case BR_KIND_EAS:
        *ncols = 9;
        return hdr_eas;
    case BR_KIND_OSS:
        *ncols = 7;
        return hdr_oss;
    default:
        BR_UNREACHABLE();
    }
}

const char *br_order_kind_str(enum br_order_kind k)
{
    static const char *const n[] = {"plan", "coupon", "topup", "payment"};
    return (unsigned)k < 4 ? n[k] : "?";
}

const char *br_plan_type_str(enum br_plan_type t)
{
    static const char *const n[] = {"", "amount", "pool", "monthly", "capacity"};
    return (unsigned)t < 5 ? n[t] : "?";
}

bool br_account_id_valid(const char *s, size_t n)
{
    if (n == 0 || n > BR_ACCOUNT_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

void br_book_init(struct br_book *b)
{
    memset(b, 0, sizeof(*b));
    br_arena_init(&b->arena, 0);
    br_strtab_init(&b->account_ids, (size_t)1 << 31);
    br_strtab_init(&b->specs, 65000);
    br_strtab_init(&b->order_ids, (size_t)1 << 31);
    br_strtab_init(&b->adjustment_ids, (size_t)1 << 31);
    br_strtab_init(&b->invoice_nos, (size_t)1 << 31);
}

void br_book_free(struct br_book *b)
{
    br_arena_free(&b->arena);
    br_strtab_free(&b->account_ids);
    br_strtab_free(&b->specs);
    br_strtab_free(&b->order_ids);
    br_strtab_free(&b->adjustment_ids);
    br_strtab_free(&b->invoice_nos);
    free(b->adjustments);
    free(b->invoices);
    free(b->accounts);
    free(b->prices);
    free(b->orders);
    free(b->storage_head);
    memset(b, 0, sizeof(*b));
}

enum br_status br_book_account(struct br_book *b, const char *id, size_t n, uint32_t *out)
{
    size_t before = b->account_ids.n;
    enum br_status st = br_strtab_intern(&b->account_ids, id, n, out);
    if (st != BR_OK)
        return st;
    if (b->account_ids.n > before) {
        st = br_grow((void **)&b->accounts, &b->accounts_cap, b->account_ids.n,
                     sizeof(*b->accounts), (size_t)1 << 31);
        if (st != BR_OK)
            return st;
        memset(&b->accounts[*out], 0, sizeof(b->accounts[*out]));
    }
    return BR_OK;
}

enum br_status br_book_account_set(struct br_book *b, uint32_t acct, const char *const fields[4],
                                   const size_t lens[4])
{
    BR_ASSERT(acct < b->account_ids.n);
    char *copy[4];
    for (int i = 0; i < 4; i++) {
        copy[i] = br_arena_strndup(&b->arena, fields[i], lens[i]);
        if (copy[i] == NULL)
            return BR_ERR_NOMEM;
    }
    struct br_account *a = &b->accounts[acct];
    a->name = copy[0];
    a->address = copy[1];
    a->tax_id = copy[2];
    a->email = copy[3];
    return BR_OK;
}

bool br_book_account_find(const struct br_book *b, const char *id, size_t n, uint32_t *out)
{
    return br_strtab_find(&b->account_ids, id, n, out);
}

const char *br_book_account_id(const struct br_book *b, uint32_t acct)
{
    return br_strtab_get(&b->account_ids, acct, NULL);
}

enum br_status br_book_add_price(struct br_book *b, const struct br_price *p)
{
    enum br_status st = br_grow((void **)&b->prices, &b->prices_cap, b->nprices + 1,
                                sizeof(*b->prices), (size_t)1 << 24);
    if (st != BR_OK)
        return st;
    b->prices[b->nprices++] = *p;
    return BR_OK;
}

static char *dup_opt(struct br_arena *a, const char *s, bool *fail)
{
    if (s == NULL)
        return NULL;
    char *c = br_arena_strndup(a, s, strlen(s));
    if (c == NULL)
        *fail = true;
    return c;
}

enum br_status br_book_add_order(struct br_book *b, const struct br_order *o)
{
    uint32_t idx;
    if (br_strtab_find(&b->order_ids, o->order_id, strlen(o->order_id), &idx))
        return BR_ERR_STATE; /* callers check first */
    enum br_status st = br_grow((void **)&b->orders, &b->orders_cap, b->norders + 1,
                                sizeof(*b->orders), (size_t)1 << 30);
    if (st != BR_OK)
        return st;
    st = br_strtab_intern(&b->order_ids, o->order_id, strlen(o->order_id), &idx);
    if (st != BR_OK)
        return st;
    BR_ASSERT(idx == b->norders);
    struct br_order c = *o;
    bool fail = false;
    c.order_id = (char *)br_strtab_get(&b->order_ids, idx, NULL);
    c.bundle_id = dup_opt(&b->arena, o->bundle_id, &fail);
    c.scope_text = dup_opt(&b->arena, o->scope_text, &fail);
    if (fail)
        return BR_ERR_NOMEM;
    c.storage_next = BR_NO_ID;
    if (br_order_is_storage_plan(&c)) {
        size_t old = b->storage_head_cap;
        st = br_grow((void **)&b->storage_head, &b->storage_head_cap, br_book_naccounts(b),
                     sizeof(*b->storage_head), (size_t)1 << 31);
        if (st != BR_OK)
            return st;
        for (size_t i = old; i < b->storage_head_cap; i++)
            b->storage_head[i] = BR_NO_ID;
        c.storage_next = b->storage_head[c.account];
        b->storage_head[c.account] = (uint32_t)b->norders;
    }
    b->orders[b->norders++] = c;
    return BR_OK;
}

bool br_book_order_find(const struct br_book *b, const char *id, size_t n, uint32_t *idx)
{
    return br_strtab_find(&b->order_ids, id, n, idx);
}

const char *br_book_spec(const struct br_book *b, uint32_t spec)
{
    return spec == BR_SPEC_ANY ? "*" : br_strtab_get(&b->specs, spec, NULL);
}

bool br_price_tod_match(const struct br_price *p, int32_t tod)
{
    if (p->tod_from < 0)
        return true;
    if (p->tod_from < p->tod_to)
        return tod >= p->tod_from && tod < p->tod_to;
    return tod >= p->tod_from || tod < p->tod_to;
}

enum br_status br_book_add_adjustment(struct br_book *b, const struct br_adjustment *a)
{
    uint32_t idx;
    size_t n = strlen(a->adjustment_id);
    if (br_strtab_find(&b->adjustment_ids, a->adjustment_id, n, &idx))
        return BR_ERR_STATE; /* callers check first */
    enum br_status st = br_grow((void **)&b->adjustments, &b->adjustments_cap, b->nadjustments + 1,
                                sizeof(*b->adjustments), (size_t)1 << 30);
    if (st == BR_OK)
        st = br_strtab_intern(&b->adjustment_ids, a->adjustment_id, n, &idx);
    if (st != BR_OK)
        return st;
    BR_ASSERT(idx == b->nadjustments);
    struct br_adjustment c = *a;
    bool fail = false;
    c.adjustment_id = (char *)br_strtab_get(&b->adjustment_ids, idx, NULL);
    c.invoice_no = dup_opt(&b->arena, a->invoice_no, &fail);
    c.reason = dup_opt(&b->arena, a->reason, &fail);
    if (fail)
        return BR_ERR_NOMEM;
    b->adjustments[b->nadjustments++] = c;
    return BR_OK;
}

bool br_book_adjustment_find(const struct br_book *b, const char *id, size_t n, uint32_t *idx)
{
    return br_strtab_find(&b->adjustment_ids, id, n, idx);
}

enum br_status br_book_add_invoice(struct br_book *b, const struct br_invoice_ref *inv)
{
    uint32_t idx;
    size_t n = strlen(inv->invoice_no);
    if (br_strtab_find(&b->invoice_nos, inv->invoice_no, n, &idx))
        return BR_ERR_STATE;
    enum br_status st = br_grow((void **)&b->invoices, &b->invoices_cap, b->ninvoices + 1,
                                sizeof(*b->invoices), (size_t)1 << 30);
    if (st == BR_OK)
        st = br_strtab_intern(&b->invoice_nos, inv->invoice_no, n, &idx);
    if (st != BR_OK)
        return st;
    BR_ASSERT(idx == b->ninvoices);
    struct br_invoice_ref c = *inv;
    c.invoice_no = (char *)br_strtab_get(&b->invoice_nos, idx, NULL);
    b->invoices[b->ninvoices++] = c;
    return BR_OK;
}

bool br_book_invoice_find(const struct br_book *b, const char *no, size_t n, uint32_t *idx)
{
    return br_strtab_find(&b->invoice_nos, no, n, idx);
}
