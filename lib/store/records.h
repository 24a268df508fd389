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
 * time and file (about 10 bytes: read only where a fingerprint matched). A match
 * of part, fingerprint and second hash is a match of about 100 bits. */
#ifndef BR_RECORDS_H
#define BR_RECORDS_H

#include "store/db.h"
#include "store/write.h"

#include <stddef.h>
#include <stdint.h>

/* One question (or one billed id, to remember): an id's first hash (whose
 * top 44 bits sort and find it), 48 bits of its second hash (that confirm
 * it), and the asker's number for it (a usage row, or BR_IDQ_OTHER | another
 * number). 16 bytes: br_idq_make packs the second hash into the first's
 * unused low bits and key2. */
struct br_idq {
    uint64_t h1;
    uint32_t idx;
    uint32_t key2;
};

#define BR_IDQ_OTHER 0x80000000u

static inline struct br_idq br_idq_make(uint64_t h1, uint64_t h2, uint32_t idx)
{
    uint64_t k = h2 >> 16; /* the 48 bits kept */
    return (struct br_idq){(h1 & ~UINT64_C(0xFFFF)) | (k & 0xFFFF), idx, (uint32_t)(k >> 16)};
}

/* The 48 bits of the second hash a question carries. */
static inline uint64_t br_idq_key(const struct br_idq *q)
{
    return (uint64_t)q->key2 << 16 | (q->h1 & 0xFFFF);
}

/* Sorts questions by part and fingerprint, in place, with extra memory of
 * at most one part's questions. */
enum br_status br_idq_sort(struct br_idq *q, size_t n);
/* The same in two steps, for threads: br_idq_split groups the questions by
 * part (off[p] the first of part p, off[256] = n); br_idq_sort_parts then
 * sorts parts [p0, p1) (different ranges may be sorted at once). */
void br_idq_split(struct br_idq *q, size_t n, size_t off[257]);
enum br_status br_idq_sort_parts(struct br_idq *q, const size_t off[257], int p0, int p1);

struct br_id_hit {
    uint32_t idx;     /* the question */
    int64_t batch_id; /* the batch that billed the id */
    int64_t file_id;  /* and its file */
    int64_t charge_time;
};

/* The questions of one source (0 EAS, 1 OSS), sorted by br_idq_sort, whose
 * ids a committed batch billed with a charge time at or after
 * window_start. *hits (the caller frees it) lists each such question once.
 * Reads on db (the batch's transaction, or a second connection: a search
 * only reads) the rows of the parts q spans: q may be any run of a source's
 * sorted questions (br_idq_part_at). */
enum br_status br_records_find(struct br_db *db, int source, const struct br_idq *q, size_t n,
                               int64_t window_start, struct br_id_hit **hits, size_t *nhits,
                               struct br_error *err);

/* The first question of q[0..n) (sorted by br_idq_sort) whose part is at
 * least `part` (0 to 256): the questions split there by part. */
size_t br_idq_part_at(const struct br_idq *q, size_t n, unsigned part);

/* What to remember of a billed id besides its hashes: its charge time and
 * the night's file number. Returns false for a question that is not a
 * billed id (skipped). */
typedef bool (*br_idq_entry_fn)(void *ctx, uint32_t idx, int64_t *t, uint32_t *file);
/* Called a few questions ahead of entry (may be NULL): fetch what it reads. */
typedef void (*br_idq_prefetch_fn)(void *ctx, uint32_t idx);

/* Writes the ids of one source that the batch billed (q sorted by
 * br_idq_sort; entry says which are billed and what they hold: the night's
 * file number, a position in file_ids[0..nfile_ids)). */
enum br_status br_records_write(struct br_db *db, struct br_batch_writer *w, int source,
                                const struct br_idq *q, size_t n, const int64_t *file_ids,
                                size_t nfile_ids, br_idq_entry_fn entry,
                                br_idq_prefetch_fn prefetch, void *ctx, struct br_error *err);

#endif
