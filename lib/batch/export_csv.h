/* A CSV file written aside and renamed into place (billrun export's
 * files): RFC 4180 with CRLF line ends, a field quoted when it holds a
 * comma, a quote, a line end or an edge space; UTF-8, optionally after a
 * BOM. The file is written at PATH.tmp-<pid> with mode 0640 whatever the
 * umask, fsynced, and renamed to PATH only by br_csv_out_publish; errors are
 * sticky (the first is kept, later writes skipped, so a caller checks
 * once) and br_csv_out_discard removes what was written. */
#ifndef BR_EXPORT_CSV_H
#define BR_EXPORT_CSV_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>

#define BR_CSV_OUT_BUF 65536

struct br_csv_out {
    int fd;     /* -1 when closed */
    bool ended; /* the next field starts a row */
    enum br_status st;
    struct br_error *err;
    size_t len;
    char buf[BR_CSV_OUT_BUF];
    char path[4200];
    char tmp[4240];
};

/* Starts dir/name (aside), with a BOM when bom. */
enum br_status br_csv_out_open(struct br_csv_out *c, const char *dir, const char *name, bool bom,
                               struct br_error *err);
/* A field of the current row (NULL is empty). */
void br_csv_out_field(struct br_csv_out *c, const char *s);
/* Ends the current row. */
void br_csv_out_row(struct br_csv_out *c);
/* A whole row of n fields. */
void br_csv_out_fields(struct br_csv_out *c, const char *const *f, size_t n);
/* Flushes, fsyncs and closes the file, still aside. */
enum br_status br_csv_out_close(struct br_csv_out *c);
/* Renames the closed file into place (the folder is synced by the caller). */
enum br_status br_csv_out_publish(struct br_csv_out *c);
/* Closes (if open) and removes the file aside; never fails. */
void br_csv_out_discard(struct br_csv_out *c);

#endif
