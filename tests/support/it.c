/* Integration-test support. */
#include "it.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *it_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        fail_msg("environment variable %s is not set (run through ctest)", name);
    return v;
}

const char *it_source_dir(void)
{
    return it_env("BILLRUN_SOURCE_DIR");
}

char *it_examples_dir(void)
{
    char *dir = malloc(4096);
    assert_non_null(dir);
    snprintf(dir, 4096, "%s/tests/examples", it_source_dir());
    return dir;
}

char *it_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char *path = malloc(4096);
    assert_non_null(path);
    snprintf(path, 4096, "%s/billrun-it-%s-XXXXXX", base ? base : "/tmp", tag);
    if (mkdtemp(path) == NULL)
        fail_msg("mkdtemp %s: %s", path, strerror(errno));
    return path;
}

void it_rm(const char *path)
{
    const char *argv[] = {"rm", "-rf", path, NULL};
    it_run(argv, NULL);
}

void it_copy_dir(const char *from, const char *to)
{
    mkdir(to, 0755);
    DIR *d = opendir(from);
    if (d == NULL)
        fail_msg("opendir %s: %s", from, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char src[4096], dst[4096];
        struct stat sb;
        snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
        snprintf(dst, sizeof(dst), "%s/%s", to, e->d_name);
        if (stat(src, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        const char *argv[] = {"cp", "-p", src, dst, NULL};
        assert_int_equal(it_run(argv, NULL), 0);
    }
    closedir(d);
}

void it_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

char *it_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    size_t got = fread(b, 1, (size_t)n, f);
    fclose(f);
    b[got] = '\0';
    if (len)
        *len = got;
    return b;
}

pid_t it_spawn(const char *const *argv, const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const char *to = log ? log : "/dev/null";
    posix_spawn_file_actions_addopen(&fa, 1, to, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fail_msg("cannot start %s: %s", argv[0], strerror(rc));
    return pid;
}

int it_wait(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int it_run(const char *const *argv, const char *log)
{
    return it_wait(it_spawn(argv, log));
}

static size_t billrun_argv(const char *db, const char *const *args, const char **argv, char *dbarg,
                           size_t dbsize)
{
    size_t n = 0;
    argv[n++] = it_env("BILLRUN_BIN");
    for (size_t i = 0; args[i] && n < 60; i++)
        argv[n++] = args[i];
    if (db) {
        snprintf(dbarg, dbsize, "dbname=%s", db);
        argv[n++] = "--db";
        argv[n++] = dbarg;
    }
    argv[n] = NULL;
    return n;
}

int it_billrunv(const char *db, const char *log, const char *const *args)
{
    const char *argv[64];
    char dbarg[256];
    billrun_argv(db, args, argv, dbarg, sizeof(dbarg));
    return it_run(argv, log);
}

int it_billrun(const char *db, const char *log, ...)
{
    const char *args[60];
    size_t n = 0;
    va_list ap;
    va_start(ap, log);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 59)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return it_billrunv(db, log, args);
}

pid_t it_billrun_spawn(const char *db, const char *log, const char *const *args,
                       const char *const *env)
{
    const char *argv[64];
    char dbarg[256];
    billrun_argv(db, args, argv, dbarg, sizeof(dbarg));
    for (size_t i = 0; env && env[i]; i++) {
        char *kv = strdup(env[i]);
        char *eq = strchr(kv, '=');
        *eq = '\0';
        setenv(kv, eq + 1, 1);
        free(kv);
    }
    pid_t pid = it_spawn(argv, log);
    for (size_t i = 0; env && env[i]; i++) {
        char *kv = strdup(env[i]);
        *strchr(kv, '=') = '\0';
        unsetenv(kv);
        free(kv);
    }
    return pid;
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static PGconn *maintenance(void)
{
    PGconn *c = PQconnectdb("dbname=postgres");
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to PostgreSQL (dbname=postgres): %s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

void it_db_create(char *name, size_t size, const char *tag)
{
    snprintf(name, size, "billrun_it_%s_%ld", tag, (long)getpid());
    PGconn *c = maintenance();
    char sql[512];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("create database %s: %s", name, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

void it_db_drop(const char *name)
{
    PGconn *c = maintenance();
    char sql[512];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    PQclear(PQexec(c, sql));
    PQfinish(c);
}

PGconn *it_db_connect(const char *db)
{
    char ci[256];
    snprintf(ci, sizeof(ci), "dbname=%s", db);
    PGconn *c = PQconnectdb(ci);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect to %s: %s", db, PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

static PGresult *query(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r); /* the message is the connection's: it outlives the result */
        fail_msg("query failed: %s\n%s", PQerrorMessage(c), sql);
    }
    return r;
}

int64_t it_sql_int(PGconn *c, const char *sql)
{
    PGresult *r = query(c, sql);
    int64_t v =
        PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return v;
}

char *it_sql_text(PGconn *c, const char *sql)
{
    PGresult *r = query(c, sql);
    size_t cap = 1024, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    for (int i = 0; i < PQntuples(r); i++) {
        for (int j = 0; j < PQnfields(r); j++) {
            const char *v = PQgetisnull(r, i, j) ? "" : PQgetvalue(r, i, j);
            size_t need = n + strlen(v) + 3;
            if (need > cap) {
                cap = need * 2;
                out = realloc(out, cap);
                assert_non_null(out);
            }
            n += (size_t)snprintf(out + n, cap - n, "%s%s", j ? "|" : "", v);
        }
        if (n + 2 > cap) {
            cap = n * 2 + 2;
            out = realloc(out, cap);
        }
        out[n++] = '\n';
        out[n] = '\0';
    }
    PQclear(r);
    return out;
}

const char *it_sql_try(PGconn *c, const char *sql, char state[6])
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    state[0] = '\0';
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        snprintf(state, 6, "%s", st ? st : "?????");
    }
    PQclear(r);
    return state;
}

bool it_log_has(const char *log, const char *needle)
{
    char *t = it_read_file(log, NULL);
    bool has = t != NULL && strstr(t, needle) != NULL;
    free(t);
    return has;
}

void it_expect_log(const char *log, const char *needle, const char *what)
{
    if (it_log_has(log, needle))
        return;
    char *t = it_read_file(log, NULL);
    fail_msg("%s: the output lacks \"%s\":\n%s", what != NULL ? what : log, needle,
             t != NULL ? t : "(no log)");
}

void it_expect_rc(int rc, int want, const char *what, const char *log)
{
    if (rc == want)
        return;
    char *t = it_read_file(log, NULL);
    fail_msg("%s: exit %d, want %d\n%s", what, rc, want, t != NULL ? t : "(no log)");
}

void it_verify_ok(const char *db, const char *log)
{
    it_expect_rc(it_billrun(db, log, "verify", NULL), 0, "verify", log);
}
