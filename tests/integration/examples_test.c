/* The spec's worked examples (tests/examples/): one cmocka test per
 * scenario, each on a fresh database through tests/run-examples.sh. */
#include "it.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void scenario(void **state)
{
    const char *name = *state;
    char script[4096], log[4096];
    snprintf(script, sizeof(script), "%s/tests/run-examples.sh", it_source_dir());
    char *dir = it_tmpdir("ex");
    snprintf(log, sizeof(log), "%s/log", dir);
    const char *argv[] = {"bash", script, it_env("BILLRUN_BIN"), name, NULL};
    int rc = it_run(argv, log);
    char *out = it_read_file(log, NULL);
    if (rc != 0 || out == NULL || strstr(out, "1 passed, 0 failed") == NULL)
        fail_msg("scenario %s failed:\n%s", name, out ? out : "(no output)");
    free(out);
    it_rm(dir);
    free(dir);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    char root[4096];
    snprintf(root, sizeof(root), "%s/tests/examples", it_source_dir());
    char *names[256];
    size_t n = 0;
    DIR *d = opendir(root);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < 256) {
        if (e->d_name[0] == '.')
            continue;
        char sub[8192];
        snprintf(sub, sizeof(sub), "%s/%.255s", root, e->d_name);
        DIR *s = opendir(sub);
        struct dirent *f;
        while (s && (f = readdir(s)) != NULL && n < 256) {
            size_t l = strlen(f->d_name);
            if (l < 6 || strcmp(f->d_name + l - 5, ".test") != 0)
                continue;
            char *nm = malloc(512);
            snprintf(nm, 512, "%.200s/%.*s", e->d_name, (int)(l - 5 > 200 ? 200 : l - 5),
                     f->d_name);
            names[n++] = nm;
        }
        if (s)
            closedir(s);
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof(*names), by_name);
    struct CMUnitTest *tests = calloc(n + 1, sizeof(*tests));
    for (size_t i = 0; i < n; i++)
        tests[i] =
            (struct CMUnitTest){.name = names[i], .test_func = scenario, .initial_state = names[i]};
    int rc = _cmocka_run_group_tests("examples", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(tests);
    return n == 0 ? 1 : rc;
}
