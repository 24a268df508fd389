/* Integration-test support: temporary folders, child processes (the billrun
 * binary), throwaway databases on the PostgreSQL named by PG* variables, and
 * SQL helpers. Every helper fails the current cmocka test on error. */
#ifndef BR_IT_H
#define BR_IT_H

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <setjmp.h>
#include <cmocka.h>

/* An environment variable that must be set (BILLRUN_BIN, ...). */
const char *it_env(const char *name);
/* A new empty folder under $TMPDIR (caller frees; remove with it_rm). */
char *it_tmpdir(const char *tag);
void it_rm(const char *path);
/* Copies a folder's regular files into another (created). */
void it_copy_dir(const char *from, const char *to);
void it_write_file(const char *path, const char *text);
char *it_read_file(const char *path, size_t *len);

/* Whether the file at log holds needle (false when it cannot be read). */
bool it_log_has(const char *log, const char *needle);
/* Fails the test unless log holds needle, showing the log; what names the
 * step in the message (or NULL). */
void it_expect_log(const char *log, const char *needle, const char *what);
/* Fails the test unless rc is want, showing the log of the step what. */
void it_expect_rc(int rc, int want, const char *what, const char *log);
/* Fails the test unless `billrun verify` passes on db, showing its output. */
void it_verify_ok(const char *db, const char *log);

/* Runs argv (NULL-terminated); stdout and stderr go to log (or /dev/null).
 * Returns the exit code, or 128 + signal. */
int it_run(const char *const *argv, const char *log);
pid_t it_spawn(const char *const *argv, const char *log);
int it_wait(pid_t pid);
/* Runs `billrun <args...> --db dbname=<db>` (args NULL-terminated). */
int it_billrun(const char *db, const char *log, ...);
int it_billrunv(const char *db, const char *log, const char *const *args);
pid_t it_billrun_spawn(const char *db, const char *log, const char *const *args,
                       const char *const *env);

/* A fresh database named billrun_it_<tag>_<pid>; it_db_drop removes it. */
void it_db_create(char *name, size_t size, const char *tag);
void it_db_drop(const char *name);
PGconn *it_db_connect(const char *db);
int64_t it_sql_int(PGconn *c, const char *sql);
/* All rows, fields joined by '|', rows by '\n' (caller frees). */
char *it_sql_text(PGconn *c, const char *sql);
/* Runs a statement; returns the SQLSTATE of its error, or "" on success. */
const char *it_sql_try(PGconn *c, const char *sql, char state[6]);

/* The repo root, the spec dir, the billrun and billrun-gen binaries. */
const char *it_source_dir(void);
/* The worked examples of the repository (tests/examples); the caller frees it. */
char *it_examples_dir(void);

#endif
