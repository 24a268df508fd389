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

#include <stdbool.h>
#include <stdint.h>

struct br_search; /* a search running beside the night (dups.c) */

struct br_dups {
    struct br_idq *q[2]; /* per source (0 EAS, 1 OSS), sorted (br_idq_sort) */
    size_t nq[2];
    uint8_t *skip; /* per usage row: not to rate (an earlier batch billed it) */
    size_t nrows;
    size_t found;         /* rows and rejects that turned out duplicate_record */
    struct br_search *bg; /* begun by br_dups_begin, until br_dups_end */
    double hash_s;        /* the questions' hashing and sorting */
};

/* Waits for a search still running beside the night, then frees. */
void br_dups_free(struct br_dups *d);

/* Asks the questions of night n (window_start: the run's as-of minus the
 * lateness window), rejects what an earlier batch billed and sets
 * d->skip; the night's rating must skip those rows (br_night_rate). */
enum br_status br_dups_check(struct br_db *db, struct br_night *n, int64_t window_start,
                             struct br_dups *d, struct br_error *err);

/* The same questions, searched beside the night: after its rating (which
 * then skipped nothing) and while it is posted, on connections and threads
 * of their own (they see what was committed before the night's batch
 * began), at the lowest priority. Where a second connection or thread
 * cannot be had, that half is searched at once, on db. br_dups_end, after
 * br_dups_write, waits for the search and says how many questions an
 * earlier batch answered: a night with any must not be committed as it was
 * rated; it is run again with br_dups_check. */
enum br_status br_dups_begin(struct br_db *db, const struct br_night *n, int64_t window_start,
                             struct br_dups *d, struct br_error *err);
enum br_status br_dups_end(struct br_dups *d, size_t *found, struct br_error *err);

/* Frees the questions (after br_dups_write and br_dups_end); the skip list
 * stays. */
void br_dups_drop_questions(struct br_dups *d);

/* Remembers the ids of the rows the night billed: accepted, not skipped,
 * not rejected by rating. file_ids: per ingest file, its file_id. */
enum br_status br_dups_write(struct br_db *db, struct br_batch_writer *w, const struct br_night *n,
                             const struct br_dups *d, const int64_t *file_ids,
                             struct br_error *err);

#endif
