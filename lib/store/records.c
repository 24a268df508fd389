/* The memory of billed record ids (records.h). */
#include "store/records.h"

#include "core/log.h"
#include "core/mem.h"
#include "store/sql.h"
#include "store/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPARTS 256
#define FP_BITS 36     /* the hash bits after the part that questions are sorted by */
#define FP_EXTRA 14    /* fingerprint bits beyond log2 of a row's ids: a question */
                       /* matches a row's fingerprint by chance about 2^-14.5 */
#define ROW_IDS 262144 /* the most ids in a row */
#define ENTRY_BYTES 14
#define CONFIRM_MAX 4096 /* candidates one confirming query checks */

static const char *const source_names[2] = {"eas", "oss"};

static inline unsigned part_of(uint64_t h1)
{
    return (unsigned)(h1 >> 56);
}

/* The sort key below the part: the next FP_BITS bits. */
static inline uint64_t fp_of(uint64_t h1)
{
    return (h1 >> (56 - FP_BITS)) & ((UINT64_C(1) << FP_BITS) - 1);
}

/* A fingerprint of `width` bits: the top bits of the sort key, so that
 * questions sorted by fp_of are sorted by fingerprint at every width. */
static inline uint64_t fpw(uint64_t h1, int width)
{
    return fp_of(h1) >> (FP_BITS - width);
}

/* ---- sorting ------------------------------------------------------------------ */

/* In place by the top byte (American flag sort); off[p] the start of part p. */
static void sort_parts(struct br_idq *q, size_t n, size_t off[NPARTS + 1])
{
    size_t count[NPARTS] = {0}, next[NPARTS];
    for (size_t i = 0; i < n; i++)
        count[part_of(q[i].h1)]++;
    off[0] = 0;
    for (int p = 0; p < NPARTS; p++) {
        off[p + 1] = off[p] + count[p];
        next[p] = off[p];
    }
    for (int p = 0; p < NPARTS; p++) {
        while (next[p] < off[p + 1]) {
            struct br_idq x = q[next[p]];
            unsigned d = part_of(x.h1);
            while (d != (unsigned)p) { /* swap x into its part, take what was there */
                struct br_idq y = q[next[d]];
                q[next[d]++] = x;
                x = y;
                d = part_of(x.h1);
            }
            q[next[p]++] = x;
        }
    }
}

/* One part by fingerprint: three stable passes of 12 bits through tmp. */
static void sort_part(struct br_idq *q, size_t n, struct br_idq *tmp)
{
    static const int shift[3] = {0, 12, 24};
    struct br_idq *from = q, *to = tmp;
    for (int pass = 0; pass < 3; pass++) {
        size_t count[4097] = {0};
        for (size_t i = 0; i < n; i++)
            count[((fp_of(from[i].h1) >> shift[pass]) & 4095) + 1]++;
        for (int d = 0; d < 4096; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            to[count[(fp_of(from[i].h1) >> shift[pass]) & 4095]++] = from[i];
        struct br_idq *s = from;
        from = to;
        to = s;
    }
    if (from != q) /* an odd number of passes ends in tmp */
        memcpy(q, from, n * sizeof(*q));
}

enum br_status br_idq_sort(struct br_idq *q, size_t n)
{
    size_t off[NPARTS + 1], most = 0;
    sort_parts(q, n, off);
    for (int p = 0; p < NPARTS; p++)
        if (off[p + 1] - off[p] > most)
            most = off[p + 1] - off[p];
    struct br_idq *tmp = br_mallocn(most + 1, sizeof(*tmp));
    if (tmp == NULL)
        return BR_ERR_NOMEM;
    for (int p = 0; p < NPARTS; p++)
        sort_part(q + off[p], off[p + 1] - off[p], tmp);
    free(tmp);
    return BR_OK;
}

/* ---- Rice coding ---------------------------------------------------------------- */

struct bitw {
    struct br_buf *out;
    uint64_t acc; /* pending bits, right-aligned */
    int n;        /* how many */
    enum br_status st;
};

static void put_bits(struct bitw *b, uint64_t v, int n)
{
    while (n > 0) {
        int take = n < 32 ? n : 32;
        n -= take;
        b->acc = (b->acc << take) | ((v >> n) & ((UINT64_C(1) << take) - 1));
        b->n += take;
        while (b->n >= 8) {
            unsigned char c = (unsigned char)(b->acc >> (b->n - 8));
            b->n -= 8;
            if (b->st == BR_OK)
                b->st = br_buf_append(b->out, &c, 1);
        }
    }
}

static void put_rice(struct bitw *b, uint64_t gap, int k)
{
    uint64_t quo = gap >> k;
    while (quo >= 31) {
        put_bits(b, 0x7FFFFFFFu, 31);
        quo -= 31;
    }
    put_bits(b, ((UINT64_C(1) << quo) - 1) << 1, (int)quo + 1); /* quo ones, a zero */
    if (k > 0)
        put_bits(b, gap & ((UINT64_C(1) << k) - 1), k);
}

static void flush_bits(struct bitw *b)
{
    if (b->n > 0)
        put_bits(b, 0, 8 - b->n);
}

static int log2_ceil(uint64_t n)
{
    int l = 0;
    while ((UINT64_C(1) << l) < n)
        l++;
    return l;
}

/* A row's fingerprint width and Rice parameter for n ids. */
static void row_code(size_t n, int *width, int *k)
{
    int w = log2_ceil(n) + FP_EXTRA;
    *width = w > FP_BITS ? FP_BITS : w;
    /* the gaps are about geometric with mean 2^width / n: the best Rice
     * parameter is about log2 of 0.69 times the mean */
    int r = 0;
    while (r < *width && ((UINT64_C(1) << (r + 1)) * n * 100) <= (UINT64_C(69) << *width))
        r++;
    *k = r;
}

/* Reads Rice-coded gaps, most significant bit first, a 64-bit window at a
 * time. */
struct bitr {
    const unsigned char *p, *end;
    uint64_t buf; /* next bits, left-aligned */
    int nb;       /* valid bits in buf */
    uint64_t last;
};

static inline void refill(struct bitr *r)
{
    if (r->end - r->p >= 8) {
        uint64_t w;
        memcpy(&w, r->p, 8);
        w = __builtin_bswap64(w);
        r->buf |= w >> r->nb;
        r->p += (63 - r->nb) >> 3;
        r->nb |= 56;
        return;
    }
    while (r->nb <= 56 && r->p < r->end) {
        r->buf |= (uint64_t)*r->p++ << (56 - r->nb);
        r->nb += 8;
    }
}

static inline void skip_bits(struct bitr *r, int n)
{
    r->buf = n < 64 ? r->buf << n : 0;
    r->nb -= n;
}

/* The next value (the running sum of gaps), or false past the end. */
static inline bool next_value(struct bitr *r, int k, uint64_t *v)
{
    uint64_t quo = 0;
    for (;;) {
        refill(r);
        if (r->nb == 0)
            return false;
        uint64_t inv = ~r->buf;
        int ones = inv != 0 ? __builtin_clzll(inv) : 64;
        if (ones < r->nb) {
            quo += (uint64_t)ones;
            skip_bits(r, ones + 1);
            break;
        }
        quo += (uint64_t)r->nb;
        skip_bits(r, r->nb);
    }
    uint64_t rem = 0;
    if (k > 0) {
        refill(r);
        if (r->nb < k)
            return false;
        rem = r->buf >> (64 - k);
        skip_bits(r, k);
    }
    r->last += (quo << k) | rem;
    *v = r->last;
    return true;
}

/* ---- the night's question ------------------------------------------------------- */

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const unsigned char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* A row of billing.record_ids with candidates. */
struct crow {
    int64_t batch_id;
    int part, seq;
};

/* A fingerprint match: question q[qpos] and entry `entry` of row `row`. */
struct cand {
    uint32_t qpos, row, entry;
};

struct finder {
    const struct br_idq *q;
    size_t n;
    size_t off[NPARTS + 1];
    struct cand *cand;
    size_t ncand, cand_cap;
    struct crow *rows;
    size_t nrows, rows_cap;
    bool header_done;
    uint64_t values; /* fingerprints read */
};

static bool add_cand(struct finder *f, uint32_t qpos, const struct crow *row, uint32_t entry)
{
    struct crow *last = f->nrows > 0 ? &f->rows[f->nrows - 1] : NULL;
    if (last == NULL || last->batch_id != row->batch_id || last->part != row->part ||
        last->seq != row->seq) {
        if (br_grow((void **)&f->rows, &f->rows_cap, f->nrows + 1, sizeof(*f->rows),
                    (size_t)1 << 30) != BR_OK)
            return false;
        f->rows[f->nrows++] = *row;
    }
    if (br_grow((void **)&f->cand, &f->cand_cap, f->ncand + 1, sizeof(*f->cand), (size_t)1 << 32) !=
        BR_OK)
        return false;
    f->cand[f->ncand++] = (struct cand){qpos, (uint32_t)f->nrows - 1, entry};
    return true;
}

/* Merges one row's fingerprints with the questions of its part. */
static enum br_status merge_row(struct finder *f, const struct crow *row, int k, int width,
                                const unsigned char *fps, size_t len, uint32_t n)
{
    size_t i = f->off[row->part], hi = f->off[row->part + 1];
    if (i == hi)
        return BR_OK;
    if (width < 1 || width > FP_BITS || k < 0 || k > width)
        return BR_ERR_STATE;
    struct bitr r = {.p = fps, .end = fps + len};
    uint64_t v, qv = fpw(f->q[i].h1, width);
    for (uint32_t e = 0; e < n; e++) {
        if (!next_value(&r, k, &v))
            return BR_ERR_STATE;
        f->values++;
        while (qv < v) {
            if (++i == hi)
                return BR_OK;
            qv = fpw(f->q[i].h1, width);
        }
        for (size_t j = i; j < hi && fpw(f->q[j].h1, width) == v; j++)
            if (!add_cand(f, (uint32_t)j, row, e))
                return BR_ERR_NOMEM;
    }
    return BR_OK;
}

/* One row of the binary COPY (part, seq, batch_id, n, rice, width, fps):
 * the 19-byte header precedes the first. */
static enum br_status on_copy_row(void *ctx, const char *p, size_t n)
{
    enum { NF = 7 };
    struct finder *f = ctx;
    const unsigned char *u = (const unsigned char *)p, *end = u + n;
    if (!f->header_done) {
        if (n < 19 || memcmp(u, "PGCOPY\n\377\r\n\0", 11) != 0)
            return BR_ERR_STATE;
        u += 19 + be32(u + 15); /* signature, flags, header extension */
        f->header_done = true;
    }
    if (end - u < 2)
        return BR_ERR_STATE;
    int16_t nf = (int16_t)be16(u);
    u += 2;
    if (nf == -1)
        return BR_OK; /* the trailer */
    if (nf != NF)
        return BR_ERR_STATE;
    static const uint32_t want[NF] = {2, 4, 8, 4, 2, 2, UINT32_MAX};
    const unsigned char *field[NF];
    uint32_t flen[NF];
    for (int i = 0; i < NF; i++) {
        if (end - u < 4)
            return BR_ERR_STATE;
        flen[i] = be32(u);
        u += 4;
        if (flen[i] == UINT32_MAX || (size_t)(end - u) < flen[i] ||
            (want[i] != UINT32_MAX && flen[i] != want[i]))
            return BR_ERR_STATE;
        field[i] = u;
        u += flen[i];
    }
    struct crow row = {
        .part = be16(field[0]), .seq = (int)be32(field[1]), .batch_id = (int64_t)be64(field[2])};
    if (row.part >= NPARTS)
        return BR_ERR_STATE;
    return merge_row(f, &row, (int16_t)be16(field[4]), (int16_t)be16(field[5]), field[6], flen[6],
                     be32(field[3]));
}

static int cand_cmp(const void *pa, const void *pb)
{
    const struct cand *a = pa, *b = pb;
    if (a->row != b->row)
        return a->row < b->row ? -1 : 1;
    return (a->entry > b->entry) - (a->entry < b->entry);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool unhex(const char *s, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

struct hits {
    struct br_id_hit *v;
    size_t n, cap;
};

/* Appends "{a,b,...}" of n values got by fn(i) to b. */
static enum br_status int_array(struct br_buf *b, size_t n, int64_t (*fn)(const void *, size_t),
                                const void *ctx)
{
    enum br_status st = br_buf_printf(b, "{");
    for (size_t i = 0; i < n && st == BR_OK; i++)
        st = br_buf_printf(b, "%s%lld", i ? "," : "", (long long)fn(ctx, i));
    return st == BR_OK ? br_buf_printf(b, "}") : st;
}

struct cand_view {
    const struct finder *f;
    const struct cand *c;
};

static int64_t cv_batch(const void *x, size_t i)
{
    const struct cand_view *v = x;
    return v->f->rows[v->c[i].row].batch_id;
}

static int64_t cv_part(const void *x, size_t i)
{
    const struct cand_view *v = x;
    return v->f->rows[v->c[i].row].part;
}

static int64_t cv_seq(const void *x, size_t i)
{
    const struct cand_view *v = x;
    return v->f->rows[v->c[i].row].seq;
}

static int64_t cv_entry(const void *x, size_t i)
{
    const struct cand_view *v = x;
    return v->c[i].entry;
}

/* Checks candidates c[0..n) against their entries: one query reads each
 * candidate's 14 bytes (a slice of a stored value: PostgreSQL fetches only
 * the chunks that hold it). */
static enum br_status confirm(struct br_db *db, int source, const struct finder *f,
                              const struct cand *c, size_t n, int64_t window_start, br_idq_h2_fn h2,
                              void *ctx, struct hits *out, struct br_error *err)
{
    struct br_buf a[4];
    int64_t (*fns[4])(const void *, size_t) = {cv_batch, cv_part, cv_seq, cv_entry};
    struct cand_view view = {f, c};
    enum br_status st = BR_OK;
    for (int i = 0; i < 4; i++) {
        br_buf_init(&a[i], (size_t)1 << 24);
        if (st == BR_OK)
            st = int_array(&a[i], n, fns[i], &view);
    }
    PGresult *res = NULL;
    if (st != BR_OK)
        st = br_fail(err, st, "out of memory");
    else {
        const char *p[5] = {source_names[source], a[0].data, a[1].data, a[2].data, a[3].data};
        st = br_sql_query(
            db,
            "SELECT w.i, extract(epoch FROM r.t_min)::bigint, encode(x.e, 'hex'), "
            "r.files[(get_byte(x.e, 12) << 8 | get_byte(x.e, 13)) + 1] "
            "FROM unnest($2::bigint[], $3::smallint[], $4::integer[], $5::integer[]) "
            "  WITH ORDINALITY AS w(batch_id, part, seq, entry, i) "
            "JOIN billing.record_ids r ON r.batch_id = w.batch_id AND r.source = $1 "
            "  AND r.part = w.part AND r.seq = w.seq "
            "CROSS JOIN LATERAL (SELECT substring(r.entries FROM w.entry * 14 + 1 FOR 14) AS e) x",
            5, p, &res, err);
    }
    for (int i = 0; i < 4; i++)
        br_buf_free(&a[i]);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(res) && st == BR_OK; i++) {
        int64_t at = br_sql_i64(res, i, 0, 0) - 1;
        unsigned char e[ENTRY_BYTES];
        const char *hex = PQgetvalue(res, i, 2);
        if (at < 0 || (size_t)at >= n || strlen(hex) != 2 * ENTRY_BYTES ||
            !unhex(hex, e, ENTRY_BYTES)) {
            st = br_fail(err, BR_ERR_STATE, "billing.record_ids: a malformed entry");
            break;
        }
        uint32_t idx = f->q[c[at].qpos].idx;
        int64_t t = br_sql_i64(res, i, 1, 0) + be32(e + 8);
        if (be64(e) != h2(ctx, idx) || t < window_start)
            continue;
        if (br_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v), (size_t)1 << 32) !=
            BR_OK) {
            st = br_fail(err, BR_ERR_NOMEM, "out of memory");
            break;
        }
        out->v[out->n++] = (struct br_id_hit){.idx = idx,
                                              .batch_id = f->rows[c[at].row].batch_id,
                                              .file_id = br_sql_i64(res, i, 3, 0),
                                              .charge_time = t};
    }
    PQclear(res);
    return st;
}

static int hit_cmp(const void *pa, const void *pb)
{
    const struct br_id_hit *a = pa, *b = pb;
    if (a->idx != b->idx)
        return a->idx < b->idx ? -1 : 1;
    return (a->batch_id < b->batch_id) - (a->batch_id > b->batch_id); /* latest first */
}

enum br_status br_records_find(struct br_db *db, int source, const struct br_idq *q, size_t n,
                               int64_t window_start, br_idq_h2_fn h2, void *ctx,
                               struct br_id_hit **hits, size_t *nhits, struct br_error *err)
{
    *hits = NULL;
    *nhits = 0;
    if (n == 0)
        return BR_OK;
    struct finder f = {.q = q, .n = n};
    size_t p = 0;
    for (int part = 0; part <= NPARTS; part++) {
        while (p < n && (int)part_of(q[p].h1) < part)
            p++;
        f.off[part] = p;
    }
    char ws[32];
    br_sql_time_param(window_start, ws);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "COPY (SELECT part, seq, batch_id, n, rice, width, fps FROM billing.record_ids "
             "WHERE source = '%s' AND t_max >= '%s') TO STDOUT (FORMAT binary)",
             source_names[source], ws);
    double t0 = br_now_s();
    enum br_status st = br_copy_out(db, sql, on_copy_row, &f, err);
    if (st == BR_ERR_STATE)
        st = br_fail(err, st, "billing.record_ids holds a malformed row");
    double t1 = br_now_s();
    if (st == BR_OK && f.ncand > 1)
        qsort(f.cand, f.ncand, sizeof(*f.cand), cand_cmp);
    struct hits out = {0};
    for (size_t c = 0; st == BR_OK && c < f.ncand; c += CONFIRM_MAX)
        st = confirm(db, source, &f, f.cand + c,
                     f.ncand - c < CONFIRM_MAX ? f.ncand - c : CONFIRM_MAX, window_start, h2, ctx,
                     &out, err);
    br_log(BR_LOG_DEBUG, "record_ids_check",
           "source=%s questions=%zu fingerprints=%llu candidates=%zu hits=%zu scan_seconds=%.3f "
           "confirm_seconds=%.3f",
           source_names[source], n, (unsigned long long)f.values, f.ncand, out.n, t1 - t0,
           br_now_s() - t1);
    free(f.cand);
    free(f.rows);
    if (st != BR_OK) {
        free(out.v);
        return st;
    }
    /* one hit per question: the latest batch that billed it */
    if (out.n > 1)
        qsort(out.v, out.n, sizeof(*out.v), hit_cmp);
    size_t m = 0;
    for (size_t i = 0; i < out.n; i++)
        if (m == 0 || out.v[m - 1].idx != out.v[i].idx)
            out.v[m++] = out.v[i];
    *hits = out.v;
    *nhits = m;
    return BR_OK;
}

/* ---- remembering ---------------------------------------------------------------- */

struct entry {
    uint64_t h1, h2;
    int64_t t;
    uint32_t file; /* the night's file number */
};

struct writer {
    struct tw t;
    int source;
    const int64_t *file_ids;
    size_t nfile_ids;
    /* per row: the night's file number -> position in the row's files + 1 */
    uint32_t *local;
    int64_t *files;
    struct br_buf fps, ent, sent;
    struct br_row sent_row;
};

/* One row of billing.record_ids: ids e[0..n) of one part, in fingerprint
 * order. */
static enum br_status write_row(struct writer *x, int part, int seq, const struct entry *e,
                                size_t n, struct br_error *err)
{
    int64_t t_min = INT64_MAX, t_max = INT64_MIN;
    size_t nfiles = 0;
    for (size_t i = 0; i < n; i++) {
        t_min = e[i].t < t_min ? e[i].t : t_min;
        t_max = e[i].t > t_max ? e[i].t : t_max;
        if (x->local[e[i].file] == 0) {
            x->files[nfiles++] = x->file_ids[e[i].file];
            x->local[e[i].file] = (uint32_t)nfiles;
        }
    }
    if (t_max - t_min > (int64_t)UINT32_MAX)
        return br_fail(err, BR_ERR_INPUT,
                       "the usage of one night spans more than 136 years of charge times");
    if (nfiles > UINT16_MAX)
        return br_fail(err, BR_ERR_INPUT, "more than %u usage files in one night",
                       (unsigned)UINT16_MAX);
    int width, k;
    row_code(n, &width, &k);
    br_buf_reset(&x->fps);
    br_buf_reset(&x->ent);
    struct bitw b = {.out = &x->fps};
    uint64_t last = 0;
    enum br_status st = BR_OK;
    for (size_t i = 0; i < n && st == BR_OK; i++) {
        uint64_t v = fpw(e[i].h1, width);
        put_rice(&b, v - last, k);
        last = v;
        unsigned char y[ENTRY_BYTES];
        for (int j = 0; j < 8; j++)
            y[j] = (unsigned char)(e[i].h2 >> (56 - 8 * j));
        uint32_t off = (uint32_t)(e[i].t - t_min);
        for (int j = 0; j < 4; j++)
            y[8 + j] = (unsigned char)(off >> (24 - 8 * j));
        uint32_t fi = x->local[e[i].file] - 1;
        y[12] = (unsigned char)(fi >> 8);
        y[13] = (unsigned char)fi;
        st = br_buf_append(&x->ent, y, sizeof(y));
    }
    for (size_t i = 0; i < n; i++)
        x->local[e[i].file] = 0;
    flush_bits(&b);
    if (st == BR_OK)
        st = b.st;
    if (st != BR_OK)
        return br_fail(err, st, "out of memory remembering record ids");
    /* the hashed row (digests) and the sent row (bytes) */
    struct br_row *rows[2] = {tw_row(&x->t), &x->sent_row};
    br_row_reset(&x->sent_row);
    for (int r = 0; r < 2; r++) {
        br_row_text(rows[r], source_names[x->source]);
        br_row_int(rows[r], part);
        br_row_int(rows[r], seq);
        br_row_int(rows[r], (int64_t)n);
        br_row_time(rows[r], t_min);
        br_row_time(rows[r], t_max);
        br_row_ints(rows[r], x->files, nfiles);
        br_row_int(rows[r], k);
        br_row_int(rows[r], width);
    }
    br_row_digest(rows[0], x->fps.data, x->fps.len);
    br_row_digest(rows[0], x->ent.data, x->ent.len);
    br_row_bytes(rows[1], x->fps.data, x->fps.len);
    br_row_bytes(rows[1], x->ent.data, x->ent.len);
    if (br_row_end(rows[1]) != BR_OK)
        return br_fail(err, x->sent_row.st, "a row of billing.record_ids could not be made");
    tw_end_sent(&x->t, x->sent_row.p, x->sent_row.n);
    return BR_OK;
}

enum br_status br_records_write(struct br_db *db, struct br_batch_writer *w, int source,
                                const struct br_idq *q, size_t n, const int64_t *file_ids,
                                size_t nfile_ids, br_idq_entry_fn entry, void *ctx,
                                struct br_error *err)
{
    struct writer x = {.source = source, .file_ids = file_ids, .nfile_ids = nfile_ids};
    enum br_status st = tw_begin(&x.t, db, w, BR_SEC_RECORD_IDS, err);
    if (st != BR_OK)
        return st;
    br_buf_init(&x.fps, (size_t)1 << 26);
    br_buf_init(&x.ent, (size_t)1 << 26);
    br_row_init(&x.sent_row);
    x.local = br_calloc(nfile_ids + 1, sizeof(*x.local));
    x.files = br_calloc(nfile_ids + 1, sizeof(*x.files));
    struct entry *e = br_mallocn(ROW_IDS, sizeof(*e));
    if (x.local == NULL || x.files == NULL || e == NULL)
        st = br_fail(err, BR_ERR_NOMEM, "out of memory remembering record ids");
    size_t i = 0;
    while (i < n && st == BR_OK) {
        int part = (int)part_of(q[i].h1), seq = 0;
        size_t m = 0;
        for (; i < n && (int)part_of(q[i].h1) == part && st == BR_OK; i++) {
            struct entry y = {.h1 = q[i].h1};
            if (!entry(ctx, q[i].idx, &y.h2, &y.t, &y.file))
                continue;
            BR_ASSERT(y.file < nfile_ids);
            e[m++] = y;
            if (m == ROW_IDS) {
                st = write_row(&x, part, seq++, e, m, err);
                m = 0;
            }
        }
        if (st == BR_OK && m > 0)
            st = write_row(&x, part, seq, e, m, err);
    }
    free(e);
    free(x.local);
    free(x.files);
    br_buf_free(&x.fps);
    br_buf_free(&x.ent);
    br_row_free(&x.sent_row);
    return tw_finish(&x.t, st, err);
}
