#!/usr/bin/python3
"""Independent reference implementation ("oracle") of the billing rules.

Written only from the spec (../shared/spec/{rules,formats,interfaces}.md and
the worked examples), by someone who had not read billrun's code, so that
the two readings can be compared (tests/integration/oracle_test.c).  Models ONE run over an empty database: validation, rejects, refused
files, rating (pieces and prices) and the deduction waterfall.  No ledger, no
close, no expiry processing (which does not affect coverage within one run).

corrections.md: the adjustments- file kind (validation, reasons, identical
re-sent ids, credits joining the prepaid balance at their time), too_late
(only with --late-days and --as-of: without them the database is modelled
as one without a lateness window, as billrun was before corrections.md),
and the record-id memory across runs (used by multirun_oracle.py).

Usage:
  /usr/bin/python3 oracle.py --inbox DIR [--tz-offset +08:00] [--as-of RFC3339]
                             [--late-days N] --out OUT.json [--pieces]
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import sys
from fractions import Fraction

# --------------------------------------------------------------------------
# constants
# --------------------------------------------------------------------------

HEADERS = {
    'accounts': ['account_id', 'name', 'address', 'tax_id', 'email'],
    'prices': ['item', 'spec', 'unit_price', 'effective_from', 'effective_to',
               'tod_from', 'tod_to', 'free_per_month'],
    'orders': ['order_id', 'account_id', 'order_time', 'kind', 'scope',
               'plan_type', 'quantity', 'unit', 'paid', 'valid_days',
               'bundle_id'],
    'eas': ['record_id', 'account_id', 'service_id', 'tool', 'edition', 'spec',
            'start_time', 'end_time', 'gpu_ms'],
    'oss': ['record_id', 'account_id', 'bucket', 'region', 'hour_start',
            'metric', 'value'],
    # corrections.md section 3
    'adjustments': ['adjustment_id', 'account_id', 'adjustment_time', 'kind', 'item',
                    'amount', 'invoice_no', 'reason'],
}
KIND_ORDER = ['accounts', 'prices', 'orders', 'adjustments', 'eas', 'oss']
ADJ_KINDS = ['credit', 'debit']

ITEMS = ['compute_shared', 'compute_exclusive', 'storage', 'egress', 'put', 'get']
GB = 1 << 30
# divisor: base units -> price unit
DIVISOR = {
    'compute_shared': 1000,
    'compute_exclusive': 3600,
    'storage': GB * 720,
    'egress': GB,
    'put': 10000,
    'get': 10000,
}
# display unit -> base units (free_per_month is in display units)
DISPLAY_TO_BASE = {
    'compute_shared': 1000,       # GPU-seconds -> gpu_ms
    'compute_exclusive': 3600,    # hours -> s
    'storage': GB,                # GB-hours -> byte-hours
    'egress': GB,                 # GB -> bytes
    'put': 1,
    'get': 1,
}
# plan unit of each item, and unit -> base-unit factor
ITEM_UNIT = {
    'compute_shared': 'gpu_second',
    'compute_exclusive': 'hour',
    'storage': 'GB',
    'egress': 'GB',
    'put': 'request',
    'get': 'request',
}
UNIT_TO_BASE = {'gpu_second': 1000, 'hour': 3600, 'GB': GB, 'request': 1}
UNITS = ['CNY', 'gpu_second', 'hour', 'GB', 'request']
ORDER_KINDS = ['plan', 'coupon', 'topup', 'payment']
PLAN_TYPES = ['amount', 'pool', 'monthly', 'capacity']
TOOLS = ['stable_diffusion', 'comfyui']
EDITIONS = ['shared', 'exclusive']
METRICS = {'storage_bytes': 'storage', 'egress_bytes': 'egress',
           'put_requests': 'put', 'get_requests': 'get'}

MAX63 = (1 << 63) - 1
E8 = 10 ** 8
E10 = 10 ** 10

NUM_RE = re.compile(r'-?[0-9]+(\.[0-9]+)?', re.ASCII)
TS_RE = re.compile(
    r'([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})'
    r'(Z|[+-][0-9]{2}:[0-9]{2})', re.ASCII)
TOD_RE = re.compile(r'([0-9]{2}):([0-9]{2})', re.ASCII)
ACCT_RE = re.compile(r'[A-Za-z0-9_.\-]+', re.ASCII)
FILE_RE = re.compile(r'(accounts|prices|orders|adjustments|eas|oss)-.*\.csv', re.S)


class Reject(Exception):
    def __init__(self, reason):
        Exception.__init__(self, reason)
        self.reason = reason


def rhu(num, den):
    """round half up of num/den for num >= 0, den > 0."""
    assert num >= 0 and den > 0
    return (2 * num + den) // (2 * den)


# --------------------------------------------------------------------------
# time
# --------------------------------------------------------------------------

def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
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


def parse_offset(s):
    m = re.fullmatch(r'([+-])([0-9]{2}):([0-9]{2})', s, re.ASCII)
    if not m:
        raise ValueError('bad offset %r' % s)
    hh, mm = int(m.group(2)), int(m.group(3))
    if hh > 23 or mm > 59:
        raise ValueError('bad offset %r' % s)
    v = hh * 3600 + mm * 60
    return -v if m.group(1) == '-' else v


def parse_ts(s):
    """RFC 3339, exactly second resolution, Z or +-HH:MM -> epoch seconds UTC."""
    m = TS_RE.fullmatch(s)
    if not m:
        raise Reject('bad_timestamp')
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    try:
        datetime.datetime(y, mo, d, h, mi, se)
    except ValueError:
        raise Reject('bad_timestamp')
    off = 0
    if m.group(7) != 'Z':
        try:
            off = parse_offset(m.group(7))
        except ValueError:
            raise Reject('bad_timestamp')
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off


def fmt_utc(t):
    days, sec = divmod(t, 86400)
    y, m, d = civil_from_days(days)
    return '%04d-%02d-%02dT%02d:%02d:%02dZ' % (y, m, d, sec // 3600,
                                               sec % 3600 // 60, sec % 60)


# --------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------

def parse_decimal(s):
    """-> (numerator, frac_digits) meaning numerator / 10**frac_digits."""
    if not NUM_RE.fullmatch(s):
        raise Reject('bad_number')
    neg = s.startswith('-')
    body = s[1:] if neg else s
    if '.' in body:
        ip, fp = body.split('.')
    else:
        ip, fp = body, ''
    n = int(ip + fp) if (ip + fp) else 0
    return (-n if neg else n), len(fp)


def scaled(num, digits, scale):
    """num/10**digits * scale as an exact integer, or None if not integral."""
    top = num * scale
    den = 10 ** digits
    if top % den:
        return None
    return top // den


# --------------------------------------------------------------------------
# CSV (RFC 4180) at byte level, tracking physical lines
# --------------------------------------------------------------------------

class Rec(object):
    __slots__ = ('line', 'raw', 'fields', 'malformed', 'empty')


def parse_csv(data):
    """Split bytes into records.  Line ends: LF or CRLF (a lone CR is data).

    Returns a list of Rec with raw bytes (record text without its line end),
    fields as bytes (unquoted) and a malformed flag (bad quoting)."""
    recs = []
    n = len(data)
    pos = 0
    line = 1
    while pos < n:
        r = Rec()
        r.line = line
        start = pos
        fields = []
        cur = bytearray()
        malformed = False
        at_field_start = True
        in_quotes = False
        after_quote = False
        end_of_raw = None
        while True:
            if pos >= n:
                if in_quotes:
                    malformed = True
                end_of_raw = pos
                fields.append(bytes(cur))
                break
            c = data[pos]
            if in_quotes:
                if c == 0x22:  # "
                    if pos + 1 < n and data[pos + 1] == 0x22:
                        cur.append(0x22)
                        pos += 2
                        continue
                    in_quotes = False
                    after_quote = True
                    pos += 1
                    continue
                if c == 0x0A:
                    line += 1
                cur.append(c)
                pos += 1
                continue
            # not in quotes
            if c == 0x0A or (c == 0x0D and pos + 1 < n and data[pos + 1] == 0x0A):
                end_of_raw = pos
                pos += 1 if c == 0x0A else 2
                line += 1
                fields.append(bytes(cur))
                break
            if c == 0x2C:  # ,
                fields.append(bytes(cur))
                cur = bytearray()
                at_field_start = True
                after_quote = False
                pos += 1
                continue
            if after_quote:
                # characters after a closing quote: bad quoting
                malformed = True
                cur.append(c)
                pos += 1
                continue
            if c == 0x22 and at_field_start and not cur:
                in_quotes = True
                at_field_start = False
                pos += 1
                continue
            # a quote inside an unquoted field is taken literally
            at_field_start = False
            cur.append(c)
            pos += 1
        r.raw = data[start:end_of_raw]
        r.fields = fields
        r.malformed = malformed
        r.empty = (r.raw == b'')
        recs.append(r)
    return recs


# --------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------

class Oracle(object):
    def __init__(self, tz_offset):
        self.tz = tz_offset
        self.files = []
        self.rejects = []
        self.accounts = {}          # account_id -> fields
        self.prices = []            # loaded price rows (dicts)
        self.orders = {}            # order_id -> accepted order dict
        self.order_list = []        # accepted, applied orders in file order
        self.claimed = {'eas': set(), 'oss': set()}
        self.usage = []             # accepted usage rows: list of pieces lists
        self.ambig = []
        # corrections.md
        self.window_lo = None       # charge times before this are too_late (None: no window)
        self.billed = {'eas': {}, 'oss': {}}   # ids accepted by EARLIER runs -> latest charge time
        self.accepted_ids = []      # (source, record_id, charge time) accepted by this run
        self.adjustments = {}       # adjustment_id -> accepted adjustment
        self.adj_list = []          # accepted adjustments in application order
        self.final_invoices = {}    # invoice_no -> {'account_id', 'limit' (gross - free, e8)}
        self.credited = {}          # invoice_no -> e8 of accepted credits naming it

    # ---------------------------------------------------------------- files
    def run(self, inbox):
        names = []
        for nm in os.listdir(inbox):
            p = os.path.join(inbox, nm)
            if not os.path.isfile(p):
                continue
            m = FILE_RE.fullmatch(nm)
            if not m:
                continue
            names.append((KIND_ORDER.index(m.group(1)), nm.encode('utf-8', 'surrogateescape'), nm, m.group(1)))
        names.sort()
        for _, _, nm, kind in names:
            with open(os.path.join(inbox, nm), 'rb') as f:
                data = f.read()
            self.apply_file(nm, kind, data)
        self.rate()

    def refuse(self, name, reason, kind=None, sha=None):
        self.files.append({'name': name, 'status': 'refused', 'reason': reason,
                           'rows': 0, 'accepted': 0, 'rejected': 0, 'kind': kind, 'sha256': sha})

    def apply_file(self, name, kind, data):
        sha = hashlib.sha256(data).hexdigest()
        if data.startswith(b'\xef\xbb\xbf'):
            data = data[3:]
        recs = parse_csv(data)
        # empty lines at the end of a file are ignored
        while recs and recs[-1].empty and not recs[-1].malformed:
            recs.pop()
        if not recs:
            return self.refuse(name, 'empty_file', kind, sha)
        hdr = recs[0]
        try:
            hfields = [f.decode('utf-8') for f in hdr.fields]
        except UnicodeDecodeError:
            return self.refuse(name, 'bad_header', kind, sha)
        if hdr.malformed or hfields != HEADERS[kind]:
            return self.refuse(name, 'bad_header', kind, sha)
        body = recs[1:]
        handler = getattr(self, 'row_' + kind)
        ncols = len(HEADERS[kind])
        file_rejects = []
        accepted_rows = []   # (line, parsed) for kinds that load at the end
        # a file is applied as a unit for prices (price_overlap check).  For
        # other kinds, rows are applied one after the other.
        staged = []
        for r in body:
            reason = None
            parsed = None
            try:
                try:
                    txt = r.raw.decode('utf-8')
                    fields = [f.decode('utf-8') for f in r.fields]
                except UnicodeDecodeError:
                    raise Reject('bad_utf8')
                if r.malformed or len(fields) != ncols:
                    raise Reject('bad_field_count')
                parsed = handler(fields, staged)
            except Reject as e:
                reason = e.reason
            if reason is not None:
                file_rejects.append({'file': name, 'line': r.line, 'reason': reason})
            else:
                accepted_rows.append((r.line, parsed))
        if kind == 'prices':
            reason = self.load_prices([p for _, p in accepted_rows])
            if reason:
                return self.refuse(name, reason, kind, sha)
        self.rejects.extend(file_rejects)
        self.files.append({'name': name, 'status': 'applied', 'reason': None,
                           'rows': len(body), 'accepted': len(accepted_rows),
                           'rejected': len(file_rejects), 'kind': kind, 'sha256': sha})

    # ------------------------------------------------------------ helpers
    @staticmethod
    def check_lengths(fields, kind):
        hdr = HEADERS[kind]
        for name, v in zip(hdr, fields):
            b = len(v.encode('utf-8'))
            if b > 1024:
                raise Reject('field_too_long')
            if name == 'account_id' and b > 64:
                raise Reject('field_too_long')
            if name in ('record_id', 'order_id', 'adjustment_id') and b > 128:
                raise Reject('field_too_long')

    @staticmethod
    def check_account_id(v):
        if not v or not ACCT_RE.fullmatch(v):
            raise Reject('bad_account_id')

    def claim(self, source, rid):
        if rid in self.claimed[source]:
            raise Reject('duplicate_record')
        self.claimed[source].add(rid)
        # corrections.md 1: a row of an earlier run, accepted, charged within this run's window
        t = self.billed[source].get(rid)
        if t is not None and (self.window_lo is None or t >= self.window_lo):
            raise Reject('duplicate_record')

    def check_late(self, t):
        """corrections.md 2: after the checks across fields, before unknown_account"""
        if self.window_lo is not None and t < self.window_lo:
            raise Reject('too_late')

    # ----------------------------------------------------------- accounts
    def row_accounts(self, f, staged):
        self.check_lengths(f, 'accounts')
        self.check_account_id(f[0])
        self.accounts[f[0]] = f[1:]
        return f[0]

    # ------------------------------------------------------------- prices
    def row_prices(self, f, staged):
        item, spec, up, efrom, eto, tfrom, tto, free = f
        self.check_lengths(f, 'prices')
        if item not in ITEMS:
            raise Reject('unknown_enum')
        # unit_price: at most 10 fractional digits, non-negative, 63 bits at e10
        num, dig = parse_decimal(up)
        if dig > 10:
            raise Reject('bad_number')
        price = scaled(num, dig, E10)
        if abs(price) > MAX63:
            raise Reject('bad_number')
        if price < 0:
            raise Reject('negative_quantity')
        t_from = parse_ts(efrom)
        t_to = parse_ts(eto) if eto != '' else None
        w_from = self.parse_tod(tfrom, allow_24=False) if tfrom != '' else None
        w_to = self.parse_tod(tto, allow_24=True) if tto != '' else None
        fnum = None
        if free != '':
            fnum = parse_decimal(free)
            if fnum[0] < 0:
                raise Reject('negative_quantity')
        # cross-field
        if (w_from is None) != (w_to is None):
            raise Reject('bad_timestamp')
        if t_to is not None and t_to <= t_from:
            raise Reject('end_before_start')
        free_base = None
        if fnum is not None:
            free_base = scaled(fnum[0], fnum[1], DISPLAY_TO_BASE[item])
            if free_base is None or free_base > MAX63:
                raise Reject('bad_number')
        return {'item': item, 'spec': spec, 'price': price, 'from': t_from,
                'to': t_to, 'w': (w_from, w_to) if w_from is not None else None,
                'free': free_base}

    @staticmethod
    def parse_tod(s, allow_24):
        m = TOD_RE.fullmatch(s)
        if not m:
            raise Reject('bad_timestamp')
        h, mi = int(m.group(1)), int(m.group(2))
        if h == 24 and mi == 0 and allow_24:
            return 86400
        if h > 23 or mi > 59:
            raise Reject('bad_timestamp')
        return h * 3600 + mi * 60

    @staticmethod
    def price_key(p):
        return (p['item'], p['spec'], p['price'], p['from'], p['to'], p['w'], p['free'])

    def load_prices(self, rows):
        """Apply a price file's accepted rows as a unit; return a refusal reason or None."""
        loaded = set(self.price_key(p) for p in self.prices)
        new = [p for p in rows if self.price_key(p) not in loaded]
        allrows = self.prices + new
        # overlap check: only pairs involving at least one new row
        n_old = len(self.prices)
        for i in range(n_old, len(allrows)):
            a = allrows[i]
            for j in range(i):
                b = allrows[j]
                if (a['item'], a['spec']) != (b['item'], b['spec']):
                    continue
                if (a['to'] is None) != (b['to'] is None):
                    continue  # dated over open: an override, not an overlap
                if a['to'] is not None:
                    lo, hi = max(a['from'], b['from']), min(a['to'], b['to'])
                else:
                    if a['from'] != b['from']:
                        continue
                    lo = a['from']
                    hi = self.open_end(allrows, a)
                if (hi is None or lo < hi) and self.windows_meet(a['w'], b['w'], lo, hi):
                    return 'price_overlap'
        self.prices.extend(new)
        return None

    @staticmethod
    def open_end(rows, p):
        ends = [q['from'] for q in rows if q['to'] is None and q['item'] == p['item']
                and q['spec'] == p['spec'] and q['from'] > p['from']]
        return min(ends) if ends else None

    @staticmethod
    def win_intervals(w):
        if w is None:
            return [(0, 86400)]
        a, b = w
        if a < b:
            return [(a, b)]
        if a > b:
            return [(a, 86400), (0, b)]
        return []   # tod_from == tod_to: empty window (see ambiguities)

    def windows_meet(self, wa, wb, lo, hi):
        """Is there an instant t in [lo, hi) (hi None = infinity) whose local
        time of day lies in both windows?"""
        inter = []
        for a0, a1 in self.win_intervals(wa):
            for b0, b1 in self.win_intervals(wb):
                s, e = max(a0, b0), min(a1, b1)
                if s < e:
                    inter.append((s, e))
        if not inter:
            return False
        if hi is None or hi - lo >= 86400:
            return True
        # walk local days covering [lo, hi)
        llo, lhi = lo + self.tz, hi + self.tz
        day = llo // 86400
        while day * 86400 < lhi:
            base = day * 86400
            for s, e in inter:
                if max(base + s, llo) < min(base + e, lhi):
                    return True
            day += 1
        return False

    def in_window(self, w, t):
        if w is None:
            return True
        tod = (t + self.tz) % 86400
        for s, e in self.win_intervals(w):
            if s <= tod < e:
                return True
        return False

    def find_price(self, item, spec, t):
        for sp in ([spec, '*'] if spec != '*' else ['*']):
            rows = [p for p in self.prices if p['item'] == item and p['spec'] == sp]
            if not rows:
                continue
            dated = [p for p in rows if p['to'] is not None and p['from'] <= t < p['to']
                     and self.in_window(p['w'], t)]
            if dated:
                assert len(dated) == 1
                return dated[0]
            opens = [p for p in rows if p['to'] is None and p['from'] <= t]
            if opens:
                f = max(p['from'] for p in opens)
                cur = [p for p in opens if p['from'] == f and self.in_window(p['w'], t)]
                if cur:
                    assert len(cur) == 1
                    return cur[0]
        return None

    # ------------------------------------------------------------- orders
    def row_orders(self, f, staged):
        (oid, acct, otime, kind, scope, ptype, qty, unit, paid, vdays, bundle) = f
        self.check_lengths(f, 'orders')
        # single-field checks in column order
        self.check_account_id(acct)
        t = parse_ts(otime)
        if kind not in ORDER_KINDS:
            raise Reject('unknown_enum')
        items = None
        if scope != '':
            if scope == '*':
                items = list(ITEMS)
            else:
                items = scope.split('|')
                if any(x not in ITEMS for x in items):
                    raise Reject('unknown_enum')
        if ptype != '' and ptype not in PLAN_TYPES:
            raise Reject('unknown_enum')
        qnum = None
        if qty != '':
            qnum = parse_decimal(qty)
            if qnum[0] < 0:
                raise Reject('negative_quantity')
        if unit != '' and unit not in UNITS:
            raise Reject('unknown_enum')
        paid_e8 = None
        if paid != '':
            pn = parse_decimal(paid)
            paid_e8 = scaled(pn[0], pn[1], E8)
            if paid_e8 is None or abs(paid_e8) > MAX63:
                raise Reject('bad_number')
            if paid_e8 < 0:
                raise Reject('negative_quantity')
        vd = None
        if vdays != '':
            vn = parse_decimal(vdays)
            if vn[1] != 0:
                raise Reject('bad_number')   # a fraction (even 30.0) is bad_number
            vd = vn[0]
            if abs(vd) > MAX63:
                raise Reject('bad_number')
        # the order's values, for "an order_id seen before with the same fields" (corrections.md 3:
        # "compared as values, as for orders: 12.5 and 12.50 are the same amount")
        vals = (acct, t, kind, scope, ptype,
                None if qnum is None else Fraction(qnum[0], 10 ** qnum[1]),
                unit, paid_e8, vd, bundle)
        # checks across fields
        face = None
        if kind in ('plan', 'coupon'):
            if items is None:
                raise Reject('bad_plan')
            if kind == 'plan' and ptype == '':
                raise Reject('bad_plan')
            if qnum is None:
                raise Reject('bad_number')
            if unit == '':
                raise Reject('bad_plan')
            if kind == 'plan' and paid_e8 is None:
                raise Reject('bad_number')
            if vd is None:
                if kind == 'coupon':
                    raise Reject('bad_number')
                vd = 365
            if vd < 1:
                raise Reject('bad_plan')
            if kind == 'coupon' or ptype == 'amount':
                if unit != 'CNY':
                    raise Reject('bad_plan')
                face = scaled(qnum[0], qnum[1], E8)
            else:
                if ptype in ('pool', 'monthly') and 'storage' in items:
                    raise Reject('bad_plan')
                if ptype == 'capacity' and set(items) != {'storage'}:
                    raise Reject('bad_plan')
                units = set(ITEM_UNIT[x] for x in items)
                if len(units) != 1:
                    raise Reject('bad_plan')
                if unit != units.pop():
                    raise Reject('bad_plan')
                face = scaled(qnum[0], qnum[1], UNIT_TO_BASE[unit])
            if face is None or face > MAX63:
                raise Reject('bad_number')
        else:
            if paid_e8 is None:
                raise Reject('bad_number')
        if acct not in self.accounts:
            raise Reject('unknown_account')
        if oid in self.orders:
            same = (self.orders[oid]['raw'] == tuple(f)) if ORDERS_AS_TEXT else (self.orders[oid]['vals'] == vals)
            if same:
                return ('ignored', oid)
            raise Reject('conflicting_order')
        o = {'order_id': oid, 'account_id': acct, 't': t, 'kind': kind,
             'items': items, 'plan_type': ptype if kind == 'plan' else None,
             'face': face, 'unit': unit, 'paid': paid_e8, 'raw': tuple(f), 'vals': vals}
        if kind in ('plan', 'coupon'):
            o['valid_from'] = t
            o['valid_to'] = t + vd * 86400
        if kind == 'plan' and set(items) == {'storage'}:
            for q in self.order_list:
                if (q['kind'] == 'plan' and q['account_id'] == acct and set(q['items']) == {'storage'}
                        and q['valid_from'] < o['valid_to'] and o['valid_from'] < q['valid_to']):
                    raise Reject('plan_limit')
        self.orders[oid] = o
        self.order_list.append(o)
        return ('applied', oid)

    # -------------------------------------------------------- adjustments
    def row_adjustments(self, f, staged):
        """corrections.md section 3.  Order of reasons: bad_utf8, bad_field_count (caller),
        field_too_long, single fields in column order (bad_account_id, bad_timestamp,
        unknown_enum kind, unknown_enum item, bad_number / negative_quantity amount,
        missing_reason), unknown_account, conflicting_adjustment, unknown_invoice, over_credit."""
        aid, acct, atime, kind, item, amount, inv, reason = f
        self.check_lengths(f, 'adjustments')
        if aid == '':
            raise Reject('field_too_long')      # "1 to 128 bytes (field_too_long)" (reading A1)
        self.check_account_id(acct)
        t = parse_ts(atime)
        if kind not in ADJ_KINDS:
            raise Reject('unknown_enum')
        if item not in ITEMS:
            raise Reject('unknown_enum')
        num, dig = parse_decimal(amount)        # syntax: bad_number
        if dig > 8:
            raise Reject('bad_number')          # more than 8 fractional digits, even zeros (A2)
        v = scaled(num, dig, E8)
        if abs(v) > MAX63:
            raise Reject('bad_number')
        if amount.startswith('-'):
            raise Reject('negative_quantity')   # "a minus sign is negative_quantity" ('-0' too: A3)
        if v == 0:
            raise Reject('bad_number')          # "greater than 0"
        # invoice_no has no check of its own (unknown_invoice needs the database)
        if reason == '':
            raise Reject('missing_reason')      # a single-field check, in column order (A4)
        if acct not in self.accounts:
            raise Reject('unknown_account')
        vals = (acct, t, kind, item, v, inv, reason)
        if aid in self.adjustments:
            if self.adjustments[aid]['vals'] == vals:
                return ('ignored', aid)
            raise Reject('conflicting_adjustment')
        fi = None
        if inv != '':
            fi = self.final_invoices.get(inv)
            if fi is None or fi['account_id'] != acct:
                raise Reject('unknown_invoice')
        if kind == 'credit' and fi is not None:
            if self.credited.get(inv, 0) + v > fi['limit']:
                raise Reject('over_credit')
            self.credited[inv] = self.credited.get(inv, 0) + v
        a = {'adjustment_id': aid, 'account_id': acct, 't': t, 'kind': kind, 'item': item,
             'amount': v, 'invoice_no': inv if inv != '' else None, 'reason': reason, 'vals': vals}
        self.adjustments[aid] = a
        self.adj_list.append(a)
        return ('applied', aid)

    # -------------------------------------------------------------- usage
    def row_eas(self, f, staged):
        rid, acct, svc, tool, edition, spec, st, et, gms = f
        self.claim('eas', rid)
        self.check_lengths(f, 'eas')
        self.check_account_id(acct)
        if tool not in TOOLS:
            raise Reject('unknown_enum')
        if edition not in EDITIONS:
            raise Reject('unknown_enum')
        t0 = parse_ts(st)
        t1 = parse_ts(et)
        g = None
        if gms != '':
            gn = parse_decimal(gms)
            if gn[1] != 0:
                raise Reject('bad_number')
            if abs(gn[0]) > MAX63:
                raise Reject('bad_number')
            if gn[0] < 0:
                raise Reject('negative_quantity')
            g = gn[0]
        if t1 < t0:
            raise Reject('end_before_start')
        if edition == 'shared':
            if g is None:
                raise Reject('bad_number')
            item = 'compute_shared'
            pieces = [(t0, g)]
        else:
            if t1 - t0 > 31 * 86400:
                raise Reject('interval_too_long')
            if g is not None:
                raise Reject('bad_number')
            item = 'compute_exclusive'
            pieces = []
            a = t0
            while a < t1:
                b = min((a // 3600 + 1) * 3600, t1)
                pieces.append((a, b - a))
                a = b
        self.check_late(t0)
        if acct not in self.accounts:
            raise Reject('unknown_account')
        priced = []
        for (t, q) in pieces:
            p = self.find_price(item, spec, t)
            if p is None:
                raise Reject('no_price')
            priced.append((t, q, p))
        for (t, q, p) in priced:
            self.usage.append({'source': 'eas', 'record_id': rid, 'account_id': acct,
                               'item': item, 't': t, 'q': q, 'price': p, 'spec': spec})
        self.accepted_ids.append(('eas', rid, t0))
        return rid

    def row_oss(self, f, staged):
        rid, acct, bucket, region, hs, metric, value = f
        self.claim('oss', rid)
        self.check_lengths(f, 'oss')
        self.check_account_id(acct)
        t = parse_ts(hs)
        if t % 3600:
            raise Reject('not_hour_aligned')
        if metric not in METRICS:
            raise Reject('unknown_enum')
        vn = parse_decimal(value)
        if vn[1] != 0 or abs(vn[0]) > MAX63:
            raise Reject('bad_number')
        if vn[0] < 0:
            raise Reject('negative_quantity')
        item = METRICS[metric]
        self.check_late(t)
        if acct not in self.accounts:
            raise Reject('unknown_account')
        p = self.find_price(item, '*', t)
        if p is None:
            raise Reject('no_price')
        self.usage.append({'source': 'oss', 'record_id': rid, 'account_id': acct,
                           'item': item, 't': t, 'q': vn[0], 'price': p, 'spec': '*'})
        self.accepted_ids.append(('oss', rid, t))
        return rid

    # ------------------------------------------------------------- rating
    def period(self, t):
        y, m, d = civil_from_days((t + self.tz) // 86400)
        return '%04d-%02d' % (y, m)

    def rate(self):
        pieces = self.usage
        for pc in pieces:
            p = pc['price']
            div = DIVISOR[pc['item']]
            pc['div'] = div
            pc['p'] = p['price']
            pc['gross'] = rhu(pc['q'] * p['price'], div * 100)
            pc['free_cap'] = p['free'] or 0
        accts = sorted(set([pc['account_id'] for pc in pieces] +
                           [o['account_id'] for o in self.order_list] +
                           [x['account_id'] for x in self.adj_list]),
                       key=lambda s: s.encode())
        self.free_used = {}
        self.plan_state = {}
        for o in self.order_list:
            if o['kind'] in ('plan', 'coupon'):
                self.plan_state[o['order_id']] = {'consumed': 0, 'month': {}, 'hour': {}}
        self.bal = {}
        for a in accts:
            self.waterfall(a, [pc for pc in pieces if pc['account_id'] == a],
                           [o for o in self.order_list if o['account_id'] == a])

    def waterfall(self, acct, pieces, orders):
        ev = []
        for o in orders:
            ev.append(((o['t'], 0, o['order_id'].encode(), 0), 'o', o))
        # corrections.md 3: at one instant orders, then adjustments by adjustment_id, then pieces
        for x in self.adj_list:
            if x['account_id'] == acct:
                ev.append(((x['t'], 1, x['adjustment_id'].encode(), 0), 'a', x))
        for pc in pieces:
            ev.append(((pc['t'], 2, pc['record_id'].encode(), 0 if pc['source'] == 'eas' else 1),
                       'p', pc))
        ev.sort(key=lambda e: e[0])
        bal = {'topups': 0, 'drawn': 0, 'avail': 0, 'credits': 0}
        self.bal[acct] = bal
        plans = sorted([o for o in orders if o['kind'] == 'plan'],
                       key=lambda o: (o['valid_to'], o['valid_from'], o['order_id'].encode()))
        coupons = sorted([o for o in orders if o['kind'] == 'coupon'],
                         key=lambda o: (o['valid_to'], o['valid_from'], o['order_id'].encode()))
        for _, typ, x in ev:
            if typ == 'o':
                if x['kind'] == 'topup':
                    bal['topups'] += x['paid']
                    bal['avail'] += x['paid']
                continue
            if typ == 'a':
                if x['kind'] == 'credit':       # joins the prepaid balance at its time, like a top-up
                    bal['credits'] += x['amount']
                    bal['avail'] += x['amount']
                continue
            self.pay_piece(x, plans, coupons, bal)

    def pay_piece(self, pc, plans, coupons, bal):
        alloc = {'free': 0, 'plan': 0, 'coupon': 0, 'balance': 0, 'outstanding': 0}
        draws = []
        pc['alloc'] = alloc
        pc['draws'] = draws
        # ledger extension: consumption order and typed draws
        self.seq = getattr(self, 'seq', 0) + 1
        pc['seq'] = self.seq
        d2 = pc['draws2'] = []
        t, item, price, div = pc['t'], pc['item'], pc['p'], pc['div']
        uv = pc['gross']
        uu = pc['q']
        if uv == 0:
            return

        def unit_cover(left):
            # returns (u, value)
            u = min(left, uu)
            if u == uu:
                return u, uv
            return u, min(uv, rhu(u * price, div * 100))

        def money_after(v_unpaid):
            return (v_unpaid * div * 100) // price

        # 1. free
        key = (pc['account_id'], item, self.period(t))
        used = self.free_used.get(key, 0)
        left = max(0, pc['free_cap'] - used)
        if left > 0 and uu > 0:
            u, v = unit_cover(left)
            self.free_used[key] = used + u
            alloc['free'] += v
            draws.append(('free', u, v))
            uv -= v
            uu -= u
        # 2. plans
        for o in plans:
            if uv == 0:
                break
            if item not in o['items'] or not (o['valid_from'] <= t < o['valid_to']):
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
                draws.append((o['order_id'], None, v))
                d2.append(('plan', o['order_id'], v, v))
                uv -= v
                uu = money_after(uv)
            else:
                if pt == 'pool':
                    left = o['face'] - st['consumed']
                elif pt == 'monthly':
                    mk = self.period(t)
                    left = o['face'] - st['month'].get(mk, 0)
                else:  # capacity: per UTC clock hour
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
                draws.append((o['order_id'], u, v))
                d2.append(('plan', o['order_id'], u, v))
                uv -= v
                uu -= u
        # 3. coupons
        for o in coupons:
            if uv == 0:
                break
            if item not in o['items'] or not (o['valid_from'] <= t < o['valid_to']):
                continue
            st = self.plan_state[o['order_id']]
            left = o['face'] - st['consumed']
            if left <= 0:
                continue
            v = min(left, uv)
            st['consumed'] += v
            alloc['coupon'] += v
            draws.append((o['order_id'], None, v))
            d2.append(('coupon', o['order_id'], v, v))
            uv -= v
            uu = money_after(uv)
        # 4. balance
        if uv > 0 and bal['avail'] > 0:
            v = min(bal['avail'], uv)
            bal['avail'] -= v
            bal['drawn'] += v
            alloc['balance'] += v
            draws.append(('balance', None, v))
            uv -= v
            uu = money_after(uv)
        # 5. outstanding
        alloc['outstanding'] = uv
        assert pc['gross'] == sum(alloc.values())

    # ------------------------------------------------------------- output
    def result(self, with_pieces=False):
        lines = {}
        for pc in self.usage:
            k = (self.period(pc['t']), pc['account_id'], pc['item'])
            L = lines.setdefault(k, {'period': k[0], 'account_id': k[1], 'item': k[2],
                                     'quantity_base': 0, 'gross_e8': 0, 'free_e8': 0,
                                     'plan_e8': 0, 'coupon_e8': 0, 'balance_e8': 0,
                                     'outstanding_e8': 0})
            L['quantity_base'] += pc['q']
            L['gross_e8'] += pc['gross']
            a = pc.get('alloc') or {}
            for s in ('free', 'plan', 'coupon', 'balance', 'outstanding'):
                L[s + '_e8'] += a.get(s, 0)
        out = {
            'rejects': sorted(self.rejects, key=lambda r: (r['file'].encode(), r['line'])),
            'files': self.files,
            'invoice_lines': [lines[k] for k in sorted(lines, key=lambda k: (k[0], k[1].encode(), k[2]))],
            'plans': [{'order_id': o['order_id'], 'account_id': o['account_id'],
                       'plan_type': o['plan_type'],
                       'consumed_base': self.plan_state[o['order_id']]['consumed']}
                      for o in sorted(self.order_list, key=lambda o: (o['account_id'].encode(), o['order_id'].encode()))
                      if o['kind'] == 'plan'],
            'coupons': [{'order_id': o['order_id'], 'account_id': o['account_id'],
                         'used_e8': self.plan_state[o['order_id']]['consumed']}
                        for o in sorted(self.order_list, key=lambda o: (o['account_id'].encode(), o['order_id'].encode()))
                        if o['kind'] == 'coupon'],
            'balances': [{'account_id': a, 'topups_e8': b['topups'], 'drawn_e8': b['drawn'],
                          'credits_e8': b['credits']}
                         for a, b in sorted(self.bal.items(), key=lambda kv: kv[0].encode())
                         if b['topups'] or b['drawn'] or b['credits']],
            'adjustments': [adj_out(x) for x in sorted(self.adj_list, key=lambda x: x['adjustment_id'].encode())],
            'ambiguities': AMBIGUITIES,
        }
        if with_pieces:
            out['pieces'] = [{
                'source': pc['source'], 'record_id': pc['record_id'],
                'account_id': pc['account_id'], 'item': pc['item'],
                't': fmt_utc(pc['t']), 'period': self.period(pc['t']),
                'quantity_base': pc['q'], 'unit_price_e10': pc['p'],
                'gross_e8': pc['gross'], 'alloc': pc.get('alloc'),
                'draws': pc.get('draws')} for pc in
                sorted(self.usage, key=lambda pc: (pc['account_id'].encode(), pc['t'],
                                                   pc['record_id'].encode(), pc['source']))]
        return out


AMBIGUITIES = [
    # filled in below (kept as a module constant so it is part of every output)
]

# ORDERS_AS_TEXT=1: the reading before corrections.md (an order sent again is the same order only when
# its 11 fields are the same text).  Default: compared as values (corrections.md 3, "as for orders").
ORDERS_AS_TEXT = os.environ.get('ORDERS_AS_TEXT') == '1'


def adj_out(x):
    return {'adjustment_id': x['adjustment_id'], 'account_id': x['account_id'],
            'adjustment_time': fmt_utc(x['t']), 'kind': x['kind'], 'item': x['item'],
            'amount_e8': x['amount'], 'invoice_no': x['invoice_no'], 'reason': x['reason']}


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument('--inbox', required=True)
    ap.add_argument('--tz-offset', default='+08:00')
    ap.add_argument('--as-of', default=None,
                    help='accepted for interface parity; it does not change rating in one run')
    ap.add_argument('--late-days', type=int, default=None,
                    help='the database\'s lateness window (corrections.md 2); with --as-of, rows charged '
                         'before as-of - N days are too_late. Omitted: no window')
    ap.add_argument('--out', required=True)
    ap.add_argument('--pieces', action='store_true', help='also dump every piece and its draws')
    a = ap.parse_args(argv)
    try:
        tz = parse_offset(a.tz_offset)
    except ValueError:
        ap.error('bad --tz-offset')
    as_of = None
    if a.as_of is not None:
        try:
            as_of = parse_ts(a.as_of)
        except Reject:
            ap.error('bad --as-of')
    if a.late_days is not None and not 1 <= a.late_days <= 366:
        ap.error('--late-days is 1 to 366')
    o = Oracle(tz)
    if a.late_days is not None and as_of is not None:
        o.window_lo = as_of - a.late_days * 86400
    o.run(a.inbox)
    res = o.result(a.pieces)
    with open(a.out, 'w') as f:
        json.dump(res, f, indent=1, ensure_ascii=False)
        f.write('\n')
    return 0


AMBIGUITIES.extend([
    "reprices_history cannot occur: within one run over an empty database every price file is applied before any usage is rated, so no price row can change an already rated piece.",
    "changed_content cannot occur in one run (file names are unique in a folder); 'already applied, same name and content' likewise.",
    "Only regular files whose name matches <kind>-*.csv (kind = accounts|prices|orders|eas|oss, case-sensitive) are read; directories are ignored. Name order = byte order of the file name.",
    "A record_id is claimed only by rows that get past bad_utf8 and bad_field_count (those rows' fields are not reliably identified); any later rejection (field_too_long, unknown_account, no_price...) still claims it.",
    "CSV: a line end is LF or CRLF; a lone CR is ordinary data and does not count as a physical line. Bad quoting (text after a closing quote, unterminated quote at end of file) is reported as bad_field_count. A quote inside an unquoted field is taken literally.",
    "Field lengths (1024 / 64 / 128) are measured in UTF-8 bytes, including account_id.",
    "'Empty line' means a line with no bytes before its LF/CRLF; a line of spaces is a one-field record (bad_field_count).",
    "Number checks per field: the syntax, representability at the field's scale and 63-bit range give bad_number before the sign check gives negative_quantity. '-0' has value 0 and is not negative.",
    "unit_price: more than 10 fractional digits is bad_number even when the extra digits are zeros (digit count, as the text says). paid: must be an exact multiple of 1e-8 CNY (trailing zeros beyond 8 digits allowed), else bad_number.",
    "Integer fields (gpu_ms, value, valid_days) written with a fraction part, even '.0', are bad_number (settled for valid_days by example 18; applied alike to gpu_ms and value).",
    "free_per_month (display units) and plan quantity (plan unit) are converted to exact base units (and CNY faces to e8); a value that is not a whole number of base units, or exceeds 2^63-1 after conversion, is bad_number, checked as a cross-field check (its scale depends on item/unit).",
    "tod_from = tod_to (e.g. 08:00-08:00) is accepted and is an empty window (applies at no instant); it is not a full day. 24:00 is only valid as tod_to; tod minutes must be 00-59.",
    "RFC 3339 parsing accepts only uppercase 'T' and 'Z', seconds 00-59 (no leap second), offsets -23:59..+23:59.",
    "OSS rows have no spec: only price rows with spec '*' can price them; a non-'*' row for an OSS item is accepted but never applies.",
    "Price lookup order: exact-spec dated row applying at t, else exact-spec open rows of the latest effective_from <= t whose window contains t, else the same two steps for '*'. Open rows of an older set are NOT used when the latest set has no window covering t (they ended).",
    "A price row is 'identical' when item, spec, unit_price (numeric), effective_from/to (as instants), window and free_per_month (numeric, in base units) are equal. Only rows identical to a row loaded by an EARLIER file are ignored; two identical rows inside one file are two rows and, being open rows with one effective_from and meeting windows (or dated rows that meet), refuse the file as price_overlap.",
    "price_overlap for two open rows with one effective_from is tested over their actual life [effective_from, next later open effective_from) using the rows loaded so far plus the file itself; windows must share a local time of day inside that life.",
    "Exclusive intervals are split at UTC clock hours (for offsets with minutes, e.g. +05:30, a piece may then straddle a local midnight/month; it is charged at its start).",
    "A shared job with gpu_ms = 0 (and a storage/egress/request row with value 0) is a priced piece: it needs a price (else no_price) and creates an invoice line with quantity 0 if it is the only usage; an exclusive row with end = start has no piece and needs no price.",
    "Orders: scope is either exactly '*' or '|'-separated known items (an empty component or unknown item is unknown_enum, a single-field check). Fields a kind does not use (e.g. scope on a top-up, plan_type on a coupon, paid on a coupon) are validated for format if non-empty but otherwise ignored.",
    "Orders, missing required values (cross-field checks, in column order): plan/coupon without scope, plan without plan_type, plan/coupon without unit -> bad_plan; plan/coupon without quantity, plan/top-up/payment without paid, coupon without valid_days -> bad_number; then valid_days < 1 -> bad_plan; then the plan-shape rules (bad_plan); then face conversion (bad_number).",
    "EAS cross-field order: end_before_start, then (exclusive) interval_too_long (> 31*86400 s; exactly 31 days is fine), then the gpu_ms presence rule (shared needs it, exclusive must leave it empty; both bad_number).",
    "not_hour_aligned is treated as a single-field check of hour_start (after its timestamp syntax), so it ranks before unknown_enum of metric and before the value checks.",
    "valid_days '-2' is a number whose value is below 1: bad_plan (not negative_quantity), as example 18 settles.",
    "A coupon's unit must be CNY (else bad_plan), like an amount plan's.",
    "conflicting_order / identical order: compared with the first ACCEPTED order of that order_id; rejected rows do not make an order_id 'seen'. Compared as values (corrections.md 3: 'compared as values, as for orders'): order_time as an instant, quantity as a number, paid in e8, valid_days as an integer (empty stays empty, not 365), the other fields (account_id, kind, scope, plan_type, unit, bundle_id) as text. ORDERS_AS_TEXT=1 restores the raw-text reading.",
    "plan_limit applies to every plan whose scope is exactly 'storage' (capacity, or an amount plan scoped to storage alone); validity intervals [valid_from, valid_to) overlap when they share an instant (a renewal at valid_to is fine). Plans are compared with those accepted earlier in file order.",
    "Payments do not change the waterfall (example 7); top-ups add to the balance at their order_time (an order sorts before a piece at the same instant).",
    "After a unit-measured source covers u units, unpaid_units decreases by u; after a money source unpaid_units = floor(unpaid_value*divisor/unit_price) literally (no clamp to the previous unpaid_units).",
    "A unit source that covers u > 0 units worth 0 e8 (value rounds to 0) still consumes those u units.",
    "Capacity plans: 'units left' for a piece = capacity - byte-hours already covered by that plan in the same UTC hour; consumed_base = sum of byte-hours covered. Monthly plans: quota per billing-calendar month of t; consumed_base = sum over months.",
    "The balance list shows accounts with a top-up or a draw; plans/coupons are listed per accepted order (identical re-sent orders once).",
    "--as-of changes nothing here but too_late (with --late-days): within one run all usage is rated before expiries (rules.md 5), and plans cover nothing at or after valid_to regardless.",
    "too_late compares the row's charge time (shared and exclusive: start_time; OSS: hour_start) with as-of - late_days*86400 s: strictly earlier is too_late; it ranks after the checks across fields (end_before_start, interval_too_long, the gpu_ms rules) and before unknown_account.",
    "Adjustments (one run over an empty database): no invoice is final, so every non-empty invoice_no is unknown_invoice; a credit joins the balance at adjustment_time (after orders, before pieces at that instant); a debit does not touch the waterfall.",
])


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
