/* The seller block printed on every invoice: read from a configuration
 * file at close, frozen in the database as "key=value" lines, and split back
 * into fields to print. */
#ifndef BR_SELLER_H
#define BR_SELLER_H

#include "core/status.h"
#include "invoice/xlsx.h"

#include <stddef.h>

/* Reads the seller block (key = value lines: name, address, tax_id, bank,
 * bank_account, phone) from path, else $BILLRUN_SELLER_CONF, else
 * /etc/billrun/seller.conf; normalised into out as "key=value\n" lines. With
 * no file at all the block says it is not configured. */
enum br_status br_seller_config(const char *path, char *out, size_t size, struct br_error *err);

/* Splits frozen seller text back into fields, in place (p's strings point
 * into text). */
void br_seller_fields(char *text, struct br_party *p);

#endif
