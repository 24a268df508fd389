/* The chart map of `billrun export --chart-map FILE`: each code of
 * billrun's chart of accounts (core/chart.h) mapped to the company's own
 * account code and name, as its accounting system knows them.
 *
 * The file is CSV (RFC 4180), UTF-8 (one BOM allowed: Excel's "CSV UTF-8"),
 * with the header `billrun_code,code,name` and then exactly one row for
 * every code of billrun's chart, in any order:
 *
 *   billrun_code  a code of billrun's chart: 1000, 1100, ... 4920
 *   code          the company's account code: 1 to 40 characters of
 *                 A-Z a-z 0-9 . - _ (1122, 6001.01, 2241-03)
 *   name          its name: 1 to 200 bytes of text without control
 *                 characters (Chinese is fine: 应收账款)
 *
 * Several billrun codes may share one company code (one revenue account for
 * every item), under one name. Empty lines are skipped. Anything else (a
 * code billrun's chart does not have, a code missing or given twice, a
 * field out of its form, one company code under two names, text that is
 * not UTF-8) refuses the file whole, naming the line and what is wrong. */
#ifndef BR_EXPORT_MAP_H
#define BR_EXPORT_MAP_H

#include "core/status.h"

#include <stddef.h>

#define BR_CHART_MAP_MAX 16 /* room for the chart's codes (asserted) */
#define BR_CHART_MAP_CODE_MAX 40
#define BR_CHART_MAP_NAME_MAX 200

struct br_chart_map_account {
    char code[BR_CHART_MAP_CODE_MAX + 1];
    char name[BR_CHART_MAP_NAME_MAX + 1];
};

/* Indexed like br_chart (core/chart.h): acc[i] is where br_chart[i] goes. */
struct br_chart_map {
    struct br_chart_map_account acc[BR_CHART_MAP_MAX];
};

/* billrun's own codes and names (the export without --chart-map). */
void br_chart_map_identity(struct br_chart_map *m);

/* Reads and checks the map file at path (a regular file). Every failure is
 * BR_ERR_USAGE (a bad --chart-map is a bad invocation), with the file, the
 * line and the reason in err; *m is then unspecified. */
enum br_status br_chart_map_read(const char *path, struct br_chart_map *m, struct br_error *err);

/* The same over bytes in memory; name is what messages call them. */
enum br_status br_chart_map_parse(const void *data, size_t len, const char *name,
                                  struct br_chart_map *m, struct br_error *err);

#endif
