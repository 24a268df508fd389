/* PDF copies of the invoices and of the credit and debit notes (issue #20
 * part 3), beside their workbooks and with the same numbers: cairo writes
 * the PDF, pango lays out the text (Chinese and Latin in one font), A4
 * landscape like the workbooks' print setup, page numbers on every page.
 *
 * The font is one file, WenQuanYi Micro Hei (Debian fonts-wqy-microhei),
 * or the file $BILLRUN_PDF_FONT names, loaded into a fontconfig
 * configuration of its own: no system font is ever substituted, so a PDF
 * depends on billrun, cairo, pango and that file only. It is TrueType:
 * cairo embeds only the glyphs a document uses, a few milliseconds and a
 * few dozen KB per invoice, where Noto Sans CJK (CFF) costs about 50 ms and
 * 1 MB each (cairo 1.16 copies its subroutines whole).
 *
 * Output is deterministic: the creation and modification dates are the
 * document's issue time, and nothing else in the file depends on when or
 * where it was written. Files are written aside (PATH.tmp-<pid>), synced,
 * made 0640 and renamed into place; on any failure nothing is left at PATH
 * nor at the temporary name. */
#ifndef BR_PDF_H
#define BR_PDF_H

#include "core/status.h"
#include "invoice/xlsx.h"

#define BR_PDF_FONT_FILE "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

/* One thread's renderer: its font configuration, font map, context and
 * layout, made once and used for every document the thread writes (a font
 * map costs 10-20 ms to make; a document a few ms). Not shared between
 * threads. */
struct br_pdf;

/* Makes a renderer. BR_ERR_IO when the font file cannot be loaded (the
 * message names it and the Debian package), BR_ERR_NOMEM on exhaustion.
 * *out is NULL on failure. */
enum br_status br_pdf_new(struct br_pdf **out, struct br_error *err);
void br_pdf_free(struct br_pdf *p);

/* Writes the invoice's PDF to path: number, dates, seller and buyer, the
 * lines, totals, debit notes, round-down and amount due (in capitals on
 * Chinese documents), the period's notes, the note on decimals. */
enum br_status br_pdf_invoice(struct br_pdf *p, const struct br_invoice_doc *doc, const char *path,
                              struct br_error *err);

/* Writes a credit or debit note's PDF to path. */
enum br_status br_pdf_note(struct br_pdf *p, const struct br_note_doc *doc, const char *path,
                           struct br_error *err);

#endif
