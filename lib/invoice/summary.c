/* The period summary workbook (xlsx.h): sheets Invoices, Trial balance,
 * Contract liability, Rejects, Notes and Charts, in the document's
 * language (sheet names stay English: charts and programs refer to them). */
#include "invoice/xlsx.h"

#include "core/btime.h"
#include "core/chart.h"
#include "core/money.h"
#include "invoice/xw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SUM_INV_AMOUNTS = 10 };
static const struct col_spec sum_inv_cols[3 + SUM_INV_AMOUNTS] = {
    {"Invoice number", "账单号码", 22, false},
    {"Account ID", "客户编号", 18, false},
    {"Name", "名称", 30, false},
    {"Gross", "原价金额", 16, true},
    {"Free allowance", "免费额度", 16, true},
    {"Plan deduction", "资源包抵扣", 16, true},
    {"Coupon deduction", "优惠券抵扣", 16, true},
    {"Balance deduction", "余额抵扣", 16, true},
    {"Outstanding", "待支付", 16, true},
    {"Credit notes", "贷项通知单", 16, true},
    {"Debit notes", "借项通知单", 16, true},
    {"Round-down discount", "抹零优惠", 16, true},
    {"Amount due", "应付金额", 16, true},
};

static void sum_inv_amounts(const struct br_sum_invoice *s, int64_t v[SUM_INV_AMOUNTS])
{
    v[0] = s->gross_e8, v[1] = s->free_e8, v[2] = s->plan_e8, v[3] = s->coupon_e8;
    v[4] = s->balance_e8, v[5] = s->outstanding_e8, v[6] = s->credits_e8;
    v[7] = s->debits_e8, v[8] = s->round_down_e8, v[9] = s->amount_due_e8;
}

static void sum_invoices(struct xw *w, const struct br_summary_doc *d, const char *title)
{
    const size_t ncols = 3 + SUM_INV_AMOUNTS;
    int64_t sum[SUM_INV_AMOUNTS] = {0}, v[SUM_INV_AMOUNTS];
    xw_sheet(w, "Invoices");
    xw_head(w, 0, sum_inv_cols, ncols);
    for (size_t i = 0; i < d->ninvoices && w->st == BR_OK; i++) {
        const struct br_sum_invoice *s = &d->invoices[i];
        lxw_row_t r = (lxw_row_t)(1 + i);
        sum_inv_amounts(s, v);
        if (!xw_add_all(sum, v, SUM_INV_AMOUNTS))
            w->st = br_fail(w->err, BR_ERR_OVERFLOW, "xlsx: invoices total overflows");
        xw_text(w, r, 0, s->invoice_no, NULL);
        xw_text(w, r, 1, s->account_id, NULL);
        xw_text(w, r, 2, s->name, NULL);
        for (size_t k = 0; k < SUM_INV_AMOUNTS; k++)
            xw_e8(w, r, (lxw_col_t)(3 + k), NULL, v[k], w->f.amount);
    }
    lxw_row_t tot = (lxw_row_t)(1 + d->ninvoices);
    if (w->st == BR_OK)
        xw_lxw(w, worksheet_autofilter(w->ws, 0, 0, tot - 1, (lxw_col_t)(ncols - 1)), 0, 0);
    xw_text(w, tot, 0, xw_l(w, BR_L_TOTAL), w->f.bold);
    for (size_t k = 0; k < SUM_INV_AMOUNTS; k++)
        xw_sum(w, tot, (lxw_col_t)(3 + k), 1, d->ninvoices, sum[k], w->f.total);
    xw_page(w, 0, tot, (lxw_col_t)(ncols - 1), title);
}

/* As ledger.trial_balance: debit and credit are the account's net balance
 * for the period on its side, total debit and total credit its activity. */
static const struct col_spec tb_cols[6] = {
    {"Code", "科目代码", 10, false},
    {"Account", "科目", 34, false},
    {"Debit", "借方", 18, true},
    {"Credit", "贷方", 18, true},
    {"Total debit", "借方发生额", 18, true},
    {"Total credit", "贷方发生额", 18, true},
};

static void sum_trial_balance(struct xw *w, const struct br_summary_doc *d, const char *title)
{
    int64_t sum[4] = {0}, v[4];
    xw_sheet(w, "Trial balance");
    xw_head(w, 0, tb_cols, 6);
    for (size_t i = 0; i < d->ntb && w->st == BR_OK; i++) {
        const struct br_sum_tb *t = &d->tb[i];
        lxw_row_t r = (lxw_row_t)(1 + i);
        /* both totals are sums of positive amounts below 2^63 (the ledger
         * refuses more), so their difference cannot overflow */
        int64_t net = t->debit_e8 - t->credit_e8;
        v[0] = net > 0 ? net : 0, v[1] = net < 0 ? -net : 0;
        v[2] = t->debit_e8, v[3] = t->credit_e8;
        if (!xw_add_all(sum, v, 4))
            w->st = br_fail(w->err, BR_ERR_OVERFLOW, "xlsx: trial balance overflows");
        xw_int(w, r, 0, t->account_code);
        xw_text(w, r, 1, t->account_name, NULL);
        for (int k = 0; k < 4; k++)
            xw_e8(w, r, (lxw_col_t)(2 + k), NULL, v[k], w->f.amount);
    }
    lxw_row_t tot = (lxw_row_t)(1 + d->ntb);
    xw_text(w, tot, 0, xw_l(w, BR_L_TOTAL), w->f.bold);
    for (int k = 0; k < 4; k++)
        xw_sum(w, tot, (lxw_col_t)(2 + k), 1, d->ntb, sum[k], w->f.total);
    xw_page(w, 0, tot, 5, title);
}

enum { ROLL_AMOUNTS = 5 };
static const struct col_spec roll_cols[3 + ROLL_AMOUNTS] = {
    {"Order ID", "订单号", 20, false},      {"Account ID", "客户编号", 18, false},
    {"Plan type", "资源包类型", 14, false}, {"Opening", "期初", 16, true},
    {"Sales", "本期销售", 16, true},        {"Recognised", "本期确认收入", 16, true},
    {"Breakage", "过期失效", 16, true},     {"Closing", "期末", 16, true},
};

static void sum_roll(struct xw *w, const struct br_summary_doc *d, const char *title)
{
    const size_t ncols = 3 + ROLL_AMOUNTS;
    int64_t sum[ROLL_AMOUNTS] = {0}, v[ROLL_AMOUNTS];
    xw_sheet(w, "Contract liability");
    xw_head(w, 0, roll_cols, ncols);
    for (size_t i = 0; i < d->nroll && w->st == BR_OK; i++) {
        const struct br_sum_roll *p = &d->roll[i];
        lxw_row_t r = (lxw_row_t)(1 + i);
        v[0] = p->opening_e8, v[1] = p->sales_e8, v[2] = p->recognised_e8;
        v[3] = p->breakage_e8, v[4] = p->closing_e8;
        if (!xw_add_all(sum, v, ROLL_AMOUNTS))
            w->st = br_fail(w->err, BR_ERR_OVERFLOW, "xlsx: contract liability overflows");
        xw_text(w, r, 0, p->order_id, NULL);
        xw_text(w, r, 1, p->account_id, NULL);
        xw_text(w, r, 2, p->plan_type, NULL);
        for (size_t k = 0; k < ROLL_AMOUNTS; k++)
            xw_e8(w, r, (lxw_col_t)(3 + k), NULL, v[k], w->f.amount);
    }
    lxw_row_t tot = (lxw_row_t)(1 + d->nroll);
    if (w->st == BR_OK)
        xw_lxw(w, worksheet_autofilter(w->ws, 0, 0, tot - 1, (lxw_col_t)(ncols - 1)), 0, 0);
    xw_text(w, tot, 0, xw_l(w, BR_L_TOTAL), w->f.bold);
    for (size_t k = 0; k < ROLL_AMOUNTS; k++)
        xw_sum(w, tot, (lxw_col_t)(3 + k), 1, d->nroll, sum[k], w->f.total);
    xw_page(w, 0, tot, (lxw_col_t)(ncols - 1), title);
}

static const struct col_spec rej_cols[5] = {
    {"File", "文件", 30, false},    {"Line", "行号", 10, false},   {"Reason", "原因", 24, false},
    {"Raw", "原始内容", 80, false}, {"Detail", "详情", 50, false},
};

/* Rejects come from input and may be many: past a sheet's rows, a last row
 * says how many were left out instead of failing the whole summary. */
static void sum_rejects(struct xw *w, const struct br_summary_doc *d, const char *title)
{
    size_t shown = d->nrejects;
    if (!xw_table_fits(shown))
        shown = SHEET_ROWS_MAX - 2;
    xw_sheet(w, "Rejects");
    xw_head(w, 0, rej_cols, 5);
    for (size_t i = 0; i < shown && w->st == BR_OK; i++) {
        const struct br_sum_reject *j = &d->rejects[i];
        lxw_row_t r = (lxw_row_t)(1 + i);
        xw_text(w, r, 0, j->file, NULL);
        xw_int(w, r, 1, j->line);
        xw_text(w, r, 2, j->reason, NULL);
        xw_text(w, r, 3, j->raw, NULL);
        xw_text(w, r, 4, j->detail, NULL);
    }
    lxw_row_t last = (lxw_row_t)shown;
    if (w->st == BR_OK)
        xw_lxw(w, worksheet_autofilter(w->ws, 0, 0, last, 4), 0, 0);
    if (shown < d->nrejects) {
        char note[96];
        snprintf(note, sizeof(note), "%zu more rejects not shown", d->nrejects - shown);
        last++;
        xw_text(w, last, 0, note, w->f.bold);
    }
    xw_page(w, 0, last, 4, title);
}

enum {
    SN_NO,
    SN_KIND,
    SN_ACCOUNT,
    SN_INVOICE,
    SN_DATE,
    SN_ITEM,
    SN_CREDIT,
    SN_DEBIT,
    SN_CORRECTS,
    SN_LATE,
    SN_ADJ,
    SN_REASON,
    SN_COLS
};
static const struct col_spec note_cols[SN_COLS] = {
    {"Note number", "通知单号码", 20, false},
    {"Kind", "类型", 8, false},
    {"Account ID", "客户编号", 18, false},
    {"Listed on invoice", "列示于账单", 20, false},
    {"Date", "日期", 20, false},
    {"Item", "项目", 26, false},
    {"Credit", "贷方", 16, true},
    {"Debit", "借方", 16, true},
    {"Corrects invoice", "更正账单", 20, false},
    {"Posted late", "延迟入账", 10, false},
    {"Adjustment ID", "调整编号", 22, false},
    {"Reason", "原因", 60, false},
};

/* The period's credit and debit notes, in note number order. */
static void sum_notes(struct xw *w, const struct br_summary_doc *d, const char *title)
{
    int64_t credit = 0, debit = 0;
    xw_sheet(w, "Notes");
    xw_head(w, 0, note_cols, SN_COLS);
    for (size_t i = 0; i < d->nnotes && w->st == BR_OK; i++) {
        const struct br_inv_note *n = d->notes[i].note;
        lxw_row_t r = (lxw_row_t)(1 + i);
        if (!br_add_i64(n->credit ? credit : debit, n->amount_e8, n->credit ? &credit : &debit))
            w->st = br_fail(w->err, BR_ERR_OVERFLOW, "xlsx: notes total overflows");
        xw_text(w, r, SN_NO, n->note_no, NULL);
        xw_text(w, r, SN_KIND, xw_l(w, n->credit ? BR_L_CREDIT : BR_L_DEBIT), NULL);
        xw_text(w, r, SN_ACCOUNT, d->notes[i].account_id, NULL);
        xw_text(w, r, SN_INVOICE, d->notes[i].listed_on, NULL);
        xw_local_time(w, r, SN_DATE, n->adjustment_time);
        xw_text(w, r, SN_ITEM, br_item_text(w->lang, n->item, n->label), NULL);
        xw_e8(w, r, SN_CREDIT, NULL, n->credit ? n->amount_e8 : 0, w->f.amount);
        xw_e8(w, r, SN_DEBIT, NULL, n->credit ? 0 : n->amount_e8, w->f.amount);
        xw_text(w, r, SN_CORRECTS, n->invoice_no, NULL);
        xw_text(w, r, SN_LATE, xw_l(w, n->late ? BR_L_YES : BR_L_NO), NULL);
        xw_text(w, r, SN_ADJ, n->adjustment_id, NULL);
        xw_text(w, r, SN_REASON, n->reason, NULL);
    }
    lxw_row_t tot = (lxw_row_t)(1 + d->nnotes);
    if (w->st == BR_OK)
        xw_lxw(w, worksheet_autofilter(w->ws, 0, 0, tot - 1, SN_COLS - 1), 0, 0);
    xw_text(w, tot, 0, xw_l(w, BR_L_TOTAL), w->f.bold);
    xw_sum(w, tot, SN_CREDIT, 1, d->nnotes, credit, w->f.total);
    xw_sum(w, tot, SN_DEBIT, 1, d->nnotes, debit, w->f.total);
    xw_page(w, 0, tot, SN_COLS - 1, title);
}

/* ---- the Charts sheet ---------------------------------------------------------- */

/* Revenue per day of the period (rows) and revenue account (columns, by
 * code): the charts' data, written from cell A1 of the Charts sheet. */
enum { REV_ACCOUNTS_MAX = 16, REV_DAYS_MAX = 31, WF_STEPS = 6 };
#define CHARTS_SHEET "Charts"
#define WF_CHART_ROW 22 /* the waterfall chart, below the revenue chart */

struct revenue_wide {
    int64_t d0; /* the period's first local day */
    size_t ndays, naccounts;
    int code[REV_ACCOUNTS_MAX];
    const char *name[REV_ACCOUNTS_MAX];
    int64_t amount[REV_DAYS_MAX][REV_ACCOUNTS_MAX];
    int64_t total[REV_ACCOUNTS_MAX];
};

static void revenue_swap(struct revenue_wide *x, size_t a, size_t b)
{
    int code = x->code[a];
    const char *name = x->name[a];
    x->code[a] = x->code[b], x->name[a] = x->name[b];
    x->code[b] = code, x->name[b] = name;
    int64_t t = x->total[a];
    x->total[a] = x->total[b], x->total[b] = t;
    for (size_t d = 0; d < x->ndays; d++) {
        t = x->amount[d][a];
        x->amount[d][a] = x->amount[d][b], x->amount[d][b] = t;
    }
}

/* A day outside the period (an entry posted late, or timed before the
 * period began) counts on its first or last day. False when the period is
 * not YYYY-MM, there are more accounts than a chart shows, or a sum
 * overflows. */
static bool revenue_wide_make(const struct br_summary_doc *d, struct revenue_wide *x)
{
    int y, m;
    if (sscanf(d->period, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12)
        return false;
    x->d0 = br_days_from_civil(y, (unsigned)m, 1);
    int64_t d1 =
        m == 12 ? br_days_from_civil(y + 1, 1, 1) : br_days_from_civil(y, (unsigned)m + 1, 1);
    x->ndays = (size_t)(d1 - x->d0);
    BR_ASSERT(x->ndays <= REV_DAYS_MAX);
    for (size_t i = 0; i < d->nrevenue; i++) {
        const struct br_sum_revenue *r = &d->revenue[i];
        size_t k = 0;
        while (k < x->naccounts && x->code[k] != r->account_code)
            k++;
        if (k == REV_ACCOUNTS_MAX)
            return false;
        if (k == x->naccounts) {
            x->code[k] = r->account_code, x->name[k] = r->account_name;
            x->naccounts++;
        }
        int64_t t = r->day - x->d0;
        t = t < 0 ? 0 : t >= (int64_t)x->ndays ? (int64_t)x->ndays - 1 : t;
        if (!br_add_i64(x->amount[t][k], r->amount_e8, &x->amount[t][k]) ||
            !br_add_i64(x->total[k], r->amount_e8, &x->total[k]))
            return false;
    }
    for (size_t a = 0; a < x->naccounts; a++) /* columns by code */
        for (size_t b = a + 1; b < x->naccounts; b++)
            if (x->code[b] < x->code[a])
                revenue_swap(x, a, b);
    return true;
}

/* A revenue account's Chinese name (rules.md section 5's chart; the
 * ledger keeps the English one), or NULL. */
static const char *revenue_zh(int code)
{
    static const struct {
        int code;
        const char *zh;
    } names[] = {
        {BR_ACC_REV_SHARED, "收入-GPU 算力（共享版）"},
        {BR_ACC_REV_EXCLUSIVE, "收入-GPU 算力（独享版）"},
        {BR_ACC_REV_STORAGE, "收入-对象存储"},
        {BR_ACC_REV_EGRESS, "收入-公网出流量"},
        {BR_ACC_REV_REQUESTS, "收入-请求"},
        {BR_ACC_BREAKAGE, "收入-过期资源包"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == code)
            return names[i].zh;
    return NULL;
}

/* The revenue table from A1; returns its last row (the note below it). */
static lxw_row_t revenue_table(struct xw *w, const struct revenue_wide *x)
{
    struct col_spec cols[1 + REV_ACCOUNTS_MAX];
    char names[REV_ACCOUNTS_MAX][160];
    cols[0] = (struct col_spec){"Day", "日期", 22, false}; /* wide enough for the steps below */
    for (size_t k = 0; k < x->naccounts; k++) {
        const char *zh = revenue_zh(x->code[k]);
        if (zh == NULL || w->lang == BR_LANG_EN)
            snprintf(names[k], sizeof(names[k]), "%d %.80s", x->code[k], x->name[k]);
        else if (w->lang == BR_LANG_ZH)
            snprintf(names[k], sizeof(names[k]), "%d %s", x->code[k], zh);
        else
            snprintf(names[k], sizeof(names[k]), "%d %s %.80s", x->code[k], zh, x->name[k]);
        /* the same text for both: xw_head prints it as it is */
        cols[1 + k] = (struct col_spec){names[k], names[k], 18, true};
    }
    xw_head(w, 0, cols, 1 + x->naccounts);
    for (size_t t = 0; t < x->ndays && w->st == BR_OK; t++) {
        xw_day(w, (lxw_row_t)(1 + t), 0, x->d0 + (int64_t)t);
        for (size_t k = 0; k < x->naccounts; k++)
            xw_e8(w, (lxw_row_t)(1 + t), (lxw_col_t)(1 + k), NULL, x->amount[t][k], w->f.amount);
    }
    lxw_row_t tot = (lxw_row_t)(1 + x->ndays);
    xw_text(w, tot, 0, xw_l(w, BR_L_TOTAL), w->f.bold);
    for (size_t k = 0; k < x->naccounts; k++)
        xw_sum(w, tot, (lxw_col_t)(1 + k), 1, x->ndays, x->total[k], w->f.total);
    xw_text(w, tot + 1, 0, xw_l(w, BR_L_REVENUE_NOTE), NULL);
    return tot + 1;
}

/* The waterfall's data: a header at row `head`, then a row per step, its
 * base (where its bar starts) and its amount. */
static void waterfall_table(struct xw *w, const int64_t step[WF_STEPS], lxw_row_t head,
                            size_t naccounts)
{
    static const struct col_spec cols[3] = {
        {"Step", "步骤", 0, false}, {"Base", "基数", 0, true}, {"Amount", "金额", 0, true}};
    static const enum br_label names[WF_STEPS] = {BR_L_GROSS,  BR_L_FREE,    BR_L_PLAN,
                                                  BR_L_COUPON, BR_L_BALANCE, BR_L_OUTSTANDING};
    xw_text(w, head - 1, 0, xw_l(w, BR_L_WATERFALL_DATA), w->f.bold);
    xw_head(w, head, cols, 3);
    /* as wide as the revenue columns, where there are none: a column's
     * width is set once (Excel refuses overlapping ranges) */
    for (lxw_col_t c = (lxw_col_t)(naccounts + 1); c <= 2 && w->st == BR_OK; c++)
        xw_lxw(w, worksheet_set_column(w->ws, c, c, 18, NULL), head, c);
    /* gross and outstanding stand on the axis; each deduction hangs from
     * what is left before it: gross - free - ... */
    int64_t left = step[0];
    for (size_t k = 0; k < WF_STEPS && w->st == BR_OK; k++) {
        int64_t base = 0;
        if (k > 0 && k < WF_STEPS - 1) {
            if (__builtin_sub_overflow(left, step[k], &left)) {
                w->st = br_fail(w->err, BR_ERR_OVERFLOW, "xlsx: waterfall overflows");
                return;
            }
            base = left;
        }
        lxw_row_t r = (lxw_row_t)(head + 1 + k);
        xw_text(w, r, 0, xw_l(w, names[k]), NULL);
        xw_e8(w, r, 1, NULL, base, w->f.amount);
        xw_e8(w, r, 2, NULL, step[k], w->f.amount);
    }
}

static lxw_chart *chart_new(struct xw *w, uint8_t type, enum br_label title)
{
    lxw_chart *c = w->st == BR_OK ? workbook_add_chart(w->wb, type) : NULL;
    if (c == NULL) {
        if (w->st == BR_OK)
            w->st = br_fail(w->err, BR_ERR_NOMEM, "xlsx: out of memory for a chart");
        return NULL;
    }
    chart_title_set_name(c, xw_l(w, title));
    chart_axis_set_num_format(chart_axis_get(c, LXW_CHART_AXIS_TYPE_Y), "#,##0.00");
    return c;
}

static lxw_chart_series *series_new(struct xw *w, lxw_chart *c, lxw_row_t r0, lxw_row_t r1,
                                    lxw_col_t col, lxw_row_t name_row)
{
    lxw_chart_series *s = chart_add_series(c, NULL, NULL);
    if (s == NULL) {
        w->st = br_fail(w->err, BR_ERR_NOMEM, "xlsx: out of memory for a chart");
        return NULL;
    }
    chart_series_set_categories(s, CHARTS_SHEET, r0, 0, r1, 0);
    chart_series_set_values(s, CHARTS_SHEET, r0, col, r1, col);
    chart_series_set_name_range(s, CHARTS_SHEET, name_row, col);
    return s;
}

/* Revenue by account per day (stacked columns) at the right of the data,
 * the waterfall below it (a stacked column whose base series is not
 * drawn). Returns the last column the charts cover. */
static lxw_col_t charts_insert(struct xw *w, const struct revenue_wide *x, lxw_row_t wf_head)
{
    lxw_col_t at = (lxw_col_t)(x->naccounts + 2 > 4 ? x->naccounts + 2 : 4);
    lxw_chart_options o = {.x_scale = 2.0, .y_scale = 1.3};
    lxw_chart *c =
        x->naccounts > 0 ? chart_new(w, LXW_CHART_COLUMN_STACKED, BR_L_REVENUE_CHART) : NULL;
    for (size_t k = 0; c != NULL && k < x->naccounts && w->st == BR_OK; k++)
        series_new(w, c, 1, (lxw_row_t)x->ndays, (lxw_col_t)(1 + k), 0);
    if (c != NULL && w->st == BR_OK) {
        chart_axis_set_num_format(chart_axis_get(c, LXW_CHART_AXIS_TYPE_X), "m-d");
        chart_legend_set_position(c, LXW_CHART_LEGEND_BOTTOM);
        chart_set_series_gap(c, 40);
        xw_lxw(w, worksheet_insert_chart_opt(w->ws, 0, at, c, &o), 0, at);
    }
    lxw_chart *f = chart_new(w, LXW_CHART_COLUMN_STACKED, BR_L_WATERFALL_CHART);
    lxw_row_t r0 = wf_head + 1, r1 = wf_head + WF_STEPS;
    lxw_chart_series *base = f != NULL ? series_new(w, f, r0, r1, 1, wf_head) : NULL;
    lxw_chart_series *step = base != NULL ? series_new(w, f, r0, r1, 2, wf_head) : NULL;
    if (step != NULL && w->st == BR_OK) {
        lxw_chart_fill none = {.none = LXW_TRUE};
        lxw_chart_line no_line = {.none = LXW_TRUE};
        chart_series_set_fill(base, &none);
        chart_series_set_line(base, &no_line);
        chart_series_set_labels(step);
        chart_series_set_labels_num_format(step, "#,##0.00");
        chart_legend_set_position(f, LXW_CHART_LEGEND_NONE);
        chart_set_series_gap(f, 60);
        xw_lxw(w, worksheet_insert_chart_opt(w->ws, WF_CHART_ROW, at, f, &o), WF_CHART_ROW, at);
    }
    return (lxw_col_t)(at + 15);
}

static void sum_charts(struct xw *w, const struct br_summary_doc *d, const char *title)
{
    struct revenue_wide *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        w->st = br_fail(w->err, BR_ERR_NOMEM, "xlsx: out of memory");
        return;
    }
    if (w->st == BR_OK && !revenue_wide_make(d, x))
        w->st = br_fail(w->err, BR_ERR_XLSX,
                        "xlsx: summary charts: more than %d revenue accounts, or a sum overflows",
                        REV_ACCOUNTS_MAX);
    int64_t sum[SUM_INV_AMOUNTS] = {0}, v[SUM_INV_AMOUNTS];
    for (size_t i = 0; i < d->ninvoices && w->st == BR_OK; i++) {
        sum_inv_amounts(&d->invoices[i], v);
        if (!xw_add_all(sum, v, SUM_INV_AMOUNTS))
            w->st = br_fail(w->err, BR_ERR_OVERFLOW, "xlsx: invoices total overflows");
    }
    xw_sheet(w, CHARTS_SHEET);
    lxw_row_t last = revenue_table(w, x), wf_head = last + 3;
    waterfall_table(w, sum, wf_head, x->naccounts); /* the first six: gross ... outstanding */
    lxw_col_t last_col = charts_insert(w, x, wf_head);
    xw_page(w, 0, wf_head + WF_STEPS, last_col, title);
    free(x);
}

enum br_status br_xlsx_summary(const struct br_summary_doc *doc, const char *path,
                               struct br_error *err)
{
    BR_ASSERT(doc != NULL);
    BR_ASSERT(path != NULL);
    BR_ASSERT(doc->ninvoices == 0 || doc->invoices != NULL);
    BR_ASSERT(doc->ntb == 0 || doc->tb != NULL);
    BR_ASSERT(doc->nroll == 0 || doc->roll != NULL);
    BR_ASSERT(doc->nrejects == 0 || doc->rejects != NULL);
    BR_ASSERT(doc->nnotes == 0 || doc->notes != NULL);
    char period[16], title[64], subject[64];
    xw_ascii_copy(period, sizeof(period), doc->period);
    if (!xw_created_ok(doc->issued_at))
        return br_fail(err, BR_ERR_INPUT, "xlsx: summary %s: issued_at %" PRId64 " is not a time",
                       period, doc->issued_at);
    if (!xw_table_fits(doc->ninvoices) || !xw_table_fits(doc->ntb) || !xw_table_fits(doc->nroll) ||
        !xw_table_fits(doc->nnotes))
        return br_fail(err, BR_ERR_XLSX, "xlsx: summary %s: too many rows for one sheet", period);
    snprintf(title, sizeof(title), "Billing summary %s", period);
    snprintf(subject, sizeof(subject), "Billing period %s", period);

    struct xw w;
    xw_open(&w, path, doc->tz_offset_s, SUMMARY_CURRENCY, doc->lang, err);
    xw_props(&w, title, subject, doc->seller_name, doc->issued_at);
    sum_invoices(&w, doc, title);
    sum_trial_balance(&w, doc, title);
    sum_roll(&w, doc, title);
    sum_rejects(&w, doc, title);
    sum_notes(&w, doc, title);
    sum_charts(&w, doc, title);
    return xw_finish(&w, path);
}

/* ---- reading the file back ---------------------------------------------------- */