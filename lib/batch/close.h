/* Month close (rules.md section 6), one batch (batch.h): expiries and
 * straight-line recognition to the period end, round-down per invoice,
 * gapless invoice numbers, the period marked final; the workbooks written
 * into a staging folder before the commit and moved into place after it.
 * And billrun invoices: a closed period's workbooks written again. */
#ifndef BR_CLOSE_H
#define BR_CLOSE_H

#include "core/btime.h"
#include "invoice/lang.h"
#include "store/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_close_opts {
    br_period period;
    const char *out_dir;
    bool force;
    bool early; /* allow closing a period that has not ended by the server's clock */
    bool no_wait;
    int lock_timeout_s; /* how long to wait for locks (0: 600) */
    int threads;
    const char *version;
    bool rewrite_only;       /* billrun invoices: write a closed period again */
    const char *seller_conf; /* seller block file, or NULL: $BILLRUN_SELLER_CONF, then
                                /etc/billrun/seller.conf */
    bool no_pdf;             /* workbooks only, no PDF copies */
    bool lang_set;           /* --lang: close freezes it with the seller block (else the
                                seller configuration's lang); invoices writes in it (else
                                in the language frozen at close) */
    enum br_lang lang;
    bool no_seller; /* close even when no seller is configured */
    /* Called as each step begins (files, commit, publish) with stage_ctx
     * (logs, test pauses); may be NULL. */
    void (*on_stage)(void *stage_ctx, const char *stage);
    void *stage_ctx;
};

struct br_close_summary {
    bool already_closed;
    bool files_completed; /* closed before: its missing files were put in place */
    bool early;           /* no run had reached the period end (period_closes.forced) */
    int64_t batch_id;
    size_t invoices;
    size_t notes; /* credit and debit notes numbered */
    int64_t round_down_e8;
    int64_t amount_due_e8;
    char folder[4096];
    size_t files_written;
    double t_db, t_files, t_total;
    char hash[65]; /* the committed batch's chain hash, hex ("" when none) */
};

enum br_status br_close(struct br_db *db, const struct br_close_opts *o, struct br_close_summary *s,
                        struct br_error *err);

#endif
