/* Tests for the PDF writer: an invoice and a note in each language written
 * twice give the same bytes, 0640, no temporary file left; a failed write
 * leaves nothing; pdftotext (poppler-utils) finds every line's amounts, the
 * amount due, the capital numerals and the Chinese names.
 * BILLRUN_PDF_KEEP=DIR leaves the PDFs in DIR. */
#include "invoice/pdf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[PATH_MAX / 2];
static struct br_pdf *g_pdf;

static const struct br_inv_line lines[] = {
    {"compute_shared", "GPU compute, shared edition", "2.333333", "GPU-seconds",
     "0.00011 CNY per GPU-second", 25666663, 10000000, 0, 0, 0, 15666663},
    {"storage", "Object storage", "1234.5", "GB-hours", "see detail", 123456789012, 0, 100000000000,
     2000000000, 1000000000, 20456789012},
    {"egress", "<b>=HYPERLINK(\"x\")</b> \xff\xfe bad", "10", "GB", "0.5 CNY per GB", 500000000, 0,
     0, 0, 0, 500000000},
};

static const struct br_inv_note notes[] = {
    {"CN-202401-000001", "adj-1", true, "compute_shared", "GPU compute, shared edition", 1250000000,
     "INV-202312-000004", "GPU 任务失败（工单 4411）", 1704700800, false},
    {"DN-202401-000001", "adj-2", false, "egress", "Outbound traffic", 320000000, "",
     "Traffic of 2023-12-30 missing from the export", 1704704400, true},
};

static struct br_invoice_doc sample(enum br_lang lang, size_t nlines)
{
    struct br_invoice_doc d = {
        .seller = {.name = "云华智算（上海）有限公司",
                   .address = "上海市浦东新区张杨路1000号18楼",
                   .tax_id = "91310115MA1H9Y2Q3X",
                   .bank = "上海银行浦东分行",
                   .bank_account = "3100 4005 0000 1234 5678",
                   .phone = "+86 21 5000 1234"},
        .buyer = {.name = "杭州青云动画有限公司",
                  .address = "杭州市西湖区文三路99号1502室",
                  .tax_id = "91330106MA2H3QY81K",
                  .email = "finance@qingyun-anim.example",
                  .account_id = "acc-10342"},
        .invoice_no = "INV-202401-000001",
        .period = "2024-01",
        .issued_at = 1706716800,
        .tz_offset_s = 8 * 3600,
        .currency = "CNY",
        .lines = lines,
        .nlines = nlines,
        .gross_e8 = 123982455675,
        .free_e8 = 10000000,
        .plan_e8 = 100000000000,
        .coupon_e8 = 2000000000,
        .balance_e8 = 1000000000,
        .outstanding_e8 = 20972455675,
        .round_down_e8 = 455675,
        .amount_due_e8 = 20972000000,
        .lang = lang,
    };
    return d;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Only the finished files are in the folder: no temporary left. */
static void no_tmp_left(void)
{
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-") != NULL)
            fail_msg("temporary file left: %s", e->d_name);
    closedir(d);
}

static void same_bytes(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    assert_memory_equal(x, "%PDF-1.5", 8);
    free(x);
    free(y);
    struct stat st;
    assert_int_equal(stat(a, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
}

/* pdftotext's text of path, or NULL when poppler-utils is missing. */
static char *pdf_text(const char *path)
{
    if (access("/usr/bin/pdftotext", X_OK) != 0)
        return NULL;
    char txt[PATH_MAX + 8], cmd[3 * PATH_MAX];
    snprintf(txt, sizeof(txt), "%s.txt", path);
    snprintf(cmd, sizeof(cmd), "/usr/bin/pdftotext -layout '%s' '%s'", path, txt);
    assert_int_equal(system(cmd), 0);
    size_t n;
    char *t = slurp(txt, &n);
    unlink(txt);
    return t;
}

static void has(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL)
        fail_msg("pdftotext does not show \"%s\" in:\n%s", needle, text);
}

static void test_invoice_langs(void **state)
{
    (void)state;
    static const enum br_lang langs[] = {BR_LANG_ZH_EN, BR_LANG_ZH, BR_LANG_EN};
    for (size_t i = 0; i < 3; i++) {
        struct br_invoice_doc d = sample(langs[i], 3);
        d.notes = notes;
        d.nnotes = 2;
        d.credits_e8 = 1250000000;
        d.debits_e8 = 320000000;
        d.amount_due_e8 = 21292000000;
        char a[PATH_MAX], b[PATH_MAX];
        snprintf(a, sizeof(a), "%s/inv-%s.pdf", g_dir, br_lang_name(langs[i]));
        snprintf(b, sizeof(b), "%s/inv-%s-again.pdf", g_dir, br_lang_name(langs[i]));
        struct br_error err = {0};
        assert_int_equal(br_pdf_invoice(g_pdf, &d, a, &err), BR_OK);
        assert_int_equal(br_pdf_invoice(g_pdf, &d, b, &err), BR_OK);
        same_bytes(a, b);
        char *t = pdf_text(a);
        if (t == NULL)
            continue;
        bool yen = langs[i] != BR_LANG_EN;
        has(t, yen ? "¥0.25666663" : "0.25666663");
        has(t, yen ? "¥1,234.56789012" : "1,234.56789012");
        has(t, yen ? "¥204.56789012" : "204.56789012");
        has(t, yen ? "¥212.92" : "212.92"); /* amount due */
        has(t, yen ? "¥0.00455675" : "0.00455675");
        has(t, "INV-202401-000001");
        has(t, "杭州青云动画有限公司");
        has(t, "<b>=HYPERLINK");
        if (yen) {
            has(t, "人民币贰佰壹拾贰元玖角贰分");
            has(t, "2024年2月1日");
        } else {
            has(t, "2024-02-01");
            has(t, "Amount due");
        }
        free(t);
    }
    no_tmp_left();
}

static void test_many_pages(void **state)
{
    (void)state;
    enum { N = 90 };
    struct br_inv_line *many = calloc(N, sizeof(*many));
    assert_non_null(many);
    for (size_t i = 0; i < N; i++)
        many[i] = lines[i % 3];
    struct br_invoice_doc d = sample(BR_LANG_ZH_EN, N);
    d.lines = many;
    char a[PATH_MAX];
    snprintf(a, sizeof(a), "%s/many.pdf", g_dir);
    struct br_error err = {0};
    assert_int_equal(br_pdf_invoice(g_pdf, &d, a, &err), BR_OK);
    char *t = pdf_text(a);
    if (t != NULL) {
        has(t, "第 1 页 共 3 页");
        has(t, "Page 1 of 3");
        has(t, "Page 3 of 3");
        free(t);
    }
    free(many);
}

/* A draft (no invoice number) says so on every page: the mark at the top
 * and the word across the page; a numbered invoice has neither. */
static void test_draft_every_page(void **state)
{
    (void)state;
    enum { N = 90 };
    struct br_inv_line *many = calloc(N, sizeof(*many));
    assert_non_null(many);
    for (size_t i = 0; i < N; i++)
        many[i] = lines[i % 3];
    struct br_invoice_doc d = sample(BR_LANG_ZH_EN, N);
    d.lines = many;
    d.invoice_no = NULL;
    char a[PATH_MAX], b[PATH_MAX];
    snprintf(a, sizeof(a), "%s/draft.pdf", g_dir);
    snprintf(b, sizeof(b), "%s/draft-again.pdf", g_dir);
    struct br_error err = {0};
    assert_int_equal(br_pdf_invoice(g_pdf, &d, a, &err), BR_OK);
    assert_int_equal(br_pdf_invoice(g_pdf, &d, b, &err), BR_OK);
    same_bytes(a, b);
    char *t = pdf_text(a);
    if (t != NULL) {
        int pages = 0;
        for (char *page = t; page != NULL && *page != '\0'; pages++) {
            char *ff = strchr(page, '\f');
            if (ff != NULL)
                *ff = '\0';
            has(page, "DRAFT: not an invoice until numbered at close");
            has(page, "草稿：结账编号后才是账单");
            page = ff != NULL ? ff + 1 : NULL;
        }
        assert_int_equal(pages, 3);
        free(t);
    }
    d.invoice_no = "INV-202401-000001";
    assert_int_equal(br_pdf_invoice(g_pdf, &d, b, &err), BR_OK);
    t = pdf_text(b);
    if (t != NULL) {
        assert_null(strstr(t, "DRAFT"));
        free(t);
    }
    free(many);
}

static void test_note(void **state)
{
    (void)state;
    struct br_invoice_doc inv = sample(BR_LANG_ZH, 0);
    for (size_t i = 0; i < 2; i++) {
        struct br_note_doc n = {.seller = inv.seller,
                                .buyer = inv.buyer,
                                .note = &notes[i],
                                .period = "2024-01",
                                .listed_on = "INV-202401-000001",
                                .issued_at = inv.issued_at,
                                .tz_offset_s = inv.tz_offset_s,
                                .currency = "CNY",
                                .lang = i == 0 ? BR_LANG_ZH : BR_LANG_EN};
        char a[PATH_MAX], b[PATH_MAX];
        snprintf(a, sizeof(a), "%s/%s.pdf", g_dir, notes[i].note_no);
        snprintf(b, sizeof(b), "%s/%s-again.pdf", g_dir, notes[i].note_no);
        struct br_error err = {0};
        assert_int_equal(br_pdf_note(g_pdf, &n, a, &err), BR_OK);
        assert_int_equal(br_pdf_note(g_pdf, &n, b, &err), BR_OK);
        same_bytes(a, b);
        char *t = pdf_text(a);
        if (t == NULL)
            continue;
        has(t, notes[i].note_no);
        has(t, i == 0 ? "¥12.50" : "3.20");
        if (i == 0)
            has(t, "人民币壹拾贰元伍角整");
        free(t);
    }
    no_tmp_left();
}

static void test_write_fails(void **state)
{
    (void)state;
    char a[PATH_MAX];
    snprintf(a, sizeof(a), "%s/no-such-folder/x.pdf", g_dir);
    struct br_invoice_doc d = sample(BR_LANG_EN, 3);
    struct br_error err = {0};
    assert_int_equal(br_pdf_invoice(g_pdf, &d, a, &err), BR_ERR_IO);
    assert_non_null(strstr(err.msg, "no-such-folder"));
    setenv("BILLRUN_PDF_FONT", "/nonexistent/font.ttf", 1);
    struct br_pdf *p = NULL;
    assert_int_equal(br_pdf_new(&p, &err), BR_ERR_IO);
    assert_null(p);
    assert_non_null(strstr(err.msg, "fonts-wqy-microhei"));
    unsetenv("BILLRUN_PDF_FONT");
}

static int setup(void **state)
{
    (void)state;
    const char *keep = getenv("BILLRUN_PDF_KEEP");
    if (keep != NULL && keep[0] != '\0') {
        snprintf(g_dir, sizeof(g_dir), "%s", keep);
        mkdir(g_dir, 0755);
    } else {
        snprintf(g_dir, sizeof(g_dir), "/tmp/br-pdf-XXXXXX");
        assert_non_null(mkdtemp(g_dir));
    }
    struct br_error err = {0};
    if (br_pdf_new(&g_pdf, &err) != BR_OK)
        fail_msg("%s", err.msg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    br_pdf_free(g_pdf);
    const char *keep = getenv("BILLRUN_PDF_KEEP");
    if (keep == NULL || keep[0] == '\0') {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
        if (system(cmd) != 0)
            return 1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invoice_langs),    cmocka_unit_test(test_many_pages),
        cmocka_unit_test(test_draft_every_page), cmocka_unit_test(test_note),
        cmocka_unit_test(test_write_fails),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
