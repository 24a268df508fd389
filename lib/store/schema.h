/* billrun db init: the ordered migrations of sql/ (embedded in the binary),
 * recorded in a table; the chart of accounts and the items from the
 * program's own tables; the writer and auditor roles; the billing calendar. */
#ifndef BR_SCHEMA_H
#define BR_SCHEMA_H

#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

#define BR_ROLE_WRITER "billrun_writer"
#define BR_ROLE_AUDITOR "billrun_auditor"

#define BR_DEFAULT_TZ_S (8 * 3600)
#define BR_DEFAULT_LATE_DAYS 62

/* What db init is asked for. */
struct br_schema_opts {
    bool has_tz;
    int32_t tz_offset_s; /* the billing calendar of a new database (default +08:00) */
    int32_t late_days;   /* its lateness window, 1..366 (0: the default, 62) */
};

/* What a database was created with. */
struct br_settings {
    int32_t tz_offset_s;
    int32_t late_days;
};

/* Creates or upgrades the schema in one transaction; idempotent. An
 * existing database keeps its calendar and window, and a different one
 * asked for is refused (BR_ERR_STATE), as is a chart of accounts or item
 * table that differs from the program's. *applied counts the migrations
 * applied now. */
enum br_status br_schema_init(struct br_db *db, const struct br_schema_opts *o, int *applied,
                              struct br_error *err);

/* Reads the settings; BR_ERR_STATE when the database is not initialised. */
enum br_status br_schema_settings(struct br_db *db, struct br_settings *out, struct br_error *err);
enum br_status br_schema_calendar(struct br_db *db, int32_t *tz_offset_s, struct br_error *err);

#endif
