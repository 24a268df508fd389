/* PDF copies of invoices and notes (pdf.h). A page is drawn top down at
 * fixed row heights, so the number of pages is known before page 1 is
 * drawn ("Page 1 of 2"): the invoice's rows (lines, totals, notes) are
 * walked twice by the same function, once counting pages, once drawing.
 * All coordinates are PDF points (1/72 inch); text sizes are points too
 * (the context's resolution is 72 dpi). */
#include "invoice/pdf.h"

#include "core/btime.h"
#include "core/money.h"
#include "invoice/cnamount.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_W 841.8898 /* A4 landscape, 297 mm */
#define PAGE_H 595.2756 /* 210 mm */
#define MARGIN 36.0
#define BODY_W (PAGE_W - 2 * MARGIN)
#define ROW_H 13.0
#define HEAD_H 30.0 /* a table header: up to three lines of 7.5 pt */
#define FOOT_Y (PAGE_H - MARGIN + 12)
#define BODY_BOTTOM (PAGE_H - MARGIN - 4)
/* what draw_head takes: title, two rows of numbers, the parties' title and
 * their six rows */
#define HEAD_BLOCK_H (28 + 9 * ROW_H + 18)

enum font { F_SMALL, F_TEXT, F_LARGE, F_TITLE, F_COUNT };
static const double font_pt[F_COUNT] = {7.5, 8.5, 10.5, 16.0};

struct br_pdf {
    FcConfig *fc;
    PangoFontMap *map;
    PangoContext *ctx;
    PangoLayout *layout;
    PangoFontDescription *font[F_COUNT];
    enum font cur;
    cairo_t *cr; /* the document being drawn */
    enum br_lang lang;
    bool draft; /* an invoice with no number: marked DRAFT on every page */
};

#if defined(__SANITIZE_ADDRESS__)
/* fontconfig 2.14 keeps what it read from a font file (charsets, language
 * sets, patterns) after FcConfigDestroy: about 19 KB per configuration,
 * whatever the caller does (a five-line program of FcConfigCreate,
 * FcConfigAppFontAddFile and FcConfigDestroy shows it). LeakSanitizer
 * reads this hook (its name is the sanitizer's, hence the underscores);
 * leaks of billrun's own code are still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

/* and says nothing of it on stderr, which tests read */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}
#endif

/* ---- the renderer --------------------------------------------------------------- */

static const char *font_file(void)
{
    const char *f = getenv("BILLRUN_PDF_FONT");
    return f != NULL && f[0] != '\0' ? f : BR_PDF_FONT_FILE;
}

/* A fontconfig configuration that knows the one font file and nothing
 * else (no system configuration, no cache directory to write); the
 * family its first face names. */
static enum br_status font_config(struct br_pdf *p, char *family, size_t size, struct br_error *err)
{
    const char *file = font_file();
    p->fc = FcConfigCreate();
    if (p->fc == NULL)
        return br_fail(err, BR_ERR_NOMEM, "pdf: out of memory for fontconfig");
    if (!FcConfigAppFontAddFile(p->fc, (const FcChar8 *)file))
        return br_fail(err, BR_ERR_IO,
                       "pdf: cannot load the font %s (Debian package fonts-wqy-microhei, or "
                       "set BILLRUN_PDF_FONT to a TrueType font with Chinese glyphs)",
                       file);
    FcFontSet *set = FcConfigGetFonts(p->fc, FcSetApplication);
    FcChar8 *name = NULL;
    if (set == NULL || set->nfont < 1 ||
        FcPatternGetString(set->fonts[0], FC_FAMILY, 0, &name) != FcResultMatch)
        return br_fail(err, BR_ERR_IO, "pdf: %s holds no font", file);
    snprintf(family, size, "%s", (const char *)name);
    return BR_OK;
}

enum br_status br_pdf_new(struct br_pdf **out, struct br_error *err)
{
    *out = NULL;
    struct br_pdf *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return br_fail(err, BR_ERR_NOMEM, "pdf: out of memory");
    char family[256];
    enum br_status st = font_config(p, family, sizeof(family), err);
    if (st != BR_OK) {
        br_pdf_free(p);
        return st;
    }
    p->map = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
    if (p->map == NULL) {
        br_pdf_free(p);
        return br_fail(err, BR_ERR_NOMEM, "pdf: cannot make a font map");
    }
    pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(p->map), p->fc);
    p->ctx = pango_font_map_create_context(p->map);
    pango_cairo_context_set_resolution(p->ctx, 72.0);
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(p->ctx, fo);
    cairo_font_options_destroy(fo);
    for (int f = 0; f < F_COUNT; f++) {
        p->font[f] = pango_font_description_new();
        pango_font_description_set_family(p->font[f], family);
        pango_font_description_set_absolute_size(p->font[f], font_pt[f] * PANGO_SCALE);
    }
    p->layout = pango_layout_new(p->ctx);
    pango_layout_set_font_description(p->layout, p->font[F_TEXT]);
    p->cur = F_TEXT;
    *out = p;
    return BR_OK;
}

void br_pdf_free(struct br_pdf *p)
{
    if (p == NULL)
        return;
    if (p->layout != NULL)
        g_object_unref(p->layout);
    for (int f = 0; f < F_COUNT; f++)
        if (p->font[f] != NULL)
            pango_font_description_free(p->font[f]);
    if (p->ctx != NULL)
        g_object_unref(p->ctx);
    if (p->map != NULL)
        g_object_unref(p->map); /* drops its reference to p->fc */
    if (p->fc != NULL)
        FcConfigDestroy(p->fc);
    free(p);
}

/* ---- drawing ---------------------------------------------------------------------- */

enum { LEFT = PANGO_ALIGN_LEFT, RIGHT = PANGO_ALIGN_RIGHT, CENTER = PANGO_ALIGN_CENTER };

/* Text in a box w wide at (x, y): one line cut with an ellipsis, or with
 * lines > 1 wrapped into at most that many. Text from input files that is
 * not UTF-8 is shown with its bad bytes replaced; it is never markup. */
static void text_lines(struct br_pdf *p, double x, double y, double w, const char *s, enum font f,
                       int align, int lines)
{
    if (s == NULL || s[0] == '\0')
        return;
    char *valid = NULL;
    if (!g_utf8_validate(s, -1, NULL))
        s = valid = g_utf8_make_valid(s, -1);
    PangoLayout *l = p->layout;
    if (p->cur != f) {
        pango_layout_set_font_description(l, p->font[f]);
        p->cur = f;
    }
    pango_layout_set_width(l, (int)(w * PANGO_SCALE));
    pango_layout_set_alignment(l, (PangoAlignment)align);
    pango_layout_set_single_paragraph_mode(l, TRUE);
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
    pango_layout_set_height(l, -lines);
    pango_layout_set_text(l, s, -1);
    cairo_move_to(p->cr, x, y);
    pango_cairo_show_layout(p->cr, l);
    g_free(valid);
}

static void text(struct br_pdf *p, double x, double y, double w, const char *s, enum font f,
                 int align)
{
    text_lines(p, x, y, w, s, f, align, 1);
}

static const char *L(const struct br_pdf *p, enum br_label l)
{
    return br_label(p->lang, l);
}

static void rule(struct br_pdf *p, double y, double width)
{
    cairo_set_source_rgb(p->cr, 0.35, 0.35, 0.35);
    cairo_set_line_width(p->cr, width);
    cairo_move_to(p->cr, MARGIN, y);
    cairo_line_to(p->cr, MARGIN + BODY_W, y);
    cairo_stroke(p->cr);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void shade(struct br_pdf *p, double x, double y, double w, double h)
{
    cairo_set_source_rgb(p->cr, 0xD9 / 255.0, 0xE1 / 255.0, 0xF2 / 255.0); /* as the workbooks */
    cairo_rectangle(p->cr, x, y, w, h);
    cairo_fill(p->cr);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void amount(struct br_pdf *p, double x, double y, double w, int64_t e8,
                   enum br_amount_rule rule_, enum font f)
{
    char t[64];
    br_amount_text(e8, rule_, br_lang_yen(p->lang), t, sizeof(t));
    text(p, x, y, w, t, f, RIGHT);
}

/* "label: value" pairs, the label in a column of its own. */
static void pair(struct br_pdf *p, double x, double y, double lw, double vw, enum br_label l,
                 const char *value)
{
    text(p, x, y, lw, L(p, l), F_SMALL, LEFT);
    text(p, x + lw, y, vw, value, F_TEXT, LEFT);
}

/* A draft's mark, on every page: the word across the page in light red,
 * below everything drawn after it, and the sentence in red at the top. */
static void draft_mark(struct br_pdf *p)
{
    cairo_save(p->cr);
    cairo_set_source_rgb(p->cr, 1.0, 0.82, 0.82);
    cairo_translate(p->cr, PAGE_W / 2, PAGE_H / 2);
    cairo_rotate(p->cr, -0.45);
    cairo_scale(p->cr, 6.0, 6.0);
    text(p, -PAGE_W / 12, -12, PAGE_W / 6, L(p, BR_L_DRAFT), F_TITLE, CENTER);
    cairo_restore(p->cr);
    cairo_set_source_rgb(p->cr, 0.8, 0, 0);
    text(p, MARGIN, MARGIN - 16, BODY_W, L(p, BR_L_DRAFT_MARK), F_TEXT, CENTER);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void footer(struct br_pdf *p, const char *number, int page, int pages)
{
    char t[128];
    const char *fmt = L(p, BR_L_PAGE);
    if (p->lang == BR_LANG_ZH_EN)
        snprintf(t, sizeof(t), fmt, page, pages, page, pages);
    else
        snprintf(t, sizeof(t), fmt, page, pages);
    text(p, MARGIN, FOOT_Y, BODY_W / 3, number, F_SMALL, LEFT);
    text(p, MARGIN, FOOT_Y, BODY_W, t, F_SMALL, CENTER);
}

/* ---- the file ---------------------------------------------------------------------- */

struct sink {
    FILE *f;
    int err; /* errno of the first failed write */
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length)
{
    struct sink *s = closure;
    if (s->err != 0)
        return CAIRO_STATUS_WRITE_ERROR;
    errno = 0;
    if (fwrite(data, 1, length, s->f) != length) {
        s->err = errno != 0 ? errno : EIO;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    return CAIRO_STATUS_SUCCESS;
}

struct doc_file {
    char tmp[4200];
    struct sink sink;
    cairo_surface_t *surface;
};

/* The PDF's own dates: "2026-12-01T00:00:00Z" for the issue time. */
static void iso_time(int64_t t, char *out, size_t size)
{
    int64_t day = br_floor_div(t, BR_DAY_S), s = t - day * BR_DAY_S, y;
    unsigned m, d;
    br_civil_from_days(day, &y, &m, &d);
    snprintf(out, size, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02dZ", y, m, d, (int)(s / 3600),
             (int)(s / 60 % 60), (int)(s % 60));
}

static enum br_status file_open(struct br_pdf *p, struct doc_file *df, const char *path,
                                const char *title, int64_t issued_at, struct br_error *err)
{
    memset(df, 0, sizeof(*df));
    int n = snprintf(df->tmp, sizeof(df->tmp), "%s.tmp-%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(df->tmp))
        return br_fail(err, BR_ERR_IO, "pdf: path too long: %.200s", path);
    df->sink.f = fopen(df->tmp, "wb");
    if (df->sink.f == NULL)
        return br_fail(err, BR_ERR_IO, "pdf: cannot create %s: %s", df->tmp, strerror(errno));
    df->surface = cairo_pdf_surface_create_for_stream(sink_write, &df->sink, PAGE_W, PAGE_H);
    cairo_pdf_surface_restrict_to_version(df->surface, CAIRO_PDF_VERSION_1_5);
    char when[40];
    iso_time(issued_at, when, sizeof(when));
    cairo_pdf_surface_set_metadata(df->surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(df->surface, CAIRO_PDF_METADATA_CREATOR, "billrun");
    cairo_pdf_surface_set_metadata(df->surface, CAIRO_PDF_METADATA_CREATE_DATE, when);
    cairo_pdf_surface_set_metadata(df->surface, CAIRO_PDF_METADATA_MOD_DATE, when);
    p->cr = cairo_create(df->surface);
    pango_cairo_update_context(p->cr, p->ctx);
    pango_layout_context_changed(p->layout);
    return BR_OK;
}

/* Finishes the PDF; when all went well syncs it, makes it 0640 and renames
 * it into place; otherwise removes it. */
static enum br_status file_close(struct br_pdf *p, struct doc_file *df, const char *path,
                                 enum br_status st, struct br_error *err)
{
    cairo_status_t cs = CAIRO_STATUS_SUCCESS;
    if (p->cr != NULL) {
        cs = cairo_status(p->cr);
        cairo_destroy(p->cr);
        p->cr = NULL;
    }
    if (df->surface != NULL) {
        cairo_surface_finish(df->surface);
        if (cs == CAIRO_STATUS_SUCCESS)
            cs = cairo_surface_status(df->surface);
        cairo_surface_destroy(df->surface);
    }
    if (df->sink.f == NULL)
        return st;
    if (st == BR_OK && df->sink.err == 0 && fflush(df->sink.f) != 0)
        df->sink.err = errno;
    if (st == BR_OK && df->sink.err == 0 && fsync(fileno(df->sink.f)) != 0)
        df->sink.err = errno;
    if (fclose(df->sink.f) != 0 && df->sink.err == 0)
        df->sink.err = errno;
    if (st == BR_OK && df->sink.err != 0)
        st = br_fail(err, BR_ERR_IO, "pdf: writing %s: %s", df->tmp, strerror(df->sink.err));
    else if (st == BR_OK && cs != CAIRO_STATUS_SUCCESS)
        st = br_fail(err, BR_ERR_IO, "pdf: writing %s: %s", df->tmp, cairo_status_to_string(cs));
    if (st == BR_OK && chmod(df->tmp, 0640) != 0)
        st =
            br_fail(err, BR_ERR_IO, "pdf: cannot set the mode of %s: %s", df->tmp, strerror(errno));
    if (st == BR_OK && rename(df->tmp, path) != 0)
        st = br_fail(err, BR_ERR_IO, "pdf: rename %s to %s: %s", df->tmp, path, strerror(errno));
    if (st != BR_OK)
        unlink(df->tmp);
    return st;
}

/* ---- the parties (invoice and note alike) -------------------------------------------- */

struct head {
    enum br_label title;
    enum br_label number_label;
    const char *number;
    const char *period, *currency;
    int64_t issued_at;
    int32_t tz_offset_s;
    const struct br_party *seller, *buyer;
    enum br_label buyer_title;
};

/* Title, number, dates, seller and buyer; returns the y below them. */
static double draw_head(struct br_pdf *p, const struct head *h)
{
    const double half = BODY_W / 2, lw = 92, vw = half - lw - 12;
    double y = MARGIN;
    text(p, MARGIN, y, half, L(p, h->title), F_TITLE, LEFT);
    text(p, MARGIN + half, y + 4, half, h->seller->name, F_LARGE, RIGHT);
    y += 28;
    char day[32], tz[16];
    br_date_text(p->lang, br_floor_div(h->issued_at + h->tz_offset_s, BR_DAY_S), day, sizeof(day));
    int32_t a = h->tz_offset_s < 0 ? -h->tz_offset_s : h->tz_offset_s;
    snprintf(tz, sizeof(tz), "UTC%c%02d:%02d", h->tz_offset_s < 0 ? '-' : '+', (int)(a / 3600),
             (int)(a / 60 % 60));
    pair(p, MARGIN, y, lw, vw, h->number_label, h->number);
    pair(p, MARGIN + half, y, lw, vw, BR_L_ISSUE_DATE, day);
    y += ROW_H;
    pair(p, MARGIN, y, lw, vw, BR_L_PERIOD, h->period);
    pair(p, MARGIN + half, y, lw, vw, BR_L_CURRENCY, h->currency);
    y += ROW_H + 8;
    shade(p, MARGIN, y - 1, BODY_W, ROW_H);
    text(p, MARGIN + 2, y, half, L(p, BR_L_SELLER), F_TEXT, LEFT);
    text(p, MARGIN + half, y, half, L(p, h->buyer_title), F_TEXT, LEFT);
    y += ROW_H + 2;
    const struct br_party *s = h->seller, *b = h->buyer;
    const enum br_label sl[6] = {BR_L_NAME, BR_L_ADDRESS,      BR_L_TAX_ID,
                                 BR_L_BANK, BR_L_BANK_ACCOUNT, BR_L_PHONE};
    const char *sv[6] = {s->name, s->address, s->tax_id, s->bank, s->bank_account, s->phone};
    const enum br_label bl[6] = {BR_L_ACCOUNT_ID, BR_L_NAME,  BR_L_ADDRESS,
                                 BR_L_TAX_ID,     BR_L_EMAIL, BR_L_DATES_IN};
    const char *bv[6] = {b->account_id, b->name, b->address, b->tax_id, b->email, tz};
    for (int i = 0; i < 6; i++, y += ROW_H) {
        pair(p, MARGIN + 2, y, lw, vw, sl[i], sv[i]);
        pair(p, MARGIN + half, y, lw, vw, bl[i], bv[i]);
    }
    BR_ASSERT(y + 8 == MARGIN + HEAD_BLOCK_H);
    return y + 8;
}

/* ---- the invoice ---------------------------------------------------------------------- */

enum { COLS = 10, AMOUNTS = 6 };
static const double col_w[COLS] = {150, 62, 52, 86, 70, 70, 70, 70, 70, 70};
static const enum br_label col_label[COLS] = {
    BR_L_ITEM, BR_L_QUANTITY, BR_L_UNIT,   BR_L_UNIT_PRICE, BR_L_GROSS,
    BR_L_FREE, BR_L_PLAN,     BR_L_COUPON, BR_L_BALANCE,    BR_L_OUTSTANDING,
};

static double col_x(int c)
{
    double x = MARGIN;
    for (int i = 0; i < c; i++)
        x += col_w[i];
    return x;
}

static void table_head(struct br_pdf *p, double y, const char *currency)
{
    shade(p, MARGIN, y, BODY_W, HEAD_H);
    for (int c = 0; c < COLS; c++) {
        char t[160];
        if (c >= COLS - AMOUNTS)
            snprintf(t, sizeof(t), "%s (%.16s)", L(p, col_label[c]), currency);
        else
            snprintf(t, sizeof(t), "%s", L(p, col_label[c]));
        text_lines(p, col_x(c) + 2, y + 2, col_w[c] - 4, t, F_SMALL, c < 4 ? LEFT : RIGHT, 3);
    }
}

static void line_row(struct br_pdf *p, double y, const struct br_inv_line *l)
{
    const int64_t v[AMOUNTS] = {l->gross_e8,  l->free_e8,    l->plan_e8,
                                l->coupon_e8, l->balance_e8, l->outstanding_e8};
    text(p, col_x(0) + 2, y, col_w[0] - 4, br_item_text(p->lang, l->item, l->label), F_SMALL, LEFT);
    text(p, col_x(1), y, col_w[1] - 4, l->quantity, F_SMALL, RIGHT);
    text(p, col_x(2) + 2, y, col_w[2] - 4, l->unit, F_SMALL, LEFT);
    text(p, col_x(3) + 2, y, col_w[3] - 4, l->unit_price, F_SMALL, LEFT);
    for (int k = 0; k < AMOUNTS; k++)
        amount(p, col_x(4 + k), y, col_w[4 + k] - 2, v[k], BR_AMOUNT_EXACT, F_SMALL);
}

/* The rows below the lines, in order. */
enum row_kind {
    R_LINE,
    R_TOTAL,
    R_DEBITS,
    R_ROUND_DOWN,
    R_DUE,
    R_WORDS,
    R_DECIMALS,
    R_NOTES_TITLE,
    R_NOTES_HEAD,
    R_NOTE,
    R_NOTE_CREDITS,
    R_NOTE_DEBITS,
};

struct row {
    enum row_kind kind;
    size_t i;
    double h;
};

/* Row k of the invoice (k < row_count). */
static struct row row_at(const struct br_invoice_doc *d, size_t k)
{
    if (k < d->nlines)
        return (struct row){R_LINE, k, ROW_H};
    k -= d->nlines;
    enum row_kind tail[6];
    size_t nt = 0;
    tail[nt++] = R_TOTAL;
    if (d->nnotes > 0)
        tail[nt++] = R_DEBITS;
    tail[nt++] = R_ROUND_DOWN;
    tail[nt++] = R_DUE;
    if (d->lang != BR_LANG_EN)
        tail[nt++] = R_WORDS;
    tail[nt++] = R_DECIMALS;
    if (k < nt)
        return (struct row){tail[k], 0, tail[k] == R_DECIMALS ? 3 * ROW_H : ROW_H + 2};
    k -= nt;
    if (k == 0)
        return (struct row){R_NOTES_TITLE, 0, ROW_H + 4};
    if (k == 1)
        return (struct row){R_NOTES_HEAD, 0, ROW_H + 4};
    if (k - 2 < d->nnotes)
        return (struct row){R_NOTE, k - 2, ROW_H};
    return (struct row){k - 2 == d->nnotes ? R_NOTE_CREDITS : R_NOTE_DEBITS, 0, ROW_H};
}

static size_t row_count(const struct br_invoice_doc *d)
{
    size_t tail = 4 + (d->nnotes > 0) + (d->lang != BR_LANG_EN);
    return d->nlines + tail + (d->nnotes > 0 ? d->nnotes + 4 : 0);
}

enum { N_NO, N_KIND, N_DATE, N_ITEM, N_AMOUNT, N_INVOICE, N_REASON, NCOLS };
static const double note_w[NCOLS] = {110, 60, 100, 150, 90, 110, 150};
static const enum br_label note_label[NCOLS] = {BR_L_NOTE_NO, BR_L_KIND,     BR_L_DATE,  BR_L_ITEM,
                                                BR_L_AMOUNT,  BR_L_CORRECTS, BR_L_REASON};

static double note_x(int c)
{
    double x = MARGIN;
    for (int i = 0; i < c; i++)
        x += note_w[i];
    return x;
}

static void local_time_text(const struct br_invoice_doc *d, int64_t t, char *out, size_t size)
{
    int64_t local = t + d->tz_offset_s, day = br_floor_div(local, BR_DAY_S);
    int64_t s = local - day * BR_DAY_S;
    char date[32];
    br_date_text(d->lang, day, date, sizeof(date));
    snprintf(out, size, "%s %02d:%02d:%02d", date, (int)(s / 3600), (int)(s / 60 % 60),
             (int)(s % 60));
}

static void note_row(struct br_pdf *p, const struct br_invoice_doc *d, double y,
                     const struct br_inv_note *n)
{
    char when[64];
    local_time_text(d, n->adjustment_time, when, sizeof(when));
    const char *cells[NCOLS] = {n->note_no, L(p, n->credit ? BR_L_CREDIT : BR_L_DEBIT),
                                when,       br_item_text(p->lang, n->item, n->label),
                                NULL,       n->invoice_no,
                                n->reason};
    for (int c = 0; c < NCOLS; c++)
        if (c == N_AMOUNT)
            amount(p, note_x(c), y, note_w[c] - 4, n->amount_e8, BR_AMOUNT_EXACT, F_SMALL);
        else
            text(p, note_x(c) + 2, y, note_w[c] - 4, cells[c], F_SMALL, LEFT);
}

/* A labelled amount in the Outstanding column. */
static void tail_amount(struct br_pdf *p, double y, enum br_label l, int64_t e8,
                        enum br_amount_rule r, enum font f)
{
    text(p, MARGIN + 2, y, col_x(COLS - 1) - MARGIN - 4, L(p, l), f, RIGHT);
    amount(p, col_x(COLS - 1), y, col_w[COLS - 1] - 2, e8, r, f);
}

static void draw_total(struct br_pdf *p, const struct br_invoice_doc *d, double y)
{
    const int64_t v[AMOUNTS] = {d->gross_e8,  d->free_e8,    d->plan_e8,
                                d->coupon_e8, d->balance_e8, d->outstanding_e8};
    rule(p, y - 1, 0.6);
    text(p, MARGIN + 2, y, col_w[0], L(p, BR_L_TOTAL), F_SMALL, LEFT);
    for (int k = 0; k < AMOUNTS; k++)
        amount(p, col_x(4 + k), y, col_w[4 + k] - 2, v[k],
               k == AMOUNTS - 1 ? BR_AMOUNT_E8 : BR_AMOUNT_TOTAL, F_SMALL);
}

static void draw_words(struct br_pdf *p, const struct br_invoice_doc *d, double y)
{
    char words[BR_CN_TEXT_MAX], t[BR_CN_TEXT_MAX + 160];
    if (br_cn_capital(d->amount_due_e8 / BR_E8_FEN, BR_CN_ZHENG_AFTER_JIAO, words, sizeof(words)) !=
        0)
        snprintf(words, sizeof(words), "-");
    /* 人民币 directly before the numerals (PBOC rule 三) */
    snprintf(t, sizeof(t), "%s：人民币%s", L(p, BR_L_AMOUNT_WORDS), words);
    text(p, MARGIN + 2, y, BODY_W - 4, t, F_TEXT, RIGHT);
}

static void draw_row(struct br_pdf *p, const struct br_invoice_doc *d, struct row r, double y)
{
    switch (r.kind) {
    case R_LINE:
        line_row(p, y, &d->lines[r.i]);
        break;
    case R_TOTAL:
        draw_total(p, d, y);
        break;
    case R_DEBITS:
        tail_amount(p, y, BR_L_DEBIT_NOTES, d->debits_e8, BR_AMOUNT_E8, F_SMALL);
        break;
    case R_ROUND_DOWN:
        tail_amount(p, y, BR_L_ROUND_DOWN, d->round_down_e8, BR_AMOUNT_E8, F_SMALL);
        break;
    case R_DUE:
        rule(p, y - 1, 0.6);
        tail_amount(p, y, BR_L_AMOUNT_DUE, d->amount_due_e8, BR_AMOUNT_DUE, F_LARGE);
        break;
    case R_WORDS:
        draw_words(p, d, y + 3);
        break;
    case R_DECIMALS:
        text_lines(p, MARGIN + 2, y + 6, BODY_W - 4, L(p, BR_L_DECIMALS_WHY), F_SMALL, LEFT, 2);
        break;
    case R_NOTES_TITLE:
        text(p, MARGIN + 2, y + 2, BODY_W, L(p, BR_L_NOTES_OF_PERIOD), F_TEXT, LEFT);
        break;
    case R_NOTES_HEAD:
        shade(p, MARGIN, y, BODY_W, ROW_H + 2);
        for (int c = 0; c < NCOLS; c++)
            text(p, note_x(c) + 2, y + 2, note_w[c] - 4, L(p, note_label[c]), F_SMALL,
                 c == N_AMOUNT ? RIGHT : LEFT);
        break;
    case R_NOTE:
        note_row(p, d, y, &d->notes[r.i]);
        break;
    case R_NOTE_CREDITS:
    case R_NOTE_DEBITS: {
        bool credits = r.kind == R_NOTE_CREDITS;
        text(p, MARGIN + 2, y, note_x(N_AMOUNT) - MARGIN - 4,
             L(p, credits ? BR_L_CREDITS_TO_BALANCE : BR_L_DEBITS_IN_DUE), F_SMALL, LEFT);
        amount(p, note_x(N_AMOUNT), y, note_w[N_AMOUNT] - 4, credits ? d->credits_e8 : d->debits_e8,
               BR_AMOUNT_TOTAL, F_SMALL);
        break;
    }
    }
}

/* Walks the invoice's rows page by page; draws them when p->cr is set
 * (after counting the pages with it NULL). Returns the number of pages. */
static int invoice_pages(struct br_pdf *p, const struct br_invoice_doc *d, const struct head *h,
                         int pages)
{
    bool draw = pages > 0;
    int page = 1;
    if (draw && p->draft)
        draft_mark(p);
    double y = draw ? draw_head(p, h) : MARGIN + HEAD_BLOCK_H;
    if (draw)
        table_head(p, y, d->currency);
    y += HEAD_H + 2;
    size_t n = row_count(d);
    for (size_t k = 0; k < n; k++) {
        struct row r = row_at(d, k);
        if (y + r.h > BODY_BOTTOM) {
            if (draw) {
                footer(p, h->number, page, pages);
                cairo_show_page(p->cr);
                if (p->draft)
                    draft_mark(p);
            }
            page++;
            y = MARGIN;
            if (r.kind == R_LINE) {
                if (draw)
                    table_head(p, y, d->currency);
                y += HEAD_H + 2;
            }
        }
        if (draw)
            draw_row(p, d, r, y);
        y += r.h;
    }
    if (draw) {
        footer(p, h->number, page, pages);
        cairo_show_page(p->cr);
    }
    return page;
}

enum br_status br_pdf_invoice(struct br_pdf *p, const struct br_invoice_doc *doc, const char *path,
                              struct br_error *err)
{
    BR_ASSERT(p != NULL && doc != NULL && path != NULL);
    BR_ASSERT(doc->nlines == 0 || doc->lines != NULL);
    BR_ASSERT(doc->nnotes == 0 || doc->notes != NULL);
    p->lang = doc->lang;
    p->draft = doc->invoice_no == NULL;
    const char *no = doc->invoice_no != NULL ? doc->invoice_no : L(p, BR_L_DRAFT_NO);
    struct head h = {.title = doc->invoice_no != NULL ? BR_L_INVOICE : BR_L_INVOICE_DRAFT,
                     .number_label = BR_L_INVOICE_NO,
                     .number = no,
                     .period = doc->period,
                     .currency = doc->currency,
                     .issued_at = doc->issued_at,
                     .tz_offset_s = doc->tz_offset_s,
                     .seller = &doc->seller,
                     .buyer = &doc->buyer,
                     .buyer_title = BR_L_BILL_TO};
    int pages = invoice_pages(p, doc, &h, 0);
    struct doc_file df;
    enum br_status st = file_open(p, &df, path, no, doc->issued_at, err);
    if (st == BR_OK)
        invoice_pages(p, doc, &h, pages);
    return file_close(p, &df, path, st, err);
}

/* ---- the note ------------------------------------------------------------------------- */

static void note_body(struct br_pdf *p, const struct br_note_doc *d, double y)
{
    const struct br_inv_note *n = d->note;
    const double lw = 150, vw = BODY_W - lw - 4;
    char when[64], amt[64], words[BR_CN_TEXT_MAX], wline[BR_CN_TEXT_MAX + 16];
    struct br_invoice_doc tz = {.tz_offset_s = d->tz_offset_s, .lang = d->lang};
    local_time_text(&tz, n->adjustment_time, when, sizeof(when));
    br_amount_text(n->amount_e8, BR_AMOUNT_EXACT, br_lang_yen(d->lang), amt, sizeof(amt));
    const char *corrects =
        n->invoice_no != NULL && n->invoice_no[0] != '\0' ? n->invoice_no : L(p, BR_L_NO_INVOICE);
    shade(p, MARGIN, y - 1, BODY_W, ROW_H);
    text(p, MARGIN + 2, y, BODY_W, L(p, n->credit ? BR_L_CREDIT_NOTE : BR_L_DEBIT_NOTE), F_TEXT,
         LEFT);
    y += ROW_H + 4;
    const enum br_label labels[] = {BR_L_ADJUSTMENT_ID, BR_L_DATE, BR_L_CORRECTS,
                                    BR_L_LISTED_ON,     BR_L_ITEM, BR_L_AMOUNT};
    const char *values[] = {n->adjustment_id,
                            when,
                            corrects,
                            d->listed_on,
                            br_item_text(d->lang, n->item, n->label),
                            amt};
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++, y += ROW_H + 2)
        pair(p, MARGIN + 2, y, lw, vw, labels[i], values[i]);
    if (d->lang != BR_LANG_EN &&
        br_cn_capital(n->amount_e8 / BR_E8_FEN, BR_CN_ZHENG_AFTER_JIAO, words, sizeof(words)) ==
            0 &&
        n->amount_e8 % BR_E8_FEN == 0) {
        snprintf(wline, sizeof(wline), "人民币%s", words);
        pair(p, MARGIN + 2, y, lw, vw, BR_L_AMOUNT_WORDS, wline);
        y += ROW_H + 2;
    }
    text(p, MARGIN + 2, y, lw, L(p, BR_L_REASON), F_SMALL, LEFT);
    text_lines(p, MARGIN + 2 + lw, y, vw, n->reason, F_TEXT, LEFT, 4);
    y += 4 * ROW_H;
    text(p, MARGIN + 2, y, lw, L(p, BR_L_EFFECT), F_SMALL, LEFT);
    text_lines(p, MARGIN + 2 + lw, y, vw, L(p, n->credit ? BR_L_EFFECT_CREDIT : BR_L_EFFECT_DEBIT),
               F_TEXT, LEFT, 3);
    y += 3 * ROW_H;
    if (n->late)
        pair(p, MARGIN + 2, y, lw, vw, BR_L_POSTED_LATE, L(p, BR_L_POSTED_LATE_WHY));
}

enum br_status br_pdf_note(struct br_pdf *p, const struct br_note_doc *doc, const char *path,
                           struct br_error *err)
{
    BR_ASSERT(p != NULL && doc != NULL && doc->note != NULL && path != NULL);
    p->lang = doc->lang;
    p->draft = false;
    const struct br_inv_note *n = doc->note;
    struct head h = {.title = n->credit ? BR_L_CREDIT_NOTE : BR_L_DEBIT_NOTE,
                     .number_label = BR_L_NOTE_NO,
                     .number = n->note_no,
                     .period = doc->period,
                     .currency = doc->currency,
                     .issued_at = doc->issued_at,
                     .tz_offset_s = doc->tz_offset_s,
                     .seller = &doc->seller,
                     .buyer = &doc->buyer,
                     .buyer_title = BR_L_CUSTOMER};
    struct doc_file df;
    enum br_status st = file_open(p, &df, path, n->note_no, doc->issued_at, err);
    if (st == BR_OK) {
        note_body(p, doc, draw_head(p, &h));
        footer(p, n->note_no, 1, 1);
        cairo_show_page(p->cr);
    }
    return file_close(p, &df, path, st, err);
}
