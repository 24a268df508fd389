/* Writing a closed period's documents: every invoice's and note's workbook
 * and PDF, and the summary, into a folder, on threads, each file whole or
 * not at all. */
#ifndef BR_DOCUMENTS_H
#define BR_DOCUMENTS_H

#include "core/btime.h"
#include "invoice/lang.h"
#include "store/db.h"

#include <stdbool.h>
#include <stddef.h>

struct br_docs_result {
    size_t invoices;      /* invoices of the period */
    size_t notes;         /* its credit and debit notes */
    size_t files_written; /* workbooks and PDFs written, the summary included */
};

struct br_docs_opts {
    int threads;       /* writing threads, 1 to 16 */
    bool pdf;          /* a PDF beside each invoice's and note's workbook */
    bool lang_set;     /* lang replaces the language frozen at close */
    enum br_lang lang; /* (billrun invoices --lang) */
};

/* Loads period's documents (in the transaction open on db) and writes them
 * into folder (created when missing), then syncs it. */
enum br_status br_documents_write(struct br_db *db, struct br_calendar cal, br_period period,
                                  const char *folder, int threads, struct br_docs_result *out,
                                  struct br_error *err);

/* The same with options (br_documents_write: PDFs, the frozen language). */
enum br_status br_documents_write_opts(struct br_db *db, struct br_calendar cal, br_period period,
                                       const char *folder, const struct br_docs_opts *o,
                                       struct br_docs_result *out, struct br_error *err);

#endif
