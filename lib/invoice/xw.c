/* The workbook writer (xw.h): cells, sheets, the workbook's life, and the
 * read-back check of a finished file. */
#include "invoice/xw.h"

#include "core/btime.h"
#include "core/money.h"
#include "invoice/xlsx.h"

#include <zlib.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- text ------------------------------------------------------------- */

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of a valid UTF-8 sequence at p (n bytes available) and its code
 * point, or 0 when p does not start one (overlong, surrogate, too large). */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t min;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2, min = 0x80, *cp = p[0] & 0x1Fu;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3, min = 0x800, *cp = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4, min = 0x10000, *cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (p[k] & 0x3Fu);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

/* The cleaned form of the character at p: a piece of at most 8 bytes, its
 * length in UTF-16 code units (what Excel counts), and the input consumed.
 * Characters XML cannot hold (C0 controls but tab and newline, DEL, U+FFFE,
 * U+FFFF) and bytes that are not UTF-8 become visible escapes "\x01",
 * "\uFFFE", in the caller's style for NUL ("\x00"); a literal "_xHHHH_",
 * which Excel would decode as an escape, gets its underscore escaped. */
static size_t text_piece(const unsigned char *p, size_t n, char *piece, size_t *plen, size_t *units)
{
    uint32_t cp = 0;
    size_t len = p[0] < 0x80 ? 1 : utf8_decode(p, n, &cp);
    if (len == 0 || (len == 1 && ((p[0] < 0x20 && p[0] != '\t' && p[0] != '\n') || p[0] == 0x7F))) {
        *plen = (size_t)snprintf(piece, 8, "\\x%02X", p[0]);
        *units = *plen;
        return 1;
    }
    if (len == 1 && p[0] == '_' && n >= 7 && p[1] == 'x' && is_hex(p[2]) && is_hex(p[3]) &&
        is_hex(p[4]) && is_hex(p[5]) && p[6] == '_') {
        memcpy(piece, "_x005F_", 7);
        *plen = *units = 7;
        return 1;
    }
    if (len == 3 && (cp == 0xFFFE || cp == 0xFFFF)) {
        *plen = (size_t)snprintf(piece, 8, "\\u%04" PRIX32, cp);
        *units = *plen;
        return 3;
    }
    memcpy(piece, p, len);
    *plen = len;
    *units = cp >= 0x10000 ? 2 : 1;
    return len;
}

/* Cleans s into out (see text_piece) and cuts it, with a marker, to what a
 * cell can hold. out->data is valid (NUL-terminated) on success. */
static enum br_status text_clean(struct br_buf *out, const char *s)
{
    const size_t room = CELL_UNITS_MAX - (sizeof(TRUNCATED_MARK) - 1);
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), units = 0, cut = SIZE_MAX;
    br_buf_reset(out);
    enum br_status st = br_buf_append(out, "", 0);
    for (size_t i = 0; i < n && st == BR_OK;) {
        char piece[8];
        size_t plen, punits;
        size_t adv = text_piece(p + i, n - i, piece, &plen, &punits);
        if (units + punits > room && cut == SIZE_MAX)
            cut = out->len;
        if (units + punits > CELL_UNITS_MAX) {
            out->len = cut;
            out->data[cut] = '\0';
            return br_buf_append(out, TRUNCATED_MARK, sizeof(TRUNCATED_MARK) - 1);
        }
        st = br_buf_append(out, piece, plen);
        units += punits;
        i += adv;
    }
    return st;
}

/* Copies the characters of s that are safe anywhere (page headers, titles,
 * messages: [A-Za-z0-9 ._-]), others as '?', at most size - 1 bytes. */
void xw_ascii_copy(char *dst, size_t size, const char *s)
{
    size_t k = 0;
    for (; s != NULL && s[k] != '\0' && k + 1 < size; k++) {
        unsigned char c = (unsigned char)s[k];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == ' ' || c == '.' || c == '_' || c == '-';
        dst[k] = ok ? (char)c : '?';
    }
    dst[k] = '\0';
}

/* True when s is -?[0-9]+(\.[0-9]+)? with at most DEC_DIGITS_MAX digits on
 * each side (so strtod gives a finite number); *decimals gets the count of
 * fractional digits. */
static bool dec_text_ok(const char *s, unsigned *decimals)
{
    size_t i = s[0] == '-' ? 1 : 0, start = i;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == start || i - start > DEC_DIGITS_MAX)
        return false;
    *decimals = 0;
    if (s[i] == '\0')
        return true;
    if (s[i] != '.')
        return false;
    start = ++i;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == start || i - start > DEC_DIGITS_MAX || s[i] != '\0')
        return false;
    *decimals = (unsigned)(i - start);
    return true;
}

/* ---- cells ------------------------------------------------------------ */

/* Records the first libxlsxwriter failure. */
void xw_lxw(struct xw *w, lxw_error e, lxw_row_t row, lxw_col_t col)
{
    if (e == LXW_NO_ERROR || w->st != BR_OK)
        return;
    w->st = br_fail(w->err, BR_ERR_XLSX, "xlsx: %s: sheet %s, row %" PRIu32 ", column %u: %s",
                    w->tmp_path, w->sheet, row + 1, (unsigned)col + 1, lxw_strerror(e));
}

void xw_text(struct xw *w, lxw_row_t row, lxw_col_t col, const char *s, lxw_format *fmt)
{
    if (w->st != BR_OK)
        return;
    if (s == NULL || s[0] == '\0') {
        if (fmt != NULL)
            xw_lxw(w, worksheet_write_blank(w->ws, row, col, fmt), row, col);
        return;
    }
    enum br_status st = text_clean(&w->text, s);
    if (st != BR_OK) {
        w->st = br_fail(w->err, st, "xlsx: sheet %s, row %" PRIu32 ": text too large", w->sheet,
                        row + 1);
        return;
    }
    /* A string cell (shared string, t="s"): never a formula, whatever it
     * starts with ('=', '+', '-', '@'). */
    xw_lxw(w, worksheet_write_string(w->ws, row, col, w->text.data, fmt), row, col);
}

/* The one place where a number becomes binary floating point (xlsx.h): the
 * value of a cell is the nearest double to an exact decimal text (an e8
 * amount formatted by br_e8_format, or a quantity's text), as strtod gives
 * it; w->c_locale is in use, so '.' is the decimal point. With a formula,
 * the number is written as the formula's cached result. text must have
 * passed dec_text_ok. */
void xw_number(struct xw *w, lxw_row_t row, lxw_col_t col, const char *formula, const char *text,
               lxw_format *fmt)
{
    if (w->st != BR_OK)
        return;
    char *end = NULL;
    double value = strtod(text, &end);
    BR_ASSERT(end != text);
    BR_ASSERT(*end == '\0');
    lxw_error e = formula != NULL
                      ? worksheet_write_formula_num(w->ws, row, col, formula, fmt, value)
                      : worksheet_write_number(w->ws, row, col, value, fmt);
    xw_lxw(w, e, row, col);
}

void xw_e8(struct xw *w, lxw_row_t row, lxw_col_t col, const char *formula, int64_t e8,
           lxw_format *fmt)
{
    char text[32];
    br_e8_format(e8, text, sizeof(text));
    xw_number(w, row, col, formula, text, fmt);
}

void xw_int(struct xw *w, lxw_row_t row, lxw_col_t col, int64_t v)
{
    char text[32];
    snprintf(text, sizeof(text), "%" PRId64, v);
    xw_number(w, row, col, NULL, text, w->f.integer);
}

static lxw_format *qty_format(struct xw *w, unsigned decimals)
{
    if (decimals > QTY_DECIMALS_MAX)
        decimals = QTY_DECIMALS_MAX;
    if (w->f.qty[decimals] != NULL)
        return w->f.qty[decimals];
    char num[8 + QTY_DECIMALS_MAX] = "#,##0";
    if (decimals > 0) {
        size_t n = strlen(num);
        num[n++] = '.';
        memset(num + n, '0', decimals);
        num[n + decimals] = '\0';
    }
    lxw_format *f = workbook_add_format(w->wb);
    if (f == NULL) {
        w->st = br_fail(w->err, BR_ERR_NOMEM, "xlsx: out of memory for a format");
        return NULL;
    }
    format_set_num_format(f, num);
    w->f.qty[decimals] = f;
    return f;
}

/* A quantity given as exact decimal text: a number shown with exactly its
 * own decimals; text that is not a decimal ("see detail") stays text. */
void xw_dec(struct xw *w, lxw_row_t row, lxw_col_t col, const char *text)
{
    unsigned decimals;
    if (text == NULL || !dec_text_ok(text, &decimals)) {
        xw_text(w, row, col, text, NULL);
        return;
    }
    lxw_format *f = qty_format(w, decimals);
    if (f != NULL)
        xw_number(w, row, col, NULL, text, f);
}

static bool excel_day_ok(int64_t day)
{
    return day >= br_days_from_civil(1900, 3, 1) && day <= br_days_from_civil(9999, 12, 31);
}

/* A local day number as a date cell (text outside Excel's date range). */
void xw_day(struct xw *w, lxw_row_t row, lxw_col_t col, int64_t day)
{
    if (w->st != BR_OK)
        return;
    if (!excel_day_ok(day)) {
        char text[48];
        snprintf(text, sizeof(text), "day %" PRId64, day);
        xw_text(w, row, col, text, NULL);
        return;
    }
    /* The local wall clock written as if it were UTC: Excel dates have no zone. */
    xw_lxw(w, worksheet_write_unixtime(w->ws, row, col, day * BR_DAY_S, w->f.date), row, col);
}

/* An instant (UTC seconds) as a date-time cell in the billing calendar. */
void xw_local_time(struct xw *w, lxw_row_t row, lxw_col_t col, int64_t t)
{
    if (w->st != BR_OK)
        return;
    int64_t local;
    if (__builtin_add_overflow(t, (int64_t)w->tz_offset_s, &local) ||
        !excel_day_ok(br_floor_div(local, BR_DAY_S))) {
        char text[48];
        snprintf(text, sizeof(text), "unix time %" PRId64, t);
        xw_text(w, row, col, text, NULL);
        return;
    }
    xw_lxw(w, worksheet_write_unixtime(w->ws, row, col, local, w->f.datetime), row, col);
}

/* A totals cell: =SUM over the n cells above from row first, with the exact
 * total as its cached value, so a viewer that does not recalculate shows
 * the right number. With no cells a plain number: a SUM over an empty range
 * would turn into one that includes the cell itself. */
void xw_sum(struct xw *w, lxw_row_t row, lxw_col_t col, lxw_row_t first, size_t n, int64_t total_e8,
            lxw_format *fmt)
{
    BR_ASSERT(col < 26);
    if (n == 0) {
        xw_e8(w, row, col, NULL, total_e8, fmt);
        return;
    }
    char formula[64];
    snprintf(formula, sizeof(formula), "=SUM(%c%" PRIu32 ":%c%" PRIu32 ")", 'A' + col, first + 1,
             'A' + col, (lxw_row_t)(first + n));
    xw_e8(w, row, col, formula, total_e8, fmt);
}

/* A header row from a table spec; money labels get the currency. */
void xw_head(struct xw *w, lxw_row_t row, const struct col_spec *cols, size_t n)
{
    for (size_t c = 0; c < n && w->st == BR_OK; c++) {
        char label[176], name[144];
        const char *zh = cols[c].zh != NULL ? cols[c].zh : cols[c].label;
        if (w->lang == BR_LANG_ZH)
            snprintf(name, sizeof(name), "%s", zh);
        else if (w->lang == BR_LANG_ZH_EN && zh != cols[c].label)
            snprintf(name, sizeof(name), "%s %s", zh, cols[c].label);
        else
            snprintf(name, sizeof(name), "%s", cols[c].label);
        if (cols[c].money)
            snprintf(label, sizeof(label), "%s (%.16s)", name, w->currency);
        else
            snprintf(label, sizeof(label), "%s", name);
        xw_text(w, row, (lxw_col_t)c, label, w->f.head);
        if (cols[c].width > 0)
            xw_lxw(w, worksheet_set_column(w->ws, (lxw_col_t)c, (lxw_col_t)c, cols[c].width, NULL),
                   row, (lxw_col_t)c);
    }
    /* both languages take a third line in the narrow amount columns */
    xw_lxw(w,
           worksheet_set_row(w->ws, row,
                             w->lang == BR_LANG_ZH_EN ? HEAD_ROW_HEIGHT_2 : HEAD_ROW_HEIGHT, NULL),
           row, 0);
}

/* ---- sheets and workbook ------------------------------------------------ */

void xw_sheet(struct xw *w, const char *name)
{
    if (w->st != BR_OK)
        return;
    w->sheet = name;
    w->ws = workbook_add_worksheet(w->wb, name);
    if (w->ws == NULL)
        w->st = br_fail(w->err, BR_ERR_XLSX, "xlsx: cannot add sheet %s", name);
}

/* Print setup: A4 landscape, one page wide, the table header repeated on
 * every page and frozen on screen, title and page numbers. */
void xw_page(struct xw *w, lxw_row_t head_row, lxw_row_t last_row, lxw_col_t last_col,
             const char *title)
{
    if (w->st != BR_OK)
        return;
    char header[192], footer[96];
    char safe[96];
    xw_ascii_copy(safe, sizeof(safe), title);
    const char *mark = w->draft ? xw_l(w, BR_L_DRAFT) : NULL; /* no '&' in it */
    if (mark != NULL) {
        snprintf(header, sizeof(header), "&L%s&C&\"-,Bold\"&KFF0000%s&R%s", safe, mark, w->sheet);
        snprintf(footer, sizeof(footer), "&L&KFF0000%s&K000000&CPage &P of &N", mark);
    } else {
        snprintf(header, sizeof(header), "&L%s&R%s", safe, w->sheet);
        snprintf(footer, sizeof(footer), "&CPage &P of &N");
    }
    worksheet_set_paper(w->ws, PAPER_A4);
    worksheet_set_landscape(w->ws);
    worksheet_fit_to_pages(w->ws, 1, 0);
    worksheet_freeze_panes(w->ws, head_row + 1, 0);
    xw_lxw(w, worksheet_repeat_rows(w->ws, head_row, head_row), head_row, 0);
    xw_lxw(w, worksheet_print_area(w->ws, 0, 0, last_row, last_col), last_row, last_col);
    xw_lxw(w, worksheet_set_header(w->ws, header), 0, 0);
    xw_lxw(w, worksheet_set_footer(w->ws, footer), 0, 0);
}

static lxw_format *fmt_new(struct xw *w, const char *num_format, bool bold)
{
    lxw_format *f = w->st == BR_OK ? workbook_add_format(w->wb) : NULL;
    if (f == NULL) {
        if (w->st == BR_OK)
            w->st = br_fail(w->err, BR_ERR_NOMEM, "xlsx: out of memory for a format");
        return NULL;
    }
    if (num_format != NULL)
        format_set_num_format(f, num_format);
    if (bold)
        format_set_bold(f);
    return f;
}

static void formats_make(struct xw *w)
{
    struct xfmt *f = &w->f;
    f->title = fmt_new(w, NULL, true);
    f->bold = fmt_new(w, NULL, true);
    f->head = fmt_new(w, NULL, true);
    f->amount = fmt_new(w, AMOUNT_NUM_FORMAT, false);
    f->total = fmt_new(w, TOTAL_NUM_FORMAT, true);
    f->due = fmt_new(w, br_lang_yen(w->lang) ? DUE_NUM_FORMAT_YEN : DUE_NUM_FORMAT, true);
    f->e8 = fmt_new(w, E8_NUM_FORMAT, false);
    f->total_e8 = fmt_new(w, E8_NUM_FORMAT, true);
    f->wrap = fmt_new(w, NULL, false);
    f->mark = fmt_new(w, NULL, true);
    f->date = fmt_new(w, br_date_format(w->lang), false);
    f->datetime = fmt_new(w, br_datetime_format(w->lang), false);
    f->integer = fmt_new(w, "0", false);
    if (w->st != BR_OK)
        return;
    format_set_font_color(f->mark, LXW_COLOR_RED);
    format_set_font_size(f->mark, 12);
    format_set_text_wrap(f->wrap);
    format_set_align(f->wrap, LXW_ALIGN_VERTICAL_TOP);
    format_set_top(f->total_e8, LXW_BORDER_THIN);
    format_set_font_size(f->title, 14);
    format_set_text_wrap(f->head);
    format_set_align(f->head, LXW_ALIGN_VERTICAL_CENTER);
    format_set_bg_color(f->head, HEAD_BG);
    format_set_bottom(f->head, LXW_BORDER_THIN);
    format_set_top(f->total, LXW_BORDER_THIN);
    format_set_top(f->due, LXW_BORDER_THIN);
    format_set_bottom(f->due, LXW_BORDER_MEDIUM);
}

/* Where libxlsxwriter keeps a workbook's parts until it zips them (a dozen
 * small temporary files per workbook, each created and deleted): $TMPDIR
 * when set, else /dev/shm when it is a writable directory (memory, not
 * disk), else the C library's default (/tmp). */
static char *parts_dir_value;

static void parts_dir_init(void)
{
    const char *t = getenv("TMPDIR");
    if (t != NULL && t[0] != '\0')
        parts_dir_value = (char *)t;
    else if (access("/dev/shm", W_OK | X_OK) == 0)
        parts_dir_value = "/dev/shm";
}

static char *parts_dir(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, parts_dir_init);
    return parts_dir_value;
}

/* Starts a workbook at PATH.tmp-<pid>, in the C locale for numbers. */
enum br_status xw_open(struct xw *w, const char *path, int32_t tz_offset_s, const char *currency,
                       enum br_lang lang, struct br_error *err)
{
    memset(w, 0, sizeof(*w));
    w->err = err;
    w->lang = lang;
    w->tz_offset_s = tz_offset_s;
    w->currency = currency != NULL ? currency : SUMMARY_CURRENCY;
    w->sheet = "-";
    br_buf_init(&w->text, TEXT_BYTES_MAX);
    int n = snprintf(w->tmp_path, sizeof(w->tmp_path), "%s.tmp-%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(w->tmp_path))
        return w->st = br_fail(err, BR_ERR_IO, "xlsx: path too long: %.200s", path);
    if (unlink(w->tmp_path) != 0 && errno != ENOENT)
        return w->st = br_fail(err, BR_ERR_IO, "xlsx: cannot remove stale %s: %s", w->tmp_path,
                               strerror(errno));
    w->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (w->c_locale == (locale_t)0)
        return w->st = br_fail(err, BR_ERR_NOMEM, "xlsx: cannot make the C locale");
    w->saved_locale = uselocale(w->c_locale);
    lxw_workbook_options opt = {.constant_memory = LXW_FALSE, .tmpdir = parts_dir()};
    w->wb = workbook_new_opt(w->tmp_path, &opt);
    if (w->wb == NULL)
        return w->st = br_fail(err, BR_ERR_XLSX, "xlsx: cannot start workbook %s", w->tmp_path);
    formats_make(w);
    return w->st;
}

const char *xw_l(const struct xw *w, enum br_label l)
{
    return br_label(w->lang, l);
}

/* Document properties; created is the issue time, for byte-identical files
 * (libxlsxwriter uses the current time when it is 0). */
void xw_props(struct xw *w, const char *title, const char *subject, const char *company,
              int64_t created)
{
    if (w->st != BR_OK)
        return;
    enum br_status st = text_clean(&w->text, company != NULL ? company : "");
    if (st != BR_OK) {
        w->st = br_fail(w->err, st, "xlsx: company name too large");
        return;
    }
    lxw_doc_properties props = {
        .title = (char *)title,
        .subject = (char *)subject,
        .author = (char *)AUTHOR,
        .company = w->text.data,
        .created = (time_t)created,
    };
    xw_lxw(w, workbook_set_properties(w->wb, &props), 0, 0);
}

static enum br_status xlsx_verify(const char *file, struct br_error *err);

enum br_status br_xlsx_sync_dir(const char *dir, struct br_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return br_fail(err, BR_ERR_IO, "xlsx: cannot open directory %s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0)
        return br_fail(err, BR_ERR_IO, "xlsx: fsync of %s: %s", dir, strerror(saved));
    return BR_OK;
}

/* Closes the workbook; when all went well, reads it back (xlsx_verify),
 * fsyncs it and renames it into place (the folder itself is synced once for
 * all its files: br_xlsx_sync_dir). On any failure nothing is left at path
 * nor at the temporary name. */
enum br_status xw_finish(struct xw *w, const char *path)
{
    if (w->wb != NULL && w->st != BR_OK) {
        lxw_workbook_free(w->wb); /* nothing written yet */
    } else if (w->wb != NULL) {
        errno = 0;
        lxw_error e = workbook_close(w->wb);
        int saved = errno; /* the cause of a zip write error: EFBIG, ENOSPC, EIO */
        if (e == LXW_ERROR_ZIP_FILE_OPERATION && saved != 0)
            w->st = br_fail(w->err, BR_ERR_XLSX, "xlsx: writing %s: %s (%s)", w->tmp_path,
                            strerror(saved), lxw_strerror(e));
        else if (e != LXW_NO_ERROR)
            w->st =
                br_fail(w->err, BR_ERR_XLSX, "xlsx: writing %s: %s", w->tmp_path, lxw_strerror(e));
    }
    w->wb = NULL;
    if (w->st == BR_OK)
        w->st = xlsx_verify(w->tmp_path, w->err);
    /* for the owner and the group only, whatever the umask */
    if (w->st == BR_OK && chmod(w->tmp_path, 0640) != 0)
        w->st = br_fail(w->err, BR_ERR_IO, "xlsx: cannot set the mode of %s: %s", w->tmp_path,
                        strerror(errno));
    if (w->st == BR_OK && rename(w->tmp_path, path) != 0)
        w->st = br_fail(w->err, BR_ERR_IO, "xlsx: rename %s to %s: %s", w->tmp_path, path,
                        strerror(errno));
    if (w->st != BR_OK)
        unlink(w->tmp_path);
    if (w->c_locale != (locale_t)0) {
        uselocale(w->saved_locale);
        freelocale(w->c_locale);
    }
    br_buf_free(&w->text);
    return w->st;
}

/* Adds v[0..n) into sum[0..n); false on overflow. */
bool xw_add_all(int64_t *sum, const int64_t *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!br_add_i64(sum[k], v[k], &sum[k]))
            return false;
    return true;
}

/* The rows of a table of n entries, with its header and totals row. */
bool xw_table_fits(size_t n)
{
    return 2 + (uint64_t)n <= SHEET_ROWS_MAX;
}

bool xw_created_ok(int64_t t)
{
    /* 0 would make libxlsxwriter use the current time; beyond 9999 is no date. */
    return t > 0 && t < br_days_from_civil(10000, 1, 1) * BR_DAY_S;
}

void xw_pair(struct xw *w, lxw_row_t row, lxw_col_t col, const char *label, const char *value)
{
    xw_text(w, row, col, label, NULL);
    xw_text(w, row, (lxw_col_t)(col + 1), value, NULL);
}

/* libxlsxwriter 1.1.4 builds each part of the package in a tmpfile() and
 * ignores the results of those writes: when one fails (ENOSPC, EFBIG) the
 * part is silently cut short, zipped as it is, and workbook_close still
 * returns LXW_NO_ERROR. So the finished file is read back: every part must
 * inflate with the CRC and size the zip records, and every XML part must end
 * with the closing tag of its root element. The file is fsynced here too. */

#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP_CDH_SIG 0x02014b50u
#define ZIP_LFH_SIG 0x04034b50u
#define ZIP_CD_MAX ((size_t)1 << 20)
#define ZIP_IO_CHUNK 65536
#define XML_EDGE 256 /* bytes kept of each part's head and tail */

struct zip_part {
    char name[128];
    uint32_t crc, csize, usize, local_off;
    uint16_t method;
};

struct part_state {
    unsigned char in[ZIP_IO_CHUNK], out[ZIP_IO_CHUNK];
    unsigned char head[XML_EDGE], tail[XML_EDGE];
    size_t head_len, tail_len;
    uint64_t total;
    uint32_t crc;
};

static uint32_t rd16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
    return rd16(p) | rd16(p + 2) << 16;
}

static bool read_at(int fd, void *buf, size_t n, uint64_t off)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t got = pread(fd, p, n, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        p += got, n -= (size_t)got, off += (uint64_t)got;
    }
    return true;
}

/* The output's first and last XML_EDGE bytes, its CRC and length. */
static void part_keep(struct part_state *s, size_t got)
{
    const unsigned char *p = s->out;
    s->crc = (uint32_t)crc32(s->crc, p, (uInt)got);
    s->total += got;
    size_t h = XML_EDGE - s->head_len < got ? XML_EDGE - s->head_len : got;
    memcpy(s->head + s->head_len, p, h);
    s->head_len += h;
    if (got >= XML_EDGE) {
        memcpy(s->tail, p + got - XML_EDGE, XML_EDGE);
        s->tail_len = XML_EDGE;
        return;
    }
    size_t keep = s->tail_len + got > XML_EDGE ? XML_EDGE - got : s->tail_len;
    memmove(s->tail, s->tail + s->tail_len - keep, keep);
    memcpy(s->tail + keep, p, got);
    s->tail_len = keep + got;
}

/* Inflates one part; false when its data is damaged or does not match. */
static bool part_inflate(int fd, const struct zip_part *z, uint64_t data_off, struct part_state *s)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (z->method != Z_DEFLATED || inflateInit2(&zs, -MAX_WBITS) != Z_OK)
        return false;
    uint64_t left = z->csize, off = data_off;
    int zr = Z_OK;
    while (zr == Z_OK && s->total <= z->usize) {
        if (zs.avail_in == 0 && left > 0) {
            size_t n = left < ZIP_IO_CHUNK ? (size_t)left : ZIP_IO_CHUNK;
            if (!read_at(fd, s->in, n, off))
                break;
            off += n, left -= n;
            zs.next_in = s->in;
            zs.avail_in = (uInt)n;
        }
        zs.next_out = s->out;
        zs.avail_out = ZIP_IO_CHUNK;
        zr = inflate(&zs, Z_NO_FLUSH);
        if (zr == Z_OK || zr == Z_STREAM_END)
            part_keep(s, ZIP_IO_CHUNK - zs.avail_out);
    }
    inflateEnd(&zs);
    return zr == Z_STREAM_END && s->crc == z->crc && s->total == z->usize;
}

/* An XML part is whole when it ends with the closing tag of its root. */
static bool xml_whole(const struct part_state *s)
{
    size_t i = 0, h = s->head_len, t = s->tail_len;
    if (h >= 2 && memcmp(s->head, "<?", 2) == 0) {
        while (i + 1 < h && memcmp(s->head + i, "?>", 2) != 0)
            i++;
        i += 2;
    }
    while (i < h && (s->head[i] == ' ' || s->head[i] == '\r' || s->head[i] == '\n'))
        i++;
    if (i >= h || s->head[i] != '<')
        return false;
    size_t name = ++i;
    while (i < h && strchr(" \t\r\n/>", s->head[i]) == NULL)
        i++;
    size_t nlen = i - name;
    while (t > 0 && (s->tail[t - 1] == ' ' || s->tail[t - 1] == '\r' || s->tail[t - 1] == '\n'))
        t--;
    if (nlen == 0 || i >= h || t < nlen + 3)
        return false;
    const unsigned char *end = s->tail + t - (nlen + 3);
    return end[0] == '<' && end[1] == '/' && memcmp(end + 2, s->head + name, nlen) == 0 &&
           end[nlen + 2] == '>';
}

static bool name_ends(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* Parses the central directory entry at cd[*pos] and checks its part. */
static enum br_status part_check(int fd, const unsigned char *cd, size_t cd_len, size_t *pos,
                                 struct part_state *s, const char *file, struct br_error *err)
{
    const unsigned char *e = cd + *pos;
    if (cd_len - *pos < 46 || rd32(e) != ZIP_CDH_SIG)
        return br_fail(err, BR_ERR_XLSX, "xlsx: %s: damaged zip directory", file);
    struct zip_part z = {.method = (uint16_t)rd16(e + 10),
                         .crc = rd32(e + 16),
                         .csize = rd32(e + 20),
                         .usize = rd32(e + 24),
                         .local_off = rd32(e + 42)};
    size_t nlen = rd16(e + 28), extra = rd16(e + 30) + (size_t)rd16(e + 32);
    if (cd_len - *pos - 46 < nlen + extra || nlen >= sizeof(z.name))
        return br_fail(err, BR_ERR_XLSX, "xlsx: %s: damaged zip directory", file);
    memcpy(z.name, e + 46, nlen);
    z.name[nlen] = '\0';
    *pos += 46 + nlen + extra;
    unsigned char lfh[30];
    if (!read_at(fd, lfh, sizeof(lfh), z.local_off) || rd32(lfh) != ZIP_LFH_SIG)
        return br_fail(err, BR_ERR_XLSX, "xlsx: %s: damaged zip entry %s", file, z.name);
    uint64_t data_off = (uint64_t)z.local_off + 30 + rd16(lfh + 26) + rd16(lfh + 28);
    s->head_len = s->tail_len = 0, s->total = 0, s->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    bool xml = name_ends(z.name, ".xml") || name_ends(z.name, ".rels");
    if (!part_inflate(fd, &z, data_off, s) || (xml && !xml_whole(s)))
        return br_fail(err, BR_ERR_XLSX,
                       "xlsx: %s: part %s is damaged or cut short (a temporary file of "
                       "libxlsxwriter could not be written?)",
                       file, z.name);
    return BR_OK;
}

/* Finds the central directory and checks every part. */
static enum br_status zip_check(int fd, const char *file, struct br_error *err)
{
    off_t size = lseek(fd, 0, SEEK_END);
    unsigned char eocd[22];
    if (size < (off_t)sizeof(eocd) || !read_at(fd, eocd, sizeof(eocd), (uint64_t)size - 22) ||
        rd32(eocd) != ZIP_EOCD_SIG) /* libxlsxwriter writes no zip comment */
        return br_fail(err, BR_ERR_XLSX, "xlsx: %s: no zip end record", file);
    size_t entries = rd16(eocd + 10), cd_len = rd32(eocd + 12);
    uint64_t cd_off = rd32(eocd + 16);
    if (cd_len > ZIP_CD_MAX || cd_off + cd_len > (uint64_t)size - 22)
        return br_fail(err, BR_ERR_XLSX, "xlsx: %s: damaged zip end record", file);
    unsigned char *cd = malloc(cd_len + 1);
    struct part_state *s = malloc(sizeof(*s));
    enum br_status st = BR_OK;
    if (cd == NULL || s == NULL)
        st = br_fail(err, BR_ERR_NOMEM, "xlsx: %s: out of memory reading it back", file);
    else if (!read_at(fd, cd, cd_len, cd_off))
        st = br_fail(err, BR_ERR_IO, "xlsx: %s: cannot read it back", file);
    size_t pos = 0;
    for (size_t i = 0; i < entries && st == BR_OK; i++)
        st = part_check(fd, cd, cd_len, &pos, s, file, err);
    if (st == BR_OK && entries == 0)
        st = br_fail(err, BR_ERR_XLSX, "xlsx: %s: empty zip", file);
    free(s);
    free(cd);
    return st;
}

static enum br_status xlsx_verify(const char *file, struct br_error *err)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0)
        return br_fail(err, BR_ERR_IO, "xlsx: cannot open %s: %s", file, strerror(errno));
    enum br_status st = zip_check(fd, file, err);
    if (st == BR_OK && fsync(fd) != 0)
        st = br_fail(err, BR_ERR_IO, "xlsx: fsync of %s: %s", file, strerror(errno));
    close(fd);
    return st;
}
