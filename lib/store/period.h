/* A period's documents and a close's queries. The documents of a closed
 * period are loaded in a few bulk queries (br_period_docs_load) and each
 * invoice's document is built on demand, from any thread, into a scratch of
 * that thread's (strings point into the loaded period and live until
 * br_period_docs_free; the arrays into the scratch, until its next use). */
#ifndef BR_PERIOD_H
#define BR_PERIOD_H

#include "core/btime.h"
#include "core/mem.h"
#include "invoice/xlsx.h"
#include "store/db.h"
#include "store/write.h"

#include <stdbool.h>
#include <stddef.h>

struct br_period_docs;     /* opaque: a closed period, loaded */
struct br_doc_scratch;     /* one thread's room for one invoice's document */
struct br_summary_scratch; /* the summary's arrays */

/* Loads closed period p (BR_ERR_STATE when it is not closed), reading in the
 * caller's transaction. */
enum br_status br_period_docs_load(struct br_db *db, struct br_calendar cal, br_period p,
                                   struct br_period_docs **out, struct br_error *err);
void br_period_docs_free(struct br_period_docs *d);
size_t br_period_docs_count(const struct br_period_docs *d);
const char *br_period_docs_name(const struct br_period_docs *d); /* "YYYY-MM" */

struct br_doc_scratch *br_doc_scratch_new(void);
void br_doc_scratch_free(struct br_doc_scratch *s);
/* Invoice i's document (i < br_period_docs_count), in invoice number order.
 * BR_ERR_NOMEM on exhaustion. */
enum br_status br_period_docs_invoice(const struct br_period_docs *d, size_t i,
                                      struct br_doc_scratch *s, struct br_invoice_doc *doc);

/* The period's credit and debit notes: how many, and note i's document
 * (i < br_period_docs_note_count; pointers into the loaded period). */
size_t br_period_docs_note_count(const struct br_period_docs *d);
void br_period_docs_note(const struct br_period_docs *d, size_t i, struct br_note_doc *doc);

/* The summary's document; *scratch is to be freed with
 * br_summary_scratch_free whatever the outcome. */
enum br_status br_period_docs_summary(const struct br_period_docs *d,
                                      struct br_summary_scratch **scratch,
                                      struct br_summary_doc *doc);
void br_summary_scratch_free(struct br_summary_scratch *x);

/* Whether period ("YYYY-MM") is closed, and by which batch. */
enum br_status br_period_close_batch(struct br_db *db, const char *period, bool *closed,
                                     int64_t *batch_id, struct br_error *err);

/* Whether period ("YYYY-MM") is closed. */
enum br_status br_period_closed(struct br_db *db, const char *period, bool *closed,
                                struct br_error *err);

/* The invoices a close of period issues: one per account with usage, an
 * applied order or an adjustment in it, numbered INV-YYYYMM-NNNNNN in
 * account_id byte order, with their totals, credits and debits, round-down
 * and amount due (outstanding + debits, rounded down to the fen), and the
 * buyer as the account stands now; and the period's notes. */
struct br_close_totals {
    struct br_invoice_final *inv;
    size_t n;
    /* the period's adjustments numbered as notes: credits CN-YYYYMM-NNNNNN
     * and debits DN-YYYYMM-NNNNNN, each series gapless in (account_id
     * bytewise, adjustment_time, adjustment_id bytewise) order */
    struct br_note *notes;
    size_t nnotes;
    struct br_arena strings;
};

enum br_status br_period_totals(struct br_db *db, const char *period, struct br_close_totals *t,
                                struct br_error *err);
void br_close_totals_free(struct br_close_totals *t);

#endif
