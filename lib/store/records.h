/* The memory of billed record ids (corrections.md section 1,
 * docs/record-ids.md): which ids of each source earlier batches billed, kept
 * in billing.record_ids, and the night's question "which of these ids did
 * an earlier batch bill within the window?", answered without a round trip
 * per row.
 *
 * An id is known by two 64-bit hashes (core/idhash.h). Its first hash gives
 * its part (the top 8 bits) and its fingerprint (the next bits, as many as a
 * row needs: about log2 of its ids plus 14); a row of billing.record_ids
 * holds up to 262144 ids of one batch, source and part: their fingerprints
 * sorted and Rice-coded (about 2 bytes an id: what a night reads of every
 * row in its window), and, in the same order, each id's second hash, charge
 * time and file (14 bytes: read only where a fingerprint matched). A match
 * of part, fingerprint and second hash is a match of about 100 bits. */
#ifndef BR_RECORDS_H
#define BR_RECORDS_H

#include "store/db.h"
#include "store/write.h"

#include <stddef.h>
#include <stdint.h>

/* One question (or one billed id, to remember): an id's first hash and the
 * asker's number for it (a usage row, or BR_IDQ_OTHER | another number). */
struct __attribute__((packed)) br_idq {
    uint64_t h1;
    uint32_t idx;
};

#define BR_IDQ_OTHER 0x80000000u

/* Sorts questions by part and fingerprint, in place, with extra memory of
 * at most one part's questions. */
enum br_status br_idq_sort(struct br_idq *q, size_t n);

/* What a night must say of a question: its id's second hash. */
typedef uint64_t (*br_idq_h2_fn)(void *ctx, uint32_t idx);

struct br_id_hit {
    uint32_t idx;     /* the question */
    int64_t batch_id; /* the batch that billed the id */
    int64_t file_id;  /* and its file */
    int64_t charge_time;
};

/* The questions of one source (0 EAS, 1 OSS), sorted by br_idq_sort, whose
 * ids a committed batch billed with a charge time at or after
 * window_start. *hits (the caller frees it) lists each such question once.
 * Reads in the caller's transaction. */
enum br_status br_records_find(struct br_db *db, int source, const struct br_idq *q, size_t n,
                               int64_t window_start, br_idq_h2_fn h2, void *ctx,
                               struct br_id_hit **hits, size_t *nhits, struct br_error *err);

/* What to remember of a billed id: its second hash, charge time and file.
 * Returns false for a question that is not a billed id (skipped). */
typedef bool (*br_idq_entry_fn)(void *ctx, uint32_t idx, uint64_t *h2, int64_t *t, uint32_t *file);

/* Writes the ids of one source that the batch billed (q sorted by
 * br_idq_sort; entry says which are billed and what they hold: the night's
 * file number, a position in file_ids[0..nfile_ids)). */
enum br_status br_records_write(struct br_db *db, struct br_batch_writer *w, int source,
                                const struct br_idq *q, size_t n, const int64_t *file_ids,
                                size_t nfile_ids, br_idq_entry_fn entry, void *ctx,
                                struct br_error *err);

#endif
