#!/usr/bin/python3
"""Check the oracles' reading of corrections.md against small multi-night
cases whose figures were derived by hand from the text of the spec (the
arithmetic is in the comments), in the style of check_examples.py.

usage: check_corrections.py [-v]       prints one line per case and ALL AGREE

Each case writes its night folders into a temporary directory, runs the
steps through multirun_oracle.py (and, where the case is one run followed by
closes, through ledger_oracle.py too) and compares the states with the
figures below. Amounts are written as CNY text and compared in e8.

Prices used by every case (prices-1.csv, applied on the first night):
  compute_shared *   0.01 CNY per GPU-second  -> 1000 gpu_ms = 0.01 CNY = 1,000,000 e8
  compute_exclusive m.x 2 CNY per hour         -> 3600 s = 2 CNY
  get *              1 CNY per 10,000 requests -> 1 request = 0.0001 CNY = 10,000 e8
Case 6 adds a compute_shared row with free_per_month (its own price file).
Accounts acc-1 and acc-2 (accounts-1.csv, first night).
"""
import os
import shutil
import sys
import tempfile
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ledger_oracle as LO  # noqa: E402
import multirun_oracle as MO  # noqa: E402

E8 = 10 ** 8
ACCOUNTS = ['account_id,name,address,tax_id,email', 'acc-1,One,a,t,e', 'acc-2,Two,a,t,e']
PRICES = ['item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,free_per_month',
          'compute_shared,*,0.01,2026-01-01T00:00:00+08:00,,,,',
          'compute_exclusive,m.x,2,2026-01-01T00:00:00+08:00,,,,',
          'get,*,1,2026-01-01T00:00:00+08:00,,,,']
EAS = 'record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms'
OSS = 'record_id,account_id,bucket,region,hour_start,metric,value'
ADJ = 'adjustment_id,account_id,adjustment_time,kind,item,amount,invoice_no,reason'
BASE = {'accounts-1.csv': ACCOUNTS, 'prices-1.csv': PRICES}


def e8(s):
    v = Decimal(s) * E8
    assert v == int(v)
    return int(v)


def shared(rid, acct, start, gpu_ms, end=None):
    return '%s,%s,svc,comfyui,shared,A10,%s,%s,%d' % (rid, acct, start, end or start, gpu_ms)


# A case: (name, late_days or None, nights {night: {file: [lines] or bytes}}, steps, checks)
# steps: ('run', night, as_of) | ('close', period); checks: (step index or -1, what, ...)
CASES = []


def case(name, late_days, nights, steps, checks, ledger=None):
    CASES.append((name, late_days, nights, steps, checks, ledger))


# ---------------------------------------------------------------------------------------------
# 1. Re-sent usage (corrections.md 1): a row of the same source and record_id accepted by an
#    earlier run, charged within the window, makes the new row duplicate_record whatever its
#    values.  late_days 62; as-of 11-10 and 11-11, every charge time in November is inside.
#    night 1: r1 100,000 gpu_ms = 100 GPU-s x 0.01 = 1 CNY; r2 50,000 = 0.5 CNY
#    night 2: r1 identical -> duplicate_record (line 2); r2 with 70,000 gpu_ms -> duplicate_record
#             (line 3, content not compared); r3 20,000 = 0.2 CNY accepted; an OSS row with id r1
#             is another source: accepted, 7 get requests = 7 x 10,000 e8 = 0.0007 CNY.
#    invoice 2026-11 acc-1: gross = 1 + 0.5 + 0.2 + 0.0007 = 1.7007, all outstanding
#    (no plan, coupon or balance); amount_due = floor to the fen = 1.70, round_down 0.0007.
#    exits: night 1 nothing rejected -> 0; night 2 two rejects -> 3.
case('01-resent-usage', 62,
     {1: dict(BASE, **{'eas-1.csv': [EAS, shared('r1', 'acc-1', '2026-11-05T00:00:00Z', 100000),
                                     shared('r2', 'acc-1', '2026-11-06T00:00:00Z', 50000)]}),
      2: {'eas-2.csv': [EAS, shared('r1', 'acc-1', '2026-11-05T00:00:00Z', 100000),
                        shared('r2', 'acc-1', '2026-11-06T00:00:00Z', 70000),
                        shared('r3', 'acc-1', '2026-11-07T00:00:00Z', 20000)],
          'oss-2.csv': [OSS, 'r1,acc-1,b,cn,2026-11-07T00:00:00Z,get_requests,7']}},
     [('run', 1, '2026-11-10T00:00:00Z'), ('run', 2, '2026-11-11T00:00:00Z')],
     [(0, 'rc', 0), (1, 'rc', 3),
      (-1, 'rejects', {'eas-2.csv|2': 'duplicate_record', 'eas-2.csv|3': 'duplicate_record'}),
      (-1, 'file', 'eas-2.csv', ['applied', None, 3, 1, 2]),
      (-1, 'file', 'oss-2.csv', ['applied', None, 1, 1, 0]),
      (-1, 'inv', '2026-11', 'acc-1', dict(gross='1.7007', outstanding='1.7007', round_down='0.0007',
                                           amount_due='1.70', credits='0', debits='0')),
      (-1, 'tb', '2026-11', {1100: '1.7007', 4100: '-1.7', 4400: '-0.0007'})])

# ---------------------------------------------------------------------------------------------
# 2. Only accepted rows count: rows rejected no_price and unknown_account are sent again once the
#    price and the account have arrived, and billed once; a third sending is duplicate_record.
#    night 1: x1 exclusive m.y 01:00-02:30Z: no price for m.y (and no * row) -> no_price;
#             u1 of acc-9 (unknown) -> unknown_account.
#    night 2: prices-2.csv adds compute_exclusive m.y 2 CNY/h (no m.y piece was ever rated: it
#             reprices nothing); accounts-2.csv adds acc-9; x1 and u1 sent again (same rows):
#             x1 pieces [01:00,02:00) 3600 s = 2 CNY, [02:00,02:30) 1800 s = 1 CNY -> 3 CNY;
#             u1 10,000 gpu_ms = 10 GPU-s x 0.01 = 0.1 CNY.
#    night 3: both again -> duplicate_record (accepted by night 2, charged inside the window).
#    invoices 2026-11: acc-1 gross 3 (outstanding 3, due 3.00); acc-9 gross 0.1 (due 0.10).
X1 = 'x1,acc-1,svc,comfyui,exclusive,m.y,2026-11-05T01:00:00Z,2026-11-05T02:30:00Z,'
U1 = shared('u1', 'acc-9', '2026-11-05T00:00:00Z', 10000)
case('02-rejected-then-billed-once', 62,
     {1: dict(BASE, **{'eas-1.csv': [EAS, X1, U1]}),
      2: {'prices-2.csv': [PRICES[0], 'compute_exclusive,m.y,2,2026-01-01T00:00:00Z,,,,'],
          'accounts-2.csv': [ACCOUNTS[0], 'acc-9,Nine,a,t,e'], 'eas-2.csv': [EAS, X1, U1]},
      3: {'eas-3.csv': [EAS, X1, U1]}},
     [('run', 1, '2026-11-10T00:00:00Z'), ('run', 2, '2026-11-11T00:00:00Z'), ('run', 3, '2026-11-12T00:00:00Z')],
     [(0, 'rejects', {'eas-1.csv|2': 'no_price', 'eas-1.csv|3': 'unknown_account'}),
      (1, 'rc', 0), (2, 'rc', 3),
      (-1, 'rejects', {'eas-1.csv|2': 'no_price', 'eas-1.csv|3': 'unknown_account',
                       'eas-3.csv|2': 'duplicate_record', 'eas-3.csv|3': 'duplicate_record'}),
      (-1, 'inv', '2026-11', 'acc-1', dict(gross='3', outstanding='3', amount_due='3')),
      (-1, 'inv', '2026-11', 'acc-9', dict(gross='0.1', outstanding='0.1', amount_due='0.1')),
      (-1, 'file', 'prices-2.csv', ['applied', None, 1, 1, 0])])

# ---------------------------------------------------------------------------------------------
# 3. The lateness window (corrections.md 2), late_days 10.
#    night 1, as-of 2026-11-20T00:00:01Z: window starts 10 x 86400 s earlier, W1 = 2026-11-10T00:00:01Z.
#      eas-1.csv  2 s-in   shared, start W1 exactly               -> accepted, 100,000 gpu_ms = 1 CNY
#                 3 s-out  shared, start W1 - 1 s                 -> too_late
#                 4 x-out  exclusive m.x from W1 - 1 s for 2 h    -> too_late (its start is the charge time)
#                 5 e-bs   shared, W1 - 1 s, end before start     -> end_before_start (across fields first)
#                 6 g-out  acc-9 (unknown), W1 - 1 s              -> too_late (before unknown_account)
#                 7 g-in   acc-9, W1                              -> unknown_account
#                 8 r-new  shared 2026-11-19T00:00:00Z, 100,000   -> accepted, 1 CNY
#      oss-1.csv  2 o-out  hour 2026-11-10T00:00:00Z (1 s before) -> too_late
#                 3 o-in   hour 2026-11-10T01:00:00Z, 100 get     -> accepted, 100 x 10,000 e8 = 0.01 CNY
#                 4 o-na   2026-11-09T00:30:00Z                   -> not_hour_aligned (a single-field check)
#    night 2, as-of 2026-11-21T00:00:01Z: W2 = 2026-11-11T00:00:01Z.
#      eas-2.csv  2 s-in   identical: its earlier row (W1) lies before W2, so the id is no longer
#                          remembered -> not duplicate_record; its own time W1 < W2 -> too_late
#                 3 r-new  identical: its earlier row (11-19) is inside W2's window -> duplicate_record
#                 4 s-in   start 2026-11-15: duplicate_record all the same, line 2 claimed s-in in
#                          this run (formats.md: the first row claims the id even when rejected)
#      oss-2.csv  2 o-in   identical: earlier row 11-10T01:00 < W2 -> forgotten; own time -> too_late
#    night 3, as-of 2026-11-22T00:00:01Z: W3 = 2026-11-12T00:00:01Z.
#      eas-3.csv  2 s-in   start 2026-11-15T00:00:00Z -> accepted, billed a second time (1 CNY): the
#                          only accepted s-in (W1) is outside the window, night 2's was rejected
#    invoice 2026-11 acc-1: gross 1 + 1 + 0.01 + 1 = 3.01 (all outstanding); amount_due 3.01.
case('03-lateness-window', 10,
     {1: dict(BASE, **{
         'eas-1.csv': [EAS, shared('s-in', 'acc-1', '2026-11-10T00:00:01Z', 100000),
                       shared('s-out', 'acc-1', '2026-11-10T00:00:00Z', 100000),
                       'x-out,acc-1,svc,comfyui,exclusive,m.x,2026-11-10T00:00:00Z,2026-11-10T02:00:00Z,',
                       shared('e-bs', 'acc-1', '2026-11-10T00:00:00Z', 100, end='2026-11-09T23:59:59Z'),
                       shared('g-out', 'acc-9', '2026-11-10T00:00:00Z', 100),
                       shared('g-in', 'acc-9', '2026-11-10T00:00:01Z', 100),
                       shared('r-new', 'acc-1', '2026-11-19T00:00:00Z', 100000)],
         'oss-1.csv': [OSS, 'o-out,acc-1,b,cn,2026-11-10T00:00:00Z,get_requests,100',
                       'o-in,acc-1,b,cn,2026-11-10T01:00:00Z,get_requests,100',
                       'o-na,acc-1,b,cn,2026-11-09T00:30:00Z,get_requests,100']}),
      2: {'eas-2.csv': [EAS, shared('s-in', 'acc-1', '2026-11-10T00:00:01Z', 100000),
                        shared('r-new', 'acc-1', '2026-11-19T00:00:00Z', 100000),
                        shared('s-in', 'acc-1', '2026-11-15T00:00:00Z', 100000)],
          'oss-2.csv': [OSS, 'o-in,acc-1,b,cn,2026-11-10T01:00:00Z,get_requests,100']},
      3: {'eas-3.csv': [EAS, shared('s-in', 'acc-1', '2026-11-15T00:00:00Z', 100000)]}},
     [('run', 1, '2026-11-20T00:00:01Z'), ('run', 2, '2026-11-21T00:00:01Z'), ('run', 3, '2026-11-22T00:00:01Z')],
     [(-1, 'rejects', {'eas-1.csv|3': 'too_late', 'eas-1.csv|4': 'too_late', 'eas-1.csv|5': 'end_before_start',
                       'eas-1.csv|6': 'too_late', 'eas-1.csv|7': 'unknown_account',
                       'oss-1.csv|2': 'too_late', 'oss-1.csv|4': 'not_hour_aligned',
                       'eas-2.csv|2': 'too_late', 'eas-2.csv|3': 'duplicate_record',
                       'eas-2.csv|4': 'duplicate_record', 'oss-2.csv|2': 'too_late'}),
      (-1, 'file', 'eas-2.csv', ['applied', None, 3, 0, 3]), (-1, 'file', 'eas-3.csv', ['applied', None, 1, 1, 0]),
      (1, 'inv', '2026-11', 'acc-1', dict(gross='2.01')), (-1, 'rc', 0),
      (-1, 'inv', '2026-11', 'acc-1', dict(gross='3.01', outstanding='3.01', amount_due='3.01', round_down='0'))])

# ---------------------------------------------------------------------------------------------
# 4. The as-of may not go backwards (corrections.md 2, interfaces.md): exit 2, nothing done; an
#    equal as-of is a run like any other; a close's processing to its period end does not count.
#    step 0 night 1 as-of 2026-12-05T00:00:00Z: d1 shared 2026-12-04T00:00:00Z 100,000 = 1 CNY
#    step 1 close 2026-12 (early): processes to 2026-12-31T16:00:00Z; invoice INV-202612-000001
#    step 2 night 2 as-of 2026-12-04T23:59:59Z: 1 s before the greatest run as-of -> exit 2; its
#           file is not recorded, its row not billed: the state equals step 1's
#    step 3 night 2 as-of 2026-12-05T00:00:00Z (equal, and before December's end): allowed; d2
#           shared 2026-12-05T00:00:00Z 50,000 = 0.5 CNY: December is closed -> posted late in
#           2027-01: invoice 2027-01 acc-1 gross 0.5 draft, amount_due 0.50.
#    step 4 night 3 as-of 2026-12-05T00:00:00Z again, empty folder: exit 0.
case('04-asof-backwards', 62,
     {1: dict(BASE, **{'eas-1.csv': [EAS, shared('d1', 'acc-1', '2026-12-04T00:00:00Z', 100000)]}),
      2: {'eas-2.csv': [EAS, shared('d2', 'acc-1', '2026-12-05T00:00:00Z', 50000)]},
      3: {}},
     [('run', 1, '2026-12-05T00:00:00Z'), ('close', '2026-12'), ('run', 2, '2026-12-04T23:59:59Z'),
      ('run', 2, '2026-12-05T00:00:00Z'), ('run', 3, '2026-12-05T00:00:00Z')],
     [(2, 'rc', 2), (2, 'same_as', 1), (3, 'rc', 0), (4, 'rc', 0),
      (-1, 'files', [['accounts-1.csv', 'applied'], ['eas-1.csv', 'applied'], ['eas-2.csv', 'applied'],
                     ['prices-1.csv', 'applied']]),
      (-1, 'inv', '2026-12', 'acc-1', dict(gross='1', outstanding='1', amount_due='1', status='final',
                                           invoice_no='INV-202612-000001')),
      (-1, 'inv', '2027-01', 'acc-1', dict(gross='0.5', outstanding='0.5', amount_due='0.5', status='draft')),
      (-1, 'tb', '2027-01', {1100: '0.5', 4100: '-0.5'})])

# ---------------------------------------------------------------------------------------------
# 5. Credits and debits, one run then the November close (also through ledger_oracle.py).
#    adjustments-1.csv: A1 acc-1 11-10T00:00Z credit 0.5 compute_shared; A2 acc-1 11-12 debit egress
#                       3.20000007; A3 acc-2 11-12 credit get 1 (acc-2 has nothing else).
#    eas-1.csv: e1 acc-1 11-09 30,000 gpu_ms = 0.3 CNY, before A1: outstanding 0.3;
#               e2 acc-1 11-11 80,000 = 0.8 CNY: balance min(0.5, 0.8) = 0.5 (A1), outstanding 0.3.
#    invoice acc-1: gross 1.1, balance 0.5, outstanding 0.6, credits 0.5, debits 3.20000007;
#      owed = 0.6 + 3.20000007 = 3.80000007 -> amount_due 3.80, round_down 0.00000007.
#    invoice acc-2: gross 0, credits 1, amount_due 0 (an invoice for an adjustment alone).
#    close: INV-202611-000001 acc-1, -000002 acc-2; credits in (account, time, id) order:
#      (acc-1, 11-10, A1) CN-202611-000001, (acc-2, 11-12, A3) CN-202611-000002; A2 DN-202611-000001.
#    ledger 2026-11 (net = debit - credit):
#      4920: Dr 0.5 (A1) + Dr 1 (A3) - Cr 3.20000007 (A2)           = -1.70000007
#      2100: -0.5 - 1 (credits) + 0.5 (drawn by e2)                  = -1
#      1100: 0.3 + 0.3 (outstanding) + 3.20000007 (A2) - 0.00000007 (round-down) = 3.8
#      4100: -1.1;  4910: +0.00000007;  sum = 0.
ADJ5 = [ADJ, 'A1,acc-1,2026-11-10T00:00:00Z,credit,compute_shared,0.5,,goodwill',
        'A2,acc-1,2026-11-12T00:00:00Z,debit,egress,3.20000007,,traffic missing from the export',
        'A3,acc-2,2026-11-12T00:00:00Z,credit,get,1,,"requests billed twice, ticket ""77"""']
case('05-credit-debit-close', 62,
     {1: dict(BASE, **{'adjustments-1.csv': ADJ5,
                       'eas-1.csv': [EAS, shared('e1', 'acc-1', '2026-11-09T00:00:00Z', 30000),
                                     shared('e2', 'acc-1', '2026-11-11T00:00:00Z', 80000)]})},
     [('run', 1, '2026-11-20T00:00:00Z'), ('close', '2026-11')],
     [(0, 'rc', 0),
      (0, 'inv', '2026-11', 'acc-1', dict(round_down='0.00000007', amount_due='3.8', status='draft')),
      (0, 'adj', 'A1', dict(note_no=None, status='draft', period='2026-11', late=False)),
      (-1, 'inv', '2026-11', 'acc-1', dict(gross='1.1', balance='0.5', outstanding='0.6', credits='0.5',
                                           debits='3.20000007', round_down='0.00000007', amount_due='3.8',
                                           invoice_no='INV-202611-000001', status='final')),
      (-1, 'inv', '2026-11', 'acc-2', dict(gross='0', credits='1', debits='0', amount_due='0',
                                           invoice_no='INV-202611-000002')),
      (-1, 'adj', 'A1', dict(note_no='CN-202611-000001', status='final', amount='0.5', kind='credit')),
      (-1, 'adj', 'A3', dict(note_no='CN-202611-000002', reason='requests billed twice, ticket "77"')),
      (-1, 'adj', 'A2', dict(note_no='DN-202611-000001', amount='3.20000007', invoice_no=None)),
      (-1, 'tb', '2026-11', {4920: '-1.70000007', 2100: '-1', 1100: '3.8', 4100: '-1.1', 4910: '0.00000007'})],
     ledger=('2026-11-20T00:00:00Z', ['2026-11']))

# ---------------------------------------------------------------------------------------------
# 6. Credits naming final invoices: unknown_invoice, over_credit across two runs, identical ids
#    ignored (never checked again), conflicting ids, a debit dated in a closed period (late).
#    prices-2.csv: compute_shared spec A10 0.01 with free_per_month 50 (GPU-seconds): the A10 rows
#    of this case use it (exact spec wins over *).
#    night 1 (11-20): acc-1 e1 200,000 gpu_ms: gross 2, free 50 GPU-s = 0.5, outstanding 1.5;
#                     acc-2 e2 100,000: gross 1, free 0.5, outstanding 0.5.
#    close 2026-11: INV-202611-000001 acc-1 (gross - free = 1.5), INV-202611-000002 acc-2 (0.5).
#    night 2 (12-02), adjustments-2.csv:
#      2 C1 acc-1 2026-12-01T10:00:00+08:00 credit 1 naming -000001: 1 <= 1.5 -> accepted
#      3 C2 acc-1 credit 0.2 naming -000002 (acc-2's invoice)       -> unknown_invoice
#      4 C3 acc-1 credit 0.1 naming INV-202612-000001 (not final)    -> unknown_invoice
#      5 C4 acc-2 credit 0.50000001 naming -000002: > 0.5            -> over_credit
#      6 C1 again, 2026-12-01T02:00:00Z (same instant) and 1.00      -> identical: ignored, accepted
#      7 D1 acc-1 2026-11-15T00:00:00Z debit 0.05                    -> accepted; November is
#                                                                       closed: posted in 2026-12, late
#    night 3 (12-03), adjustments-3.csv:
#      2 C5 acc-1 credit 0.50000001 naming -000001: 1 + 0.50000001 > 1.5 -> over_credit
#      3 C6 acc-1 credit 0.5 naming -000001: 1 + 0.5 = 1.5, not more      -> accepted
#      4 C1 with another reason                                         -> conflicting_adjustment
#      5 C1 identical once more (it would be over now): ignored, not checked again
#    invoice 2026-12 acc-1: credits 1 + 0.5 = 1.5, debits 0.05, outstanding 0 -> amount_due 0.05.
#    close 2026-12 (early): INV-202612-000001 acc-1; CN-202612-000001 C1 (12-01T02:00Z),
#      CN-202612-000002 C6 (12-02T00:00Z); DN-202612-000001 D1 (period 2026-12, late).
#    ledger 2026-12: 4920 Dr 1.5 - Cr 0.05 = 1.45; 2100 -1.5; 1100 +0.05. 2026-11: 1100 2.0, 4100 -2.0.
case('06-credits-on-final-invoices', 62,
     {1: dict(BASE, **{'prices-2.csv': [PRICES[0], 'compute_shared,A10,0.01,2026-01-01T00:00:00Z,,,,50'],
                       'eas-1.csv': [EAS, shared('e1', 'acc-1', '2026-11-05T00:00:00Z', 200000),
                                     shared('e2', 'acc-2', '2026-11-05T00:00:00Z', 100000)]}),
      2: {'adjustments-2.csv': [
          ADJ, 'C1,acc-1,2026-12-01T10:00:00+08:00,credit,compute_shared,1,INV-202611-000001,jobs failed',
          'C2,acc-1,2026-12-01T00:00:00Z,credit,compute_shared,0.2,INV-202611-000002,wrong invoice',
          'C3,acc-1,2026-12-01T00:00:00Z,credit,compute_shared,0.1,INV-202612-000001,draft invoice',
          'C4,acc-2,2026-12-01T00:00:00Z,credit,compute_shared,0.50000001,INV-202611-000002,too much',
          'C1,acc-1,2026-12-01T02:00:00Z,credit,compute_shared,1.00,INV-202611-000001,jobs failed',
          'D1,acc-1,2026-11-15T00:00:00Z,debit,get,0.05,,late debit']},
      3: {'adjustments-3.csv': [
          ADJ, 'C5,acc-1,2026-12-02T00:00:00Z,credit,get,0.50000001,INV-202611-000001,one too many',
          'C6,acc-1,2026-12-02T00:00:00Z,credit,get,0.5,INV-202611-000001,the rest',
          'C1,acc-1,2026-12-01T02:00:00Z,credit,compute_shared,1,INV-202611-000001,another reason',
          'C1,acc-1,2026-12-01T10:00:00+08:00,credit,compute_shared,1,INV-202611-000001,jobs failed']}},
     [('run', 1, '2026-11-20T00:00:00Z'), ('close', '2026-11'), ('run', 2, '2026-12-02T00:00:00Z'),
      ('run', 3, '2026-12-03T00:00:00Z'), ('close', '2026-12')],
     [(-1, 'rejects', {'adjustments-2.csv|3': 'unknown_invoice', 'adjustments-2.csv|4': 'unknown_invoice',
                       'adjustments-2.csv|5': 'over_credit', 'adjustments-3.csv|2': 'over_credit',
                       'adjustments-3.csv|4': 'conflicting_adjustment'}),
      (-1, 'file', 'adjustments-2.csv', ['applied', None, 6, 3, 3]),
      (-1, 'file', 'adjustments-3.csv', ['applied', None, 4, 2, 2]),
      (1, 'inv', '2026-11', 'acc-1', dict(gross='2', free='0.5', outstanding='1.5', amount_due='1.5',
                                          invoice_no='INV-202611-000001')),
      (1, 'inv', '2026-11', 'acc-2', dict(gross='1', free='0.5', outstanding='0.5',
                                          invoice_no='INV-202611-000002')),
      (-1, 'inv', '2026-12', 'acc-1', dict(gross='0', credits='1.5', debits='0.05', amount_due='0.05',
                                           round_down='0', invoice_no='INV-202612-000001')),
      (-1, 'invset', {'2026-11|acc-1', '2026-11|acc-2', '2026-12|acc-1'}),
      (-1, 'adj', 'C1', dict(note_no='CN-202612-000001', adjustment_time='2026-12-01T02:00:00Z', amount='1')),
      (-1, 'adj', 'C6', dict(note_no='CN-202612-000002', invoice_no='INV-202611-000001')),
      (-1, 'adj', 'D1', dict(note_no='DN-202612-000001', period='2026-12', late=True)),
      (-1, 'adjset', {'C1', 'C6', 'D1'}),
      (-1, 'tb', '2026-12', {4920: '1.45', 2100: '-1.5', 1100: '0.05'}),
      (-1, 'tb', '2026-11', {1100: '2', 4100: '-2'})])

# ---------------------------------------------------------------------------------------------
# 7. A credit joins the prepaid balance at its adjustment_time, like a top-up: it pays usage dated
#    at or after it (a credit before a piece at one instant), never usage dated before it, and
#    history is not re-rated when a credit dated earlier arrives later.
#    night 1 (11-20): K1 acc-1 11-10T00:00:00Z credit 0.3.
#      p0 11-09T23:59:59Z 10,000 gpu_ms = 0.1 -> before K1: outstanding 0.1
#      p1 11-10T00:00:00Z 20,000 = 0.2 -> same instant, adjustments before pieces: balance 0.2
#    night 2 (11-21): K2 acc-1 11-01T00:00:00Z credit 1; DB acc-1 11-15 debit 0.7 (no waterfall).
#      balance entries: +1 @11-01 (K2), +0.3 @11-10 (K1), -0.2 @11-10 (p1)
#      p2 11-09T12:00Z 0.1: what stood at 11-09 (1) without making a later instant negative
#         (11-10: 1.1) -> balance 0.1
#      p3 11-15 50,000 = 0.5: 1 + 0.3 - 0.2 - 0.1 = 1.0 -> balance 0.5
#      p0 (night 1) stays outstanding although K2 is dated before it (history is never re-rated).
#    invoice 2026-11 acc-1: gross 0.9, balance 0.8, outstanding 0.1, credits 1.3, debits 0.7,
#      owed 0.8 -> amount_due 0.80.
#    ledger 2026-11: 4920 1.3 - 0.7 = 0.6; 2100 -1.3 + 0.8 = -0.5; 1100 0.1 + 0.7 = 0.8; 4100 -0.9.
case('07-credit-pays-later-usage', 62,
     {1: dict(BASE, **{'adjustments-1.csv': [ADJ, 'K1,acc-1,2026-11-10T00:00:00Z,credit,get,0.3,,k1'],
                       'eas-1.csv': [EAS, shared('p0', 'acc-1', '2026-11-09T23:59:59Z', 10000),
                                     shared('p1', 'acc-1', '2026-11-10T00:00:00Z', 20000)]}),
      2: {'adjustments-2.csv': [ADJ, 'K2,acc-1,2026-11-01T00:00:00Z,credit,get,1,,k2',
                                'DB,acc-1,2026-11-15T00:00:00Z,debit,put,0.7,,db'],
          'eas-2.csv': [EAS, shared('p2', 'acc-1', '2026-11-09T12:00:00Z', 10000),
                        shared('p3', 'acc-1', '2026-11-15T00:00:00Z', 50000)]}},
     [('run', 1, '2026-11-20T00:00:00Z'), ('run', 2, '2026-11-21T00:00:00Z')],
     [(0, 'inv', '2026-11', 'acc-1', dict(gross='0.3', balance='0.2', outstanding='0.1', credits='0.3')),
      (-1, 'inv', '2026-11', 'acc-1', dict(gross='0.9', balance='0.8', outstanding='0.1', credits='1.3',
                                           debits='0.7', amount_due='0.8', round_down='0')),
      (-1, 'tb', '2026-11', {4920: '0.6', 2100: '-0.5', 1100: '0.8', 4100: '-0.9'})])

# ---------------------------------------------------------------------------------------------
# 8. Validation of adjustments-: every reason and their order (corrections.md 3), an identical id
#    written differently, note numbers in (account_id, adjustment_time, adjustment_id) byte order.
#    adjustments-1.csv, night 1 (11-20):
#      2  ok1 debit egress 12.5 at 11-10T00:00Z                   accepted
#      3  ok1 at 11-10T08:00+08:00 (same instant), 12.50           identical -> ignored (accepted)
#      4  a 129-byte id                                           field_too_long
#      5  account 'acc 1'                                         bad_account_id
#      6  2026-11-31T00:00:00Z                                    bad_timestamp
#      7  kind refund                                             unknown_enum
#      8  item gpu                                                unknown_enum
#      9  amount 0                                                bad_number (greater than 0)
#      10 amount 1.123456789                                      bad_number (9 fractional digits)
#      11 amount -5                                               negative_quantity
#      12 reason empty                                            missing_reason
#      13 acc-ghost with an empty reason                          missing_reason (a single field,
#                                                                  before unknown_account)
#      14 acc-ghost                                               unknown_account
#      15 ok1 with amount 13                                      conflicting_adjustment
#      16 naming INV-202611-000001 before any close               unknown_invoice
#      17 acc-ghost with amount abc                               bad_number (before unknown_account)
#      18 nine fields                                             bad_field_count
#      19 a byte 0xFF in the reason                               bad_utf8
#      20 ok2 debit put 1 at 11-10T00:00Z (as ok1)                accepted
#      21 ok0 acc-2 credit put 2 at 11-11                         accepted
#      22 a.1 debit put 1 at 11-10T00:00Z                         accepted ('a' < 'o' in byte order)
#      23 id15 credit egress 0.00000001 at 11-12                  accepted (the smallest amount)
#      24 kind 'credit ' (a trailing space: fields are not trimmed) unknown_enum
#      25 reason ' ' (not empty)                                  accepted, z9 debit 0.01 at 11-13
#    rows 24 = 7 accepted (2, 3, 20, 21, 22, 23, 25) + 17 rejected.
#    close 2026-11: debits of acc-1 at 11-10T00:00Z: a.1 < ok1 < ok2 -> DN-202611-000001..3; z9 (11-13)
#      DN-202611-000004; credits: (acc-1, 11-12, id15) CN-202611-000001, (acc-2, 11-11, ok0) -000002.
#    invoices: acc-1 debits 12.5 + 1 + 1 + 0.01 = 14.51, credits 0.00000001, amount_due 14.51;
#      acc-2 credits 2, amount_due 0.
T0 = '2026-11-10T00:00:00Z'
ADJ8 = [ADJ, 'ok1,acc-1,%s,debit,egress,12.5,,r' % T0, 'ok1,acc-1,2026-11-10T08:00:00+08:00,debit,egress,12.50,,r',
        '%s,acc-1,%s,debit,egress,1,,r' % ('a' * 129, T0), 'id2,acc 1,%s,debit,egress,1,,r' % T0,
        'id3,acc-1,2026-11-31T00:00:00Z,debit,egress,1,,r', 'id4,acc-1,%s,refund,egress,1,,r' % T0,
        'id5,acc-1,%s,credit,gpu,1,,r' % T0, 'id6,acc-1,%s,credit,egress,0,,r' % T0,
        'id7,acc-1,%s,credit,egress,1.123456789,,r' % T0, 'id8,acc-1,%s,credit,egress,-5,,r' % T0,
        'id9,acc-1,%s,credit,egress,1,,' % T0, 'id10,acc-ghost,%s,credit,egress,1,,' % T0,
        'id11,acc-ghost,%s,credit,egress,1,,r' % T0, 'ok1,acc-1,%s,debit,egress,13,,r' % T0,
        'id12,acc-1,%s,credit,egress,1,INV-202611-000001,r' % T0, 'id13,acc-ghost,%s,credit,egress,abc,,r' % T0,
        'id14,acc-1,%s,credit,egress,1,,r,x' % T0]
ADJ8_TAIL = ['ok2,acc-1,%s,debit,put,1,,r' % T0, 'ok0,acc-2,2026-11-11T00:00:00Z,credit,put,2,,r',
             'a.1,acc-1,%s,debit,put,1,,r' % T0, 'id15,acc-1,2026-11-12T00:00:00Z,credit,egress,0.00000001,,r',
             'id16,acc-1,%s,credit ,egress,1,,r' % T0, 'z9,acc-1,2026-11-13T00:00:00Z,debit,get,0.01,, ']
ADJ8_BYTES = ('\n'.join(ADJ8) + '\n').encode() + b'id17,acc-1,' + T0.encode() + \
    b',credit,egress,1,,bad \xff\n' + ('\n'.join(ADJ8_TAIL) + '\n').encode()
case('08-adjustment-reasons', 62,
     {1: dict(BASE, **{'adjustments-1.csv': ADJ8_BYTES})},
     [('run', 1, '2026-11-20T00:00:00Z'), ('close', '2026-11')],
     [(0, 'rc', 3),
      (-1, 'rejects', {'adjustments-1.csv|%d' % n: r for n, r in (
          (4, 'field_too_long'), (5, 'bad_account_id'), (6, 'bad_timestamp'), (7, 'unknown_enum'),
          (8, 'unknown_enum'), (9, 'bad_number'), (10, 'bad_number'), (11, 'negative_quantity'),
          (12, 'missing_reason'), (13, 'missing_reason'), (14, 'unknown_account'), (15, 'conflicting_adjustment'),
          (16, 'unknown_invoice'), (17, 'bad_number'), (18, 'bad_field_count'), (19, 'bad_utf8'),
          (24, 'unknown_enum'))}),
      (-1, 'file', 'adjustments-1.csv', ['applied', None, 24, 7, 17]),
      (-1, 'adj', 'a.1', dict(note_no='DN-202611-000001')), (-1, 'adj', 'ok1', dict(note_no='DN-202611-000002')),
      (-1, 'adj', 'ok2', dict(note_no='DN-202611-000003')), (-1, 'adj', 'z9', dict(note_no='DN-202611-000004')),
      (-1, 'adj', 'id15', dict(note_no='CN-202611-000001', amount='0.00000001')),
      (-1, 'adj', 'ok0', dict(note_no='CN-202611-000002')),
      (-1, 'adj', 'ok1', dict(amount='12.5', adjustment_time=T0)),
      (-1, 'inv', '2026-11', 'acc-1', dict(debits='14.51', credits='0.00000001', amount_due='14.51')),
      (-1, 'inv', '2026-11', 'acc-2', dict(credits='2', amount_due='0', invoice_no='INV-202611-000002'))],
     ledger=('2026-11-20T00:00:00Z', ['2026-11']))

# ---------------------------------------------------------------------------------------------
# 9. Adjustments dated in closed periods go to the earliest open period (two closed in a row),
#    round-down of a debit-only invoice, notes numbered at the close of the posting period.
#    night 1 (12-02): e1 acc-1 11-20 123,456 gpu_ms = 123.456 GPU-s x 0.01 = 1.23456 CNY.
#    close 2026-11: INV-202611-000001, outstanding 1.23456 -> amount_due 1.23, round_down 0.00456.
#    close 2026-12 (early): no invoice (nothing in December).
#    night 2 (12-03): L1 acc-1 11-20 debit get 0.00544 -> 2026-11 and 2026-12 closed: 2027-01, late;
#                     L2 acc-1 12-02 credit get 0.1 -> 2027-01, late.
#    draft 2027-01 acc-1: debits 0.00544, credits 0.1, owed 0.00544 -> amount_due 0, round_down 0.00544.
#    close 2027-01 (early): INV-202701-000001; CN-202701-000001 L2; DN-202701-000001 L1;
#      ledger 2027-01: 1100 +0.00544 - 0.00544 (round-down) = 0; 4910 +0.00544;
#      4920 -0.00544 + 0.1 = 0.09456; 2100 -0.1.  2026-11: 1100 1.23456 - 0.00456 = 1.23;
#      4910 0.00456; 4100 -1.23456.
case('09-late-adjustments', 62,
     {1: dict(BASE, **{'eas-1.csv': [EAS, shared('e1', 'acc-1', '2026-11-20T00:00:00Z', 123456)]}),
      2: {'adjustments-2.csv': [ADJ, 'L1,acc-1,2026-11-20T00:00:00Z,debit,get,0.00544,,late',
                                'L2,acc-1,2026-12-02T00:00:00Z,credit,get,0.1,,late too']}},
     [('run', 1, '2026-12-02T00:00:00Z'), ('close', '2026-11'), ('close', '2026-12'),
      ('run', 2, '2026-12-03T00:00:00Z'), ('close', '2027-01')],
     [(1, 'inv', '2026-11', 'acc-1', dict(amount_due='1.23', round_down='0.00456')),
      (2, 'invset', {'2026-11|acc-1'}),
      (3, 'inv', '2027-01', 'acc-1', dict(debits='0.00544', credits='0.1', amount_due='0', round_down='0.00544',
                                          status='draft', invoice_no=None)),
      (3, 'adj', 'L1', dict(period='2027-01', late=True, status='draft', note_no=None)),
      (-1, 'adj', 'L1', dict(period='2027-01', late=True, status='final', note_no='DN-202701-000001')),
      (-1, 'adj', 'L2', dict(note_no='CN-202701-000001', late=True)),
      (-1, 'inv', '2027-01', 'acc-1', dict(invoice_no='INV-202701-000001', status='final')),
      (-1, 'tb', '2027-01', {4910: '0.00544', 4920: '0.09456', 2100: '-0.1'}),
      (-1, 'tb', '2026-11', {1100: '1.23', 4910: '0.00456', 4100: '-1.23456'})])

# ---------------------------------------------------------------------------------------------
# 10. Ids in the memory: within one run the first row claims its id even when it is rejected;
#     across runs only accepted rows count, and the EAS and OSS ids are separate.
#     night 1 (11-10): eas-1 k1 acc-9 (unknown) -> unknown_account; k1 again (acc-1) -> duplicate_record
#                      (claimed by line 2 in the same run); k2 acc-1 50,000 = 0.5 accepted.
#     night 2 (11-11): eas-2 k1 acc-1 100,000 = 1 CNY -> accepted (night 1 accepted no k1);
#                      k2 changed -> duplicate_record; oss-2 k2 get 3 -> accepted (another source),
#                      3 x 10,000 e8 = 0.0003 CNY.
#     invoice 2026-11 acc-1: gross 0.5 + 1 + 0.0003 = 1.5003, amount_due 1.50, round_down 0.0003.
case('10-claims-and-sources', 62,
     {1: dict(BASE, **{'eas-1.csv': [EAS, shared('k1', 'acc-9', '2026-11-05T00:00:00Z', 100000),
                                     shared('k1', 'acc-1', '2026-11-05T00:00:00Z', 100000),
                                     shared('k2', 'acc-1', '2026-11-05T00:00:00Z', 50000)]}),
      2: {'eas-2.csv': [EAS, shared('k1', 'acc-1', '2026-11-05T00:00:00Z', 100000),
                        shared('k2', 'acc-1', '2026-11-06T00:00:00Z', 1)],
          'oss-2.csv': [OSS, 'k2,acc-1,b,cn,2026-11-05T00:00:00Z,get_requests,3']}},
     [('run', 1, '2026-11-10T00:00:00Z'), ('run', 2, '2026-11-11T00:00:00Z')],
     [(-1, 'rejects', {'eas-1.csv|2': 'unknown_account', 'eas-1.csv|3': 'duplicate_record',
                       'eas-2.csv|3': 'duplicate_record'}),
      (-1, 'inv', '2026-11', 'acc-1', dict(gross='1.5003', amount_due='1.5', round_down='0.0003'))])


# ---------------------------------------------------------------------------------------------
def write(root, nights):
    dirs = {}
    for n, files in nights.items():
        d = os.path.join(root, 'night%d' % n)
        os.makedirs(d)
        for name, content in files.items():
            data = content if isinstance(content, bytes) else ('\n'.join(content) + '\n').encode()
            with open(os.path.join(d, name), 'wb') as f:
                f.write(data)
        dirs[n] = d
    return dirs


AMOUNTS = ('gross', 'free', 'plan', 'coupon', 'balance', 'outstanding', 'credits', 'debits', 'round_down',
           'amount_due', 'amount')


def want_value(field, v):
    return e8(v) if field in AMOUNTS and v is not None else v


def check_state(st, chk, states):
    """-> list of differences"""
    what, args = chk[1], chk[2:]
    out = []
    if what == 'rc':
        if st['rc'] != args[0]:
            out.append('exit %s, want %s' % (st['rc'], args[0]))
    elif what == 'same_as':
        other = states[args[0]]
        for k in ('lines', 'rejects', 'files', 'trial_balance', 'invoices', 'adjustments'):
            if st[k] != other[k]:
                out.append('%s changed by a refused run' % k)
    elif what == 'rejects':
        if st['rejects'] != args[0]:
            out.append('rejects %s, want %s' % (sorted(st['rejects'].items()), sorted(args[0].items())))
    elif what == 'file':
        got = [f[1:] for f in st['files'] if f[0] == args[0]]
        if got != [args[1]]:
            out.append('file %s: %s, want %s' % (args[0], got, args[1]))
    elif what == 'files':
        got = sorted([f[0], f[1]] for f in st['files'])
        if got != args[0]:
            out.append('files %s, want %s' % (got, args[0]))
    elif what == 'inv':
        I = st['invoices'].get('%s|%s' % (args[0], args[1]))
        if I is None:
            return ['no invoice %s %s' % (args[0], args[1])]
        for f, v in args[2].items():
            if I[f] != want_value(f, v):
                out.append('invoice %s %s %s: %r, want %r' % (args[0], args[1], f, I[f], want_value(f, v)))
    elif what == 'invset':
        if set(st['invoices']) != args[0]:
            out.append('invoices %s, want %s' % (sorted(st['invoices']), sorted(args[0])))
    elif what == 'adj':
        x = st['adjustments'].get(args[0])
        if x is None:
            return ['no adjustment %s' % args[0]]
        for f, v in args[1].items():
            if x[f] != want_value(f, v):
                out.append('adjustment %s %s: %r, want %r' % (args[0], f, x[f], want_value(f, v)))
    elif what == 'adjset':
        if set(st['adjustments']) != args[0]:
            out.append('adjustments %s, want %s' % (sorted(st['adjustments']), sorted(args[0])))
    elif what == 'tb':
        per, nets = args
        got = {int(k.split('|')[1]): d - c for k, (d, c, td, tc) in st['trial_balance'].items()
               if k.split('|')[0] == per and d - c}
        want = {c: e8(v) for c, v in nets.items() if e8(v)}
        if got != want:
            out.append('ledger %s nets %s, want %s' % (per, got, want))
    else:
        raise ValueError(what)
    return out


def ledger_check(name, dirs, late_days, ledger, checks, final):
    """one run + closes through ledger_oracle.py: the same invoices, adjustments and nets"""
    as_of, closes = ledger
    res = LO.model(dirs[1], as_of, closes, late_days=late_days)
    out = []
    inv = {'%s|%s' % (i['period'], i['account_id']): i for i in res['invoices']}
    for k, I in final['invoices'].items():
        J = inv.get(k)
        for f in AMOUNTS[:-1] + ('invoice_no', 'status'):
            if J is None or J[f] != I[f]:
                out.append('ledger_oracle invoice %s %s: %s, multirun %s' % (k, f, J and J[f], I[f]))
    if set(inv) != set(final['invoices']):
        out.append('ledger_oracle invoices %s' % sorted(inv))
    adj = {a['adjustment_id']: a for a in res['adjustments']}
    for k, x in final['adjustments'].items():
        a = adj.get(k)
        for f in ('period', 'late', 'note_no', 'status', 'invoice_no', 'kind', 'item', 'adjustment_time'):
            if a is None or a[f] != x[f]:
                out.append('ledger_oracle adjustment %s %s: %s, multirun %s' % (k, f, a and a[f], x[f]))
        if a is None or a['amount_e8'] != x['amount']:
            out.append('ledger_oracle adjustment %s amount' % k)
    tb = {'%s|%d' % (r['period'], r['account_code']): r['net_e8'] for r in res['trial_balance'] if r['net_e8']}
    mtb = {k: d - c for k, (d, c, td, tc) in final['trial_balance'].items() if d - c}
    if tb != mtb:
        out.append('ledger_oracle nets %s, multirun %s' % (tb, mtb))
    return out


def main():
    verbose = '-v' in sys.argv
    tmp = tempfile.mkdtemp(prefix='check_corrections.')
    bad = 0
    try:
        for name, late_days, nights, steps, checks, ledger in CASES:
            root = os.path.join(tmp, name)
            dirs = write(root, nights)
            msteps = [{'init': {'late_days': late_days}}]
            for s in steps:
                msteps.append({'run': dirs[s[1]], 'as_of': s[2]} if s[0] == 'run' else {'close': s[1]})
            _, states = MO.model(msteps)
            states = states[1:]        # drop the init step: checks count the case's own steps
            diffs = []
            for chk in checks:
                i = chk[0]
                diffs += ['step %d: %s' % (i if i >= 0 else len(states) - 1, d)
                          for d in check_state(states[i], chk, states)]
            if ledger:
                diffs += ledger_check(name, dirs, late_days, ledger, checks, states[-1])
            bad += bool(diffs)
            print('%-34s %2d steps %2d checks%s: %s' % (name, len(steps), len(checks),
                                                          ' +ledger_oracle' if ledger else '',
                                                          'AGREE' if not diffs else 'DIFFER'))
            for d in diffs:
                print('    ' + d)
            if verbose:
                for s, st in zip(steps, states):
                    print('      %s rc %s rejects %d' % (s, st['rc'], len(st['rejects'])))
    finally:
        shutil.rmtree(tmp)
    print('ALL AGREE' if not bad else '%d case(s) DIFFER' % bad)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
