#!/usr/bin/python3
"""Compares oracle.py's reading of one inbox with what billrun stored.

usage: compare.py DB ORACLE.json

DB is a database into which `billrun run` applied that inbox, and nothing
else, after `billrun db init`; ORACLE.json is oracle.py's output for the
same inbox. psql reaches the database as libpq chooses (PG* variables).

Compared, each as a set keyed as shown:
  lines    (own period, account, item): base quantity, gross, free, plan,
           coupon, balance, outstanding (billing.usage_lines, summed over
           days and posting periods)
  rejects  (file, line): reason (billing.rejects)
  files    name: status, reason, rows, accepted, rejected
           (billing.source_files)
  plans    order id: consumed, as billing.plan_balances shows it (plan
           units, rounded half up to 8 decimals)
  coupons  order id: used e8 (billing.coupon_balances)
  adjustments  adjustment id: account, time, kind, item, amount e8, invoice
           number, reason (billing.adjustments, corrections.md; only when
           the oracle accepted an adjustment)
Prints "<set>: N agree" or the first differences; exit 1 if any differ.
"""
import json
import subprocess
import sys
from fractions import Fraction

UNIT = {'gpu_second': 1000, 'hour': 3600, 'GB': 1 << 30, 'request': 1, 'CNY': 10 ** 8}


def query(db, sql):
    out = subprocess.run(['psql', '-d', db, '-XAt', '-F', '|', '-c', sql],
                         capture_output=True, text=True, check=True).stdout
    return [line.split('|') for line in out.splitlines() if line]


def half_up_8(base, unit):
    """Base units (or e8) in plan units, rounded half up to 8 decimals."""
    x = Fraction(base) / UNIT[unit] * 10 ** 8
    return int(x + Fraction(1, 2)) if x >= 0 else -int(-x + Fraction(1, 2))


def differences(name, want, got):
    keys = sorted(set(want) | set(got))
    bad = [k for k in keys if want.get(k) != got.get(k)]
    for k in bad[:8]:
        print('  %s %s: oracle %s, billrun %s' % (name, k, want.get(k), got.get(k)))
    if bad:
        print('%s: %d differences of %d' % (name, len(bad), len(keys)))
    else:
        print('%s: %d agree' % (name, len(keys)))
    return bool(bad)


def main():
    db, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        o = json.load(f)
    bad = False
    want = {(x['period'], x['account_id'], x['item']):
            (x['quantity_base'], x['gross_e8'], x['free_e8'], x['plan_e8'], x['coupon_e8'],
             x['balance_e8'], x['outstanding_e8']) for x in o['invoice_lines']}
    got = {(r[0], r[1], r[2]): tuple(int(v) for v in r[3:]) for r in query(
        db, 'SELECT own_period, account_id, item, sum(quantity), sum(gross_e8), sum(free_e8), '
        'sum(plan_e8), sum(coupon_e8), sum(balance_e8), sum(outstanding_e8) '
        'FROM billing.usage_lines GROUP BY 1, 2, 3')}
    bad |= differences('lines', want, got)
    want = {(x['file'], x['line']): x['reason'] for x in o['rejects']}
    got = {(r[0], int(r[1])): r[2] for r in query(db, 'SELECT file, line, reason FROM billing.rejects')}
    bad |= differences('rejects', want, got)
    want = {x['name']: (x['status'], x['reason'] or None, x['rows'], x['accepted'], x['rejected'])
            for x in o['files']}
    got = {r[0]: (r[1], r[2] or None, int(r[3]), int(r[4]), int(r[5])) for r in query(
        db, 'SELECT name, status, reason, rows, accepted, rejected FROM billing.source_files')}
    bad |= differences('files', want, got)
    rows = query(db, 'SELECT order_id, unit, consumed FROM billing.plan_balances')
    unit = {r[0]: r[1] for r in rows}
    got = {r[0]: int(Fraction(r[2]) * 10 ** 8) for r in rows}
    want = {x['order_id']: half_up_8(x['consumed_base'], unit[x['order_id']])
            if x['order_id'] in unit else ('not in billrun', x['consumed_base']) for x in o['plans']}
    bad |= differences('plans', want, got)
    want = {x['order_id']: x['used_e8'] for x in o['coupons']}
    got = {r[0]: int(Fraction(r[1]) * 10 ** 8)
           for r in query(db, 'SELECT order_id, used FROM billing.coupon_balances')}
    bad |= differences('coupons', want, got)
    if o.get('adjustments'):
        want = {x['adjustment_id']: (x['account_id'], x['adjustment_time'], x['kind'], x['item'], x['amount_e8'],
                                     x['invoice_no'], x['reason']) for x in o['adjustments']}
        got = {r['adjustment_id']: (r['account_id'], r['t'], r['kind'], r['item'], int(Fraction(r['amount']) * 10 ** 8),
                                    r['invoice_no'] or None, r['reason']) for r in query_dicts(
            db, "SELECT adjustment_id, account_id, to_char(adjustment_time AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS t, kind, item, amount, invoice_no, reason "
                "FROM billing.adjustments")}
        bad |= differences('adjustments', want, got)
    return 1 if bad else 0


def query_dicts(db, sql):
    import csv
    import io
    out = subprocess.run(['psql', '-d', db, '-X', '-q', '--csv', '-c', sql],
                         capture_output=True, text=True, check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


if __name__ == '__main__':
    sys.exit(main())
