/* billrun export (export.h): the journal as voucher lines and the trial
 * balance, from one snapshot.
 *
 * Invariants checked before any file is renamed into place: every voucher
 * (a journal entry) has equal debits and credits; per chart code, the
 * journal file's debits and credits are ledger.trial_balance's total_debit
 * and total_credit, to the e8. The sums are exact integers with checked
 * additions; amounts become text only at the field. */
#include "batch/export.h"

#include "batch/export_csv.h"
#include "batch/export_map.h"
#include "core/chart.h"
#include "core/mem.h"
#include "core/money.h"
#include "invoice/files.h"
#include "invoice/xlsx.h"
#include "store/export.h"
#include "store/schema.h"
#include "store/txn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 记: the general voucher word (记账凭证) Kingdee and Yonyou ship with. */
#define VOUCHER_WORD "\xE8\xAE\xB0"
#define CURRENCY "CNY"

static const char *const journal_header[] = {
    "date",         "voucher_word",    "voucher_no",  "line_no",  "account_code",
    "account_name", "sub_ledger_type", "sub_ledger",  "customer", "debit",
    "credit",       "currency",        "description", "entry_id", "billrun_code"};
enum { JOURNAL_COLS = sizeof(journal_header) / sizeof(journal_header[0]) };

static const char *const tb_header[] = {"account_code", "account_name", "billrun_code",
                                        "billrun_name", "debit",        "credit",
                                        "total_debit",  "total_credit"};
enum { TB_COLS = sizeof(tb_header) / sizeof(tb_header[0]) };

struct export_ctx {
    const struct br_chart_map *map;
    struct br_calendar cal;
    int64_t first_day, last_day; /* the period's local days */
    struct br_csv_out *journal;
    int64_t entry;       /* the current voucher's entry (0: none yet) */
    int64_t entry_dr_e8; /* its debits and credits so far */
    int64_t entry_cr_e8;
    size_t vouchers, lines, line_no;
    int64_t dr_e8[BR_CHART_MAP_MAX]; /* the journal's sums per chart position */
    int64_t cr_e8[BR_CHART_MAP_MAX];
};

/* An e8 amount as exact decimal text with 2 to 8 decimals: "1000.00",
 * "0.012", "3.14159265". */
static void amount_text(int64_t e8, char *buf, size_t size)
{
    size_t n = br_e8_format(e8, buf, size);
    while (n > 0 && buf[n - 1] == '0' && buf[n - 3] != '.')
        buf[--n] = '\0';
}

static enum br_status voucher_end(struct export_ctx *x, struct br_error *err)
{
    if (x->entry == 0 || x->entry_dr_e8 == x->entry_cr_e8)
        return BR_OK;
    return br_fail(err, BR_ERR_VERIFY,
                   "entry %" PRId64 " does not balance: debits %" PRId64 " e8, credits %" PRId64
                   " e8",
                   x->entry, x->entry_dr_e8, x->entry_cr_e8);
}

/* Starts a new voucher at a new entry; adds the posting to the sums. */
static enum br_status account_posting(struct export_ctx *x, const struct br_export_posting *p,
                                      size_t k, struct br_error *err)
{
    if (p->entry_id != x->entry) {
        enum br_status st = voucher_end(x, err);
        if (st != BR_OK)
            return st;
        x->entry = p->entry_id;
        x->entry_dr_e8 = x->entry_cr_e8 = 0;
        x->vouchers++;
        x->line_no = 0;
    }
    x->line_no++;
    x->lines++;
    int64_t *side = p->credit ? &x->entry_cr_e8 : &x->entry_dr_e8;
    int64_t *sum = p->credit ? &x->cr_e8[k] : &x->dr_e8[k];
    if (p->amount_e8 <= 0 || !br_add_i64(*side, p->amount_e8, side) ||
        !br_add_i64(*sum, p->amount_e8, sum))
        return br_fail(err, BR_ERR_OVERFLOW, "entry %" PRId64 ": amount %" PRId64 " out of range",
                       p->entry_id, p->amount_e8);
    return BR_OK;
}

static enum br_status journal_line(void *arg, const struct br_export_posting *p,
                                   struct br_error *err)
{
    struct export_ctx *x = arg;
    const struct br_chart_account *a = br_chart_find(p->code);
    if (a == NULL)
        return br_fail(err, BR_ERR_STATE, "entry %" PRId64 " posts to %d, not in the chart",
                       p->entry_id, p->code);
    size_t k = (size_t)(a - br_chart);
    enum br_status st = account_posting(x, p, k, err);
    if (st != BR_OK)
        return st;
    /* the voucher's date lies in its period: a late entry (its own time in
     * a period closed before it arrived) carries the period's first day */
    int64_t day = br_local_day(&x->cal, p->effective_at);
    day = day < x->first_day ? x->first_day : day > x->last_day ? x->last_day : day;
    char date[16], vno[24], line[24], amount[40], entry[24], code[16];
    br_day_format(day, date, sizeof(date));
    snprintf(vno, sizeof(vno), "%zu", x->vouchers);
    snprintf(line, sizeof(line), "%zu", x->line_no);
    amount_text(p->amount_e8, amount, sizeof(amount));
    snprintf(entry, sizeof(entry), "%" PRId64, p->entry_id);
    snprintf(code, sizeof(code), "%d", p->code);
    const char *f[JOURNAL_COLS] = {date,
                                   VOUCHER_WORD,
                                   vno,
                                   line,
                                   x->map->acc[k].code,
                                   x->map->acc[k].name,
                                   br_sub_ledger_str(a->sub_ledger),
                                   p->sub_ledger,
                                   p->customer,
                                   p->credit ? "" : amount,
                                   p->credit ? amount : "",
                                   CURRENCY,
                                   p->description,
                                   entry,
                                   code};
    br_csv_out_fields(x->journal, f, JOURNAL_COLS);
    return x->journal->st;
}

/* The journal's sums per code against ledger.trial_balance's rows. */
static enum br_status tie_out(const struct export_ctx *x, const struct br_export_tb *tb, size_t n,
                              const char *per, struct br_error *err)
{
    int64_t dr[BR_CHART_MAP_MAX] = {0}, cr[BR_CHART_MAP_MAX] = {0};
    for (size_t i = 0; i < n; i++) {
        const struct br_chart_account *a = br_chart_find(tb[i].code);
        if (a == NULL)
            return br_fail(err, BR_ERR_STATE, "ledger.trial_balance of %s has code %d", per,
                           tb[i].code);
        dr[a - br_chart] = tb[i].debit_e8;
        cr[a - br_chart] = tb[i].credit_e8;
    }
    for (size_t k = 0; k < br_chart_count; k++)
        if (dr[k] != x->dr_e8[k] || cr[k] != x->cr_e8[k])
            return br_fail(err, BR_ERR_VERIFY,
                           "%s: the journal's %d totals debit %" PRId64 " and credit %" PRId64
                           " e8, ledger.trial_balance %" PRId64 " and %" PRId64,
                           per, br_chart[k].code, x->dr_e8[k], x->cr_e8[k], dr[k], cr[k]);
    return BR_OK;
}

static void tb_row(struct br_csv_out *out, const struct br_chart_map *map,
                   const struct br_export_tb *t)
{
    const struct br_chart_account *a = br_chart_find(t->code);
    const struct br_chart_map_account *m = &map->acc[a - br_chart];
    int64_t net = t->debit_e8 - t->credit_e8; /* both >= 0: no overflow */
    char code[16], dr[40], cr[40], tdr[40], tcr[40];
    snprintf(code, sizeof(code), "%d", t->code);
    amount_text(net > 0 ? net : 0, dr, sizeof(dr));
    amount_text(net < 0 ? -net : 0, cr, sizeof(cr));
    amount_text(t->debit_e8, tdr, sizeof(tdr));
    amount_text(t->credit_e8, tcr, sizeof(tcr));
    const char *f[TB_COLS] = {m->code, m->name, code, a->name, dr, cr, tdr, tcr};
    br_csv_out_fields(out, f, TB_COLS);
}

/* Checks the trial balance against the journal and writes it. */
static enum br_status write_tb(struct br_db *db, const struct export_ctx *x, struct br_csv_out *out,
                               const char *per, struct br_export_summary *s, struct br_error *err)
{
    struct br_export_tb tb[BR_CHART_MAP_MAX];
    size_t n = 0;
    enum br_status st = br_export_read_tb(db, per, tb, BR_CHART_MAP_MAX, &n, err);
    if (st == BR_OK)
        st = tie_out(x, tb, n, per, err);
    int64_t dr = 0, cr = 0;
    for (size_t i = 0; i < n && st == BR_OK; i++)
        if (!br_add_i64(dr, tb[i].debit_e8, &dr) || !br_add_i64(cr, tb[i].credit_e8, &cr))
            st = br_fail(err, BR_ERR_OVERFLOW, "%s: the trial balance's totals overflow", per);
    if (st == BR_OK && dr != cr)
        st = br_fail(err, BR_ERR_VERIFY,
                     "%s: debits %" PRId64 " e8 and credits %" PRId64 " e8 differ", per, dr, cr);
    if (st != BR_OK)
        return st;
    br_csv_out_fields(out, tb_header, TB_COLS);
    for (size_t i = 0; i < n; i++)
        tb_row(out, x->map, &tb[i]);
    s->accounts = n;
    s->total_e8 = dr;
    return out->st;
}

static enum br_status write_journal(struct br_db *db, struct export_ctx *x, const char *per,
                                    struct br_error *err)
{
    br_csv_out_fields(x->journal, journal_header, JOURNAL_COLS);
    enum br_status st = x->journal->st;
    if (st == BR_OK)
        st = br_export_read_postings(db, per, journal_line, x, err);
    if (st == BR_OK)
        st = voucher_end(x, err);
    return st;
}

/* journal-YYYYMM.csv and trial-balance-YYYYMM.csv; "-open" before .csv
 * while the period is open. */
static enum br_status open_files(const struct br_export_opts *o, const char *per, bool closed,
                                 struct br_csv_out *j, struct br_csv_out *t, struct br_error *err)
{
    char name[64];
    const char *open_tag = closed ? "" : "-open";
    snprintf(name, sizeof(name), "journal-%.4s%.2s%s.csv", per, per + 5, open_tag);
    enum br_status st = br_csv_out_open(j, o->out_dir, name, o->bom, err);
    snprintf(name, sizeof(name), "trial-balance-%.4s%.2s%s.csv", per, per + 5, open_tag);
    if (st == BR_OK)
        st = br_csv_out_open(t, o->out_dir, name, o->bom, err);
    return st;
}

/* Everything read in one snapshot and written aside. */
static enum br_status export_snapshot(struct br_db *db, const struct br_export_opts *o,
                                      struct export_ctx *x, struct br_csv_out *t,
                                      struct br_export_summary *s, struct br_error *err)
{
    char per[16];
    br_period_format(o->period, per, sizeof(per));
    struct br_export_state state;
    enum br_status st = br_txn_begin_read(db, err);
    if (st == BR_OK)
        st = br_export_read_state(db, per, &state, err);
    s->closed = state.closed;
    s->last_batch = state.last_batch;
    s->last_as_of = state.last_as_of;
    if (st == BR_OK)
        st = br_files_make_dir(o->out_dir, err);
    if (st == BR_OK)
        st = open_files(o, per, state.closed, x->journal, t, err);
    if (st == BR_OK)
        st = write_journal(db, x, per, err);
    if (st == BR_OK)
        st = write_tb(db, x, t, per, s, err);
    br_txn_rollback(db);
    if (st == BR_OK)
        st = br_csv_out_close(x->journal);
    if (st == BR_OK)
        st = br_csv_out_close(t);
    s->vouchers = x->vouchers;
    s->lines = x->lines;
    return st;
}

enum br_status br_export(struct br_db *db, const struct br_export_opts *o,
                         struct br_export_summary *s, struct br_error *err)
{
    memset(s, 0, sizeof(*s));
    s->last_as_of = INT64_MIN;
    struct br_chart_map map;
    enum br_status st = BR_OK;
    if (o->chart_map != NULL)
        st = br_chart_map_read(o->chart_map, &map, err);
    else
        br_chart_map_identity(&map);
    int32_t tz = 0;
    if (st == BR_OK)
        st = br_schema_calendar(db, &tz, err);
    if (st != BR_OK)
        return st;
    s->tz_offset_s = tz;
    struct br_csv_out *j = br_calloc(2, sizeof(*j));
    if (j == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    struct export_ctx x = {.map = &map, .cal = {.offset_s = tz}, .journal = &j[0]};
    x.first_day = br_local_day(&x.cal, br_period_start(&x.cal, o->period));
    x.last_day = br_local_day(&x.cal, br_period_start(&x.cal, o->period + 1)) - 1;
    j[0].fd = j[1].fd = -1;
    st = export_snapshot(db, o, &x, &j[1], s, err);
    if (st == BR_OK)
        st = br_csv_out_publish(&j[0]);
    if (st == BR_OK)
        st = br_csv_out_publish(&j[1]);
    if (st == BR_OK)
        st = br_xlsx_sync_dir(o->out_dir, err);
    snprintf(s->journal, sizeof(s->journal), "%s", j[0].path);
    snprintf(s->trial_balance, sizeof(s->trial_balance), "%s", j[1].path);
    br_csv_out_discard(&j[0]);
    br_csv_out_discard(&j[1]);
    free(j);
    return st;
}
