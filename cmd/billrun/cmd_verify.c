/* billrun verify, billrun explain */
#include "cli.h"

#include "core/log.h"
#include "batch/explain.h"
#include "batch/verify.h"
#include "metrics.h"

#include <stdio.h>
#include <string.h>

int cmd_verify(struct br_cli *cli, int argc, char **argv)
{
    const struct br_verb *v = br_verb_find("verify");
    if (!br_cli_options(cli, v, &argc, argv, NULL, NULL))
        return BR_EXIT_USAGE;
    if (argc != 0)
        return br_cli_usage_error(v, "unexpected argument %s", argv[0]);
    struct br_db *db = NULL;
    struct br_error err = {0};
    struct br_verify_report rep;
    memset(&rep, 0, sizeof(rep));
    enum br_status st = br_cli_connect(cli, &db, &err);
    if (st == BR_OK)
        st = br_verify(db, &rep, &err);
    br_db_close(db);
    if (cli->metrics != NULL) {
        struct br_metrics m = {.verb = "verify",
                               .ok = st == BR_OK && rep.failed == 0,
                               .verify = st == BR_OK ? &rep : NULL};
        struct br_error merr = {0};
        if (br_metrics_write(cli->metrics, &m, &merr) != BR_OK) {
            br_log(BR_LOG_WARN, "metrics_not_written", "msg=%s", br_logq(merr.msg));
            fprintf(stderr, "%sbillrun: warning: %s\n", br_log_prio(BR_LOG_WARN), merr.msg);
        }
    }
    if (st != BR_OK)
        return br_cli_fail(&err);
    for (size_t i = 0; i < rep.n; i++)
        printf("%-6s %-28s %s\n", rep.checks[i].ok ? "ok" : "FAILED", rep.checks[i].name,
               rep.checks[i].detail);
    if (rep.failed) {
        fprintf(stderr, "%sbillrun verify: %zu check%s failed: the ledger is not intact\n",
                br_log_prio(BR_LOG_ERROR), rep.failed, rep.failed == 1 ? "" : "s");
        br_log(BR_LOG_ERROR, "verify_failed", "failed=%zu", rep.failed);
        return BR_EXIT_FAILED;
    }
    printf("billrun verify: all %zu checks passed\n", rep.n);
    return BR_EXIT_OK;
}

int cmd_explain(struct br_cli *cli, int argc, char **argv)
{
    const struct br_verb *v = br_verb_find("explain");
    static const char *const opts[] = {"--account", "--period", NULL};
    if (!br_cli_options(cli, v, &argc, argv, opts, NULL))
        return BR_EXIT_USAGE;
    const char *acct = br_cli_opt(argc, argv, "--account");
    const char *per = br_cli_opt(argc, argv, "--period");
    if (acct == NULL || per == NULL || argc != 4)
        return br_cli_usage_error(v, "--account ID and --period YYYY-MM are required");
    br_period p;
    if (!br_period_parse(per, strlen(per), &p))
        return br_cli_usage_error(v, "--period takes YYYY-MM, not %s", per);
    struct br_db *db = NULL;
    struct br_error err = {0};
    enum br_status st = br_cli_connect(cli, &db, &err);
    if (st == BR_OK)
        st = br_explain(db, acct, p, stdout, &err);
    br_db_close(db);
    return st == BR_OK ? BR_EXIT_OK : br_cli_fail(&err);
}
