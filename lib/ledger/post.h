/* Posting a batch: journal entries and transfers from the rating result and
 * the new orders (rules.md section 5), the billing facts and the rating state,
 * all with COPY, then the batch row that links the hash chain. */
#ifndef BR_POST_H
#define BR_POST_H

#include "core/book.h"
#include "ingest/ingest.h"
#include "ledger/db.h"
#include "rate/rate.h"

enum br_entry_kind {
    BR_ENTRY_PURCHASE = 0,
    BR_ENTRY_TOPUP,
    BR_ENTRY_PAYMENT,
    BR_ENTRY_USAGE,
    BR_ENTRY_RECOGNITION,
    BR_ENTRY_BREAKAGE,
    BR_ENTRY_ROUND_DOWN,
};

struct br_entry {
    int64_t id;
    br_period period;
    int64_t effective_at;
    const char *account; /* customer id, or NULL */
    enum br_entry_kind kind;
    int item; /* enum br_item, or -1 */
    const char *order_id;
    bool late;
    const char *description;
};

struct br_transfer {
    int64_t id;
    int64_t entry;
    int debit_code;
    const char *debit_sub;
    int credit_code;
    const char *credit_sub;
    int64_t amount_e8;
};

/* Entries of a batch being built. Strings live in the arena. */
struct br_journal {
    struct br_entry *entries;
    size_t nentries, entries_cap;
    struct br_transfer *transfers;
    size_t ntransfers, transfers_cap;
    int64_t next_entry, next_transfer;
    struct br_arena arena;
    int64_t debits_e8[BR_SRC_COUNT]; /* totals for the summary */
};

void br_journal_init(struct br_journal *j, int64_t next_entry, int64_t next_transfer);
void br_journal_free(struct br_journal *j);
/* Starts an entry; returns its id (0 on exhaustion). */
int64_t br_journal_entry(struct br_journal *j, const struct br_entry *e);
/* Adds a transfer of amount_e8 > 0 to the entry (amounts <= 0 are skipped). */
enum br_status br_journal_transfer(struct br_journal *j, int64_t entry, int dcode, const char *dsub,
                                   int ccode, const char *csub, int64_t amount_e8);
/* Copies the journal to ledger.entries and ledger.transfers. */
enum br_status br_journal_write(struct br_journal *j, struct br_db *db, int64_t batch_id,
                                struct br_calendar cal, struct br_error *err);

const char *br_entry_kind_str(enum br_entry_kind k);

/* Everything a run writes besides its batch row. */
struct br_post_input {
    int64_t batch_id;
    struct br_calendar cal;
    const br_period *closed;
    size_t nclosed;
    struct br_ingest *ing;
    const struct br_book *book;
    const struct br_rate_result *rated;
    const struct br_rate_state *state;
    int64_t *file_ids; /* per ingest file: assigned id (0 when skipped) */
};

/* Puts the rated lines and draws in the order the journal posts them
 * (account, day, item...). br_post_build does it when they are not; doing
 * it first lets br_post_build run beside br_post_write_facts, both then
 * only reading them. */
void br_post_order_rated(struct br_rate_result *r);

/* Builds the run's journal (orders, usage, recognition, breakage). */
enum br_status br_post_build(const struct br_post_input *in, struct br_journal *j,
                             struct br_error *err);

/* Writes files, rejects, accounts, prices, orders, usage lines, draws, plan
 * events, rating state and rated spans for the batch. */
enum br_status br_post_write_facts(struct br_db *db, const struct br_post_input *in,
                                   struct br_error *err);

/* Computes the batch's content hash from what is in the database, chains it
 * to prev_hash and inserts the ledger.batches row. */
struct br_batch_header {
    int64_t batch_id;
    const char *kind;
    int64_t started_at;
    int64_t as_of;
    const char *period; /* or NULL */
    const char *version;
    bool has_prev;
    uint8_t prev_hash[32];
    const char *summary;
    /* The batch's journal, when it is at hand and holds every entry and
     * transfer the batch wrote: their sections of the content hash are then
     * formatted from it, byte for byte as the database would return them,
     * instead of being read back (the other sections are always read back;
     * builds without NDEBUG read these back as well and compare). */
    const struct br_journal *journal;
    /* The content hash, when br_batch_hash_start/finish computed it while
     * the batch was written; NULL otherwise. */
    const uint8_t *content;
};

enum br_status br_batch_hash(struct br_db *db, const struct br_batch_header *h, uint8_t content[32],
                             uint8_t chained[32], struct br_error *err);
enum br_status br_batch_insert(struct br_db *db, const struct br_batch_header *h,
                               struct br_error *err);

/* The content hash of a run batch from what it writes, on a second thread
 * while the database stores it: its journal, and the files and usage lines
 * of facts (run batches hold no final invoices). Every section is formatted
 * as the database returns it, which for the usage lines' ORDER BY needs a
 * collation that sorts by bytes: where the database's is not a libc C,
 * POSIX or C.UTF-8 one, *job is left NULL and nothing is started. Start it
 * once facts are written (the file ids are known); finish it (always, once
 * started) before the batch row is inserted. */
struct br_hash_job;
/* Whether br_batch_hash also reads every section back and fails on a
 * difference (on in builds without NDEBUG; billrun turns it on when
 * BILLRUN_TEST_HASH_READBACK=1, as the integration tests do). Returns the
 * previous setting. */
bool br_batch_hash_set_readback(bool on);
enum br_status br_batch_hash_start(struct br_db *db, const struct br_batch_header *h,
                                   const struct br_journal *j, const struct br_post_input *facts,
                                   struct br_hash_job **job, struct br_error *err);
enum br_status br_batch_hash_finish(struct br_hash_job *job, uint8_t content[32],
                                    struct br_error *err);

/* Next free id of a table's bigint key (max + 1). */
enum br_status br_next_id(struct br_db *db, const char *table, const char *column, int64_t *out,
                          struct br_error *err);

#endif
