/* Writing a batch: every fact, the journal, a close's rows and the batch row
 * that links the hash chain, all with COPY. Each row is emitted once, as
 * canonical text (ledger/canon.h) that is both sent to the database and
 * hashed into its table's section, so what a batch seals is what it sent. */
#ifndef BR_WRITE_H
#define BR_WRITE_H

#include "core/book.h"
#include "ingest/ingest.h"
#include "ledger/canon.h"
#include "ledger/journal.h"
#include "rate/rate.h"
#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

/* The running section hashes of one batch. */
struct br_batch_writer {
    int64_t batch_id;
    struct br_section_hash sec[BR_SEC_COUNT];
    uint64_t rows[BR_SEC_COUNT];
    struct br_row row;
};

void br_writer_init(struct br_batch_writer *w, int64_t batch_id);
void br_writer_free(struct br_batch_writer *w);
/* Every section's count and hash of what was written so far. */
enum br_status br_writer_sums(struct br_batch_writer *w, struct br_batch_sums *out,
                              struct br_error *err);

/* Everything a run writes besides its journal and batch row. */
struct br_facts {
    struct br_calendar cal;
    const br_period *closed; /* ascending */
    size_t nclosed;
    const struct br_ingest *ing;
    const struct br_book *book;
    const struct br_rate_result *rated;
    const struct br_rate_state *state;
    int64_t *file_ids; /* out: per ingest file, its file_id (0 when not recorded) */
};

/* Writes files, rejects and reprocessing outcomes, accounts, prices,
 * orders, adjustments, usage lines, draws, plan events, the rating state and
 * the rated spans of the batch. */
enum br_status br_write_facts(struct br_db *db, struct br_batch_writer *w, const struct br_facts *f,
                              struct br_error *err);

/* Writes the journal's entries and transfers. */
enum br_status br_write_journal(struct br_db *db, struct br_batch_writer *w,
                                const struct br_journal *j, struct br_error *err);

/* A final invoice of a close. */
struct br_invoice_final {
    char invoice_no[32];
    const char *account_id;
    int64_t gross_e8, free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8;
    int64_t credits_e8, debits_e8;
    int64_t round_down_e8, amount_due_e8;
    const char *buyer_name, *buyer_address, *buyer_tax_id, *buyer_email;
};

/* A credit or debit note's number, given at close. */
struct br_note {
    char note_no[32];
    const char *adjustment_id;
    const char *account_id;
    bool credit;
};

/* Writes the note numbers of a close. */
enum br_status br_write_notes(struct br_db *db, struct br_batch_writer *w, const char *period,
                              const struct br_note *notes, size_t n, struct br_error *err);

/* Writes the close of a period: its period_closes row (closed_at: now, to
 * the second) and its final invoices. *closed_at receives the close time. */
enum br_status br_write_close(struct br_db *db, struct br_batch_writer *w, const char *period,
                              bool forced, const char *seller, const struct br_invoice_final *inv,
                              size_t n, int64_t *closed_at, struct br_error *err);

/* The ledger.batches row. */
struct br_batch_row {
    struct br_batch_head head;
    int64_t started_at;
    const char *version;
    const uint8_t *prev_hash; /* NULL for the first batch */
    uint8_t content[32];
    uint8_t hash[32];
    const char *summary;
};

enum br_status br_write_batch_row(struct br_db *db, const struct br_batch_row *b,
                                  struct br_error *err);

/* Next free id of a table's bigint key (max + 1). */
enum br_status br_next_id(struct br_db *db, const char *table, const char *column, int64_t *out,
                          struct br_error *err);

#endif
