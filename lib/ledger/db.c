/* libpq helpers. */
#include "ledger/db.h"

#include "core/btime.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_FLUSH_BYTES (1u << 20)

enum br_status br_db_fail(struct br_db *db, const PGresult *res, const char *what,
                          struct br_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (msg == NULL)
        msg = PQerrorMessage(db->conn);
    char clean[512];
    snprintf(clean, sizeof(clean), "%s", msg ? msg : "unknown error");
    size_t n = strlen(clean);
    while (n > 0 && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = '\0';
    if (state == NULL && PQstatus(db->conn) != CONNECTION_OK)
        return br_fail(err, BR_ERR_DB, "%s: the database connection was lost: %s", what, clean);
    return br_fail(err, BR_ERR_DB, "%s: %s%s%s%s", what, clean, state ? " (SQLSTATE " : "",
                   state ? state : "", state ? ")" : "");
}

static void notice_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

enum br_status br_db_connect(struct br_db *db, const char *conninfo, struct br_error *err)
{
    /* libpq's defaults (PG* variables, service file, ~/.pgpass), then the
     * conninfo; application_name lets operators see billrun in
     * pg_stat_activity. */
    const char *keys[] = {"dbname", "fallback_application_name", NULL};
    const char *vals[] = {conninfo ? conninfo : "", "billrun", NULL};
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (db->conn == NULL)
        return br_fail(err, BR_ERR_NOMEM, "cannot allocate a database connection");
    if (PQstatus(db->conn) != CONNECTION_OK) {
        /* libpq's message names host and user, never the password */
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(db->conn));
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        PQfinish(db->conn);
        db->conn = NULL;
        return br_fail(err, BR_ERR_DB, "cannot connect to the database: %s", msg);
    }
    PQsetNoticeProcessor(db->conn, notice_quiet, NULL);
    /* JIT compilation pays off for long analytic queries; billrun's are
     * index reads and COPYs whose cost estimates on big tables still set it
     * off, at half a second of compiling each. */
    PGresult *res = PQexec(db->conn, "SET jit = off");
    PQclear(res);
    /* Dates as the batch hash reads them back (YYYY-MM-DD), whatever the
     * server's or PGDATESTYLE's default: a session in another style would
     * otherwise see another text and fail the hash chain. */
    res = PQexec(db->conn, "SET datestyle = 'ISO, YMD'");
    PQclear(res);
    return BR_OK;
}

void br_db_close(struct br_db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
}

enum br_status br_db_query(struct br_db *db, const char *sql, int nparams,
                           const char *const *params, PGresult **res, struct br_error *err)
{
    *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(*res);
    if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
        return BR_OK;
    char what[96];
    snprintf(what, sizeof(what), "query failed (%.60s...)", sql);
    enum br_status st = br_db_fail(db, *res, what, err);
    PQclear(*res);
    *res = NULL;
    return st;
}

enum br_status br_db_execp(struct br_db *db, const char *sql, int nparams,
                           const char *const *params, struct br_error *err)
{
    PGresult *res;
    enum br_status st = br_db_query(db, sql, nparams, params, &res, err);
    if (st == BR_OK)
        PQclear(res);
    return st;
}

enum br_status br_db_exec(struct br_db *db, const char *sql, struct br_error *err)
{
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    enum br_status st = BR_OK;
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
        char what[96];
        snprintf(what, sizeof(what), "statement failed (%.60s...)", sql);
        st = br_db_fail(db, res, what, err);
    }
    PQclear(res);
    return st;
}

enum br_status br_db_int64(struct br_db *db, const char *sql, int nparams,
                           const char *const *params, int64_t dflt, int64_t *out,
                           struct br_error *err)
{
    PGresult *res;
    enum br_status st = br_db_query(db, sql, nparams, params, &res, err);
    if (st != BR_OK)
        return st;
    *out = dflt;
    if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return BR_OK;
}

enum br_status br_copy_begin(struct br_copy *c, struct br_db *db, const char *copy_sql,
                             struct br_error *err)
{
    c->db = db;
    c->rows = 0;
    c->st = BR_OK;
    br_buf_init(&c->buf, (size_t)64 << 20);
    PGresult *res = PQexec(db->conn, copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        enum br_status st = br_db_fail(db, res, "COPY failed to start", err);
        PQclear(res);
        return st;
    }
    PQclear(res);
    return BR_OK;
}

static void put(struct br_copy *c, const char *p, size_t n)
{
    if (c->st == BR_OK && br_buf_append(&c->buf, p, n) != BR_OK)
        c->st = BR_ERR_NOMEM;
}

void br_copy_text(struct br_copy *c, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        switch (ch) {
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            break;
        }
        if (esc) {
            put(c, s + start, i - start);
            put(c, esc, 2);
            start = i + 1;
        }
    }
    put(c, s + start, n - start);
}

void br_copy_str(struct br_copy *c, const char *s)
{
    if (s == NULL)
        br_copy_null(c);
    else
        br_copy_text(c, s, strlen(s));
}

void br_copy_i64(struct br_copy *c, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof(b), "%" PRId64, v);
    put(c, b, (size_t)n);
}

void br_copy_null(struct br_copy *c)
{
    put(c, "\\N", 2);
}

void br_copy_bool(struct br_copy *c, bool v)
{
    put(c, v ? "t" : "f", 1);
}

void br_copy_time(struct br_copy *c, int64_t t)
{
    char b[40];
    size_t n = br_time_format(t, 0, b, sizeof(b));
    put(c, b, n);
}

void br_copy_bytea(struct br_copy *c, const void *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(c, "\\\\x", 3);
    const unsigned char *s = p;
    char chunk[256];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        chunk[k++] = hex[s[i] >> 4];
        chunk[k++] = hex[s[i] & 15];
        if (k == sizeof(chunk)) {
            put(c, chunk, k);
            k = 0;
        }
    }
    put(c, chunk, k);
}

void br_copy_sep(struct br_copy *c)
{
    put(c, "\t", 1);
}

static void flush(struct br_copy *c)
{
    if (c->st != BR_OK || c->buf.len == 0)
        return;
    if (PQputCopyData(c->db->conn, c->buf.data, (int)c->buf.len) != 1)
        c->st = BR_ERR_DB;
    br_buf_reset(&c->buf);
}

void br_copy_end_row(struct br_copy *c)
{
    put(c, "\n", 1);
    c->rows++;
    if (c->buf.len >= COPY_FLUSH_BYTES)
        flush(c);
}

enum br_status br_copy_finish(struct br_copy *c, struct br_error *err)
{
    flush(c);
    enum br_status st = c->st;
    br_buf_free(&c->buf);
    if (PQputCopyEnd(c->db->conn, st == BR_OK ? NULL : "billrun: aborted") != 1 && st == BR_OK)
        st = BR_ERR_DB;
    PGresult *res;
    enum br_status rst = BR_OK;
    while ((res = PQgetResult(c->db->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rst == BR_OK)
            rst = br_db_fail(c->db, res, "COPY failed", err);
        PQclear(res);
    }
    if (st == BR_ERR_NOMEM)
        return br_fail(err, st, "out of memory while copying");
    if (st != BR_OK && rst == BR_OK)
        return br_db_fail(c->db, NULL, "COPY failed", err);
    return rst;
}

enum br_status br_copy_out(struct br_db *db, const char *copy_sql,
                           void (*fn)(void *ctx, const char *p, size_t n), void *ctx,
                           struct br_error *err)
{
    PGresult *res = PQexec(db->conn, copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        enum br_status st = br_db_fail(db, res, "COPY out failed to start", err);
        PQclear(res);
        return st;
    }
    PQclear(res);
    char *buf;
    int n;
    while ((n = PQgetCopyData(db->conn, &buf, 0)) > 0) {
        fn(ctx, buf, (size_t)n);
        PQfreemem(buf);
    }
    enum br_status st = BR_OK;
    while ((res = PQgetResult(db->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && st == BR_OK)
            st = br_db_fail(db, res, "COPY out failed", err);
        PQclear(res);
    }
    if (n == -2 && st == BR_OK)
        st = br_db_fail(db, NULL, "COPY out failed", err);
    return st;
}

void br_db_time_param(int64_t t, char buf[32])
{
    br_time_format(t, 0, buf, 32);
}
