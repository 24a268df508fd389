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
 * out_dir/YYYY-MM/ (on `threads` threads). Counts files in s. */
enum br_status br_docs_write(struct br_db *db, struct br_calendar cal, br_period period,
                             const char *out_dir, int threads, struct br_close_summary *s,
                             struct br_error *err);

#endif
