/* Operations (issue: the newcomer's first ten minutes, cron, object storage,
 * logs and metrics): each case runs one script of tests/ops/ against the
 * PostgreSQL of the PG* variables and this build's billrun:
 *   readme     every sh block of README.md for real (the Debian package
 *              installed on this machine), then its sql blocks as the auditor
 *   fetch      scripts/fetch-exports against a local bucket, broken transfers
 *   schedule   the systemd units and their sandbox scores, the crontab,
 *              sysusers and tmpfiles, billrun-close-previous
 *   reprocess  rejects rated once their account or price arrives
 *   observe    --metrics-file through promtool, logs, the progress line,
 *              build info, verify's metrics, journald priorities
 *   install    cmake --install, cpack -G DEB, a default build, the manual
 *              pages, --help of every verb
 *   jobs       the package installed as the README says, the nightly run,
 *              the close and the verify as the user billrun (issue #17)
 *   locks      --wait, --no-wait, --lock-timeout, TCP keepalives
 *   modes      0640 files and 0750 folders whatever the umask
 * readme and jobs install the package on this machine (as root, one at a
 * time) and remove it afterwards. */
#include "it.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints the end of a failed script's log (the failing check is last). */
static void show_tail(const char *log)
{
    size_t len = 0;
    char *text = it_read_file(log, &len);
    if (text == NULL)
        return;
    size_t from = len > 12000 ? len - 12000 : 0;
    fprintf(stderr, "---- %s (last %zu bytes)\n%s\n----\n", log, len - from, text + from);
    free(text);
}

static void run_script(const char *name)
{
    char script[4096], log[4096];
    snprintf(script, sizeof(script), "%s/tests/ops/%s.sh", it_source_dir(), name);
    char *dir = it_tmpdir("ops");
    snprintf(log, sizeof(log), "%s/%s.log", dir, name);
    const char *argv[] = {"bash", script, NULL};
    int rc = it_run(argv, log);
    if (rc != 0) {
        show_tail(log);
        it_rm(dir);
        free(dir);
        fail_msg("tests/ops/%s.sh exited %d", name, rc);
    }
    it_rm(dir);
    free(dir);
}

static void readme_commands(void **state)
{
    (void)state;
    run_script("readme");
}

static void fetch_exports(void **state)
{
    (void)state;
    run_script("fetch");
}

static void schedule(void **state)
{
    (void)state;
    run_script("schedule");
}

static void reprocess_rejects(void **state)
{
    (void)state;
    run_script("reprocess");
}

static void metrics_logs_progress(void **state)
{
    (void)state;
    run_script("observe");
}

static void install_and_manual(void **state)
{
    (void)state;
    run_script("install");
}

static void jobs_as_billrun(void **state)
{
    (void)state;
    run_script("jobs");
}

static void locks_and_keepalives(void **state)
{
    (void)state;
    run_script("locks");
}

static void file_modes(void **state)
{
    (void)state;
    run_script("modes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readme_commands),
        cmocka_unit_test(fetch_exports),
        cmocka_unit_test(schedule),
        cmocka_unit_test(reprocess_rejects),
        cmocka_unit_test(metrics_logs_progress),
        cmocka_unit_test(install_and_manual),
        cmocka_unit_test(jobs_as_billrun),
        cmocka_unit_test(locks_and_keepalives),
        cmocka_unit_test(file_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
