/* The hostile input catalogue (tests/hostile, see its README): one test per
 * case folder. Each copies its case, runs the case's generate script (inputs
 * too big to commit), runs `billrun run` on a fresh database and compares the
 * exit code, billing.source_files, billing.rejects and the case's SQL checks
 * with its `expected` file, bounds the run's peak RSS where asked, and ends
 * with `billrun verify`. No case may crash billrun. */
#include "it.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define AS_OF "2026-12-01T00:00:00+08:00"
#define MAX_LINES 512
#define MAX_CHECKS 32

struct expected {
    int exit_code;
    long max_rss_mb; /* 0: not bounded */
    char *files[MAX_LINES], *rejects[MAX_LINES];
    size_t nfiles, nrejects;
    char *sql[MAX_CHECKS], *want[MAX_CHECKS];
    size_t nsql, nwant;
    char *logs[MAX_CHECKS]; /* text the run's output must contain */
    size_t nlogs;
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* "a | b | c" -> "a|b|c", each field trimmed; exactly nfields fields. */
static char *table_row(const char *path, char *value, size_t nfields)
{
    char out[4096] = "";
    size_t n = 0, fields = 0;
    char *p = value;
    for (;;) {
        char *bar = strchr(p, '|');
        if (bar != NULL)
            *bar = '\0';
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", fields ? "|" : "", trim(p));
        fields++;
        if (bar == NULL)
            break;
        p = bar + 1;
    }
    if (fields != nfields || n >= sizeof(out))
        fail_msg("%s: '%s' needs %zu fields separated by |", path, value, nfields);
    return strdup(out);
}

static void parse_expected(const char *path, struct expected *e)
{
    memset(e, 0, sizeof(*e));
    e->exit_code = -1;
    char *text = it_read_file(path, NULL);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *l = trim(line);
        if (l[0] == '\0' || l[0] == '#')
            continue;
        char *colon = strchr(l, ':');
        if (colon == NULL)
            fail_msg("%s: '%s' is not key: value", path, l);
        *colon = '\0';
        char *key = trim(l), *value = trim(colon + 1);
        if (strcmp(key, "exit") == 0) {
            e->exit_code = atoi(value);
        } else if (strcmp(key, "max_rss_mb") == 0) {
            e->max_rss_mb = atol(value);
        } else if (strcmp(key, "file") == 0 && e->nfiles < MAX_LINES) {
            e->files[e->nfiles++] = table_row(path, value, 6);
        } else if (strcmp(key, "reject") == 0 && e->nrejects < MAX_LINES) {
            e->rejects[e->nrejects++] = table_row(path, value, 3);
        } else if (strcmp(key, "sql") == 0 && e->nsql < MAX_CHECKS) {
            e->sql[e->nsql++] = strdup(value);
        } else if (strcmp(key, "want") == 0 && e->nwant < MAX_CHECKS) {
            e->want[e->nwant++] = strdup(value);
        } else if (strcmp(key, "log") == 0 && e->nlogs < MAX_CHECKS) {
            e->logs[e->nlogs++] = strdup(value);
        } else {
            fail_msg("%s: unknown key '%s' (or too many)", path, key);
        }
    }
    free(text);
    if (e->exit_code < 0)
        fail_msg("%s: no exit: line", path);
    if (e->nsql != e->nwant)
        fail_msg("%s: every sql: needs its want:", path);
}

static void free_expected(struct expected *e)
{
    for (size_t i = 0; i < e->nfiles; i++)
        free(e->files[i]);
    for (size_t i = 0; i < e->nrejects; i++)
        free(e->rejects[i]);
    for (size_t i = 0; i < e->nsql; i++) {
        free(e->sql[i]);
        free(e->want[i]);
    }
    for (size_t i = 0; i < e->nlogs; i++)
        free(e->logs[i]);
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines sorted bytewise and joined with '\n' (caller frees). */
static char *sorted_text(char **lines, size_t n)
{
    qsort(lines, n, sizeof(*lines), by_str);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(lines[i]) + 1;
    char *out = malloc(len);
    assert_non_null(out);
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, len - o, "%s\n", lines[i]);
    out[o] = '\0';
    return out;
}

/* A query's rows (it_sql_text) sorted bytewise (caller frees). */
static char *sorted_rows(PGconn *c, const char *sql)
{
    char *text = it_sql_text(c, sql);
    size_t n = 0, cap = 16;
    char **lines = malloc(cap * sizeof(*lines));
    assert_non_null(lines);
    for (char *l = strtok(text, "\n"); l != NULL; l = strtok(NULL, "\n")) {
        if (n == cap) {
            cap *= 2;
            lines = realloc(lines, cap * sizeof(*lines));
            assert_non_null(lines);
        }
        lines[n++] = l;
    }
    char *out = sorted_text(lines, n);
    free(lines);
    free(text);
    return out;
}

static void compare(const char *what, const char *want, const char *got)
{
    if (strcmp(want, got) != 0)
        fail_msg("%s differ.\n--- expected\n%.4000s--- got\n%.4000s", what, want, got);
}

/* Runs `billrun run` on inbox; returns its exit code. */
static int run_billrun(const char *db, const char *inbox, const char *log)
{
    char dbarg[256];
    snprintf(dbarg, sizeof(dbarg), "dbname=%s", db);
    const char *argv[] = {
        it_env("BILLRUN_BIN"), "run", "--inbox", inbox, "--as-of", AS_OF, "--db", dbarg, NULL};
    pid_t pid = it_spawn(argv, log);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* The run's own peak RSS, from its run_done log line (VmHWM of billrun's
 * image): wait4's ru_maxrss would count this test process as it was when
 * forked, which grows from case to case under ASan. -1 when not logged. */
static long logged_peak_kib(const char *out)
{
    const char *p = out ? strstr(out, "event=run_done ") : NULL;
    p = p ? strstr(p, "peak_rss_kib=") : NULL;
    return p ? strtol(p + strlen("peak_rss_kib="), NULL, 10) : -1;
}

/* The case folder copied whole (its inbox keeps symlinks and folders), then
 * its generate script run on the copy's inbox. */
static void stage_case(const char *name, const char *dir, char *inbox, size_t size)
{
    char src[4096], copy[4096], gen[4096];
    snprintf(src, sizeof(src), "%s/tests/hostile/%s", it_source_dir(), name);
    snprintf(copy, sizeof(copy), "%s/case", dir);
    const char *cp[] = {"cp", "-a", src, copy, NULL};
    assert_int_equal(it_run(cp, NULL), 0);
    snprintf(inbox, size, "%s/inbox", copy);
    snprintf(gen, sizeof(gen), "%s/generate", copy);
    if (access(gen, X_OK) == 0) {
        char log[4096];
        snprintf(log, sizeof(log), "%s/generate.log", dir);
        const char *argv[] = {gen, inbox, NULL};
        if (it_run(argv, log) != 0)
            fail_msg("%s/generate failed: %s", name, it_read_file(log, NULL));
    }
}

/* A case being run: what its teardown removes, pass or fail. */
struct hcase {
    const char *name;
    char *dir; /* the temporary folder */
    char db[128];
};

static int teardown(void **state)
{
    struct hcase *h = *state;
    if (h->db[0] != '\0')
        it_db_drop(h->db);
    if (h->dir != NULL)
        it_rm(h->dir);
    free(h->dir);
    h->dir = NULL;
    h->db[0] = '\0';
    return 0;
}

static void check_case(void **state)
{
    struct hcase *h = *state;
    const char *name = h->name;
    char path[4096], inbox[4096], log[4096], copy[4096], tag[32];
    snprintf(path, sizeof(path), "%s/tests/hostile/%s/expected", it_source_dir(), name);
    struct expected e;
    parse_expected(path, &e);
    h->dir = it_tmpdir("hostile");
    stage_case(name, h->dir, inbox, sizeof(inbox));
    snprintf(tag, sizeof(tag), "hostile%.2s", name);
    it_db_create(h->db, sizeof(h->db), tag);
    const char *db = h->db;
    snprintf(log, sizeof(log), "%s/billrun.log", h->dir);
    assert_int_equal(it_billrun(db, log, "db", "init", NULL), 0);
    int rc = run_billrun(db, inbox, log);
    snprintf(copy, sizeof(copy), "%s/case", h->dir);
    it_rm(copy); /* the generated inputs are big: gone before the checks */
    char *out = it_read_file(log, NULL);
    long rss_kb = logged_peak_kib(out);
    print_message("%s: exit %d, peak RSS %ld MB\n", name, rc, rss_kb < 0 ? -1 : rss_kb / 1024);
    if (rc != e.exit_code)
        fail_msg("%s: billrun run exited %d, want %d:\n%.4000s", name, rc, e.exit_code,
                 it_read_file(log, NULL));
    for (size_t i = 0; i < e.nlogs; i++)
        if (out == NULL || strstr(out, e.logs[i]) == NULL)
            fail_msg("%s: the run's output lacks '%s':\n%.4000s", name, e.logs[i],
                     out ? out : "(none)");
    free(out);
    if (e.max_rss_mb > 0 && rss_kb < 0)
        fail_msg("%s: the run logged no peak_rss_kib to bound", name);
    if (e.max_rss_mb > 0 && rss_kb > e.max_rss_mb * 1024)
        fail_msg("%s: peak RSS %ld KB, bound %ld MB", name, rss_kb, e.max_rss_mb);
    PGconn *c = it_db_connect(db);
    char *got = sorted_rows(c, "SELECT name, status, coalesce(reason, '-'), rows, accepted, "
                               "rejected FROM billing.source_files");
    char *want = sorted_text(e.files, e.nfiles);
    compare("billing.source_files", want, got);
    free(got);
    free(want);
    got = sorted_rows(c, "SELECT file, line, reason FROM billing.rejects");
    want = sorted_text(e.rejects, e.nrejects);
    compare("billing.rejects", want, got);
    free(got);
    free(want);
    for (size_t i = 0; i < e.nsql; i++) {
        got = it_sql_text(c, e.sql[i]);
        size_t n = strlen(got);
        if (n > 0 && got[n - 1] == '\n')
            got[n - 1] = '\0';
        if (strcmp(got, e.want[i]) != 0)
            fail_msg("%s: %s\n  gave '%s'\n  want '%s'", name, e.sql[i], got, e.want[i]);
        free(got);
    }
    PQfinish(c);
    if (it_billrun(db, log, "verify", NULL) != 0)
        fail_msg("%s: billrun verify failed: %s", name, it_read_file(log, NULL));
    free_expected(&e);
}

/* Case folders (those with an `expected` file), sorted. */
static size_t list_cases(char ***out)
{
    char root[4096];
    snprintf(root, sizeof(root), "%s/tests/hostile", it_source_dir());
    DIR *d = opendir(root);
    if (d == NULL)
        fail_msg("cannot open %s", root);
    size_t n = 0, cap = 64;
    char **names = malloc(cap * sizeof(*names));
    assert_non_null(names);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s/expected", root, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (n == cap) {
            cap *= 2;
            names = realloc(names, cap * sizeof(*names));
            assert_non_null(names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_str);
    *out = names;
    return n;
}

int main(void)
{
    char **names;
    size_t n = list_cases(&names);
    struct CMUnitTest *tests = calloc(n + 1, sizeof(*tests));
    struct hcase *cases = calloc(n + 1, sizeof(*cases));
    assert_non_null(tests);
    assert_non_null(cases);
    for (size_t i = 0; i < n; i++) {
        cases[i].name = names[i];
        tests[i] = (struct CMUnitTest){.name = names[i],
                                       .test_func = check_case,
                                       .teardown_func = teardown,
                                       .initial_state = &cases[i]};
    }
    const char *filter = getenv("HOSTILE_CASE"); /* e.g. HOSTILE_CASE='07*' */
    if (filter != NULL && filter[0] != '\0')
        cmocka_set_test_filter(filter);
    int rc = _cmocka_run_group_tests("hostile", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(tests);
    free(cases);
    return rc;
}
