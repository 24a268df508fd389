/* The inbox's archive (issue #16): after its commit, a run moves every file
 * it applied or refused, and every file it recognised as applied or refused
 * by an earlier batch, out of the inbox into ARCHIVE/YYYY-MM-DD/NAME (the
 * run's as-of as a date of the billing calendar), so that the next night
 * reads only what is new. A file whose move was lost (the run killed after
 * its commit) is still in the inbox: the next run recognises it by name and
 * SHA-256 and moves it then. A name already in that day's folder gets
 * "~2", "~3"... before its extension. Files are moved by rename(2), or
 * copied, synced and removed across file systems; folders are created 0750
 * and synced. */
#ifndef BR_ARCHIVE_H
#define BR_ARCHIVE_H

#include "core/btime.h"
#include "ingest/ingest.h"

#include <stddef.h>

/* Moves the night's inbox files (not reprocessing's pseudo-files) into the
 * archive. *moved counts them. A file that cannot be moved stops the
 * archiving with BR_ERR_IO (the batch is committed whatever happens here:
 * the caller warns, and the next run moves what is left). */
enum br_status br_archive_files(const struct br_ingest *ing, const char *archive, int64_t as_of,
                                struct br_calendar cal, size_t *moved, struct br_error *err);

#endif
