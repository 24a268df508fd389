/* Month close (rules.md section 6): expiries and straight-line recognition
 * to the period end, round-down per invoice, gapless invoice numbers, the
 * period marked final, then the XLSX workbooks written after commit. */
#ifndef BR_CLOSE_H
#define BR_CLOSE_H

#include "core/btime.h"
#include "ledger/db.h"

struct br_close_opts {
    br_period period;
    const char *out_dir;
    bool force;
    bool no_wait;
    int threads;
    const char *version;
    bool rewrite_only;       /* billrun invoices: write a closed period again */
    const char *seller_conf; /* seller block file, or NULL: $BILLRUN_SELLER_CONF, then
                                /etc/billrun/seller.conf */
};

struct br_close_summary {
    bool already_closed;
    bool early; /* no run had reached the period end (period_closes.forced) */
    int64_t batch_id;
    size_t invoices;
    int64_t round_down_e8;
    int64_t amount_due_e8;
    char folder[4096];
    size_t files_written;
    double t_db, t_files, t_total;
};

enum br_status br_close(struct br_db *db, const struct br_close_opts *o, struct br_close_summary *s,
                        struct br_error *err);

#endif
