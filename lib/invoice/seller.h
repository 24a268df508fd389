/* The seller block printed on every invoice: read from a configuration
 * file at close, frozen in the database as "key=value" lines, and split back
 * into fields to print. */
#ifndef BR_SELLER_H
#define BR_SELLER_H

#include "core/status.h"
#include "invoice/xlsx.h"

#include <stddef.h>

/* Reads the seller block (key = value lines: name, address, tax_id, bank,
 * bank_account, phone, and lang, the documents' language: zh, en or zh-en,
 * zh-en when absent) from path, else $BILLRUN_SELLER_CONF, else
 * /etc/billrun/seller.conf; normalised into out as "key=value\n" lines. With
 * no file at all the block says it is not configured. BR_ERR_INPUT on an
 * unknown key or language. */
enum br_status br_seller_config(const char *path, char *out, size_t size, struct br_error *err);

/* Splits frozen seller text back into fields, in place (p's strings point
 * into text). */
void br_seller_fields(char *text, struct br_party *p);

/* The documents' language in frozen seller text; BR_LANG_EN when it has
 * none (periods closed before documents had languages were English). */
enum br_lang br_seller_lang(const char *text);

/* Replaces the language in seller text (text holds size bytes):
 * `billrun close --lang` freezes the language it was given. */
enum br_status br_seller_set_lang(char *text, size_t size, enum br_lang lang, struct br_error *err);

#endif
