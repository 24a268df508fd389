/* Writing a closed period's documents: every invoice workbook and the
 * summary, into a folder, on threads, each file whole or not at all. */
#ifndef BR_DOCUMENTS_H
#define BR_DOCUMENTS_H

#include "core/btime.h"
#include "store/db.h"

#include <stddef.h>

struct br_docs_result {
    size_t invoices;      /* invoices of the period */
    size_t notes;         /* its credit and debit notes */
    size_t files_written; /* workbooks written, the summary included */
};

/* Loads period's documents (in the transaction open on db) and writes them
 * into folder (created when missing), then syncs it. */
enum br_status br_documents_write(struct br_db *db, struct br_calendar cal, br_period period,
                                  const char *folder, int threads, struct br_docs_result *out,
                                  struct br_error *err);

#endif
