/* billrun explain (explain.h): the draws recorded per invoice line, and the
 * reason each plan or coupon of the account did not pay for it. */
#include "batch/explain.h"

#include "core/money.h"
#include "store/explain.h"

#include <stdio.h>
#include <string.h>

static void when(int64_t t, int32_t tz, char *b, size_t n)
{
    br_time_format(t, tz, b, n);
}

/* Why order o (a plan or coupon) paid nothing for line l. */
static void why_not(const struct br_explain *x, const struct br_explain_order *o,
                    const struct br_explain_line *l, char *b, size_t n)
{
    char t[40];
    bool used_up_kind = strcmp(o->type, "amount") == 0 || strcmp(o->type, "pool") == 0 ||
                        strcmp(o->type, "coupon") == 0;
    if (!(o->scope_mask & (1LL << l->item_no))) {
        snprintf(b, n, "out of scope (covers %s)", o->scope);
    } else if (o->valid_to <= l->first) {
        when(o->valid_to, x->tz_offset_s, t, sizeof(t));
        snprintf(b, n, "no longer valid: it ended %s, before this usage", t);
    } else if (o->valid_from >= l->last) {
        when(o->valid_from, x->tz_offset_s, t, sizeof(t));
        snprintf(b, n, "not yet bought: valid from %s, after this usage", t);
    } else if (used_up_kind && o->consumed >= o->face) {
        snprintf(b, n, "used up");
    } else if (o->expired) {
        when(o->valid_to, x->tz_offset_s, t, sizeof(t));
        snprintf(b, n, "expired %s; it covers nothing after its expiry was processed", t);
    } else if (strcmp(o->type, "monthly") == 0 || strcmp(o->type, "capacity") == 0 ||
               strcmp(o->type, "pool") == 0) {
        snprintf(b, n,
                 "nothing needed of it: sources before it paid the pieces in its validity, "
                 "or only slivers below one unit were left (a unit-measured source covers "
                 "none)");
    } else {
        snprintf(b, n, "nothing needed of it: sources before it paid the pieces in its validity");
    }
}

static void source_label(const struct br_explain *x, const struct br_explain_draw *d, char *b,
                         size_t n)
{
    if (d->order_id == NULL) {
        snprintf(b, n, "%s", strcmp(d->source, "free") == 0 ? "free allowance" : d->source);
        return;
    }
    for (size_t k = 0; k < x->norders; k++) {
        const struct br_explain_order *o = &x->orders[k];
        if (strcmp(o->order_id, d->order_id) != 0)
            continue;
        char a[40], z[40];
        when(o->valid_from, x->tz_offset_s, a, sizeof(a));
        when(o->valid_to, x->tz_offset_s, z, sizeof(z));
        snprintf(b, n, "%s %s (%s %s %s, valid %.16s to %.16s)", d->source, d->order_id, o->type,
                 o->quantity ? o->quantity : "", o->unit ? o->unit : "", a, z);
        return;
    }
    snprintf(b, n, "%s %s", d->source, d->order_id);
}

static void explain_line(const struct br_explain *x, const struct br_explain_line *l, FILE *out)
{
    fprintf(out, "\n%s: %s %s, gross %s\n", l->item, l->quantity, l->unit, l->gross);
    fprintf(out, "  = free %s + plans %s + coupons %s + balance %s + outstanding %s\n", l->free,
            l->plan, l->coupon, l->balance, l->outstanding);
    for (size_t k = 0; k < x->ndraws; k++) {
        const struct br_explain_draw *d = &x->draws[k];
        if (strcmp(d->item, l->item) != 0)
            continue;
        char label[200], val[32], rec[32];
        source_label(x, d, label, sizeof(label));
        br_e8_format(d->value_e8, val, sizeof(val));
        br_e8_format(d->recognised_e8, rec, sizeof(rec));
        fprintf(out, "  paid  %-70s %14s", label, val);
        if (strcmp(d->source, "plan") == 0 && d->recognised_e8 > 0)
            fprintf(out, "  (revenue recognised %s)", rec);
        fprintf(out, "\n");
    }
    for (size_t k = 0; k < x->norders; k++) {
        const struct br_explain_order *o = &x->orders[k];
        bool used = false;
        for (size_t j = 0; j < x->ndraws && !used; j++)
            used = strcmp(x->draws[j].item, l->item) == 0 && x->draws[j].order_id != NULL &&
                   strcmp(x->draws[j].order_id, o->order_id) == 0;
        if (used)
            continue;
        char why[300];
        why_not(x, o, l, why, sizeof(why));
        fprintf(out, "  not   %s %s: %s\n", strcmp(o->type, "coupon") == 0 ? "coupon" : "plan",
                o->order_id, why);
    }
}

/* The period's credit and debit notes: what each did to the account. */
static void explain_adjustments(const struct br_explain *x, FILE *out)
{
    if (x->nadjustments == 0)
        return;
    fprintf(out, "\ncredit and debit notes (corrections):\n");
    for (size_t i = 0; i < x->nadjustments; i++) {
        const struct br_explain_adjustment *a = &x->adjustments[i];
        char t[40];
        when(a->at, x->tz_offset_s, t, sizeof(t));
        bool credit = strcmp(a->kind, "credit") == 0;
        fprintf(out, "  %-6s %s %s %s CNY, %s: %s\n", a->kind,
                a->note_no[0] ? a->note_no : "(note number at close)", a->item, a->amount, t,
                credit ? "to the prepaid balance, paying later usage"
                       : "owed, added to the amount due");
        fprintf(out, "         adjustment %s%s%s%s; reason: %s\n", a->adjustment_id,
                a->invoice_no[0] ? ", corrects " : "", a->invoice_no,
                a->late ? ", posted late (its own period was closed)" : "", a->reason);
    }
}

enum br_status br_explain(struct br_db *db, const char *account, br_period period, FILE *out,
                          struct br_error *err)
{
    struct br_explain x;
    enum br_status st = br_explain_load(db, account, period, &x, err);
    if (st != BR_OK) {
        br_explain_free(&x);
        return st;
    }
    char per[16];
    br_period_format(period, per, sizeof(per));
    fprintf(out, "Invoice %s, %s, %s (%s), %s\n", x.invoice_no, per, account, x.name, x.status);
    fprintf(out, "gross %s = free %s + plans %s + coupons %s + balance %s + outstanding %s\n",
            x.gross, x.free, x.plan, x.coupon, x.balance, x.outstanding);
    fprintf(out, "outstanding %s + debit notes %s - round-down %s = amount due %s CNY\n",
            x.outstanding, x.debits, x.round_down, x.amount_due);
    if (x.nadjustments > 0)
        fprintf(out, "credit notes %s CNY went to the prepaid balance\n", x.credits);
    if (x.nlines == 0)
        fprintf(out, "\nno usage in %s (the invoice comes from orders or notes only)\n", per);
    for (size_t i = 0; i < x.nlines; i++)
        explain_line(&x, &x.lines[i], out);
    explain_adjustments(&x, out);
    br_explain_free(&x);
    return BR_OK;
}
