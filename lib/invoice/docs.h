/* The documents of a closed period: the seller configuration, and loading a
 * period's final invoices from the database into workbooks. */
#ifndef BR_DOCS_H
#define BR_DOCS_H

#include "core/btime.h"
#include "invoice/close.h"
#include "ledger/db.h"

/* Reads the seller block (key = value lines: name, address, tax_id, bank,
 * bank_account, phone) from path, else $BILLRUN_SELLER_CONF, else
 * /etc/billrun/seller.conf; normalised into out as "key=value\n" lines. With
 * no file at all the block says it is not configured. */
enum br_status br_seller_config(const char *path, char *out, size_t size, struct br_error *err);

/* Writes every invoice workbook of a closed period and its summary into
 * out_dir/<subdir> (subdir NULL: YYYY-MM), on `threads` threads, and syncs
 * them. in_tx: read in the transaction already open on db (a close writes
 * its files before it commits), else in a read-only snapshot of its own.
 * Counts files in s. */
enum br_status br_docs_write(struct br_db *db, struct br_calendar cal, br_period period,
                             const char *out_dir, const char *subdir, bool in_tx, int threads,
                             struct br_close_summary *s, struct br_error *err);

/* Removes a folder of files (not recursive); a missing folder is fine. */
enum br_status br_docs_remove_dir(const char *path, struct br_error *err);

/* Moves the files of folder `from` into folder `to` (created when missing,
 * files of the same name replaced), removes `from` and syncs both parents. */
enum br_status br_docs_publish(const char *from, const char *to, struct br_error *err);

#endif
