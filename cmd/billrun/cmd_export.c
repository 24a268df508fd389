/* billrun export */
#include "cli.h"

#include "batch/export.h"
#include "core/btime.h"
#include "core/log.h"
#include "core/money.h"

#include <stdio.h>
#include <string.h>

static void print_summary(const char *per, const struct br_export_summary *s)
{
    char total[40];
    br_e8_format(s->total_e8, total, sizeof(total));
    printf("billrun export: %s %s: %zu vouchers, %zu lines, %zu accounts, debits = credits = %s "
           "CNY\nfiles     %s\n          %s\n",
           per, s->closed ? "(closed, final)" : "(open)", s->vouchers, s->lines, s->accounts, total,
           s->journal, s->trial_balance);
    if (s->closed)
        return;
    char as_of[40] = "no run yet";
    if (s->last_as_of != INT64_MIN)
        br_time_format(s->last_as_of, s->tz_offset_s, as_of, sizeof(as_of));
    printf("note      %s is open: these are its postings so far (every batch through %lld; the "
           "last run as of %s); later runs and the close add to them. Export it again once "
           "it is closed for its final journal.\n",
           per, (long long)s->last_batch, as_of);
}

int cmd_export(struct br_cli *cli, int argc, char **argv)
{
    const struct br_verb *v = br_verb_find("export");
    static const char *const opts[] = {"--period", "--out", "--chart-map", NULL};
    static const char *const flags[] = {"--bom", NULL};
    if (!br_cli_options(cli, v, &argc, argv, opts, flags))
        return BR_EXIT_USAGE;
    const char *per = br_cli_opt(argc, argv, "--period");
    const char *out = br_cli_opt(argc, argv, "--out");
    const char *map = br_cli_opt(argc, argv, "--chart-map");
    bool bom = br_cli_flag(argc, argv, "--bom");
    if (per == NULL || out == NULL)
        return br_cli_usage_error(v, "--period YYYY-MM and --out DIR are required");
    if (argc != 4 + (map ? 2 : 0) + bom)
        return br_cli_usage_error(v, "unexpected argument");
    struct br_export_opts o = {.out_dir = out, .chart_map = map, .bom = bom};
    if (!br_period_parse(per, strlen(per), &o.period))
        return br_cli_usage_error(v, "--period takes YYYY-MM, not %s", per);
    struct br_db *db = NULL;
    struct br_error err = {0};
    struct br_export_summary s;
    enum br_status st = br_cli_connect(cli, &db, &err);
    if (st == BR_OK)
        st = br_export(db, &o, &s, &err);
    br_db_close(db);
    if (st != BR_OK)
        return br_cli_fail(&err);
    print_summary(per, &s);
    br_log(BR_LOG_INFO, "export_done", "period=%s closed=%d vouchers=%zu lines=%zu", per,
           (int)s.closed, s.vouchers, s.lines);
    return BR_EXIT_OK;
}
