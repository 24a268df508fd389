/* The invoice workbook (xlsx.h): sheets Invoice, Plans and Daily usage, in
 * the document's language (lang.h), with a small chart of the daily gross
 * by item below the invoice (its data beside the daily table). */
#include "invoice/xlsx.h"

#include "core/btime.h"
#include "core/money.h"
#include "invoice/cnamount.h"
#include "invoice/xw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Invoice sheet layout; the constants are 0-based, the text 1-based as a
 * spreadsheet shows it (tests/xlsx_check.py and the integration tests rely
 * on it). Rows 1-3: title, number and issue date, period and currency; rows
 * 5-11: seller (A:B) and buyer (F:G); row 13: line header; lines from row
 * 14; then Total, Round-down discount, Amount due (amounts in E:J, the last
 * two in J); on Chinese documents the amount due in capitals (B); the note
 * on decimals (B:J); the period's notes; the daily chart. */
enum {
    INV_ROW_TITLE = 0,
    INV_ROW_NUMBER = 1,
    INV_ROW_PERIOD = 2,
    INV_ROW_PARTY = 4,
    INV_ROW_HEAD = 12,
    INV_ROW_LINE0 = 13,
};
enum {
    INV_COL_ITEM,
    INV_COL_QTY,
    INV_COL_UNIT,
    INV_COL_PRICE,
    INV_COL_GROSS,
    INV_COL_FREE,
    INV_COL_PLAN,
    INV_COL_COUPON,
    INV_COL_BALANCE,
    INV_COL_OUTSTANDING,
    INV_COLS
};
enum { INV_AMOUNTS = 6 };
enum { INV_COL_BUYER_LABEL = INV_COL_FREE, INV_COL_BUYER_VALUE = INV_COL_PLAN };

static const struct col_spec inv_cols[INV_COLS] = {
    {"Item", "项目", 34, false},
    {"Quantity", "数量", 14, false},
    {"Unit", "单位", 12, false},
    {"Unit price", "单价", 24, false},
    {"Gross", "原价金额", 16, true},
    {"Free allowance", "免费额度", 16, true},
    {"Plan deduction", "资源包抵扣", 16, true},
    {"Coupon deduction", "优惠券抵扣", 16, true},
    {"Balance deduction", "余额抵扣", 16, true},
    {"Outstanding", "待支付", 16, true},
};
static const char *const amount_names[INV_AMOUNTS] = {"gross",  "free",    "plan",
                                                      "coupon", "balance", "outstanding"};

static void line_amounts(const struct br_inv_line *l, int64_t v[INV_AMOUNTS])
{
    v[0] = l->gross_e8, v[1] = l->free_e8, v[2] = l->plan_e8;
    v[3] = l->coupon_e8, v[4] = l->balance_e8, v[5] = l->outstanding_e8;
}

static void doc_amounts(const struct br_invoice_doc *d, int64_t v[INV_AMOUNTS])
{
    v[0] = d->gross_e8, v[1] = d->free_e8, v[2] = d->plan_e8;
    v[3] = d->coupon_e8, v[4] = d->balance_e8, v[5] = d->outstanding_e8;
}

/* The totals are written as SUM formulas over the lines with the document's
 * totals as cached values, so they must agree, or the file would show one
 * number and recalculate to another. */
static enum br_status invoice_check(const struct br_invoice_doc *d, struct br_error *err)
{
    char no[64];
    xw_ascii_copy(no, sizeof(no), d->invoice_no != NULL ? d->invoice_no : "(draft)");
    if (!xw_created_ok(d->issued_at))
        return br_fail(err, BR_ERR_INPUT, "xlsx: invoice %s: issued_at %" PRId64 " is not a time",
                       no, d->issued_at);
    if (INV_ROW_LINE0 + 9 + (uint64_t)d->nlines + d->nnotes > SHEET_ROWS_MAX)
        return br_fail(err, BR_ERR_XLSX, "xlsx: invoice %s: %zu lines do not fit a sheet", no,
                       d->nlines);
    int64_t sum[INV_AMOUNTS] = {0}, tot[INV_AMOUNTS], v[INV_AMOUNTS];
    for (size_t i = 0; i < d->nlines; i++) {
        line_amounts(&d->lines[i], v);
        for (size_t k = 0; k < INV_AMOUNTS; k++)
            if (!br_add_i64(sum[k], v[k], &sum[k]))
                return br_fail(err, BR_ERR_OVERFLOW, "xlsx: invoice %s: %s total overflows", no,
                               amount_names[k]);
    }
    doc_amounts(d, tot);
    for (size_t k = 0; k < INV_AMOUNTS; k++)
        if (sum[k] != tot[k])
            return br_fail(err, BR_ERR_VERIFY,
                           "xlsx: invoice %s: lines' %s sum to %" PRId64 " e8, total says %" PRId64,
                           no, amount_names[k], sum[k], tot[k]);
    int64_t notes[2] = {0, 0}; /* credits, debits */
    for (size_t i = 0; i < d->nnotes; i++)
        if (!br_add_i64(notes[!d->notes[i].credit], d->notes[i].amount_e8,
                        &notes[!d->notes[i].credit]))
            return br_fail(err, BR_ERR_OVERFLOW, "xlsx: invoice %s: notes overflow", no);
    if (notes[0] != d->credits_e8 || notes[1] != d->debits_e8)
        return br_fail(err, BR_ERR_VERIFY,
                       "xlsx: invoice %s: notes sum to %" PRId64 " credited and %" PRId64
                       " debited, totals say %" PRId64 " and %" PRId64,
                       no, notes[0], notes[1], d->credits_e8, d->debits_e8);
    int64_t due;
    if (__builtin_add_overflow(d->outstanding_e8, d->debits_e8, &due) ||
        __builtin_sub_overflow(due, d->round_down_e8, &due) || due != d->amount_due_e8)
        return br_fail(err, BR_ERR_VERIFY,
                       "xlsx: invoice %s: amount due %" PRId64 " != outstanding %" PRId64
                       " + debits %" PRId64 " - round-down %" PRId64,
                       no, d->amount_due_e8, d->outstanding_e8, d->debits_e8, d->round_down_e8);
    return BR_OK;
}

static void invoice_parties(struct xw *w, const struct br_invoice_doc *d)
{
    const lxw_col_t bl = INV_COL_BUYER_LABEL, bv = INV_COL_BUYER_VALUE;
    const struct br_party *s = &d->seller, *b = &d->buyer;
    char tz[16];
    int32_t a = d->tz_offset_s < 0 ? -d->tz_offset_s : d->tz_offset_s;
    snprintf(tz, sizeof(tz), "UTC%c%02d:%02d", d->tz_offset_s < 0 ? '-' : '+', (int)(a / 3600),
             (int)(a / 60 % 60));

    xw_text(w, INV_ROW_TITLE, 0, xw_l(w, d->invoice_no != NULL ? BR_L_INVOICE : BR_L_INVOICE_DRAFT),
            w->f.title);
    if (d->invoice_no == NULL && w->st == BR_OK)
        xw_lxw(w,
               worksheet_merge_range(w->ws, INV_ROW_TITLE, INV_COL_GROSS, INV_ROW_TITLE,
                                     INV_COL_OUTSTANDING, xw_l(w, BR_L_DRAFT_MARK), w->f.mark),
               INV_ROW_TITLE, INV_COL_GROSS);
    xw_pair(w, INV_ROW_NUMBER, 0, xw_l(w, BR_L_INVOICE_NO),
            d->invoice_no != NULL ? d->invoice_no : xw_l(w, BR_L_DRAFT_NO));
    xw_text(w, INV_ROW_NUMBER, bl, xw_l(w, BR_L_ISSUE_DATE), NULL);
    xw_day(w, INV_ROW_NUMBER, bv, br_floor_div(d->issued_at + d->tz_offset_s, BR_DAY_S));
    xw_pair(w, INV_ROW_PERIOD, 0, xw_l(w, BR_L_PERIOD), d->period);
    xw_pair(w, INV_ROW_PERIOD, bl, xw_l(w, BR_L_CURRENCY), d->currency);

    lxw_row_t r = INV_ROW_PARTY;
    xw_text(w, r, 0, xw_l(w, BR_L_SELLER), w->f.bold);
    xw_text(w, r, bl, xw_l(w, BR_L_BILL_TO), w->f.bold);
    const enum br_label sl[6] = {BR_L_NAME, BR_L_ADDRESS,      BR_L_TAX_ID,
                                 BR_L_BANK, BR_L_BANK_ACCOUNT, BR_L_PHONE};
    const char *sv[6] = {s->name, s->address, s->tax_id, s->bank, s->bank_account, s->phone};
    const enum br_label blab[6] = {BR_L_ACCOUNT_ID, BR_L_NAME,  BR_L_ADDRESS,
                                   BR_L_TAX_ID,     BR_L_EMAIL, BR_L_DATES_IN};
    const char *bvals[6] = {b->account_id, b->name, b->address, b->tax_id, b->email, tz};
    for (lxw_row_t i = 0; i < 6; i++) {
        xw_pair(w, r + 1 + i, 0, xw_l(w, sl[i]), sv[i]);
        xw_pair(w, r + 1 + i, bl, xw_l(w, blab[i]), bvals[i]);
    }
    (void)bv;
}

static void invoice_lines(struct xw *w, const struct br_invoice_doc *d)
{
    xw_head(w, INV_ROW_HEAD, inv_cols, INV_COLS);
    for (size_t i = 0; i < d->nlines && w->st == BR_OK; i++) {
        const struct br_inv_line *l = &d->lines[i];
        lxw_row_t r = (lxw_row_t)(INV_ROW_LINE0 + i);
        int64_t v[INV_AMOUNTS];
        line_amounts(l, v);
        xw_text(w, r, INV_COL_ITEM, br_item_text(w->lang, l->item, l->label), NULL);
        xw_dec(w, r, INV_COL_QTY, l->quantity);
        xw_text(w, r, INV_COL_UNIT, l->unit, NULL);
        xw_text(w, r, INV_COL_PRICE, l->unit_price, NULL);
        for (size_t k = 0; k < INV_AMOUNTS; k++)
            xw_e8(w, r, (lxw_col_t)(INV_COL_GROSS + k), NULL, v[k], w->f.amount);
    }
}

/* Total, then (with notes) Debit notes, then Round-down discount and
 * Amount due (lang.h's display rules: totals with 2 decimals, the
 * outstanding total, debits and round-down with all 8). Returns the row of
 * Amount due. */
static lxw_row_t invoice_totals(struct xw *w, const struct br_invoice_doc *d)
{
    lxw_row_t tot = (lxw_row_t)(INV_ROW_LINE0 + d->nlines), debits = tot + 1;
    lxw_row_t rd = d->nnotes > 0 ? tot + 2 : tot + 1, due = rd + 1;
    int64_t v[INV_AMOUNTS];
    doc_amounts(d, v);
    xw_text(w, tot, INV_COL_ITEM, xw_l(w, BR_L_TOTAL), w->f.bold);
    for (size_t k = 0; k < INV_AMOUNTS; k++)
        xw_sum(w, tot, (lxw_col_t)(INV_COL_GROSS + k), INV_ROW_LINE0, d->nlines, v[k],
               k == INV_AMOUNTS - 1 ? w->f.total_e8 : w->f.total);
    const char J = 'A' + INV_COL_OUTSTANDING;
    char formula[64];
    if (d->nnotes > 0) {
        xw_text(w, debits, INV_COL_ITEM, xw_l(w, BR_L_DEBIT_NOTES), NULL);
        xw_e8(w, debits, INV_COL_OUTSTANDING, NULL, d->debits_e8, w->f.e8);
        snprintf(formula, sizeof(formula), "=%c%" PRIu32 "+%c%" PRIu32 "-%c%" PRIu32, J, tot + 1, J,
                 debits + 1, J, rd + 1);
    } else {
        snprintf(formula, sizeof(formula), "=%c%" PRIu32 "-%c%" PRIu32, J, tot + 1, J, rd + 1);
    }
    xw_text(w, rd, INV_COL_ITEM, xw_l(w, BR_L_ROUND_DOWN), NULL);
    xw_e8(w, rd, INV_COL_OUTSTANDING, NULL, d->round_down_e8, w->f.e8);
    xw_text(w, due, INV_COL_ITEM, xw_l(w, BR_L_AMOUNT_DUE), w->f.bold);
    xw_e8(w, due, INV_COL_OUTSTANDING, formula, d->amount_due_e8, w->f.due);
    return due;
}

/* Below the amount due: on Chinese documents the amount in capitals, then
 * why lines show more than two decimals. Returns the last row written. */
static lxw_row_t invoice_words(struct xw *w, const struct br_invoice_doc *d, lxw_row_t due)
{
    lxw_row_t r = due;
    if (w->lang != BR_LANG_EN) {
        char words[BR_CN_TEXT_MAX], text[BR_CN_TEXT_MAX + 16];
        r++;
        xw_text(w, r, INV_COL_ITEM, xw_l(w, BR_L_AMOUNT_WORDS), NULL);
        /* 人民币 directly before the numerals (PBOC rule 三) */
        if (br_cn_capital(d->amount_due_e8 / BR_E8_FEN, BR_CN_ZHENG_AFTER_JIAO, words,
                          sizeof(words)) == 0) {
            snprintf(text, sizeof(text), "人民币%s", words);
            xw_text(w, r, INV_COL_QTY, text, NULL);
        }
    }
    r++;
    xw_text(w, r, INV_COL_ITEM, xw_l(w, BR_L_DECIMALS_NOTE), w->f.wrap);
    if (w->st == BR_OK)
        xw_lxw(w,
               worksheet_merge_range(w->ws, r, INV_COL_QTY, r, INV_COL_OUTSTANDING,
                                     xw_l(w, BR_L_DECIMALS_WHY), w->f.wrap),
               r, INV_COL_QTY);
    if (w->st == BR_OK)
        xw_lxw(w, worksheet_set_row(w->ws, r, w->lang == BR_LANG_ZH_EN ? 45 : 30, NULL), r, 0);
    return r;
}

/* The period's credit and debit notes, below the amount due: a header, a
 * row per note, then what the credits did. Returns the last row written. */
enum {
    NOTE_COL_NO,
    NOTE_COL_KIND,
    NOTE_COL_DATE,
    NOTE_COL_ITEM,
    NOTE_COL_AMOUNT,
    NOTE_COL_INVOICE,
    NOTE_COL_REASON,
};

static lxw_row_t invoice_notes(struct xw *w, const struct br_invoice_doc *d, lxw_row_t after)
{
    if (d->nnotes == 0)
        return after;
    static const struct col_spec cols[] = {
        {"Note number", "通知单号码", 0, false},
        {"Kind", "类型", 0, false},
        {"Date", "日期", 0, false},
        {"Item", "项目", 0, false},
        {"Amount", "金额", 0, true},
        {"Corrects invoice", "更正账单", 0, false},
        {"Reason", "原因", 0, false},
    };
    lxw_row_t head = after + 3;
    xw_text(w, head - 1, NOTE_COL_NO, xw_l(w, BR_L_NOTES_OF_PERIOD), w->f.bold);
    xw_head(w, head, cols, sizeof(cols) / sizeof(cols[0]));
    for (size_t i = 0; i < d->nnotes && w->st == BR_OK; i++) {
        const struct br_inv_note *n = &d->notes[i];
        lxw_row_t r = (lxw_row_t)(head + 1 + i);
        xw_text(w, r, NOTE_COL_NO, n->note_no, NULL);
        xw_text(w, r, NOTE_COL_KIND, xw_l(w, n->credit ? BR_L_CREDIT : BR_L_DEBIT), NULL);
        xw_local_time(w, r, NOTE_COL_DATE, n->adjustment_time);
        xw_text(w, r, NOTE_COL_ITEM, br_item_text(w->lang, n->item, n->label), NULL);
        xw_e8(w, r, NOTE_COL_AMOUNT, NULL, n->amount_e8, w->f.amount);
        xw_text(w, r, NOTE_COL_INVOICE, n->invoice_no, NULL);
        xw_text(w, r, NOTE_COL_REASON, n->reason, NULL);
    }
    lxw_row_t r = (lxw_row_t)(head + 1 + d->nnotes);
    xw_text(w, r, NOTE_COL_NO, xw_l(w, BR_L_CREDITS_TO_BALANCE), NULL);
    xw_e8(w, r, NOTE_COL_AMOUNT, NULL, d->credits_e8, w->f.total);
    xw_text(w, r + 1, NOTE_COL_NO, xw_l(w, BR_L_DEBITS_IN_DUE), NULL);
    xw_e8(w, r + 1, NOTE_COL_AMOUNT, NULL, d->debits_e8, w->f.total);
    return r + 1;
}

enum {
    PLAN_COL_ORDER,
    PLAN_COL_TYPE,
    PLAN_COL_SCOPE,
    PLAN_COL_BUNDLE,
    PLAN_COL_UNIT,
    PLAN_COL_FROM,
    PLAN_COL_TO,
    PLAN_COL_FACE,
    PLAN_COL_OPENING,
    PLAN_COL_USED,
    PLAN_COL_EXPIRED,
    PLAN_COL_CLOSING,
    PLAN_COL_PAID,
    PLAN_COL_RECOGNISED,
    PLAN_COLS
};

static const struct col_spec plan_cols[PLAN_COLS] = {
    {"Order ID", "订单号", 20, false},
    {"Plan type", "资源包类型", 14, false},
    {"Scope", "适用项目", 14, false},
    {"Bundle", "组合包", 18, false},
    {"Unit", "单位", 12, false},
    {"Valid from", "生效时间", 20, false},
    {"Valid to", "失效时间", 20, false},
    {"Face", "面额", 14, false},
    {"Opening", "期初", 14, false},
    {"Used this period", "本期使用", 14, false},
    {"Expired", "过期", 14, false},
    {"Closing", "期末", 14, false},
    {"Paid", "已付金额", 16, true},
    {"Revenue recognised this period", "本期确认收入", 18, true},
};

static void plans_sheet(struct xw *w, const struct br_invoice_doc *d, const char *title)
{
    int64_t paid = 0, recognised = 0;
    xw_sheet(w, "Plans");
    xw_head(w, 0, plan_cols, PLAN_COLS);
    for (size_t i = 0; i < d->nplans && w->st == BR_OK; i++) {
        const struct br_inv_plan *p = &d->plans[i];
        lxw_row_t r = (lxw_row_t)(1 + i);
        if (!br_add_i64(paid, p->paid_e8, &paid) ||
            !br_add_i64(recognised, p->recognised_e8, &recognised))
            w->st = br_fail(w->err, BR_ERR_OVERFLOW, "xlsx: plans total overflows");
        xw_text(w, r, PLAN_COL_ORDER, p->order_id, NULL);
        xw_text(w, r, PLAN_COL_TYPE, p->plan_type, NULL);
        xw_text(w, r, PLAN_COL_SCOPE, p->scope, NULL);
        xw_text(w, r, PLAN_COL_BUNDLE, p->bundle_id, NULL);
        xw_text(w, r, PLAN_COL_UNIT, p->unit, NULL);
        xw_local_time(w, r, PLAN_COL_FROM, p->valid_from);
        xw_local_time(w, r, PLAN_COL_TO, p->valid_to);
        xw_dec(w, r, PLAN_COL_FACE, p->face);
        xw_dec(w, r, PLAN_COL_OPENING, p->opening);
        xw_dec(w, r, PLAN_COL_USED, p->used);
        xw_dec(w, r, PLAN_COL_EXPIRED, p->expired);
        xw_dec(w, r, PLAN_COL_CLOSING, p->closing);
        xw_e8(w, r, PLAN_COL_PAID, NULL, p->paid_e8, w->f.amount);
        xw_e8(w, r, PLAN_COL_RECOGNISED, NULL, p->recognised_e8, w->f.amount);
    }
    lxw_row_t tot = (lxw_row_t)(1 + d->nplans);
    xw_text(w, tot, 0, xw_l(w, BR_L_TOTAL), w->f.bold);
    xw_sum(w, tot, PLAN_COL_PAID, 1, d->nplans, paid, w->f.total);
    xw_sum(w, tot, PLAN_COL_RECOGNISED, 1, d->nplans, recognised, w->f.total);
    xw_page(w, 0, tot, PLAN_COLS - 1, title);
}

enum { DAY_COL_DAY, DAY_COL_ITEM, DAY_COL_QTY, DAY_COL_UNIT, DAY_COL_GROSS, DAY_COL_OUT, DAY_COLS };

static const struct col_spec day_cols[DAY_COLS] = {
    {"Day", "日期", 12, false},      {"Item", "项目", 20, false},
    {"Quantity", "数量", 16, false}, {"Unit", "单位", 12, false},
    {"Gross", "原价金额", 16, true}, {"Outstanding", "待支付", 16, true},
};

static void daily_sheet(struct xw *w, const struct br_invoice_doc *d, const char *title)
{
    int64_t gross = 0, out = 0;
    xw_sheet(w, "Daily usage");
    xw_head(w, 0, day_cols, DAY_COLS);
    for (size_t i = 0; i < d->ndaily && w->st == BR_OK; i++) {
        const struct br_inv_daily *u = &d->daily[i];
        lxw_row_t r = (lxw_row_t)(1 + i);
        if (!br_add_i64(gross, u->gross_e8, &gross) || !br_add_i64(out, u->outstanding_e8, &out))
            w->st = br_fail(w->err, BR_ERR_OVERFLOW, "xlsx: daily usage total overflows");
        xw_day(w, r, DAY_COL_DAY, u->day);
        xw_text(w, r, DAY_COL_ITEM, br_item_text(w->lang, u->item, NULL), NULL);
        xw_dec(w, r, DAY_COL_QTY, u->quantity);
        xw_text(w, r, DAY_COL_UNIT, u->unit, NULL);
        xw_e8(w, r, DAY_COL_GROSS, NULL, u->gross_e8, w->f.amount);
        xw_e8(w, r, DAY_COL_OUT, NULL, u->outstanding_e8, w->f.amount);
    }
    lxw_row_t tot = (lxw_row_t)(1 + d->ndaily);
    if (w->st == BR_OK)
        xw_lxw(w, worksheet_autofilter(w->ws, 0, 0, tot - 1, DAY_COLS - 1), 0, 0);
    xw_text(w, tot, 0, xw_l(w, BR_L_TOTAL), w->f.bold);
    xw_sum(w, tot, DAY_COL_GROSS, 1, d->ndaily, gross, w->f.total);
    xw_sum(w, tot, DAY_COL_OUT, 1, d->ndaily, out, w->f.total);
    xw_page(w, 0, tot, DAY_COLS - 1, title);
}

/* The daily chart's data: gross per day and item, a column per item,
 * beside the daily table (from column H). An invoice with no usage, or with
 * more items or days than a small chart shows, has no chart. */
enum { WIDE_ITEMS_MAX = 8, WIDE_DAYS_MAX = 62, WIDE_COL = DAY_COLS + 1 };
#define CHART_ROWS 13 /* rows the chart covers on the Invoice sheet */

struct daily_wide {
    size_t nitems, ndays;
    const char *item[WIDE_ITEMS_MAX];
    int64_t day[WIDE_DAYS_MAX];
    int64_t gross[WIDE_DAYS_MAX][WIDE_ITEMS_MAX];
};

static bool daily_wide_make(const struct br_invoice_doc *d, struct daily_wide *x)
{
    for (size_t i = 0; i < d->ndaily; i++) {
        const struct br_inv_daily *u = &d->daily[i];
        size_t k = 0, t = x->ndays;
        while (k < x->nitems && strcmp(x->item[k], u->item) != 0)
            k++;
        if (k == x->nitems && x->nitems == WIDE_ITEMS_MAX)
            return false;
        x->item[k] = u->item;
        x->nitems += k == x->nitems;
        if (t == 0 || x->day[t - 1] != u->day) { /* the rows come in day order */
            if (t == WIDE_DAYS_MAX)
                return false;
            x->day[x->ndays++] = u->day;
        }
        if (!br_add_i64(x->gross[x->ndays - 1][k], u->gross_e8, &x->gross[x->ndays - 1][k]))
            return false;
    }
    return x->ndays > 0;
}

static void daily_wide_write(struct xw *w, const struct daily_wide *x)
{
    xw_text(w, 0, WIDE_COL, xw_l(w, BR_L_DAY), w->f.head);
    for (size_t k = 0; k < x->nitems; k++)
        xw_text(w, 0, (lxw_col_t)(WIDE_COL + 1 + k), br_item_text(w->lang, x->item[k], NULL),
                w->f.head);
    for (size_t t = 0; t < x->ndays && w->st == BR_OK; t++) {
        xw_day(w, (lxw_row_t)(1 + t), WIDE_COL, x->day[t]);
        for (size_t k = 0; k < x->nitems; k++)
            xw_e8(w, (lxw_row_t)(1 + t), (lxw_col_t)(WIDE_COL + 1 + k), NULL, x->gross[t][k],
                  w->f.amount);
    }
    if (w->st == BR_OK)
        xw_lxw(w,
               worksheet_set_column(w->ws, WIDE_COL, (lxw_col_t)(WIDE_COL + x->nitems), 16, NULL),
               0, WIDE_COL);
}

/* A stacked column chart of the daily gross by item, at row `at` of the
 * Invoice sheet; returns the last row it covers. */
static lxw_row_t daily_chart(struct xw *w, const struct daily_wide *x, lxw_row_t at)
{
    if (w->st != BR_OK)
        return at;
    lxw_chart *c = workbook_add_chart(w->wb, LXW_CHART_COLUMN_STACKED);
    if (c == NULL) {
        w->st = br_fail(w->err, BR_ERR_NOMEM, "xlsx: out of memory for a chart");
        return at;
    }
    lxw_row_t last = (lxw_row_t)x->ndays;
    for (size_t k = 0; k < x->nitems; k++) {
        lxw_chart_series *s = chart_add_series(c, NULL, NULL);
        if (s == NULL) {
            w->st = br_fail(w->err, BR_ERR_NOMEM, "xlsx: out of memory for a chart");
            return at;
        }
        lxw_col_t col = (lxw_col_t)(WIDE_COL + 1 + k);
        chart_series_set_categories(s, "Daily usage", 1, WIDE_COL, last, WIDE_COL);
        chart_series_set_values(s, "Daily usage", 1, col, last, col);
        chart_series_set_name_range(s, "Daily usage", 0, col);
    }
    chart_title_set_name(c, xw_l(w, BR_L_DAILY_CHART));
    chart_axis_set_num_format(chart_axis_get(c, LXW_CHART_AXIS_TYPE_Y), "#,##0.00");
    chart_axis_set_num_format(chart_axis_get(c, LXW_CHART_AXIS_TYPE_X), "m-d");
    chart_legend_set_position(c, LXW_CHART_LEGEND_BOTTOM);
    chart_set_series_gap(c, 50);
    lxw_chart_options o = {
        .x_scale = 1.6, .y_scale = 0.9, .object_position = LXW_OBJECT_MOVE_DONT_SIZE};
    xw_lxw(w, worksheet_insert_chart_opt(w->ws, at, 0, c, &o), at, 0);
    return at + CHART_ROWS;
}

enum br_status br_xlsx_invoice(const struct br_invoice_doc *doc, const char *path,
                               struct br_error *err)
{
    BR_ASSERT(doc != NULL);
    BR_ASSERT(path != NULL);
    BR_ASSERT(doc->nlines == 0 || doc->lines != NULL);
    BR_ASSERT(doc->nplans == 0 || doc->plans != NULL);
    BR_ASSERT(doc->ndaily == 0 || doc->daily != NULL);
    BR_ASSERT(doc->nnotes == 0 || doc->notes != NULL);
    enum br_status st = invoice_check(doc, err);
    if (st != BR_OK)
        return st;
    if (1 + (uint64_t)doc->nplans + 1 > SHEET_ROWS_MAX ||
        1 + (uint64_t)doc->ndaily + 1 > SHEET_ROWS_MAX)
        return br_fail(err, BR_ERR_XLSX, "xlsx: too many plans or days for one sheet");
    char title[96], subject[64], no[64], period[16];
    xw_ascii_copy(no, sizeof(no), doc->invoice_no != NULL ? doc->invoice_no : "DRAFT");
    xw_ascii_copy(period, sizeof(period), doc->period);
    snprintf(title, sizeof(title), "Invoice %s", no);
    snprintf(subject, sizeof(subject), "Billing period %s", period);

    struct xw w;
    struct daily_wide *wide = calloc(1, sizeof(*wide));
    if (wide == NULL)
        return br_fail(err, BR_ERR_NOMEM, "xlsx: out of memory");
    bool chart = daily_wide_make(doc, wide);
    xw_open(&w, path, doc->tz_offset_s, doc->currency, doc->lang, err);
    w.draft = doc->invoice_no == NULL;
    xw_props(&w, title, subject, doc->seller.name, doc->issued_at);
    xw_sheet(&w, "Invoice");
    invoice_parties(&w, doc);
    invoice_lines(&w, doc);
    lxw_row_t last = invoice_notes(&w, doc, invoice_words(&w, doc, invoice_totals(&w, doc)));
    if (chart)
        last = daily_chart(&w, wide, last + 2);
    xw_page(&w, INV_ROW_HEAD, last, INV_COLS - 1, title);
    plans_sheet(&w, doc, title);
    daily_sheet(&w, doc, title);
    if (chart)
        daily_wide_write(&w, wide);
    free(wide);
    return xw_finish(&w, path);
}
