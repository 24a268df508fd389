/* billrun export: a period's journal as voucher lines for an accounting
 * system (Kingdee, Yonyou, GnuCash, hledger), and its trial balance beside
 * it, as two CSV files in a folder.
 *
 * One voucher per journal entry, numbered 1, 2, ... in entry order within
 * the period; one line per posting (the rows of ledger.postings), debits
 * first. Amounts are the ledger's exact e8 amounts as decimal text (at
 * least 2 decimals, up to 8), never rounded: the files' totals tie to
 * ledger.trial_balance to the e8, and the export checks that they do
 * before it renames a file into place. README.md ("Exporting the journal")
 * and billrun(1) document the columns.
 *
 * A closed period's export is final (journal-YYYYMM.csv); an open one's
 * holds the postings so far, every batch committed when the export read
 * them, and its names say so (journal-YYYYMM-open.csv). Both are read in
 * one snapshot, so the two files agree whatever a run commits meanwhile. */
#ifndef BR_EXPORT_H
#define BR_EXPORT_H

#include "core/btime.h"
#include "store/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_export_opts {
    br_period period;
    const char *out_dir;   /* created (0750) when missing */
    const char *chart_map; /* --chart-map FILE (export_map.h), or NULL for billrun's codes */
    bool bom;              /* start each file with a UTF-8 BOM (Excel on Chinese Windows) */
};

struct br_export_summary {
    bool closed;         /* the period is closed: the export is final */
    int64_t last_batch;  /* open periods: the latest batch the export holds */
    int64_t last_as_of;  /* open periods: the as-of of the latest run (INT64_MIN: none) */
    int32_t tz_offset_s; /* the billing calendar */
    size_t vouchers;
    size_t lines;
    size_t accounts;  /* rows of the trial balance */
    int64_t total_e8; /* the period's debits (= its credits) */
    char journal[4200];
    char trial_balance[4200];
};

/* Writes the two files of o->period into o->out_dir, each aside and then
 * renamed into place (0640), after checking that the journal's sums per
 * account equal ledger.trial_balance and that every voucher balances
 * (BR_ERR_VERIFY otherwise, and nothing is left). A bad chart map is
 * BR_ERR_USAGE. Reads in a snapshot of its own on db. */
enum br_status br_export(struct br_db *db, const struct br_export_opts *o,
                         struct br_export_summary *s, struct br_error *err);

#endif
