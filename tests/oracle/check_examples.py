#!/usr/bin/python3
"""Run oracle.py on every worked example and compare with the figures of
the spec's examples/README.md (transcribed by hand below).

usage: check_examples.py [EXAMPLES_DIR]   (default tests/examples of the repository)

Only the rating / validation parts are compared; ledger postings,
recognition, breakage, invoice numbers and view status/remaining are not
modelled by the oracle and are listed as "not comparable".
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EX = (sys.argv[1] if len(sys.argv) > 1 else
      os.path.join(HERE, '..', 'examples'))
GB = 1 << 30
C = 10 ** 8          # 1 CNY in e8


def L(q=None, gross=None, free=0, plan=0, coupon=0, balance=0, out=None):
    d = {'quantity_base': q, 'gross_e8': gross, 'free_e8': free, 'plan_e8': plan,
         'coupon_e8': coupon, 'balance_e8': balance, 'outstanding_e8': out}
    return {k: v for k, v in d.items() if v is not None}


def I(gross, free=0, plan=0, coupon=0, balance=0, out=0, due=None):
    d = {'gross': gross, 'free': free, 'plan': plan, 'coupon': coupon,
         'balance': balance, 'outstanding': out}
    if due is not None:
        d['amount_due'] = due
    return d


N = '2026-11'
D = '2026-12'
A = 'acc-1'

EXPECT = {
    '01-payg-rounding': dict(
        lines={(N, A, 'compute_exclusive'): L(8400, 4316666666, out=4316666666),
               (N, A, 'compute_shared'): L(7420, 5713400, out=5713400),
               (N, A, 'get'): L(33, 6, out=6)},
        invoices={(N, A): I(4322380072, out=4322380072, due=43 * C + 22000000)},
        rejects=[], not_comparable='none (draft invoice round_down derived from outstanding)'),
    '02-free-allowance': dict(
        lines={(N, A, 'put'): L(1360, 136000, free=100000, out=36000),
               (D, A, 'put'): L(300, 30000, free=30000, out=0),
               (N, A, 'get'): L(24, 4, free=1, out=3)},
        invoices={(N, A): I(136004, free=100001, out=36003, due=0),
                  (D, A): I(30000, free=30000, out=0, due=0)},
        rejects=[], not_comparable='none'),
    '03-amount-then-pool': dict(
        lines={(N, A, 'compute_exclusive'): L(6000, 3083333333, plan=2850027778, out=233305555)},
        invoices={(N, A): I(3083333333, plan=2850027778, out=233305555, due=233000000)},
        plans={'ord-amt': 10 * C, 'ord-pool': 3600},
        draws={'eas-1': [['ord-amt', None, 925000000]],
               'eas-2': [['ord-amt', None, 75000000], ['ord-pool', 3454, 1775000000]],
               'eas-3': [['ord-pool', 146, 75027778]]},
        rejects=[], not_comparable='recognised, remaining/status at as-of'),
    '04-expiry-order-ties': dict(
        lines={(N, A, 'compute_shared'): L(250000, 250000000, plan=250000000, out=0)},
        plans={'P-z': C, 'P-b': C, 'P-c': C // 2, 'P-a': 0},
        rejects=[], not_comparable='recognised, breakage, expiry status'),
    '05-monthly-reset-utc8': dict(
        lines={(N, A, 'egress'): L(GB + GB // 4, 62500000, plan=50000000, out=12500000),
               (D, A, 'egress'): L(GB + GB // 4, 62500000, plan=50000000, out=12500000)},
        invoices={(N, A): I(62500000, plan=50000000, out=12500000, due=12000000),
                  (D, A): I(62500000, plan=50000000, out=12500000, due=12000000)},
        plans={'M-1': 2 * GB},
        rejects=[], not_comparable='straight-line recognition, ledger nets, remaining in December'),
    '06-capacity-two-buckets': dict(
        lines={(N, A, 'storage'): L(320 * GB, 32000000, plan=29000000, out=3000000)},
        plans={'CAP-1': 290 * GB},
        draws={'oss-b1': [['CAP-1', 40 * GB, 4000000]], 'oss-b3': []},
        rejects=[], not_comparable='recognised, remaining'),
    '07-coupon-balance-outstanding': dict(
        lines={(N, 'acc-1', 'compute_shared'): L(900000, 9 * C, coupon=8 * C, out=C),
               (N, 'acc-2', 'compute_shared'): L(1600000, 16 * C, coupon=2 * C, balance=10 * C, out=4 * C)},
        invoices={(N, 'acc-2'): I(16 * C, coupon=2 * C, balance=10 * C, out=4 * C, due=4 * C)},
        coupons={'C1': 4 * C, 'C2': 4 * C, 'C4': 2 * C},
        balances={'acc-2': (10 * C, 10 * C)},
        plans_exact={},
        rejects=[], not_comparable='coupon remaining/status at as-of'),
    '08-plan-after-usage': dict(
        lines={(N, A, 'compute_shared'): L(350000, 350000000, plan=2 * C, out=150000000)},
        plans={'P1': 2 * C},
        rejects=[], not_comparable='recognised, remaining'),
    '09-expiry-breakage': dict(
        lines={(N, A, 'compute_shared'): L(570000, 570000000, plan=470000000, out=C),
               (N, A, 'put'): L(1200, 120000, plan=120000, out=0)},
        plans={'A1': 470000000, 'M1': 1000, 'P1': 200},
        rejects=[], not_comparable='recognition, breakage, ledger nets, remaining after expiry'),
    '10-round-down-close': dict(
        lines={(N, 'acc-b', 'get'): L(1234567891, 1234567891, out=1234567891),
               (N, 'acc-a', 'get'): L(500000000, 500000000, out=500000000),
               (D, 'acc-a', 'get'): L(999999, 999999, out=999999)},
        invoices={(N, 'acc-b'): I(1234567891, out=1234567891, due=1234000000),
                  (N, 'acc-a'): I(500000000, out=500000000, due=500000000),
                  (D, 'acc-a'): I(999999, out=999999, due=0)},
        balances={'acc-c': (10 * C, 0)},
        rejects=[], not_comparable='close, invoice numbers, acc-c zero invoice (an order-only invoice), round-down posting'),
    '11-rejects': dict(
        files={'accounts-1.csv': ('applied', None, 5, 2, 3),
               'prices-1.csv': ('applied', None, 13, 6, 7),
               'prices-2.csv': ('refused', 'price_overlap', 0, 0, 0),
               'prices-3.csv': ('applied', None, 2, 2, 0),
               'prices-4.csv': ('applied', None, 1, 1, 0),
               'orders-1.csv': ('applied', None, 16, 4, 12),
               'eas-0-badheader.csv': ('refused', 'bad_header', 0, 0, 0),
               'eas-1.csv': ('applied', None, 23, 4, 19),
               'oss-1.csv': ('applied', None, 8, 3, 5)},
        rejects=[('accounts-1.csv', 3, 'field_too_long'), ('accounts-1.csv', 4, 'bad_account_id'),
                 ('accounts-1.csv', 7, 'bad_field_count'),
                 ('prices-1.csv', 4, 'unknown_enum'), ('prices-1.csv', 5, 'bad_number'),
                 ('prices-1.csv', 6, 'bad_timestamp'), ('prices-1.csv', 7, 'negative_quantity'),
                 ('prices-1.csv', 8, 'end_before_start'), ('prices-1.csv', 13, 'end_before_start'),
                 ('prices-1.csv', 14, 'bad_timestamp'),
                 ('orders-1.csv', 4, 'conflicting_order'), ('orders-1.csv', 5, 'unknown_account'),
                 ('orders-1.csv', 6, 'unknown_enum'), ('orders-1.csv', 8, 'bad_plan'),
                 ('orders-1.csv', 9, 'bad_plan'), ('orders-1.csv', 10, 'bad_number'),
                 ('orders-1.csv', 11, 'bad_timestamp'), ('orders-1.csv', 12, 'bad_number'),
                 ('orders-1.csv', 13, 'bad_number'), ('orders-1.csv', 14, 'unknown_account'),
                 ('orders-1.csv', 15, 'bad_number'), ('orders-1.csv', 16, 'bad_account_id'),
                 ('eas-1.csv', 3, 'bad_field_count'), ('eas-1.csv', 4, 'bad_timestamp'),
                 ('eas-1.csv', 5, 'bad_number'), ('eas-1.csv', 6, 'negative_quantity'),
                 ('eas-1.csv', 7, 'end_before_start'), ('eas-1.csv', 8, 'interval_too_long'),
                 ('eas-1.csv', 10, 'unknown_enum'), ('eas-1.csv', 11, 'unknown_account'),
                 ('eas-1.csv', 12, 'no_price'), ('eas-1.csv', 13, 'duplicate_record'),
                 ('eas-1.csv', 14, 'bad_utf8'), ('eas-1.csv', 17, 'bad_timestamp'),
                 ('eas-1.csv', 18, 'bad_timestamp'), ('eas-1.csv', 19, 'field_too_long'),
                 ('eas-1.csv', 20, 'bad_number'), ('eas-1.csv', 21, 'unknown_enum'),
                 ('eas-1.csv', 22, 'bad_field_count'), ('eas-1.csv', 24, 'field_too_long'),
                 ('eas-1.csv', 25, 'field_too_long'),
                 ('oss-1.csv', 3, 'not_hour_aligned'), ('oss-1.csv', 4, 'not_hour_aligned'),
                 ('oss-1.csv', 5, 'unknown_enum'), ('oss-1.csv', 6, 'negative_quantity'),
                 ('oss-1.csv', 9, 'duplicate_record')],
        lines={('2026-09', A, 'compute_exclusive'): L(712 * 3600, 25632 * C, out=25632 * C),
               ('2026-10', A, 'compute_exclusive'): L(32 * 3600, 1152 * C, out=1152 * C),
               (N, A, 'compute_shared'): L(4000, 3600000, balance=3600000, out=0),
               (N, A, 'storage'): L(GB, 16667, plan=16667, out=0),
               (N, A, 'put'): L(100, 10000, free=10000, out=0),
               (N, A, 'get'): L(100, 10000, free=10000, out=0)},
        exact_periods={'2026-09', '2026-10', '2026-11'},
        invoices={(N, A): I(3636667, free=20000, plan=16667, balance=3600000, out=0, due=0)},
        plans={'O4': GB}, coupons={'O11': 0}, balances={A: (100 * C, 3600000)},
        not_comparable='O4 recognition, O11 expired status'),
    '12-split-and-prices': dict(
        files={'eas-1.csv': ('applied', None, 7, 7, 0)},
        lines={('2026-10', A, 'compute_exclusive'): L(3600, 360000000, out=360000000),
               (N, A, 'compute_exclusive'): L(12601, 12600100000, out=12600100000),
               (D, A, 'compute_exclusive'): L(4501, 9000100000, out=9000100000),
               (N, A, 'compute_shared'): L(200000, 3 * C, out=3 * C),
               (N, A, 'egress'): L(5 * GB, 175000000, out=175000000)},
        exact_periods={'2026-10', '2026-11', '2026-12'},
        invoices={(N, A): I(13075100000, out=13075100000, due=13075000000),
                  (D, A): I(9000100000, out=9000100000, due=9000000000)},
        rejects=[], not_comparable='none'),
    '13-zero-gross': dict(
        lines={(N, A, 'get'): L(23, 3, free=2, plan=1, out=0),
               (N, A, 'compute_shared'): L(1000000, 0, out=0)},
        plans={'G1': 10},
        draws={'z1': [], 'z2': [['free', 10, 2], ['G1', 10, 1]], 's1': []},
        rejects=[], not_comparable='recognised'),
    '14-waterfall-pins': dict(
        files={'orders-1.csv': ('applied', None, 6, 5, 1)},
        rejects=[('orders-1.csv', 5, 'bad_plan')],
        lines={(N, A, 'put'): L(2, 200, plan=150, out=50),
               (N, A, 'storage'): L(GB + 100, 100000, plan=100000, out=0),
               (N, A, 'egress'): L(GB + 1, 50000000, plan=50000000, out=0)},
        invoices={(N, A): I(50100200, plan=50100150, out=50, due=0)},
        plans={'A-put': 150, 'P-put': 0, 'C-sto': GB, 'M-eg': GB, 'P-eg': 0},
        draws={'q1': [['A-put', None, 150]], 's1': [['C-sto', GB, 100000]],
               'e1': [['M-eg', GB, 50000000]]},
        not_comparable='recognition, expiry, ledger nets'),
    '15-price-change-open-rows': dict(
        files={'prices-1.csv': ('applied', None, 4, 4, 0), 'prices-2.csv': ('applied', None, 4, 4, 0),
               'eas-1.csv': ('applied', None, 4, 4, 0)},
        lines={(N, A, 'compute_exclusive'): L(3600, 15 * C, out=15 * C),
               (N, A, 'egress'): L(3 * GB, 110000000, out=110000000),
               (N, A, 'compute_shared'): L(300000, 250000000, out=250000000)},
        invoices={(N, A): I(1860000000, out=1860000000, due=1860000000)},
        rejects=[], not_comparable='none'),
    '16-tod-wrap': dict(
        lines={(N, A, 'egress'): L(5 * GB, 110000000, out=110000000),
               (N, A, 'compute_shared'): L(400000, 6 * C, out=6 * C),
               (N, A, 'put'): L(300, 50000, out=50000)},
        invoices={(N, A): I(710050000, out=710050000, due=710000000)},
        rejects=[], not_comparable='none'),
    '17-sliver-falls-through': dict(
        lines={(N, A, 'put'): L(5, 500, plan=450, coupon=30, balance=10, out=10)},
        invoices={(N, A): I(500, plan=450, coupon=30, balance=10, out=10, due=0)},
        plans={'A': 150, 'P': 3}, coupons={'C': 30}, balances={A: (10, 10)},
        draws={'q1': [['A', None, 150], ['C', None, 30], ['balance', None, 10]],
               'q2': [['P', 3, 300]]},
        rejects=[], not_comparable='recognition, expiry, ledger nets'),
    '18-bad-plan': dict(
        files={'orders-1.csv': ('applied', None, 19, 3, 16)},
        rejects=[('orders-1.csv', 3, 'bad_plan'), ('orders-1.csv', 4, 'bad_plan'),
                 ('orders-1.csv', 5, 'bad_plan'), ('orders-1.csv', 6, 'bad_plan'),
                 ('orders-1.csv', 7, 'bad_plan'), ('orders-1.csv', 8, 'bad_plan'),
                 ('orders-1.csv', 9, 'bad_plan'), ('orders-1.csv', 10, 'unknown_enum'),
                 ('orders-1.csv', 11, 'plan_limit'), ('orders-1.csv', 14, 'bad_plan'),
                 ('orders-1.csv', 15, 'bad_plan'), ('orders-1.csv', 16, 'bad_plan'),
                 ('orders-1.csv', 17, 'bad_plan'), ('orders-1.csv', 18, 'bad_number'),
                 ('orders-1.csv', 19, 'bad_number'), ('orders-1.csv', 20, 'bad_plan')],
        lines={(N, A, 'storage'): L(150 * GB, 15000000, plan=15000000, out=0),
               (D, A, 'storage'): L(150 * GB, 15000000, plan=15000000, out=0)},
        plans={'S1': 100 * GB, 'S3': 150 * GB, 'A1': 5000000},
        not_comparable='recognition, ledger nets, remaining/status'),
    '19-refused-files': dict(
        files={'accounts-1.csv': ('applied', None, 1, 1, 0),
               'prices-1.csv': ('applied', None, 1, 1, 0),
               'prices-2.csv': ('refused', 'price_overlap', 0, 0, 0),
               'prices-3.csv': ('applied', None, 2, 2, 0),
               'eas-1.csv': ('refused', 'bad_header', 0, 0, 0),
               'eas-2.csv': ('refused', 'empty_file', 0, 0, 0),
               'eas-3.csv': ('refused', 'empty_file', 0, 0, 0),
               'oss-1.csv': ('applied', None, 2, 2, 0),
               'oss-2.csv': ('applied', None, 0, 0, 0),
               'oss-5.csv': ('applied', None, 0, 0, 0)},
        files_exact=True,
        lines={(N, A, 'put'): L(100, 10000, out=10000), (N, A, 'get'): L(100, 10000, out=10000)},
        invoices={(N, A): I(20000, out=20000, due=0)},
        rejects=[], not_comparable='exit code 3, sha256'),
    '20-promotions': dict(
        files={'prices-1.csv': ('applied', None, 8, 8, 0), 'prices-2.csv': ('applied', None, 1, 1, 0),
               'prices-3.csv': ('refused', 'price_overlap', 0, 0, 0),
               'prices-4.csv': ('applied', None, 1, 1, 0)},
        lines={(N, A, 'egress'): L(7 * GB, 235000000, out=235000000),
               (N, A, 'compute_exclusive'): L(23400, 3050000000, out=3050000000),
               (N, A, 'put'): L(1800, 240000, free=100000, out=140000),
               (D, A, 'compute_exclusive'): L(3600, 360000000, out=360000000)},
        invoices={(N, A): I(3285240000, free=100000, out=3285140000, due=3285000000),
                  (D, A): I(360000000, out=360000000, due=360000000)},
        rejects=[], not_comparable='the "9 pieces overridden" count (checked in piece prices below)',
        piece_gross={('oss', 'e7'): [50000000], ('oss', 'e1'): [20000000], ('oss', 'e2'): [50000000],
                     ('oss', 'e3'): [20000000], ('oss', 'e4'): [15000000], ('oss', 'e5'): [40000000],
                     ('oss', 'e6'): [40000000], ('eas', 'x1'): [10 * C, 4 * C, 4 * C, 10 * C],
                     ('eas', 'x2'): [C, C // 2], ('eas', 'x3'): [C, 360000000],
                     ('oss', 'p1'): [60000], ('oss', 'p2'): [120000], ('oss', 'p3'): [60000]}),
    '21-expiry-at-period-end': dict(
        lines={(N, A, 'compute_shared'): L(500000, 5 * C, plan=5 * C, out=0),
               (D, A, 'compute_shared'): L(100000, C, plan=C, out=0),
               (N, A, 'put'): L(300, 3000000, plan=3000000, out=0),
               (N, A, 'egress'): L(GB, 50000000, plan=50000000, out=0),
               (N, A, 'storage'): L(10 * GB, 1000000, plan=1000000, out=0)},
        invoices={(N, A): I(554000000, plan=554000000, out=0, due=0),
                  (D, A): I(C, plan=C, out=0, due=0)},
        plans={'A1': 5 * C, 'A2': C, 'P1': 300, 'M1': GB, 'K1': 10 * GB},
        coupons={'C1': 0},
        rejects=[], not_comparable='recognition, breakage periods, close, invoice number, statuses'),
}


def run(name):
    inbox = os.path.join(EX, name, 'inbox')
    fd, out = tempfile.mkstemp(suffix='.json')
    os.close(fd)
    subprocess.check_call(['/usr/bin/python3', os.path.join(HERE, 'oracle.py'), '--inbox', inbox,
                           '--tz-offset', '+08:00', '--out', out, '--pieces'])
    with open(out) as f:
        res = json.load(f)
    os.unlink(out)
    return res


def check(name, exp, res):
    msgs = []
    compared = []
    ok = True

    def bad(m):
        nonlocal ok
        ok = False
        msgs.append(m)

    # conservation per piece
    for pc in res['pieces']:
        a = pc['alloc']
        if pc['gross_e8'] != sum(a.values()):
            bad('conservation broken for %s' % pc['record_id'])
    compared.append('conservation(%d pieces)' % len(res['pieces']))

    lines = {(l['period'], l['account_id'], l['item']): l for l in res['invoice_lines']}
    if 'lines' in exp:
        compared.append('lines(%d)' % len(exp['lines']))
        for k, want in exp['lines'].items():
            got = lines.get(k)
            if got is None:
                bad('missing line %s' % (k,))
                continue
            for f, v in want.items():
                if got[f] != v:
                    bad('line %s %s: got %s want %s' % (k, f, got[f], v))
        extra = [k for k in lines if k not in exp['lines']]
        if extra:
            bad('unexpected lines %s' % extra)
    if 'exact_periods' in exp:
        periods = set(k[0] for k in lines)
        compared.append('periods')
        if periods != exp['exact_periods']:
            bad('periods %s want %s' % (sorted(periods), sorted(exp['exact_periods'])))
    if 'invoices' in exp:
        compared.append('invoice totals(%d)' % len(exp['invoices']))
        for (per, acct), want in exp['invoices'].items():
            tot = {'gross': 0, 'free': 0, 'plan': 0, 'coupon': 0, 'balance': 0, 'outstanding': 0}
            for k, l in lines.items():
                if k[0] == per and k[1] == acct:
                    for f in tot:
                        tot[f] += l[f + '_e8']
            tot['amount_due'] = tot['outstanding'] - tot['outstanding'] % 1000000
            for f, v in want.items():
                if tot[f] != v:
                    bad('invoice %s %s %s: got %s want %s' % (per, acct, f, tot[f], v))
    if 'rejects' in exp:
        compared.append('rejects(%d)' % len(exp['rejects']))
        got = sorted((r['file'], r['line'], r['reason']) for r in res['rejects'])
        want = sorted(exp['rejects'])
        if got != want:
            bad('rejects differ: extra %s missing %s' % (sorted(set(got) - set(want)),
                                                         sorted(set(want) - set(got))))
    if 'files' in exp:
        compared.append('files(%d)' % len(exp['files']))
        files = {f['name']: f for f in res['files']}
        for nm, (st, rs, rows, acc, rej) in exp['files'].items():
            f = files.get(nm)
            if f is None:
                bad('missing file %s' % nm)
                continue
            g = (f['status'], f['reason'], f['rows'], f['accepted'], f['rejected'])
            if g != (st, rs, rows, acc, rej):
                bad('file %s got %s want %s' % (nm, g, (st, rs, rows, acc, rej)))
        if exp.get('files_exact') and set(files) != set(exp['files']):
            bad('file set %s' % sorted(files))
    for f in res['files']:
        if f['status'] == 'applied' and f['rows'] != f['accepted'] + f['rejected']:
            bad('rows != accepted + rejected in %s' % f['name'])
    if 'plans' in exp:
        compared.append('plans consumed(%d)' % len(exp['plans']))
        plans = {p['order_id']: p['consumed_base'] for p in res['plans']}
        for oid, v in exp['plans'].items():
            if plans.get(oid) != v:
                bad('plan %s consumed %s want %s' % (oid, plans.get(oid), v))
        if set(plans) != set(exp['plans']):
            bad('plan set %s want %s' % (sorted(plans), sorted(exp['plans'])))
    if 'coupons' in exp:
        compared.append('coupons used(%d)' % len(exp['coupons']))
        cps = {p['order_id']: p['used_e8'] for p in res['coupons']}
        for oid, v in exp['coupons'].items():
            if cps.get(oid) != v:
                bad('coupon %s used %s want %s' % (oid, cps.get(oid), v))
    if 'balances' in exp:
        compared.append('balances(%d)' % len(exp['balances']))
        bl = {b['account_id']: (b['topups_e8'], b['drawn_e8']) for b in res['balances']}
        for a, v in exp['balances'].items():
            if bl.get(a, (0, 0)) != v:
                bad('balance %s %s want %s' % (a, bl.get(a), v))
    if 'piece_gross' in exp:
        compared.append('piece gross(%d rows)' % len(exp['piece_gross']))
        by = {}
        for pc in sorted(res['pieces'], key=lambda p: p['t']):
            by.setdefault((pc['source'], pc['record_id']), []).append(pc['gross_e8'])
        for k, v in exp['piece_gross'].items():
            if by.get(k) != v:
                bad('piece %s gross %s want %s' % (k, by.get(k), v))
    if 'draws' in exp:
        compared.append('draws(%d pieces)' % len(exp['draws']))
        by = {}
        for pc in res['pieces']:
            by.setdefault(pc['record_id'], []).extend(pc['draws'])
        for k, v in exp['draws'].items():
            if by.get(k) != v:
                bad('draws of %s: %s want %s' % (k, by.get(k), v))
    return ok, compared, msgs


def main():
    names = sorted(d for d in os.listdir(EX) if os.path.isdir(os.path.join(EX, d)))
    allok = True
    for nm in names:
        exp = EXPECT.get(nm)
        if exp is None:
            print('%-32s NOT CHECKED (no expectations transcribed)' % nm)
            continue
        res = run(nm)
        ok, compared, msgs = check(nm, exp, res)
        allok &= ok
        print('%-32s %s  compared: %s' % (nm, 'AGREE' if ok else 'DIFFER', ', '.join(compared)))
        print('%-32s      not comparable: %s' % ('', exp.get('not_comparable', '')))
        for m in msgs:
            print('      ' + m)
    print('ALL AGREE' if allok else 'SOME DIFFER')
    return 0 if allok else 1


if __name__ == '__main__':
    sys.exit(main())
