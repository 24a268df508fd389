#!/usr/bin/python3
"""Builds multi-night scenarios from fuzzgen.py inboxes, runs them through billrun
(one fresh database per scenario) and multirun_oracle.py, compares after every step.

usage: compare_multi.py FIRST_SEED COUNT [--jobs N] [--keep] [--corrections [--oracle-only]]
Needs PG* variables (a PostgreSQL billrun can reach), BILLRUN_BIN (the
billrun binary) and ORACLE_WORK (a scratch folder: sSEED/ holds each
scenario's night folders, steps.json and report.txt). Databases are named
o3_<pid>_sSEED and dropped. Exit 1 when any scenario differs.
Written, like multirun_oracle.py, from the spec and tests/oracle alone.

--corrections: scenarios of fuzzgen.py --corrections (corrections.md: re-sent
usage, the lateness window, adjustments, an as-of that goes backwards) in
ORACLE_WORK/cSEED/, with billrun db init --late-days N; compares the exit
status of every step (2 for the refused as-of; 0 or 3 as the oracle says),
and besides the usual views billing.adjustments, the credits and debits of
billing.invoices, billing.source_files with kind and sha256, and the names
of ledger.trial_balance. It refuses to start (exit 2) when billrun's
db init has no --late-days. --oracle-only runs the scenarios through
multirun_oracle.py alone (no billrun, no database): invariants and a tally
of what the scenarios exercised.
Flags billrun needs are given when its --help lists them: --early for a
close of a period that has not ended by the database clock, --future-as-of
for an as-of more than 5 minutes after it, --seller tests/examples/seller.conf.
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

BILLRUN = os.environ.get('BILLRUN_BIN')
WORK = os.environ['ORACLE_WORK']
SELLER = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples', 'seller.conf')
DAY, H = 86400, 3600
SAME_NIGHT_DUPS = os.environ.get('CROSS_NIGHT_DUPS') != '1'
UNIT = {'gpu_second': 1000, 'hour': 3600, 'GB': 1 << 30, 'request': 1, 'CNY': 10 ** 8}
FEN = 10 ** 6


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


def db_state(db, corr=False):
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
         'amount_due') + (('credits', 'debits') if corr else ()), [r[0] or None, r[3]] + [e8(x) for x in r[4:]]))
        for r in psql(
        db, 'SELECT invoice_no, period, account_id, status, gross, free, plan, coupon, balance, outstanding, '
            'round_down, amount_due' + (', credits, debits' if corr else '') + ' FROM billing.invoices')}
    if corr:
        st['adjustments'] = {r['adjustment_id']: {
            'account_id': r['account_id'], 'adjustment_time': r['t'], 'period': r['period'],
            'late': r['late'] == 't', 'kind': r['kind'], 'item': r['item'], 'amount': e8(r['amount']),
            'invoice_no': r['invoice_no'] or None, 'reason': r['reason'], 'note_no': r['note_no'] or None,
            'status': r['status']} for r in psql_dicts(
            db, "SELECT adjustment_id, account_id, to_char(adjustment_time AT TIME ZONE 'UTC', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS t, period, late, kind, item, amount, invoice_no, reason, "
                "note_no, status FROM billing.adjustments")}
        st['files_full'] = sorted([[r[0], r[1], r[2], r[3], r[4] or None, int(r[5]), int(r[6]), int(r[7])]
                                   for r in psql(db, 'SELECT name, kind, sha256, status, reason, rows, accepted, '
                                                     'rejected FROM billing.source_files')], key=str)
        st['tb_names'] = {'%s|%s' % (r[0], r[1]): r[2] for r in psql(
            db, 'SELECT DISTINCT period, account_code, account_name FROM ledger.trial_balance')}
    return st


def psql_dicts(db, sql):
    """rows as dicts (CSV output: reasons may hold commas, quotes and line ends)"""
    import csv
    import io
    out = subprocess.run(['psql', '-d', db, '-X', '-q', '--csv', '-c', sql],
                         capture_output=True, text=True, check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


def oracle_view(o, corr=False):
    """oracle state in db_state's shape"""
    st = dict(o)
    st['plans'] = {k: {'unit': p['unit'], 'consumed': half_up_8(p['consumed_base'], p['unit']), 'paid': p['paid'],
                       'recognised': p['recognised'], 'breakage': p['breakage'], 'status': p['status']}
                   for k, p in o['plans'].items()}
    st['invoices'] = {k: {f: I[f] for f in ('invoice_no', 'status', 'gross', 'free', 'plan', 'coupon', 'balance',
                                            'outstanding', 'round_down', 'amount_due')
                          + (('credits', 'debits') if corr else ())}
                      for k, I in o['invoices'].items()}
    st['reject_rows'] = len(o['rejects'])
    if corr:
        import ledger_oracle
        st['tb_names'] = {k: ledger_oracle.NAMES[int(k.split('|')[1])] for k in o['trial_balance']}
    return st


def diff_state(want, got, corr=False):
    out = []
    for name in ('lines', 'rejects', 'plans', 'coupons', 'trial_balance', 'invoices') + (
            ('adjustments', 'tb_names') if corr else ()):
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
    if corr and want['files_full'] != got['files_full']:
        cw = collections.Counter(map(tuple, want['files_full']))
        cg = collections.Counter(map(tuple, got['files_full']))
        for k in sorted(set(cw) | set(cg), key=str):
            if cw[k] != cg[k]:
                out.append('files_full %s: oracle x%d, billrun x%d' % (k, cw[k], cg[k]))
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


def billrun_caps():
    """which of the flags of interfaces.md / corrections.md this billrun knows (from its --help)"""
    def helptext(*verb):
        p = subprocess.run([BILLRUN] + list(verb) + ['--help'], capture_output=True, text=True)
        return p.stdout + p.stderr
    return {'late_days': '--late-days' in helptext('db', 'init'),
            'future': '--future-as-of' in helptext('run'),
            'early': '--early' in helptext('close'),
            'seller': '--seller' in helptext('close')}


def db_now():
    return int(psql('postgres', 'SELECT extract(epoch FROM now())::bigint')[0][0])


def run_step(db, s, root, caps, now, tz=8 * H):
    """runs one step with billrun -> (rc, output, what)"""
    if 'init' in s:
        args = ['db', 'init']
        i = s['init'] or {}
        if i.get('late_days') is not None:
            args += ['--late-days', str(i['late_days'])]
        if i.get('tz_offset'):
            args += ['--tz-offset', i['tz_offset']]
        rc, out = billrun(db, *args)
        return rc, out, 'db init %s' % ' '.join(args[2:])
    if 'run' in s:
        args = ['run', '--inbox', s['run'], '--as-of', s['as_of']]
        if caps.get('future') and F.parse_back(s['as_of']) > now + 240:
            args.append('--future-as-of')
        rc, out = billrun(db, *args)
        return rc, out, 'run %s as-of %s' % (os.path.basename(s['run']), s['as_of'])
    args = ['close', '--period', s['close'], '--out', os.path.join(root, 'out')]
    if caps.get('seller') and os.path.exists(SELLER):
        args += ['--seller', SELLER]
    y, m = int(s['close'][:4]), int(s['close'][5:])
    if caps.get('early') and F.utc(y + (m == 12), m % 12 + 1, 1) - tz > now:
        args.append('--early')
    rc, out = billrun(db, *args)
    return rc, out, 'close %s' % s['close']


def scenario(seed, keep=False, caps=None, corr=False, oracle_only=False):
    if corr:
        return scenario_corr(seed, keep, caps, oracle_only)
    caps = caps or {}
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
        now = db_now()
        M, ostates = MO.model(steps)
        last_night_state = None
        for i, (s, o) in enumerate(zip(steps, ostates)):
            rc, out, what = run_step(db, s, root, caps, now)
            ok = rc in (0, 3) if 'run' in s else rc == 0
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
            rc, out, _ = run_step(db1, {'run': os.path.join(root, 'single'), 'as_of': last_night_state[2]}, root,
                                  caps, now)
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


def invariants(steps, ostates):
    """what must hold in every oracle state whatever billrun does"""
    bad = []
    for i, (s, o) in enumerate(zip(steps, ostates)):
        per = collections.Counter()
        for k, (d, c, td, tc) in o['trial_balance'].items():
            per[k.split('|')[0]] += td - tc
        bad += ['step %d: period %s does not balance (%d)' % (i, p, n) for p, n in per.items() if n]
        for k, I in o['invoices'].items():
            if I['amount_due'] + I['round_down'] != I['outstanding'] + I['debits'] or \
                    not 0 <= I['round_down'] < FEN or I['amount_due'] % FEN:
                bad.append('step %d: invoice %s amounts %s' % (i, k, I))
        notes = collections.defaultdict(list)
        for a, x in o['adjustments'].items():
            if (x['status'] == 'final') != (x['note_no'] is not None):
                bad.append('step %d: adjustment %s note %s status %s' % (i, a, x['note_no'], x['status']))
            if x['note_no']:
                notes[x['note_no'][:9]].append(int(x['note_no'][10:]))
                if x['note_no'][3:9] != x['period'].replace('-', ''):
                    bad.append('step %d: adjustment %s note %s in period %s' % (i, a, x['note_no'], x['period']))
        for series, ns in notes.items():
            if sorted(ns) != list(range(1, len(ns) + 1)):
                bad.append('step %d: series %s not gapless: %s' % (i, series, sorted(ns)))
        if 'run' in s and (o['rc'] == 2) != (s.get('expect') == 2):
            bad.append('step %d: oracle exit %s, scenario expects %s' % (i, o['rc'], s.get('expect')))
    return bad


def tally(steps, ostates):
    """what a corrections scenario exercised (final state)"""
    o = ostates[-1]
    t = collections.Counter('reject:' + r for r in o['rejects'].values())
    t.update('exit:%s' % x['rc'] for s, x in zip(steps, ostates) if 'run' in s)
    for x in o['adjustments'].values():
        t['adj:%s%s%s' % (x['kind'], ':late' if x['late'] else '', ':invoice' if x['invoice_no'] else '')] += 1
    t.update('file:' + f[4] for f in o['files_full'] if f[3] == 'refused')
    return t


def scenario_corr(seed, keep, caps, oracle_only):
    root = os.path.join(WORK, 'c%d' % seed)
    shutil.rmtree(root, ignore_errors=True)
    steps, v = F.corrections_scenario(seed, root)
    M, ostates = MO.model(steps)
    rep = ['variant %s' % json.dumps(v)]
    bad = invariants(steps, ostates)
    rep += ['oracle invariant: ' + x for x in bad]
    kinds = collections.Counter({'invariant': len(bad)} if bad else {})
    ndiff = len(bad)
    if oracle_only:
        kinds.update(tally(steps, ostates))
        with open(os.path.join(root, 'report.txt'), 'w') as f:
            f.write('\n'.join(rep) + '\n')
        return seed, v, ndiff, dict(kinds)
    db = 'o4_%d_c%d' % (os.getppid(), seed)
    subprocess.run(['dropdb', '--if-exists', db], check=True)
    subprocess.run(['createdb', db], check=True)
    try:
        now = db_now()
        for i, (s, o) in enumerate(zip(steps, ostates)):
            rc, out, what = run_step(db, s, root, caps, now)
            if 'run' in s:
                want = o['rc']
                ok = rc == 2 if want == 2 else (rc in (0, 3) and (rc == want or not o['rc_sure']))
            else:
                want, ok = 0, rc == 0
            if not ok:
                rep.append('step %d %s: billrun exit %d, oracle %d\n%s' % (i, what, rc, want, out))
                kinds['exit'] += 1
                ndiff += 1
                if rc not in (0, 2, 3) or (want == 2) != (rc == 2):
                    break
            got = db_state(db, True)
            d = diff_state(oracle_view(o, True), got, True)
            rep.append('step %d %s: %s' % (i, what, 'AGREE' if not d else '%d differences' % len(d)))
            rep.extend('  ' + x for x in d[:60])
            for x in d:
                kinds[x.split(' ')[0]] += 1
            ndiff += len(d)
    finally:
        if not keep:
            subprocess.run(['dropdb', '--if-exists', db], check=True)
    with open(os.path.join(root, 'report.txt'), 'w') as f:
        f.write('\n'.join(rep) + '\n')
    return seed, v, ndiff, dict(kinds)


def main(argv):
    first, count = int(argv[0]), int(argv[1])
    jobs = int(argv[argv.index('--jobs') + 1]) if '--jobs' in argv else 4
    keep = '--keep' in argv
    corr = '--corrections' in argv
    oracle_only = '--oracle-only' in argv
    if oracle_only and not corr:
        print('--oracle-only goes with --corrections')
        return 2
    caps = {}
    if not oracle_only:
        if not BILLRUN:
            print('BILLRUN_BIN is not set')
            return 2
        caps = billrun_caps()
        if corr and not caps['late_days']:
            print('billrun does not implement corrections.md yet (its db init has no --late-days); '
                  'compare_multi.py FIRST COUNT --corrections --oracle-only runs the oracle alone')
            return 2
    from concurrent.futures import ProcessPoolExecutor
    seeds = list(range(first, first + count))
    tot = collections.Counter()
    agree = 0
    n = len(seeds)
    with ProcessPoolExecutor(jobs) as ex:
        for seed, v, nd, kinds in ex.map(scenario, seeds, [keep] * n, [caps] * n, [corr] * n, [oracle_only] * n):
            if oracle_only:
                tot.update(kinds)
                agree += nd == 0
                print('seed %d %s late_days %d %s' % (seed, 'OK' if nd == 0 else 'INVARIANTS BROKEN(%d)' % nd,
                                                      v['late_days'], ''.join(k[0] for k in v if v[k] is True)),
                      flush=True)
                continue
            tot.update(kinds)
            agree += nd == 0
            print('seed %d %s %s %s' % (seed, 'AGREE' if nd == 0 else 'DIFFER(%d)' % nd,
                                        ''.join(k[0] for k in v if v[k] is True), {k: n for k, n in kinds.items()
                                                                                    if not k.startswith('single-same')}),
                  flush=True)
    if oracle_only:
        print('scenarios %d, oracle invariants hold in %d; exercised:' % (len(seeds), agree))
        for k in sorted(tot):
            print('  %-40s %d' % (k, tot[k]))
        return 0 if agree == len(seeds) else 1
    print('scenarios %d, agreeing %d; totals %s' % (len(seeds), agree, dict(tot)))
    return 0 if agree == len(seeds) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
