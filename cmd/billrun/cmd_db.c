/* billrun db init */
#include "cli.h"

#include "core/btime.h"
#include "core/log.h"
#include "store/schema.h"

#include <stdio.h>
#include <string.h>

int cmd_db(struct br_cli *cli, int argc, char **argv)
{
    const struct br_verb *v = br_verb_find("db");
    static const char *const opts[] = {"--tz-offset", NULL};
    if (!br_cli_options(cli, v, &argc, argv, opts, NULL))
        return BR_EXIT_USAGE;
    if (argc < 1 || strcmp(argv[0], "init") != 0)
        return br_cli_usage_error(v, "expected `db init`");
    const char *tz = br_cli_opt(argc, argv, "--tz-offset");
    if (argc != (tz ? 3 : 1))
        return br_cli_usage_error(v, "unexpected argument");
    int32_t off = 0;
    if (tz && !br_offset_parse(tz, strlen(tz), &off))
        return br_cli_usage_error(v, "--tz-offset takes +HH:MM or -HH:MM, not %s", tz);
    struct br_db *db = NULL;
    struct br_error err;
    int applied = 0;
    enum br_status st = br_cli_connect(cli, &db, &err);
    if (st == BR_OK)
        st = br_schema_init(db, tz != NULL, off, &applied, &err);
    int32_t cur = 0;
    if (st == BR_OK)
        st = br_schema_calendar(db, &cur, &err);
    br_db_close(db);
    if (st != BR_OK)
        return br_cli_fail(&err);
    br_log(BR_LOG_INFO, "db_init", "migrations_applied=%d", applied);
    printf("billrun db init: schema ready (%d migration%s applied now), billing calendar "
           "UTC%c%02d:%02d\n",
           applied, applied == 1 ? "" : "s", cur < 0 ? '-' : '+', (cur < 0 ? -cur : cur) / 3600,
           (cur < 0 ? -cur : cur) / 60 % 60);
    return BR_EXIT_OK;
}
