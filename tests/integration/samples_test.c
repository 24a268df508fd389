/* The sample month: every view equals the CSV files of samples/expected
 * after the night's run and the November close (tests/run-samples.sh). */
#include "it.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void samples_equal_expected(void **state)
{
    (void)state;
    char script[4096], log[4096];
    snprintf(script, sizeof(script), "%s/tests/run-samples.sh", it_source_dir());
    char *dir = it_tmpdir("samples");
    snprintf(log, sizeof(log), "%s/log", dir);
    const char *argv[] = {"bash", script, it_env("BILLRUN_BIN"), NULL};
    int rc = it_run(argv, log);
    char *out = it_read_file(log, NULL);
    if (rc != 0)
        fail_msg("samples differ from samples/expected:\n%s", out ? out : "");
    assert_non_null(strstr(out, "all views equal"));
    free(out);
    it_rm(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(samples_equal_expected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
