#!/usr/bin/python3
"""Replays the scenarios of tests/examples (NN-name/X.test, .sql, .out) through
multirun_oracle.py instead of billrun: the oracle's final state is loaded
into look-alike tables named like the auditor views (a scratch database),
each query of X.sql runs against them, and its output is compared with the
block of X.out that follows the same \\echo label.

usage: replay_examples.py [FIRST_NUMBER [LAST_NUMBER]]     (needs PG* variables)

The .out files are billrun's expectations (examples 01-21 the spec's worked
examples, later numbers billrun's own, written while billrun implemented
corrections.md); a difference is a point where that reading and the
oracle's differ. Blocks that read what the oracle does not model are
skipped and counted: billing.plan_balances, billing.coupon_balances,
ledger.journal, ledger.postings and the raw text of billing.rejects.
Scenarios with a step the oracle does not model (reprocess) are skipped.
The exit statuses of the .test steps are compared with the oracle's.
A scenario without an init: line gets corrections.md's default window
(--late-days 62). Exit 1 when any block differs.
"""
import os
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ledger_oracle as LO  # noqa: E402
import multirun_oracle as MO  # noqa: E402

EX = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples')
DISPLAY = {'compute_shared': ('GPU-seconds', 1000), 'compute_exclusive': ('hours', 3600),
           'storage': ('GB-hours', 1 << 30), 'egress': ('GB', 1 << 30), 'put': ('requests', 1),
           'get': ('requests', 1)}
UNMODELLED = re.compile(r'plan_balances|coupon_balances|ledger\.journal|ledger\.postings|\braw\b')


def lit(x):
    if x is None:
        return 'NULL'
    if isinstance(x, bool):
        return 'true' if x else 'false'
    if isinstance(x, int):
        return str(x)
    return "'" + str(x).replace("'", "''") + "'"


def cny(e):
    return '%s::numeric(20,8)' % (Decimal(e) / 10 ** 8)


def qty(base, item):
    f = Fraction(base, DISPLAY[item][1])
    d = (Decimal(f.numerator) / Decimal(f.denominator)).quantize(Decimal('0.000001'), ROUND_HALF_UP)
    return '%s::numeric(20,6)' % d


def scenario(d, name):
    """-> (steps, [(step index, exit status)], unmodelled step kind or None)"""
    steps, rcs, skip = [{'init': {'late_days': 62}}], [], None
    for line in open(os.path.join(EX, d, name + '.test')):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        k, rest = line.split(':', 1)
        w = rest.split()
        if k == 'init':
            if '--late-days' in w:
                steps[0]['init']['late_days'] = int(w[w.index('--late-days') + 1])
            if '--tz-offset' in w:
                steps[0]['init']['tz_offset'] = w[w.index('--tz-offset') + 1]
        elif k == 'run':
            steps.append({'run': os.path.join(EX, d, w[0]), 'as_of': w[1]})
            rcs.append((len(steps) - 1, int(w[2])))
        elif k == 'close':
            steps.append({'close': w[0]})
            rcs.append((len(steps) - 1, int(w[1])))
        else:
            skip = k
    return steps, rcs, skip


def load(db, o):
    sql = ['CREATE SCHEMA billing; CREATE SCHEMA ledger;',
           'CREATE TABLE billing.invoice_lines(period text, account_id text, item text, quantity numeric(20,6), '
           'unit text, gross numeric(20,8), free numeric(20,8), plan numeric(20,8), coupon numeric(20,8), '
           'balance numeric(20,8), outstanding numeric(20,8));',
           'CREATE TABLE billing.rejects(file text, line int, reason text);',
           'CREATE TABLE billing.source_files(name text, sha256 text, kind text, status text, reason text, rows int, '
           'accepted int, rejected int);',
           'CREATE TABLE ledger.trial_balance(period text, account_code int, account_name text, debit numeric(20,8), '
           'credit numeric(20,8));',
           'CREATE TABLE billing.invoices(invoice_no text, period text, account_id text, status text, '
           'gross numeric(20,8), free numeric(20,8), plan numeric(20,8), coupon numeric(20,8), balance numeric(20,8), '
           'outstanding numeric(20,8), round_down numeric(20,8), amount_due numeric(20,8), credits numeric(20,8), '
           'debits numeric(20,8));',
           'CREATE TABLE billing.adjustments(adjustment_id text, account_id text, adjustment_time timestamptz, '
           'period text, late bool, kind text, item text, amount numeric(20,8), invoice_no text, reason text, '
           'note_no text, status text);']
    agg = {}
    for k, L in o['lines'].items():
        per, own, late, a, it = k.split('|')
        x = agg.setdefault((per, a, it), [0] * 7)
        for i in range(7):
            x[i] += L[i]
    for (per, a, it), L in agg.items():
        sql.append('INSERT INTO billing.invoice_lines VALUES (%s);' % ','.join(
            [lit(per), lit(a), lit(it), qty(L[0], it), lit(DISPLAY[it][0])] + [cny(v) for v in L[1:]]))
    for k, r in o['rejects'].items():
        f, n = k.rsplit('|', 1)
        sql.append('INSERT INTO billing.rejects VALUES (%s,%s,%s);' % (lit(f), n, lit(r)))
    for f in o['files_full']:
        sql.append('INSERT INTO billing.source_files VALUES (%s,%s,%s,%s,%s,%d,%d,%d);' % (
            lit(f[0]), lit(f[2]), lit(f[1]), lit(f[3]), lit(f[4]), f[5], f[6], f[7]))
    for k, (dr, cr, td, tc) in o['trial_balance'].items():
        per, code = k.split('|')
        sql.append('INSERT INTO ledger.trial_balance VALUES (%s,%s,%s,%s,%s);' % (
            lit(per), code, lit(LO.NAMES[int(code)]), cny(dr), cny(cr)))
    for k, I in o['invoices'].items():
        per, a = k.split('|')
        sql.append('INSERT INTO billing.invoices VALUES (%s);' % ','.join(
            [lit(I['invoice_no']), lit(per), lit(a), lit(I['status'])] +
            [cny(I[f]) for f in ('gross', 'free', 'plan', 'coupon', 'balance', 'outstanding', 'round_down',
                                 'amount_due', 'credits', 'debits')]))
    for k, x in o['adjustments'].items():
        sql.append('INSERT INTO billing.adjustments VALUES (%s);' % ','.join(
            [lit(k), lit(x['account_id']), lit(x['adjustment_time']), lit(x['period']), lit(x['late']),
             lit(x['kind']), lit(x['item']), cny(x['amount']), lit(x['invoice_no']), lit(x['reason']),
             lit(x['note_no']), lit(x['status'])]))
    p = subprocess.run(['psql', '-d', db, '-Xq', '-v', 'ON_ERROR_STOP=1'], input='\n'.join(sql), text=True,
                       capture_output=True)
    if p.returncode:
        raise RuntimeError(p.stderr)


def blocks_of_sql(path):
    """[(echo label line, query text)]"""
    out, label, q = [], None, []
    for line in open(path):
        if line.startswith('\\echo '):
            if label is not None:
                out.append((label, ''.join(q)))
            label, q = line[6:].rstrip('\n'), []
        elif label is not None and not line.startswith('--'):
            q.append(line)
    if label is not None:
        out.append((label, ''.join(q)))
    return out


def blocks_of_out(text, labels):
    res, cur = {}, None
    for line in text.splitlines():
        if line in labels:
            cur = line
            res[cur] = []
        elif cur is not None:
            res[cur].append(line)
    return res


def main(argv):
    lo = int(argv[0]) if argv else 1
    hi = int(argv[1]) if len(argv) > 1 else 99
    db = 'oracle_replay_%d' % os.getpid()
    bad = 0
    names = sorted(x for x in os.listdir(EX) if x[:2].isdigit() and lo <= int(x[:2]) <= hi)
    for d in names:
        for t in sorted(x[:-5] for x in os.listdir(os.path.join(EX, d)) if x.endswith('.test')):
            steps, rcs, skip = scenario(d, t)
            if skip:
                print('%-44s SKIPPED (a %s step)' % (d + '/' + t, skip))
                continue
            _, states = MO.model(steps)
            diffs = ['step %d: exit %s in the oracle, %s in the scenario' % (i, states[i]['rc'], r)
                     for i, r in rcs if states[i]['rc'] != r]
            subprocess.run(['dropdb', '--if-exists', db], capture_output=True)
            subprocess.run(['createdb', db], check=True)
            try:
                load(db, states[-1])
                blocks = blocks_of_sql(os.path.join(EX, d, t + '.sql'))
                want = blocks_of_out(open(os.path.join(EX, d, t + '.out')).read(), set(b[0] for b in blocks))
                skipped = 0
                for label, q in blocks:
                    if UNMODELLED.search(q):
                        skipped += 1
                        continue
                    p = subprocess.run(['psql', '-d', db, '-X', '-At', '-F', '|', '-q', '-v', 'ON_ERROR_STOP=1',
                                        '-c', q], capture_output=True, text=True)
                    got = p.stdout.splitlines() if p.returncode == 0 else ['ERROR ' + p.stderr.strip()]
                    w = want.get(label)
                    if got != w:
                        diffs.append('%s\n        billrun\'s .out: %s\n        oracle:          %s' % (label, w, got))
            finally:
                subprocess.run(['dropdb', '--if-exists', db], capture_output=True)
            bad += bool(diffs)
            print('%-44s %s (%d queries, %d not modelled)' % (d + '/' + t, 'SAME' if not diffs else 'DIFFER',
                                                              len(blocks), skipped))
            for x in diffs:
                print('    ' + x)
    print('ALL SAME' if not bad else '%d scenario(s) DIFFER' % bad)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
