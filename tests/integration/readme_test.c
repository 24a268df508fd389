/* The README's two set-up commands, as a newcomer runs them: in a fresh clone
 * of the repository (committed files only, nothing beside it), `scripts/demo`
 * leaves the invoices and the summary in out/demo/2026-11/, starting its own
 * throwaway PostgreSQL (without the PG* variables of the cluster this test
 * was given); and `scripts/test` is what CI runs (.ci/run), builds in the
 * clone and finds the whole suite there (`scripts/test --list`). The suite
 * itself is this one: it is not run again inside itself. */
#include "it.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *clone_dir;

static int clone_repo(void **state)
{
    (void)state;
    char *dir = it_tmpdir("readme");
    clone_dir = malloc(4096);
    assert_non_null(clone_dir);
    snprintf(clone_dir, 4096, "%s/billrun", dir);
    const char *argv[] = {"git", "clone", "--quiet", it_source_dir(), clone_dir, NULL};
    assert_int_equal(it_run(argv, NULL), 0);
    free(dir);
    return 0;
}

static int remove_clone(void **state)
{
    (void)state;
    char *parent = strdup(clone_dir);
    *strrchr(parent, '/') = '\0';
    it_rm(parent);
    free(parent);
    free(clone_dir);
    return 0;
}

/* Runs `cd CLONE && COMMAND` as on a fresh machine: no PG* variables (the
 * scripts make their own cluster), `extra` (NAME=VALUE or NULL) set. */
static int run_in_clone(const char *command, const char *extra, const char *log)
{
    static const char *const unset[] = {
        "PGHOST",    "PGPORT",       "PGUSER",    "PGPASSWORD", "PGDATABASE",          "PGSERVICE",
        "PGOPTIONS", "PGSYSCONFDIR", "PGVERSION", "PG_CONFIG",  "PG_CLUSTER_CONF_ROOT"};
    char script[256];
    snprintf(script, sizeof(script), "cd \"$1\" && exec %s", command);
    const char *argv[64];
    size_t n = 0;
    argv[n++] = "env";
    for (size_t i = 0; i < sizeof(unset) / sizeof(*unset); i++) {
        argv[n++] = "-u";
        argv[n++] = unset[i];
    }
    if (extra != NULL)
        argv[n++] = extra;
    argv[n++] = "sh";
    argv[n++] = "-c";
    argv[n++] = script;
    argv[n++] = "sh";
    argv[n++] = clone_dir;
    argv[n] = NULL;
    return it_run(argv, log);
}

/* Shows why a script failed: ctest's verdict lines and the end of its log
 * (whose very end is often the server log pg_virtualenv prints), and keeps
 * the whole log beside the clone's folder, which is removed. */
static void fail_with_log(const char *what, int rc, const char *log)
{
    size_t len = 0;
    char *text = it_read_file(log, &len);
    fprintf(stderr, "---- %s: ctest's verdicts\n", log);
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strstr(line, "***") || strstr(line, "(Failed)") || strstr(line, "tests passed") ||
            strstr(line, "FAIL") || strstr(line, "rror"))
            fprintf(stderr, "%s\n", line);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    text = it_read_file(log, &len);
    size_t from = text && len > 4000 ? len - 4000 : 0;
    fprintf(stderr, "---- %s (end)\n%s\n----\n", log, text ? text + from : "(no log)");
    free(text);
    const char *tmp = getenv("TMPDIR");
    char keep[4096];
    snprintf(keep, sizeof(keep), "%s/billrun-readme-test-%s.log", tmp ? tmp : "/tmp",
             strchr(what, '/') ? strchr(what, '/') + 1 : what);
    const char *cp[] = {"cp", log, keep, NULL};
    it_run(cp, NULL);
    fail_msg("%s exited %d (whole log: %s)", what, rc, keep);
}

/* The README shows the command in a sh block of its own. */
static void readme_has_block(const char *command)
{
    char path[4096], block[128];
    snprintf(path, sizeof(path), "%s/README.md", clone_dir);
    char *text = it_read_file(path, NULL);
    if (text == NULL)
        fail_msg("the clone has no README.md (is it committed?)");
    snprintf(block, sizeof(block), "```sh\n%s\n```\n", command);
    if (strstr(text, block) == NULL)
        fail_msg("README.md has no sh block with exactly `%s`", command);
    free(text);
}

static size_t count_prefix(const char *dir, const char *prefix, const char *suffix)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), sl = strlen(suffix);
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && len > sl &&
            strcmp(e->d_name + len - sl, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void demo(void **state)
{
    (void)state;
    readme_has_block("scripts/demo");
    char log[4096], out[4096], summary[4096];
    snprintf(log, sizeof(log), "%s/../demo.log", clone_dir);
    int rc = run_in_clone("scripts/demo", NULL, log);
    if (rc != 0)
        fail_with_log("scripts/demo", rc, log);
    snprintf(out, sizeof(out), "%s/out/demo/2026-11", clone_dir);
    snprintf(summary, sizeof(summary), "%s/summary-202611.xlsx", out);
    struct stat sb;
    if (stat(summary, &sb) != 0 || sb.st_size == 0)
        fail_msg("scripts/demo left no %s", summary);
    assert_int_equal(count_prefix(out, "INV-202611-", ".xlsx"), 5);
    char *text = it_read_file(log, NULL);
    assert_non_null(strstr(text, "the invoices and the period summary are in"));
    assert_non_null(strstr(text, "billrun verify: all"));
    free(text);
}

/* The ctest list of a build folder: the number of tests it holds. */
static long tests_listed(const char *text)
{
    const char *p = strstr(text, "Total Tests: ");
    return p != NULL ? strtol(p + strlen("Total Tests: "), NULL, 10) : -1;
}

static void test_suite(void **state)
{
    (void)state;
    readme_has_block("scripts/test");
    char path[4096];
    snprintf(path, sizeof(path), "%s/.ci/run", clone_dir);
    char *ci = it_read_file(path, NULL);
    if (ci == NULL || strstr(ci, "exec scripts/test\n") == NULL)
        fail_msg(".ci/run does not run scripts/test");
    free(ci);
    char log[4096];
    snprintf(log, sizeof(log), "%s/../test-list.log", clone_dir);
    int rc = run_in_clone("scripts/test --list", NULL, log);
    if (rc != 0)
        fail_with_log("scripts/test --list", rc, log);
    char *text = it_read_file(log, NULL);
    assert_non_null(text);
    /* the clone holds the suite this build runs */
    char here[4096];
    snprintf(here, sizeof(here), "%s/../here-list.log", clone_dir);
    const char *argv[] = {"ctest", "--test-dir", it_env("BILLRUN_BUILD_DIR"), "-N", NULL};
    assert_int_equal(it_run(argv, here), 0);
    char *mine = it_read_file(here, NULL);
    assert_non_null(mine);
    long n = tests_listed(text);
    if (n < 20 || n != tests_listed(mine))
        fail_msg("the clone lists %ld tests, this build %ld", n, tests_listed(mine));
    free(text);
    free(mine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(demo),
        cmocka_unit_test(test_suite),
    };
    return cmocka_run_group_tests(tests, clone_repo, remove_clone);
}
