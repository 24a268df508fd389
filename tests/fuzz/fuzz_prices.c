/* Fuzz target for the price book: the input is the body of one to three
 * prices files (split at lines "--"), read and admitted in turn (a storage
 * price over 2026-11-15 counts as repricing rated history). Checked: every
 * record's reason against a reference validator written from formats.md;
 * refusals leave the book unchanged; then br_pricer_build over every rate key
 * and br_pricer_find at the instants where prices change (and a moment
 * before), with a fresh and a carried hint, against a slow reference of
 * rules.md section 3 that also asserts admission's promise: at any instant
 * at most one row of each rank (exact dated, exact open, * dated, * open). */
#include "fuzz_common.h"

#include "ingest/admit.h"
#include "rate/pricer.h"
#include "ingest/usage.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#endif

#define PRICES_MAX_FILES 3
#define PRICES_MAX_ROWS 64 /* the reference is cubic: keep it quick */
#define PRICES_MAX_SPECS 8
#define PRICES_MAX_INSTANTS 192
#define PRICES_T_MAX 253402387200LL /* 10000-01-02: past any parsed instant */

static int64_t prices_rated_at(void)
{
    return fz_days(2026, 11, 15) * 86400;
}

static bool prices_rated(void *ctx, enum br_item item, const char *spec, int64_t from, int64_t to)
{
    (void)ctx;
    (void)spec;
    int64_t t = prices_rated_at();
    return item == BR_ITEM_STORAGE && from <= t && t < to;
}

/* HH:MM -> seconds, as formats.md defines it. */
static bool prices_tod(const struct fz_csv *c, const struct fz_rec *r, size_t i, bool allow_24,
                       int32_t *out)
{
    const struct fz_field *f = &c->fields[r->first + i];
    const char *s = c->text + f->off;
    int h, m;
    if (f->len == 0) {
        *out = -1;
        return true;
    }
    if (f->len != 5 || s[2] != ':' || !fz_num(s, 2, &h) || !fz_num(s + 3, 2, &m))
        return false;
    if (allow_24 && h == 24 && m == 0) {
        *out = 86400;
        return true;
    }
    *out = h * 3600 + m * 60;
    return h <= 23 && m <= 59;
}

static const char *const prices_items[] = {
    "compute_shared", "compute_exclusive", "storage", "egress", "put", "get"};

/* The reason formats.md gives a price record (BR_R_NONE: accepted). */
static enum br_reason prices_reason(const struct fz_csv *c, const struct fz_rec *r)
{
    if (r->bad_utf8)
        return BR_R_BAD_UTF8;
    if (r->empty_line || r->nfields != 8)
        return BR_R_BAD_FIELD_COUNT;
    for (size_t i = 0; i < 8; i++)
        if (c->fields[r->first + i].len > 1024)
            return BR_R_FIELD_TOO_LONG;
    const struct fz_field *f = &c->fields[r->first];
    size_t item = 0;
    while (item < 6 && !fz_field_is(c, r, 0, prices_items[item]))
        item++;
    if (item == 6)
        return BR_R_UNKNOWN_ENUM;
    int64_t price, from, to = INT64_MAX, free_e10 = -1;
    int32_t tf, tt;
    if (f[2].len == 0 || fz_dec_parse(c->text + f[2].off, f[2].len, 10, &price) != BR_NUM_OK)
        return BR_R_BAD_NUMBER;
    if (price < 0)
        return BR_R_NEGATIVE_QUANTITY;
    /* a price's bounds are never posted to a period: any RFC 3339 instant */
    int32_t off;
    if (!fz_time_parse(c->text + f[3].off, f[3].len, &from, &off))
        return BR_R_BAD_TIMESTAMP;
    if (f[4].len > 0 && !fz_time_parse(c->text + f[4].off, f[4].len, &to, &off))
        return BR_R_BAD_TIMESTAMP;
    if (!prices_tod(c, r, 5, false, &tf) || !prices_tod(c, r, 6, true, &tt))
        return BR_R_BAD_TIMESTAMP;
    if (f[7].len > 0) {
        /* "63 bits after scaling": in base units, not at 10 decimals */
        const char *t = c->text + f[7].off;
        enum br_num k = fz_dec_parse(t, f[7].len, 10, &free_e10);
        if (k == BR_NUM_SYNTAX || k == BR_NUM_FRAC)
            return BR_R_BAD_NUMBER;
        if (t[0] == '-')
            return BR_R_NEGATIVE_QUANTITY;
        int64_t units;
        if (fz_dec_times10(t, f[7].len, br_items[item].display_divisor, &units) != BR_NUM_OK)
            return BR_R_BAD_NUMBER; /* not a whole number of base units, or past 63 bits */
    }
    if ((tf < 0) != (tt < 0) || (tf >= 0 && tf == tt))
        return BR_R_BAD_TIMESTAMP;
    if (to != INT64_MAX && to <= from)
        return BR_R_END_BEFORE_START;
    return BR_R_NONE;
}

static void prices_check_reasons(const struct fz_run *r, uint32_t fi, size_t mark,
                                 const struct fz_csv *c)
{
    const struct br_ingest *ing = &r->ing;
    size_t j = mark;
    for (size_t q = 1; q < c->nrecs; q++) {
        const struct fz_rec *rec = &c->recs[q];
        bool rejected = j < ing->nrejects && ing->rejects[j].line == rec->line;
        enum br_reason got = rejected ? ing->rejects[j++].reason : BR_R_NONE;
        enum br_reason want = prices_reason(c, rec);
        FUZZ_CHECK(got == want, "file %u line %llu: %s, the reference says %s", fi,
                   (unsigned long long)rec->line, br_reason_str(got), br_reason_str(want));
    }
}

/* --- resolution, the slow way ------------------------------------------- */

static int32_t prices_local_tod(int64_t t)
{
    int64_t l = (t + FZ_CAL_OFFSET_S) % 86400;
    return (int32_t)(l < 0 ? l + 86400 : l);
}

static bool prices_in_window(const struct br_price *p, int32_t tod)
{
    if (p->tod_from < 0)
        return true;
    if (p->tod_from < p->tod_to)
        return p->tod_from <= tod && tod < p->tod_to;
    return tod >= p->tod_from || tod < p->tod_to; /* wraps past midnight */
}

/* Where row i stops applying: its effective_to, or for an open row the
 * effective_from of the next later open row of its (item, spec). */
static int64_t prices_end(const struct br_book *b, size_t i)
{
    const struct br_price *p = &b->prices[i];
    if (p->to != BR_T_OPEN)
        return p->to;
    int64_t end = BR_T_OPEN;
    for (size_t j = 0; j < b->nprices; j++) {
        const struct br_price *q = &b->prices[j];
        if (q->item == p->item && q->spec == p->spec && q->to == BR_T_OPEN && q->from > p->from &&
            q->from < end)
            end = q->from;
    }
    return end;
}

static uint32_t prices_winner(const struct br_book *b, const int64_t *end, struct br_rate_key key,
                              int64_t t)
{
    uint32_t best[4] = {BR_NO_ID, BR_NO_ID, BR_NO_ID, BR_NO_ID};
    for (size_t i = 0; i < b->nprices; i++) {
        const struct br_price *p = &b->prices[i];
        if (p->item != key.item || (p->spec != key.spec && p->spec != BR_SPEC_ANY))
            continue;
        if (t < p->from || t >= end[i] || !prices_in_window(p, prices_local_tod(t)))
            continue;
        int rank = (p->spec == BR_SPEC_ANY ? 2 : 0) + (p->to == BR_T_OPEN ? 1 : 0);
        FUZZ_CHECK(best[rank] == BR_NO_ID, "rows %u and %zu (rank %d) both apply at %lld",
                   best[rank], i, rank, (long long)t);
        best[rank] = (uint32_t)i;
    }
    for (int k = 0; k < 4; k++)
        if (best[k] != BR_NO_ID)
            return best[k];
    return BR_NO_ID;
}

static void prices_add_instant(int64_t *at, size_t *n, int64_t t)
{
    if (t < FZ_T_MIN)
        t = FZ_T_MIN;
    if (t > PRICES_T_MAX)
        t = PRICES_T_MAX;
    if (*n < PRICES_MAX_INSTANTS)
        at[(*n)++] = t;
}

static size_t prices_instants(const struct br_book *b, const int64_t *end, int64_t *at)
{
    size_t n = 0;
    prices_add_instant(at, &n, FZ_T_MIN);
    prices_add_instant(at, &n, prices_rated_at());
    prices_add_instant(at, &n, PRICES_T_MAX);
    for (size_t i = 0; i < b->nprices; i++) {
        const struct br_price *p = &b->prices[i];
        int64_t edges[3] = {p->from, end[i] == BR_T_OPEN ? p->from + 86400 : end[i],
                            p->from + 86400};
        for (size_t e = 0; e < 3; e++) {
            prices_add_instant(at, &n, edges[e]);
            prices_add_instant(at, &n, edges[e] - 1);
        }
        if (p->tod_from >= 0) { /* the window's ends on the row's first day */
            int64_t day = p->from - prices_local_tod(p->from);
            prices_add_instant(at, &n, day + p->tod_from);
            prices_add_instant(at, &n, day + p->tod_to);
            prices_add_instant(at, &n, day + p->tod_to - 1);
            prices_add_instant(at, &n, day + 86400 + p->tod_from - 1);
        }
    }
    return n;
}

static void prices_check_pricer(const struct br_book *b)
{
    if (b->nprices > PRICES_MAX_ROWS)
        return;
    struct br_rate_key keys[6 * (PRICES_MAX_SPECS + 2)];
    size_t nkeys = 0;
    size_t nspecs = b->specs.n < PRICES_MAX_SPECS ? b->specs.n : PRICES_MAX_SPECS;
    for (int item = 0; item < BR_ITEM_COUNT; item++) {
        keys[nkeys++] = (struct br_rate_key){(enum br_item)item, BR_SPEC_ANY};
        for (size_t s = 0; s < nspecs; s++)
            keys[nkeys++] = (struct br_rate_key){(enum br_item)item, (uint32_t)s};
    }
    struct br_pricer pr;
    FUZZ_CHECK(br_pricer_build(&pr, b, (struct br_calendar){FZ_CAL_OFFSET_S}, keys, nkeys) == BR_OK,
               "pricer build");
    int64_t end[PRICES_MAX_ROWS + 1], at[PRICES_MAX_INSTANTS];
    for (size_t i = 0; i < b->nprices; i++)
        end[i] = prices_end(b, i);
    size_t nat = prices_instants(b, end, at);
    for (size_t k = 0; k < nkeys; k++) {
        uint32_t carried = UINT32_MAX;
        for (size_t i = 0; i < nat; i++) {
            uint32_t want = prices_winner(b, end, keys[k], at[i]);
            uint32_t fresh = UINT32_MAX;
            uint32_t got = br_pricer_find(&pr, (uint16_t)k, at[i], &fresh);
            FUZZ_CHECK(got == want, "key %zu (%s) at %lld: row %u, the reference says %u", k,
                       br_items[keys[k].item].name, (long long)at[i], got, want);
            got = br_pricer_find(&pr, (uint16_t)k, at[i], &carried);
            FUZZ_CHECK(got == want, "key %zu at %lld with a carried hint: row %u, want %u", k,
                       (long long)at[i], got, want);
        }
    }
    br_pricer_free(&pr);
}

int FUZZ_ENTRY(prices)(const uint8_t *data, size_t size);

int FUZZ_ENTRY(prices)(const uint8_t *data, size_t size)
{
    const uint8_t *part[PRICES_MAX_FILES];
    size_t part_len[PRICES_MAX_FILES];
    size_t nparts = fz_split_files(data, size, part, part_len, PRICES_MAX_FILES);
    struct fz_run r;
    fz_run_init(&r);
    r.ing.rated = prices_rated;
    for (size_t k = 0; k < nparts; k++) {
        size_t len;
        uint8_t *file = fz_with_header(BR_KIND_PRICES, part[k], part_len[k], &len);
        struct fz_csv ref;
        fz_csv_split(&ref, file, len);
        size_t mark = r.ing.nrejects, before = r.book.nprices;
        uint32_t fi = fz_read_file(&r, BR_KIND_PRICES, file, len);
        fz_check_file(&r, fi, mark, &ref);
        const struct br_ingest_file *f = &r.ing.files[fi];
        if (f->status == BR_FILE_REFUSED) {
            FUZZ_CHECK(r.book.nprices == before, "a refused price file changed the book");
            FUZZ_CHECK(f->detail[0] != '\0', "a refusal without detail");
        } else {
            FUZZ_CHECK(r.book.nprices >= before && r.book.nprices - before <= f->accepted,
                       "%zu rows admitted of %llu accepted", r.book.nprices - before,
                       (unsigned long long)f->accepted);
            if (ref.complete)
                prices_check_reasons(&r, fi, mark, &ref);
        }
        fz_csv_free(&ref);
        free(file);
    }
    prices_check_pricer(&r.book);
    fz_run_free(&r);
    return 0;
}
