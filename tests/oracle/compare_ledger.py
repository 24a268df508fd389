#!/usr/bin/python3
"""Compare billrun's database (after the same run/closes) with ledger_oracle.py output.

Usage: /usr/bin/python3 compare_ledger.py DB LEDGER.json [--quiet]
  DB: a database name (libpq env chooses host/user) or a conninfo string.
Exit 0 when everything agrees, 1 otherwise.  Prints one line per difference.
corrections.md: the invoices' credits and debits are compared when the view
has them (a non-zero figure of the oracle's counts as a difference when it
has not), and billing.adjustments when the oracle accepted an adjustment.
"""
import csv
import io
import json
import subprocess
import sys
from decimal import Decimal


def q(db, sql):
    args = ['psql', '-X', '-q', '--csv', '-v', 'ON_ERROR_STOP=1', '-c', sql]
    if '=' in db:
        args[1:1] = [db]
    else:
        args[1:1] = ['-d', db]
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE).stdout.decode()
    return list(csv.DictReader(io.StringIO(out)))


def e8(s):
    if s is None or s == '':
        return 0
    v = Decimal(s) * 10 ** 8
    if v != int(v):
        return 'non-e8:' + s
    return int(v)


def compare(db, led):
    diffs = []
    n = 0
    # ---------------- trial balance
    db_tb = {}
    for r in q(db, 'select * from ledger.trial_balance'):
        db_tb[(r['period'], int(r['account_code']))] = r
    or_tb = {(r['period'], r['account_code']): r for r in led['trial_balance']}
    for k in sorted(set(db_tb) | set(or_tb)):
        d = db_tb.get(k, {})
        o = or_tb.get(k, {})
        for f in ('debit', 'credit', 'total_debit', 'total_credit'):
            dv = e8(d.get(f))
            ov = o.get(f + '_e8', 0)
            n += 1
            if dv != ov:
                diffs.append('trial_balance %s %s %s: db %s oracle %s' % (k[0], k[1], f, dv, ov))
    # ---------------- plans
    db_pl = {r['order_id']: r for r in q(db, 'select * from billing.plan_balances')}
    or_pl = {p['order_id']: p for p in led['plans']}
    for k in sorted(set(db_pl) | set(or_pl)):
        d, o = db_pl.get(k), or_pl.get(k)
        n += 1
        if d is None or o is None:
            diffs.append('plan %s: only in %s' % (k, 'oracle' if d is None else 'db'))
            continue
        for f in ('paid', 'recognised', 'breakage'):
            n += 1
            if e8(d[f]) != o[f + '_e8']:
                diffs.append('plan %s %s: db %s oracle %s' % (k, f, e8(d[f]), o[f + '_e8']))
        n += 1
        if d['status'] != o['status']:
            diffs.append('plan %s status: db %s oracle %s' % (k, d['status'], o['status']))
    # ---------------- invoices
    db_iv = {(r['period'], r['account_id']): r for r in q(db, 'select * from billing.invoices')}
    or_iv = {(i['period'], i['account_id']): i for i in led['invoices']}
    for k in sorted(set(db_iv) | set(or_iv), key=lambda k: (k[0], k[1].encode())):
        d, o = db_iv.get(k), or_iv.get(k)
        n += 1
        if d is None or o is None:
            diffs.append('invoice %s %s: only in %s' % (k[0], k[1], 'oracle' if d is None else 'db'))
            continue
        for f in ('gross', 'free', 'plan', 'coupon', 'balance', 'outstanding', 'round_down', 'amount_due'):
            n += 1
            if e8(d[f]) != o[f]:
                diffs.append('invoice %s %s %s: db %s oracle %s' % (k[0], k[1], f, e8(d[f]), o[f]))
        for f in ('invoice_no', 'status'):
            n += 1
            dv = d[f] if d[f] != '' else None
            if dv != o[f]:
                diffs.append('invoice %s %s %s: db %s oracle %s' % (k[0], k[1], f, dv, o[f]))
        for f in ('credits', 'debits'):
            if f in d or o.get(f):
                n += 1
                if e8(d.get(f)) != o.get(f, 0):
                    diffs.append('invoice %s %s %s: db %s oracle %s' % (k[0], k[1], f, d.get(f), o.get(f, 0)))
    # ---------------- adjustments (corrections.md)
    if led.get('adjustments'):
        db_ad = {r['adjustment_id']: r for r in q(
            db, "select *, to_char(adjustment_time at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                "as t_utc from billing.adjustments")}
        or_ad = {a['adjustment_id']: a for a in led['adjustments']}
        for k in sorted(set(db_ad) | set(or_ad)):
            d, o = db_ad.get(k), or_ad.get(k)
            n += 1
            if d is None or o is None:
                diffs.append('adjustment %s: only in %s' % (k, 'oracle' if d is None else 'db'))
                continue
            got = {'account_id': d['account_id'], 'adjustment_time': d['t_utc'], 'period': d['period'],
                   'late': d['late'] == 't', 'kind': d['kind'], 'item': d['item'], 'amount_e8': e8(d['amount']),
                   'invoice_no': d['invoice_no'] or None, 'reason': d['reason'], 'note_no': d['note_no'] or None,
                   'status': d['status']}
            for f, v in got.items():
                n += 1
                if v != o[f]:
                    diffs.append('adjustment %s %s: db %s oracle %s' % (k, f, v, o[f]))
    return n, diffs


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    db, path = argv[0], argv[1]
    with open(path) as f:
        led = json.load(f)
    n, diffs = compare(db, led)
    for d in diffs:
        print('DIFFER ' + d)
    print('%s: %d values compared, %d differ -> %s' % (path, n, len(diffs), 'AGREE' if not diffs else 'DIFFER'))
    return 1 if diffs else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
