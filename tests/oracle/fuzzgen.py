#!/usr/bin/python3
"""Seeded generator of small adversarial billing inboxes.

usage: fuzzgen.py SEED OUTDIR      (OUTDIR is created; files written into it)
       fuzzgen.py --corrections SEED ROOT
           a multi-night scenario exercising corrections.md (re-sent usage,
           the lateness window, credit and debit notes, an as-of that goes
           backwards): ROOT/nightN/ (or cumN/) folders and ROOT/steps.json,
           {"variant": ..., "steps": [{"init": ...}, {"run": DIR, "as_of": T}, {"close": P}, ...]},
           which multirun_oracle.py models and compare_multi.py --corrections runs.
stdlib only (--corrections imports multirun_oracle.py beside it to learn which
invoices a close made final, so that credits can name them).
"""
import os
import random
import sys
from decimal import Decimal

GB = 1 << 30
AVOID = set(x for x in os.environ.get('FUZZ_AVOID', '').split(',') if x)
H = 3600
DAY = 86400


def civil_days(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def from_days(z):
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return (y + (m <= 2), m, d)


def utc(y, m, d, hh=0, mm=0, ss=0):
    return civil_days(y, m, d) * DAY + hh * H + mm * 60 + ss


OFFSETS = [0, 0, 8 * H, 8 * H, -5 * H, 5 * H + 1800, 14 * H, -12 * H, -(9 * H + 1800)]


def fmt(t, off=0, z=True):
    lt = t + off
    days, sec = divmod(lt, DAY)
    y, m, d = from_days(days)
    s = '%04d-%02d-%02dT%02d:%02d:%02d' % (y, m, d, sec // H, sec % H // 60, sec % 60)
    if off == 0 and z:
        return s + 'Z'
    sg = '-' if off < 0 else '+'
    a = abs(off)
    return s + '%s%02d:%02d' % (sg, a // H, a % H // 60)


EDGE_NUM = ['05', '-0', '+5', '.5', '5.', '0.50', '1 ', '0x10', '\u0663', '1_000', '00', '-0.0', '1.000000000000000001']
EDGE_TS = ['2026-11-30T24:00:00Z', '2026-11-30T16:00:00+08:60', '2026-11-30T16:00:00+23:59',
           '2027-02-29T00:00:00Z', '2028-02-29T00:00:00Z', '2026-11-30T16:00:00.000Z', '2026-11-30T16:00Z',
           '2026-11-30T16:00:00+0800', '2026-11-30T16:00:00+08', '2026-1-30T16:00:00Z',
           '2026-11-30T16:00:00 Z', '\uff12026-11-30T16:00:00Z', '2026-11-30T16:00:00-00:00',
           '2026-11-30T15:59:59-00:01', '2026-12-01T00:00:00+08:00', ' 2026-11-30T16:00:00Z']
MONTH_EDGE = utc(2026, 11, 30, 16)        # 2026-12-01T00:00+08:00
U0 = utc(2026, 11, 27, 0)                 # usage window
U1 = utc(2026, 12, 4, 0)

HEADERS = {
    'accounts': 'account_id,name,address,tax_id,email',
    'prices': 'item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,free_per_month',
    'orders': 'order_id,account_id,order_time,kind,scope,plan_type,quantity,unit,paid,valid_days,bundle_id',
    'eas': 'record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms',
    'oss': 'record_id,account_id,bucket,region,hour_start,metric,value',
    'adjustments': 'adjustment_id,account_id,adjustment_time,kind,item,amount,invoice_no,reason',
}

SHARED_SPECS = ['A10', 'T4', 'A100']
EXCL_SPECS = ['m.small', 'm.big', 'm.none']
PRICE_VALUES = {
    'compute_shared': ['0.0077', '0.008', '0.0000000001', '0.0123456789', '0', '1.5', '0.0000001234'],
    'compute_exclusive': ['18.5', '7.3333333333', '0', '0.0000000007', '3', '0.0000123456'],
    'storage': ['0.12', '0.1234567891', '0', '720', '0.0000000001', '15'],
    'egress': ['0.25', '0.5', '0.0000000003', '0', '0.8000000001'],
    'put': ['0.01', '0.000015', '0.0000000001', '0', '3.3333333333'],
    'get': ['0.01', '0.000015', '0.0000000001', '0', '1.2345678901'],
}
FREE_VALUES = {
    'compute_shared': ['10', '2.5', '60', '0.001'],
    'compute_exclusive': ['0.5', '1', '0.25', '3'],
    'storage': ['100', '10', '0.5', '1000'],
    'egress': ['1', '0.25', '3'],
    'put': ['100', '5000', '1'],
    'get': ['100', '20000', '7'],
}
ITEMS = list(PRICE_VALUES)


class Gen(object):
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.files = {}     # name -> list of rows (each row: list of fields or raw bytes)
        self.fileopts = {}

    # ------------------------------------------------------------ helpers
    def ch(self, xs):
        return self.r.choice(xs)

    def p(self, x):
        return self.r.random() < x

    def ts(self, t):
        return fmt(t, self.ch(OFFSETS) if self.p(0.5) else 0)

    def rand_t(self, lo=U0, hi=U1):
        k = self.r.random()
        if k < 0.25:     # exactly on an hour
            return self.r.randrange(lo // H, hi // H) * H
        if k < 0.35:     # near the month edge
            return MONTH_EDGE + self.r.randrange(-3 * H, 3 * H)
        return self.r.randrange(lo, hi)

    # ------------------------------------------------------------ accounts
    def gen_accounts(self):
        n = self.r.randint(2, 4)
        self.accts = ['acc-%d' % i for i in range(1, n + 1)]
        if self.p(0.3):
            self.accts[-1] = 'B.x_' + str(n)
        self.unknown = 'acc-ghost'
        rows = []
        for a in self.accts:
            rows.append([a, self.ch(['Lanting Studio Co., Ltd.', 'Mingxuan "Pixel" Studio', 'Plain']),
                         self.ch(['88 Century Ave, Pudong', 'line1\nline2', 'x']),
                         '91310115MA1K4XXXXX', 'b@x.example'])
        if self.p(0.3):
            rows.insert(1, [('a' * 65), 'n', 'a', 't', 'e'])       # field_too_long
        if self.p(0.3):
            rows.insert(1, ['acc 9', 'n', 'a', 't', 'e'])            # bad_account_id
        if self.p(0.2):
            rows.insert(1, ['', 'n', 'a', 't', 'e'])                 # bad_account_id (empty)
        if self.p(0.2):
            rows.insert(1, ['acc-x', 'n', 'a', 't'])                 # bad_field_count
        self.files['accounts-1.csv'] = rows
        if self.p(0.3):
            self.files['accounts-2.csv'] = [[self.accts[0], 'Renamed', 'y', 'z', 'w']]

    # ------------------------------------------------------------ prices
    def window_sets(self):
        """A list of windows (tod_from, tod_to) or [None] for the whole day."""
        k = self.r.random()
        if k < 0.4:
            return [None]
        if k < 0.55:
            return [('00:00', '08:00'), ('08:00', '24:00')]
        if k < 0.7:
            return [('22:00', '06:00'), ('06:00', '22:00')]
        if k < 0.8:
            return [('22:00', '06:00'), ('06:00', '12:00'), ('12:00', '22:00')]
        if k < 0.9:
            return [('08:00', '24:00')]                       # gap -> no_price at night
        return [('20:00', '04:00'), ('04:00', '20:00')]

    def price_row(self, item, spec, efrom, eto, w, allow_free=True):
        free = ''
        if allow_free and self.p(0.5):
            free = self.ch(FREE_VALUES[item])
        return [item, spec, self.ch(PRICE_VALUES[item]), self.ts(efrom),
                self.ts(eto) if eto is not None else '',
                w[0] if w else '', w[1] if w else '', free]

    def gen_prices(self):
        rows = []
        later = []
        keys = []
        for item in ITEMS:
            if item == 'compute_shared':
                specs = ['*'] + self.r.sample(SHARED_SPECS, self.r.randint(0, 2))
            elif item == 'compute_exclusive':
                specs = self.r.sample(EXCL_SPECS[:2], self.r.randint(1, 2))
                if self.p(0.4):
                    specs.append('*')
            else:
                specs = ['*']
                if self.p(0.1):
                    specs.append('X1')     # never applies to OSS rows
            for spec in specs:
                keys.append((item, spec))
        for item, spec in keys:
            # open sets
            nsets = self.ch([1, 1, 2, 2, 3])
            first = self.ch([utc(2026, 1, 1) - 8 * H, utc(2026, 11, 1), utc(2026, 11, 27, 6)
                             if self.p(0.15) else utc(2026, 1, 1)])
            starts = [first]
            for _ in range(nsets - 1):
                starts.append(self.rand_t(U0, U1) if self.p(0.7) else
                              self.r.randrange(U0 // H, U1 // H) * H)
            starts = sorted(set(starts))
            for i, s in enumerate(starts):
                target = rows if (i == 0 or self.p(0.6)) else later
                for w in self.window_sets():
                    target.append(self.price_row(item, spec, s, None, w))
            # dated rows
            nd = self.ch([0, 0, 1, 1, 2])
            cur = U0 - DAY
            for _ in range(nd):
                a = cur + self.r.randrange(0, 3 * DAY)
                if self.p(0.3):
                    a = a // H * H
                b = a + self.r.randrange(H, 3 * DAY)
                cur = b
                if self.p(0.3):
                    # two dated rows with disjoint windows in the same dates
                    for w in [('00:00', '12:00'), ('12:00', '24:00')]:
                        rows.append(self.price_row(item, spec, a, b, w))
                else:
                    w = self.ch([None, None, ('22:00', '06:00'), ('09:00', '18:00')])
                    rows.append(self.price_row(item, spec, a, b, w))
        # malformed price rows (rejected, file still applies)
        bad = []
        if self.p(0.5):
            bad.append(['gpu_hours', '*', '1', '2026-01-01T00:00:00Z', '', '', '', ''])
        if self.p(0.3):
            bad.append(['put', '*', '0.00000000001', '2026-01-01T00:00:00Z', '', '', '', ''])
        if self.p(0.3):
            bad.append(['put', '*', '-0.01', '2026-01-01T00:00:00Z', '', '', '', ''])
        if self.p(0.3):
            bad.append(['get', '*', '1', '2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z', '', '', ''])
        if self.p(0.3):
            bad.append(['get', '*', '1', '2026-02-01T00:00:00Z', '', '08:00', '', ''])
        if self.p(0.3):
            bad.append(['get', '*', '1', '2026-02-01T00:00:00Z', '', '24:00', '08:00', ''])
        if self.p(0.2):
            bad.append(['get', '*', '1', '2026-02-01T00:00:00Z', '', '', '', '0.5'])  # fraction of a request
        if self.p(0.2):
            bad.append(['storage', '*', '1', '2026-02-01T00:00:00', '', '', '', ''])
        for b in bad:
            rows.insert(self.r.randrange(len(rows) + 1), b)
        self.r.shuffle(rows)
        self.files['prices-1.csv'] = rows
        if self.p(0.5):
            edge = []
            self.edge_specs = []
            base = ['compute_shared', None, '1', '2026-01-01T00:00:00Z', '', '', '', '']
            variants = [
                {2: '0.10000000000'}, {2: '1.0000000000'}, {2: '05'}, {2: '-0'}, {2: '.5'},
                {5: '8:00', 6: '09:00'}, {5: '08:00:00', 6: '09:00'}, {5: '24:00', 6: '24:00'},
                {5: '00:00', 6: '24:00'}, {5: '08:00', 6: '08:00'}, {5: '00:00', 6: '00:00'},
                {5: '23:59', 6: '00:00'}, {5: '12:60', 6: '13:00'},
                {7: '-0'}, {7: '0'}, {7: '0.0005'}, {7: '0.001'}, {7: '1.5'}, {7: '+1'},
                {4: '2026-01-01T00:00:00Z'}, {3: '2026-11-30T16:00:00-00:00'}, {3: self.ch(EDGE_TS)},
                {4: '2099-01-01T00:00:00Z'},
            ]
            if 'tod_eq' in AVOID:
                variants = [v for v in variants if not (5 in v and v[5] == v[6])]
            if 'neg0free' in AVOID:
                variants = [v for v in variants if v.get(7) != '-0']
            for i, v in enumerate(self.r.sample(variants, self.r.randint(1, 6))):
                row = list(base)
                row[1] = 'E%d' % i
                for k2, x in v.items():
                    row[k2] = x
                edge.append(row)
                self.edge_specs.append(row[1])
            self.files['prices-4-edge.csv'] = edge
        if later:
            self.files['prices-2.csv'] = later
        if self.p(0.12):
            # an overlapping file, refused whole
            item, spec = self.ch(keys)
            self.files['prices-3-bad.csv'] = [
                self.price_row(item, spec, utc(2026, 11, 28), utc(2026, 11, 30), None),
                self.price_row(item, spec, utc(2026, 11, 29), utc(2026, 12, 2), ('00:00', '24:00')),
                ['put', '*', '9', '2026-11-28T00:00:00Z', '', '', '', '']]
        elif self.p(0.1):
            # identical rows already loaded: ignored
            self.files['prices-3-dup.csv'] = [list(x) for x in self.r.sample(rows, min(3, len(rows)))
                                              if x[0] in ITEMS]
        self.price_keys = keys

    # ------------------------------------------------------------ orders
    UNIT_SCOPES = [
        (['compute_shared'], 'gpu_second', [5, 20, 60, 200, 0.5]),
        (['compute_exclusive'], 'hour', [0.5, 1, 3, 10]),
        (['egress'], 'GB', [0.5, 1, 4, 10]),
        (['put'], 'request', [100, 1000, 20000]),
        (['get'], 'request', [100, 1000, 50000]),
        (['put', 'get'], 'request', [500, 5000]),
        (['get', 'put'], 'request', [500, 5000]),
    ]

    def scope_list(self):
        k = self.r.random()
        if k < 0.3:
            return '*'
        n = self.r.randint(1, 3)
        return '|'.join(self.r.sample(ITEMS, n))

    def order_time(self):
        k = self.r.random()
        if k < 0.2:
            return self.r.randrange(utc(2026, 11, 1), U0)                   # before usage
        if k < 0.4 and self.hot:
            return self.ch(self.hot)                                         # same instant as a piece
        return self.rand_t(U0 - DAY, U1)

    def gen_orders(self):
        rows = []
        n = 0

        def oid():
            nonlocal n
            n += 1
            return self.ch(['o-%d' % n, 'O-%d' % n, 'o-%03d' % n, 'ord.%d' % n])

        for a in self.accts:
            storage_end = None
            for _ in range(self.r.randint(0, 9)):
                kind = self.ch(['plan', 'plan', 'plan', 'plan', 'coupon', 'coupon', 'topup', 'payment'])
                t = self.order_time()
                vd = self.ch(['', '1', '2', '3', '5', '30', '365'])
                bundle = self.ch(['', '', '', 'pkg-%d' % self.r.randint(1, 3)])
                if kind == 'plan':
                    pt = self.ch(['amount', 'pool', 'monthly', 'capacity'])
                    if pt == 'amount':
                        rows.append([oid(), a, self.ts(t), 'plan', self.scope_list(), 'amount',
                                     self.ch(['0.5', '1', '5', '20', '0.00000001', '3.33333333']), 'CNY',
                                     self.ch(['0', '1', '9.9']), vd, bundle])
                    elif pt in ('pool', 'monthly'):
                        sc, unit, qs = self.ch(self.UNIT_SCOPES)
                        rows.append([oid(), a, self.ts(t), 'plan', '|'.join(sc), pt, str(self.ch(qs)),
                                     unit, self.ch(['0', '3', '12.5']), vd, bundle])
                    else:
                        if storage_end is not None and self.p(0.5):
                            t = storage_end          # renewal exactly at the old valid_to
                        v = int(vd) if vd else 365
                        storage_end = t + v * DAY
                        rows.append([oid(), a, self.ts(t), 'plan', 'storage', 'capacity',
                                     self.ch(['0.5', '10', '50', '100', '300']), 'GB',
                                     self.ch(['0', '9.6']), vd, bundle])
                    if self.p(0.2):
                        # a tie partner: same valid_to, later valid_from (or same everything)
                        base = rows[-1]
                        if base[5] != 'capacity':
                            twin = list(base)
                            twin[0] = oid()
                            if self.p(0.5) and (base[9] or '365') not in ('1',):
                                d = int(base[9] or '365')
                                t2 = t + DAY
                                twin[2] = self.ts(t2)
                                twin[9] = str(d - 1)
                            rows.append(twin)
                elif kind == 'coupon':
                    rows.append([oid(), a, self.ts(t), 'coupon', self.scope_list(), '',
                                 self.ch(['0.5', '2', '10', '0.00000003']), 'CNY', '0',
                                 self.ch(['1', '2', '7', '30']), ''])
                elif kind == 'topup':
                    rows.append([oid(), a, self.ts(t), 'topup', '', '', '', '',
                                 self.ch(['1', '5', '50', '0.01']), '', ''])
                else:
                    rows.append([oid(), a, self.ts(t), 'payment', '', '', '', '',
                                 self.ch(['1', '120.5']), '', ''])
        for a, T in getattr(self, 'collide', []):
            rows.append([oid(), a, self.ts(T), 'plan', self.ch(['*', 'compute_shared|get|put|egress', 'storage']), 'amount',
                         self.ch(['0.01', '0.5', '2']), 'CNY', '1', self.ch(['1', '2']), ''])
            if self.p(0.5):
                rows.append([oid(), a, self.ts(T), 'coupon', '*', '', '0.3', 'CNY', '0', '1', ''])
            if self.p(0.5):
                rows.append([oid(), a, self.ts(T), 'topup', '', '', '', '', '0.2', '', ''])
        # storage plan_limit: an amount plan scoped to storage alone overlapping a capacity plan
        if self.p(0.3):
            a = self.ch(self.accts)
            t = self.order_time()
            rows.append([oid(), a, self.ts(t), 'plan', 'storage', self.ch(['capacity', 'amount']),
                         '5', self.ch(['GB', 'CNY']), '1', '10', ''])
            rows.append([oid(), a, self.ts(t + 2 * DAY), 'plan', 'storage', 'capacity',
                         '5', 'GB', '1', '10', ''])
        # malformed / special orders
        specials = []
        a = self.accts[0]
        t = self.order_time()
        cands = [
            [oid(), a, self.ts(t), 'refund', '', '', '', '', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', '*', 'pool', '10', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'capacity', '10', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'storage', 'pool', '10', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'put|egress', 'pool', '10', 'request', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'pool', '10', 'request', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'amount', '10', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'pool', '10', 'GB', '1', '0', ''],
            [oid(), a, self.ts(t), 'coupon', '*', '', '5', 'CNY', '0', '', ''],
            [oid(), a, self.ts(t), 'coupon', '*', '', '5', 'CNY', '0', '1.5', ''],
            [oid(), a, self.ts(t), 'coupon', '*', '', '5', 'CNY', '0', '-2', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'pool', '10', 'GB', '1', '30.0', ''],
            [oid(), a, '2026-13-01T00:00:00Z', 'topup', '', '', '', '', '1', '', ''],
            [oid(), a, self.ts(t), 'topup', '', '', '', '', 'abc', '', ''],
            [oid(), a, self.ts(t), 'topup', '', '', '', '', '99999999999', '', ''],
            [oid(), a, self.ts(t), 'topup', '', '', '', '', '-1', '', ''],
            [oid(), a, self.ts(t), 'topup', '', '', '', '', '0.000000001', '', ''],
            [oid(), self.unknown, self.ts(t), 'topup', '', '', '', '', '1', '', ''],
            [oid(), 'acc/1', self.ts(t), 'topup', '', '', '', '', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress|gpu', 'pool', '10', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'pool', '10', 'TB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'weekly', '10', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'pool', '', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'pool', '10', 'GB', '', '', ''],
            [oid(), a, self.ts(t), 'plan', '', 'pool', '10', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', '', '10', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'put', 'pool', '0.5', 'request', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'pool', '-1', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'pool', '1e3', 'GB', '1', '', ''],
            ['x' * 129, a, self.ts(t), 'topup', '', '', '', '', '1', '', ''],
        ]
        cands += [
            [oid(), a, self.ch(EDGE_TS), 'topup', '', '', '', '', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'pool', self.ch(EDGE_NUM + ['0.000000001', '0']), 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'egress', 'amount', self.ch(EDGE_NUM + ['0.000000001', '0']), 'CNY', '1', '', ''],
            [oid(), a, self.ts(t), 'topup', '', '', '', '', self.ch(EDGE_NUM), '', ''],
            [oid(), a, self.ts(t), 'coupon', 'put|put', '', '1', 'CNY', '0', self.ch(EDGE_NUM), ''],
            [oid(), a, self.ts(t), 'plan', 'put|get|put', 'pool', '10', 'request', '1', '007', ''],
            [oid(), a, self.ts(t), 'plan', 'egress|', 'pool', '10', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', '*', 'amount', '10', 'CNY', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'storage|egress', 'amount', '1', 'CNY', '1', '3', ''],
            [oid(), a, self.ts(t), 'coupon', 'egress', '', '1', 'CNY', '', '3', ''],
            [oid(), a, self.ts(t), 'coupon', 'egress', 'pool', '1', 'CNY', '0', '3', ''],
            [oid(), a, self.ts(t), 'topup', 'egress', 'pool', '1', 'GB', '2', '3', ''],
            [oid(), a, self.ts(t), 'plan', 'storage', 'capacity', '1', 'GB', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'compute_shared', 'monthly', '0.0005', 'gpu_second', '1', '', ''],
            [oid(), a, self.ts(t), 'plan', 'compute_exclusive', 'pool', '0.0001', 'hour', '1', '', ''],
        ]
        def extraneous(c):
            if c[3] == 'coupon':
                return c[5] != '' or c[8] not in ('0', '')
            if c[3] in ('topup', 'payment'):
                return any(c[i] != '' for i in (4, 5, 6, 7, 9))
            return False
        if 'extrafields' in AVOID:
            cands = [c for c in cands if not extraneous(c)]
        if 'zeroface' in AVOID:
            cands = [c for c in cands if not (c[3] in ('plan', 'coupon') and c[6] in ('0', '00', '-0', '-0.0'))]
        for c in cands:
            if self.p(0.08):
                specials.append(c)
        for s in specials:
            rows.insert(self.r.randrange(len(rows) + 1), s)
        # repeated identical and conflicting orders
        good = [r for r in rows if r[3] in ('plan', 'coupon', 'topup') and r[1] in self.accts]
        rows2 = []
        for r in self.r.sample(good, min(len(good), self.r.randint(0, 3))):
            k = self.r.random()
            if k < 0.5:
                rows2.append(list(r))                        # identical re-send
            elif k < 0.8:
                c = list(r)
                if r[3] == 'coupon' and 'couponpaid' in AVOID:
                    c[6] = str(self.r.randint(100, 200))
                else:
                    c[8] = str(self.r.randint(100, 200))     # conflicting
                rows2.append(c)
            elif 'offsetdup' not in AVOID:
                c = list(r)                                  # same instant written differently
                c[2] = fmt(parse_back(r[2]), 8 * H)
                rows2.append(c)
        if rows2 and self.p(0.5):
            self.files['orders-2.csv'] = rows2
        else:
            rows.extend(rows2)
        self.files['orders-1.csv'] = rows

    # ------------------------------------------------------------ usage
    def acct(self):
        k = self.r.random()
        if k < 0.05:
            return self.unknown
        return self.ch(self.accts)

    def gen_usage(self):
        eas, oss = [], []
        n = 0
        ids = []

        def rid(prefix):
            nonlocal n
            n += 1
            k = self.r.random()
            if k < 0.05 and ids:
                return self.ch(ids)                 # duplicate
            x = self.ch(['%s-%d' % (prefix, n), '%s-%04d' % (prefix, n), 'R%d' % n, 'r%d' % n])
            ids.append(x)
            return x

        neas = self.r.randint(5, 80)
        for _ in range(neas):
            a = self.acct()
            tool = self.ch(['stable_diffusion', 'comfyui'])
            if self.p(0.5):
                t = self.rand_t()
                if self.p(0.1):
                    t = self.r.randrange(utc(2026, 10, 1), utc(2026, 11, 1))   # maybe before any price
                g = self.ch([0, 1, 7420, 999, 60000, self.r.randint(0, 200000), 3600000])
                st = self.ts(t)
                et = self.ts(t + self.r.randint(0, 30))
                specs = SHARED_SPECS + ['B9'] + getattr(self, 'edge_specs', [])
                eas.append([rid('e'), a, 'svc-1', tool, 'shared',
                            self.ch(specs), st, et, str(g)])
            else:
                t = self.rand_t()
                ln = self.ch([0, 0, 59, 600, 3599, 3600, 7200 + 17, self.r.randint(1, 12 * H),
                              self.r.randint(H, 30 * H)])
                if self.p(0.2):
                    t = MONTH_EDGE - self.r.randint(1, 3 * H)
                    ln = self.r.randint(MONTH_EDGE - t, MONTH_EDGE - t + 4 * H)
                spec = self.ch(EXCL_SPECS)
                eas.append([rid('e'), a, 'svc-2', tool, 'exclusive', spec,
                            self.ts(t), self.ts(t + ln), ''])
        noss = self.r.randint(5, 120)
        for _ in range(noss):
            a = self.acct()
            t = self.rand_t() // H * H
            metric = self.ch(['storage_bytes', 'storage_bytes', 'egress_bytes', 'put_requests', 'get_requests'])
            if metric == 'storage_bytes':
                v = self.ch([0, 1, 50 * GB, 5 * GB + 12345, 300 * GB, self.r.randint(0, 200 * GB)])
            elif metric == 'egress_bytes':
                v = self.ch([0, 1, GB, GB // 2 + 7, self.r.randint(0, 6 * GB)])
            else:
                v = self.ch([0, 1, 99, 10000, self.r.randint(0, 30000)])
            oss.append([rid('s'), a, 'bkt', 'cn-shanghai', self.ts(t), metric, str(v)])
            if metric == 'storage_bytes' and self.p(0.4):
                # several storage rows in the same hour
                for _ in range(self.r.randint(1, 3)):
                    oss.append([rid('s'), a, 'bkt2', 'cn-beijing', self.ts(t), metric,
                                str(self.r.randint(0, 120 * GB))])
        # collisions: pieces of one account at one instant, ids equal across sources / differing in case
        self.collide = []
        for _ in range(self.r.randint(0, 3)):
            a = self.ch(self.accts)
            T = self.r.randrange(U0 // H, U1 // H) * H
            x = 'c%d' % self.r.randint(1, 99)
            eas.append([x, a, 'svc-c', 'comfyui', 'shared', self.ch(SHARED_SPECS), self.ts(T), self.ts(T), str(self.r.randint(1, 90000))])
            oss.append([x, a, 'bkt', 'r', self.ts(T), self.ch(['get_requests', 'put_requests', 'egress_bytes', 'storage_bytes']),
                        str(self.r.randint(1, 10 ** 10))])
            eas.append([x.upper(), a, 'svc-c', 'comfyui', 'shared', self.ch(SHARED_SPECS), self.ts(T), self.ts(T), str(self.r.randint(1, 90000))])
            eas.append([x + 'x', a, 'svc-c', 'comfyui', 'exclusive', self.ch(EXCL_SPECS[:2]), self.ts(T - self.r.randint(1, 7200)),
                        self.ts(T + self.r.randint(0, 7200)), ''])
            self.collide.append((a, T))
        # the same record id in EAS and OSS
        if eas and oss and self.p(0.5):
            oss[self.r.randrange(len(oss))][0] = eas[self.r.randrange(len(eas))][0]
        self.hot = []
        for r in eas + oss:
            try:
                self.hot.append(parse_back(r[6] if len(r) == 9 else r[4]))
            except Exception:
                pass
        self.eas_rows, self.oss_rows = eas, oss

    def malform_usage(self):
        def bad_eas(r):
            r = list(r)
            k = self.ch(['utf8', 'fc+', 'fc-', 'quote', 'long_svc', 'long_acc', 'long_rid', 'ts', 'ts2',
                         'ts3', 'num', 'num2', 'neg', 'ebs', 'itl', 'itl_ok', 'enum', 'enum2', 'acct',
                         'acct2', 'gpu_excl', 'gpu_missing', 'nl', 'edge_num', 'edge_ts', 'edge_ts2',
                         'csv_q', 'csv_cr'])
            if k == 'edge_num':
                r[4] = 'shared'
                r[8] = self.ch(EDGE_NUM)
            elif k == 'edge_ts':
                r[6] = self.ch(EDGE_TS)
                r[7] = fmt(utc(2026, 11, 30, 16) + 3600)
            elif k == 'edge_ts2':
                r[7] = self.ch(EDGE_TS)
                r[6] = fmt(utc(2026, 11, 30, 15))
            elif k == 'csv_q':
                r[2] = 'sv"c'
            elif k == 'csv_cr':
                r[2] = b'sv\rc'
            if k == 'utf8':
                r[2] = b'svc-\xff'
            elif k == 'fc+':
                r.append('x')
            elif k == 'fc-':
                r.pop()
            elif k == 'quote':
                if 'badquote' in AVOID:
                    return r
                return ('raw', ','.join(r[:2]) + ',"svc"x,' + ','.join(r[3:]))
            elif k == 'long_svc':
                r[2] = 's' * 1025
            elif k == 'long_acc':
                r[1] = 'a' * 65
            elif k == 'long_rid':
                r[0] = 'r' * 129
            elif k == 'ts':
                r[6] = r[6].replace('T', ' ')
            elif k == 'ts2':
                r[6] = '2026-02-30T00:00:00Z'
            elif k == 'ts3':
                r[7] = r[7][:19]
            elif k == 'num':
                r[4] = 'shared'
                r[8] = self.ch(['12a', '1e3', '12.0', ' 5', '9223372036854775808'])
            elif k == 'num2':
                r[4] = 'shared'
                r[8] = ''
            elif k == 'neg':
                r[4] = 'shared'
                r[8] = '-5'
            elif k == 'ebs':
                t = parse_back(r[6])
                r[7] = fmt(t - 1)
            elif k == 'itl':
                r[4] = 'exclusive'
                r[8] = ''
                r[7] = fmt(parse_back(r[6]) + 31 * DAY + 1)
            elif k == 'itl_ok':
                r[4] = 'exclusive'
                r[8] = ''
                r[5] = 'm.small'
                r[7] = fmt(parse_back(r[6]) + 31 * DAY)
            elif k == 'enum':
                r[3] = 'midjourney'
            elif k == 'enum2':
                r[4] = 'dedicated'
            elif k == 'acct':
                r[1] = 'acc 1'
            elif k == 'acct2':
                r[1] = ''
            elif k == 'gpu_excl':
                r[4] = 'exclusive'
                r[8] = '5'
            elif k == 'gpu_missing':
                r[4] = 'shared'
                r[8] = ''
            elif k == 'nl':
                r[2] = 'svc\nmulti,line "q"'
            return r

        def bad_oss(r):
            r = list(r)
            k = self.ch(['utf8', 'fc+', 'fc-', 'long_b', 'ts', 'nha', 'nha2', 'enum', 'num', 'num2',
                         'neg', 'acct', 'nl', 'edge_num', 'edge_ts', 'csv_q', 'ws'])
            if k == 'edge_num':
                r[6] = self.ch(EDGE_NUM)
            elif k == 'edge_ts':
                r[4] = self.ch(EDGE_TS)
            elif k == 'csv_q':
                r[3] = 'cn"x"'
            elif k == 'ws':
                return ('raw', '   ')
            if k == 'utf8':
                r[2] = b'b\xc3'
            elif k == 'fc+':
                r.append('')
            elif k == 'fc-':
                r.pop()
            elif k == 'long_b':
                r[2] = 'b' * 1025
            elif k == 'ts':
                r[4] = r[4].replace('Z', 'z') if (r[4].endswith('Z') and 'lowerz' not in AVOID) else r[4][:19] + '.0Z'
            elif k == 'nha':
                r[4] = fmt(parse_back(r[4]) + 1800)
            elif k == 'nha2':
                r[4] = fmt(parse_back(r[4]), 5 * H + 1800)   # aligned in UTC: accepted
            elif k == 'enum':
                r[5] = 'delete_requests'
            elif k == 'num':
                r[6] = self.ch(['1.0', 'abc', '1,000', '+5', '9223372036854775808'])
            elif k == 'num2':
                if 'bigsum' not in AVOID:
                    r[6] = '9223372036854775807'
            elif k == 'neg':
                r[6] = '-1'
            elif k == 'acct':
                r[1] = 'a\u00e9'
            elif k == 'nl':
                r[2] = 'b\r\nx'
            return r

        for rows, f in ((self.eas_rows, bad_eas), (self.oss_rows, bad_oss)):
            for i in range(len(rows)):
                if self.p(0.06):
                    try:
                        rows[i] = f(rows[i])
                    except Exception:
                        pass

    def split_usage(self):
        for kind, rows in (('eas', self.eas_rows), ('oss', self.oss_rows)):
            nf = self.r.randint(1, 3)
            parts = [[] for _ in range(nf)]
            for r in rows:
                parts[self.r.randrange(nf)].append(r)
            for i, p in enumerate(parts):
                self.files['%s-%d.csv' % (kind, i + 1)] = p

    # ------------------------------------------------------------ writing
    def enc_field(self, f):
        if isinstance(f, bytes):
            return f
        b = f.encode('utf-8')
        if any(c in f for c in ',"\n\r') or (self.p(0.05) and f):
            return b'"' + b.replace(b'"', b'""') + b'"'
        return b

    def write(self, outdir):
        os.makedirs(outdir, exist_ok=True)
        for name, rows in self.files.items():
            kind = name.split('-')[0]
            eol = b'\r\n' if self.p(0.2) else b'\n'
            out = bytearray()
            if self.p(0.1):
                out += b'\xef\xbb\xbf'
            hdr = HEADERS[kind]
            if self.p(0.08):
                hdr = ','.join('"%s"' % x for x in hdr.split(','))
            out += hdr.encode() + eol
            for r in rows:
                if self.p(0.01):
                    out += eol                    # an empty line between records
                if isinstance(r, tuple) and r[0] == 'raw':
                    out += r[1].encode('utf-8') + eol
                    continue
                out += b','.join(self.enc_field(f) for f in r) + eol
            if self.p(0.1):
                out += eol + eol
            if self.p(0.1) and out.endswith(eol):
                out = out[:-len(eol)]             # no final line end
            with open(os.path.join(outdir, name), 'wb') as fh:
                fh.write(bytes(out))
        # noise
        if self.p(0.2):
            with open(os.path.join(outdir, 'README.txt'), 'w') as fh:
                fh.write('not an input\n')
        if self.p(0.1):
            with open(os.path.join(outdir, 'eas-0-bad.csv'), 'w') as fh:
                fh.write('record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_milliseconds\n')
        if self.p(0.1):
            with open(os.path.join(outdir, 'oss-0-empty.csv'), 'wb') as fh:
                fh.write(self.ch([b'', b'\xef\xbb\xbf', b'\n\n']))

    def run(self, outdir):
        self.gen_accounts()
        self.gen_prices()
        self.gen_usage()
        self.gen_orders()
        self.malform_usage()
        self.split_usage()
        self.write(outdir)


def parse_back(s):
    """Parse a timestamp this module wrote -> epoch seconds."""
    y, mo, d = int(s[0:4]), int(s[5:7]), int(s[8:10])
    hh, mi, ss = int(s[11:13]), int(s[14:16]), int(s[17:19])
    t = utc(y, mo, d, hh, mi, ss)
    z = s[19:]
    if z in ('Z', ''):
        return t
    sg = -1 if z[0] == '-' else 1
    return t - sg * (int(z[1:3]) * H + int(z[4:6]) * 60)


# ======================================================================
# corrections.md scenarios (multi-night)
# ======================================================================
#
# Cases deliberately NOT generated, because corrections.md is silent or
# ambiguous on them (tests/oracle/README.md, "Readings of corrections.md"):
#   an empty adjustment_id; an amount of -0 (a minus sign, and not > 0);
#   an amount with zeros past the 8th fractional digit (1.000000000); an
#   adjustment id first sent in a REJECTED row and sent again corrected
#   ("seen before"); re-sent usage whose earlier row is dated after the
#   run's as-of (an upper end of the window); orders compared as values
#   where a field's value is not obvious (scope order, empty valid_days).
# FUZZ_AVOID tokens that switch off generated corrections cases:
#   forgotten   a re-sent id whose earlier row has left the window, moved
#               into it (billed a second time, as section 2 says)
#   backwards   the run with an as-of earlier than the last one (exit 2)
#   adjfiles    refused adjustments files (bad header, empty, changed content)

def e8_text(v, pad=False):
    """e8 integer -> CNY decimal text ('12.5', or with pad '12.50000000')"""
    s = '%d.%08d' % (v // 10 ** 8, v % 10 ** 8)
    return s if pad else s.rstrip('0').rstrip('.')


class Corrections(object):
    """Builds a scenario: nights 0-6 (one UTC day each, as-of the next midnight plus a few seconds),
    night 7 (late November usage) and night 8 (late December usage); November closed after night
    3, 4 or 5, December sometimes (early, even before November)."""

    def __init__(self, seed, root):
        self.seed = seed
        self.root = root
        self.g = Gen(seed)
        self.r = self.g.r
        self.aid_n = 0
        self.accepted_adj = []      # rows that are certainly accepted (for resends / conflicts)

    # ------------------------------------------------------------ helpers
    def ch(self, xs):
        return self.r.choice(xs)

    def p(self, x):
        return self.r.random() < x

    def aid(self):
        self.aid_n += 1
        return self.ch(['adj-%04d' % self.aid_n, 'ADJ-%d' % self.aid_n, 'a.%d' % self.aid_n,
                        'adj-2026-%04d' % self.aid_n])

    def amount(self):
        return self.ch(['12.5', '0.00000001', '3.33333333', '100', '0.5', '7', '05', '1.10',
                        e8_text(self.r.randint(1, 5000 * 10 ** 6))])

    def reason(self):
        if self.p(0.03):
            return 'x' * 1024                       # the longest a field may be
        return self.ch(['GPU jobs failed on 2026-11-28 (ticket 4411)', 'Traffic missing from the export',
                        'goodwill', 'line1\nline2', 'says "sorry", twice', ' ', '\u9000\u6b3e'])

    def adj(self, t=None, acct=None, kind=None, inv='', amount=None, item=None):
        g = self.g
        if t is None:
            k = self.r.random()
            if k < 0.25 and g.hot:
                t = self.ch(g.hot)                      # the instant of a piece (or an order)
            else:
                t = g.rand_t(U0 - 2 * DAY, U1)
        return [self.aid(), acct or self.ch(self.accts), g.ts(t), kind or self.ch(['credit', 'credit', 'debit']),
                item or self.ch(ITEMS), amount or self.amount(), inv, self.reason()]

    def value_twin(self, row):
        """the same adjustment written differently (12.5 / 12.50, another offset)"""
        c = list(row)
        if '.' not in c[5]:
            c[5] = c[5] + '.0'
        elif len(c[5].split('.')[1]) < 8:
            c[5] = c[5] + '0'          # never past 8 fractional digits (reading A2 is kept out)
        c[2] = fmt(parse_back(c[2]), self.ch([8 * H, -5 * H, 0]))
        return c

    def bad_adj(self, t_inv_before_close=True):
        """an invalid row: (row, what it tests)"""
        row = self.adj(acct=self.ch(self.g.accts))
        k = self.ch(['utf8', 'fc+', 'fc-', 'long_id', 'long_acc', 'long_reason', 'acct', 'acct2', 'ts', 'ts2',
                     'ts3', 'kind', 'kind2', 'item', 'num', 'neg', 'reason', 'unknown', 'inv', 'combo1', 'combo2',
                     'combo3', 'combo4', 'combo5', 'quote'])
        if k == 'utf8':
            row[7] = b'bad \xff byte'
        elif k == 'fc+':
            row.append('')
        elif k == 'fc-':
            row.pop()
        elif k == 'long_id':
            row[0] = 'a' * 129
        elif k == 'long_acc':
            row[1] = 'a' * 65
        elif k == 'long_reason':
            row[7] = 'r' * 1025
        elif k == 'acct':
            row[1] = 'acc 1'
        elif k == 'acct2':
            row[1] = ''
        elif k == 'ts':
            row[2] = '2026-11-31T00:00:00Z'
        elif k == 'ts2':
            row[2] = '2026-12-01 00:00:00Z'
        elif k == 'ts3':
            row[2] = self.ch(EDGE_TS)
        elif k == 'kind':
            row[3] = self.ch(['refund', 'Credit', ''])
        elif k == 'kind2':
            row[3] = 'credit '
        elif k == 'item':
            row[4] = self.ch(['gpu', '', 'storage_bytes', 'Egress'])
        elif k == 'num':
            row[5] = self.ch(['0', '0.00', '0.000000001', '1.123456789', 'abc', '1e3', '', ' 5', '+5', '.5', '5.',
                              '92233720368.54775808', '99999999999', '1,5'])
        elif k == 'neg':
            row[5] = self.ch(['-5', '-0.5', '-0.00000001'])
        elif k == 'reason':
            row[7] = ''
        elif k == 'unknown':
            row[1] = self.ch([self.g.unknown, 'nobody'])
        elif k == 'inv':
            row[6] = self.ch(['INV-202611-000001', 'garbage', 'INV-202612-000001'])
        elif k == 'combo1':       # bad_account_id before missing_reason
            row[1], row[7] = 'acc 1', ''
        elif k == 'combo2':       # missing_reason (a single field) before unknown_account
            row[1], row[7] = self.g.unknown, ''
        elif k == 'combo3':       # kind (column 4) before amount (column 6)
            row[3], row[5] = 'x', '-1'
        elif k == 'combo4':       # field_too_long first
            row[0], row[2] = 'a' * 129, 'yesterday'
        elif k == 'combo5':       # unknown_account before unknown_invoice
            row[1], row[6] = self.g.unknown, 'INV-202611-000001'
        elif k == 'quote':
            return ('raw', ','.join(row[:7]) + ',"reason"x'), k
        return row, k

    # ------------------------------------------------------------ usage
    def edge_rows(self, i, A):
        """rows one second inside and outside night i's window"""
        W = A - self.N * DAY
        a = self.ch(self.g.accts)
        eas = [['edge%d-in' % i, a, 'svc-e', 'comfyui', 'shared', 'LW', fmt(W), fmt(W + 3), '1500'],
               ['edge%d-out' % i, a, 'svc-e', 'comfyui', 'shared', 'LW', fmt(W - 1), fmt(W + 3), '1500'],
               ['edge%d-xin' % i, a, 'svc-e', 'comfyui', 'exclusive', 'm.lw', self.g.ts(W), fmt(W + 5400), ''],
               ['edge%d-xout' % i, a, 'svc-e', 'comfyui', 'exclusive', 'm.lw', self.g.ts(W - 1), fmt(W + 5400), '']]
        if W % H == 1:       # as-of one second past an hour: hour_start W - 1 is one second outside
            o_out, o_in = W - 1, W - 1 + H
        else:
            o_in = -(-W // H) * H
            o_out = o_in - H
        metric = self.ch(['put_requests', 'get_requests', 'egress_bytes', 'storage_bytes'])
        oss = [['oedge%d-in' % i, a, 'bkt', 'cn', fmt(o_in), metric, '4000'],
               ['oedge%d-out' % i, a, 'bkt', 'cn', fmt(o_out), metric, '4000']]
        return eas, oss

    def changed(self, kind, row):
        c = list(row)
        if len(c) != (9 if kind == 'eas' else 7):
            return c + ['']                         # a malformed row sent again, malformed otherwise
        if kind == 'eas':
            k = self.ch(['gpu', 'acct', 'time', 'end'])
            if k == 'gpu' and c[4] == 'shared' and c[8].isdigit():
                c[8] = str(int(c[8]) + self.r.randint(1, 5000))
            elif k == 'acct':
                c[1] = self.ch(self.g.accts)
            elif k == 'time':
                try:
                    d = self.r.randint(1, 600)
                    c[6] = fmt(parse_back(c[6]) + d)
                    c[7] = fmt(parse_back(c[7]) + d)
                except Exception:
                    c[2] = 'svc-changed'
            else:
                try:
                    c[7] = fmt(parse_back(c[7]) + 60)
                except Exception:
                    c[2] = 'svc-changed'
        else:
            k = self.ch(['value', 'acct', 'time'])
            if k == 'value' and c[6].isdigit():
                c[6] = str(int(c[6]) + self.r.randint(1, 10 ** 6))
            elif k == 'acct':
                c[1] = self.ch(self.g.accts)
            else:
                try:
                    c[4] = fmt(parse_back(c[4]) + H * self.ch([-1, 1]))
                except Exception:
                    c[3] = 'cn-changed'
        return c

    # ------------------------------------------------------------ layout
    def build(self):
        g, r = self.g, self.r
        g.gen_accounts()
        g.gen_prices()
        g.gen_usage()
        g.gen_orders()
        g.malform_usage()
        self.accts = g.accts + ['acc-adj']
        self.N = self.ch([62, 62, 30, 7, 3, 1, 366])
        v = self.v = {'late_days': self.N, 'orders_split': self.p(0.35), 'cumulative': self.p(0.4),
                      'close_after': self.ch([3, 4, 5]), 'close_dec': self.p(0.5), 'out_of_order': False,
                      'ghost': self.p(0.7), 'mlate': ('compute_exclusive', '*') not in g.price_keys and self.p(0.8),
                      'backwards': 'backwards' not in AVOID and self.p(0.8), 'same_asof': self.p(0.4)}
        if v['close_dec'] and self.p(0.35):
            v['out_of_order'] = True
        # as-of of each night: the next UTC midnight plus 0, 1 or 59 s, or 1 h - 1 s
        self.A = [U0 + (i + 1) * DAY + self.ch([0, 0, 1, 1, 59, 3599]) for i in range(7)] + [U1 + 6 * H, U1 + 12 * H]
        nights = self.nights = [dict() for _ in range(9)]
        nights[0].update({k: rows for k, rows in g.files.items() if not k.startswith('orders')})
        nights[0]['accounts-3-corr.csv'] = [['acc-adj', 'Adjusted Only Ltd', 'x', 't', 'e']]
        nights[0]['prices-9-corr.csv'] = [['compute_shared', 'LW', '0.01', '2025-01-01T00:00:00Z', '', '', '', ''],
                                          ['compute_exclusive', 'm.lw', '3', '2025-01-01T00:00:00Z', '', '', '', '']]
        # orders: all on night 0 or each on the night of its day
        for name in ('orders-1.csv', 'orders-2.csv'):
            for row in g.files.get(name, []):
                k = 0
                if v['orders_split'] and isinstance(row, list):
                    try:
                        k = max(0, min(6, (parse_back(row[2]) - U0) // DAY))
                    except Exception:
                        k = r.randrange(7)
                nights[k].setdefault('orders-%d-%s' % (k, name[7:]), []).append(row)
        # usage by day; a re-used id stays in the night of its first use (same-run duplicates)
        first = {}
        self.sent = []     # (night, kind, row) for re-sends
        for kind, rows in (('eas', g.eas_rows), ('oss', g.oss_rows)):
            for row in rows:
                try:
                    t = parse_back(row[6] if kind == 'eas' else row[4])
                    k = max(0, min(6, (t - U0) // DAY))
                except Exception:
                    k = r.randrange(7)
                if isinstance(row, list) and isinstance(row[0], str):
                    k = first.setdefault((kind, row[0]), k)
                nights[k].setdefault('%s-n%d-%d.csv' % (kind, k, r.randint(1, 2)), []).append(row)
                if isinstance(row, list) and all(isinstance(f, str) for f in row):
                    self.sent.append((k, kind, row))
        # acc-ghost: unknown at first, its account arrives on a later night, its rows are re-sent
        if v['ghost']:
            gh = r.randint(2, 6)
            v['ghost_night'] = gh
            rows = []
            for j in range(r.randint(1, 3)):
                t = U0 + r.randrange(0, DAY)
                rows.append(['ghost-%d' % j, g.unknown, 'svc-g', 'comfyui', 'shared', 'LW', fmt(t), fmt(t + 9), '2500'])
            nights[0]['eas-ghost.csv'] = rows
            nights[gh]['accounts-9-ghost.csv'] = [[g.unknown, 'Ghost Ltd', 'x', 't', 'e']]
            ghost_rows = [row for (k, kind, row) in self.sent if kind == 'eas' and row[1] == g.unknown and k < gh]
            nights[gh]['eas-resend-ghost.csv'] = [list(x) for x in rows + ghost_rows[:3]]
            if gh < 6:
                nights[r.randint(gh + 1, 6)]['eas-resend-ghost2.csv'] = [list(x) for x in rows]
        # m.late: no price at first (no_price), a price file later, then the rows re-sent
        if v['mlate']:
            a_n = r.randint(0, 3)
            b_n = r.randint(a_n + 1, 6)
            v['mlate_nights'] = [a_n, b_n]
            rows = []
            for j in range(r.randint(1, 3)):
                t = U0 + a_n * DAY + r.randrange(0, DAY - 2 * H)
                rows.append(['ml-%d' % j, self.ch(g.accts), 'svc-m', 'stable_diffusion', 'exclusive', 'm.late',
                             fmt(t), fmt(t + r.randint(60, 3 * H)), ''])
            nights[a_n]['eas-mlate.csv'] = rows
            nights[b_n]['prices-9-late.csv'] = [['compute_exclusive', 'm.late', '4.5', '2026-01-01T00:00:00Z',
                                                 '', '', '', '']]
            nights[b_n]['eas-resend-mlate.csv'] = [list(x) for x in rows]
            if b_n < 6:
                nights[6]['eas-resend-mlate2.csv'] = [list(x) for x in rows]
        # rows one second inside and outside the window
        edge_nights = sorted(set(r.sample(range(9), r.randint(2, 5))))
        v['edge_nights'] = edge_nights
        self.edge_sent = []
        for i in edge_nights:
            e, o = self.edge_rows(i, self.A[i])
            nights[i]['eas-edge-%d.csv' % i] = e
            nights[i]['oss-edge-%d.csv' % i] = o
            self.edge_sent.append((i, e, o))
        # re-sent usage under new names: identical rows and rows with changed values
        for i in range(1, 9):
            if not self.p(0.6):
                continue
            pool = [(k, kind, row) for (k, kind, row) in self.sent if k < i]
            if not pool:
                continue
            out = {'eas': [], 'oss': []}
            for k, kind, row in r.sample(pool, min(len(pool), r.randint(1, 10))):
                out[kind].append(list(row) if self.p(0.55) else self.changed(kind, row))
            for kind in out:
                if out[kind]:
                    nights[i]['%s-resend-%d.csv' % (kind, i)] = out[kind]
        # earlier edge rows re-sent: identical (now too_late: their time left the window) and, moved
        # into the window, billed again (the id left the memory with its row's charge time)
        for i in range(1, 9):
            old = [(j, e) for (j, e, o) in self.edge_sent if j < i]
            if not old or not self.p(0.6):
                continue
            j, e = self.ch(old)
            Wi = self.A[i] - self.N * DAY
            rows = [list(e[0])]
            if 'forgotten' not in AVOID:
                c = list(e[0])
                c[6], c[7] = fmt(Wi + 10), fmt(Wi + 13)
                rows.append(c)
            c = list(e[2])
            rows.append(c)
            nights[i]['eas-resend-edge-%d.csv' % i] = rows
        # late usage (nights 7 and 8)
        for i, until, tag in ((7, MONTH_EDGE, 'L'), (8, U1, 'M')):
            eas, oss = self.late_rows(until, tag)
            nights[i]['eas-late%d.csv' % i] = eas
            nights[i]['oss-late%d.csv' % i] = oss
        # adjustments before any close
        self.adj_before_close()
        self.write_all()
        # adjustments after each close, naming the invoices it made final
        closes = [k for k, s in enumerate(self.steps) if 'close' in s]
        for ph, ci in enumerate(closes):
            later = sorted(set(s['night'] for s in self.steps[ci + 1:] if 'run' in s))
            if not later:
                continue
            import multirun_oracle as MO
            M, _ = MO.model([dict((k, x) for k, x in s.items() if k in ('init', 'run', 'as_of', 'close'))
                             for s in self.steps[:ci + 1]])
            self.adj_after_close(ph, later, dict(M.final_invoices), set(M.closed))
            self.write_all()
        with open(os.path.join(self.root, 'steps.json'), 'w') as f:
            import json
            json.dump({'variant': v, 'steps': self.steps}, f, indent=1)
        return self.steps, v

    def late_rows(self, until, tag):
        g, r = self.g, self.r
        eas, oss = [], []
        for i in range(r.randint(3, 10)):
            a = self.ch(g.accts)
            t = r.randrange(utc(2026, 11, 20), until) if self.p(0.7) else until - r.randint(1, 6 * H)
            if self.p(0.6):
                eas.append(['%s-e%d' % (tag, i), a, 'svc-9', 'comfyui', 'shared', self.ch(SHARED_SPECS + ['LW']),
                            g.ts(t), g.ts(t + 5), str(self.ch([1, 999, 60000, r.randint(0, 200000)]))])
            else:
                eas.append(['%s-x%d' % (tag, i), a, 'svc-9', 'comfyui', 'exclusive', self.ch(EXCL_SPECS[:2] + ['m.lw']),
                            g.ts(t), g.ts(t + self.ch([600, 3600, 7217])), ''])
        for i in range(r.randint(3, 10)):
            a = self.ch(g.accts)
            t = (r.randrange(utc(2026, 11, 20), until) if self.p(0.7) else until - r.randint(1, 6 * H)) // H * H
            metric = self.ch(['storage_bytes', 'egress_bytes', 'put_requests', 'get_requests'])
            oss.append(['%s-s%d' % (tag, i), a, 'bkt', 'cn', g.ts(t), metric, str(r.randint(0, 3 * GB))])
        return eas, oss

    # ------------------------------------------------------------ adjustments
    def put_adj(self, i, rows, tag='a'):
        if rows:
            self.nights[i].setdefault('adjustments-%d-%s.csv' % (i, tag), []).extend(rows)

    def adj_before_close(self):
        r, v = self.r, self.v
        last = v['close_after']
        for i in range(0, last + 1):
            if not self.p(0.7):
                continue
            rows = []
            for _ in range(r.randint(1, 5)):
                row = self.adj(acct=self.ch(self.accts))
                rows.append(row)
                self.accepted_adj.append((i, row))
            # two adjustments of one account at one instant (note numbers by adjustment_id)
            if self.p(0.3):
                t = parse_back(rows[0][2])
                rows.append(self.adj(t=t, acct=rows[0][1], kind=rows[0][3]))
            # a credit at the instant of a piece pays it (adjustments before pieces at one instant)
            if self.p(0.5) and self.g.hot:
                rows.append(self.adj(t=self.ch(self.g.hot), kind='credit', amount=self.ch(['0.5', '50'])))
            for _ in range(r.randint(1, 6)):
                row, _k = self.bad_adj()
                rows.insert(r.randrange(len(rows) + 1), row)
            # the same id again: written differently (ignored) or with other values (conflicting)
            prev = [x for x in self.accepted_adj if x[0] <= i]
            for _ in range(r.randint(0, 3)):
                j, row = self.ch(prev)
                if self.p(0.5):
                    rows.append(self.value_twin(row))
                else:
                    c = list(row)
                    k = r.randrange(4)
                    if k == 0:
                        c[5] = e8_text(int(Decimal(c[5]) * 10 ** 8) + 1)
                    elif k == 1:
                        c[7] = c[7] + ' (corrected)'
                    elif k == 2:
                        c[3] = 'debit' if c[3] == 'credit' else 'credit'
                    else:
                        c[2] = fmt(parse_back(c[2]) + 1)
                    rows.append(c)
            r.shuffle(rows)
            self.put_adj(i, rows)
        if 'adjfiles' not in AVOID and self.p(0.5):
            k = self.ch(['hdr', 'empty', 'changed'])
            i = r.randint(0, last)
            if k == 'hdr':
                self.nights[i]['adjustments-%d-hdr.csv' % i] = ('header', 'adjustment_id,account_id,time,kind,item,amount,invoice_no,reason')
            elif k == 'empty':
                self.nights[i]['adjustments-%d-empty.csv' % i] = ('bytes', b'')
            else:
                row = self.adj(acct=self.ch(self.g.accts))
                nm = 'adjustments-%d-again.csv' % i
                self.nights[i][nm] = [row]
                self.accepted_adj.append((i, row))
                c = list(row)
                c[7] = 'changed file content'
                self.nights[min(8, i + 1)][nm] = [c]     # same name, other content: changed_content

    def adj_after_close(self, ph, later, finals, closed):
        """ph: 0 after the first close, 1 after the second; later: the nights that run after it"""
        r = self.r
        tag = 'p%d' % (ph + 2)
        invs = sorted(finals)
        pos = [n for n in invs if finals[n]['limit'] > 0]
        n1 = later[0]
        rows = {i: [] for i in later}
        if pos:
            X = self.ch(pos)
            lim, acct = finals[X]['limit'], finals[X]['account_id']
            a1 = max(1, lim * self.ch([1, 3, 6, 9]) // 10)
            c1 = self.adj(acct=acct, kind='credit', inv=X, amount=e8_text(a1))
            rows[n1].append(c1)
            self.accepted_adj.append((n1, c1))
            if len(later) > 1:
                n2 = self.ch(later[1:])
                if lim - a1 > 0:
                    # over_credit across two runs: one fen (or 1e-8) too much, then exactly the rest
                    rows[n2].append(self.adj(acct=acct, kind='credit', inv=X,
                                             amount=e8_text(lim - a1 + self.ch([1, 10 ** 6]))))
                    if self.p(0.7):
                        rows[n2].append(self.adj(acct=acct, kind='credit', inv=X, amount=e8_text(lim - a1)))
                else:
                    rows[n2].append(self.adj(acct=acct, kind='credit', inv=X, amount='0.00000001'))
                rows[n2].append(self.value_twin(c1))                 # identical: ignored, not re-checked
            # a debit may name an invoice; no limit
            rows[self.ch(later)].append(self.adj(acct=acct, kind='debit', inv=X, amount=e8_text(lim + 10 ** 8)))
            # another account's invoice, a number in lower case
            other = [a for a in self.accts if a != acct]
            rows[self.ch(later)].append(self.adj(acct=self.ch(other), kind='credit', inv=X, amount='1'))
            rows[self.ch(later)].append(self.adj(acct=acct, kind='credit', inv=X.lower(), amount='1'))
        # one credit above an invoice's gross - free (a zero limit included)
        if invs:
            Y = self.ch(invs)
            rows[self.ch(later)].append(self.adj(acct=finals[Y]['account_id'], kind='credit', inv=Y,
                                                 amount=e8_text(finals[Y]['limit'] + self.ch([1, 10 ** 8]))))
        for i in later:
            # numbers no close has given
            if self.p(0.5):
                per = self.ch(['202611', '202612', '202701'])
                rows[i].append(self.adj(kind='credit', inv='INV-%s-%06d' % (per, self.ch([1, 999])), amount='1'))
            # dated in a closed period: posted late in the first open one
            for _ in range(r.randint(0, 3)):
                per = self.ch(sorted(closed))
                y, m = int(per[:4]), int(per[5:])
                lo = utc(y, m, 1) - 8 * H
                hi = (utc(y + (m == 12), m % 12 + 1, 1) - 8 * H)
                rows[i].append(self.adj(t=r.randrange(lo, hi), acct=self.ch(self.accts)))
            # plain ones, some invalid, some ids sent before
            for _ in range(r.randint(0, 3)):
                rows[i].append(self.adj(acct=self.ch(self.accts)))
            for _ in range(r.randint(0, 3)):
                rows[i].append(self.bad_adj()[0])
            if self.accepted_adj and self.p(0.5):
                j, row = self.ch(self.accepted_adj)
                rows[i].append(self.value_twin(row) if self.p(0.5) else row[:5] + ['1.23', row[6], row[7]])
        for i in later:
            self.put_adj(i, rows[i], tag)

    # ------------------------------------------------------------ writing
    def write_night(self, i, d):
        g = self.g
        keep = g.r
        g.r = random.Random(self.seed * 1009 + i)      # the same bytes whenever a night is written again
        os.makedirs(d, exist_ok=True)
        special = {k: x for k, x in self.nights[i].items() if isinstance(x, tuple)}
        g.files = {k: x for k, x in self.nights[i].items() if not isinstance(x, tuple)}
        g.write(d)
        for k, (how, x) in special.items():
            with open(os.path.join(d, k), 'wb') as fh:
                fh.write(x if how == 'bytes' else (x + '\n').encode())
        g.r = keep

    def write_all(self):
        import shutil
        v = self.v
        for nm in os.listdir(self.root) if os.path.isdir(self.root) else []:
            if nm.startswith('night') or nm.startswith('cum'):
                shutil.rmtree(os.path.join(self.root, nm))
        os.makedirs(self.root, exist_ok=True)
        steps = [{'init': {'late_days': self.N}}]
        dirs = []
        for i in range(9):
            d = os.path.join(self.root, 'night%d' % i)
            self.write_night(i, d)
            if v['cumulative']:
                dd = os.path.join(self.root, 'cum%d' % i)
                if i:
                    shutil.copytree(os.path.join(self.root, 'cum%d' % (i - 1)), dd)
                else:
                    os.makedirs(dd)
                for nm in os.listdir(d):
                    shutil.copy(os.path.join(d, nm), os.path.join(dd, nm))
                d = dd
            dirs.append(d)
        rb = random.Random(self.seed * 7 + 1)
        back = rb.randint(2, 6) if v['backwards'] else None
        same = rb.randint(1, 6) if v['same_asof'] else None
        for i in range(9):
            if i == back:
                steps.append({'run': dirs[i], 'as_of': fmt(self.A[i - 1] - rb.choice([1, H, DAY])), 'night': i,
                              'expect': 2})
            steps.append({'run': dirs[i], 'as_of': fmt(self.A[i]), 'night': i})
            if i == same:
                steps.append({'run': dirs[i], 'as_of': fmt(self.A[i]), 'night': i})
            if i == v['close_after']:
                if v['out_of_order']:
                    steps.append({'close': '2026-12'})
                steps.append({'close': '2026-11'})
            if i == 7 and v['close_dec'] and not v['out_of_order']:
                steps.append({'close': '2026-12'})
        self.steps = steps


def corrections_scenario(seed, root):
    """-> (steps, variant); writes root/nightN (and cumN) and root/steps.json"""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    return Corrections(seed, root).build()


if __name__ == '__main__':
    if sys.argv[1] == '--corrections':
        corrections_scenario(int(sys.argv[2]), sys.argv[3])
    else:
        seed = int(sys.argv[1])
        Gen(seed).run(sys.argv[2])
