/* billrun invoices --draft: an open period's invoices as they would be if
 * it were closed now, written as workbooks marked DRAFT, for a look before
 * the close.
 *
 * A draft reuses the close's own figures (br_period_totals: the accounts
 * invoiced, their lines and totals, round-down and amount due) and the
 * documents a closed period prints (store/period.h), read in one READ ONLY
 * snapshot: it writes nothing to the database (no number, no row, no
 * batch, the chain as it was). Its documents have no number; each sheet's
 * printed pages say "Invoice DRAFT" and the Invoice sheet "Invoice
 * (DRAFT)". Files are DRAFT-YYYYMM_<account>.xlsx, never INV-: a draft is
 * not written into a folder of finals (see br_draft_check_out). */
#ifndef BR_DRAFT_H
#define BR_DRAFT_H

#include "core/btime.h"
#include "store/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_draft_opts {
    br_period period;
    const char *out_dir;     /* created (0750) when missing */
    const char *seller_conf; /* as close's --seller (NULL: $BILLRUN_SELLER_CONF, then
                                /etc/billrun/seller.conf) */
};

struct br_draft_summary {
    size_t invoices; /* = files written */
    int64_t amount_due_e8, round_down_e8;
    int64_t issued_at;  /* the database server's clock: the drafts' issue date */
    int64_t last_as_of; /* the latest run's as-of (INT64_MIN: no run) */
    int32_t tz_offset_s;
};

/* Refuses (BR_ERR_USAGE, saying why) an out_dir where finals are or will
 * be: the configured folder of finals ($BILLRUN_OUT, else the BILLRUN_OUT
 * line of /etc/default/billrun) or a folder under it; a folder named like
 * a close's (YYYY-MM, .YYYY-MM.closing); and a folder that holds, or has an
 * ancestor that holds, a close's files (INV-, CN-, DN-, summary- workbooks
 * or PDFs, directly or in a YYYY-MM folder). A missing out_dir is fine. */
enum br_status br_draft_check_out(const char *out_dir, struct br_error *err);

/* Writes o->period's draft invoices into o->out_dir, each whole (aside,
 * then renamed into place, 0640). BR_ERR_USAGE when the period is closed
 * (its finals exist) or out_dir is refused (br_draft_check_out). */
enum br_status br_invoices_draft(struct br_db *db, const struct br_draft_opts *o,
                                 struct br_draft_summary *s, struct br_error *err);

#endif
