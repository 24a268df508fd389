/* The journal of a batch and its posting rules (rules.md section 5).
 *
 * A journal is a list of entries, each with one or more transfers; a
 * transfer debits one account of the chart (core/chart.h) and credits
 * another by the same positive amount, so every entry balances by
 * construction. Entry and transfer ids are given out consecutively from the
 * next free ids the batch was opened with.
 *
 * Ownership: a journal owns every string its entries and transfers point to
 * (ids are interned once in its string table, descriptions copied into its
 * arena); nothing it holds points into the book, the rating result or the
 * caller's buffers, and everything lives until br_journal_free. */
#ifndef BR_JOURNAL_H
#define BR_JOURNAL_H

#include "core/book.h"
#include "core/btime.h"
#include "core/mem.h"
#include "core/status.h"
#include "rate/rate.h"

#include <stdbool.h>
#include <stdint.h>

enum br_entry_kind {
    BR_ENTRY_PURCHASE = 0,
    BR_ENTRY_TOPUP,
    BR_ENTRY_PAYMENT,
    BR_ENTRY_USAGE,
    BR_ENTRY_RECOGNITION,
    BR_ENTRY_BREAKAGE,
    BR_ENTRY_ROUND_DOWN,
    BR_ENTRY_ADJUSTMENT,
    BR_ENTRY_KIND_COUNT
};

/* "purchase", ...; never NULL. */
const char *br_entry_kind_str(enum br_entry_kind k);

struct br_entry {
    int64_t id;
    br_period period; /* posting period */
    int64_t effective_at;
    const char *account; /* customer id, or NULL */
    enum br_entry_kind kind;
    int item;             /* enum br_item, or -1 */
    const char *order_id; /* the order, the invoice (round-down), or NULL */
    bool late;
    const char *description; /* never NULL nor empty */
};

struct br_transfer {
    int64_t id;
    int64_t entry;
    int debit_code;
    const char *debit_sub;
    int credit_code;
    const char *credit_sub;
    int64_t amount_e8; /* > 0 */
};

struct br_journal {
    struct br_entry *entries;
    size_t nentries, entries_cap;
    struct br_transfer *transfers;
    size_t ntransfers, transfers_cap;
    int64_t next_entry, next_transfer;
    struct br_strtab ids;    /* account, order and invoice ids, items */
    struct br_arena strings; /* descriptions */
};

/* An empty journal whose ids start at next_entry and next_transfer. */
void br_journal_init(struct br_journal *j, int64_t next_entry, int64_t next_transfer);
void br_journal_free(struct br_journal *j);

/* Adds an entry, copying its strings; *id receives its id. description is
 * printf-formatted. BR_ERR_NOMEM on exhaustion; an empty description is a
 * bug (asserted). */
enum br_status br_journal_entry(struct br_journal *j, const struct br_entry *e, int64_t *id,
                                const char *description_fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Adds a transfer of amount_e8 to entry (an amount of 0 adds nothing;
 * negative is a bug), copying the sub-ledger names. */
enum br_status br_journal_transfer(struct br_journal *j, int64_t entry, int dcode, const char *dsub,
                                   int ccode, const char *csub, int64_t amount_e8);

/* What the posting rules of a run read. */
struct br_journal_input {
    struct br_calendar cal;
    const br_period *closed; /* closed periods, ascending */
    size_t nclosed;
    const struct br_book *book;
    const struct br_rate_result *rated; /* sorted by br_rate_result_sort */
};

/* Posts a run's orders (purchases, top-ups, payments), adjustments (credit
 * and debit notes), usage (one entry per account, day and item with a funded
 * draw) and recognition (straight-line shares and breakage). Only reads its
 * input. */
enum br_status br_journal_post(struct br_journal *j, const struct br_journal_input *in,
                               struct br_error *err);

/* The round-down entry of a closed invoice: Dr round-down / Cr receivable,
 * at the period's last instant `at`. */
enum br_status br_journal_round_down(struct br_journal *j, br_period period, int64_t at,
                                     const char *account, const char *invoice_no, int64_t amount_e8,
                                     struct br_error *err);

#endif
