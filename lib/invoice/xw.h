/* The workbook writer shared by the invoice, the note and the summary
 * (lib/invoice internal; xlsx.h is the public face). Every cell goes
 * through these functions: text cleaned and never a formula, amounts
 * through their exact decimal text, errors sticky (the first is kept and
 * every later write skipped, so a caller checks once), the finished file
 * read back before it is renamed into place. */
#ifndef BR_XW_H
#define BR_XW_H

#include "core/mem.h"
#include "core/status.h"
#include "invoice/lang.h"

#include <xlsxwriter.h>

#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CELL_UNITS_MAX 32767 /* Excel's limit on a cell's text, in UTF-16 code units */
#define SHEET_ROWS_MAX 1048576u
#define TEXT_BYTES_MAX ((size_t)1 << 20) /* scratch for one cleaned string */
#define DEC_DIGITS_MAX 30                /* digits on each side of a decimal text */
#define QTY_DECIMALS_MAX 15              /* more than a cell number keeps */
#define PAPER_A4 9
#define HEAD_ROW_HEIGHT 30
#define HEAD_ROW_HEIGHT_2 42 /* zh-en */
#define TRUNCATED_MARK " [truncated]"
/* The display rules of lang.h: every cell keeps its exact value */
#define AMOUNT_NUM_FORMAT "#,##0.00######" /* exact: at least 2 decimals, the e8 when needed */
#define TOTAL_NUM_FORMAT "#,##0.00"        /* totals */
#define E8_NUM_FORMAT "#,##0.00000000"     /* the amounts that explain a round-down */
#define DUE_NUM_FORMAT "#,##0.00"          /* amount due is whole fen */
#define DUE_NUM_FORMAT_YEN "¥#,##0.00"     /* as Chinese documents write it */
#define HEAD_BG 0xD9E1F2
#define AUTHOR "billrun"
#define SUMMARY_CURRENCY "CNY" /* rules.md section 1: all money is CNY */

/* A column of a table: its header label in English and in Chinese, width,
 * and whether the label names the currency. */
struct col_spec {
    const char *label, *zh;
    unsigned char width;
    bool money;
};

struct xfmt {
    lxw_format *title, *bold, *head, *amount, *total, *due, *date, *datetime, *integer;
    lxw_format *e8, *total_e8, *wrap, *mark;
    lxw_format *qty[QTY_DECIMALS_MAX + 1]; /* "#,##0.000" by number of decimals, made on use */
};

/* One workbook being built. Errors are sticky: the first one is kept (in st
 * and *err) and every later cell write is skipped, so a caller checks once,
 * yet no libxlsxwriter return code goes unchecked. */
struct xw {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    const char *sheet; /* name of ws, for messages */
    struct br_error *err;
    enum br_status st;
    struct br_buf text; /* the cleaned form of the string being written */
    struct xfmt f;
    int32_t tz_offset_s;
    const char *currency;
    enum br_lang lang;
    bool draft; /* a document with no number: DRAFT in every sheet's header and footer */
    locale_t c_locale, saved_locale;
    char tmp_path[PATH_MAX];
};

/* Copies the characters of s that are safe anywhere (page headers, titles,
 * messages: [A-Za-z0-9 ._-]), others as '?', at most size - 1 bytes. */
void xw_ascii_copy(char *dst, size_t size, const char *s);

/* Records the first libxlsxwriter failure. */
void xw_lxw(struct xw *w, lxw_error e, lxw_row_t row, lxw_col_t col);

/* A string cell: the text cleaned (control characters and invalid UTF-8
 * shown as \xNN) and cut to a cell's limit, never a formula. */
void xw_text(struct xw *w, lxw_row_t row, lxw_col_t col, const char *s, lxw_format *fmt);

/* The one place where a number becomes binary floating point (xlsx.h): the
 * value of a cell is the nearest double to an exact decimal text (an e8
 * amount formatted by br_e8_format, or a quantity's text), as strtod gives
 * it; w->c_locale is in use, so '.' is the decimal point. With a formula,
 * the number is written as the formula's cached result. text must have
 * passed dec_text_ok. */
void xw_number(struct xw *w, lxw_row_t row, lxw_col_t col, const char *formula, const char *text,
               lxw_format *fmt);

/* An e8 amount as a number cell (through its exact decimal text). */
void xw_e8(struct xw *w, lxw_row_t row, lxw_col_t col, const char *formula, int64_t e8,
           lxw_format *fmt);

/* An integer cell. */
void xw_int(struct xw *w, lxw_row_t row, lxw_col_t col, int64_t v);

/* A quantity given as exact decimal text: a number shown with exactly its
 * own decimals; text that is not a decimal ("see detail") stays text. */
void xw_dec(struct xw *w, lxw_row_t row, lxw_col_t col, const char *text);

/* A local day number as a date cell (text outside Excel's date range). */
void xw_day(struct xw *w, lxw_row_t row, lxw_col_t col, int64_t day);

/* An instant (UTC seconds) as a date-time cell in the billing calendar. */
void xw_local_time(struct xw *w, lxw_row_t row, lxw_col_t col, int64_t t);

/* A totals cell: =SUM over the n cells above from row first, with the exact
 * total as its cached value, so a viewer that does not recalculate shows
 * the right number. With no cells a plain number: a SUM over an empty range
 * would turn into one that includes the cell itself. */
void xw_sum(struct xw *w, lxw_row_t row, lxw_col_t col, lxw_row_t first, size_t n, int64_t total_e8,
            lxw_format *fmt);

/* A header row from a table spec; money labels get the currency. Columns
 * whose width is 0 keep the width they have. */
void xw_head(struct xw *w, lxw_row_t row, const struct col_spec *cols, size_t n);

/* Adds a worksheet and makes it the current one. */
void xw_sheet(struct xw *w, const char *name);

/* Print setup: A4 landscape, one page wide, the table header repeated on
 * every page and frozen on screen, title and page numbers. */
void xw_page(struct xw *w, lxw_row_t head_row, lxw_row_t last_row, lxw_col_t last_col,
             const char *title);

/* Starts a workbook at PATH.tmp-<pid>, in the C locale for numbers, its
 * labels and date formats in lang. */
enum br_status xw_open(struct xw *w, const char *path, int32_t tz_offset_s, const char *currency,
                       enum br_lang lang, struct br_error *err);

/* A label of lang.h in the workbook's language. */
const char *xw_l(const struct xw *w, enum br_label l);

/* Document properties; created is the issue time, for byte-identical files
 * (libxlsxwriter uses the current time when it is 0). */
void xw_props(struct xw *w, const char *title, const char *subject, const char *company,
              int64_t created);

/* Closes the workbook; when all went well, reads it back (xlsx_verify),
 * fsyncs it and renames it into place (the folder itself is synced once for
 * all its files: br_xlsx_sync_dir). On any failure nothing is left at path
 * nor at the temporary name. */
enum br_status xw_finish(struct xw *w, const char *path);

/* Adds v[0..n) into sum[0..n); false on overflow. */
bool xw_add_all(int64_t *sum, const int64_t *v, size_t n);

/* The rows of a table of n entries, with its header and totals row. */
bool xw_table_fits(size_t n);

/* Whether t can be a workbook's created time (0 would mean now to
 * libxlsxwriter; past 9999 is no date). */
bool xw_created_ok(int64_t t);

/* A label and its value in two cells side by side. */
void xw_pair(struct xw *w, lxw_row_t row, lxw_col_t col, const char *label, const char *value);

#endif
