#!/usr/bin/python3
"""Reads invoice workbooks written by billrun (drafts or finals) with openpyxl,
independently of billrun, for tests/integration/invoices_test.c.

usage: draft_check.py marks FILE...    checks the DRAFT marks of draft invoices
       draft_check.py totals FILE...   one line per file: account and totals
       draft_check.py lines FILE...    every invoice line and day of each file
       draft_check.py notes FILE...    account|notes listed as "(draft)"

marks: the file name is DRAFT-YYYYMM_<account>.xlsx and holds no invoice
number, nor does its Invoice sheet (no INV-, CN- or DN- number in column A
or B1:B3); the Invoice sheet's title (A1) and number (B2) say draft (in
any case, or 草稿); every sheet's printed page header says DRAFT, and so
does the document title.
Prints "marks ok N" and exits 0, else prints what failed and exits 1.

totals: account|gross|free|plan|coupon|balance|outstanding|round_down|
amount_due, amounts as integers of 1e-8 CNY (the cached values of the
Total, Round-down discount and Amount due rows).

lines: account|line|item|quantity|6 amounts, then account|day|day|item|
quantity|gross|outstanding. Needs openpyxl (Debian: python3-openpyxl).
"""
import datetime
import os
import re
import sys
from decimal import Decimal

import openpyxl

DRAFT_RE = re.compile(r"^DRAFT-(\d{6})_(.+)\.xlsx$")
FINAL_RE = re.compile(r"^INV-(\d{6})-(\d{6})_(.+)\.xlsx$")
NUMBER_RE = re.compile(r"(INV|CN|DN)-\d{6}-\d{6}")
# the word on the sheet, in whichever language the invoice is written
DRAFT_WORD_RE = re.compile(r"draft|草稿", re.IGNORECASE)


def account(path):
    base = os.path.basename(path)
    m = DRAFT_RE.match(base) or FINAL_RE.match(base)
    if m is None:
        sys.exit(f"{base}: neither DRAFT-YYYYMM_<account>.xlsx nor INV-YYYYMM-NNNNNN_<account>.xlsx")
    return m.groups()[-1]


def e8(v):
    if v is None:
        return 0
    return int((Decimal(repr(v)) * 100000000).to_integral_value())


def text(v):
    if isinstance(v, datetime.datetime):
        return v.date().isoformat()
    if isinstance(v, float):
        return repr(v)
    return "" if v is None else str(v)


def english(label):
    """A label's English part: "合计 Total" (zh-en) and "Total" give "Total"."""
    if isinstance(label, str) and " " in label and not label.split(" ", 1)[0].isascii():
        return label.split(" ", 1)[1]
    return label


def label_rows(ws):
    """Row number of each label in column A of the Invoice sheet, by its
    English part (the seller's language may put Chinese before it)."""
    return {english(ws.cell(row=r, column=1).value): r for r in range(1, ws.max_row + 1)}


def marks(paths):
    errors = []
    for p in paths:
        base = os.path.basename(p)
        if DRAFT_RE.match(base) is None:
            errors.append(f"{base}: not named DRAFT-YYYYMM_<account>.xlsx")
        if "INV-" in base:
            errors.append(f"{base}: an invoice number in a draft's name")
        wb = openpyxl.load_workbook(p)
        if "DRAFT" not in (wb.properties.title or ""):
            errors.append(f"{base}: document title {wb.properties.title!r} lacks DRAFT")
        inv = wb["Invoice"]
        for cell in ("A1", "B2"):
            if not DRAFT_WORD_RE.search(str(inv[cell].value)):
                errors.append(f"{base}: Invoice!{cell} is {inv[cell].value!r}, no DRAFT")
        numbers = [c.value for c in inv["A"] + inv["B"][:3]
                   if isinstance(c.value, str) and NUMBER_RE.search(c.value)]
        if numbers:
            errors.append(f"{base}: numbered on the Invoice sheet: {numbers}")
        for ws in wb.worksheets:
            h = ws.oddHeader
            header = " ".join(x.text or "" for x in (h.left, h.center, h.right))
            if "DRAFT" not in header:
                errors.append(f"{base}: sheet {ws.title}: page header {header!r} lacks DRAFT")
    for e in errors:
        print(e)
    if errors:
        sys.exit(1)
    print(f"marks ok {len(paths)}")


def totals(paths):
    for p in paths:
        ws = openpyxl.load_workbook(p, data_only=True)["Invoice"]
        rows = label_rows(ws)
        t = rows["Total"]
        amounts = [e8(ws.cell(row=t, column=c).value) for c in range(5, 11)]
        rd = e8(ws.cell(row=rows["Round-down discount"], column=10).value)
        due = e8(ws.cell(row=rows["Amount due"], column=10).value)
        print("|".join([account(p)] + [str(a) for a in amounts + [rd, due]]))


def lines(paths):
    for p in paths:
        wb = openpyxl.load_workbook(p, data_only=True)
        ws, acct = wb["Invoice"], account(p)
        total = label_rows(ws)["Total"]
        for r in range(14, total):
            cells = [ws.cell(row=r, column=c).value for c in range(1, 11)]
            print("|".join([acct, "line", text(cells[0]), text(cells[1])] +
                           [str(e8(v)) for v in cells[4:10]]))
        ws = wb["Daily usage"]
        for r in range(2, ws.max_row):
            cells = [ws.cell(row=r, column=c).value for c in range(1, 7)]
            if english(cells[0]) == "Total":
                break
            print("|".join([acct, "day", text(cells[0]), text(cells[1]), text(cells[2]),
                            str(e8(cells[4])), str(e8(cells[5]))]))


def notes(paths):
    for p in paths:
        ws = openpyxl.load_workbook(p, data_only=True)["Invoice"]
        n = sum(1 for c in ws["A"] if c.value == "(draft)")
        if n:
            print(f"{account(p)}|{n}")


def main():
    modes = {"marks": marks, "totals": totals, "lines": lines, "notes": notes}
    if len(sys.argv) < 3 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    paths = sorted(sys.argv[2:], key=lambda p: account(p).encode())
    modes[sys.argv[1]](paths)


if __name__ == "__main__":
    main()
