/* libpq at the boundary: connecting, statements, COPY in and out, with
 * PostgreSQL's errors converted to br_error (SQLSTATE and message). */
#ifndef BR_DB_H
#define BR_DB_H

#include "core/mem.h"
#include "core/status.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct br_db {
    PGconn *conn;
};

/* Connects as libpq chooses (PG* variables, service file, ~/.pgpass) or with
 * conninfo when not NULL. Never prints a password. */
enum br_status br_db_connect(struct br_db *db, const char *conninfo, struct br_error *err);
void br_db_close(struct br_db *db);

/* Runs a statement without results (or ignoring them). */
enum br_status br_db_exec(struct br_db *db, const char *sql, struct br_error *err);
/* With text parameters ($1..). */
enum br_status br_db_execp(struct br_db *db, const char *sql, int nparams,
                           const char *const *params, struct br_error *err);
/* A query returning rows; the caller PQclear()s *res. */
enum br_status br_db_query(struct br_db *db, const char *sql, int nparams,
                           const char *const *params, PGresult **res, struct br_error *err);
/* A single bigint (or NULL -> dflt). */
enum br_status br_db_int64(struct br_db *db, const char *sql, int nparams,
                           const char *const *params, int64_t dflt, int64_t *out,
                           struct br_error *err);

/* COPY table FROM STDIN in text format, buffered. */
struct br_copy {
    struct br_db *db;
    struct br_buf buf;
    uint64_t rows;
    enum br_status st;
};

enum br_status br_copy_begin(struct br_copy *c, struct br_db *db, const char *copy_sql,
                             struct br_error *err);
/* Field writers: a row is fields separated by br_copy_sep and ended by
 * br_copy_end_row. Text is escaped for COPY's text format. */
void br_copy_text(struct br_copy *c, const char *s, size_t n);
void br_copy_str(struct br_copy *c, const char *s); /* NULL -> \N */
void br_copy_i64(struct br_copy *c, int64_t v);
void br_copy_null(struct br_copy *c);
void br_copy_bool(struct br_copy *c, bool v);
void br_copy_time(struct br_copy *c, int64_t t); /* timestamptz from UTC seconds */
void br_copy_bytea(struct br_copy *c, const void *p, size_t n);
void br_copy_sep(struct br_copy *c);
void br_copy_end_row(struct br_copy *c);
enum br_status br_copy_finish(struct br_copy *c, struct br_error *err);

/* COPY (query) TO STDOUT: every chunk of output is passed to fn. */
enum br_status br_copy_out(struct br_db *db, const char *copy_sql,
                           void (*fn)(void *ctx, const char *p, size_t n), void *ctx,
                           struct br_error *err);

/* Converts a libpq failure (with SQLSTATE) into err. */
enum br_status br_db_fail(struct br_db *db, const PGresult *res, const char *what,
                          struct br_error *err);

/* "2026-11-01T00:00:00Z"-style literal of an instant, for parameters. */
void br_db_time_param(int64_t t, char buf[32]);

#endif
