#!/usr/bin/python3
"""Check ledger_oracle.py against the ledger/invoice figures of the worked
examples (spec/examples/README.md), transcribed by hand.

Usage: /usr/bin/python3 check_ledger_examples.py [EXAMPLES_DIR]
"""
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ledger_oracle as LO  # noqa: E402

EX = (sys.argv[1] if len(sys.argv) > 1 else
      os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples'))


def e8(s):
    v = Decimal(s) * 10 ** 8
    assert v == int(v)
    return int(v)


def TB(period, pairs, complete=True):
    """ledger nets of a period: 'code:net' pairs; complete = every other code nets 0"""
    out = [('tb', period, int(c), e8(v)) for c, v in (p.split(':') for p in pairs.split())]
    if complete:
        out.append(('tb_complete', period, set(int(p.split(':')[0]) for p in pairs.split())))
    return out


def PL(oid, **kw):
    out = []
    for k, v in kw.items():
        if k in ('recognised', 'breakage', 'paid'):
            out.append(('plan', oid, k + '_e8', e8(v)))
        else:
            out.append(('plan', oid, k, v))
    return out


def INV(period, acct, **kw):
    out = []
    for k, v in kw.items():
        if k in ('invoice_no', 'status'):
            out.append(('inv', period, acct, k, v))
        else:
            out.append(('inv', period, acct, k, e8(v)))
    return out


def INVSET(*keys):
    return [('invset', set(keys))]


CASES = [
    ('01-payg-rounding', '2026-12-01T00:00:00+08:00', [],
     INV('2026-11', 'acc-1', gross='43.22380072', outstanding='43.22380072',
         round_down='0.00380072', amount_due='43.22', status='draft')),
    ('02-free-allowance', '2026-12-01T00:00:00+08:00', [],
     INV('2026-11', 'acc-1', gross='0.00136004', free='0.00100001', outstanding='0.00036003',
         round_down='0.00036003', amount_due='0')
     + INV('2026-12', 'acc-1', gross='0.0003', free='0.0003', amount_due='0')),
    ('03-amount-then-pool', '2026-11-20T00:00:00+08:00', [],
     INV('2026-11', 'acc-1', gross='30.83333333', plan='28.50027778', outstanding='2.33305555',
         round_down='0.00305555', amount_due='2.33')
     + PL('ord-amt', recognised='8', status='active')
     + PL('ord-pool', recognised='15', status='active')),
    ('04-expiry-order-ties', '2026-11-20T00:00:00+08:00', [],
     PL('P-z', status='expired', recognised='0.5', breakage='0')
     + PL('P-b', recognised='0.8', status='active') + PL('P-c', recognised='0.3')
     + PL('P-a', recognised='0')
     + INV('2026-11', 'acc-1', gross='2.5', plan='2.5')),
    ('05-monthly-reset-utc8', '2026-12-10T00:00:00+08:00', [],
     PL('M-1', recognised='0.16095890', status='active')
     + TB('2026-11', '1000:3 2200:-2.91301370 1100:0.125 4300:-0.21198630')
     + TB('2026-12', '1100:0.125 2200:0.07397260 4300:-0.19897260')
     + INV('2026-11', 'acc-1', gross='0.625', plan='0.5', outstanding='0.125',
           round_down='0.005', amount_due='0.12')
     + INV('2026-12', 'acc-1', gross='0.625', plan='0.5', outstanding='0.125',
           round_down='0.005', amount_due='0.12')),
    ('06-capacity-two-buckets', '2026-11-06T00:00:00+08:00', [],
     PL('CAP-1', recognised='0.13150684', status='active')
     + INV('2026-11', 'acc-1', gross='0.32', plan='0.29', outstanding='0.03')),
    ('07-coupon-balance-outstanding', '2026-11-30T00:00:00+08:00', [],
     INV('2026-11', 'acc-1', gross='9', coupon='8', outstanding='1', amount_due='1')
     + INV('2026-11', 'acc-2', gross='16', coupon='2', balance='10', outstanding='4',
           amount_due='4')),
    ('08-plan-after-usage', '2026-11-20T00:00:00+08:00', [],
     PL('P1', recognised='1.6') + INV('2026-11', 'acc-1', gross='3.5', plan='2', outstanding='1.5')),
    ('09-expiry-breakage', '2026-11-11T00:00:00+08:00', [],
     PL('A1', recognised='3.13333333', breakage='2.86666667', status='expired')
     + PL('M1', recognised='1', breakage='0', status='expired')
     + PL('P1', recognised='0.8', breakage='1.2', status='expired')
     + TB('2026-11', '1000:9 2200:0 1100:1 4100:-4.13333333 4400:-1.8 4800:-4.06666667')),
    ('09-expiry-breakage', '2026-11-10T15:59:59Z', [],
     PL('A1', recognised='3.13333333', breakage='0', status='active')
     + PL('M1', recognised='0.99999884', breakage='0', status='active')
     + PL('P1', recognised='0.8', breakage='0', status='active')),
    ('10-round-down-close', '2026-12-10T00:00:00+08:00', [],
     INV('2026-11', 'acc-b', outstanding='12.34567891', round_down='0.00567891', amount_due='12.34')
     + INV('2026-11', 'acc-a', outstanding='5', round_down='0', amount_due='5')
     + INV('2026-11', 'acc-c', outstanding='0', round_down='0', amount_due='0')
     + INV('2026-12', 'acc-a', outstanding='0.00999999', round_down='0.00999999', amount_due='0')
     + INVSET(('2026-11', 'acc-a'), ('2026-11', 'acc-b'), ('2026-11', 'acc-c'), ('2026-12', 'acc-a'))),
    ('10-round-down-close', '2026-12-10T00:00:00+08:00', ['2026-11'],
     INV('2026-11', 'acc-a', invoice_no='INV-202611-000001', status='final')
     + INV('2026-11', 'acc-b', invoice_no='INV-202611-000002', status='final')
     + INV('2026-11', 'acc-c', invoice_no='INV-202611-000003', status='final')
     + INV('2026-12', 'acc-a', invoice_no=None, status='draft', round_down='0.00999999')
     + TB('2026-11', '4910:0.00567891', complete=False)),
    ('11-rejects', '2026-12-01T00:00:00+08:00', [],
     PL('O4', recognised='0.78904109', status='active')
     + INV('2026-11', 'acc-1', gross='0.03636667', free='0.0002', plan='0.00016667',
           balance='0.036', outstanding='0')
     + [('invperiods', {'2026-09', '2026-10', '2026-11'})]),
    ('12-split-and-prices', '2026-12-01T00:00:00+08:00', [],
     INV('2026-11', 'acc-1', outstanding='130.751', round_down='0.001', amount_due='130.75')
     + INV('2026-12', 'acc-1', outstanding='90.001', amount_due='90')
     + [('invperiods', {'2026-10', '2026-11', '2026-12'})]),
    ('13-zero-gross', '2026-12-01T00:00:00+08:00', [],
     PL('G1', recognised='1')),
    ('14-waterfall-pins', '2026-11-20T00:00:00+08:00', [],
     PL('A-put', recognised='0.000001', breakage='0', status='expired')
     + PL('C-sto', recognised='0.1', status='expired') + PL('M-eg', recognised='0.3', status='expired')
     + PL('P-put', recognised='0', status='active') + PL('P-eg', recognised='0', status='active')
     + TB('2026-11', '1000:1.600001 2200:-1.2 4400:-0.0000015 4200:-0.1 4300:-0.3 1100:0.0000005')
     + INV('2026-11', 'acc-1', outstanding='0.0000005', round_down='0.0000005', amount_due='0')),
    ('15-price-change-open-rows', '2026-12-01T00:00:00+08:00', [],
     INV('2026-11', 'acc-1', outstanding='18.60', round_down='0', amount_due='18.60')),
    ('16-tod-wrap', '2026-12-01T00:00:00+08:00', [],
     INV('2026-11', 'acc-1', outstanding='7.1005', round_down='0.0005', amount_due='7.10')),
    ('17-sliver-falls-through', '2026-11-20T00:00:00+08:00', [],
     PL('A', recognised='0.000001', breakage='0', status='expired')
     + PL('P', recognised='0.15', status='active')
     + TB('2026-11', '1000:0.5000011 2200:-0.35 4900:0.0000003 1100:0.0000001 4400:-0.1500015')
     + INV('2026-11', 'acc-1', gross='0.000005', plan='0.0000045', coupon='0.0000003',
           balance='0.0000001', outstanding='0.0000001', round_down='0.0000001', amount_due='0')),
    ('18-bad-plan', '2026-12-10T00:00:00+08:00', [],
     PL('S1', recognised='3', status='expired') + PL('S3', recognised='1.8', status='active')
     + PL('A1', recognised='0.04', status='active')
     + TB('2026-11', '1000:7 2200:-3.96 4200:-3.04')
     + TB('2026-12', '1000:6 2200:-4.2 4200:-1.8')),
    ('19-refused-files', '2026-12-01T00:00:00+08:00', [],
     INV('2026-11', 'acc-1', outstanding='0.0002', round_down='0.0002', amount_due='0')),
    ('20-promotions', '2026-12-01T00:00:00+08:00', [],
     INV('2026-11', 'acc-1', gross='32.8524', free='0.001', outstanding='32.8514',
         round_down='0.0014', amount_due='32.85')
     + INV('2026-12', 'acc-1', gross='3.6', outstanding='3.6', amount_due='3.6')),
    ('21-expiry-at-period-end', '2026-12-10T00:00:00+08:00', [],
     TB('2026-11', '1000:24 2200:-4 4100:-4 4400:-0.9 4300:-6 4200:-3 4800:-6.1')
     + TB('2026-12', '2200:4 4100:-0.4 4800:-3.6')
     + PL('A1', recognised='4', breakage='4', status='expired')
     + PL('P1', recognised='0.9', breakage='2.1', status='expired')
     + PL('M1', recognised='6', breakage='0', status='expired')
     + PL('K1', recognised='3', breakage='0', status='expired')
     + PL('A2', recognised='0.4', breakage='3.6', status='expired')
     + INV('2026-11', 'acc-1', gross='5.54', plan='5.54') + INV('2026-12', 'acc-1', gross='1', plan='1')),
    ('21-expiry-at-period-end', '2026-12-01T00:00:00+08:00', ['2026-11'],
     TB('2026-11', '1000:24 2200:-4 4100:-4 4400:-0.9 4300:-6 4200:-3 4800:-6.1')
     + TB('2026-12', '2200:0.4 4100:-0.4')
     + PL('A1', recognised='4', breakage='4', status='expired')
     + PL('P1', recognised='0.9', breakage='2.1', status='expired')
     + PL('M1', recognised='6', status='expired') + PL('K1', recognised='3', status='expired')
     + PL('A2', recognised='0.4', breakage='0', status='active')
     + INV('2026-11', 'acc-1', invoice_no='INV-202611-000001', status='final', round_down='0')
     + INV('2026-12', 'acc-1', invoice_no=None, status='draft')),
]


def lookup(res, chk):
    kind = chk[0]
    if kind == 'tb':
        _, per, code, _v = chk
        for r in res['trial_balance']:
            if r['period'] == per and r['account_code'] == code:
                return r['net_e8']
        return 0
    if kind == 'tb_complete':
        _, per, codes = chk
        return sorted(r['account_code'] for r in res['trial_balance']
                      if r['period'] == per and r['net_e8'] != 0 and r['account_code'] not in codes)
    if kind == 'plan':
        _, oid, field, _v = chk
        for p in res['plans']:
            if p['order_id'] == oid:
                return p[field]
        return 'missing'
    if kind == 'inv':
        _, per, acct, field, _v = chk
        for i in res['invoices']:
            if i['period'] == per and i['account_id'] == acct:
                return i[field]
        return 'missing'
    if kind == 'invset':
        return set((i['period'], i['account_id']) for i in res['invoices'])
    if kind == 'invperiods':
        return set(i['period'] for i in res['invoices'])


def expected(chk):
    if chk[0] == 'tb_complete':
        return []
    return chk[-1]


def main():
    bad = 0
    for name, as_of, closes, checks in CASES:
        res = LO.model(os.path.join(EX, name, 'inbox'), as_of, closes)
        ok = 0
        diffs = []
        for chk in checks:
            got, exp = lookup(res, chk), expected(chk)
            if got == exp:
                ok += 1
            else:
                diffs.append('   DIFFER %r: expected %r, got %r' % (chk[:-1] if chk[0] != 'tb_complete' else chk, exp, got))
        what = sorted(set(c[0] for c in checks))
        print('%-30s as-of %-26s close %-9s %2d checks (%s): %s' % (
            name, as_of, ','.join(closes) or '-', len(checks), ','.join(what),
            'AGREE' if not diffs else 'DIFFER'))
        for d in diffs:
            print(d)
        bad += bool(diffs)
    print('ALL AGREE' if not bad else '%d case(s) DIFFER' % bad)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
