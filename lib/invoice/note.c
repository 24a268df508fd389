/* A credit or debit note's workbook (xlsx.h, corrections.md section 3): the
 * seller and buyer blocks, the note's number and date, the invoice it
 * corrects, the item, the amount, the reason, and what the note does to
 * the customer's account. */
#include "invoice/xlsx.h"

#include "core/btime.h"
#include "invoice/xw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Layout (0-based rows): title, number and date, period and currency,
 * parties from row 4 as on the invoice (seller A:B, buyer F:G), then the
 * note's lines from row 12. */
enum { NOTE_ROW_TITLE = 0, NOTE_ROW_NUMBER = 1, NOTE_ROW_PERIOD = 2, NOTE_ROW_PARTY = 4 };
enum { NOTE_ROW_BODY = 12 };
enum { COL_LABEL = 0, COL_VALUE = 1, COL_BUYER_LABEL = 5, COL_BUYER_VALUE = 6 };

static enum br_label n_title(const struct br_note_doc *d)
{
    return d->note->credit ? BR_L_CREDIT_NOTE : BR_L_DEBIT_NOTE;
}

static void note_parties(struct xw *w, const struct br_note_doc *d, const char *title)
{
    const struct br_party *s = &d->seller, *b = &d->buyer;
    char tz[16];
    int32_t a = d->tz_offset_s < 0 ? -d->tz_offset_s : d->tz_offset_s;
    snprintf(tz, sizeof(tz), "UTC%c%02d:%02d", d->tz_offset_s < 0 ? '-' : '+', (int)(a / 3600),
             (int)(a / 60 % 60));
    xw_text(w, NOTE_ROW_TITLE, 0, title, w->f.title);
    xw_pair(w, NOTE_ROW_NUMBER, 0, xw_l(w, BR_L_NOTE_NO), d->note->note_no);
    xw_text(w, NOTE_ROW_NUMBER, COL_BUYER_LABEL, xw_l(w, BR_L_ISSUE_DATE), NULL);
    xw_day(w, NOTE_ROW_NUMBER, COL_BUYER_VALUE,
           br_floor_div(d->issued_at + d->tz_offset_s, BR_DAY_S));
    xw_pair(w, NOTE_ROW_PERIOD, 0, xw_l(w, BR_L_PERIOD), d->period);
    xw_pair(w, NOTE_ROW_PERIOD, COL_BUYER_LABEL, xw_l(w, BR_L_CURRENCY), d->currency);
    lxw_row_t r = NOTE_ROW_PARTY;
    xw_text(w, r, 0, xw_l(w, BR_L_SELLER), w->f.bold);
    xw_text(w, r, COL_BUYER_LABEL, xw_l(w, BR_L_CUSTOMER), w->f.bold);
    const enum br_label sl[6] = {BR_L_NAME, BR_L_ADDRESS,      BR_L_TAX_ID,
                                 BR_L_BANK, BR_L_BANK_ACCOUNT, BR_L_PHONE};
    const char *sv[6] = {s->name, s->address, s->tax_id, s->bank, s->bank_account, s->phone};
    const enum br_label bl[6] = {BR_L_ACCOUNT_ID, BR_L_NAME,  BR_L_ADDRESS,
                                 BR_L_TAX_ID,     BR_L_EMAIL, BR_L_DATES_IN};
    const char *bv[6] = {b->account_id, b->name, b->address, b->tax_id, b->email, tz};
    for (lxw_row_t i = 0; i < 6; i++) {
        xw_pair(w, r + 1 + i, 0, xw_l(w, sl[i]), sv[i]);
        xw_pair(w, r + 1 + i, COL_BUYER_LABEL, xw_l(w, bl[i]), bv[i]);
    }
}

/* The note's own lines; returns the last row. */
static lxw_row_t note_body(struct xw *w, const struct br_note_doc *d)
{
    const struct br_inv_note *n = d->note;
    lxw_row_t r = NOTE_ROW_BODY;
    xw_text(w, r, COL_LABEL, xw_l(w, n->credit ? BR_L_CREDIT_NOTE : BR_L_DEBIT_NOTE), w->f.bold);
    xw_pair(w, r + 1, COL_LABEL, xw_l(w, BR_L_ADJUSTMENT_ID), n->adjustment_id);
    xw_text(w, r + 2, COL_LABEL, xw_l(w, BR_L_DATE), NULL);
    xw_local_time(w, r + 2, COL_VALUE, n->adjustment_time);
    xw_pair(w, r + 3, COL_LABEL, xw_l(w, BR_L_CORRECTS),
            n->invoice_no != NULL && n->invoice_no[0] != '\0' ? n->invoice_no
                                                              : xw_l(w, BR_L_NO_INVOICE));
    xw_pair(w, r + 4, COL_LABEL, xw_l(w, BR_L_LISTED_ON), d->listed_on);
    xw_pair(w, r + 5, COL_LABEL, xw_l(w, BR_L_ITEM), br_item_text(w->lang, n->item, n->label));
    xw_pair(w, r + 6, COL_LABEL, xw_l(w, BR_L_REASON), n->reason);
    char label[160];
    snprintf(label, sizeof(label), "%s (%.16s)", xw_l(w, BR_L_AMOUNT), d->currency);
    xw_text(w, r + 7, COL_LABEL, label, w->f.bold);
    xw_e8(w, r + 7, COL_VALUE, NULL, n->amount_e8, w->f.amount);
    xw_pair(w, r + 8, COL_LABEL, xw_l(w, BR_L_EFFECT),
            xw_l(w, n->credit ? BR_L_EFFECT_CREDIT : BR_L_EFFECT_DEBIT));
    if (n->late)
        xw_pair(w, r + 9, COL_LABEL, xw_l(w, BR_L_POSTED_LATE), xw_l(w, BR_L_POSTED_LATE_WHY));
    return n->late ? r + 9 : r + 8;
}

enum br_status br_xlsx_note(const struct br_note_doc *doc, const char *path, struct br_error *err)
{
    BR_ASSERT(doc != NULL && doc->note != NULL);
    BR_ASSERT(path != NULL);
    char no[64], period[16], title[96], subject[64];
    xw_ascii_copy(no, sizeof(no), doc->note->note_no);
    xw_ascii_copy(period, sizeof(period), doc->period);
    if (!xw_created_ok(doc->issued_at))
        return br_fail(err, BR_ERR_INPUT, "xlsx: note %s: issued_at %" PRId64 " is not a time", no,
                       doc->issued_at);
    if (doc->note->amount_e8 <= 0)
        return br_fail(err, BR_ERR_VERIFY, "xlsx: note %s: amount %" PRId64 " e8 is not positive",
                       no, doc->note->amount_e8);
    /* the sheet and the document title stay English: names for programs */
    const char *kind = doc->note->credit ? "Credit note" : "Debit note";
    snprintf(title, sizeof(title), "%s %s", kind, no);
    snprintf(subject, sizeof(subject), "Billing period %s", period);
    struct xw w;
    xw_open(&w, path, doc->tz_offset_s, doc->currency, doc->lang, err);
    xw_props(&w, title, subject, doc->seller.name, doc->issued_at);
    xw_sheet(&w, kind);
    static const unsigned char widths[] = {22, 44, 4, 4, 4, 16, 30};
    for (size_t c = 0; c < sizeof(widths) / sizeof(widths[0]) && w.st == BR_OK; c++)
        xw_lxw(&w, worksheet_set_column(w.ws, (lxw_col_t)c, (lxw_col_t)c, widths[c], NULL), 0,
               (lxw_col_t)c);
    note_parties(&w, doc, xw_l(&w, n_title(doc)));
    lxw_row_t last = note_body(&w, doc);
    xw_page(&w, NOTE_ROW_TITLE, last, COL_BUYER_VALUE, title);
    return xw_finish(&w, path);
}
