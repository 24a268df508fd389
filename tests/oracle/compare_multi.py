#!/usr/bin/python3
"""Builds multi-night scenarios from fuzzgen.py inboxes, runs them through billrun
(one fresh database per scenario) and multirun_oracle.py, compares after every step.

usage: compare_multi.py FIRST_SEED COUNT [--jobs N] [--keep]
Needs PG* variables (a PostgreSQL billrun can reach), BILLRUN_BIN (the
billrun binary) and ORACLE_WORK (a scratch folder: sSEED/ holds each
scenario's night folders, steps.json and report.txt). Databases are named
o3_<pid>_sSEED and dropped. Exit 1 when any scenario differs.
Written, like multirun_oracle.py, from the spec and tests/oracle alone.
"""
import collections
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

# billrun records a refused file once per name and content (docs/spec-readings.md)
os.environ.setdefault('REFUSED_ONCE', '1')
os.environ.setdefault('FUZZ_AVOID', 'bigsum,lowerz,couponpaid,extrafields,zeroface,offsetdup,tod_eq')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzzgen as F  # noqa: E402
import multirun_oracle as MO  # noqa: E402

BILLRUN = os.environ['BILLRUN_BIN']
WORK = os.environ['ORACLE_WORK']
DAY, H = 86400, 3600
SAME_NIGHT_DUPS = os.environ.get('CROSS_NIGHT_DUPS') != '1'
UNIT = {'gpu_second': 1000, 'hour': 3600, 'GB': 1 << 30, 'request': 1, 'CNY': 10 ** 8}


def row_time(r, kind):
    try:
        if isinstance(r, tuple):
            return None
        s = r[6] if kind == 'eas' else (r[4] if kind == 'oss' else r[2])
        if isinstance(s, bytes):
            return None
        return F.parse_back(s)
    except Exception:
        return None


def night_of(t, rnd):
    if t is None:
        return rnd.randrange(7)
    return max(0, min(6, (t - F.U0) // DAY))


def late_rows(g, n0, until, tag):
    """usage rows dated before `until` (in November unless said), fresh ids"""
    eas, oss = [], []
    r = g.r
    for i in range(r.randint(3, 12)):
        a = g.ch(g.accts)
        t = r.randrange(F.utc(2026, 11, 20), until) if r.random() < 0.7 else until - r.randint(1, 6 * H)
        if r.random() < 0.6:
            eas.append(['%s-e%d' % (tag, i), a, 'svc-9', 'comfyui', 'shared', g.ch(F.SHARED_SPECS + ['B9']),
                        g.ts(t), g.ts(t + 5), str(g.ch([1, 999, 60000, r.randint(0, 200000), 3600000]))])
        else:
            ln = g.ch([600, 3600, 7200 + 17, r.randint(1, 12 * H)])
            eas.append(['%s-x%d' % (tag, i), a, 'svc-9', 'comfyui', 'exclusive', g.ch(F.EXCL_SPECS[:2]),
                        g.ts(t), g.ts(t + ln), ''])
    for i in range(r.randint(3, 15)):
        a = g.ch(g.accts)
        t = (r.randrange(F.utc(2026, 11, 20), until) if r.random() < 0.7 else until - r.randint(1, 6 * H)) // H * H
        metric = g.ch(['storage_bytes', 'storage_bytes', 'egress_bytes', 'put_requests', 'get_requests'])
        v = {'storage_bytes': r.randint(0, 200 * F.GB), 'egress_bytes': r.randint(0, 6 * F.GB)}.get(metric, r.randint(0, 30000))
        oss.append(['%s-s%d' % (tag, i), a, 'bkt', 'cn', g.ts(t), metric, str(v)])
    return eas, oss


def build(seed):
    """-> (dir, steps, variant)"""
    root = os.path.join(WORK, 's%d' % seed)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    g = F.Gen(seed)
    g.gen_accounts()
    g.gen_prices()
    g.gen_usage()
    g.gen_orders()
    g.malform_usage()
    r = g.r
    v = {'orders_split': r.random() < 0.35, 'cumulative': r.random() < 0.5,
         'close_after': r.choice([4, 5]), 'close_dec': r.random() < 0.35,
         'out_of_order': False, 'late': r.random() < 0.9}
    if v['close_dec'] and r.random() < 0.25:
        v['out_of_order'] = True
    ref = {k: rows for k, rows in g.files.items() if not k.startswith('orders')}
    nights = [dict() for _ in range(7)]
    nights[0].update(ref)
    if v['orders_split']:
        for name in ('orders-1.csv', 'orders-2.csv'):
            for row in g.files.get(name, []):
                k = night_of(row_time(row, 'orders'), r) if row_time(row, 'orders') is not None else 0
                nights[k].setdefault('orders-%s-%s.csv' % ('2026%04d' % (1127 + k if k < 4 else 1201 + k - 4), name[7]),
                                     []).append(row)
    else:
        for name in ('orders-1.csv', 'orders-2.csv'):
            if name in g.files:
                nights[0][name] = g.files[name]
    first_night = {}
    for kind, rows in (('eas', g.eas_rows), ('oss', g.oss_rows)):
        for row in rows:
            k = night_of(row_time(row, kind), r)
            rid = row[0] if isinstance(row, list) else None
            if SAME_NIGHT_DUPS and isinstance(rid, str):
                # a re-used record id goes into the night of its first use (cross-run ids: repro 01)
                k = first_night.setdefault((kind, rid), k)
            day = '2026%04d' % (1127 + k if k < 4 else 1201 + k - 4)
            nights[k].setdefault('%s-%s-%d.csv' % (kind, day, r.randint(1, 2)), []).append(row)
    nov_end = F.utc(2026, 11, 30, 16)
    late1 = late2 = None
    if v['late']:
        e, o = late_rows(g, 0, nov_end, 'L')
        late1 = {'eas-late1.csv': e, 'oss-late1.csv': o}
        if v['close_dec']:
            e, o = late_rows(g, 0, F.U1, 'M')
            late2 = {'eas-late2.csv': e, 'oss-late2.csv': o}
    batches = nights + ([late1] if late1 else []) + ([late2] if late2 else [])
    steps = []
    cum = os.path.join(root, 'cum')
    for i, files in enumerate(batches):
        d = os.path.join(root, 'night%d' % i)
        g.files = files
        g.write(d)
        if v['cumulative']:
            prev = os.path.join(root, 'cum%d' % (i - 1)) if i else None
            dd = os.path.join(root, 'cum%d' % i)
            if prev:
                shutil.copytree(prev, dd)
            else:
                os.makedirs(dd)
            for nm in os.listdir(d):
                shutil.copy(os.path.join(d, nm), os.path.join(dd, nm))
            d = dd
        if i < 7:
            as_of = F.U0 + (i + 1) * DAY
        elif i == 7:
            as_of = F.U1 + 6 * H
        else:
            as_of = F.U1 + 12 * H
        if i == 7 and v['close_dec'] and late2:
            pass
        steps.append({'run': d, 'as_of': F.fmt(as_of)})
        if i == v['close_after']:
            if v['out_of_order']:
                steps.append({'close': '2026-12'})
            steps.append({'close': '2026-11'})
        if i == 7 and v['close_dec'] and not v['out_of_order']:
            steps.append({'close': '2026-12'})
    if v['close_dec'] and not late2 and not v['out_of_order']:
        if not any(s.get('close') == '2026-12' for s in steps):
            steps.append({'close': '2026-12'})
    # single run over every night file (before the late files)
    single = os.path.join(root, 'single')
    os.makedirs(single)
    for i in range(7):
        d = os.path.join(root, 'night%d' % i)
        for nm in os.listdir(d):
            shutil.copy(os.path.join(d, nm), os.path.join(single, nm))
    with open(os.path.join(root, 'steps.json'), 'w') as f:
        json.dump({'variant': v, 'steps': steps}, f, indent=1)
    return root, steps, v


# ---------------------------------------------------------------- billrun side
def psql(db, sql):
    out = subprocess.run(['psql', '-d', db, '-XAt', '-F', '|', '-c', sql],
                         capture_output=True, text=True, check=True).stdout
    return [line.split('|') for line in out.splitlines() if line]


def e8(s):
    if s in (None, ''):
        return 0
    v = Decimal(s) * 10 ** 8
    return int(v) if v == int(v) else 'non-e8:' + s


def half_up_8(base, unit):
    x = Fraction(base) / UNIT[unit] * 10 ** 8
    return int(x + Fraction(1, 2))


def db_state(db):
    st = {}
    st['lines'] = {'|'.join([r[0], r[1], 'True' if r[2] == 't' else 'False', r[3], r[4]]): [int(x) for x in r[5:]]
                   for r in psql(db, 'SELECT period, own_period, late, account_id, item, sum(quantity), sum(gross_e8), '
                                 'sum(free_e8), sum(plan_e8), sum(coupon_e8), sum(balance_e8), sum(outstanding_e8) '
                                 'FROM billing.usage_lines GROUP BY 1,2,3,4,5')}
    rej = psql(db, 'SELECT file, line, reason FROM billing.rejects')
    st['rejects'] = {'%s|%s' % (r[0], r[1]): r[2] for r in rej}
    st['reject_rows'] = len(rej)
    st['files'] = sorted([[r[0], r[1], r[2] or None, int(r[3]), int(r[4]), int(r[5])] for r in psql(
        db, 'SELECT name, status, reason, rows, accepted, rejected FROM billing.source_files')])
    st['plans'] = {r[0]: {'unit': r[1], 'consumed': int(Fraction(r[2]) * 10 ** 8), 'paid': e8(r[3]),
                          'recognised': e8(r[4]), 'breakage': e8(r[5]), 'status': r[6]}
                   for r in psql(db, 'SELECT order_id, unit, consumed, paid, recognised, breakage, status '
                                 'FROM billing.plan_balances')}
    st['coupons'] = {r[0]: e8(r[1]) for r in psql(db, 'SELECT order_id, used FROM billing.coupon_balances')}
    st['trial_balance'] = {'%s|%s' % (r[0], r[1]): [e8(x) for x in r[2:]] for r in psql(
        db, 'SELECT period, account_code, debit, credit, total_debit, total_credit FROM ledger.trial_balance')}
    st['invoices'] = {'%s|%s' % (r[1], r[2]): dict(zip(
        ('invoice_no', 'status', 'gross', 'free', 'plan', 'coupon', 'balance', 'outstanding', 'round_down',
         'amount_due'), [r[0] or None, r[3]] + [e8(x) for x in r[4:]])) for r in psql(
        db, 'SELECT invoice_no, period, account_id, status, gross, free, plan, coupon, balance, outstanding, '
            'round_down, amount_due FROM billing.invoices')}
    return st


def oracle_view(o):
    """oracle state in db_state's shape"""
    st = dict(o)
    st['plans'] = {k: {'unit': p['unit'], 'consumed': half_up_8(p['consumed_base'], p['unit']), 'paid': p['paid'],
                       'recognised': p['recognised'], 'breakage': p['breakage'], 'status': p['status']}
                   for k, p in o['plans'].items()}
    st['invoices'] = {k: {f: I[f] for f in ('invoice_no', 'status', 'gross', 'free', 'plan', 'coupon', 'balance',
                                            'outstanding', 'round_down', 'amount_due')}
                      for k, I in o['invoices'].items()}
    st['reject_rows'] = len(o['rejects'])
    return st


def diff_state(want, got):
    out = []
    for name in ('lines', 'rejects', 'plans', 'coupons', 'trial_balance', 'invoices'):
        w, g = want[name], got[name]
        for k in sorted(set(w) | set(g)):
            if w.get(k) != g.get(k):
                out.append('%s %s: oracle %s, billrun %s' % (name, k, w.get(k), g.get(k)))
    if want['files'] != got['files']:
        cw, cg = collections.Counter(map(tuple, want['files'])), collections.Counter(map(tuple, got['files']))
        for k in sorted(set(cw) | set(cg), key=str):
            if cw[k] != cg[k]:
                out.append('files %s: oracle x%d, billrun x%d' % (k, cw[k], cg[k]))
    if want['reject_rows'] != got['reject_rows']:
        out.append('reject rows: oracle %d, billrun %d' % (want['reject_rows'], got['reject_rows']))
    return out


def by_own(lines):
    """usage lines summed over posting period/late -> own period, account, item"""
    s = {}
    for k, v in lines.items():
        per, own, late, a, it = k.split('|')
        x = s.setdefault((own, a, it), [0] * 7)
        for i in range(7):
            x[i] += v[i]
    return s


def billrun(db, *args):
    env = dict(os.environ, PGDATABASE=db)
    p = subprocess.run([BILLRUN] + list(args) + ['--quiet'], env=env, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def scenario(seed, keep=False):
    root, steps, v = build(seed)
    db = 'o3_%d_s%d' % (os.getppid(), seed)
    subprocess.run(['dropdb', '--if-exists', db], check=True)
    subprocess.run(['createdb', db], check=True)
    rep = []
    ndiff = 0
    kinds = collections.Counter()
    try:
        rc, _ = billrun(db, 'db', 'init')
        assert rc == 0
        M, ostates = MO.model(steps)
        last_night_state = None
        for i, (s, o) in enumerate(zip(steps, ostates)):
            if 'run' in s:
                rc, out = billrun(db, 'run', '--inbox', s['run'], '--as-of', s['as_of'])
                what = 'run %s as-of %s' % (os.path.basename(s['run']), s['as_of'])
                ok = rc in (0, 3)
            else:
                rc, out = billrun(db, 'close', '--period', s['close'], '--out', os.path.join(root, 'out'))
                what = 'close %s' % s['close']
                ok = rc == 0
            if not ok:
                rep.append('step %d %s: billrun rc %d\n%s' % (i, what, rc, out))
                ndiff += 1
                kinds['billrun-failed'] += 1
                break
            got = db_state(db)
            d = diff_state(oracle_view(o), got)
            rep.append('step %d %s: %s' % (i, what, 'AGREE' if not d else '%d differences' % len(d)))
            rep.extend('  ' + x for x in d[:40])
            for x in d:
                kinds[x.split(' ')[0]] += 1
            ndiff += len(d)
            if 'run' in s and os.path.basename(s['run']) in ('night6', 'cum6'):
                last_night_state = (got, oracle_view(o), s['as_of'])
        # single run vs the nights
        if last_night_state:
            db1 = db + '_1'
            subprocess.run(['dropdb', '--if-exists', db1], check=True)
            subprocess.run(['createdb', db1], check=True)
            billrun(db1, 'db', 'init')
            rc, out = billrun(db1, 'run', '--inbox', os.path.join(root, 'single'), '--as-of', last_night_state[2])
            g1 = db_state(db1)
            subprocess.run(['dropdb', db1], check=True)
            _, o1 = MO.model([{'run': os.path.join(root, 'single'), 'as_of': last_night_state[2]}])
            o1 = oracle_view(o1[-1])
            gm, om = last_night_state[0], last_night_state[1]
            # compare only the steps before the late files; the multi-night state at night6 may include closes
            for name, fw, fg in (('lines', by_own(om['lines']), by_own(gm['lines'])),
                                 ('plans', {k: p['consumed'] for k, p in om['plans'].items()},
                                  {k: p['consumed'] for k, p in gm['plans'].items()}),
                                 ('coupons', om['coupons'], gm['coupons'])):
                s1o = by_own(o1['lines']) if name == 'lines' else (
                    {k: p['consumed'] for k, p in o1['plans'].items()} if name == 'plans' else o1['coupons'])
                s1b = by_own(g1['lines']) if name == 'lines' else (
                    {k: p['consumed'] for k, p in g1['plans'].items()} if name == 'plans' else g1['coupons'])
                oracle_same = (s1o == fw)
                billrun_same = (s1b == fg)
                rep.append('single-vs-nights %s: oracle %s, billrun %s' % (
                    name, 'same' if oracle_same else 'differs', 'same' if billrun_same else 'differs'))
                if oracle_same and not billrun_same:
                    kinds['single-vs-nights-' + name] += 1
                    ndiff += 1
                    for k in sorted(set(s1b) | set(fg), key=str):
                        if s1b.get(k) != fg.get(k):
                            rep.append('  %s single %s nights %s' % (k, s1b.get(k), fg.get(k)))
                kinds['single-same-oracle-' + name] += oracle_same
    finally:
        if not keep:
            subprocess.run(['dropdb', '--if-exists', db], check=True)
    with open(os.path.join(root, 'report.txt'), 'w') as f:
        f.write('variant %s\n' % json.dumps(v))
        f.write('\n'.join(rep) + '\n')
    return seed, v, ndiff, dict(kinds)


def main(argv):
    first, count = int(argv[0]), int(argv[1])
    jobs = int(argv[argv.index('--jobs') + 1]) if '--jobs' in argv else 4
    keep = '--keep' in argv
    from concurrent.futures import ProcessPoolExecutor
    seeds = list(range(first, first + count))
    tot = collections.Counter()
    agree = 0
    with ProcessPoolExecutor(jobs) as ex:
        for seed, v, nd, kinds in ex.map(scenario, seeds, [keep] * len(seeds)):
            tot.update(kinds)
            agree += nd == 0
            print('seed %d %s %s %s' % (seed, 'AGREE' if nd == 0 else 'DIFFER(%d)' % nd,
                                        ''.join(k[0] for k in v if v[k] is True), {k: n for k, n in kinds.items()
                                                                                    if not k.startswith('single-same')}),
                  flush=True)
    print('scenarios %d, agreeing %d; totals %s' % (len(seeds), agree, dict(tot)))
    return 0 if agree == len(seeds) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
