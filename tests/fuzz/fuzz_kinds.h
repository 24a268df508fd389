/* The inbox-file fuzz targets' driver and oracles: the fuzz input is split at
 * lines "--" into up to three file bodies of one kind, each read as a whole
 * file (its header line, then the body) by br_ingest_read into a fresh book,
 * and every outcome is checked against fz_check_file and a per-kind oracle:
 * - accounts: each record's reason exactly as formats.md orders them, and
 *   the book holding the fields of the last accepted row of each account;
 * - eas, oss: each record's reason exactly (a reference validator written
 *   from formats.md), and each accepted row's id, account, time and quantity;
 * - orders: each record's reason exactly (plan rules, conflicting orders,
 *   one storage plan at a time), and each accepted order's face, amounts and
 *   validity in the book. */
#ifndef BR_FUZZ_KINDS_H
#define BR_FUZZ_KINDS_H

#include "fuzz_common.h"

#include "ingest/usage.h"

#define FZ_MAX_FILES 3
#define FZ_INTERVAL_MAX_S (31 * 86400)

struct fz_text {
    const char *p;
    size_t n;
};

/* Record ids claimed in the run (one source per target): linear, inputs are
 * small. */
struct fz_claims {
    struct fz_text *ids;
    size_t n;
};

static inline bool fz_claimed(const struct fz_claims *c, const char *p, size_t n)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->ids[i].n == n && memcmp(c->ids[i].p, p, n) == 0)
            return true;
    return false;
}

static inline void fz_claim(struct fz_claims *c, const char *p, size_t n)
{
    c->ids = fz_xrealloc(c->ids, (c->n + 1) * sizeof(*c->ids));
    c->ids[c->n++] = (struct fz_text){p, n};
}

static inline struct fz_text fz_fld(const struct fz_csv *c, const struct fz_rec *r, size_t i)
{
    const struct fz_field *f = &c->fields[r->first + i];
    return (struct fz_text){c->text + f->off, f->len};
}

static inline bool fz_text_eq(struct fz_text a, struct fz_text b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static inline bool fz_is(struct fz_text t, const char *lit)
{
    return t.n == strlen(lit) && memcmp(t.p, lit, t.n) == 0;
}

/* formats.md: 1-64 of A-Z a-z 0-9 _ . - */
static inline bool fz_account_ok(struct fz_text t)
{
    if (t.n < 1 || t.n > 64)
        return false;
    for (size_t i = 0; i < t.n; i++) {
        char ch = t.p[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
        if (!ok)
            return false;
    }
    return true;
}

static inline bool fz_any_longer(const struct fz_csv *c, const struct fz_rec *r, size_t max)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (c->fields[r->first + i].len > max)
            return true;
    return false;
}

static inline bool fz_known_account(const struct br_book *b, struct fz_text t)
{
    uint32_t acct;
    return br_book_account_find(b, t.p, t.n, &acct);
}

/* A usage row as the reference validator sees it. */
struct fz_usage {
    enum br_item item;
    int64_t t;
    uint64_t qty;
};

/* A required count >= 0 (gpu_ms, value). */
static inline enum br_reason fz_count(struct fz_text t, uint64_t *out)
{
    int64_t v = 0;
    if (t.n == 0 || fz_dec_parse(t.p, t.n, 0, &v) != BR_NUM_OK)
        return BR_R_BAD_NUMBER;
    if (v < 0)
        return BR_R_NEGATIVE_QUANTITY;
    *out = (uint64_t)v;
    return BR_R_NONE;
}

static inline enum br_reason fz_eas_fields(const struct fz_csv *c, const struct fz_rec *r,
                                           struct fz_usage *u)
{
    struct fz_text tool = fz_fld(c, r, 3), ed = fz_fld(c, r, 4);
    if (!fz_is(tool, "stable_diffusion") && !fz_is(tool, "comfyui"))
        return BR_R_UNKNOWN_ENUM;
    bool shared = fz_is(ed, "shared");
    if (!shared && !fz_is(ed, "exclusive"))
        return BR_R_UNKNOWN_ENUM;
    struct fz_text a = fz_fld(c, r, 6), b = fz_fld(c, r, 7), g = fz_fld(c, r, 8);
    int64_t start, end;
    if (!fz_time_field(a.p, a.n, &start) || !fz_time_field(b.p, b.n, &end))
        return BR_R_BAD_TIMESTAMP;
    if (shared) {
        enum br_reason why = fz_count(g, &u->qty);
        if (why != BR_R_NONE)
            return why;
    } else if (g.n != 0) {
        return BR_R_BAD_NUMBER;
    }
    if (end < start)
        return BR_R_END_BEFORE_START;
    if (!shared && end - start > FZ_INTERVAL_MAX_S)
        return BR_R_INTERVAL_TOO_LONG;
    u->item = shared ? BR_ITEM_COMPUTE_SHARED : BR_ITEM_COMPUTE_EXCLUSIVE;
    u->t = start;
    if (!shared)
        u->qty = (uint64_t)(end - start);
    return BR_R_NONE;
}

static inline enum br_reason fz_oss_fields(const struct fz_csv *c, const struct fz_rec *r,
                                           struct fz_usage *u)
{
    struct fz_text h = fz_fld(c, r, 4), m = fz_fld(c, r, 5);
    if (!fz_time_field(h.p, h.n, &u->t))
        return BR_R_BAD_TIMESTAMP;
    if (u->t % 3600 != 0)
        return BR_R_NOT_HOUR_ALIGNED;
    static const char *const metrics[] = {"storage_bytes", "egress_bytes", "put_requests",
                                          "get_requests"};
    static const enum br_item items[] = {BR_ITEM_STORAGE, BR_ITEM_EGRESS, BR_ITEM_PUT, BR_ITEM_GET};
    size_t k = 0;
    while (k < 4 && !fz_is(m, metrics[k]))
        k++;
    if (k == 4)
        return BR_R_UNKNOWN_ENUM;
    u->item = items[k];
    return fz_count(fz_fld(c, r, 6), &u->qty);
}

/* The reason formats.md gives a usage record (BR_R_NONE: accepted). */
static inline enum br_reason fz_usage_reason(const struct br_book *b, struct fz_claims *claims,
                                             const struct fz_csv *c, const struct fz_rec *r,
                                             enum br_kind kind, struct fz_usage *u)
{
    size_t ncols = kind == BR_KIND_EAS ? 9 : 7;
    if (r->bad_utf8)
        return BR_R_BAD_UTF8;
    if (r->empty_line || r->nfields != ncols)
        return BR_R_BAD_FIELD_COUNT;
    struct fz_text id = fz_fld(c, r, 0), acct = fz_fld(c, r, 1);
    /* The reader keeps BR_FIELD_KEEP bytes of a field: ids longer than
     * BR_FIELD_MAX (rejected anyway) are told apart by that prefix only, so
     * a second such id with the same prefix is a duplicate_record. */
    size_t idn = id.n < BR_FIELD_KEEP ? id.n : BR_FIELD_KEEP;
    if (fz_claimed(claims, id.p, idn))
        return BR_R_DUPLICATE_RECORD;
    fz_claim(claims, id.p, idn);
    if (fz_any_longer(c, r, 1024) || acct.n > 64 || id.n > 128)
        return BR_R_FIELD_TOO_LONG;
    if (!fz_account_ok(acct))
        return BR_R_BAD_ACCOUNT_ID;
    enum br_reason why = kind == BR_KIND_EAS ? fz_eas_fields(c, r, u) : fz_oss_fields(c, r, u);
    if (why == BR_R_NONE && !fz_known_account(b, acct))
        why = BR_R_UNKNOWN_ACCOUNT;
    return why;
}

/* Every usage row, whatever the input: in range and self-consistent. */
static inline void fz_check_usage_rows(const struct fz_run *r, const struct br_ingest_file *f)
{
    const struct br_usage *u = &r->ing.usage;
    FUZZ_CHECK(f->row_end - f->row_begin == f->accepted, "%zu usage rows for %llu accepted",
               f->row_end - f->row_begin, (unsigned long long)f->accepted);
    for (size_t row = f->row_begin; row < f->row_end; row++) {
        FUZZ_CHECK(u->account[row] < br_book_naccounts(&r->book), "account %u", u->account[row]);
        FUZZ_CHECK(u->key[row] < u->nkeys, "key %u", u->key[row]);
        enum br_item item = br_usage_item(u, row);
        int64_t t = br_usage_t(u, row);
        FUZZ_CHECK(t >= FZ_T_MIN && t + FZ_CAL_OFFSET_S < FZ_YEAR_10000, "time %lld", (long long)t);
        FUZZ_CHECK(u->qty[row] <= (uint64_t)INT64_MAX, "quantity %llu",
                   (unsigned long long)u->qty[row]);
        if (f->kind == BR_KIND_EAS) {
            FUZZ_CHECK(item == BR_ITEM_COMPUTE_SHARED || item == BR_ITEM_COMPUTE_EXCLUSIVE,
                       "item %d in an EAS file", (int)item);
            FUZZ_CHECK(item != BR_ITEM_COMPUTE_EXCLUSIVE || u->qty[row] <= FZ_INTERVAL_MAX_S,
                       "an exclusive row of %llu s", (unsigned long long)u->qty[row]);
        } else {
            FUZZ_CHECK(item >= BR_ITEM_STORAGE && item <= BR_ITEM_GET, "item %d in an OSS file",
                       (int)item);
            FUZZ_CHECK(br_floor_div(t, 3600) * 3600 == t, "OSS row at %lld", (long long)t);
        }
        char buf[BR_RID_MAX];
        size_t len;
        br_usage_rid(u, row, buf, &len);
        FUZZ_CHECK(len <= BR_RECORD_ID_MAX, "record id of %zu bytes", len);
    }
}

/* An accepted usage record against its row. */
static inline void fz_check_usage_row(const struct fz_run *r, size_t row, const struct fz_csv *c,
                                      const struct fz_rec *rec, const struct fz_usage *want)
{
    const struct br_usage *u = &r->ing.usage;
    char buf[BR_RID_MAX];
    size_t len;
    const char *rid = br_usage_rid(u, row, buf, &len);
    struct fz_text id = fz_fld(c, rec, 0), acct = fz_fld(c, rec, 1);
    FUZZ_CHECK(len == id.n && memcmp(rid, id.p, len) == 0, "line %llu: record id",
               (unsigned long long)rec->line);
    const char *a = br_book_account_id(&r->book, u->account[row]);
    FUZZ_CHECK(strlen(a) == acct.n && memcmp(a, acct.p, acct.n) == 0, "line %llu: account %s",
               (unsigned long long)rec->line, a);
    FUZZ_CHECK(br_usage_item(u, row) == want->item, "line %llu: item %d, want %d",
               (unsigned long long)rec->line, (int)br_usage_item(u, row), (int)want->item);
    FUZZ_CHECK(br_usage_t(u, row) == want->t, "line %llu: time %lld, want %lld",
               (unsigned long long)rec->line, (long long)br_usage_t(u, row), (long long)want->t);
    FUZZ_CHECK(u->qty[row] == want->qty, "line %llu: quantity %llu, want %llu",
               (unsigned long long)rec->line, (unsigned long long)u->qty[row],
               (unsigned long long)want->qty);
    uint32_t spec = BR_SPEC_ANY;
    if (want->item == BR_ITEM_COMPUTE_SHARED || want->item == BR_ITEM_COMPUTE_EXCLUSIVE) {
        struct fz_text s = fz_fld(c, rec, 5);
        if (!br_strtab_find(&r->book.specs, s.p, s.n, &spec))
            spec = BR_SPEC_ANY;
    }
    FUZZ_CHECK(u->keys[u->key[row]].spec == spec, "line %llu: rate key spec",
               (unsigned long long)rec->line);
}

/* The accounts reference: reasons, then the book. */
static inline enum br_reason fz_account_reason(const struct fz_csv *c, const struct fz_rec *r)
{
    if (r->bad_utf8)
        return BR_R_BAD_UTF8;
    if (r->empty_line || r->nfields != 5)
        return BR_R_BAD_FIELD_COUNT;
    if (fz_any_longer(c, r, 1024) || fz_fld(c, r, 0).n > 64)
        return BR_R_FIELD_TOO_LONG;
    if (!fz_account_ok(fz_fld(c, r, 0)))
        return BR_R_BAD_ACCOUNT_ID;
    return BR_R_NONE;
}

static inline void fz_check_account(const struct fz_run *r, const struct fz_csv *c,
                                    const struct fz_rec *rec, size_t q)
{
    struct fz_text id = fz_fld(c, rec, 0);
    /* only the file's last accepted row of an account decides its fields */
    for (size_t k = q + 1; k < c->nrecs; k++)
        if (fz_account_reason(c, &c->recs[k]) == BR_R_NONE &&
            fz_text_eq(fz_fld(c, &c->recs[k], 0), id))
            return;
    uint32_t acct;
    FUZZ_CHECK(br_book_account_find(&r->book, id.p, id.n, &acct), "line %llu: account not in book",
               (unsigned long long)rec->line);
    const struct br_account *a = &r->book.accounts[acct];
    const char *got[4] = {a->name, a->address, a->tax_id, a->email};
    for (size_t i = 0; i < 4; i++) {
        struct fz_text t = fz_fld(c, rec, i + 1);
        FUZZ_CHECK(got[i] != NULL && strlen(got[i]) == t.n && memcmp(got[i], t.p, t.n) == 0,
                   "line %llu: field %zu", (unsigned long long)rec->line, i + 1);
    }
}

/* The orders reference (formats.md, rules.md section 4): an order as the
 * reference reads it, and the orders it accepted so far in the run. */
struct fz_order {
    struct fz_text id, acct, bundle;
    int64_t time, q_e10, paid_e8, face, valid_to;
    int kind, plan_type, unit; /* indexes into the name lists below; -1: empty */
    unsigned scope;            /* bit per item */
    bool star, has_qty, has_paid, has_days;
    int64_t days;
    struct fz_text q_text; /* the quantity, when q_e10 is -1 (too large for e10) */
};

struct fz_orders {
    struct fz_order *o;
    size_t n;
};

static const char *const fz_order_kinds[] = {"plan", "coupon", "topup", "payment"};
static const char *const fz_plan_types[] = {"amount", "pool", "monthly", "capacity"};
static const char *const fz_units[] = {"CNY", "gpu_second", "hour", "GB", "request"};
static const char *const fz_items[] = {
    "compute_shared", "compute_exclusive", "storage", "egress", "put", "get"};
/* rules.md: the plan unit of each item, and base units per plan unit (CNY: e8) */
static const int fz_item_unit[] = {1, 2, 3, 3, 4, 4};
static const uint64_t fz_unit_base[] = {100000000u, 1000u, 3600u, 1073741824u, 1u};

static inline int fz_pick(struct fz_text t, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (fz_is(t, names[i]))
            return i;
    return -1;
}

/* An optional decimal; `required` makes empty bad_number. */
static inline enum br_reason fz_order_num(struct fz_text t, unsigned scale, bool required,
                                          bool allow_negative, int64_t *out, bool *present)
{
    *present = t.n > 0;
    if (t.n == 0)
        return required ? BR_R_BAD_NUMBER : BR_R_NONE;
    if (fz_dec_parse(t.p, t.n, scale, out) != BR_NUM_OK)
        return BR_R_BAD_NUMBER;
    return *out < 0 && !allow_negative ? BR_R_NEGATIVE_QUANTITY : BR_R_NONE;
}

static inline enum br_reason fz_order_scope(struct fz_text t, struct fz_order *o)
{
    if (t.n == 0)
        return BR_R_NONE;
    if (fz_is(t, "*")) {
        o->star = true;
        o->scope = 0x3Fu;
        return BR_R_NONE;
    }
    size_t i = 0;
    for (;;) { /* items separated by |, none empty */
        size_t j = i;
        while (j < t.n && t.p[j] != '|')
            j++;
        int item = fz_pick((struct fz_text){t.p + i, j - i}, fz_items, 6);
        if (item < 0)
            return BR_R_UNKNOWN_ENUM;
        o->scope |= 1u << item;
        if (j == t.n)
            return BR_R_NONE;
        i = j + 1;
    }
}

/* Single fields in column order. */
static inline enum br_reason fz_order_fields(const struct fz_csv *c, const struct fz_rec *r,
                                             struct fz_order *o)
{
    if (!fz_account_ok(fz_fld(c, r, 1)))
        return BR_R_BAD_ACCOUNT_ID;
    struct fz_text t = fz_fld(c, r, 2);
    if (!fz_time_field(t.p, t.n, &o->time))
        return BR_R_BAD_TIMESTAMP;
    o->kind = fz_pick(fz_fld(c, r, 3), fz_order_kinds, 4);
    if (o->kind < 0)
        return BR_R_UNKNOWN_ENUM;
    enum br_reason why = fz_order_scope(fz_fld(c, r, 4), o);
    if (why != BR_R_NONE)
        return why;
    o->plan_type = fz_fld(c, r, 5).n ? fz_pick(fz_fld(c, r, 5), fz_plan_types, 4) : -1;
    if (fz_fld(c, r, 5).n && o->plan_type < 0)
        return BR_R_UNKNOWN_ENUM;
    bool face_needed = o->kind <= 1; /* plans and coupons */
    struct fz_text qt = fz_fld(c, r, 6);
    why = fz_order_num(qt, 10, face_needed, false, &o->q_e10, &o->has_qty);
    int64_t probe;
    if (why == BR_R_BAD_NUMBER && qt.n > 0 &&
        fz_dec_parse(qt.p, qt.n, 10, &probe) == BR_NUM_RANGE) {
        /* too large at 10 decimals: negative, or its face decides later */
        if (qt.p[0] == '-')
            return BR_R_NEGATIVE_QUANTITY;
        o->q_e10 = -1;
        o->q_text = qt;
        why = BR_R_NONE;
    }
    if (why != BR_R_NONE)
        return why;
    o->unit = fz_fld(c, r, 7).n ? fz_pick(fz_fld(c, r, 7), fz_units, 5) : -1;
    if (fz_fld(c, r, 7).n && o->unit < 0)
        return BR_R_UNKNOWN_ENUM;
    why = fz_order_num(fz_fld(c, r, 8), 8, o->kind != 1, false, &o->paid_e8, &o->has_paid);
    if (why != BR_R_NONE)
        return why;
    return fz_order_num(fz_fld(c, r, 9), 0, o->kind == 1, true, &o->days, &o->has_days);
}

/* A unit plan's scope: every item of one plan unit, and it is the order's. */
static inline bool fz_scope_unit_is(unsigned scope, int unit)
{
    for (int i = 0; i < 6; i++)
        if ((scope & (1u << i)) && fz_item_unit[i] != unit)
            return false;
    return scope != 0;
}

/* Checks across fields (bad_plan, and faces or validity past 63 bits). */
static inline enum br_reason fz_order_rules(struct fz_order *o)
{
    if (o->kind >= 2) /* top-ups and payments carry no plan fields */
        return o->scope || o->plan_type >= 0 || o->has_qty || o->unit >= 0 || o->has_days
                   ? BR_R_BAD_PLAN
                   : BR_R_NONE;
    bool storage = (o->scope & (1u << 2)) != 0;
    if (o->kind == 1) {
        if (o->plan_type >= 0 || o->scope == 0 || o->unit != 0 || o->paid_e8 != 0)
            return BR_R_BAD_PLAN;
    } else if (o->plan_type < 0 || o->scope == 0 || o->unit < 0) {
        return BR_R_BAD_PLAN;
    } else if (o->plan_type == 0 && o->unit != 0) {
        return BR_R_BAD_PLAN; /* amount plans are money */
    } else if ((o->plan_type == 1 || o->plan_type == 2) &&
               (storage || !fz_scope_unit_is(o->scope, o->unit))) {
        return BR_R_BAD_PLAN;
    } else if (o->plan_type == 3 && (o->star || o->scope != (1u << 2) || o->unit != 3)) {
        return BR_R_BAD_PLAN;
    }
    int64_t days = o->has_days ? o->days : 365;
    if (days < 1 || o->q_e10 == 0)
        return BR_R_BAD_PLAN;
    if (o->q_e10 < 0) { /* too large for e10: the face from the text */
        if (fz_dec_times10(o->q_text.p, o->q_text.n, fz_unit_base[o->unit], &o->face) != BR_NUM_OK)
            return BR_R_BAD_NUMBER;
    } else {
        br_u128 v = (br_u128)(uint64_t)o->q_e10 * fz_unit_base[o->unit];
        if (v % 10000000000u != 0 || v / 10000000000u > (br_u128)INT64_MAX)
            return BR_R_BAD_NUMBER; /* not a whole number of base units */
        o->face = (int64_t)(v / 10000000000u);
    }
    if (days > INT32_MAX) /* then time + days * 86400 fits: times are years 1-9999 */
        return BR_R_BAD_NUMBER;
    o->days = days;
    o->valid_to = o->time + days * 86400;
    return BR_R_NONE;
}

static inline bool fz_same_order(const struct fz_order *a, const struct fz_order *b)
{
    return fz_text_eq(a->acct, b->acct) && a->time == b->time && a->kind == b->kind &&
           a->scope == b->scope && a->star == b->star && a->plan_type == b->plan_type &&
           (a->kind >= 2 || (a->unit == b->unit && a->face == b->face)) && a->q_e10 == b->q_e10 &&
           a->paid_e8 == b->paid_e8 && (a->kind >= 2 || a->days == b->days) &&
           fz_text_eq(a->bundle, b->bundle);
}

static inline bool fz_storage_plan(const struct fz_order *o)
{
    return o->kind == 0 && !o->star && o->scope == (1u << 2);
}

/* The reason of an order record (BR_R_NONE: accepted); *o is the order. */
static inline enum br_reason fz_order_reason(const struct br_book *b, struct fz_orders *seen,
                                             const struct fz_csv *c, const struct fz_rec *r,
                                             struct fz_order *o)
{
    if (r->bad_utf8)
        return BR_R_BAD_UTF8;
    if (r->empty_line || r->nfields != 11)
        return BR_R_BAD_FIELD_COUNT;
    if (fz_any_longer(c, r, 1024) || fz_fld(c, r, 0).n > 128 || fz_fld(c, r, 1).n > 64)
        return BR_R_FIELD_TOO_LONG;
    memset(o, 0, sizeof(*o));
    o->id = fz_fld(c, r, 0);
    o->acct = fz_fld(c, r, 1);
    o->bundle = fz_fld(c, r, 10);
    enum br_reason why = fz_order_fields(c, r, o);
    if (why == BR_R_NONE)
        why = fz_order_rules(o);
    if (why == BR_R_NONE && !fz_known_account(b, o->acct))
        why = BR_R_UNKNOWN_ACCOUNT;
    if (why != BR_R_NONE)
        return why;
    for (size_t i = 0; i < seen->n; i++)
        if (fz_text_eq(seen->o[i].id, o->id))
            return fz_same_order(&seen->o[i], o) ? BR_R_NONE : BR_R_CONFLICTING_ORDER;
    for (size_t i = 0; i < seen->n && fz_storage_plan(o); i++) {
        const struct fz_order *h = &seen->o[i];
        if (fz_storage_plan(h) && fz_text_eq(h->acct, o->acct) && h->time < o->valid_to &&
            o->time < h->valid_to)
            return BR_R_PLAN_LIMIT; /* one storage plan valid at any instant */
    }
    seen->o = fz_xrealloc(seen->o, (seen->n + 1) * sizeof(*seen->o));
    seen->o[seen->n++] = *o;
    return BR_R_NONE;
}

/* An accepted order against the book. */
static inline void fz_check_order(const struct fz_run *r, const struct fz_order *want,
                                  uint64_t line)
{
    uint32_t idx;
    FUZZ_CHECK(br_book_order_find(&r->book, want->id.p, want->id.n, &idx),
               "line %llu: order not in book", (unsigned long long)line);
    const struct br_order *o = &r->book.orders[idx];
    const char *a = br_book_account_id(&r->book, o->account);
    FUZZ_CHECK(strlen(a) == want->acct.n && memcmp(a, want->acct.p, want->acct.n) == 0,
               "line %llu: account", (unsigned long long)line);
    FUZZ_CHECK((int)o->kind == want->kind && o->order_time == want->time &&
                   o->paid_e8 == want->paid_e8 && o->scope == want->scope,
               "line %llu: kind, time, paid or scope", (unsigned long long)line);
    if (want->kind <= 1)
        FUZZ_CHECK(o->face == want->face && o->valid_days == want->days &&
                       o->valid_from == want->time && o->valid_to == want->valid_to,
                   "line %llu: face %lld (want %lld) or validity", (unsigned long long)line,
                   (long long)o->face, (long long)want->face);
}

/* Walks the records of an applied file alongside its rejects and rows. */
static inline void fz_check_records(const struct fz_run *r, uint32_t fi, size_t mark,
                                    const struct fz_csv *c, struct fz_claims *claims,
                                    struct fz_orders *orders)
{
    const struct br_ingest *ing = &r->ing;
    const struct br_ingest_file *f = &ing->files[fi];
    size_t j = mark, row = f->row_begin;
    for (size_t q = 1; q < c->nrecs; q++) {
        const struct fz_rec *rec = &c->recs[q];
        bool rejected = j < ing->nrejects && ing->rejects[j].line == rec->line;
        enum br_reason got = rejected ? ing->rejects[j].reason : BR_R_NONE;
        if (rejected)
            j++;
        struct fz_usage u = {0};
        enum br_reason want = BR_R_NONE;
        switch (f->kind) {
        case BR_KIND_ACCOUNTS:
            want = fz_account_reason(c, rec);
            if (want == BR_R_NONE && !rejected)
                fz_check_account(r, c, rec, q);
            break;
        case BR_KIND_ORDERS: {
            struct fz_order o;
            want = fz_order_reason(&r->book, orders, c, rec, &o);
            if (want == BR_R_NONE && !rejected)
                fz_check_order(r, &o, rec->line);
            break;
        }
        case BR_KIND_EAS:
        case BR_KIND_OSS:
            want = fz_usage_reason(&r->book, claims, c, rec, f->kind, &u);
            if (want == BR_R_NONE && !rejected) {
                FUZZ_CHECK(row < f->row_end, "line %llu: no usage row",
                           (unsigned long long)rec->line);
                fz_check_usage_row(r, row++, c, rec, &u);
            }
            break;
        default:
            return;
        }
        FUZZ_CHECK(got == want, "line %llu: %s, the reference says %s",
                   (unsigned long long)rec->line, br_reason_str(got), br_reason_str(want));
    }
    if (f->kind >= BR_KIND_EAS)
        FUZZ_CHECK(row == f->row_end, "%zu usage rows not matched", f->row_end - row);
}

static inline int fz_fuzz_kind(enum br_kind kind, const uint8_t *data, size_t size)
{
    const uint8_t *part[FZ_MAX_FILES];
    size_t part_len[FZ_MAX_FILES];
    size_t nparts = fz_split_files(data, size, part, part_len, FZ_MAX_FILES);
    struct fz_run r;
    fz_run_init(&r);
    struct fz_csv refs[FZ_MAX_FILES];
    uint8_t *files[FZ_MAX_FILES];
    struct fz_claims claims = {0};
    struct fz_orders orders = {0};
    bool modelled = true; /* every file so far fully modelled (claims are run-wide) */
    for (size_t k = 0; k < nparts; k++) {
        size_t len;
        files[k] = fz_with_header(kind, part[k], part_len[k], &len);
        fz_csv_split(&refs[k], files[k], len);
        size_t mark = r.ing.nrejects;
        uint32_t fi = fz_read_file(&r, kind, files[k], len);
        fz_check_file(&r, fi, mark, &refs[k]);
        const struct br_ingest_file *f = &r.ing.files[fi];
        FUZZ_CHECK(f->status == BR_FILE_APPLIED, "a file with its header refused: %s",
                   br_reason_str(f->reason));
        if (kind >= BR_KIND_EAS)
            fz_check_usage_rows(&r, f);
        modelled = modelled && refs[k].complete;
        if (modelled)
            fz_check_records(&r, fi, mark, &refs[k], &claims, &orders);
    }
    free(claims.ids);
    free(orders.o);
    for (size_t k = 0; k < nparts; k++) {
        fz_csv_free(&refs[k]);
        free(files[k]);
    }
    fz_run_free(&r);
    return 0;
}

#endif
