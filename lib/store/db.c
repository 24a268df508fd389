/* The connection and libpq helpers of the store module (db.h, sql.h). */
#include "store/sql.h"

#include "core/btime.h"
#include "store/schema.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_FLUSH_BYTES (1u << 20)

enum br_status br_sql_fail(struct br_db *db, const PGresult *res, const char *what,
                           struct br_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(db->last_state, sizeof(db->last_state), "%s", state ? state : "");
    if (msg == NULL)
        msg = PQerrorMessage(db->conn);
    char clean[512];
    snprintf(clean, sizeof(clean), "%s", msg ? msg : "unknown error");
    size_t n = strlen(clean);
    while (n > 0 && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = '\0';
    if (state == NULL && PQstatus(db->conn) != CONNECTION_OK)
        return br_fail(err, BR_ERR_DB, "%s: the database connection was lost: %s", what, clean);
    if (state != NULL && strcmp(state, "55P03") == 0)
        return br_fail(err, BR_ERR_LOCKED,
                       "%s: %s (SQLSTATE 55P03): another session held a lock billrun needed "
                       "for longer than --lock-timeout (a LOCK TABLE, a migration); nothing was "
                       "committed",
                       what, clean);
    return br_fail(err, BR_ERR_DB, "%s: %s%s%s%s", what, clean, state ? " (SQLSTATE " : "",
                   state ? state : "", state ? ")" : "");
}

bool br_sql_lock_unavailable(const struct br_db *db)
{
    return strcmp(db->last_state, "55P03") == 0;
}

static void notice_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

enum br_status br_db_clone(const struct br_db *db, struct br_db **out, struct br_error *err)
{
    enum br_status st = br_db_connect(out, db->conninfo, err);
    int64_t member = 0;
    if (st == BR_OK) /* read as the batch reads: as the writer role, when one may */
        st = br_sql_int64(*out,
                          "SELECT (EXISTS (SELECT FROM pg_roles WHERE rolname = '" BR_ROLE_WRITER
                          "') AND pg_has_role('" BR_ROLE_WRITER "', 'MEMBER'))::int",
                          0, NULL, 0, &member, err);
    if (st == BR_OK && member)
        st = br_sql_exec(*out, "SET ROLE " BR_ROLE_WRITER, err);
    if (st != BR_OK) {
        br_db_close(*out);
        *out = NULL;
    }
    return st;
}

enum br_status br_db_connect(struct br_db **out, const char *conninfo, struct br_error *err)
{
    *out = NULL;
    struct br_db *db = calloc(1, sizeof(*db));
    if (db == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    /* libpq's defaults (PG* variables, service file, ~/.pgpass), then the
     * conninfo; application_name lets operators see billrun in
     * pg_stat_activity. */
    /* TCP keepalives and a user timeout, so that a network that silently
     * drops the connection ends a run in minutes (keepalives alone do not
     * fire while sent data waits unacknowledged): first, so that the
     * user's conninfo (dbname, expanded in place) may say otherwise */
    const char *keys[] = {
        "keepalives",       "keepalives_idle", "keepalives_interval",       "keepalives_count",
        "tcp_user_timeout", "dbname",          "fallback_application_name", NULL};
    const char *vals[] = {"1",       "60", "10", "6", "300000", conninfo ? conninfo : "",
                          "billrun", NULL};
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (db->conn == NULL) {
        free(db);
        return br_fail(err, BR_ERR_NOMEM, "cannot allocate a database connection");
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        /* libpq's message names host and user, never the password */
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(db->conn));
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        PQfinish(db->conn);
        free(db);
        return br_fail(err, BR_ERR_DB, "cannot connect to the database: %s", msg);
    }
    db->conninfo = strdup(conninfo ? conninfo : "");
    if (db->conninfo == NULL) {
        PQfinish(db->conn);
        free(db);
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
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
    *out = db;
    return BR_OK;
}

void br_db_drop_connection(struct br_db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
}

void br_db_close(struct br_db *db)
{
    if (db == NULL)
        return;
    if (db->conn)
        PQfinish(db->conn);
    free(db->conninfo);
    free(db);
}

enum br_status br_sql_query(struct br_db *db, const char *sql, int nparams,
                            const char *const *params, PGresult **res, struct br_error *err)
{
    *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(*res);
    if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
        return BR_OK;
    char what[96];
    snprintf(what, sizeof(what), "query failed (%.60s...)", sql);
    enum br_status st = br_sql_fail(db, *res, what, err);
    PQclear(*res);
    *res = NULL;
    return st;
}

enum br_status br_sql_execp(struct br_db *db, const char *sql, int nparams,
                            const char *const *params, struct br_error *err)
{
    PGresult *res;
    enum br_status st = br_sql_query(db, sql, nparams, params, &res, err);
    if (st == BR_OK)
        PQclear(res);
    return st;
}

enum br_status br_sql_exec(struct br_db *db, const char *sql, struct br_error *err)
{
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    enum br_status st = BR_OK;
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
        char what[96];
        snprintf(what, sizeof(what), "statement failed (%.60s...)", sql);
        st = br_sql_fail(db, res, what, err);
    }
    PQclear(res);
    return st;
}

int64_t br_sql_i64(const PGresult *r, int row, int col, int64_t if_null)
{
    return PQgetisnull(r, row, col) ? if_null : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

enum br_status br_sql_int64(struct br_db *db, const char *sql, int nparams,
                            const char *const *params, int64_t dflt, int64_t *out,
                            struct br_error *err)
{
    PGresult *res;
    enum br_status st = br_sql_query(db, sql, nparams, params, &res, err);
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
        enum br_status st = br_sql_fail(db, res, "COPY failed to start", err);
        PQclear(res);
        return st;
    }
    PQclear(res);
    return BR_OK;
}

void br_copy_put(struct br_copy *c, const char *p, size_t n)
{
    if (c->st == BR_OK && br_buf_append(&c->buf, p, n) != BR_OK)
        c->st = BR_ERR_NOMEM;
}

static void flush(struct br_copy *c)
{
    if (c->st != BR_OK || c->buf.len == 0)
        return;
    if (PQputCopyData(c->db->conn, c->buf.data, (int)c->buf.len) != 1)
        c->st = BR_ERR_DB;
    br_buf_reset(&c->buf);
}

void br_copy_row_done(struct br_copy *c)
{
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
            rst = br_sql_fail(c->db, res, "COPY failed", err);
        PQclear(res);
    }
    if (st == BR_ERR_NOMEM)
        return br_fail(err, st, "out of memory while copying");
    if (st != BR_OK && rst == BR_OK)
        return br_sql_fail(c->db, NULL, "COPY failed", err);
    return rst;
}

enum br_status br_copy_out(struct br_db *db, const char *copy_sql,
                           enum br_status (*fn)(void *ctx, const char *p, size_t n), void *ctx,
                           struct br_error *err)
{
    PGresult *res = PQexec(db->conn, copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        enum br_status st = br_sql_fail(db, res, "COPY out failed to start", err);
        PQclear(res);
        return st;
    }
    PQclear(res);
    char *buf;
    int n;
    enum br_status fst = BR_OK; /* after a failed callback the rest is drained unread */
    while ((n = PQgetCopyData(db->conn, &buf, 0)) > 0) {
        if (fst == BR_OK)
            fst = fn(ctx, buf, (size_t)n);
        PQfreemem(buf);
    }
    enum br_status st = BR_OK;
    while ((res = PQgetResult(db->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && st == BR_OK)
            st = br_sql_fail(db, res, "COPY out failed", err);
        PQclear(res);
    }
    if (n == -2 && st == BR_OK)
        st = br_sql_fail(db, NULL, "COPY out failed", err);
    if (st == BR_OK && fst != BR_OK)
        st = br_fail(err, fst, "reading rows back failed: %s", br_status_str(fst));
    return st;
}

void br_sql_time_param(int64_t t, char buf[32])
{
    br_time_format(t, 0, buf, 32);
}

enum br_status br_sql_array(const struct br_strtab *t, struct br_buf *out)
{
    enum br_status st = br_buf_append(out, "{", 1);
    for (size_t i = 0; t != NULL && i < t->n && st == BR_OK; i++) {
        size_t n;
        const char *s = br_strtab_get(t, (uint32_t)i, &n);
        st = br_buf_append(out, i ? ",\"" : "\"", i ? 2 : 1);
        for (size_t k = 0; k < n && st == BR_OK; k++) {
            if (s[k] == '"' || s[k] == '\\')
                st = br_buf_append(out, "\\", 1);
            if (st == BR_OK)
                st = br_buf_append(out, s + k, 1);
        }
        if (st == BR_OK)
            st = br_buf_append(out, "\"", 1);
    }
    return st == BR_OK ? br_buf_append(out, "}", 1) : st;
}
