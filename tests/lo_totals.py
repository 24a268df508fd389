#!/usr/bin/python3
"""Opens a closed period's workbooks with LibreOffice and checks what it shows.

usage: lo_totals.py --expect FILE --csv DIR --profile DIR FOLDER

FOLDER holds the workbooks `billrun close` wrote for one period
(INV-YYYYMM-NNNNNN_<account>.xlsx and summary-YYYYMM.xlsx, and a PDF beside
each invoice and note). All of them are
converted in one headless soffice call, every sheet to its own CSV in DIR
(LibreOffice 7.4: filter option token 12 = -1), with the cell text as shown
(token 9 = true) after LibreOffice recalculated every formula on load (the
private profile PROFILE is set to always recalculate OOXML files, so a
total is what the formula gives, not the cached value billrun wrote).

FILE holds the expected values, one line per row, fields joined by '|':
  inv|invoice_no|account_id|gross|free|plan|coupon|balance|outstanding|credits|debits|round_down|amount_due|name
  tb|account_code|debit|credit|total_debit|total_credit
  note|note_no|account_id|kind|amount
(billing.invoices with the account's name last, it may hold '|';
ledger.trial_balance of the period; billing.adjustments' notes).

Checked: the folder holds exactly the expected files; on each invoice the
number, account and buyer name (literal text), the Total row (E:J), the
debit notes, the round-down and the amount due (2 decimals shown), and the
Daily usage totals; on each note its number and amount; on the summary
every invoice row, the totals row, the trial balance and the notes; openpyxl reads each buyer name as a string cell (data_type 's').
Every shown amount must equal the database's amount: exactly where the
display rules (lib/invoice/lang.h) show it exactly, else rounded half away
from zero to the decimals they give (totals 2, the outstanding total, debit
notes and round-down 8), and shown with exactly those decimals.
Labels match in English, Chinese or both (tests/doc_labels.py).
Exit 0 when all is well, else prints what failed and exits 1.
"""
import argparse
import csv
import os
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doc_labels import is_label, starts_label  # noqa: E402

FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
INVOICE_SHEETS = ["Invoice", "Plans", "Daily usage"]
SUMMARY_SHEETS = ["Invoices", "Trial balance", "Contract liability", "Rejects", "Notes", "Charts"]
AMOUNTS = ["gross", "free", "plan", "coupon", "balance", "outstanding", "credits", "debits",
           "round_down", "amount_due"]
XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>en-US</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" oor:op="fuse"><value>en-US</value></prop></item>
</oor:items>
"""

errors = []


def fail(msg):
    errors.append(msg)


def dec(text):
    """A shown amount ("1,008.79147105", "¥209.72") as a Decimal, or None."""
    try:
        return Decimal(text.replace(",", "").replace("¥", ""))
    except (InvalidOperation, AttributeError):
        return None


def same(where, shown, want, decimals=None):
    """shown is want: exactly, or (decimals given) want rounded half away
    from zero to exactly that many decimals, as lang.h's display rules show
    totals (2) and the amounts that explain a round-down (8)."""
    got = dec(shown)
    exp = Decimal(want)
    if decimals is not None:
        exp = exp.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        frac = shown.split(".")[1] if isinstance(shown, str) and "." in shown else ""
        if len(frac) != decimals:
            fail(f"{where}: LibreOffice shows {shown!r}, want {decimals} decimals")
    if got is None or got != exp:
        fail(f"{where}: LibreOffice shows {shown!r}, billing says {want}")


def cell(rows, ref):
    m = re.match(r"^([A-Z])(\d+)$", ref)
    r, c = int(m.group(2)) - 1, ord(m.group(1)) - ord("A")
    if r >= len(rows) or c >= len(rows[r]):
        return ""
    return rows[r][c]


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def find_row(rows, label, start):
    for i in range(start, len(rows)):
        if rows[i] and is_label(rows[i][0], label):
            return i
    return None


def load_expect(path):
    invoices, tb, notes = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("inv|"):
                p = line.split("|", 13)
                inv = {"no": p[1], "account": p[2], "name": p[13]}
                inv.update(zip(AMOUNTS, p[3:13]))
                invoices.append(inv)
            elif line.startswith("tb|"):
                p = line.split("|")
                tb.append((int(p[1]), p[2], p[3], p[4], p[5]))
            elif line.startswith("note|"):
                p = line.split("|")
                notes.append({"no": p[1], "account": p[2], "kind": p[3], "amount": p[4]})
            elif line:
                fail(f"{path}: unexpected line {line!r}")
    return invoices, tb, notes


def convert(folder, files, csv_dir, profile):
    os.makedirs(os.path.join(profile, "user"), exist_ok=True)
    with open(os.path.join(profile, "user", "registrymodifications.xcu"), "w") as f:
        f.write(XCU)
    os.makedirs(csv_dir, exist_ok=True)
    argv = ["soffice", f"-env:UserInstallation=file://{os.path.abspath(profile)}",
            "--headless", "--norestore", "--convert-to", FILTER, "--outdir", csv_dir]
    argv += [os.path.join(folder, n) for n in files]
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=180, check=False)
    except FileNotFoundError:
        fail("soffice not found: install LibreOffice (scripts/install-deps: libreoffice-calc-nogui)")
        return False
    except subprocess.TimeoutExpired:
        fail("soffice did not finish the conversion in 180 s")
        return False
    if r.returncode != 0:
        fail(f"soffice exit {r.returncode}: {r.stdout.decode(errors='replace')}")
        return False
    return True


def sheet_csv(csv_dir, stem, sheet):
    path = os.path.join(csv_dir, f"{stem}-{sheet}.csv")
    if not os.path.exists(path):
        fail(f"LibreOffice did not export sheet {sheet!r} of {stem}.xlsx (no {path})")
        return None
    return read_csv(path)


def check_invoice(csv_dir, inv, period):
    stem = f"{inv['no']}_{inv['account']}"
    rows = sheet_csv(csv_dir, stem, "Invoice")
    for sheet in INVOICE_SHEETS[1:]:
        sheet_csv(csv_dir, stem, sheet)
    if rows is None:
        return
    where = f"{stem}.xlsx Invoice"
    for ref, want in [("A1", "Invoice"), ("B2", inv["no"]), ("B3", period), ("G6", inv["account"]),
                      ("G7", inv["name"]), ("A13", "Item")]:
        if cell(rows, ref) != want and not (ref in ("A1", "A13") and is_label(cell(rows, ref), want)):
            fail(f"{where}!{ref}: LibreOffice shows {cell(rows, ref)!r}, want {want!r}")
    t = find_row(rows, "Total", 13)
    if t is None:
        fail(f"{where}: no Total row")
        return
    for k, col in enumerate("EFGHIJ"):
        same(f"{where}!{col}{t + 1} (total {AMOUNTS[k]})", cell(rows, f"{col}{t + 1}"),
             inv[AMOUNTS[k]], 8 if col == "J" else 2)
    if is_label(cell(rows, f"A{t + 2}"), "Debit notes"):
        same(f"{where}!J{t + 2} (debit notes)", cell(rows, f"J{t + 2}"), inv["debits"], 8)
        t += 1
    elif Decimal(inv["debits"]) != 0 or Decimal(inv["credits"]) != 0:
        fail(f"{where}: the invoice has notes but no Debit notes row")
    if not is_label(cell(rows, f"A{t + 2}"), "Round-down discount") or not is_label(
            cell(rows, f"A{t + 3}"), "Amount due"):
        fail(f"{where}: rows {t + 2} and {t + 3} are not Round-down discount and Amount due")
        return
    same(f"{where}!J{t + 2} (round-down)", cell(rows, f"J{t + 2}"), inv["round_down"], 8)
    due = cell(rows, f"J{t + 3}")
    same(f"{where}!J{t + 3} (amount due)", due, inv["amount_due"], 2)
    if not re.match(r"^-?¥?[0-9,]+\.[0-9]{2}$", due):
        fail(f"{where}!J{t + 3}: amount due shown as {due!r}, not with 2 decimals")
    daily = sheet_csv(csv_dir, stem, "Daily usage")
    if daily is not None:
        d = find_row(daily, "Total", 1)
        if d is None:
            fail(f"{stem}.xlsx Daily usage: no Total row")
        else:
            same(f"{stem}.xlsx Daily usage!E{d + 1} (gross)", cell(daily, f"E{d + 1}"), inv["gross"],
                 2)
            same(f"{stem}.xlsx Daily usage!F{d + 1} (outstanding)", cell(daily, f"F{d + 1}"),
                 inv["outstanding"], 2)


def check_summary(csv_dir, stem, invoices, tb):
    rows = sheet_csv(csv_dir, stem, "Invoices")
    for sheet in SUMMARY_SHEETS[1:]:
        sheet_csv(csv_dir, stem, sheet)
    where = f"{stem}.xlsx"
    if rows is not None:
        if len(rows) != len(invoices) + 2:
            fail(f"{where} Invoices: {len(rows)} rows, want header + {len(invoices)} + Total")
        for i, inv in enumerate(invoices):
            r = i + 2
            for col, want in [("A", inv["no"]), ("B", inv["account"]), ("C", inv["name"])]:
                if cell(rows, f"{col}{r}") != want:
                    fail(f"{where} Invoices!{col}{r}: shows {cell(rows, f'{col}{r}')!r}, want {want!r}")
            for k, col in enumerate("DEFGHIJKLM"):
                same(f"{where} Invoices!{col}{r} ({AMOUNTS[k]})", cell(rows, f"{col}{r}"),
                     inv[AMOUNTS[k]])
        t = len(invoices) + 2
        if not is_label(cell(rows, f"A{t}"), "Total"):
            fail(f"{where} Invoices!A{t}: not Total")
        for k, col in enumerate("DEFGHIJKLM"):
            total = sum((Decimal(inv[AMOUNTS[k]]) for inv in invoices), Decimal(0))
            same(f"{where} Invoices!{col}{t} (total {AMOUNTS[k]})", cell(rows, f"{col}{t}"), total, 2)
    rows = sheet_csv(csv_dir, stem, "Trial balance")
    if rows is not None:
        if len(rows) != len(tb) + 2:
            fail(f"{where} Trial balance: {len(rows)} rows, want header + {len(tb)} + Total")
        names = ["debit", "credit", "total debit", "total credit"]
        for i, (code, *amounts) in enumerate(tb):
            r = i + 2
            if cell(rows, f"A{r}") != str(code):
                fail(f"{where} Trial balance!A{r}: shows {cell(rows, f'A{r}')!r}, want {code}")
            for k, col in enumerate("CDEF"):
                same(f"{where} Trial balance!{col}{r} ({names[k]} {code})", cell(rows, f"{col}{r}"),
                     amounts[k])
        t = len(tb) + 2
        for k, col in enumerate("CDEF"):
            same(f"{where} Trial balance!{col}{t} (sum of {names[k]})", cell(rows, f"{col}{t}"),
                 sum((Decimal(x[1 + k]) for x in tb), Decimal(0)), 2)
        for a, b in ("CD", "EF"):
            if dec(cell(rows, f"{a}{t}")) != dec(cell(rows, f"{b}{t}")):
                fail(f"{where} Trial balance: {a}{t} {cell(rows, f'{a}{t}')} != {b}{t} "
                     f"{cell(rows, f'{b}{t}')}")


def check_notes(csv_dir, stem, notes):
    """Each note's workbook shows its number and amount; the summary's Notes
    sheet lists every note in number order with its amount and a Total."""
    for n in notes:
        kind = "Credit note" if n["kind"] == "credit" else "Debit note"
        rows = sheet_csv(csv_dir, f"{n['no']}_{n['account']}", kind)
        if rows is None:
            continue
        where = f"{n['no']}_{n['account']}.xlsx"
        if cell(rows, "B2") != n["no"]:
            fail(f"{where}!B2: shows {cell(rows, 'B2')!r}, want {n['no']!r}")
        r = next((i for i, row in enumerate(rows)
                  if row and starts_label(row[0], "Amount") and row[0].endswith(")")), None)
        if r is None:
            fail(f"{where}: no Amount row")
        else:
            same(f"{where}!B{r + 1} (amount)", cell(rows, f"B{r + 1}"), n["amount"])
    rows = sheet_csv(csv_dir, stem, "Notes")
    if rows is None:
        return
    want = sorted(notes, key=lambda n: n["no"])
    if len(rows) != len(want) + 2:
        fail(f"{stem}.xlsx Notes: {len(rows)} rows, want header + {len(want)} + Total")
        return
    for i, n in enumerate(want):
        r = i + 2
        if cell(rows, f"A{r}") != n["no"]:
            fail(f"{stem}.xlsx Notes!A{r}: shows {cell(rows, f'A{r}')!r}, want {n['no']!r}")
        col = "G" if n["kind"] == "credit" else "H"
        same(f"{stem}.xlsx Notes!{col}{r} ({n['no']})", cell(rows, f"{col}{r}"), n["amount"])
    t = len(want) + 2
    for col, kind in (("G", "credit"), ("H", "debit")):
        same(f"{stem}.xlsx Notes!{col}{t} (total {kind})", cell(rows, f"{col}{t}"),
             sum((Decimal(n["amount"]) for n in notes if n["kind"] == kind), Decimal(0)), 2)


def check_text_cells(folder, invoices, summary):
    """openpyxl: buyer names are string cells holding exactly the name."""
    import openpyxl

    for inv in invoices:
        path = os.path.join(folder, f"{inv['no']}_{inv['account']}.xlsx")
        c = openpyxl.load_workbook(path)["Invoice"]["G7"]
        if c.data_type != "s" or c.value != inv["name"]:
            fail(f"{path} Invoice!G7: {c.value!r} of type {c.data_type!r}, want the literal "
                 f"text {inv['name']!r} (type 's')")
    ws = openpyxl.load_workbook(os.path.join(folder, summary))["Invoices"]
    for i, inv in enumerate(invoices):
        c = ws.cell(row=i + 2, column=3)
        if c.data_type != "s" or c.value != inv["name"]:
            fail(f"{summary} Invoices!C{i + 2}: {c.value!r} of type {c.data_type!r}, want the "
                 f"literal text {inv['name']!r} (type 's')")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--expect", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--profile", required=True)
    ap.add_argument("folder")
    args = ap.parse_args()
    invoices, tb, notes = load_expect(args.expect)
    if not invoices:
        fail("no invoices expected")
    period = os.path.basename(os.path.normpath(args.folder))
    summary = f"summary-{period.replace('-', '')}.xlsx"
    want = sorted([f"{inv['no']}_{inv['account']}.xlsx" for inv in invoices] + [summary]
                  + [f"{n['no']}_{n['account']}.xlsx" for n in notes])
    pdfs = [w[:-5] + ".pdf" for w in want if w != summary]  # a PDF beside each document
    have = sorted(os.listdir(args.folder))
    if have != sorted(want + pdfs):
        fail(f"{args.folder} holds {have}, want {sorted(want + pdfs)}")
    if not errors and convert(args.folder, want, args.csv, args.profile):
        for inv in invoices:
            check_invoice(args.csv, inv, period)
        check_summary(args.csv, summary[:-5], invoices, tb)
        check_notes(args.csv, summary[:-5], notes)
        check_text_cells(args.folder, invoices, summary)
    for e in errors:
        print(f"lo_totals: {e}", file=sys.stderr)
    if not errors:
        print(f"lo_totals: {args.folder}: {len(want)} workbooks as billing shows them")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
