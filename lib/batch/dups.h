/* The night's record ids against those earlier batches billed
 * (corrections.md section 1; docs/record-ids.md).
 *
 * After ingest, every usage row that claimed a record id (accepted, or
 * rejected for a reason after duplicate_record) asks whether a committed
 * batch billed that id, in the same source, with a charge time within the
 * window. Accepted rows so answered are rejected duplicate_record and not
 * rated; rejected ones take duplicate_record as their reason (it comes
 * first). Each such reject's detail names the batch and file that billed
 * the id. After rating, the ids of the rows the night billed are
 * remembered.
 *
 * Ownership: a br_dups owns its questions and its skip list until
 * br_dups_free; it reads the night but never keeps pointers into it. */
#ifndef BR_DUPS_H
#define BR_DUPS_H

#include "batch/night.h"
#include "store/db.h"
#include "store/records.h"
#include "store/write.h"

#include <stdint.h>

struct br_dups {
    struct br_idq *q[2]; /* per source (0 EAS, 1 OSS), sorted (br_idq_sort) */
    size_t nq[2];
    uint8_t *skip; /* per usage row: not to rate (an earlier batch billed it) */
    size_t nrows;
    size_t found; /* rows and rejects that turned out duplicate_record */
};

void br_dups_free(struct br_dups *d);

/* Asks the questions of night n (window_start: the run's as-of minus the
 * lateness window), rejects what an earlier batch billed and sets
 * d->skip; the night's rating must skip those rows (br_night_rate). */
enum br_status br_dups_check(struct br_db *db, struct br_night *n, int64_t window_start,
                             struct br_dups *d, struct br_error *err);

/* Remembers the ids of the rows the night billed: accepted, not skipped,
 * not rejected by rating. file_ids: per ingest file, its file_id. */
enum br_status br_dups_write(struct br_db *db, struct br_batch_writer *w, const struct br_night *n,
                             const struct br_dups *d, const int64_t *file_ids,
                             struct br_error *err);

#endif
