#!/usr/bin/python3
"""Renders billrun's charts with LibreOffice and checks that they are drawn.

usage: lo_charts.py --profile DIR --out DIR [--png FILE] SUMMARY.xlsx INVOICE.xlsx...

Issue #20 part 4. LibreOffice (headless soffice, a private profile) prints
each workbook to PDF, every sheet fit to one page wide as billrun sets them
up; pdftoppm (poppler-utils) rasterises the pages at 100 dpi. A chart's
bars are the only saturated colours on these pages (headers are a pale
blue, text black), so a page shows a chart when enough of its pixels are
saturated:

  summary   its last page (the Charts sheet: revenue per day and the
            waterfall) shows charts; its first page (the Invoices sheet, no
            chart) does not, which shows that the measure sees charts;
  invoice   its first page (the Invoice sheet, the daily-usage chart below
            the amounts) shows a chart when the Daily usage sheet has rows
            (every invoice given here must have some).

tests/xlsx_check.py checks what the charts read (openpyxl: series ranges,
values tied to the sheets); this checks that a spreadsheet program draws
them. --png FILE also keeps the charts of the summary's Charts page as a
PNG at 110 dpi, cut to them (the picture in the README). Exit 0 when all is well, else prints what
failed and exits 1.
"""
import argparse
import os
import shutil
import subprocess
import sys

SATURATED_MIN = 200  # pixels at 100 dpi: a chart (bars, legend keys) has hundreds, a table none
DPI = 100


def run(argv, timeout):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)


def to_pdf(files, out, profile):
    argv = ["soffice", f"-env:UserInstallation=file://{os.path.abspath(profile)}",
            "--headless", "--norestore", "--convert-to", "pdf", "--outdir", out] + files
    r = run(argv, 180)
    if r.returncode != 0:
        raise RuntimeError(f"soffice exit {r.returncode}: {r.stdout.decode(errors='replace')}")
    pdfs = [os.path.join(out, os.path.basename(f)[:-5] + ".pdf") for f in files]
    for p in pdfs:
        if not os.path.exists(p):
            raise RuntimeError(f"soffice wrote no {p}")
    return pdfs


def pages(pdf):
    r = run(["pdfinfo", pdf], 60)
    for line in r.stdout.decode(errors="replace").splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise RuntimeError(f"pdfinfo cannot read {pdf}")


def ppm(pdf, page, out, dpi=DPI):
    """The page as (width, height, RGB bytes), from a binary PPM."""
    stem = os.path.join(out, f"p{page}")
    r = run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
             pdf, stem], 60)
    if r.returncode != 0:
        raise RuntimeError(f"pdftoppm {pdf} page {page}: {r.stdout.decode(errors='replace')}")
    with open(stem + ".ppm", "rb") as f:
        data = f.read()
    os.unlink(stem + ".ppm")
    fields, pos = [], 0
    while len(fields) < 4:  # P6, width, height, maxval; no comments from pdftoppm
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    if fields[0] != b"P6" or fields[3] != b"255":
        raise RuntimeError(f"pdftoppm wrote no 8-bit PPM for {pdf}")
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos + 1:pos + 1 + 3 * w * h]


def saturated(pix):
    """Pixels whose channels differ by more than 80: chart bars, not text."""
    n = 0
    for i in range(0, len(pix), 3):
        r, g, b = pix[i], pix[i + 1], pix[i + 2]
        if max(r, g, b) - min(r, g, b) > 80:
            n += 1
    return n


def chart_box(w, h, pix, dpi):
    """The region of the saturated pixels (the bars), widened by the axes,
    titles and legends around them: (x, y, width, height) in pixels."""
    x0, y0, x1, y1 = w, h, -1, -1
    for y in range(h):
        row = pix[3 * w * y:3 * w * (y + 1)]
        for x in range(w):
            r, g, b = row[3 * x], row[3 * x + 1], row[3 * x + 2]
            if max(r, g, b) - min(r, g, b) > 80:
                x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
    if x1 < 0:
        return 0, 0, w, h
    m = dpi / 72  # pixels per point
    x0, y0 = max(0, int(x0 - 30 * m)), max(0, int(y0 - 40 * m))
    x1, y1 = min(w, int(x1 + 20 * m)), min(h, int(y1 + 40 * m))
    return x0, y0, x1 - x0, y1 - y0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--png")
    ap.add_argument("summary")
    ap.add_argument("invoices", nargs="+")
    args = ap.parse_args()
    errors = []
    os.makedirs(args.out, exist_ok=True)
    try:
        pdfs = to_pdf([args.summary] + args.invoices, args.out, args.profile)
        summary, invoices = pdfs[0], pdfs[1:]
        last = pages(summary)
        n_charts = saturated(ppm(summary, last, args.out)[2])
        n_table = saturated(ppm(summary, 1, args.out)[2])
        print(f"lo_charts: {os.path.basename(args.summary)}: Charts page {last}: {n_charts} "
              f"chart pixels; Invoices page: {n_table}")
        if n_charts < SATURATED_MIN:
            errors.append(f"{args.summary}: LibreOffice draws no chart on the Charts page "
                          f"({n_charts} saturated pixels)")
        if n_table >= SATURATED_MIN:
            errors.append(f"{args.summary}: the Invoices page has {n_table} saturated pixels: "
                          f"the measure does not tell charts from tables")
        for src, pdf in zip(args.invoices, invoices):
            n = saturated(ppm(pdf, 1, args.out)[2])
            print(f"lo_charts: {os.path.basename(src)}: {n} chart pixels")
            if n < SATURATED_MIN:
                errors.append(f"{src}: LibreOffice draws no daily-usage chart ({n} pixels)")
        if args.png:
            stem = os.path.join(args.out, "charts")
            x, y, w, h = chart_box(*ppm(summary, last, args.out, 110), 110)
            r = run(["pdftoppm", "-r", "110", "-f", str(last), "-l", str(last), "-singlefile",
                     "-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h),
                     "-png", summary, stem], 60)
            if r.returncode != 0:
                errors.append(f"pdftoppm -png: {r.stdout.decode(errors='replace')}")
            else:
                shutil.copyfile(stem + ".png", args.png)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        errors.append(str(e))
    for e in errors:
        print(f"lo_charts: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
