/* Row validators for accounts, prices, orders, EAS and OSS files. Each check
 * returns the first reason in formats.md's order; accepted rows go into the
 * book or the usage columns. */
#include "ingest/rows.h"

#include "core/btime.h"
#include "core/money.h"

#include <stdlib.h>
#include <string.h>

#define MAX_INTERVAL_S (31 * 86400)

void br_rows_ctx_init(struct br_rows_ctx *rc, struct br_ingest *ing, uint32_t file)
{
    memset(rc, 0, sizeof(*rc));
    rc->ing = ing;
    rc->file = file;
}

void br_rows_ctx_free(struct br_rows_ctx *rc)
{
    free(rc->staged);
    rc->staged = NULL;
    rc->nstaged = rc->staged_cap = 0;
}

typedef const struct br_csv_field fld;

static bool is(fld *f, const char *lit)
{
    size_t n = strlen(lit);
    return f->len == n && memcmp(f->p, lit, n) == 0;
}

static bool any_too_long(const struct br_csv_record *rec, size_t ncols)
{
    for (size_t i = 0; i < ncols; i++)
        if (rec->fields[i].len > BR_FIELD_MAX)
            return true;
    return false;
}

/* Parses an integer or decimal field; empty is BR_R_BAD_NUMBER when required,
 * else *present = false. Negative values give BR_R_NEGATIVE_QUANTITY unless
 * allow_negative. */
static enum br_reason number(fld *f, unsigned scale, bool required, bool allow_negative,
                             int64_t *out, bool *present)
{
    *present = f->len > 0;
    if (f->len == 0)
        return required ? BR_R_BAD_NUMBER : BR_R_NONE;
    if (br_dec_parse(f->p, f->len, scale, out) != BR_NUM_OK)
        return BR_R_BAD_NUMBER;
    if (*out < 0 && !allow_negative)
        return BR_R_NEGATIVE_QUANTITY;
    return BR_R_NONE;
}

/* A non-negative quantity in display units, to base units exactly: *out =
 * value * mult. formats.md bounds numbers "after scaling", so the value is
 * not first scaled to a fixed number of decimals (10 decimals of a billion
 * requests would not fit in 63 bits; the billion requests do). */
static enum br_reason units_field(fld *f, uint64_t mult, int64_t *out, bool *present)
{
    *present = f->len > 0;
    if (f->len == 0)
        return BR_R_NONE;
    int64_t v;
    if (f->p[0] == '-') { /* a negative number (however large), or no number */
        enum br_num k = br_dec_parse(f->p, f->len, 10, &v);
        if (k == BR_NUM_OK && v == 0) { /* -0 is zero, as in every other column */
            *out = 0;
            return BR_R_NONE;
        }
        return k == BR_NUM_OK || k == BR_NUM_RANGE ? BR_R_NEGATIVE_QUANTITY : BR_R_BAD_NUMBER;
    }
    return br_dec_times(f->p, f->len, 10, mult, out) == BR_NUM_OK ? BR_R_NONE : BR_R_BAD_NUMBER;
}

/* A timestamp that dates usage or an order must also fall in a billing
 * period the ledger can hold: periods are YYYY-MM, so local years past 9999
 * are refused (an instant of 9999-12-31 UTC may already be year 10000 in the
 * billing calendar). A price's bounds (cal NULL) are never posted to a period,
 * so `effective_to` 9999-12-31T23:59:59Z stays a valid "far future". */
static enum br_reason timestamp(const struct br_calendar *cal, fld *f, bool required, int64_t *out,
                                bool *present)
{
    *present = f->len > 0;
    if (f->len == 0)
        return required ? BR_R_BAD_TIMESTAMP : BR_R_NONE;
    if (!br_time_parse(f->p, f->len, out) ||
        (cal && (br_period_of(cal, *out) > 9999 * 12 + 11 || br_period_of(cal, *out) < 1 * 12)))
        return BR_R_BAD_TIMESTAMP;
    return BR_R_NONE;
}

static uint64_t line_of(const struct br_rows_ctx *rc, const struct br_csv_record *rec)
{
    return rc->line_override ? rc->line_override : rec->line;
}

static enum br_status reject(struct br_rows_ctx *rc, const struct br_csv_record *rec,
                             enum br_reason reason)
{
    enum br_status st = br_ingest_reject(rc->ing, rc->file, line_of(rc, rec), reason, rec->raw,
                                         rec->raw_len, rec->raw_truncated, rc->origin_id);
    if (st == BR_OK && rc->origin_id != 0 && reason == rc->origin_reason)
        rc->ing->rejects[rc->ing->nrejects - 1].unchanged = true; /* nothing new to record */
    return st;
}

static enum br_status accept(struct br_rows_ctx *rc)
{
    struct br_ingest *ing = rc->ing;
    ing->files[rc->file].accepted++;
    if (rc->origin_id == 0)
        return BR_OK;
    enum br_status st =
        br_grow((void **)&ing->accepted_origins, &ing->accepted_origins_cap,
                ing->naccepted_origins + 1, sizeof(*ing->accepted_origins), (size_t)1 << 32);
    if (st == BR_OK)
        ing->accepted_origins[ing->naccepted_origins++] = rc->origin_id;
    return st;
}

/* --- usage ------------------------------------------------------------- */

/* The checks both usage kinds start with: duplicate id, then lengths. */
static enum br_reason usage_common(struct br_rows_ctx *rc, const struct br_csv_record *rec,
                                   size_t ncols, int source, uint64_t h)
{
    fld *id = &rec->fields[0];
    if (br_usage_claimed(&rc->ing->usage, source, id->p, id->len, h))
        return BR_R_DUPLICATE_RECORD;
    if (any_too_long(rec, ncols) || rec->fields[1].len > BR_ACCOUNT_ID_MAX ||
        id->len > BR_RECORD_ID_MAX)
        return BR_R_FIELD_TOO_LONG;
    fld *a = &rec->fields[1];
    if (rc->has_last_acct && a->len == rc->last_acct_len &&
        memcmp(a->p, rc->last_acct, a->len) == 0)
        return BR_R_NONE; /* the previous row's account: valid */
    if (!br_account_id_valid(a->p, a->len))
        return BR_R_BAD_ACCOUNT_ID;
    return BR_R_NONE;
}

/* The account number of a usage row's account, remembering the last one. */
static bool usage_account(struct br_rows_ctx *rc, fld *a, uint32_t *acct)
{
    if (rc->has_last_acct && a->len == rc->last_acct_len &&
        memcmp(a->p, rc->last_acct, a->len) == 0) {
        *acct = rc->last_acct_no;
        return true;
    }
    if (!br_book_account_find(rc->ing->book, a->p, a->len, acct))
        return false;
    memcpy(rc->last_acct, a->p, a->len);
    rc->last_acct_len = a->len;
    rc->last_acct_no = *acct;
    rc->has_last_acct = true;
    return true;
}

/* The rate key of an item and spec, with "*" keys remembered per item. */
static enum br_status usage_key(struct br_rows_ctx *rc, enum br_item item, uint32_t spec,
                                uint16_t *key)
{
    if (spec == BR_SPEC_ANY && rc->any_key[item]) {
        *key = (uint16_t)(rc->any_key[item] - 1);
        return BR_OK;
    }
    enum br_status st = br_usage_key(&rc->ing->usage, item, spec, key);
    if (st == BR_OK && spec == BR_SPEC_ANY)
        rc->any_key[item] = (uint32_t)*key + 1;
    return st;
}

struct usage_row {
    enum br_item item;
    uint32_t spec;
    int64_t t;
    uint64_t qty;
};

static enum br_reason eas_fields(struct br_rows_ctx *rc, const struct br_csv_record *rec,
                                 struct usage_row *u)
{
    fld *f = rec->fields;
    if (!is(&f[3], "stable_diffusion") && !is(&f[3], "comfyui"))
        return BR_R_UNKNOWN_ENUM;
    bool shared = is(&f[4], "shared");
    if (!shared && !is(&f[4], "exclusive"))
        return BR_R_UNKNOWN_ENUM;
    int64_t start, end, gpu_ms = 0;
    bool present;
    enum br_reason r = timestamp(&rc->ing->cal, &f[6], true, &start, &present);
    if (r == BR_R_NONE)
        r = timestamp(&rc->ing->cal, &f[7], true, &end, &present);
    if (r != BR_R_NONE)
        return r;
    if (shared) {
        r = number(&f[8], 0, true, false, &gpu_ms, &present);
        if (r != BR_R_NONE)
            return r;
    } else if (f[8].len != 0) {
        /* exclusive rows bill running time, not gpu_ms: bad_number, unless
         * the field fails its own single-field check first (negative) */
        r = number(&f[8], 0, true, false, &gpu_ms, &present);
        return r != BR_R_NONE ? r : BR_R_BAD_NUMBER;
    }
    if (end < start)
        return BR_R_END_BEFORE_START;
    if (!shared && end - start > MAX_INTERVAL_S)
        return BR_R_INTERVAL_TOO_LONG;
    uint32_t spec;
    u->item = shared ? BR_ITEM_COMPUTE_SHARED : BR_ITEM_COMPUTE_EXCLUSIVE;
    u->spec = br_strtab_find(&rc->ing->book->specs, f[5].p, f[5].len, &spec) ? spec : BR_SPEC_ANY;
    u->t = start;
    u->qty = shared ? (uint64_t)gpu_ms : (uint64_t)(end - start);
    return BR_R_NONE;
}

/* A timestamp field, remembering the last one parsed. */
static enum br_reason cached_timestamp(struct br_rows_ctx *rc, fld *f, int64_t *out)
{
    if (f->len == rc->last_ts_len && f->len > 0 && memcmp(f->p, rc->last_ts, f->len) == 0) {
        *out = rc->last_ts_value;
        return BR_R_NONE;
    }
    bool present;
    enum br_reason r = timestamp(&rc->ing->cal, f, true, out, &present);
    if (r == BR_R_NONE && f->len <= sizeof(rc->last_ts)) {
        memcpy(rc->last_ts, f->p, f->len);
        rc->last_ts_len = f->len;
        rc->last_ts_value = *out;
    }
    return r;
}

static enum br_reason oss_fields(struct br_rows_ctx *rc, const struct br_csv_record *rec,
                                 struct usage_row *u)
{
    fld *f = rec->fields;
    bool present;
    enum br_reason r = cached_timestamp(rc, &f[4], &u->t);
    if (r != BR_R_NONE)
        return r;
    if (br_floor_div(u->t, BR_HOUR_S) * BR_HOUR_S != u->t)
        return BR_R_NOT_HOUR_ALIGNED;
    if (is(&f[5], "storage_bytes"))
        u->item = BR_ITEM_STORAGE;
    else if (is(&f[5], "egress_bytes"))
        u->item = BR_ITEM_EGRESS;
    else if (is(&f[5], "put_requests"))
        u->item = BR_ITEM_PUT;
    else if (is(&f[5], "get_requests"))
        u->item = BR_ITEM_GET;
    else
        return BR_R_UNKNOWN_ENUM;
    int64_t v;
    r = number(&f[6], 0, true, false, &v, &present);
    if (r != BR_R_NONE)
        return r;
    u->qty = (uint64_t)v;
    u->spec = BR_SPEC_ANY;
    return BR_R_NONE;
}

static enum br_status on_usage(struct br_rows_ctx *rc, const struct br_csv_record *rec,
                               enum br_kind kind, const uint64_t *hashed)
{
    int source = kind == BR_KIND_EAS ? 0 : 1;
    size_t ncols = kind == BR_KIND_EAS ? 9 : 7;
    fld *id = &rec->fields[0];
    uint64_t h = hashed != NULL ? *hashed : br_usage_rid_hash(source, id->p, id->len);
    enum br_reason r = usage_common(rc, rec, ncols, source, h);
    if (r == BR_R_DUPLICATE_RECORD)
        return reject(rc, rec, r); /* the id is already claimed */
    struct usage_row u = {0};
    if (r == BR_R_NONE)
        r = kind == BR_KIND_EAS ? eas_fields(rc, rec, &u) : oss_fields(rc, rec, &u);
    uint32_t acct = 0;
    if (r == BR_R_NONE && u.t < rc->ing->window_start)
        r = BR_R_TOO_LATE; /* corrections.md section 2: by its charge time (an interval's start) */
    if (r == BR_R_NONE && !usage_account(rc, &rec->fields[1], &acct))
        r = BR_R_UNKNOWN_ACCOUNT;
    if (r != BR_R_NONE) {
        uint32_t claim;
        enum br_status st =
            br_usage_claim_rejected(&rc->ing->usage, source, id->p, id->len, &claim);
        if (st == BR_OK)
            st = reject(rc, rec, r);
        if (st == BR_OK) { /* an id an earlier run billed turns this into duplicate_record */
            struct br_reject *x = &rc->ing->rejects[rc->ing->nrejects - 1];
            x->claim = claim + 1;
            x->source = (uint8_t)source;
        }
        return st;
    }
    uint16_t key;
    enum br_status st = usage_key(rc, u.item, u.spec, &key);
    if (st == BR_OK)
        st = br_usage_append(&rc->ing->usage, acct, key, u.t, u.qty, id->p, id->len, h);
    return st != BR_OK ? st : accept(rc);
}

/* --- accounts ------------------------------------------------------------ */

static enum br_status on_account(struct br_rows_ctx *rc, const struct br_csv_record *rec)
{
    fld *f = rec->fields;
    if (any_too_long(rec, 5) || f[0].len > BR_ACCOUNT_ID_MAX)
        return reject(rc, rec, BR_R_FIELD_TOO_LONG);
    if (!br_account_id_valid(f[0].p, f[0].len))
        return reject(rc, rec, BR_R_BAD_ACCOUNT_ID);
    struct br_book *b = rc->ing->book;
    uint32_t acct;
    enum br_status st = br_book_account(b, f[0].p, f[0].len, &acct);
    if (st != BR_OK)
        return st;
    const char *v[4] = {f[1].p, f[2].p, f[3].p, f[4].p};
    size_t n[4] = {f[1].len, f[2].len, f[3].len, f[4].len};
    st = br_book_account_set(b, acct, v, n);
    if (st != BR_OK)
        return st;
    b->accounts[acct].changed = true;
    b->accounts[acct].file = rc->file;
    b->accounts[acct].line = (uint32_t)line_of(rc, rec);
    return accept(rc);
}

/* --- prices -------------------------------------------------------------- */

static enum br_reason tod(fld *f, bool allow_24, int32_t *out)
{
    if (f->len == 0) {
        *out = -1;
        return BR_R_NONE;
    }
    return br_tod_parse(f->p, f->len, allow_24, out) ? BR_R_NONE : BR_R_BAD_TIMESTAMP;
}

static enum br_reason price_fields(struct br_rows_ctx *rc, const struct br_csv_record *rec,
                                   struct br_price *p)
{
    fld *f = rec->fields;
    memset(p, 0, sizeof(*p));
    if (!br_item_parse(f[0].p, f[0].len, &p->item))
        return BR_R_UNKNOWN_ENUM;
    bool present;
    enum br_reason r = number(&f[2], 10, true, false, &p->price_e10, &present);
    if (r == BR_R_NONE)
        r = timestamp(NULL, &f[3], true, &p->from, &present);
    if (r == BR_R_NONE) {
        r = timestamp(NULL, &f[4], false, &p->to, &present);
        if (!present)
            p->to = BR_T_OPEN;
    }
    if (r == BR_R_NONE)
        r = tod(&f[5], false, &p->tod_from);
    if (r == BR_R_NONE)
        r = tod(&f[6], true, &p->tod_to);
    int64_t free_units = -1;
    if (r == BR_R_NONE)
        r = units_field(&f[7], br_items[p->item].display_divisor, &free_units, &present);
    if (r != BR_R_NONE)
        return r;
    p->free_units = present ? free_units : -1;
    if ((p->tod_from < 0) != (p->tod_to < 0) || (p->tod_from >= 0 && p->tod_from == p->tod_to))
        return BR_R_BAD_TIMESTAMP; /* a window needs both ends, and some length */
    if (p->to != BR_T_OPEN && p->to <= p->from)
        return BR_R_END_BEFORE_START;
    (void)rc;
    return BR_R_NONE;
}

static enum br_status on_price(struct br_rows_ctx *rc, const struct br_csv_record *rec)
{
    if (any_too_long(rec, 8))
        return reject(rc, rec, BR_R_FIELD_TOO_LONG);
    struct br_price p;
    enum br_reason r = price_fields(rc, rec, &p);
    if (r != BR_R_NONE)
        return reject(rc, rec, r);
    fld *spec = &rec->fields[1];
    p.spec = BR_SPEC_ANY;
    if (!is(spec, "*")) {
        enum br_status st = br_strtab_intern(&rc->ing->book->specs, spec->p, spec->len, &p.spec);
        if (st != BR_OK)
            return st;
    }
    p.file = rc->file;
    p.line = (uint32_t)line_of(rc, rec);
    enum br_status st = br_grow((void **)&rc->staged, &rc->staged_cap, rc->nstaged + 1,
                                sizeof(*rc->staged), 1u << 24);
    if (st != BR_OK)
        return st;
    rc->staged[rc->nstaged++] = p;
    return accept(rc);
}

/* --- orders -------------------------------------------------------------- */

static enum br_reason scope_field(fld *f, struct br_order *o)
{
    o->scope = 0;
    o->scope_star = false;
    if (f->len == 0)
        return BR_R_NONE;
    if (is(f, "*")) {
        o->scope = BR_SCOPE_ALL;
        o->scope_star = true;
        return BR_R_NONE;
    }
    size_t i = 0;
    while (i <= f->len) {
        size_t j = i;
        while (j < f->len && f->p[j] != '|')
            j++;
        enum br_item item;
        if (!br_item_parse(f->p + i, j - i, &item))
            return BR_R_UNKNOWN_ENUM;
        o->scope |= (uint8_t)(1u << item);
        i = j + 1;
    }
    return BR_R_NONE;
}

static enum br_reason kind_field(fld *f, struct br_order *o)
{
    static const char *const names[] = {"plan", "coupon", "topup", "payment"};
    for (int k = 0; k < 4; k++) {
        if (is(f, names[k])) {
            o->kind = (enum br_order_kind)k;
            return BR_R_NONE;
        }
    }
    return BR_R_UNKNOWN_ENUM;
}

static enum br_reason plan_type_field(fld *f, struct br_order *o)
{
    static const char *const names[] = {"amount", "pool", "monthly", "capacity"};
    o->plan_type = BR_PLAN_NONE;
    if (f->len == 0)
        return BR_R_NONE;
    for (int k = 0; k < 4; k++) {
        if (is(f, names[k])) {
            o->plan_type = (enum br_plan_type)(k + 1);
            return BR_R_NONE;
        }
    }
    return BR_R_UNKNOWN_ENUM;
}

struct order_nums {
    bool has_qty, has_unit, has_paid, has_days;
    int64_t days;
    const struct br_csv_field *qty; /* the quantity as written (its face comes from it) */
};

/* Single-field checks of orders in column order. */
static enum br_reason order_fields(const struct br_calendar *cal, const struct br_csv_record *rec,
                                   struct br_order *o, struct order_nums *nm)
{
    fld *f = rec->fields;
    bool present;
    if (!br_account_id_valid(f[1].p, f[1].len))
        return BR_R_BAD_ACCOUNT_ID;
    enum br_reason r = timestamp(cal, &f[2], true, &o->order_time, &present);
    if (r == BR_R_NONE)
        r = kind_field(&f[3], o);
    if (r == BR_R_NONE)
        r = scope_field(&f[4], o);
    if (r == BR_R_NONE)
        r = plan_type_field(&f[5], o);
    bool face_needed = o->kind == BR_ORDER_PLAN || o->kind == BR_ORDER_COUPON;
    if (r == BR_R_NONE) {
        nm->qty = &f[6];
        r = number(&f[6], 10, face_needed, false, &o->quantity_e10, &nm->has_qty);
        int64_t probe;
        if (r == BR_R_BAD_NUMBER && nm->has_qty &&
            br_dec_parse(f[6].p, f[6].len, 10, &probe) == BR_NUM_RANGE) {
            /* a valid decimal too large to keep at 10 decimals in 63 bits:
             * negative_quantity when negative, else its face in base units
             * may still fit (order_face decides) */
            if (f[6].p[0] == '-') {
                r = BR_R_NEGATIVE_QUANTITY;
            } else {
                o->quantity_e10 = -1;
                r = BR_R_NONE;
            }
        }
    }
    nm->has_unit = f[7].len > 0;
    if (r == BR_R_NONE && nm->has_unit && !br_unit_parse(f[7].p, f[7].len, &o->unit))
        r = BR_R_UNKNOWN_ENUM;
    if (r == BR_R_NONE)
        r = number(&f[8], 8, o->kind != BR_ORDER_COUPON, false, &o->paid_e8, &nm->has_paid);
    if (r == BR_R_NONE)
        r = number(&f[9], 0, o->kind == BR_ORDER_COUPON, true, &nm->days, &nm->has_days);
    return r;
}

/* The face in base units (or e8 for CNY), exactly. */
static enum br_reason order_face(struct br_order *o, const struct order_nums *nm)
{
    uint64_t base = o->unit == BR_UNIT_CNY ? (uint64_t)BR_E8 : br_unit_base(o->unit);
    if (o->quantity_e10 < 0) /* too large for e10: from the text */
        return br_dec_times(nm->qty->p, nm->qty->len, 10, base, &o->face) == BR_NUM_OK
                   ? BR_R_NONE
                   : BR_R_BAD_NUMBER;
    br_u128 v = (br_u128)(uint64_t)o->quantity_e10 * base;
    if (v % (br_u128)BR_E10 != 0 || v / (br_u128)BR_E10 > (br_u128)INT64_MAX)
        return BR_R_BAD_NUMBER;
    o->face = (int64_t)(v / (br_u128)BR_E10);
    return BR_R_NONE;
}

/* Do all items of a scope share one plan unit? Then *unit is it. */
static bool scope_unit(uint8_t scope, enum br_unit *unit)
{
    bool first = true;
    for (int i = 0; i < BR_ITEM_COUNT; i++) {
        if (!(scope & (1u << i)))
            continue;
        if (first)
            *unit = br_items[i].plan_unit;
        else if (*unit != br_items[i].plan_unit)
            return false;
        first = false;
    }
    return !first;
}

static enum br_reason plan_rules(struct br_order *o, const struct order_nums *nm)
{
    if (o->plan_type == BR_PLAN_NONE || o->scope == 0 || !nm->has_unit)
        return BR_R_BAD_PLAN;
    bool storage = (o->scope & (1u << BR_ITEM_STORAGE)) != 0;
    enum br_unit u = BR_UNIT_CNY;
    switch (o->plan_type) {
    case BR_PLAN_AMOUNT:
        return o->unit == BR_UNIT_CNY ? BR_R_NONE : BR_R_BAD_PLAN;
    case BR_PLAN_POOL:
    case BR_PLAN_MONTHLY:
        if (storage || !scope_unit(o->scope, &u) || u != o->unit)
            return BR_R_BAD_PLAN;
        return BR_R_NONE;
    case BR_PLAN_CAPACITY:
        if (o->scope_star || o->scope != (1u << BR_ITEM_STORAGE) || o->unit != BR_UNIT_GB)
            return BR_R_BAD_PLAN;
        return BR_R_NONE;
    default:
        return BR_R_BAD_PLAN;
    }
}

/* Checks across fields; fills face and validity. */
static enum br_reason order_rules(struct br_order *o, const struct order_nums *nm)
{
    if (o->kind == BR_ORDER_TOPUP || o->kind == BR_ORDER_PAYMENT) {
        if (o->scope || o->scope_star || o->plan_type != BR_PLAN_NONE || nm->has_qty ||
            nm->has_unit || nm->has_days)
            return BR_R_BAD_PLAN; /* plan fields on a cash order */
        return BR_R_NONE;
    }
    enum br_reason r;
    if (o->kind == BR_ORDER_COUPON) {
        if (o->plan_type != BR_PLAN_NONE || o->scope == 0 || !nm->has_unit ||
            o->unit != BR_UNIT_CNY || o->paid_e8 != 0)
            return BR_R_BAD_PLAN;
    } else {
        r = plan_rules(o, nm);
        if (r != BR_R_NONE)
            return r;
    }
    int64_t days = nm->has_days ? nm->days : 365;
    if (days < 1)
        return BR_R_BAD_PLAN;
    if (o->quantity_e10 == 0)
        return BR_R_BAD_PLAN; /* a plan or coupon of nothing (< 0: too large for e10) */
    r = order_face(o, nm);
    if (r != BR_R_NONE)
        return r;
    int64_t span;
    if (__builtin_mul_overflow(days, (int64_t)BR_DAY_S, &span) ||
        __builtin_add_overflow(o->order_time, span, &o->valid_to) || days > INT32_MAX)
        return BR_R_BAD_NUMBER;
    o->valid_days = (int32_t)days;
    o->valid_from = o->order_time;
    return BR_R_NONE;
}

static bool str_eq_opt(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_order(const struct br_order *a, const struct br_order *b)
{
    return a->account == b->account && a->order_time == b->order_time && a->kind == b->kind &&
           a->scope == b->scope && a->scope_star == b->scope_star && a->plan_type == b->plan_type &&
           a->unit == b->unit && a->face == b->face && a->quantity_e10 == b->quantity_e10 &&
           a->paid_e8 == b->paid_e8 && a->valid_days == b->valid_days &&
           str_eq_opt(a->bundle_id, b->bundle_id);
}

static bool storage_limit_hit(const struct br_book *b, const struct br_order *o)
{
    if (!br_order_is_storage_plan(o) || o->account >= b->storage_head_cap)
        return false;
    for (uint32_t i = b->storage_head[o->account]; i != BR_NO_ID; i = b->orders[i].storage_next) {
        const struct br_order *h = &b->orders[i];
        if (h->valid_from < o->valid_to && o->valid_from < h->valid_to)
            return true;
    }
    return false;
}

static enum br_status on_order(struct br_rows_ctx *rc, const struct br_csv_record *rec)
{
    fld *f = rec->fields;
    if (any_too_long(rec, 11) || f[0].len > BR_RECORD_ID_MAX || f[1].len > BR_ACCOUNT_ID_MAX)
        return reject(rc, rec, BR_R_FIELD_TOO_LONG);
    struct br_order o;
    memset(&o, 0, sizeof(o));
    struct order_nums nm = {0};
    enum br_reason r = order_fields(&rc->ing->cal, rec, &o, &nm);
    if (r == BR_R_NONE)
        r = order_rules(&o, &nm);
    struct br_book *b = rc->ing->book;
    if (r == BR_R_NONE && !br_book_account_find(b, f[1].p, f[1].len, &o.account))
        r = BR_R_UNKNOWN_ACCOUNT;
    char id[BR_RECORD_ID_MAX + 1], bundle[BR_FIELD_MAX + 1], scope[BR_FIELD_MAX + 1];
    memcpy(bundle, f[10].p, f[10].len);
    bundle[f[10].len] = '\0';
    o.bundle_id = f[10].len ? bundle : NULL; /* same_order compares it */
    uint32_t prev;
    if (r == BR_R_NONE && br_book_order_find(b, f[0].p, f[0].len, &prev)) {
        if (!same_order(&b->orders[prev], &o))
            return reject(rc, rec, BR_R_CONFLICTING_ORDER);
        return accept(rc); /* the same order again: applied once */
    }
    if (r == BR_R_NONE && storage_limit_hit(b, &o))
        r = BR_R_PLAN_LIMIT;
    if (r != BR_R_NONE)
        return reject(rc, rec, r);
    memcpy(id, f[0].p, f[0].len);
    id[f[0].len] = '\0';
    memcpy(scope, f[4].p, f[4].len);
    scope[f[4].len] = '\0';
    o.order_id = id;
    o.scope_text = scope;
    o.is_new = true;
    o.file = rc->file;
    o.line = (uint32_t)line_of(rc, rec);
    enum br_status st = br_book_add_order(b, &o);
    return st != BR_OK ? st : accept(rc);
}

/* --- adjustments (corrections.md section 3) --------------------------------- */

struct adj_row {
    struct br_adjustment a;
    char invoice[BR_FIELD_MAX + 1], reason[BR_FIELD_MAX + 1];
};

/* The amount: greater than 0, at most 8 decimals; a minus sign is
 * negative_quantity (corrections.md), -0 included. */
static enum br_reason adjustment_amount(fld *f, int64_t *out)
{
    enum br_num k = br_dec_parse(f->p, f->len, 8, out);
    if (f->len > 0 && f->p[0] == '-')
        return k == BR_NUM_OK || k == BR_NUM_RANGE ? BR_R_NEGATIVE_QUANTITY : BR_R_BAD_NUMBER;
    if (k != BR_NUM_OK || *out <= 0)
        return BR_R_BAD_NUMBER;
    return BR_R_NONE;
}

/* The single-field checks, in column order. */
static enum br_reason adjustment_fields(struct br_rows_ctx *rc, const struct br_csv_record *rec,
                                        struct adj_row *x)
{
    fld *f = rec->fields;
    if (!br_account_id_valid(f[1].p, f[1].len))
        return BR_R_BAD_ACCOUNT_ID;
    bool present;
    enum br_reason r = timestamp(&rc->ing->cal, &f[2], true, &x->a.at, &present);
    if (r != BR_R_NONE)
        return r;
    x->a.credit = is(&f[3], "credit");
    if (!x->a.credit && !is(&f[3], "debit"))
        return BR_R_UNKNOWN_ENUM;
    if (!br_item_parse(f[4].p, f[4].len, &x->a.item))
        return BR_R_UNKNOWN_ENUM;
    r = adjustment_amount(&f[5], &x->a.amount_e8);
    if (r != BR_R_NONE)
        return r;
    if (f[7].len == 0)
        return BR_R_MISSING_REASON;
    memcpy(x->invoice, f[6].p, f[6].len);
    x->invoice[f[6].len] = '\0';
    memcpy(x->reason, f[7].p, f[7].len);
    x->reason[f[7].len] = '\0';
    x->a.invoice_no = f[6].len ? x->invoice : NULL;
    x->a.reason = x->reason;
    return BR_R_NONE;
}

static bool same_adjustment(const struct br_adjustment *a, const struct br_adjustment *b)
{
    return a->account == b->account && a->at == b->at && a->credit == b->credit &&
           a->item == b->item && a->amount_e8 == b->amount_e8 &&
           str_eq_opt(a->invoice_no, b->invoice_no) && strcmp(a->reason, b->reason) == 0;
}

/* The invoice an adjustment names: a final invoice of its account; a
 * credit may take no more of it than its gross - free, with every credit
 * accepted before. */
static enum br_reason adjustment_invoice(struct br_book *b, const struct br_adjustment *a,
                                         uint32_t *inv)
{
    *inv = BR_NO_ID;
    if (a->invoice_no == NULL)
        return BR_R_NONE;
    if (!br_book_invoice_find(b, a->invoice_no, strlen(a->invoice_no), inv) ||
        b->invoices[*inv].account != a->account)
        return BR_R_UNKNOWN_INVOICE;
    const struct br_invoice_ref *x = &b->invoices[*inv];
    int64_t sum;
    if (a->credit && (!br_add_i64(x->credited_e8, a->amount_e8, &sum) || sum > x->limit_e8))
        return BR_R_OVER_CREDIT;
    return BR_R_NONE;
}

static enum br_status on_adjustment(struct br_rows_ctx *rc, const struct br_csv_record *rec)
{
    fld *f = rec->fields;
    if (any_too_long(rec, 8) || f[0].len == 0 || f[0].len > BR_RECORD_ID_MAX ||
        f[1].len > BR_ACCOUNT_ID_MAX)
        return reject(rc, rec, BR_R_FIELD_TOO_LONG);
    struct adj_row x;
    memset(&x.a, 0, sizeof(x.a));
    enum br_reason r = adjustment_fields(rc, rec, &x);
    struct br_book *b = rc->ing->book;
    if (r == BR_R_NONE && !br_book_account_find(b, f[1].p, f[1].len, &x.a.account))
        r = BR_R_UNKNOWN_ACCOUNT;
    uint32_t prev;
    if (r == BR_R_NONE && br_book_adjustment_find(b, f[0].p, f[0].len, &prev)) {
        if (!same_adjustment(&b->adjustments[prev], &x.a))
            return reject(rc, rec, BR_R_CONFLICTING_ADJUSTMENT);
        return accept(rc); /* the same adjustment again: applied once */
    }
    uint32_t inv = BR_NO_ID;
    if (r == BR_R_NONE)
        r = adjustment_invoice(b, &x.a, &inv);
    if (r != BR_R_NONE)
        return reject(rc, rec, r);
    char id[BR_RECORD_ID_MAX + 1];
    memcpy(id, f[0].p, f[0].len);
    id[f[0].len] = '\0';
    x.a.adjustment_id = id;
    x.a.is_new = true;
    x.a.file = rc->file;
    x.a.line = (uint32_t)line_of(rc, rec);
    enum br_status st = br_book_add_adjustment(b, &x.a);
    if (st == BR_OK && inv != BR_NO_ID && x.a.credit)
        b->invoices[inv].credited_e8 += x.a.amount_e8;
    return st != BR_OK ? st : accept(rc);
}

void br_rows_on_first(void *ctx, const char *p, size_t n)
{
    struct br_rows_ctx *rc = ctx;
    int source = rc->ing->files[rc->file].kind == BR_KIND_EAS ? 0 : 1;
    uint64_t h = br_usage_rid_hash(source, p, n);
    rc->id_hash[rc->hash_in++ % 16] = h;
    br_usage_prefetch(&rc->ing->usage, h);
}

enum br_status br_rows_on_record(void *ctx, const struct br_csv_record *rec)
{
    struct br_rows_ctx *rc = ctx;
    struct br_ingest_file *file = &rc->ing->files[rc->file];
    size_t ncols;
    br_kind_header(file->kind, &ncols);
    file->rows++;
    /* the hook saw this record's first field if it has one */
    uint64_t h = 0;
    bool hashed = !rec->empty_line && rec->nfields > 0 && rc->hash_out != rc->hash_in;
    if (hashed)
        h = rc->id_hash[rc->hash_out++ % 16];
    if (rec->bad_utf8)
        return reject(rc, rec, BR_R_BAD_UTF8);
    if (rec->empty_line || rec->bad_quote || rec->nfields != ncols)
        return reject(rc, rec, BR_R_BAD_FIELD_COUNT);
    switch (file->kind) {
    case BR_KIND_ACCOUNTS:
        return on_account(rc, rec);
    case BR_KIND_PRICES:
        return on_price(rc, rec);
    case BR_KIND_ORDERS:
        return on_order(rc, rec);
    case BR_KIND_ADJUSTMENTS:
        return on_adjustment(rc, rec);
    case BR_KIND_EAS:
    case BR_KIND_OSS:
        return on_usage(rc, rec, file->kind, hashed ? &h : NULL);
    default:
        BR_UNREACHABLE();
    }
}
