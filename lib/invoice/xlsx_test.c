/* Tests for the XLSX writer: return codes, text from input kept as text,
 * byte-identical output, and no file left behind when writing fails.
 * BILLRUN_XLSX_KEEP=DIR leaves the workbooks in DIR; with BILLRUN_SOURCE_DIR
 * set, tests/xlsx_check.py also checks them (skipped when python3 is absent). */
#include "invoice/xlsx.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define HOSTILE "=HYPERLINK(\"http://evil\",\"x\")"
#define PYTHON "/usr/bin/python3"

static char g_dir[PATH_MAX];
static bool g_keep;

/* ---- fixtures ------------------------------------------------------------- */

static const struct br_inv_line lines[] = {
    {"compute_shared", "GPU compute, shared edition", "2.333333", "GPU-seconds",
     "0.00011 CNY per GPU-second", 25666663, 10000000, 0, 0, 0, 15666663},
    {"storage", "@SUM(1)", "1234.5", "GB-hours", "see detail", 123456789012, 0, 100000000000,
     2000000000, 1000000000, 20456789012},
    {"egress", HOSTILE, "10", "GB", "+cmd|' /C calc'!A0", 500000000, 0, 0, 0, 0, 500000000},
};

static const struct br_inv_plan plans[] = {
    {"ORD-0001", "capacity", "GB-hours", "storage", "=1+1", 1704038400, 1706716800, "500", "500",
     "120.25", "0", "379.75", 5000000000, 1234567890},
};

static const struct br_inv_daily daily[] = {
    {19723, "compute_shared", "1.5", "GPU-seconds", 16500000, 6500000},
    {19724, "compute_shared", "0.833333", "GPU-seconds", 9166663, 9166663},
    {19724, "storage", "1234.5", "GB-hours", 123456789012, 20456789012},
};

static const struct br_inv_note notes[] = {
    {"CN-202401-000001", "adj-1", true, "compute_shared", "GPU compute, shared edition", 1250000000,
     "INV-202312-000004", "GPU jobs failed (ticket 4411); =HYPERLINK(\"x\")", 1704700800, false},
    {"DN-202401-000001", "adj-2", false, "egress", "Outbound traffic", 320000000, "",
     "Traffic of 2023-12-30 missing from the export", 1704704400, true},
};

static struct br_invoice_doc sample_invoice(void)
{
    struct br_invoice_doc d = {
        .seller = {.name = "北京示例科技有限公司, Beijing",
                   .address = "1 Example Road, Haidian, Beijing",
                   .tax_id = "91110000XXXXXXXXXX",
                   .bank = "Bank of Example",
                   .bank_account = "6222 0000 0000 0000",
                   .phone = NULL},
        .buyer = {.name = HOSTILE,
                  .address = "+cmd|' /C calc'!A0",
                  .tax_id = "_x0041_ literal",
                  .email = "-2+3@example.com",
                  .account_id = "acct-张伟, 001"},
        .invoice_no = "INV-202401-000001",
        .period = "2024-01",
        .issued_at = 1706716800, /* 2024-02-01T00:00:00+08:00 */
        .tz_offset_s = 8 * 3600,
        .currency = "CNY",
        .lines = lines,
        .nlines = sizeof(lines) / sizeof(lines[0]),
        .gross_e8 = 123982455675,
        .free_e8 = 10000000,
        .plan_e8 = 100000000000,
        .coupon_e8 = 2000000000,
        .balance_e8 = 1000000000,
        .outstanding_e8 = 20972455675,
        .round_down_e8 = 455675,
        .amount_due_e8 = 20972000000,
        .plans = plans,
        .nplans = sizeof(plans) / sizeof(plans[0]),
        .daily = daily,
        .ndaily = sizeof(daily) / sizeof(daily[0]),
    };
    return d;
}

static const struct br_sum_invoice sum_invoices[] = {
    {"INV-202401-000001", "acct-001", HOSTILE, 123982455675, 10000000, 100000000000, 2000000000,
     1000000000, 20972455675, 0, 0, 455675, 20972000000},
    {"INV-202401-000002", "acct-002", "王芳, Ltd.", 100000000, 0, 0, 0, 0, 100000000, 0, 0, 0,
     100000000},
};
static const struct br_sum_tb sum_tb[] = {
    {1100, "Accounts receivable", 21072000000, 0},
    {2200, "Contract liability", 1234567890, 5000000000},
    {4000, "Revenue", 0, 17306567890},
};
static const struct br_sum_roll sum_roll[] = {
    {"ORD-0001", "acct-001", "capacity", 0, 5000000000, 1234567890, 0, 3765432110},
};

/* adds to the trial balance's 4000; the first and last days lie outside
 * the period (shown on 2024-01-01 and 2024-01-31) */
static const struct br_sum_revenue sum_rev[] = {
    {19720, 4000, "Revenue", 1000000000},
    {19723, 4000, "Revenue", 9000000000},
    {19754, 4000, "Revenue", 7306567890},
};

static char long_raw[40001];

static struct br_sum_reject sum_rejects[] = {
    {"eas.csv", 7, "bad timestamp", "a,b,\\x00,c\x01\x02\x1f\x7f\r\x0b end \xef\xbf\xbe _x0041_",
     ""},
    {"oss.csv", 9, "not UTF-8", "caf\xff,=cmd|' /C calc'!A0", NULL},
    {"oss.csv", 10, "duplicate_record", long_raw, "billed by batch 3, file =cmd|' /C calc'!A0"},
};

static const struct br_sum_note sum_notes[] = {
    {"acct-001", "INV-202401-000001", &notes[0]},
    {"acct-001", "INV-202401-000001", &notes[1]},
};

static struct br_summary_doc sample_summary(void)
{
    memset(long_raw, 'z', sizeof(long_raw) - 1);
    struct br_summary_doc d = {
        .period = "2024-01",
        .issued_at = 1706716800,
        .tz_offset_s = 8 * 3600,
        .seller_name = "北京示例科技有限公司, Beijing",
        .invoices = sum_invoices,
        .ninvoices = 2,
        .tb = sum_tb,
        .ntb = 3,
        .roll = sum_roll,
        .nroll = 1,
        .rejects = sum_rejects,
        .nrejects = 3,
        .notes = sum_notes,
        .nnotes = 2,
        .revenue = sum_rev,
        .nrevenue = 3,
    };
    return d;
}

/* ---- helpers ---------------------------------------------------------------- */

static void path_in_dir(char *buf, size_t size, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", g_dir, name);
    assert_true(n > 0 && (size_t)n < size);
}

static bool file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* No PATH.tmp-* is left in the directory. */
static void assert_no_tmp_left(void)
{
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-") != NULL)
            fail_msg("temporary file left: %s", e->d_name);
    closedir(d);
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static uint32_t rd16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
    return rd16(p) | rd16(p + 2) << 16;
}

/* Walks a zip's central directory. With name, returns that part inflated
 * (NUL-terminated, caller frees); *max_usize gets the largest part size. */
static char *zip_part(const char *path, const char *name, size_t *max_usize)
{
    size_t len;
    unsigned char *z = read_file(path, &len);
    const unsigned char *eocd = z + len - 22;
    assert_int_equal(rd32(eocd), 0x06054b50u);
    size_t entries = rd16(eocd + 10), pos = rd32(eocd + 16);
    char *out = NULL;
    size_t max = 0;
    for (size_t i = 0; i < entries; i++) {
        const unsigned char *e = z + pos;
        assert_int_equal(rd32(e), 0x02014b50u);
        size_t nlen = rd16(e + 28), usize = rd32(e + 24), csize = rd32(e + 20);
        max = usize > max ? usize : max;
        if (name != NULL && strlen(name) == nlen && memcmp(e + 46, name, nlen) == 0) {
            const unsigned char *l = z + rd32(e + 42);
            z_stream zs = {0};
            out = malloc(usize + 1);
            assert_non_null(out);
            assert_int_equal(inflateInit2(&zs, -MAX_WBITS), Z_OK);
            zs.next_in = (unsigned char *)(uintptr_t)(l + 30 + rd16(l + 26) + rd16(l + 28));
            zs.avail_in = (uInt)csize;
            zs.next_out = (unsigned char *)out;
            zs.avail_out = (uInt)usize;
            assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
            inflateEnd(&zs);
            out[usize] = '\0';
        }
        pos += 46 + nlen + rd16(e + 30) + rd16(e + 32);
    }
    free(z);
    if (max_usize != NULL)
        *max_usize = max;
    return out;
}

/* XML may hold no C0 control character but tab, newline and carriage return. */
static void assert_xml_chars_ok(const char *xml)
{
    for (const unsigned char *p = (const unsigned char *)xml; *p != '\0'; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            fail_msg("control byte 0x%02x in XML at offset %zu", *p,
                     (size_t)(p - (const unsigned char *)xml));
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("missing: %s", needle);
}

/* Asserts that cell ref of a sheet's XML holds inner (its <f> and <v>). */
static void assert_cell(const char *sheet, const char *ref, const char *inner)
{
    char open[32];
    snprintf(open, sizeof(open), "<c r=\"%s\"", ref);
    const char *c = strstr(sheet, open);
    if (c == NULL)
        fail_msg("no cell %s", ref);
    const char *body = strchr(c, '>'), *end = strstr(c, "</c>");
    if (body == NULL || end == NULL || body[-1] == '/' ||
        (size_t)(end - body - 1) != strlen(inner) || memcmp(body + 1, inner, strlen(inner)) != 0)
        fail_msg("cell %s is %.*s, not %s", ref, end != NULL ? (int)(end - c) : 40, c, inner);
}

/* Runs the writer in a child whose files may not grow beyond limit bytes
 * (SIGXFSZ ignored, so write() fails with EFBIG). Returns its status. */
static int write_limited(const struct br_invoice_doc *doc, const char *path, rlim_t limit,
                         char *msg, size_t msg_size)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {limit, limit};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(100);
        struct br_error err = {0};
        enum br_status st = br_xlsx_invoice(doc, path, &err);
        ssize_t ignored = write(fds[1], err.msg, strlen(err.msg));
        (void)ignored;
        _exit((int)st);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], msg, msg_size - 1);
    msg[n > 0 ? n : 0] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Runs tests/xlsx_check.py on file when the source tree and python3 are at
 * hand; returns false when it cannot run. */
static bool run_checker(const char *file, const char *const *extra)
{
    const char *src = getenv("BILLRUN_SOURCE_DIR");
    char script[PATH_MAX];
    if (src == NULL || access(PYTHON, X_OK) != 0)
        return false;
    snprintf(script, sizeof(script), "%s/tests/xlsx_check.py", src);
    if (access(script, R_OK) != 0)
        return false;
    const char *argv[12] = {PYTHON, script, file};
    size_t argc = 3;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && argc < 11; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execv(PYTHON, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    return true;
}

/* ---- tests -------------------------------------------------------------------- */

static void test_invoice_writes(void **state)
{
    (void)state;
    char path[PATH_MAX];
    path_in_dir(path, sizeof(path), "invoice.xlsx");
    struct br_invoice_doc doc = sample_invoice();
    struct br_error err = {0};
    assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_OK);
    assert_true(file_exists(path));
    assert_no_tmp_left();

    char *sst = zip_part(path, "xl/sharedStrings.xml", NULL);
    char *sheet = zip_part(path, "xl/worksheets/sheet1.xml", NULL);
    char *core = zip_part(path, "docProps/core.xml", NULL);
    assert_non_null(sst);
    assert_non_null(sheet);
    assert_non_null(core);
    assert_xml_chars_ok(sst);
    /* Hostile text is a shared string, never a formula. */
    assert_contains(sst, "<t>" HOSTILE "</t>");
    assert_contains(sst, "<t>@SUM(1)</t>");
    assert_contains(sst, "<t>+cmd|' /C calc'!A0</t>");
    assert_contains(sst, "<t>_x005F_x0041_ literal</t>");
    assert_contains(sst, "北京示例科技有限公司, Beijing");
    assert_null(strstr(sheet, "HYPERLINK"));
    assert_null(strstr(sheet, "<f>SUM(1)"));
    /* Totals: SUM formulas with the exact totals cached; the amount due. */
    assert_cell(sheet, "E17", "<f>SUM(E14:E16)</f><v>1239.82455675</v>");
    assert_cell(sheet, "J17", "<f>SUM(J14:J16)</f><v>209.72455675</v>");
    assert_cell(sheet, "J18", "<v>0.00455675</v>");
    assert_cell(sheet, "J19", "<f>J17-J18</f><v>209.72</v>");
    assert_cell(sheet, "E15", "<v>1234.56789012</v>");
    assert_contains(sheet, "<pane ySplit=\"13\" topLeftCell=\"A14\"");
    assert_contains(sheet, "paperSize=\"9\"");
    assert_contains(core, "<dc:title>Invoice INV-202401-000001</dc:title>");
    assert_contains(core, "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2024-01-31T16:00:00Z");
    free(sst);
    free(sheet);
    free(core);

    const char *const extra[] = {"--expect-due", "209.72", "--hostile-text", HOSTILE, NULL};
    if (!run_checker(path, extra))
        print_message("xlsx_check.py not run (no BILLRUN_SOURCE_DIR or " PYTHON ")\n");
}

/* An invoice with notes: a Debit notes row joins the amount due, and the
 * notes are listed below it; each note is a workbook of its own. */
static void test_invoice_with_notes(void **state)
{
    (void)state;
    char path[PATH_MAX];
    path_in_dir(path, sizeof(path), "invoice-notes.xlsx");
    struct br_invoice_doc doc = sample_invoice();
    doc.notes = notes;
    doc.nnotes = 2;
    doc.credits_e8 = 1250000000;
    doc.debits_e8 = 320000000;
    doc.round_down_e8 = 455675;
    doc.amount_due_e8 = 21292000000; /* 209.72455675 + 3.2 - 0.00455675 */
    struct br_error err = {0};
    assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_OK);
    char *sheet = zip_part(path, "xl/worksheets/sheet1.xml", NULL);
    char *sst = zip_part(path, "xl/sharedStrings.xml", NULL);
    assert_non_null(sheet);
    assert_non_null(sst);
    assert_cell(sheet, "J17", "<f>SUM(J14:J16)</f><v>209.72455675</v>");
    assert_cell(sheet, "J18", "<v>3.2</v>");
    assert_cell(sheet, "J19", "<v>0.00455675</v>");
    assert_cell(sheet, "J20", "<f>J17+J18-J19</f><v>212.92</v>");
    assert_contains(sst, "<t>CN-202401-000001</t>");
    assert_contains(sst, "<t>DN-202401-000001</t>");
    assert_contains(sst, "GPU jobs failed (ticket 4411); =HYPERLINK(\"x\")");
    assert_null(strstr(sheet, "HYPERLINK"));
    free(sheet);
    free(sst);
    const char *const extra[] = {"--expect-due", "212.92", NULL};
    run_checker(path, extra);

    /* notes that do not add up to the totals are refused */
    doc.debits_e8 = 320000001;
    assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_ERR_VERIFY);

    for (size_t i = 0; i < 2; i++) {
        char npath[PATH_MAX];
        path_in_dir(npath, sizeof(npath), i == 0 ? "cn.xlsx" : "dn.xlsx");
        struct br_note_doc nd = {.seller = doc.seller,
                                 .buyer = doc.buyer,
                                 .note = &notes[i],
                                 .period = "2024-01",
                                 .listed_on = "INV-202401-000001",
                                 .issued_at = doc.issued_at,
                                 .tz_offset_s = doc.tz_offset_s,
                                 .currency = "CNY"};
        assert_int_equal(br_xlsx_note(&nd, npath, &err), BR_OK);
        char *ns = zip_part(npath, "xl/sharedStrings.xml", NULL);
        char *core = zip_part(npath, "docProps/core.xml", NULL);
        assert_non_null(ns);
        assert_non_null(core);
        assert_contains(ns, i == 0 ? "<t>CN-202401-000001</t>" : "<t>DN-202401-000001</t>");
        assert_contains(ns, i == 0 ? "<t>INV-202312-000004</t>" : "<t>(no invoice named)</t>");
        assert_contains(ns, i == 0 ? "prepaid balance" : "included in the amount due");
        assert_contains(core, i == 0 ? "<dc:title>Credit note CN-202401-000001</dc:title>"
                                     : "<dc:title>Debit note DN-202401-000001</dc:title>");
        free(ns);
        free(core);
        run_checker(npath, NULL);
    }
    assert_no_tmp_left();
}

static void test_summary_writes(void **state)
{
    (void)state;
    char path[PATH_MAX];
    path_in_dir(path, sizeof(path), "summary.xlsx");
    struct br_summary_doc doc = sample_summary();
    struct br_error err = {0};
    assert_int_equal(br_xlsx_summary(&doc, path, &err), BR_OK);
    assert_no_tmp_left();

    char *sst = zip_part(path, "xl/sharedStrings.xml", NULL);
    assert_non_null(sst);
    assert_xml_chars_ok(sst);
    assert_contains(sst, "<t>" HOSTILE "</t>");
    /* Controls become visible escapes; the caller's own "\x00" stays. */
    assert_contains(sst, "a,b,\\x00,c\\x01\\x02\\x1F\\x7F\\x0D\\x0B end \\uFFFE _x005F_x0041_");
    assert_contains(sst, "caf\\xFF,=cmd|' /C calc'!A0");
    assert_contains(sst, "zzz [truncated]</t>");
    const char *z = strstr(sst, "zzzz");
    assert_non_null(z);
    assert_int_equal(strspn(z, "z"), 32767 - strlen(" [truncated]"));
    free(sst);

    char *sheet = zip_part(path, "xl/worksheets/sheet1.xml", NULL);
    assert_non_null(sheet);
    assert_cell(sheet, "M4", "<f>SUM(M2:M3)</f><v>210.72</v>");
    assert_contains(sheet, "<autoFilter ref=\"A1:M3\"/>");
    free(sheet);
    /* Charts: revenue per day (outside days on the first and last), the
     * waterfall of the Invoices totals */
    sheet = zip_part(path, "xl/worksheets/sheet6.xml", NULL);
    char *rev = zip_part(path, "xl/charts/chart1.xml", NULL);
    char *wf = zip_part(path, "xl/charts/chart2.xml", NULL);
    assert_non_null(sheet);
    assert_non_null(rev);
    assert_non_null(wf);
    assert_cell(sheet, "B2", "<v>100</v>");
    assert_cell(sheet, "B32", "<v>73.06567889999999</v>"); /* the nearest double, %.16G */
    assert_cell(sheet, "B33", "<f>SUM(B2:B32)</f><v>173.0656789</v>");
    assert_contains(rev, "<c:f>Charts!$B$2:$B$32</c:f>");
    assert_contains(wf, "<c:f>Charts!$C$38:$C$43</c:f>");
    assert_contains(wf, "<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>"); /* the base */
    free(sheet);
    free(rev);
    free(wf);

    if (!run_checker(path, (const char *const[]){"--hostile-text", HOSTILE, NULL}))
        print_message("xlsx_check.py not run\n");
}

static void sleep_past_a_second(void)
{
    struct timespec ts = {1, 100000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void assert_same_bytes(const char *a, const char *b)
{
    size_t na, nb;
    unsigned char *pa = read_file(a, &na), *pb = read_file(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(pa, pb, na);
    free(pa);
    free(pb);
}

static void test_deterministic(void **state)
{
    (void)state;
    char a[PATH_MAX], b[PATH_MAX], sa[PATH_MAX], sb[PATH_MAX];
    path_in_dir(a, sizeof(a), "det-a.xlsx");
    path_in_dir(b, sizeof(b), "det-b.xlsx");
    path_in_dir(sa, sizeof(sa), "det-sa.xlsx");
    path_in_dir(sb, sizeof(sb), "det-sb.xlsx");
    struct br_invoice_doc inv = sample_invoice();
    struct br_summary_doc sum = sample_summary();
    struct br_error err = {0};
    assert_int_equal(br_xlsx_invoice(&inv, a, &err), BR_OK);
    assert_int_equal(br_xlsx_summary(&sum, sa, &err), BR_OK);
    sleep_past_a_second(); /* zip and document times must not follow the clock */
    assert_int_equal(br_xlsx_invoice(&inv, b, &err), BR_OK);
    assert_int_equal(br_xlsx_summary(&sum, sb, &err), BR_OK);
    assert_same_bytes(a, b);
    assert_same_bytes(sa, sb);
    /* Writing over an existing file replaces it whole. */
    assert_int_equal(br_xlsx_invoice(&inv, a, &err), BR_OK);
    assert_same_bytes(a, b);
}

/* Numbers do not follow the process locale (a decimal comma would make
 * strtod stop at the '.'). Skipped where no such locale is installed; e.g.
 * localedef -i de_DE -f UTF-8 DIR/de_DE.UTF-8 and run with LOCPATH=DIR. */
static void test_comma_locale(void **state)
{
    (void)state;
    char a[PATH_MAX], b[PATH_MAX];
    path_in_dir(a, sizeof(a), "locale-c.xlsx");
    path_in_dir(b, sizeof(b), "locale-de.xlsx");
    struct br_invoice_doc doc = sample_invoice();
    struct br_error err = {0};
    assert_int_equal(br_xlsx_invoice(&doc, a, &err), BR_OK);
    if (setlocale(LC_ALL, "de_DE.UTF-8") == NULL) {
        skip();
        return;
    }
    enum br_status st = br_xlsx_invoice(&doc, b, &err);
    setlocale(LC_ALL, "C");
    assert_int_equal(st, BR_OK);
    assert_same_bytes(a, b);
}

static void test_missing_directory(void **state)
{
    (void)state;
    char path[PATH_MAX];
    path_in_dir(path, sizeof(path), "no-such-dir/invoice.xlsx");
    struct br_invoice_doc doc = sample_invoice();
    struct br_error err = {0};
    assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_ERR_XLSX);
    assert_int_equal(err.status, BR_ERR_XLSX);
    assert_non_null(strstr(err.msg, "xlsx"));
    assert_false(file_exists(path));
}

static void test_size_limit_leaves_nothing(void **state)
{
    (void)state;
    char path[PATH_MAX], msg[800];
    path_in_dir(path, sizeof(path), "limited.xlsx");
    struct br_invoice_doc doc = sample_invoice();
    int st = write_limited(&doc, path, 4096, msg, sizeof(msg));
    assert_int_equal(st, BR_ERR_XLSX);
    assert_false(file_exists(path));
    assert_no_tmp_left();
}

/* A limit above the zip but below its largest part: libxlsxwriter cuts the
 * part short in its tmpfile and reports success; the read-back must fail. */
static void test_cut_part_is_caught(void **state)
{
    (void)state;
    enum { NDAYS = 20000 };
    struct br_inv_daily *many = calloc(NDAYS, sizeof(*many));
    assert_non_null(many);
    for (size_t i = 0; i < NDAYS; i++)
        many[i] = (struct br_inv_daily){
            19723 + (int64_t)(i % 31), "storage", "1.25", "GB-hours", (int64_t)i, (int64_t)i};
    struct br_invoice_doc doc = sample_invoice();
    doc.daily = many;
    doc.ndaily = NDAYS;
    char path[PATH_MAX], msg[800];
    path_in_dir(path, sizeof(path), "cut.xlsx");
    struct br_error err = {0};
    assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_OK);
    size_t zip_len, max_part;
    free(read_file(path, &zip_len));
    assert_null(zip_part(path, NULL, &max_part));
    assert_int_equal(unlink(path), 0);
    rlim_t limit = (rlim_t)zip_len + 65536;
    assert_true(max_part > limit + 65536);

    int st = write_limited(&doc, path, limit, msg, sizeof(msg));
    assert_int_equal(st, BR_ERR_XLSX);
    assert_non_null(strstr(msg, "cut short"));
    assert_false(file_exists(path));
    assert_no_tmp_left();
    free(many);
}

static void test_totals_must_match_lines(void **state)
{
    (void)state;
    char path[PATH_MAX];
    path_in_dir(path, sizeof(path), "bad-totals.xlsx");
    struct br_invoice_doc doc = sample_invoice();
    struct br_error err = {0};
    doc.gross_e8 += 1;
    assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_ERR_VERIFY);
    doc = sample_invoice();
    doc.amount_due_e8 += 1;
    assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_ERR_VERIFY);
    doc = sample_invoice();
    doc.issued_at = 0;
    assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_ERR_INPUT);
    assert_false(file_exists(path));
}

static void test_empty_documents(void **state)
{
    (void)state;
    char path[PATH_MAX];
    path_in_dir(path, sizeof(path), "empty-invoice.xlsx");
    struct br_invoice_doc inv = {.invoice_no = NULL,
                                 .period = "2024-02",
                                 .issued_at = 1706716800,
                                 .tz_offset_s = -5 * 3600 - 1800,
                                 .currency = "CNY"};
    struct br_error err = {0};
    assert_int_equal(br_xlsx_invoice(&inv, path, &err), BR_OK);
    char *sheet = zip_part(path, "xl/worksheets/sheet1.xml", NULL);
    assert_non_null(sheet);
    assert_cell(sheet, "E14", "<v>0</v>");
    assert_cell(sheet, "J16", "<f>J14-J15</f><v>0</v>");
    free(sheet);
    path_in_dir(path, sizeof(path), "empty-summary.xlsx");
    struct br_summary_doc sum = {.period = "2024-02", .issued_at = 1706716800};
    assert_int_equal(br_xlsx_summary(&sum, path, &err), BR_OK);
    /* no revenue: the Charts sheet has the waterfall alone */
    if (!run_checker(path, NULL))
        print_message("xlsx_check.py not run\n");
}

/* Issue #20 parts 4 to 6: the invoice in zh and zh-en (labels, the amount
 * in capitals), the display formats of lang.h, the note on decimals, the
 * daily chart on its data; a draft (no number) marked DRAFT on the sheet,
 * in every header and in the title. tests/xlsx_check.py checks the
 * formats, the exact values and the chart against the daily rows. */
static void test_invoice_languages(void **state)
{
    (void)state;
    const enum br_lang langs[] = {BR_LANG_ZH, BR_LANG_ZH_EN};
    const char *const names[] = {"invoice-zh.xlsx", "invoice-zh-en.xlsx"};
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX];
        path_in_dir(path, sizeof(path), names[i]);
        struct br_invoice_doc doc = sample_invoice();
        doc.lang = langs[i];
        struct br_error err = {0};
        assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_OK);
        char *sst = zip_part(path, "xl/sharedStrings.xml", NULL);
        char *styles = zip_part(path, "xl/styles.xml", NULL);
        char *chart = zip_part(path, "xl/charts/chart1.xml", NULL);
        assert_non_null(sst);
        assert_non_null(styles);
        assert_non_null(chart);
        assert_contains(sst, langs[i] == BR_LANG_ZH ? "<t>合计</t>" : "<t>合计 Total</t>");
        assert_contains(sst, "人民币贰佰零玖元柒角贰分");
        assert_contains(sst, "保留至0.00000001元");
        assert_contains(styles, "formatCode=\"#,##0.00######\"");
        assert_contains(styles, "formatCode=\"#,##0.00\"");
        assert_contains(styles, "formatCode=\"#,##0.00000000\"");
        assert_contains(styles, "formatCode=\"¥#,##0.00\"");
        assert_contains(chart, "<c:f>'Daily usage'!$I$2:$I$3</c:f>");
        free(sst);
        free(styles);
        free(chart);
        const char *const extra[] = {"--expect-due", "209.72", NULL};
        if (!run_checker(path, extra))
            print_message("xlsx_check.py not run\n");
    }
    char path[PATH_MAX];
    path_in_dir(path, sizeof(path), "invoice-draft.xlsx");
    struct br_invoice_doc doc = sample_invoice();
    doc.invoice_no = NULL;
    doc.lang = BR_LANG_ZH_EN;
    struct br_error err = {0};
    assert_int_equal(br_xlsx_invoice(&doc, path, &err), BR_OK);
    char *sst = zip_part(path, "xl/sharedStrings.xml", NULL);
    char *core = zip_part(path, "docProps/core.xml", NULL);
    assert_non_null(sst);
    assert_non_null(core);
    assert_contains(sst, "<t>账单（草稿） Invoice (draft)</t>");
    assert_contains(sst, "DRAFT: not an invoice until numbered at close");
    assert_contains(core, "<dc:title>Invoice DRAFT</dc:title>");
    for (int k = 1; k <= 3; k++) {
        char part[64];
        snprintf(part, sizeof(part), "xl/worksheets/sheet%d.xml", k);
        char *sheet = zip_part(path, part, NULL);
        assert_non_null(sheet);
        assert_contains(sheet, "&amp;KFF0000草稿 DRAFT");
        free(sheet);
    }
    free(sst);
    free(core);
}

/* ---- setup -------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    const char *keep = getenv("BILLRUN_XLSX_KEEP");
    if (keep != NULL && keep[0] != '\0') {
        if (mkdir(keep, 0755) != 0 && errno != EEXIST)
            return -1;
        snprintf(g_dir, sizeof(g_dir), "%s", keep);
        g_keep = true;
        return 0;
    }
    snprintf(g_dir, sizeof(g_dir), "/tmp/billrun-xlsx-test.XXXXXX");
    return mkdtemp(g_dir) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_keep)
        return 0;
    DIR *d = opendir(g_dir);
    struct dirent *e;
    char path[PATH_MAX];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        path_in_dir(path, sizeof(path), e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    return rmdir(g_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invoice_writes),
        cmocka_unit_test(test_invoice_with_notes),
        cmocka_unit_test(test_summary_writes),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_comma_locale),
        cmocka_unit_test(test_missing_directory),
        cmocka_unit_test(test_size_limit_leaves_nothing),
        cmocka_unit_test(test_cut_part_is_caught),
        cmocka_unit_test(test_totals_must_match_lines),
        cmocka_unit_test(test_empty_documents),
        cmocka_unit_test(test_invoice_languages),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
