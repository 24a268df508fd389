#!/usr/bin/python3
"""Independent model of a SEQUENCE of billrun runs and closes into one database.

Written from the spec only (rules.md, formats.md, interfaces.md), reusing the
one-run oracle (oracle.py, beside it) for parsing, validation,
pieces and prices, and re-doing the waterfall and the ledger incrementally.

A scenario is a JSON list of steps:
  {"init": {"late_days": N, "tz_offset": "+08:00"}}  (optional, first: billrun db init --late-days N;
                                                     without it the database has no lateness window,
                                                     as billrun had before corrections.md)
  {"run": "INBOX_DIR", "as_of": "RFC3339"}   (every <kind>-*.csv in the folder)
  {"close": "YYYY-MM"}
usage: multirun_oracle.py SCENARIO.json OUT.json   (OUT: list of states, one per step; a state's "rc"
       is the exit status billrun must give: 0, 3 (rows rejected or files refused) or 2 (refused as-of))
(SCENARIO.json may also be {"steps": [...]} as compare_multi.py and fuzzgen.py --corrections write it.)

corrections.md (re-sent usage, the lateness window, credit and debit notes) was added by another
helper from that page alone; its readings are C1.. below and in tests/oracle/README.md.

Multi-run readings (where the spec leaves a choice; see READINGS below).
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle as O  # noqa: E402

REVENUE = {'compute_shared': 4100, 'compute_exclusive': 4110, 'storage': 4200,
           'egress': 4300, 'put': 4400, 'get': 4400}
FEN = 10 ** 6

READINGS = [
    "R1 history is never re-rated: a piece is rated once, in the run that brings it; new pieces of a run are "
    "processed per account in time order (orders of the run merged, order first at one instant) and draw "
    "on the sources as they stand after all earlier runs.",
    "R2 validity is judged at the piece's own t (valid_from <= t < valid_to); a plan whose expiry was processed "
    "by an EARLIER run or close covers nothing more; the current run's expiries come after its usage.",
    "R3 free allowance, monthly quota and capacity hour are keyed by the piece's own month/hour (late November "
    "usage draws on November's allowance left over).",
    "R4 balance for a piece at t: min over s >= t of (top-ups at or before s - draws at or before s), i.e. what "
    "stood at its own time without making any later instant negative; a top-up dated after t never pays it.",
    "R5 coupons: only 'valid at t' (no expiry processing is defined for coupons; an expired coupon still pays "
    "late usage dated inside its validity). Parameter COUPON_EXPIRY switches to the plan rule.",
    "R6 every posting (usage by source, amount/pool recognition, purchase/top-up/payment, straight-line share, "
    "breakage) goes to the period of its own time; if closed, to the first open period after it, flagged late.",
    "R7 a late piece belongs to the invoice (and invoice line) of the period it is posted in; the closed "
    "invoice never changes.",
    "R8 (corrections.md 1) a row is duplicate_record when an earlier row of the same run claimed its id, or "
    "when a row of the same source and id was ACCEPTED by an earlier run with a charge time >= this run's "
    "as-of - late_days*86400 (without a window: any earlier accepted row). Rows rejected by earlier runs "
    "never count.",
    "R9 a refused file is not applied: it is read and refused again (a new source_files row) in every run "
    "that finds it in the inbox.",
    "R10 straight-line and expiry are processed, for the plans known at that step, up to the run's as-of or "
    "the closed period's end; never backwards (a plan that arrives after an early close of a later period is "
    "processed up to the run's as-of only).",
    "C1 a run whose as-of is earlier than the greatest as-of of the runs committed before is refused (exit 2) "
    "and changes nothing; an equal as-of is allowed; closes do not count.",
    "C2 too_late: charge time < as-of - late_days*86400 (strictly earlier); the window has no upper bound.",
    "C3 an adjustment is posted by the run that applies it, in the period of adjustment_time or, if closed, "
    "the first open one after it (late); it belongs to that period's invoice (credits, debits, the invoice's "
    "existence) and gets its note number at that period's close.",
    "C4 a credit joins the prepaid balance at adjustment_time exactly like a top-up (R4); a debit never "
    "touches the waterfall.",
    "C5 unknown_invoice: invoice_no must be the number of an invoice of a period closed before this run, of "
    "the same account; over_credit limit = that invoice's gross - free as frozen at its close.",
    "C6 a price file that would change the price row of a piece already rated is refused reprices_history.",
]
COUPON_EXPIRY = os.environ.get('COUPON_EXPIRY') == '1'
# BALANCE=carry: billrun's reading (repro 02): a run starts from the balance left by earlier runs (every
# top-up applied so far, whatever its order_time, minus every draw), then merges its own top-ups in time order.
BALANCE_CARRY = os.environ.get('BALANCE') == 'carry'
# REFUSED_ONCE=1: billrun's reading (repro 03): a refused file seen again with the same name and content is
# skipped (not recorded again).
REFUSED_ONCE = os.environ.get('REFUSED_ONCE') == '1'
# GLOBAL_HORIZON=1: a plan that arrives after a period was closed is processed up to that period's end at
# once (ledger_oracle's reading). Default (billrun's, repro 04, more literal): each run processes
# straight-line and expiries up to ITS as-of, each close up to its period end, per plan never backwards.
GLOBAL_HORIZON = os.environ.get('GLOBAL_HORIZON') == '1'


class Multi(O.Oracle):
    def __init__(self, tz=8 * 3600, late_days=None):
        O.Oracle.__init__(self, tz)
        self.late_days = late_days
        self.max_asof = None   # greatest as-of of the runs committed so far
        self.n_adj = 0
        self.note_no = {}
        self.rc = None         # exit status of the last step
        self.rc_sure = True    # False when a REFUSED_ONCE skip makes 0 vs 3 uncertain
        self.applied = {}
        self.n_orders = 0
        self.n_usage = 0
        self.free_used = {}
        self.plan_state = {}
        self.bal = {}          # acct -> list of (t, delta)
        self.rated = []
        self.entries = []      # (period, dr, cr, amount, what, late)
        self.closed = set()
        self.horizon = None
        self.expired = set()
        self.lstate = {}       # plan ledger state
        self.order_post = {}   # order_id -> posting period
        self.invoice_no = {}
        self.frozen = {}       # (period, acct) -> invoice dict at close
        self.seq = 0
        self.refused_seen = set()
        self.run_no = 0

    # ------------------------------------------------------------ calendar
    def period_start(self, per):
        y, m = int(per[:4]), int(per[5:])
        return O.days_from_civil(y, m, 1) * 86400 - self.tz

    def period_end(self, per):
        return self.period_start(self.next_period(per))

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

    def post(self, t_or_per, dr, cr, amount, what):
        if amount == 0:
            return
        assert amount > 0, (what, amount)
        per = t_or_per if isinstance(t_or_per, str) else self.period(t_or_per)
        per, late = self.post_period(per)
        self.entries.append((per, dr, cr, amount, what, late))

    # ---------------------------------------------------------------- runs
    def load_prices(self, rows):
        """rules.md 3 (C6): refused whole when one of its rows would change the price of a rated piece"""
        before = list(self.prices)
        r = O.Oracle.load_prices(self, rows)
        if r:
            return r
        for pc in self.rated:
            p = self.find_price(pc['item'], pc['spec'], pc['t'])
            if p is None or self.price_key(p) != self.price_key(pc['price']):
                self.prices = before
                return 'reprices_history'
        return None

    def run(self, inbox, as_of):
        if self.max_asof is not None and as_of < self.max_asof:
            self.rc, self.rc_sure = 2, True      # C1: refused, nothing done
            return 2
        self.claimed = {'eas': set(), 'oss': set()}
        self.accepted_ids = []
        self.window_lo = None if self.late_days is None else as_of - self.late_days * 86400
        n_rej, n_files = len(self.rejects), len(self.files)
        self.rc_sure = True
        names = []
        for nm in os.listdir(inbox):
            p = os.path.join(inbox, nm)
            if not os.path.isfile(p):
                continue
            m = O.FILE_RE.fullmatch(nm)
            if not m:
                continue
            names.append((O.KIND_ORDER.index(m.group(1)), nm.encode('utf-8', 'surrogateescape'), nm, m.group(1)))
        names.sort()
        for _, _, nm, kind in names:
            with open(os.path.join(inbox, nm), 'rb') as f:
                data = f.read()
            sha = hashlib.sha256(data).hexdigest()
            if REFUSED_ONCE and (nm, sha) in self.refused_seen:
                self.rc_sure = False
                continue
            if nm in self.applied:
                if self.applied[nm] != sha:
                    self.refuse(nm, 'changed_content', kind, sha)
                    self.refused_seen.add((nm, sha))
                continue
            self.apply_file(nm, kind, data)
            if self.files[-1]['status'] == 'applied':
                self.applied[nm] = sha
            else:
                self.refused_seen.add((nm, sha))
        self.run_no += 1
        # the run commits: its accepted record ids join the memory (R8)
        for src, rid, t in self.accepted_ids:
            if rid not in self.billed[src] or t > self.billed[src][rid]:
                self.billed[src][rid] = t
        self.accepted_ids = []
        self.max_asof = as_of if self.max_asof is None else max(self.max_asof, as_of)
        new_orders = self.order_list[self.n_orders:]
        self.n_orders = len(self.order_list)
        new_pieces = self.usage[self.n_usage:]
        self.n_usage = len(self.usage)
        new_adjs = self.adj_list[self.n_adj:]
        self.n_adj = len(self.adj_list)
        self.rate_new(new_orders, new_pieces, new_adjs)
        self.process(as_of)
        refused = any(f['status'] == 'refused' for f in self.files[n_files:])
        self.rc = 3 if (len(self.rejects) > n_rej or refused) else 0
        return self.rc

    def rate_new(self, orders, pieces, adjs=()):
        for o in orders:
            if o['kind'] in ('plan', 'coupon'):
                self.plan_state[o['order_id']] = {'consumed': 0, 'month': {}, 'hour': {}}
            if o['kind'] == 'plan':
                self.lstate[o['order_id']] = {'consumed': 0, 'rec': 0, 'sl_to': o['valid_from'],
                                              'breakage': 0}
                self.post(o['t'], 1000, 2200, o['paid'], 'purchase ' + o['order_id'])
            elif o['kind'] == 'topup':
                self.post(o['t'], 1000, 2100, o['paid'], 'topup ' + o['order_id'])
            elif o['kind'] == 'payment':
                self.post(o['t'], 1000, 1100, o['paid'], 'payment ' + o['order_id'])
            self.order_post[o['order_id']] = self.post_period(self.period(o['t']))[0]
        for x in adjs:   # corrections.md 3
            if x['kind'] == 'credit':
                self.post(x['t'], 4920, 2100, x['amount'], 'credit ' + x['adjustment_id'])
            else:
                self.post(x['t'], 1100, 4920, x['amount'], 'debit ' + x['adjustment_id'])
            x['post_period'], x['late'] = self.post_period(self.period(x['t']))
        for pc in pieces:
            p = pc['price']
            pc['div'] = O.DIVISOR[pc['item']]
            pc['p'] = p['price']
            pc['gross'] = O.rhu(pc['q'] * p['price'], pc['div'] * 100)
            pc['free_cap'] = p['free'] or 0
        accts = sorted(set([pc['account_id'] for pc in pieces] + [o['account_id'] for o in orders] +
                           [x['account_id'] for x in adjs]), key=lambda s: s.encode())
        allplans = sorted([o for o in self.order_list if o['kind'] == 'plan'],
                          key=lambda o: (o['valid_to'], o['valid_from'], o['order_id'].encode()))
        allcoupons = sorted([o for o in self.order_list if o['kind'] == 'coupon'],
                            key=lambda o: (o['valid_to'], o['valid_from'], o['order_id'].encode()))
        for a in accts:
            ev = []
            for o in orders:
                if o['account_id'] == a:
                    ev.append(((o['t'], 0, o['order_id'].encode(), 0), 'o', o))
            for x in adjs:   # orders, then adjustments by adjustment_id, then pieces
                if x['account_id'] == a:
                    ev.append(((x['t'], 1, x['adjustment_id'].encode(), 0), 'a', x))
            for pc in pieces:
                if pc['account_id'] == a:
                    ev.append(((pc['t'], 2, pc['record_id'].encode(), 0 if pc['source'] == 'eas' else 1), 'p', pc))
            ev.sort(key=lambda e: e[0])
            bal = self.bal.setdefault(a, [])
            plans = [o for o in allplans if o['account_id'] == a]
            coupons = [o for o in allcoupons if o['account_id'] == a]
            for _, typ, x in ev:
                if typ == 'o':
                    if x['kind'] == 'topup':
                        bal.append((x['t'], x['paid'], self.run_no))
                    continue
                if typ == 'a':
                    if x['kind'] == 'credit':   # C4: like a top-up
                        bal.append((x['t'], x['amount'], self.run_no))
                    continue
                self.pay(x, plans, coupons, bal)
                self.post_piece(x)

    def available(self, bal, t):
        if BALANCE_CARRY:
            return sum(d for u, d, r in bal if r < self.run_no or u <= t)
        pts = sorted(set([t] + [s for s, _, _ in bal if s > t]))
        best = None
        for s in pts:
            v = sum(d for u, d, _ in bal if u <= s)
            best = v if best is None else min(best, v)
        return best

    def pay(self, pc, plans, coupons, bal):
        alloc = {'free': 0, 'plan': 0, 'coupon': 0, 'balance': 0, 'outstanding': 0}
        pc['alloc'] = alloc
        d2 = pc['draws2'] = []
        self.seq += 1
        pc['seq'] = self.seq
        t, item, price, div = pc['t'], pc['item'], pc['p'], pc['div']
        uv, uu = pc['gross'], pc['q']
        if uv == 0:
            return

        def unit_cover(left):
            u = min(left, uu)
            if u == uu:
                return u, uv
            return u, min(uv, O.rhu(u * price, div * 100))

        def money_after(v):
            return (v * div * 100) // price

        key = (pc['account_id'], item, self.period(t))
        used = self.free_used.get(key, 0)
        left = max(0, pc['free_cap'] - used)
        if left > 0 and uu > 0:
            u, v = unit_cover(left)
            self.free_used[key] = used + u
            alloc['free'] += v
            uv -= v
            uu -= u
        for o in plans:
            if uv == 0:
                break
            if item not in o['items'] or not (o['valid_from'] <= t < o['valid_to']):
                continue
            if o['order_id'] in self.expired:
                continue
            st = self.plan_state[o['order_id']]
            pt = o['plan_type']
            if pt == 'amount':
                left = o['face'] - st['consumed']
                if left <= 0:
                    continue
                v = min(left, uv)
                st['consumed'] += v
                alloc['plan'] += v
                d2.append(('plan', o['order_id'], v, v))
                uv -= v
                uu = money_after(uv)
            else:
                if pt == 'pool':
                    left = o['face'] - st['consumed']
                elif pt == 'monthly':
                    mk = self.period(t)
                    left = o['face'] - st['month'].get(mk, 0)
                else:
                    hk = t // 3600
                    left = o['face'] - st['hour'].get(hk, 0)
                if left <= 0 or uu == 0:
                    continue
                u, v = unit_cover(left)
                st['consumed'] += u
                if pt == 'monthly':
                    st['month'][mk] = st['month'].get(mk, 0) + u
                elif pt == 'capacity':
                    st['hour'][hk] = st['hour'].get(hk, 0) + u
                alloc['plan'] += v
                d2.append(('plan', o['order_id'], u, v))
                uv -= v
                uu -= u
        for o in coupons:
            if uv == 0:
                break
            if item not in o['items'] or not (o['valid_from'] <= t < o['valid_to']):
                continue
            if COUPON_EXPIRY and self.horizon is not None and self.horizon >= o['valid_to']:
                continue
            st = self.plan_state[o['order_id']]
            left = o['face'] - st['consumed']
            if left <= 0:
                continue
            v = min(left, uv)
            st['consumed'] += v
            alloc['coupon'] += v
            uv -= v
            uu = money_after(uv)
        if uv > 0:
            avail = self.available(bal, t)
            if avail > 0:
                v = min(avail, uv)
                bal.append((t, -v, self.run_no))
                alloc['balance'] += v
                uv -= v
                uu = money_after(uv)
        alloc['outstanding'] = uv
        assert pc['gross'] == sum(alloc.values())

    def post_piece(self, pc):
        per, late = self.post_period(self.period(pc['t']))
        pc['post_period'] = per
        pc['late'] = late
        self.rated.append(pc)
        a = pc['alloc']
        rev = REVENUE[pc['item']]
        t = pc['t']
        for kind, oid, u, v in pc['draws2']:
            p = self.orders[oid]
            st = self.lstate[oid]
            st['consumed'] += u
            if p['plan_type'] in ('amount', 'pool'):
                new = p['paid'] * st['consumed'] // p['face']
                self.post(t, 2200, rev, new - st['rec'], 'recognise ' + oid)
                st['rec'] = new
        self.post(t, 4900, rev, a['coupon'], 'coupon ' + pc['record_id'])
        self.post(t, 2100, rev, a['balance'], 'balance ' + pc['record_id'])
        self.post(t, 1100, rev, a['outstanding'], 'outstanding ' + pc['record_id'])

    # --------------------------------------------- straight-line and expiry
    def sl_rec(self, p, x):
        vf, vt = p['valid_from'], p['valid_to']
        x = max(vf, min(x, vt))
        return p['paid'] * (x - vf) // (vt - vf)

    def process(self, H):
        if self.horizon is not None and GLOBAL_HORIZON:
            H = max(H, self.horizon)
        self.horizon = H if self.horizon is None else max(H, self.horizon)
        plans = [o for o in self.order_list if o['kind'] == 'plan']
        for p in plans:
            if p['plan_type'] not in ('monthly', 'capacity'):
                continue
            st = self.lstate[p['order_id']]
            target = max(p['valid_from'], min(H, p['valid_to']))
            a = st['sl_to']
            rev = REVENUE[p['items'][0]]
            while a < target:
                per = self.period(a)
                b = min(target, self.period_end(per))
                self.post(per, 2200, rev, self.sl_rec(p, b) - self.sl_rec(p, a), 'straight-line ' + p['order_id'])
                a = b
            st['sl_to'] = max(st['sl_to'], target)
            st['rec'] = self.sl_rec(p, st['sl_to'])
        for p in sorted(plans, key=lambda p: (p['valid_to'], p['order_id'].encode())):
            if p['order_id'] in self.expired or H < p['valid_to']:
                continue
            self.expired.add(p['order_id'])
            st = self.lstate[p['order_id']]
            if p['plan_type'] in ('amount', 'pool'):
                st['breakage'] = p['paid'] - st['rec']
                self.post(p['valid_to'] - 1, 2200, 4800, st['breakage'], 'breakage ' + p['order_id'])

    # --------------------------------------------------------------- close
    def invoices(self):
        inv = {}

        def get(per, acct):
            return inv.setdefault((per, acct), {'period': per, 'account_id': acct, 'gross': 0, 'free': 0,
                                                'plan': 0, 'coupon': 0, 'balance': 0, 'outstanding': 0,
                                                'credits': 0, 'debits': 0})
        for pc in self.rated:
            I = get(pc['post_period'], pc['account_id'])
            I['gross'] += pc['gross']
            for s in ('free', 'plan', 'coupon', 'balance', 'outstanding'):
                I[s] += pc['alloc'][s]
        for o in self.order_list:
            get(self.order_post[o['order_id']], o['account_id'])
        for x in self.adj_list:
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
            no = 'INV-%s%s-%06d' % (per[:4], per[5:], i + 1)
            self.invoice_no[(per, a)] = no
            self.final_invoices[no] = {'account_id': a, 'limit': I['gross'] - I['free']}
        for kind, pre in (('credit', 'CN'), ('debit', 'DN')):
            xs = sorted([x for x in self.adj_list if x['post_period'] == per and x['kind'] == kind],
                        key=lambda x: (x['account_id'].encode(), x['t'], x['adjustment_id'].encode()))
            for i, x in enumerate(xs):
                self.note_no[x['adjustment_id']] = '%s-%s%s-%06d' % (pre, per[:4], per[5:], i + 1)
        self.closed.add(per)

    # -------------------------------------------------------------- output
    def state(self):
        lines = {}
        for pc in self.rated:
            k = (pc['post_period'], self.period(pc['t']), pc['late'], pc['account_id'], pc['item'])
            L = lines.setdefault(k, [0] * 7)
            L[0] += pc['q']
            L[1] += pc['gross']
            for i, s in enumerate(('free', 'plan', 'coupon', 'balance', 'outstanding')):
                L[2 + i] += pc['alloc'][s]
        tb = {}
        for per, dr, cr, amt, what, late in self.entries:
            for code, d, c in ((dr, amt, 0), (cr, 0, amt)):
                r = tb.setdefault((per, code), [0, 0])
                r[0] += d
                r[1] += c
        tbo = {}
        for (per, code), (d, c) in tb.items():
            net = d - c
            tbo['%s|%d' % (per, code)] = [max(net, 0), max(-net, 0), d, c]
        plans = {}
        for o in self.order_list:
            if o['kind'] != 'plan':
                continue
            st = self.lstate[o['order_id']]
            plans[o['order_id']] = {'unit': o['unit'], 'consumed_base': self.plan_state[o['order_id']]['consumed'],
                                    'paid': o['paid'], 'recognised': st['rec'], 'breakage': st['breakage'],
                                    'status': 'expired' if o['order_id'] in self.expired else 'active'}
        coupons = {o['order_id']: self.plan_state[o['order_id']]['consumed']
                   for o in self.order_list if o['kind'] == 'coupon'}
        inv = self.invoices()
        invs = {}
        for k, I in inv.items():
            I = dict(I)
            I['invoice_no'] = self.invoice_no.get(k)
            I['status'] = 'final' if k[0] in self.closed else 'draft'
            invs['%s|%s' % k] = I
        adjs = {}
        for x in self.adj_list:
            adjs[x['adjustment_id']] = {
                'account_id': x['account_id'], 'adjustment_time': O.fmt_utc(x['t']), 'period': x['post_period'],
                'late': x['late'], 'kind': x['kind'], 'item': x['item'], 'amount': x['amount'],
                'invoice_no': x['invoice_no'], 'reason': x['reason'], 'note_no': self.note_no.get(x['adjustment_id']),
                'status': 'final' if x['post_period'] in self.closed else 'draft'}
        return {
            'rc': self.rc, 'rc_sure': self.rc_sure,
            'adjustments': adjs,
            'files_full': sorted([[f['name'], f.get('kind'), f.get('sha256'), f['status'], f['reason'], f['rows'],
                                   f['accepted'], f['rejected']] for f in self.files], key=str),
            'lines': {'|'.join(str(x) for x in k): v for k, v in lines.items()},
            'rejects': {'%s|%d' % (r['file'], r['line']): r['reason'] for r in self.rejects},
            'files': sorted([[f['name'], f['status'], f['reason'], f['rows'], f['accepted'], f['rejected']]
                             for f in self.files]),
            'plans': plans, 'coupons': coupons, 'trial_balance': tbo, 'invoices': invs,
        }


def model(steps):
    M = None
    out = []
    for s in steps:
        if 'init' in s:
            assert M is None, 'init must come first'
            i = s['init'] or {}
            ld = i.get('late_days')
            assert ld is None or 1 <= ld <= 366
            M = Multi(O.parse_offset(i.get('tz_offset', '+08:00')), ld)
            M.rc = 0
            out.append(M.state())
            continue
        if M is None:
            M = Multi()
        if 'run' in s:
            M.run(s['run'], O.parse_ts(s['as_of']))
        else:
            M.close(s['close'])
            M.rc, M.rc_sure = 0, True
        out.append(M.state())
    return M, out


def main(argv):
    with open(argv[0]) as f:
        steps = json.load(f)
    if isinstance(steps, dict):
        steps = steps['steps']
    _, out = model(steps)
    with open(argv[1], 'w') as f:
        json.dump({'readings': READINGS, 'states': out}, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
