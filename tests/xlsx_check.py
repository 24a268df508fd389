#!/usr/bin/python3
"""Checks a workbook written by billrun (lib/invoice/xlsx.c) with openpyxl.

usage: xlsx_check.py FILE.xlsx [--expect-due 12.34] [--hostile-text TEXT]

An invoice (sheets Invoice, Plans, Daily usage), a period summary (sheets
Invoices, Trial balance, Contract liability, Rejects, Notes) or a credit or
debit note (one sheet, Credit note or Debit note). Checks that every
formula is one the writer makes (=SUM(X1:X9), =X1-X2 or =X1+X2-X3) and that its cached
value is what it computes; that totals rows are formulas; that amounts have
currency number formats (the amount due with 2 decimals); that text that
looks like a formula is a string cell; page setup (A4, one page wide), frozen
header, print titles; document properties. Exit 0 when all is well, else
prints what failed and exits 1. Needs openpyxl (Debian: python3-openpyxl).
"""
import argparse
import re
import sys

import os
import zipfile

import openpyxl
from openpyxl.utils import column_index_from_string

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doc_labels import (AMOUNT_FMT_RE, DUE_FMTS, E8_FMT, EXACT_FMT,  # noqa: E402
                        TOTAL_FMT, is_label, starts_label)

INVOICE_SHEETS = ["Invoice", "Plans", "Daily usage"]
SUMMARY_SHEETS = ["Invoices", "Trial balance", "Contract liability", "Rejects", "Notes", "Charts"]
NOTE_SHEETS = (["Credit note"], ["Debit note"])
# Row (1-based) of the table header on each sheet; the panes freeze below it.
HEAD_ROW = {"Invoice": 13}
SUM_RE = re.compile(r"^=SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)$")
SUB_RE = re.compile(r"^=([A-Z]+)(\d+)-([A-Z]+)(\d+)$")
ADD_SUB_RE = re.compile(r"^=([A-Z]+)(\d+)\+([A-Z]+)(\d+)-([A-Z]+)(\d+)$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def tolerance(x):
    """1e-8 absolute; for large amounts a few ulps of a double."""
    return max(1e-8, abs(x) * 1e-14)


class Checker:
    def __init__(self, path):
        self.path = path
        self.errors = []
        self.wb = openpyxl.load_workbook(path, data_only=False)
        self.wv = openpyxl.load_workbook(path, data_only=True)

    def fail(self, msg):
        self.errors.append(msg)

    def value(self, sheet, col, row):
        v = self.wv[sheet].cell(row=row, column=col).value
        return 0 if v is None else v

    def check_formula(self, sheet, cell):
        """The formula must be one the writer makes; its cached value must be
        what it computes from the (cached) values it refers to."""
        ref = f"{sheet}!{cell.coordinate}"
        cached = self.wv[sheet][cell.coordinate].value
        if not isinstance(cached, (int, float)):
            self.fail(f"{ref}: formula {cell.value} has no cached number ({cached!r})")
            return
        m = SUM_RE.match(cell.value)
        if m:
            c1, r1, c2, r2 = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
            col = column_index_from_string(c1)
            if c1 != c2 or c1 != cell.column_letter or r2 >= cell.row or r1 > r2:
                self.fail(f"{ref}: {cell.value} is not a sum of the cells above it")
                return
            total = 0
            for r in range(r1, r2 + 1):
                src = self.wb[sheet].cell(row=r, column=col)
                if src.data_type == "f" or not isinstance(src.value, (int, float)):
                    self.fail(f"{sheet}!{src.coordinate}: summed cell is not a number")
                    return
                total += src.value
        else:
            m = SUB_RE.match(cell.value) or ADD_SUB_RE.match(cell.value)
            if not m:
                self.fail(f"{ref}: unexpected formula {cell.value!r}")
                return
            refs = [self.value(sheet, column_index_from_string(m.group(i)), int(m.group(i + 1)))
                    for i in range(1, len(m.groups()), 2)]
            total = refs[0] + refs[1] - refs[2] if len(refs) == 3 else refs[0] - refs[1]
        if abs(cached - total) > tolerance(total):
            self.fail(f"{ref}: cached {cached!r} but {cell.value} gives {total!r}")

    def check_cells(self, sheet, hostile):
        """Formulas, text cells, amount formats."""
        ws = self.wb[sheet]
        head = HEAD_ROW.get(sheet, 1)
        money_cols = set()
        for c in ws[head]:
            if isinstance(c.value, str) and re.search(r"\([A-Z]{3}\)$", c.value):
                money_cols.add(c.column)
        if not money_cols and sheet not in ("Rejects", "Credit note", "Debit note", "Charts"):
            self.fail(f"{sheet}: no amount columns in header row {head}")
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if c.data_type == "f":
                    self.check_formula(sheet, c)
                elif isinstance(v, str):
                    if c.data_type != "s":
                        self.fail(f"{sheet}!{c.coordinate}: text of type {c.data_type}")
                    if CONTROL_RE.search(v):
                        self.fail(f"{sheet}!{c.coordinate}: control character in text")
                    if hostile is not None and v == hostile:
                        self.hostile_seen += 1
                if c.row > head and c.column in money_cols and (
                    c.data_type == "f" or isinstance(v, (int, float))
                ):
                    if not AMOUNT_FMT_RE.match(c.number_format):
                        self.fail(
                            f"{sheet}!{c.coordinate}: amount format {c.number_format!r}"
                        )

    def check_totals_row(self, sheet):
        """The row labelled Total: every amount in it is a formula when the
        table has rows (with none, plain zeros)."""
        ws = self.wb[sheet]
        head = HEAD_ROW.get(sheet, 1)
        total_row = None
        for r in range(head + 1, ws.max_row + 1):
            if is_label(ws.cell(row=r, column=1).value, "Total"):
                total_row = r
                break
        if total_row is None:
            self.fail(f"{sheet}: no Total row")
            return None
        amounts = [
            c
            for c in ws[total_row]
            if c.data_type == "f" or isinstance(c.value, (int, float))
        ]
        if not amounts:
            self.fail(f"{sheet}: Total row {total_row} has no amounts")
        for c in amounts:
            if total_row > head + 1 and c.data_type != "f":
                self.fail(f"{sheet}!{c.coordinate}: total is not a formula")
        return total_row

    def check_page(self, sheet):
        ws = self.wb[sheet]
        head = HEAD_ROW.get(sheet, 1)
        ps = ws.page_setup
        if str(ps.paperSize) != "9":
            self.fail(f"{sheet}: paper size {ps.paperSize!r}, not 9 (A4)")
        pr = ws.sheet_properties.pageSetUpPr
        if pr is None or not pr.fitToPage:
            self.fail(f"{sheet}: not fit to page")
        # OOXML's default for fitToWidth is 1 (libxlsxwriter omits it then).
        if ps.fitToWidth not in (None, 1, "1"):
            self.fail(f"{sheet}: fitToWidth {ps.fitToWidth!r}, not 1")
        if str(ps.fitToHeight) != "0":
            self.fail(f"{sheet}: fitToHeight {ps.fitToHeight!r}, not 0")
        want = f"A{head + 1}"
        if ws.freeze_panes != want:
            self.fail(f"{sheet}: frozen at {ws.freeze_panes!r}, not {want}")
        if ws.print_title_rows != f"${head}:${head}":
            self.fail(f"{sheet}: print titles {ws.print_title_rows!r}")
        if not ws.print_area:
            self.fail(f"{sheet}: no print area")

    def check_invoice(self, expect_due):
        ws = self.wb["Invoice"]
        if not is_label(ws["A13"].value, "Item") or not is_label(ws["A2"].value, "Invoice number"):
            self.fail("Invoice: layout moved (A13 'Item', A2 'Invoice number')")
        total_row = self.check_totals_row("Invoice")
        if total_row is None:
            return
        debits = is_label(ws.cell(row=total_row + 1, column=1).value, "Debit notes")
        rd = total_row + 2 if debits else total_row + 1
        due = rd + 1
        if not is_label(ws.cell(row=rd, column=1).value, "Round-down discount"):
            self.fail(f"Invoice!A{rd}: not 'Round-down discount'")
        if not is_label(ws.cell(row=due, column=1).value, "Amount due"):
            self.fail(f"Invoice!A{due}: not 'Amount due'")
        cell = ws.cell(row=due, column=10)
        want = f"=J{total_row}+J{total_row + 1}-J{rd}" if debits else f"=J{total_row}-J{rd}"
        if cell.value != want:
            self.fail(f"Invoice!J{due}: amount due is {cell.value!r}, want {want!r}")
        if cell.number_format not in DUE_FMTS:
            self.fail(f"Invoice!J{due}: amount due format {cell.number_format!r}")
        cached = self.wv["Invoice"].cell(row=due, column=10).value
        if expect_due is not None and (
            not isinstance(cached, (int, float)) or abs(cached - expect_due) > 1e-8
        ):
            self.fail(f"Invoice!J{due}: amount due {cached!r}, expected {expect_due}")
        self.check_display(ws, total_row, rd, due, debits)
        if not ws["G2"].is_date:
            self.fail("Invoice!G2: issue date is not a date cell")
        for r in range(14, total_row):
            q = ws.cell(row=r, column=2)
            if q.value is not None and not isinstance(q.value, (int, float)):
                self.fail(f"Invoice!B{r}: quantity {q.value!r} is not a number")
        self.check_invoice_chart()
        self.check_totals_row("Plans")
        self.check_totals_row("Daily usage")
        daily = self.wb["Daily usage"]
        for r in range(2, daily.max_row):
            if daily.cell(row=r, column=1).value is not None and not daily.cell(
                row=r, column=1
            ).is_date:
                self.fail(f"Daily usage!A{r}: day is not a date cell")
        if not daily.auto_filter.ref:
            self.fail("Daily usage: no autofilter")

    def fmt_is(self, ws, r, c, want, what):
        cell = ws.cell(row=r, column=c)
        ok = cell.number_format in want if isinstance(want, tuple) else cell.number_format == want
        if not ok:
            self.fail(f"{ws.title}!{cell.coordinate}: {what} format {cell.number_format!r}, "
                      f"want {want!r}")

    def check_display(self, ws, total_row, rd, due, debits):
        """lang.h's display rules (issue #20 part 6): lines exact, totals
        with 2 decimals but the outstanding total, the debit notes and the
        round-down with all 8, the amount due with 2; every amount cell
        holds an exact e8 value whatever it shows; a note below the amount
        due says why lines show more than 2 decimals."""
        for r in range(14, total_row):
            for c in range(5, 11):
                self.fmt_is(ws, r, c, EXACT_FMT, "line amount")
        for c in range(5, 10):
            self.fmt_is(ws, total_row, c, TOTAL_FMT, "total")
        self.fmt_is(ws, total_row, 10, E8_FMT, "outstanding total")
        if debits:
            self.fmt_is(ws, total_row + 1, 10, E8_FMT, "debit notes")
        self.fmt_is(ws, rd, 10, E8_FMT, "round-down")
        for row in self.wv[ws.title].iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, float) and AMOUNT_FMT_RE.match(c.number_format or ""):
                    e8 = v * 1e8
                    if abs(e8 - round(e8)) > max(1e-3, abs(e8) * 1e-15):
                        self.fail(f"{ws.title}!{c.coordinate}: {v!r} is not an exact e8 amount")
        due_v = self.wv[ws.title].cell(row=due, column=10).value
        if isinstance(due_v, (int, float)) and abs(due_v * 100 - round(due_v * 100)) > 1e-6:
            self.fail(f"Invoice!J{due}: amount due {due_v!r} is not whole fen")
        why = [r for r in range(due + 1, min(due + 3, ws.max_row) + 1)
               if is_label(ws.cell(row=r, column=1).value, "Note")]
        if not why or not str(ws.cell(row=why[0], column=2).value or "").strip():
            self.fail(f"Invoice: no note on decimals below the amount due (row {due})")

    def check_invoice_chart(self):
        """The daily-usage chart: present when the Daily usage sheet has
        rows, its series on the chart data beside the daily table, and those
        data tie to the daily rows (gross per day and item)."""
        daily = self.wv["Daily usage"]
        rows = [r for r in range(2, daily.max_row + 1)
                if daily.cell(row=r, column=1).is_date]
        charts = self.wb["Invoice"]._charts
        items = {daily.cell(row=r, column=2).value for r in rows}
        days = {daily.cell(row=r, column=1).value for r in rows}
        if not rows or len(items) > 8 or len(days) > 62:  # invoice.c: too many for a small chart
            if charts:
                self.fail("Invoice: a chart but no daily usage, or too much for one")
            return
        if len(charts) != 1:
            self.fail(f"Invoice: {len(charts)} charts, want the daily usage chart")
            return
        want = {}
        for r in rows:
            day = daily.cell(row=r, column=1).value
            item = daily.cell(row=r, column=2).value
            g = round(daily.cell(row=r, column=5).value * 1e8)
            want[(day, item)] = want.get((day, item), 0) + g
        check_series(self, charts[0], self.wv, "Daily usage", want, "Invoice chart")

    def check_summary_charts(self):
        """Charts: the revenue chart's series read the revenue table, whose
        account totals are the Trial balance's credits less debits of those
        accounts; the waterfall's amounts are the totals of the Invoices
        sheet (gross ... outstanding), its bases what is left before each
        deduction."""
        ws, wv = self.wb["Charts"], self.wv["Charts"]
        charts = ws._charts
        heads = [c.value for c in ws[1]]
        accounts = [h for h in heads[1:] if isinstance(h, str)]
        if len(charts) != (2 if accounts else 1):
            self.fail(f"Charts: {len(charts)} charts for {len(accounts)} revenue accounts")
            return
        total_row = self.check_totals_row("Charts") if accounts else None
        if accounts and total_row is not None:
            want = {}
            for r in range(2, total_row):
                day = wv.cell(row=r, column=1).value
                for k, name in enumerate(accounts):
                    want[(day, name)] = round(wv.cell(row=r, column=2 + k).value * 1e8)
            check_series(self, charts[0], self.wv, "Charts", want, "Charts revenue chart")
            tb = self.wv["Trial balance"]
            net = {}
            for r in range(2, tb.max_row + 1):
                code = tb.cell(row=r, column=1).value
                if isinstance(code, int):
                    net[code] = round((tb.cell(row=r, column=6).value or 0) * 1e8) - round(
                        (tb.cell(row=r, column=5).value or 0) * 1e8)
            for k, name in enumerate(accounts):
                code = int(name.split(" ")[0])
                got = sum(round((wv.cell(row=r, column=2 + k).value or 0) * 1e8)
                          for r in range(2, total_row))
                if got != net.get(code, 0):
                    self.fail(f"Charts: revenue of {code} adds to {got} e8, the trial balance "
                              f"says {net.get(code, 0)} e8")
        head = next((r for r in range(1, ws.max_row + 1)
                     if ws.cell(row=r, column=1).value in ("Step", "步骤", "步骤 Step")), None)
        if head is None:
            self.fail("Charts: no waterfall table")
            return
        inv = self.wv["Invoices"]
        t = next((r for r in range(2, inv.max_row + 1)
                  if is_label(inv.cell(row=r, column=1).value, "Total")), None)
        steps = [round((inv.cell(row=t, column=4 + k).value or 0) * 1e8) for k in range(6)]
        bases, left = [], steps[0]
        for k in range(6):
            if 0 < k < 5:
                left -= steps[k]
            bases.append(left if 0 < k < 5 else 0)
        rows = range(head + 1, head + 7)
        got_base = [round(wv.cell(row=r, column=2).value * 1e8) for r in rows]
        got_step = [round(wv.cell(row=r, column=3).value * 1e8) for r in rows]
        if got_step != steps or got_base != bases:
            self.fail(f"Charts: waterfall {got_base} / {got_step}, want {bases} / {steps}")
        wf = charts[-1]
        names = [wv.cell(row=r, column=1).value for r in rows]
        want = {}
        for k, (n, b, a) in enumerate(zip(names, bases, steps)):
            want[(n, ws.cell(row=head, column=2).value)] = b
            want[(n, ws.cell(row=head, column=3).value)] = a
        check_series(self, wf, self.wv, "Charts", want, "Charts waterfall")

    def check_summary(self):
        self.check_summary_charts()
        for sheet in ["Invoices", "Trial balance", "Contract liability", "Notes"]:
            self.check_totals_row(sheet)
        for sheet in ["Invoices", "Rejects", "Notes"]:
            if not self.wb[sheet].auto_filter.ref:
                self.fail(f"{sheet}: no autofilter")

    def check_note(self):
        ws = self.wb[self.wb.sheetnames[0]]
        if not is_label(ws["A2"].value, "Note number") or not re.match(r"^(CN|DN)-\d{6}-\d{6}$", str(ws["B2"].value)):
            self.fail(f"{ws.title}: A2/B2 are not the note number ({ws['B2'].value!r})")
        labels = [ws.cell(row=r, column=1).value for r in range(1, ws.max_row + 1)]
        for want in ["Seller", "Corrects invoice", "Listed on invoice", "Item", "Reason", "Effect"]:
            if not any(is_label(v, want) for v in labels):
                self.fail(f"{ws.title}: no {want!r} row")
        amount = [r + 1 for r, v in enumerate(labels)
                  if starts_label(v, "Amount") and str(v).endswith(")")]
        if not amount:
            self.fail(f"{ws.title}: no Amount row")
        else:
            c = ws.cell(row=amount[0], column=2)
            if not isinstance(c.value, (int, float)) or c.value <= 0:
                self.fail(f"{ws.title}!B{amount[0]}: amount {c.value!r} is not a positive number")
            if not AMOUNT_FMT_RE.match(c.number_format or ""):
                self.fail(f"{ws.title}!B{amount[0]}: format {c.number_format!r}")

    def check_properties(self, kind):
        p = self.wb.properties
        want = {"invoice": "Invoice ", "summary": "Billing summary ",
                "note": self.wb.sheetnames[0] + " "}[kind]
        if not (p.title or "").startswith(want):
            self.fail(f"document title {p.title!r} does not start with {want!r}")
        if not p.creator:
            self.fail("document has no creator")
        if p.created is None:
            self.fail("document has no created time")

    def check_cols(self):
        """Column ranges (<col min max>) of a sheet never overlap: Excel
        repairs (drops) a sheet's columns when they do; openpyxl and
        LibreOffice do not tell."""
        with zipfile.ZipFile(self.path) as z:
            for name in z.namelist():
                if not re.match(r"^xl/worksheets/sheet\d+\.xml$", name):
                    continue
                cols = re.search(rb"<cols>(.*?)</cols>", z.read(name))
                ranges = sorted((int(a), int(b)) for a, b in re.findall(
                    rb'<col min="(\d+)" max="(\d+)"', cols.group(1) if cols else b""))
                for (a1, b1), (a2, b2) in zip(ranges, ranges[1:]):
                    if a2 <= b1:
                        self.fail(f"{name}: column ranges {a1}-{b1} and {a2}-{b2} overlap")

    def run(self, expect_due, hostile):
        self.check_cols()
        names = self.wb.sheetnames
        if names == INVOICE_SHEETS:
            kind = "invoice"
        elif names == SUMMARY_SHEETS:
            kind = "summary"
        elif names in NOTE_SHEETS:
            kind = "note"
        else:
            self.fail(f"sheets {names} are none of {INVOICE_SHEETS}, {SUMMARY_SHEETS}, {NOTE_SHEETS}")
            return self.errors
        self.hostile_seen = 0
        for sheet in names:
            self.check_cells(sheet, hostile)
            self.check_page(sheet)
        if kind == "invoice":
            self.check_invoice(expect_due)
        elif kind == "note":
            self.check_note()
        else:
            if expect_due is not None:
                self.fail("--expect-due applies to an invoice")
            self.check_summary()
        if hostile is not None and self.hostile_seen == 0:
            self.fail(f"hostile text {hostile!r} not found as a text cell")
        self.check_properties(kind)
        return self.errors


REF_RE = re.compile(r"^'?(.+?)'?!\$([A-Z]+)\$(\d+)(?::\$([A-Z]+)\$(\d+))?$")


def ref_cells(ref):
    """'Sheet'!$H$2:$H$31 as (sheet, [(col, row), ...])."""
    m = REF_RE.match(ref or "")
    if not m:
        return None, []
    sheet, c1, r1 = m.group(1), column_index_from_string(m.group(2)), int(m.group(3))
    c2 = column_index_from_string(m.group(4)) if m.group(4) else c1
    r2 = int(m.group(5)) if m.group(5) else r1
    return sheet, [(c, r) for c in range(c1, c2 + 1) for r in range(r1, r2 + 1)]


def check_series(chk, chart, wv, sheet_want, want, what):
    """Every series of chart reads its name, categories and values from
    sheet_want; summed over the series, (category, name) -> e8 value equals
    want (absent keys are 0)."""
    got = {}
    series = chart.series
    if not series:
        chk.fail(f"{what}: no series")
    for i, s in enumerate(series):
        name_sheet, name_cells = ref_cells(s.tx.strRef.f if s.tx and s.tx.strRef else None)
        cat_ref = s.cat.numRef or s.cat.strRef if s.cat else None
        cat_sheet, cats = ref_cells(cat_ref.f if cat_ref else None)
        val_sheet, vals = ref_cells(s.val.numRef.f if s.val and s.val.numRef else None)
        if {name_sheet, cat_sheet, val_sheet} != {sheet_want} or len(name_cells) != 1:
            chk.fail(f"{what}: series {i} does not read {sheet_want!r} ({name_sheet}, "
                     f"{cat_sheet}, {val_sheet})")
            continue
        if len(cats) != len(vals) or not vals:
            chk.fail(f"{what}: series {i}: {len(cats)} categories, {len(vals)} values")
            continue
        ws = wv[sheet_want]
        name = ws.cell(row=name_cells[0][1], column=name_cells[0][0]).value
        for (cc, cr), (vc, vr) in zip(cats, vals):
            cat = ws.cell(row=cr, column=cc).value
            v = ws.cell(row=vr, column=vc).value
            if not isinstance(v, (int, float)):
                chk.fail(f"{what}: series {i} value {sheet_want}!{vc}{vr} is not a number")
                continue
            key = (cat, name)
            got[key] = got.get(key, 0) + round(v * 1e8)
    keys = set(got) | set(want)
    bad = [k for k in keys if got.get(k, 0) != want.get(k, 0)]
    if bad and series:
        k = sorted(bad, key=str)[0]
        chk.fail(f"{what}: {len(bad)} values do not tie to the data, e.g. {k}: chart "
                 f"{got.get(k, 0)} e8, data {want.get(k, 0)} e8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--expect-due", type=float)
    ap.add_argument("--hostile-text")
    args = ap.parse_args()
    try:
        errors = Checker(args.file).run(args.expect_due, args.hostile_text)
    except Exception as e:  # a workbook openpyxl cannot read fails the check
        errors = [f"cannot read {args.file}: {type(e).__name__}: {e}"]
    for e in errors:
        print(f"xlsx_check: {args.file}: {e}", file=sys.stderr)
    if not errors:
        print(f"xlsx_check: {args.file}: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
