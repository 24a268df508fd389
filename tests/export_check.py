#!/usr/bin/python3
"""Reads the files of `billrun export` back, independently of billrun.

usage: export_check.py journal JOURNAL.csv TRIAL_BALANCE.csv PERIOD
       export_check.py hledger BALANCE.csv

journal: parses both files with Python's csv module (UTF-8, a BOM allowed),
checks their form (the documented header, CRLF line ends, one of debit and
credit on each line, exact decimals with 2 to 8 places, vouchers numbered
1, 2, ... with lines 1, 2, ..., every voucher balanced, every date in
PERIOD, every line the voucher's date and entry) and that the trial
balance file is the journal's own sums per billrun code; then prints, for
the caller to compare with the database's views:

    voucher|NO|ENTRY_ID|DATE                         one per voucher
    posting|ENTRY_ID|BILLRUN_CODE|SUB_LEDGER|DEBIT|CREDIT   one per line
    tb|BILLRUN_CODE|DEBIT|CREDIT|TOTAL_DEBIT|TOTAL_CREDIT   per billrun code
    account|CODE|NAME|NET                          per account_code (the map's)

amounts with 8 decimals (numeric(.., 8) as psql prints it), NET = debits -
credits.

hledger: reads `hledger bal -O csv` output ("CODE NAME","CNY 1.23") and
prints account|CODE|NAME|NET the same way (the total must be 0).

Exit 0 when all is well, else prints what failed to stderr and exits 1.
"""
import csv
import io
import re
import sys
from decimal import Decimal

JOURNAL = ["date", "voucher_word", "voucher_no", "line_no", "account_code", "account_name",
           "sub_ledger_type", "sub_ledger", "customer", "debit", "credit", "currency",
           "description", "entry_id", "billrun_code"]
TB = ["account_code", "account_name", "billrun_code", "billrun_name", "debit", "credit",
      "total_debit", "total_credit"]
AMOUNT = re.compile(r"^(0|[1-9][0-9]*)\.[0-9]{2,8}$")
EIGHT = Decimal("0.00000001")
errors = []


def fail(msg):
    errors.append(msg)


def amount(text, where):
    if text == "":
        return None
    if not AMOUNT.match(text) or (len(text.split(".")[1]) > 2 and text.endswith("0")):
        fail(f"{where}: amount {text!r} is not exact decimal text with 2 to 8 places")
        return Decimal(0)
    return Decimal(text)


def e8(d):
    return format(d.quantize(EIGHT), "f")


def rows_of(path, header):
    raw = open(path, "rb").read()
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if b"\n" in body.replace(b"\r\n", b""):
        fail(f"{path}: a line does not end with CRLF")
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    rows = list(reader)
    if not rows or rows[0] != header:
        fail(f"{path}: header {rows[:1]!r}")
        return []
    for i, r in enumerate(rows[1:], 2):
        if len(r) != len(header):
            fail(f"{path} line {i}: {len(r)} fields")
    return [dict(zip(header, r)) for r in rows[1:]]


def check_line(r, i, period, v):
    """One journal line, within its voucher v (a dict of its first line)."""
    where = f"journal line {i}"
    dr, cr = amount(r["debit"], where), amount(r["credit"], where)
    x = dr if dr is not None else cr
    if (dr is None) == (cr is None) or x is None or x <= 0:
        fail(f"{where}: want one positive amount, debit {r['debit']!r} credit {r['credit']!r}")
    if not r["date"].startswith(period + "-") or len(r["date"]) != 10:
        fail(f"{where}: date {r['date']} is not in {period}")
    for k in ("date", "entry_id", "voucher_word"):
        if r[k] != v[k]:
            fail(f"{where}: {k} {r[k]} differs within voucher {r['voucher_no']}")
    if r["currency"] != "CNY" or r["voucher_word"] != "\u8bb0":
        fail(f"{where}: currency {r['currency']!r}, voucher word {r['voucher_word']!r}")
    return dr or Decimal(0), cr or Decimal(0)


def journal(jpath, tbpath, period):
    lines = rows_of(jpath, JOURNAL)
    out, postings, sums, accounts, names = [], [], {}, {}, {}
    vno, v, vdr, vcr, line_no = 0, None, Decimal(0), Decimal(0), 0
    for i, r in enumerate(lines, 2):
        if v is None or r["voucher_no"] != v["voucher_no"]:
            if v is not None and vdr != vcr:
                fail(f"voucher {v['voucher_no']} does not balance: {vdr} != {vcr}")
            vno, v, vdr, vcr, line_no = vno + 1, r, Decimal(0), Decimal(0), 0
            if r["voucher_no"] != str(vno):
                fail(f"journal line {i}: voucher {r['voucher_no']}, want {vno}")
            out.append(f"voucher|{vno}|{r['entry_id']}|{r['date']}")
        line_no += 1
        if r["line_no"] != str(line_no):
            fail(f"journal line {i}: line_no {r['line_no']}, want {line_no}")
        dr, cr = check_line(r, i, period, v)
        vdr, vcr = vdr + dr, vcr + cr
        postings.append(f"posting|{r['entry_id']}|{r['billrun_code']}|{r['sub_ledger']}|{e8(dr)}|{e8(cr)}")
        s = sums.setdefault(r["billrun_code"], [Decimal(0), Decimal(0)])
        s[0], s[1] = s[0] + dr, s[1] + cr
        accounts[r["account_code"]] = accounts.get(r["account_code"], Decimal(0)) + dr - cr
        if names.setdefault(r["account_code"], r["account_name"]) != r["account_name"]:
            fail(f"journal line {i}: account {r['account_code']} has two names")
    if v is not None and vdr != vcr:
        fail(f"voucher {v['voucher_no']} does not balance: {vdr} != {vcr}")
    out += postings
    tb_rows = rows_of(tbpath, TB)
    got = {r["billrun_code"]: r for r in tb_rows}
    if sorted(got) != sorted(sums) or len(got) != len(tb_rows):
        fail(f"trial balance codes {sorted(got)} != the journal's {sorted(sums)}")
    for code in sorted(sums, key=int):
        dr, cr = sums[code]
        net = dr - cr
        zero = Decimal(0)
        want = [e8(max(net, zero)), e8(max(-net, zero)), e8(dr), e8(cr)]
        t = got.get(code, {})
        have = [e8(amount(t.get(k, "0.00"), f"trial balance {code}") or Decimal(0))
                for k in ("debit", "credit", "total_debit", "total_credit")]
        if have != want:
            fail(f"trial balance {code}: {have} != the journal's {want}")
        out.append(f"tb|{code}|" + "|".join(want))
    for code in sorted(accounts):
        out.append(f"account|{code}|{names[code]}|{e8(accounts[code])}")
    return out


def hledger(path):
    out, total = [], None
    with open(path, encoding="utf-8", newline="") as f:
        for r in list(csv.reader(f))[1:]:
            name, bal = r[0], r[1]
            value = Decimal(0) if bal == "0" else Decimal(bal.removeprefix("CNY").strip())
            if name == "total":
                total = value
                continue
            code, _, label = name.partition(" ")
            out.append(f"account|{code}|{label}|{e8(value)}")
    if total != 0:
        fail(f"hledger's total is {total}, not 0")
    return out


def main(argv):
    if len(argv) == 5 and argv[1] == "journal":
        out = journal(argv[2], argv[3], argv[4])
    elif len(argv) == 3 and argv[1] == "hledger":
        out = hledger(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for e in errors[:20]:
        print(e, file=sys.stderr)
    if errors:
        return 1
    sys.stdout.write("".join(line + "\n" for line in out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
