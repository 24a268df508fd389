/* XLSX workbooks with libxlsxwriter: one invoice per customer and period,
 * and the period summary. Amounts arrive as exact e8 integers; each becomes
 * a cell number only here, at the file boundary, through its exact decimal
 * text (the nearest double to it). Text from input files is always written
 * as a string, never as a formula. Output is deterministic: the same
 * document gives the same bytes. Files are written aside (PATH.tmp-*) and
 * renamed into place; on any failure no file is left at PATH. */
#ifndef BR_XLSX_H
#define BR_XLSX_H

#include "core/status.h"
#include "invoice/lang.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct br_party {
    const char *name, *address, *tax_id;
    const char *email;               /* buyer */
    const char *account_id;          /* buyer */
    const char *bank, *bank_account; /* seller */
    const char *phone;               /* seller, may be NULL */
};

struct br_inv_line {
    const char *item;       /* compute_shared ... */
    const char *label;      /* "GPU compute, shared edition" */
    const char *quantity;   /* display units, exact decimal text, e.g. "2.333333" */
    const char *unit;       /* "hours" */
    const char *unit_price; /* "18.5 CNY per hour" or "see detail" */
    int64_t gross_e8, free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8;
};

struct br_inv_plan {
    const char *order_id, *plan_type, *unit, *scope, *bundle_id;
    int64_t valid_from, valid_to;                          /* UTC seconds */
    const char *face, *opening, *used, *expired, *closing; /* plan units, decimal text */
    int64_t paid_e8, recognised_e8;                        /* recognised in this period */
};

struct br_inv_daily {
    int64_t day; /* local day number (days since 1970-01-01) */
    const char *item;
    const char *quantity; /* display units, decimal text */
    const char *unit;
    int64_t gross_e8, outstanding_e8;
};

/* A credit or debit note (corrections.md section 3). */
struct br_inv_note {
    const char *note_no; /* CN-YYYYMM-NNNNNN or DN-YYYYMM-NNNNNN */
    const char *adjustment_id;
    bool credit;
    const char *item, *label;
    int64_t amount_e8;
    const char *invoice_no; /* the invoice it corrects, "" when none */
    const char *reason;
    int64_t adjustment_time; /* UTC seconds */
    bool late;               /* posted in a later period than its time's */
};

struct br_invoice_doc {
    struct br_party seller, buyer;
    const char *invoice_no; /* INV-YYYYMM-NNNNNN */
    const char *period;     /* YYYY-MM */
    int64_t issued_at;      /* the close time, UTC seconds: also the document's created time */
    int32_t tz_offset_s;    /* billing calendar, for showing dates */
    const char *currency;   /* "CNY" */
    const struct br_inv_line *lines;
    size_t nlines;
    int64_t gross_e8, free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8;
    int64_t round_down_e8, amount_due_e8;
    /* the period's notes (amount due = outstanding + debits - round-down;
     * credits went to the prepaid balance) */
    int64_t credits_e8, debits_e8;
    const struct br_inv_note *notes;
    size_t nnotes;
    const struct br_inv_plan *plans;
    size_t nplans;
    const struct br_inv_daily *daily;
    size_t ndaily;
    enum br_lang lang; /* labels, dates; BR_LANG_EN when left 0 */
};

/* A note workbook: the note, its parties, and the invoice of the period
 * that lists it. */
struct br_note_doc {
    struct br_party seller, buyer;
    const struct br_inv_note *note;
    const char *period;    /* YYYY-MM: the period it was posted in */
    const char *listed_on; /* that period's invoice of the account */
    int64_t issued_at;     /* the close time */
    int32_t tz_offset_s;
    const char *currency;
    enum br_lang lang;
};

struct br_sum_invoice {
    const char *invoice_no, *account_id, *name;
    int64_t gross_e8, free_e8, plan_e8, coupon_e8, balance_e8, outstanding_e8;
    int64_t credits_e8, debits_e8, round_down_e8, amount_due_e8;
};

struct br_sum_note {
    const char *account_id;
    const char *listed_on; /* the period's invoice of the account */
    const struct br_inv_note *note;
};

struct br_sum_tb {
    int account_code;
    const char *account_name;
    int64_t debit_e8, credit_e8; /* totals of the period */
};

struct br_sum_roll {
    const char *order_id, *account_id, *plan_type;
    int64_t opening_e8, sales_e8, recognised_e8, breakage_e8, closing_e8;
};

struct br_sum_reject {
    const char *file;
    int64_t line;
    const char *reason;
    const char *raw;    /* may hold anything: written as text */
    const char *detail; /* more on the reason ("" when none) */
};

/* Revenue of one revenue account (BR_ACC_REV_SHARED to BR_ACC_BREAKAGE: the
 * items' and breakage) on one local day: credits less debits of the period's entries,
 * by the local day of each entry's own time. */
struct br_sum_revenue {
    int64_t day; /* local day number; outside the period: shown on its first or last day */
    int account_code;
    const char *account_name;
    int64_t amount_e8;
};

struct br_summary_doc {
    const char *period;
    int64_t issued_at;
    int32_t tz_offset_s;
    const char *seller_name;
    const struct br_sum_invoice *invoices;
    size_t ninvoices;
    const struct br_sum_tb *tb;
    size_t ntb;
    const struct br_sum_roll *roll;
    size_t nroll;
    const struct br_sum_reject *rejects;
    size_t nrejects;
    const struct br_sum_note *notes;
    size_t nnotes;
    const struct br_sum_revenue *revenue; /* in (day, account_code) order */
    size_t nrevenue;
    enum br_lang lang;
};

/* Writes the invoice workbook to path (sheets Invoice, Plans, Daily usage).
 * With notes, the Invoice sheet adds a Debit notes row between Total and
 * Round-down discount, and lists the notes below the amount due. */
enum br_status br_xlsx_invoice(const struct br_invoice_doc *doc, const char *path,
                               struct br_error *err);

/* Writes a credit or debit note's workbook to path (one sheet, "Credit
 * note" or "Debit note"). */
enum br_status br_xlsx_note(const struct br_note_doc *doc, const char *path, struct br_error *err);

/* Writes the period summary (sheets Invoices, Trial balance, Contract
 * liability, Rejects, Notes, Charts). Charts holds two charts and their
 * data: revenue by revenue account per day of the period, and the month's
 * waterfall (gross, free allowance, plans, coupons, balance, outstanding,
 * the totals of the Invoices sheet). */
enum br_status br_xlsx_summary(const struct br_summary_doc *doc, const char *path,
                               struct br_error *err);

/* Each workbook is fsynced before it is renamed into place; this makes the
 * renames themselves durable, once for a folder after all its files (one
 * fsync of the directory instead of one per file). */
enum br_status br_xlsx_sync_dir(const char *dir, struct br_error *err);

#endif
