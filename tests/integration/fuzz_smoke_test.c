/* The fuzz corpus and the regression inputs of tests/fuzz, replayed in every
 * build: through the libFuzzer binaries when BILLRUN_FUZZ_DIR names the fuzz
 * build (scripts/fuzz builds it in build-fuzz), else through the same target
 * code compiled in here against the library, a broken invariant failing the
 * test. One test per target. */
#include "it.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every target, its entry renamed, its failures made cmocka failures. */
#define FUZZ_ENTRY(name) fuzz_one_##name
#define FUZZ_FAIL(msg) fail_msg("fuzz invariant broken: %s", msg)
#include "../fuzz/fuzz_accounts.c"
#include "../fuzz/fuzz_chartmap.c"
#include "../fuzz/fuzz_csv.c"
#include "../fuzz/fuzz_decimal.c"
#include "../fuzz/fuzz_eas.c"
#include "../fuzz/fuzz_orders.c"
#include "../fuzz/fuzz_oss.c"
#include "../fuzz/fuzz_prices.c"
#include "../fuzz/fuzz_time.c"

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

struct target {
    const char *name;
    fuzz_fn fn;
};

static const struct target targets[] = {
    {"csv", fuzz_one_csv},           {"time", fuzz_one_time},     {"decimal", fuzz_one_decimal},
    {"accounts", fuzz_one_accounts}, {"prices", fuzz_one_prices}, {"orders", fuzz_one_orders},
    {"eas", fuzz_one_eas},           {"oss", fuzz_one_oss},       {"chartmap", fuzz_one_chartmap},
};

/* Runs every regular file of dir through fn; returns how many. */
static size_t replay_dir(const char *dir, fuzz_fn fn)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0; /* a target without regressions yet */
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        size_t len = 0;
        char *data = it_read_file(path, &len);
        assert_non_null(data);
        print_message("replay %s\n", path);
        fn((const uint8_t *)data, len);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

/* The libFuzzer binary of a target in the fuzz build, or NULL. */
static const char *fuzz_binary(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("BILLRUN_FUZZ_DIR");
    if (dir == NULL || dir[0] == '\0')
        return NULL;
    const char *layouts[] = {"%s/tests/fuzz/fuzz_%s", "%s/fuzz_%s"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(buf, size, layouts[i], dir, name);
        if (access(buf, X_OK) == 0)
            return buf;
    }
    fail_msg("BILLRUN_FUZZ_DIR=%s has no fuzz_%s", dir, name);
    return NULL;
}

static void replay(void **state)
{
    const struct target *t = *state;
    char corpus[4096], regress[4096], bin[4096], log[4096];
    snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/%s", it_source_dir(), t->name);
    snprintf(regress, sizeof(regress), "%s/tests/fuzz/regressions/%s", it_source_dir(), t->name);
    if (fuzz_binary(t->name, bin, sizeof(bin)) != NULL) {
        char *dir = it_tmpdir("fuzz");
        snprintf(log, sizeof(log), "%s/log", dir);
        struct stat sb;
        bool has_regress = stat(regress, &sb) == 0 && S_ISDIR(sb.st_mode);
        const char *argv[] = {bin, "-runs=0", corpus, has_regress ? regress : NULL, NULL};
        int rc = it_run(argv, log);
        if (rc != 0)
            fail_msg("%s exited %d: %s", bin, rc, it_read_file(log, NULL));
        it_rm(dir);
        free(dir);
        return;
    }
    size_t n = replay_dir(corpus, t->fn);
    assert_true(n > 0); /* the seed corpus exists */
    replay_dir(regress, t->fn);
}

int main(void)
{
    struct CMUnitTest tests[sizeof(targets) / sizeof(*targets)];
    for (size_t i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
        tests[i] = (struct CMUnitTest){
            .name = targets[i].name, .test_func = replay, .initial_state = (void *)&targets[i]};
    }
    return cmocka_run_group_tests_name("fuzz_smoke", tests, NULL, NULL);
}
