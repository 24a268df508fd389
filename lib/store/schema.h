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

/* Creates or upgrades the schema in one transaction; idempotent. tz_offset_s
 * is the billing calendar for a new database (has_tz false: +08:00); an
 * existing database keeps its calendar, and a different one is refused
 * (BR_ERR_STATE), as is a chart of accounts or item table that differs from
 * the program's. *applied counts the migrations applied now. */
enum br_status br_schema_init(struct br_db *db, bool has_tz, int32_t tz_offset_s, int *applied,
                              struct br_error *err);

/* Reads the calendar; BR_ERR_STATE when the database is not initialised. */
enum br_status br_schema_calendar(struct br_db *db, int32_t *tz_offset_s, struct br_error *err);

#endif
