/* billrun db init */
#include "cli.h"

#include "core/btime.h"
#include "core/log.h"
#include "store/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_db(struct br_cli *cli, int argc, char **argv)
{
    const struct br_verb *v = br_verb_find("db");
    static const char *const opts[] = {"--tz-offset", "--late-days", NULL};
    if (!br_cli_options(cli, v, &argc, argv, opts, NULL))
        return BR_EXIT_USAGE;
    if (argc < 1 || strcmp(argv[0], "init") != 0)
        return br_cli_usage_error(v, "expected `db init`");
    const char *tz = br_cli_opt(argc, argv, "--tz-offset");
    const char *late = br_cli_opt(argc, argv, "--late-days");
    if (argc != 1 + (tz ? 2 : 0) + (late ? 2 : 0))
        return br_cli_usage_error(v, "unexpected argument");
    struct br_schema_opts o = {.has_tz = tz != NULL};
    if (tz && !br_offset_parse(tz, strlen(tz), &o.tz_offset_s))
        return br_cli_usage_error(v, "--tz-offset takes +HH:MM or -HH:MM, not %s", tz);
    if (late) {
        char *end;
        long d = strtol(late, &end, 10);
        if (*end != '\0' || end == late || d < 1 || d > 366)
            return br_cli_usage_error(v, "--late-days takes a whole number of days, 1 to 366");
        o.late_days = (int32_t)d;
    }
    struct br_db *db = NULL;
    struct br_error err;
    int applied = 0;
    enum br_status st = br_cli_connect(cli, &db, &err);
    if (st == BR_OK)
        st = br_schema_init(db, &o, &applied, &err);
    struct br_settings s = {0};
    if (st == BR_OK)
        st = br_schema_settings(db, &s, &err);
    br_db_close(db);
    if (st != BR_OK)
        return br_cli_fail(&err);
    br_log(BR_LOG_INFO, "db_init", "migrations_applied=%d", applied);
    int32_t cur = s.tz_offset_s;
    printf("billrun db init: schema ready (%d migration%s applied now), billing calendar "
           "UTC%c%02d:%02d, lateness window %d days\n",
           applied, applied == 1 ? "" : "s", cur < 0 ? '-' : '+', (cur < 0 ? -cur : cur) / 3600,
           (cur < 0 ? -cur : cur) / 60 % 60, s.late_days);
    return BR_EXIT_OK;
}
