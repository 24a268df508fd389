#!/usr/bin/python3
"""Independent model of rules.md section 5 (Accounting) and section 6 (Periods)
for ONE `billrun run --inbox DIR --as-of AS_OF` over an empty database,
optionally followed by `billrun close --period P` of one or more periods.

Rating (rejects, pieces, waterfall) comes from oracle.py. Written, like it,
from the spec alone by someone who had not read billrun's code.

corrections.md section 3 (a helper extended it from that page alone):
credits Dr 4920 / Cr 2100, debits Dr 1100 / Cr 4920, the invoices' credits
and debits, amount_due = floor_fen(outstanding + debits), note numbers at
close, the billing.adjustments view; --late-days N gives the run's
lateness window (too_late), omitted = no window.

Usage:
  /usr/bin/python3 ledger_oracle.py --inbox DIR --as-of TIME [--tz-offset +08:00]
                                    [--late-days N] [--close YYYY-MM ...] --out OUT.json
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle as O  # noqa: E402

REVENUE = {'compute_shared': 4100, 'compute_exclusive': 4110, 'storage': 4200,
           'egress': 4300, 'put': 4400, 'get': 4400}
NAMES = {1000: 'Cash clearing', 1100: 'Accounts receivable',
         2100: 'Customer prepaid balances', 2200: 'Contract liability - resource plans',
         4100: 'Revenue - compute, shared edition', 4110: 'Revenue - compute, exclusive edition',
         4200: 'Revenue - storage', 4300: 'Revenue - outbound traffic',
         4400: 'Revenue - requests', 4800: 'Breakage revenue - expired plans',
         4900: 'Contra-revenue - coupons', 4910: 'Contra-revenue - round-down discount',
         4920: 'Contra-revenue - adjustments'}
FEN = 10 ** 6   # 0.01 CNY in e8

AMBIGUITIES = [
    "trial_balance: per (period, code) net = sum(debits) - sum(credits); the view shows a positive net as debit and a negative one as credit (view comment), and total_debit/total_credit as the period's activity.  Activity is modelled as one debit and one credit line per entry (a zero entry is not posted).",
    "Straight-line shares are computed as rec(min(H, period_end)) - rec(max(last, period_start)) with rec(x) = floor(paid * (x - valid_from) / (valid_to - valid_from)) clamped to [valid_from, valid_to]; a plan bought after the as-of has 0 recognised.",
    "The plan's 'first scope item' is the first item in the scope field as written (scope 'egress|put' -> egress; '*' cannot occur for monthly/capacity).",
    "Recognition of amount/pool plans is cumulative in the order of the deduction waterfall (per account in event time order), each increase posted in the period of the piece's t.",
    "A plan is expired when the processed horizon (max of the run's as-of and the ends of the closed periods) is at or past valid_to; breakage = paid - floor(paid*consumed/face) for amount/pool, 0 for monthly/capacity.",
    "An invoice exists for (period, account) when the account has a priced piece (any gross, including 0) in the period or an accepted, applied order (plan, coupon, top-up or payment) whose order_time lies in the period.",
    "round_down = outstanding mod 10^6 e8 (outstanding >= 0); amount_due = outstanding - round_down; payments do not change them.",
    "Close of P processes straight-line and expiries up to max(already processed, end of P); postings whose own period is closed go to the next open period (cannot happen with closes in order after one run).",
    "Adjustments (corrections.md 3): a credit posts Dr 4920 / Cr 2100 and a debit Dr 1100 / Cr 4920 in the period of adjustment_time (the first open one after it, flagged late, if closed); the adjustment belongs to the invoice of its posting period, whose credits/debits are the sums; round_down = (outstanding + debits) mod 10^6 e8; at close each series (CN, DN) is numbered from 1 in (account_id, adjustment_time, adjustment_id) order.",
]


class Ledger(object):
    def __init__(self, inbox, tz, as_of, late_days=None):
        self.tz = tz
        self.o = O.Oracle(tz)
        if late_days is not None:
            self.o.window_lo = as_of - late_days * 86400
        self.o.run(inbox)
        self.as_of = as_of
        self.entries = []          # (period, dr_code, cr_code, amount, what, late)
        self.closed = set()
        self.horizon = None        # instant up to which straight-line/expiry are processed
        self.plans = [x for x in self.o.order_list if x['kind'] == 'plan']
        self.pstate = {}
        for p in self.plans:
            self.pstate[p['order_id']] = {'consumed': 0, 'rec': 0, 'sl_to': p['valid_from'],
                                          'expired': False, 'breakage': 0}
        self.invoice_no = {}
        self.note_no = {}          # adjustment_id -> CN-/DN- number

    # ------------------------------------------------------------ calendar
    def period(self, t):
        return self.o.period(t)

    def period_start(self, per):
        y, m = int(per[:4]), int(per[5:])
        return O.days_from_civil(y, m, 1) * 86400 - self.tz

    def period_end(self, per):
        y, m = int(per[:4]), int(per[5:])
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return O.days_from_civil(y, m, 1) * 86400 - self.tz

    @staticmethod
    def next_period(per):
        y, m = int(per[:4]), int(per[5:])
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return '%04d-%02d' % (y, m)

    def post_period(self, per):
        late = False
        while per in self.closed:
            per = self.next_period(per)
            late = True
        return per, late

    def post(self, t_or_period, dr, cr, amount, what):
        if amount == 0:
            return
        assert amount > 0, (what, amount)
        per = t_or_period if isinstance(t_or_period, str) else self.period(t_or_period)
        per, late = self.post_period(per)
        self.entries.append((per, dr, cr, amount, what, late))

    # ------------------------------------------------------------- the run
    def run(self):
        o = self.o
        # orders
        for x in o.order_list:
            if x['kind'] == 'plan':
                self.post(x['t'], 1000, 2200, x['paid'], 'purchase ' + x['order_id'])
            elif x['kind'] == 'topup':
                self.post(x['t'], 1000, 2100, x['paid'], 'topup ' + x['order_id'])
            elif x['kind'] == 'payment':
                self.post(x['t'], 1000, 1100, x['paid'], 'payment ' + x['order_id'])
        # adjustments (corrections.md 3)
        for x in o.adj_list:
            if x['kind'] == 'credit':
                self.post(x['t'], 4920, 2100, x['amount'], 'credit ' + x['adjustment_id'])
            else:
                self.post(x['t'], 1100, 4920, x['amount'], 'debit ' + x['adjustment_id'])
            x['post_period'], x['late'] = self.post_period(self.period(x['t']))
        # usage, in consumption order
        for pc in sorted(o.usage, key=lambda pc: pc.get('seq', 0)):
            a = pc.get('alloc') or {}
            rev = REVENUE[pc['item']]
            t = pc['t']
            for kind, oid, u, v in pc.get('draws2', []):
                if kind != 'plan':
                    continue
                p = o.orders[oid]
                if p['plan_type'] in ('amount', 'pool'):
                    st = self.pstate[oid]
                    st['consumed'] += u
                    new = p['paid'] * st['consumed'] // p['face']
                    self.post(t, 2200, rev, new - st['rec'], 'recognise ' + oid)
                    st['rec'] = new
                else:
                    self.pstate[oid]['consumed'] += u
            self.post(t, 4900, rev, a.get('coupon', 0), 'coupon ' + pc['record_id'])
            self.post(t, 2100, rev, a.get('balance', 0), 'balance ' + pc['record_id'])
            self.post(t, 1100, rev, a.get('outstanding', 0), 'outstanding ' + pc['record_id'])
        self.process(self.as_of)

    def sl_rec(self, p, x):
        vf, vt = p['valid_from'], p['valid_to']
        x = max(vf, min(x, vt))
        return p['paid'] * (x - vf) // (vt - vf)

    def process(self, H):
        """straight-line recognition and expiries up to instant H"""
        if self.horizon is not None and H <= self.horizon:
            return
        self.horizon = H
        for p in self.plans:
            if p['plan_type'] not in ('monthly', 'capacity'):
                continue
            st = self.pstate[p['order_id']]
            target = max(p['valid_from'], min(H, p['valid_to']))
            a = st['sl_to']
            rev = REVENUE[p['items'][0]]
            while a < target:
                per = self.period(a)
                b = min(target, self.period_end(per))
                amt = self.sl_rec(p, b) - self.sl_rec(p, a)
                self.post(per, 2200, rev, amt, 'straight-line ' + p['order_id'])
                a = b
            st['sl_to'] = target
            st['rec'] = self.sl_rec(p, target)
        # expiries (after all usage)
        for p in sorted(self.plans, key=lambda p: (p['valid_to'], p['order_id'].encode())):
            st = self.pstate[p['order_id']]
            if st['expired'] or H < p['valid_to']:
                continue
            st['expired'] = True
            if p['plan_type'] in ('amount', 'pool'):
                br = p['paid'] - st['rec']
                st['breakage'] = br
                self.post(p['valid_to'] - 1, 2200, 4800, br, 'breakage ' + p['order_id'])
            else:
                assert st['rec'] == p['paid']

    # ------------------------------------------------------------- invoices
    def invoices(self):
        inv = {}

        def get(per, acct):
            return inv.setdefault((per, acct), {'period': per, 'account_id': acct,
                                                'gross': 0, 'free': 0, 'plan': 0, 'coupon': 0,
                                                'balance': 0, 'outstanding': 0,
                                                'credits': 0, 'debits': 0})
        for pc in self.o.usage:
            I = get(self.period(pc['t']), pc['account_id'])
            I['gross'] += pc['gross']
            a = pc.get('alloc') or {}
            for s in ('free', 'plan', 'coupon', 'balance', 'outstanding'):
                I[s] += a.get(s, 0)
        for x in self.o.order_list:
            get(self.period(x['t']), x['account_id'])
        for x in self.o.adj_list:
            I = get(x['post_period'], x['account_id'])
            I[x['kind'] + 's'] += x['amount']
        for I in inv.values():
            owed = I['outstanding'] + I['debits']
            I['round_down'] = owed % FEN
            I['amount_due'] = owed - I['round_down']
        return inv

    def close(self, per):
        if per in self.closed:
            return
        self.process(self.period_end(per))
        inv = self.invoices()
        accts = sorted([a for (p, a) in inv if p == per], key=lambda s: s.encode())
        for i, a in enumerate(accts):
            I = inv[(per, a)]
            self.post(per, 4910, 1100, I['round_down'], 'round-down ' + a)
            self.invoice_no[(per, a)] = 'INV-%s%s-%06d' % (per[:4], per[5:], i + 1)
        for kind, pre in (('credit', 'CN'), ('debit', 'DN')):
            xs = sorted([x for x in self.o.adj_list if x['post_period'] == per and x['kind'] == kind],
                        key=lambda x: (x['account_id'].encode(), x['t'], x['adjustment_id'].encode()))
            for i, x in enumerate(xs):
                self.note_no[x['adjustment_id']] = '%s-%s%s-%06d' % (pre, per[:4], per[5:], i + 1)
        self.closed.add(per)

    # --------------------------------------------------------------- output
    def result(self):
        tb = {}
        for per, dr, cr, amt, what, late in self.entries:
            for code, d, c in ((dr, amt, 0), (cr, 0, amt)):
                r = tb.setdefault((per, code), {'period': per, 'account_code': code,
                                                'account_name': NAMES[code],
                                                'total_debit_e8': 0, 'total_credit_e8': 0})
                r['total_debit_e8'] += d
                r['total_credit_e8'] += c
        for r in tb.values():
            net = r['total_debit_e8'] - r['total_credit_e8']
            r['net_e8'] = net
            r['debit_e8'] = net if net > 0 else 0
            r['credit_e8'] = -net if net < 0 else 0
        per_tot = {}
        for r in tb.values():
            per_tot[r['period']] = per_tot.get(r['period'], 0) + r['net_e8']
        assert all(v == 0 for v in per_tot.values()), per_tot
        plans = []
        for p in sorted(self.plans, key=lambda p: p['order_id'].encode()):
            st = self.pstate[p['order_id']]
            plans.append({'order_id': p['order_id'], 'account_id': p['account_id'],
                          'plan_type': p['plan_type'], 'paid_e8': p['paid'],
                          'recognised_e8': st['rec'], 'breakage_e8': st['breakage'],
                          'consumed_base': st['consumed'],
                          'valid_from': O.fmt_utc(p['valid_from']), 'valid_to': O.fmt_utc(p['valid_to']),
                          'status': 'expired' if st['expired'] else 'active'})
        invs = []
        inv = self.invoices()
        for k in sorted(inv, key=lambda k: (k[0], k[1].encode())):
            I = dict(inv[k])
            I['invoice_no'] = self.invoice_no.get(k)
            I['status'] = 'final' if k[0] in self.closed else 'draft'
            invs.append(I)
        adjs = []
        for x in sorted(self.o.adj_list, key=lambda x: x['adjustment_id'].encode()):
            a = O.adj_out(x)
            a.update({'period': x['post_period'], 'late': x['late'],
                      'note_no': self.note_no.get(x['adjustment_id']),
                      'status': 'final' if x['post_period'] in self.closed else 'draft'})
            adjs.append(a)
        return {
            'adjustments': adjs,
            'as_of': O.fmt_utc(self.as_of),
            'closed': sorted(self.closed),
            'horizon': O.fmt_utc(self.horizon),
            'trial_balance': [tb[k] for k in sorted(tb)],
            'plans': plans,
            'invoices': invs,
            'entries': [{'period': e[0], 'dr': e[1], 'cr': e[2], 'amount_e8': e[3],
                         'what': e[4], 'late': e[5]} for e in self.entries],
            'ambiguities': AMBIGUITIES,
        }


def model(inbox, as_of, closes=(), tz='+08:00', late_days=None):
    L = Ledger(inbox, O.parse_offset(tz), O.parse_ts(as_of), late_days)
    L.run()
    for p in closes:
        L.close(p)
    return L.result()


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument('--inbox', required=True)
    ap.add_argument('--tz-offset', default='+08:00')
    ap.add_argument('--as-of', required=True)
    ap.add_argument('--close', action='append', default=[])
    ap.add_argument('--late-days', type=int, default=None)
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    res = model(a.inbox, a.as_of, a.close, a.tz_offset, a.late_days)
    with open(a.out, 'w') as f:
        json.dump(res, f, indent=1, ensure_ascii=False)
        f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
