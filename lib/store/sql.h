/* Statements, results and COPY over libpq, for the store module's own files
 * (never included outside lib/store). PostgreSQL's errors become br_error
 * with their SQLSTATE and message. */
#ifndef BR_SQL_H
#define BR_SQL_H

#include "core/mem.h"
#include "core/status.h"
#include "store/db.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct br_db {
    PGconn *conn;
    char *conninfo;     /* as given to br_db_connect ("" for libpq's defaults) */
    char last_state[6]; /* SQLSTATE of the last failed statement ("" if none) */
};

/* Whether the last failed statement could not have a lock (SQLSTATE 55P03:
 * NOWAIT, or lock_timeout passed). */
bool br_sql_lock_unavailable(const struct br_db *db);

/* Runs a statement (results ignored). */
enum br_status br_sql_exec(struct br_db *db, const char *sql, struct br_error *err);
/* With text parameters ($1..). */
enum br_status br_sql_execp(struct br_db *db, const char *sql, int nparams,
                            const char *const *params, struct br_error *err);
/* A query returning rows; the caller PQclear()s *res. */
enum br_status br_sql_query(struct br_db *db, const char *sql, int nparams,
                            const char *const *params, PGresult **res, struct br_error *err);
/* A single bigint (or NULL -> dflt). */
enum br_status br_sql_int64(struct br_db *db, const char *sql, int nparams,
                            const char *const *params, int64_t dflt, int64_t *out,
                            struct br_error *err);

/* A column of a result: text (NULL when SQL NULL), bigint, boolean. */
static inline const char *br_sql_str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}
int64_t br_sql_i64(const PGresult *r, int row, int col, int64_t if_null);
static inline bool br_sql_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

/* COPY table FROM STDIN in text format, buffered: rows are appended as
 * bytes already in COPY's text format (ledger/canon.h writes them). */
struct br_copy {
    struct br_db *db;
    struct br_buf buf;
    uint64_t rows;
    enum br_status st;
};

enum br_status br_copy_begin(struct br_copy *c, struct br_db *db, const char *copy_sql,
                             struct br_error *err);
/* Appends raw bytes of the stream (fields, separators, whole rows). */
void br_copy_put(struct br_copy *c, const char *p, size_t n);
/* Counts a row ended by the bytes put so far; flushes when the buffer is full. */
void br_copy_row_done(struct br_copy *c);
enum br_status br_copy_finish(struct br_copy *c, struct br_error *err);

/* COPY (query) TO STDOUT: every chunk of output (one row per chunk, with
 * its LF) is passed to fn. */
enum br_status br_copy_out(struct br_db *db, const char *copy_sql,
                           enum br_status (*fn)(void *ctx, const char *p, size_t n), void *ctx,
                           struct br_error *err);

/* Converts a libpq failure (with SQLSTATE) into err. */
enum br_status br_sql_fail(struct br_db *db, const PGresult *res, const char *what,
                           struct br_error *err);

/* "2026-11-01T00:00:00Z"-style literal of an instant, for parameters. */
void br_sql_time_param(int64_t t, char buf[32]);

/* A text[] literal {"a","b"} of the strings of a table (NULL: empty). */
enum br_status br_sql_array(const struct br_strtab *t, struct br_buf *out);

#endif
