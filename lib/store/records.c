/* The memory of billed record ids (records.h). */
#include "store/records.h"

#include "core/log.h"
#include "core/mem.h"
#include "store/sql.h"
#include "core/rice.h"
#include "store/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPARTS 256
#define FP_BITS 36       /* the hash bits after the part that questions are sorted by */
#define FP_EXTRA 14      /* fingerprint bits beyond log2 of a row's ids: a question */
                         /* matches a row's fingerprint by chance about 2^-14.5 */
#define ROW_IDS 262144   /* the most ids in a row */
#define H2_BYTES 6       /* the top 48 bits of the second hash */
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

void br_idq_split(struct br_idq *q, size_t n, size_t off[257])
{
    sort_parts(q, n, off);
}

enum br_status br_idq_sort_parts(struct br_idq *q, const size_t off[257], int p0, int p1)
{
    size_t most = 0;
    for (int p = p0; p < p1; p++)
        if (off[p + 1] - off[p] > most)
            most = off[p + 1] - off[p];
    struct br_idq *tmp = br_mallocn(most + 1, sizeof(*tmp));
    if (tmp == NULL)
        return BR_ERR_NOMEM;
    for (int p = p0; p < p1; p++)
        sort_part(q + off[p], off[p + 1] - off[p], tmp);
    free(tmp);
    return BR_OK;
}

enum br_status br_idq_sort(struct br_idq *q, size_t n)
{
    size_t off[NPARTS + 1];
    br_idq_split(q, n, off);
    return br_idq_sort_parts(q, off, 0, NPARTS);
}

/* ---- Rice coding ---------------------------------------------------------------- */

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
    uint64_t *vals;  /* one row's fingerprints, decoded */
    /* the current part's questions as a bitmap of their top bm_bits
     * fingerprint bits (rows come grouped by part) */
    int bm_part, bm_bits;
    uint64_t *bm;
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

#define BM_MAX_BITS 24 /* 2 MiB */

/* The bitmap of part's questions: about 128 bits per question, so that
 * fewer than 1% of the stored fingerprints that are not a question's find
 * their bit set. */
static void part_bitmap(struct finder *f, int part)
{
    size_t lo = f->off[part], hi = f->off[part + 1];
    int bits = log2_ceil(hi - lo + 1) + 7;
    bits = bits < 10 ? 10 : bits > BM_MAX_BITS ? BM_MAX_BITS : bits;
    memset(f->bm, 0, ((size_t)1 << bits) / 8);
    for (size_t i = lo; i < hi; i++) {
        uint64_t b = fp_of(f->q[i].h1) >> (FP_BITS - bits);
        f->bm[b >> 6] |= UINT64_C(1) << (b & 63);
    }
    f->bm_part = part;
    f->bm_bits = bits;
}

/* The candidates of stored value v (width bits) at entry e: the questions
 * whose fingerprint it is (a binary search: v's bit was set). */
static bool find_equal(struct finder *f, const struct crow *row, int width, uint64_t v, uint32_t e)
{
    size_t lo = f->off[row->part], hi = f->off[row->part + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fpw(f->q[mid].h1, width) < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t j = lo; j < f->off[row->part + 1] && fpw(f->q[j].h1, width) == v; j++)
        if (!add_cand(f, (uint32_t)j, row, e))
            return false;
    return true;
}

/* Merges one row's fingerprints with the questions of its part. Where the
 * row's fingerprints are at least as wide as the part's bitmap, each is
 * tested against it, independently of the others; else the two sorted
 * lists are merged in one pass, without a branch on which side moves. */
static enum br_status merge_row(struct finder *f, const struct crow *row, int k, int width,
                                const unsigned char *fps, size_t len, uint32_t n)
{
    size_t i = f->off[row->part], hi = f->off[row->part + 1];
    if (i == hi || n == 0)
        return BR_OK;
    if (width < 1 || width > FP_BITS || k < 0 || k > width || n > ROW_IDS)
        return BR_ERR_STATE;
    if (!br_rice_decode(fps, len, k, n, f->vals))
        return BR_ERR_STATE;
    f->values += n;
    const uint64_t *v = f->vals;
    if (f->bm_part != row->part)
        part_bitmap(f, row->part);
    if (width >= f->bm_bits) {
        const int shift = width - f->bm_bits;
        for (uint32_t e = 0; e < n; e++) {
            uint64_t b = v[e] >> shift;
            if (__builtin_expect((f->bm[b >> 6] >> (b & 63)) & 1, 0) &&
                !find_equal(f, row, width, v[e], e))
                return BR_ERR_NOMEM;
        }
        return BR_OK;
    }
    uint32_t e = 0;
    uint64_t qv = fpw(f->q[i].h1, width), sv = v[0];
    for (;;) {
        if (__builtin_expect(qv == sv, 0)) {
            for (size_t j = i; j < hi && fpw(f->q[j].h1, width) == sv; j++)
                if (!add_cand(f, (uint32_t)j, row, e))
                    return BR_ERR_NOMEM;
            if (++e == n)
                break;
            sv = v[e];
            continue;
        }
        bool q_first = qv < sv;
        i += q_first;
        e += !q_first;
        if (i == hi || e == n)
            break;
        qv = fpw(f->q[i].h1, width);
        sv = v[e];
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
 * candidate's entry (a slice of a stored value: PostgreSQL fetches only
 * the chunks that hold it). */
static enum br_status confirm(struct br_db *db, int source, const struct finder *f,
                              const struct cand *c, size_t n, int64_t window_start,
                              struct hits *out, struct br_error *err)
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
            "SELECT w.i, extract(epoch FROM r.t_min)::bigint, encode(x.e, 'hex'), r.tbytes, "
            "r.files[billing.record_entry_int(x.e, 6 + r.tbytes, r.fbytes) + 1] "
            "FROM unnest($2::bigint[], $3::smallint[], $4::integer[], $5::integer[]) "
            "  WITH ORDINALITY AS w(batch_id, part, seq, entry, i) "
            "JOIN billing.record_ids r ON r.batch_id = w.batch_id AND r.source = $1 "
            "  AND r.part = w.part AND r.seq = w.seq "
            "CROSS JOIN LATERAL (SELECT substring(r.entries FROM w.entry * (6 + r.tbytes + "
            "r.fbytes) + 1 FOR 6 + r.tbytes + r.fbytes) AS e) x",
            5, p, &res, err);
    }
    for (int i = 0; i < 4; i++)
        br_buf_free(&a[i]);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < PQntuples(res) && st == BR_OK; i++) {
        int64_t at = br_sql_i64(res, i, 0, 0) - 1, tbytes = br_sql_i64(res, i, 3, -1);
        unsigned char e[H2_BYTES + 8];
        const char *hex = PQgetvalue(res, i, 2);
        size_t ew = strlen(hex) / 2;
        if (at < 0 || (size_t)at >= n || tbytes < 0 || tbytes > 4 || ew > sizeof(e) ||
            ew < H2_BYTES + (size_t)tbytes || !unhex(hex, e, ew)) {
            st = br_fail(err, BR_ERR_STATE, "billing.record_ids: a malformed entry");
            break;
        }
        uint32_t idx = f->q[c[at].qpos].idx;
        uint64_t stored = 0, off = 0;
        for (int b = 0; b < H2_BYTES; b++)
            stored = stored << 8 | e[b];
        for (int b = 0; b < tbytes; b++)
            off = off << 8 | e[H2_BYTES + b];
        int64_t t = br_sql_i64(res, i, 1, 0) + (int64_t)off;
        if (stored != br_idq_key(&f->q[c[at].qpos]) || t < window_start)
            continue;
        if (br_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v), (size_t)1 << 32) !=
            BR_OK) {
            st = br_fail(err, BR_ERR_NOMEM, "out of memory");
            break;
        }
        out->v[out->n++] = (struct br_id_hit){.idx = idx,
                                              .batch_id = f->rows[c[at].row].batch_id,
                                              .file_id = br_sql_i64(res, i, 4, 0),
                                              .charge_time = t};
    }
    PQclear(res);
    return st;
}

size_t br_idq_part_at(const struct br_idq *q, size_t n, unsigned part)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (part_of(q[mid].h1) < part)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int hit_cmp(const void *pa, const void *pb)
{
    const struct br_id_hit *a = pa, *b = pb;
    if (a->idx != b->idx)
        return a->idx < b->idx ? -1 : 1;
    return (a->batch_id < b->batch_id) - (a->batch_id > b->batch_id); /* latest first */
}

enum br_status br_records_find(struct br_db *db, int source, const struct br_idq *q, size_t n,
                               int64_t window_start, struct br_id_hit **hits, size_t *nhits,
                               struct br_error *err)
{
    *hits = NULL;
    *nhits = 0;
    if (n == 0)
        return BR_OK;
    struct finder f = {.q = q,
                       .n = n,
                       .vals = br_mallocn(ROW_IDS, sizeof(uint64_t)),
                       .bm = br_mallocn(((size_t)1 << BM_MAX_BITS) / 64, sizeof(uint64_t)),
                       .bm_part = -1};
    if (f.vals == NULL || f.bm == NULL) {
        free(f.vals);
        free(f.bm);
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    }
    size_t p = 0;
    for (int part = 0; part <= NPARTS; part++) {
        while (p < n && (int)part_of(q[p].h1) < part)
            p++;
        f.off[part] = p;
    }
    char ws[32];
    br_sql_time_param(window_start, ws);
    char sql[512];
    /* only the parts the questions are in: a caller may split a source's
     * questions by part to search the halves on two cores */
    snprintf(sql, sizeof(sql),
             "COPY (SELECT part, seq, batch_id, n, rice, width, fps FROM billing.record_ids "
             "WHERE source = '%s' AND t_max >= '%s' AND part BETWEEN %u AND %u ORDER BY part) "
             "TO STDOUT (FORMAT binary)",
             source_names[source], ws, part_of(q[0].h1), part_of(q[n - 1].h1));
    double t0 = br_now_s();
    /* The server sorts the window's rows by part: in up to 64 MiB of its
     * memory rather than the default 4 MiB, past which the sort spills to
     * disk (a year of 120,000-row nights: 133 ms spilled, 59 ms in memory).
     * For this statement only: the setting is restored after it. */
    enum br_status st = br_sql_exec(db, "SELECT set_config('work_mem', '64MB', false)", err);
    if (st == BR_OK)
        st = br_copy_out(db, sql, on_copy_row, &f, err);
    if (st == BR_OK)
        st = br_sql_exec(db, "RESET work_mem", err);
    if (st == BR_ERR_STATE)
        st = br_fail(err, st, "billing.record_ids holds a malformed row");
    double t1 = br_now_s();
    if (st == BR_OK && f.ncand > 1)
        qsort(f.cand, f.ncand, sizeof(*f.cand), cand_cmp);
    struct hits out = {0};
    for (size_t c = 0; st == BR_OK && c < f.ncand; c += CONFIRM_MAX)
        st =
            confirm(db, source, &f, f.cand + c,
                    f.ncand - c < CONFIRM_MAX ? f.ncand - c : CONFIRM_MAX, window_start, &out, err);
    /* what the search itself held at most, beside the questions */
    size_t bytes = ROW_IDS * sizeof(uint64_t) + ((size_t)1 << BM_MAX_BITS) / 8 +
                   f.cand_cap * sizeof(*f.cand) + f.rows_cap * sizeof(*f.rows) +
                   out.cap * sizeof(*out.v);
    br_log(BR_LOG_DEBUG, "record_ids_check",
           "source=%s questions=%zu fingerprints=%llu candidates=%zu hits=%zu scan_seconds=%.3f "
           "confirm_seconds=%.3f search_bytes=%zu",
           source_names[source], n, (unsigned long long)f.values, f.ncand, out.n, t1 - t0,
           br_now_s() - t1, bytes);
    free(f.cand);
    free(f.rows);
    free(f.vals);
    free(f.bm);
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
    uint64_t h1, key; /* key: the 48 bits of the second hash */
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
    unsigned char *fps, *ent; /* a row's columns, sized for ROW_IDS ids */
    uint64_t *vals;           /* a row's fingerprints */
    size_t fps_cap;
    struct br_buf tuple; /* the binary COPY tuple */
};

static int bytes_for(uint64_t v)
{
    int b = 0;
    while (v > 0) {
        b++;
        v >>= 8;
    }
    return b;
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

/* Appends a binary COPY field. */
static void field_bytes(struct br_buf *b, const void *p, size_t n, enum br_status *st)
{
    unsigned char len[4];
    put_be(len, n, 4);
    if (*st == BR_OK)
        *st = br_buf_append(b, len, 4);
    if (*st == BR_OK && n > 0)
        *st = br_buf_append(b, p, n);
}

static void field_int(struct br_buf *b, int64_t v, int size, enum br_status *st)
{
    unsigned char x[8];
    put_be(x, (uint64_t)v, size);
    field_bytes(b, x, (size_t)size, st);
}

/* A timestamptz: microseconds since 2000-01-01T00:00:00Z. */
static void field_time(struct br_buf *b, int64_t t, enum br_status *st)
{
    field_int(b, (t - INT64_C(946684800)) * 1000000, 8, st);
}

/* A bigint[] of one dimension. */
static void field_ints(struct br_buf *b, const int64_t *v, size_t n, enum br_status *st)
{
    unsigned char h[20 + 8];
    put_be(h, 1, 4);      /* dimensions */
    put_be(h + 4, 0, 4);  /* no NULLs */
    put_be(h + 8, 20, 4); /* int8's type oid */
    put_be(h + 12, n, 4); /* length */
    put_be(h + 16, 1, 4); /* lower bound */
    unsigned char len[4];
    put_be(len, 20 + n * 12, 4);
    if (*st == BR_OK)
        *st = br_buf_append(b, len, 4);
    if (*st == BR_OK)
        *st = br_buf_append(b, h, 20);
    for (size_t i = 0; i < n && *st == BR_OK; i++) {
        put_be(h, 8, 4);
        put_be(h + 4, (uint64_t)v[i], 8);
        *st = br_buf_append(b, h, 12);
    }
}

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
    const int tbytes = bytes_for((uint64_t)(t_max - t_min)), fbytes = bytes_for(nfiles - 1);
    const size_t ew = H2_BYTES + (size_t)tbytes + (size_t)fbytes;
    size_t need = br_rice_bound(n, width, k);
    if (need > x->fps_cap) {
        unsigned char *p = realloc(x->fps, need);
        if (p == NULL)
            return br_fail(err, BR_ERR_NOMEM, "out of memory remembering record ids");
        x->fps = p;
        x->fps_cap = need;
    }
    for (size_t i = 0; i < n; i++)
        x->vals[i] = fpw(e[i].h1, width);
    size_t fps_len = br_rice_encode(x->vals, n, k, x->fps);
    unsigned char *y = x->ent;
    for (size_t i = 0; i < n; i++, y += ew) {
        put_be(y, e[i].key, H2_BYTES);
        put_be(y + H2_BYTES, (uint64_t)(e[i].t - t_min), tbytes);
        put_be(y + H2_BYTES + tbytes, x->local[e[i].file] - 1, fbytes);
    }
    for (size_t i = 0; i < n; i++)
        x->local[e[i].file] = 0;
    /* the hashed row (the long columns as digests) and the sent tuple */
    struct br_row *r = tw_row(&x->t);
    br_row_text(r, source_names[x->source]);
    br_row_int(r, part);
    br_row_int(r, seq);
    br_row_int(r, (int64_t)n);
    br_row_time(r, t_min);
    br_row_time(r, t_max);
    br_row_ints(r, x->files, nfiles);
    br_row_int(r, k);
    br_row_int(r, width);
    br_row_int(r, tbytes);
    br_row_int(r, fbytes);
    br_row_digest(r, x->fps, fps_len);
    br_row_digest(r, x->ent, n * ew);
    struct br_buf *b = &x->tuple;
    br_buf_reset(b);
    unsigned char nf[2];
    put_be(nf, 1 + br_tables[BR_SEC_RECORD_IDS].ncols, 2);
    enum br_status st = br_buf_append(b, nf, 2);
    field_int(b, x->t.w->batch_id, 8, &st);
    field_bytes(b, source_names[x->source], 3, &st);
    field_int(b, part, 2, &st);
    field_int(b, seq, 4, &st);
    field_int(b, (int64_t)n, 4, &st);
    field_time(b, t_min, &st);
    field_time(b, t_max, &st);
    field_ints(b, x->files, nfiles, &st);
    field_int(b, k, 2, &st);
    field_int(b, width, 2, &st);
    field_int(b, tbytes, 2, &st);
    field_int(b, fbytes, 2, &st);
    field_bytes(b, x->fps, fps_len, &st);
    field_bytes(b, x->ent, n * ew, &st);
    if (st != BR_OK)
        return br_fail(err, st, "out of memory remembering record ids");
    tw_end_sent(&x->t, b->data, b->len);
    return BR_OK;
}

enum br_status br_records_write(struct br_db *db, struct br_batch_writer *w, int source,
                                const struct br_idq *q, size_t n, const int64_t *file_ids,
                                size_t nfile_ids, br_idq_entry_fn entry,
                                br_idq_prefetch_fn prefetch, void *ctx, struct br_error *err)
{
    struct writer x = {.source = source, .file_ids = file_ids, .nfile_ids = nfile_ids};
    enum br_status st = tw_begin_binary(&x.t, db, w, BR_SEC_RECORD_IDS, err);
    if (st != BR_OK)
        return st;
    br_buf_init(&x.tuple, (size_t)1 << 26);
    x.fps_cap = (size_t)1 << 20;
    x.fps = malloc(x.fps_cap);
    x.ent = br_mallocn(ROW_IDS, H2_BYTES + 4 + 2);
    x.vals = br_mallocn(ROW_IDS, sizeof(uint64_t));
    x.local = br_calloc(nfile_ids + 1, sizeof(*x.local));
    x.files = br_calloc(nfile_ids + 1, sizeof(*x.files));
    struct entry *e = br_mallocn(ROW_IDS, sizeof(*e));
    if (x.local == NULL || x.files == NULL || e == NULL || x.fps == NULL || x.ent == NULL ||
        x.vals == NULL)
        st = br_fail(err, BR_ERR_NOMEM, "out of memory remembering record ids");
    size_t i = 0;
    while (i < n && st == BR_OK) {
        int part = (int)part_of(q[i].h1), seq = 0;
        size_t m = 0;
        for (; i < n && (int)part_of(q[i].h1) == part && st == BR_OK; i++) {
            if (prefetch != NULL && i + 16 < n)
                prefetch(ctx, q[i + 16].idx);
            struct entry y = {.h1 = q[i].h1, .key = br_idq_key(&q[i])};
            if (!entry(ctx, q[i].idx, &y.t, &y.file))
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
    free(x.fps);
    free(x.ent);
    free(x.vals);
    br_buf_free(&x.tuple);
    return tw_finish(&x.t, st, err);
}
