/* Reading a batch back (readback.h). Each table's rows of the batch come
 * through COPY TO in text format, every column selected in a form that does
 * not depend on session settings (times as epoch seconds, dates as day
 * numbers, bytes as hex), are unescaped field by field and written again
 * with the canonical row functions. */
#include "store/readback.h"

#include "core/log.h"
#include "store/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SELECT expression of a column, by type. */
static enum br_status column_expr(struct br_buf *b, const char *col, enum br_coltype t)
{
    switch (t) {
    case BR_COL_TIME:
        return br_buf_printf(b, "extract(epoch FROM %s)::bigint", col);
    case BR_COL_DATE:
        return br_buf_printf(b, "(%s - date '1970-01-01')", col);
    case BR_COL_BYTES:
        return br_buf_printf(b, "encode(%s, 'hex')", col);
    case BR_COL_DIGEST:
        return br_buf_printf(b, "encode(sha256(%s), 'hex')", col);
    case BR_COL_INT:
    case BR_COL_TEXT:
    case BR_COL_BOOL:
    case BR_COL_INTS:
        return br_buf_printf(b, "%s", col);
    }
    BR_UNREACHABLE();
}

static enum br_status section_sql(struct br_buf *b, const struct br_table *t, int64_t batch_id,
                                  int64_t lo, int64_t hi)
{
    enum br_status st = br_buf_printf(b, "COPY (SELECT ");
    for (size_t i = 0; i < t->ncols && st == BR_OK; i++) {
        if (i > 0)
            st = br_buf_printf(b, ", ");
        if (st == BR_OK)
            st = column_expr(b, t->cols[i], t->types[i]);
    }
    if (st != BR_OK)
        return st;
    if (t->scope == BR_SCOPE_BATCH)
        return br_buf_printf(b, " FROM %s WHERE batch_id = %lld) TO STDOUT", t->name,
                             (long long)batch_id);
    return br_buf_printf(b, " FROM %s WHERE entry_id BETWEEN %lld AND %lld) TO STDOUT", t->name,
                         (long long)lo, (long long)hi);
}

/* One field of COPY's text output, unescaped into out. */
static enum br_status unescape(const char *p, size_t n, struct br_buf *out)
{
    br_buf_reset(out);
    enum br_status st = BR_OK;
    size_t run = 0;
    for (size_t i = 0; i < n && st == BR_OK; i++) {
        if (p[i] != '\\')
            continue;
        st = br_buf_append(out, p + run, i - run);
        if (++i >= n)
            return BR_ERR_INPUT;
        char c = p[i];
        switch (c) {
        case 'b':
            c = '\b';
            break;
        case 'f':
            c = '\f';
            break;
        case 'n':
            c = '\n';
            break;
        case 'r':
            c = '\r';
            break;
        case 't':
            c = '\t';
            break;
        case 'v':
            c = '\v';
            break;
        default:
            break; /* \\ and any other escaped byte stand for themselves */
        }
        if (st == BR_OK)
            st = br_buf_append(out, &c, 1);
        run = i + 1;
    }
    if (st == BR_OK)
        st = br_buf_append(out, p + run, n - run);
    if (st == BR_OK)
        st = br_buf_append(out, "", 1); /* NUL-terminated, not counted */
    if (st == BR_OK)
        out->len--;
    return st;
}

static bool parse_i64(const char *s, int64_t *v)
{
    char *end;
    *v = strtoll(s, &end, 10);
    return end != s && *end == '\0';
}

/* "{1,2,3}" */
static enum br_status put_ints(struct br_row *r, const char *s)
{
    int64_t v[64];
    size_t n = 0;
    if (*s++ != '{')
        return BR_ERR_INPUT;
    while (*s != '}') {
        char *end;
        if (n == 64)
            return BR_ERR_INPUT;
        v[n++] = strtoll(s, &end, 10);
        if (end == s || (*end != ',' && *end != '}'))
            return BR_ERR_INPUT;
        s = *end == ',' ? end + 1 : end;
    }
    br_row_ints(r, v, n);
    return BR_OK;
}

static enum br_status hex_bytes(const char *s, size_t n, struct br_buf *out)
{
    br_buf_reset(out);
    if (n % 2 != 0)
        return BR_ERR_INPUT;
    enum br_status st = BR_OK;
    for (size_t i = 0; i < n && st == BR_OK; i += 2) {
        unsigned v;
        char h[3] = {s[i], s[i + 1], 0};
        if (sscanf(h, "%2x", &v) != 1)
            return BR_ERR_INPUT;
        unsigned char c = (unsigned char)v;
        st = br_buf_append(out, &c, 1);
    }
    return st;
}

/* One typed column into the row. */
static enum br_status put_field(struct br_row *r, enum br_coltype t, const char *p, size_t n,
                                struct br_buf *tmp, struct br_buf *tmp2)
{
    if (n == 2 && p[0] == '\\' && p[1] == 'N') {
        br_row_null(r);
        return BR_OK;
    }
    enum br_status st = unescape(p, n, tmp);
    if (st != BR_OK)
        return st;
    const char *s = tmp->data;
    int64_t v;
    switch (t) {
    case BR_COL_TEXT:
        br_row_textn(r, s, tmp->len);
        return BR_OK;
    case BR_COL_BOOL:
        if (tmp->len != 1 || (s[0] != 't' && s[0] != 'f'))
            return BR_ERR_INPUT;
        br_row_bool(r, s[0] == 't');
        return BR_OK;
    case BR_COL_INTS:
        return put_ints(r, s);
    case BR_COL_BYTES:
    case BR_COL_DIGEST:
        st = hex_bytes(s, tmp->len, tmp2);
        if (st == BR_OK)
            br_row_bytes(r, tmp2->data, tmp2->len);
        return st;
    case BR_COL_INT:
    case BR_COL_TIME:
    case BR_COL_DATE:
        break;
    }
    if (!parse_i64(s, &v))
        return BR_ERR_INPUT;
    if (t == BR_COL_INT)
        br_row_int(r, v);
    else if (t == BR_COL_TIME)
        br_row_time(r, v);
    else
        br_row_date(r, v);
    return BR_OK;
}

struct reader {
    const struct br_table *t;
    struct br_row row;
    struct br_section_hash sec;
    uint64_t rows;
    struct br_buf tmp, tmp2;
};

static enum br_status on_line(void *ctx, const char *p, size_t n)
{
    struct reader *rd = ctx;
    if (n > 0 && p[n - 1] == '\n')
        n--;
    br_row_reset(&rd->row);
    size_t start = 0;
    enum br_status st = BR_OK;
    for (size_t c = 0; c < rd->t->ncols && st == BR_OK; c++) {
        size_t end = start;
        while (end < n && p[end] != '\t')
            end++;
        if (end == n && c + 1 < rd->t->ncols)
            return BR_ERR_INPUT;
        st = put_field(&rd->row, rd->t->types[c], p + start, end - start, &rd->tmp, &rd->tmp2);
        start = end + 1;
    }
    if (st == BR_OK && start != n + 1)
        st = BR_ERR_INPUT; /* more fields than the table has */
    if (st == BR_OK && br_row_end(&rd->row) != BR_OK)
        st = rd->row.st;
    if (st == BR_OK) {
        br_section_add(&rd->sec, rd->row.p, rd->row.n);
        rd->rows++;
    }
    return st;
}

static enum br_status read_section(struct br_db *db, const struct br_table *t, int64_t batch_id,
                                   int64_t lo, int64_t hi, uint64_t *rows, uint8_t hash[32],
                                   struct br_error *err)
{
    struct reader rd = {.t = t};
    br_row_init(&rd.row);
    br_section_init(&rd.sec);
    br_buf_init(&rd.tmp, BR_ROW_MAX);
    br_buf_init(&rd.tmp2, BR_ROW_MAX);
    struct br_buf sql;
    br_buf_init(&sql, 8192);
    enum br_status st = section_sql(&sql, t, batch_id, lo, hi);
    if (st != BR_OK)
        st = br_fail(err, st, "out of memory");
    double t0 = br_now_s();
    if (st == BR_OK && (t->scope == BR_SCOPE_BATCH || lo <= hi))
        st = br_copy_out(db, sql.data, on_line, &rd, err);
    if (st == BR_OK && br_section_finish(&rd.sec, hash) != BR_OK)
        st = br_fail(err, BR_ERR_NOMEM, "out of memory hashing %s", t->name);
    *rows = rd.rows;
    br_log(BR_LOG_DEBUG, "readback", "batch=%lld table=%s rows=%llu seconds=%.3f",
           (long long)batch_id, t->name, (unsigned long long)rd.rows, br_now_s() - t0);
    br_buf_free(&sql);
    br_buf_free(&rd.tmp);
    br_buf_free(&rd.tmp2);
    br_row_free(&rd.row);
    br_section_free(&rd.sec);
    return st;
}

enum br_status br_readback_sums(struct br_db *db, int64_t batch_id, struct br_batch_sums *out,
                                struct br_error *err)
{
    memset(out, 0, sizeof(*out));
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)batch_id);
    const char *p[1] = {id};
    PGresult *r;
    /* a batch's entries have consecutive ids: its transfers are theirs */
    enum br_status st = br_sql_query(
        db, "SELECT min(entry_id), max(entry_id) FROM ledger.entries WHERE batch_id = $1", 1, p, &r,
        err);
    if (st != BR_OK)
        return st;
    int64_t lo = br_sql_i64(r, 0, 0, 1), hi = br_sql_i64(r, 0, 1, 0);
    PQclear(r);
    for (int i = 0; i < BR_SEC_COUNT && st == BR_OK; i++)
        st = read_section(db, &br_tables[i], batch_id, lo, hi, &out->rows[i], out->hash[i], err);
    return st;
}

enum br_status br_readback_counts(struct br_db *db, int64_t batch_id, struct br_batch_sums *out,
                                  struct br_error *err)
{
    memset(out, 0, sizeof(*out));
    struct br_buf sql;
    br_buf_init(&sql, 1 << 16);
    enum br_status st = br_buf_printf(&sql, "SELECT ");
    for (int i = 0; i < BR_SEC_COUNT && st == BR_OK; i++) {
        const struct br_table *t = &br_tables[i];
        if (t->scope == BR_SCOPE_BATCH)
            st = br_buf_printf(&sql, "%s(SELECT count(*) FROM %s WHERE batch_id = $1)",
                               i ? ", " : "", t->name);
        else
            st = br_buf_printf(&sql,
                               "%s(SELECT count(*) FROM %s WHERE entry_id IN (SELECT entry_id "
                               "FROM ledger.entries WHERE batch_id = $1))",
                               i ? ", " : "", t->name);
    }
    if (st != BR_OK) {
        br_buf_free(&sql);
        return br_fail(err, st, "out of memory");
    }
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)batch_id);
    const char *p[1] = {id};
    PGresult *r;
    st = br_sql_query(db, sql.data, 1, p, &r, err);
    br_buf_free(&sql);
    if (st != BR_OK)
        return st;
    for (int i = 0; i < BR_SEC_COUNT; i++)
        out->rows[i] = (uint64_t)br_sql_i64(r, 0, i, 0);
    PQclear(r);
    return BR_OK;
}

static bool unhex32(const char *h, uint8_t out[32])
{
    if (h == NULL || strlen(h) != 64)
        return false;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        char b[3] = {h[2 * i], h[2 * i + 1], 0};
        if (sscanf(b, "%2x", &v) != 1)
            return false;
        out[i] = (uint8_t)v;
    }
    return true;
}

static const char *const chain_sql =
    "SELECT batch_id, kind, extract(epoch FROM as_of)::bigint, period, encode(prev_hash, 'hex'), "
    "encode(content_hash, 'hex'), encode(hash, 'hex') FROM ledger.batches ";

static bool chain_row(const PGresult *r, int i, struct br_chain_row *b)
{
    memset(b, 0, sizeof(*b));
    b->batch_id = br_sql_i64(r, i, 0, 0);
    snprintf(b->kind, sizeof(b->kind), "%s", PQgetvalue(r, i, 1));
    b->as_of = br_sql_i64(r, i, 2, 0);
    if (!PQgetisnull(r, i, 3))
        snprintf(b->period, sizeof(b->period), "%s", PQgetvalue(r, i, 3));
    b->has_prev = !PQgetisnull(r, i, 4);
    return (!b->has_prev || unhex32(PQgetvalue(r, i, 4), b->prev)) &&
           unhex32(PQgetvalue(r, i, 5), b->content) && unhex32(PQgetvalue(r, i, 6), b->hash);
}

enum br_status br_readback_chain(struct br_db *db,
                                 enum br_status (*fn)(void *ctx, const struct br_chain_row *b),
                                 void *ctx, struct br_error *err)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "%s ORDER BY batch_id", chain_sql);
    PGresult *r;
    enum br_status st = br_sql_query(db, sql, 0, NULL, &r, err);
    for (int i = 0; st == BR_OK && i < PQntuples(r); i++) {
        struct br_chain_row b;
        if (!chain_row(r, i, &b))
            st = br_fail(err, BR_ERR_VERIFY, "ledger.batches: batch %s has a malformed hash",
                         PQgetvalue(r, i, 0));
        else
            st = fn(ctx, &b);
    }
    if (r != NULL)
        PQclear(r);
    return st;
}

enum br_status br_readback_tip(struct br_db *db, struct br_chain_row *tip, bool *any,
                               struct br_error *err)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "%s ORDER BY batch_id DESC LIMIT 1", chain_sql);
    PGresult *r;
    enum br_status st = br_sql_query(db, sql, 0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    *any = PQntuples(r) > 0;
    memset(tip, 0, sizeof(*tip));
    if (*any && !chain_row(r, 0, tip))
        st = br_fail(err, BR_ERR_VERIFY, "ledger.batches: the last batch has a malformed hash");
    PQclear(r);
    return st;
}
