/* Option parsing and output helpers shared by the verbs. */
#include "cli.h"

#include "core/btime.h"
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

static bool in_list(const char *const *list, const char *name, size_t n)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strlen(list[i]) == n && strncmp(list[i], name, n) == 0)
            return true;
    return false;
}

static const char *const common_values[] = {"--db", "--metrics-file", "--threads", NULL};

bool br_cli_options(struct br_cli *cli, const struct br_verb *verb, int *argc, char **argv,
                    const char *const *extra, const char *const *flags)
{
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            argv[out++] = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            br_cli_verb_help(verb);
            exit(BR_EXIT_OK);
        }
        if (strcmp(a, "--quiet") == 0) {
            br_log_set_level(BR_LOG_WARN);
            continue;
        }
        if (strcmp(a, "--verbose") == 0) {
            br_log_set_level(BR_LOG_DEBUG);
            continue;
        }
        bool common = in_list(common_values, a, n);
        bool valued = common || in_list(extra, a, n);
        if (!valued) {
            if (in_list(flags, a, n) && !eq) {
                argv[out++] = a;
                continue;
            }
            br_cli_usage_error(verb, "unknown option %.*s", (int)n, a);
            return false;
        }
        const char *val = eq ? eq + 1 : (i + 1 < *argc ? argv[i + 1] : NULL);
        if (val == NULL) {
            br_cli_usage_error(verb, "option %.*s needs a value", (int)n, a);
            return false;
        }
        if (!eq)
            i++;
        if (common) {
            if (strncmp(a, "--db", n) == 0 && n == 4)
                cli->db = val;
            else if (strncmp(a, "--metrics-file", n) == 0)
                cli->metrics = val;
            else {
                char *end;
                long t = strtol(val, &end, 10);
                if (*end || t < 1 || t > 16) {
                    br_cli_usage_error(verb, "--threads takes 1 to 16");
                    return false;
                }
                cli->threads = (int)t;
            }
            continue;
        }
        /* keep verb options normalised as "--name" "value" */
        if (eq) {
            *(char *)eq = '\0';
            argv[out++] = a;
            argv[out++] = (char *)val;
        } else {
            argv[out++] = a;
            argv[out++] = (char *)val;
        }
    }
    *argc = out;
    return true;
}

const char *br_cli_opt(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

bool br_cli_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

void br_cli_test_pause(const char *stage)
{
    const char *p = getenv("BILLRUN_TEST_PAUSE");
    size_t n = strlen(stage);
    if (p && strncmp(p, stage, n) == 0 && p[n] == ':') {
        char *end;
        unsigned long v = strtoul(p + n + 1, &end, 10);
        unsigned s = *end == '\0' && v <= 3600 ? (unsigned)v : 0;
        br_log(BR_LOG_INFO, "test_pause", "stage=%s seconds=%u", stage, s);
        sleep(s);
    }
}

bool br_cli_wait(const struct br_verb *verb, int argc, char **argv, bool *no_wait, int *timeout_s,
                 int *used)
{
    bool wait = br_cli_flag(argc, argv, "--wait");
    *no_wait = br_cli_flag(argc, argv, "--no-wait");
    const char *t = br_cli_opt(argc, argv, "--lock-timeout");
    *used = wait + *no_wait + (t ? 2 : 0);
    *timeout_s = 600;
    if (wait && *no_wait) {
        br_cli_usage_error(verb, "--wait and --no-wait contradict each other");
        return false;
    }
    if (t != NULL) {
        char *end;
        long v = strtol(t, &end, 10);
        if (*t == '\0' || *end != '\0' || v < 1 || v > 86400) {
            br_cli_usage_error(verb, "--lock-timeout takes whole seconds, 1 to 86400, not %s", t);
            return false;
        }
        *timeout_s = (int)v;
    }
    return true;
}

int br_cli_usage_error(const struct br_verb *verb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%sbillrun %s: ", br_log_prio(BR_LOG_ERROR), verb->name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%susage: %s\n", br_log_prio(BR_LOG_ERROR), verb->usage);
    return BR_EXIT_USAGE;
}

int br_cli_fail(const struct br_error *err)
{
    br_log(BR_LOG_ERROR, "failed", "status=%s msg=%s", br_status_str(err->status),
           br_logq(err->msg));
    fprintf(stderr, "%sbillrun: %s\n", br_log_prio(BR_LOG_ERROR), err->msg);
    return err->status == BR_ERR_USAGE ? BR_EXIT_USAGE : BR_EXIT_FAILED;
}

void br_cli_verb_help(const struct br_verb *verb)
{
    printf("usage: %s\n%s\n\nCommon options: --db CONNINFO (else libpq's PG* variables), "
           "--quiet, --verbose,\n--threads N (1-16, default 2) and --metrics-file PATH where "
           "the verb uses them, --help.\nExit codes: 0 done; 3 done with rejected rows or "
           "refused files; 1 failed, nothing\ncommitted; 2 bad invocation. See billrun(1).\n",
           verb->usage, verb->summary);
}

enum br_status br_cli_connect(const struct br_cli *cli, struct br_db **db, struct br_error *err)
{
    return br_db_connect(db, cli->db, err);
}

bool br_cli_time(const char *s, int64_t *out)
{
    if (strcmp(s, "now") == 0) {
        *out = (int64_t)time(NULL);
        return true;
    }
    return br_time_parse(s, strlen(s), out);
}
