/* Month close and XLSX invoices (issue: month close and XLSX invoices), on a
 * real PostgreSQL: every workbook of the sample month opened with LibreOffice
 * (headless, formulas recalculated) shows the totals of billing.invoices to
 * the fen, and passes tests/xlsx_check.py (openpyxl: formulas, number formats,
 * text cells, the display formats, the charts' ranges and values), and
 * LibreOffice draws the charts (tests/lo_charts.py, with pdftoppm); a PDF
 * lies beside each invoice; closing twice changes and rewrites nothing; late usage lands
 * in the next open period, flagged, the closed period untouched; `billrun
 * invoices` writes the same bytes; a full disk (ulimit -f) fails with exit 1
 * and leaves no partial file; a close with an early as-of says so;
 * hostile customer names stay literal text; invoice numbers are gapless in
 * account_id byte order. Needs LibreOffice (soffice), poppler-utils and
 * python3-openpyxl (scripts/install-deps). */
#include "it.h"

#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AS_OF "2026-12-01T00:00:00+08:00"
#define PERIOD "2026-11"
#define PYTHON "/usr/bin/python3"

struct fx {
    char db[128];
    char *dir;
    char inbox[4096];
    char out[4096];    /* --out of close */
    char folder[4096]; /* out/2026-11 */
    char log[4096];
    char seller[4096];
    PGconn *c;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    static int n;
    char tag[32];
    snprintf(tag, sizeof(tag), "close%d", n++);
    it_db_create(f->db, sizeof(f->db), tag);
    f->dir = it_tmpdir("close");
    snprintf(f->inbox, sizeof(f->inbox), "%s/inbox", f->dir);
    snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
    snprintf(f->folder, sizeof(f->folder), "%s/%s", f->out, PERIOD);
    snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
    snprintf(f->seller, sizeof(f->seller), "%s/samples/seller.conf", it_source_dir());
    char samples[4096];
    snprintf(samples, sizeof(samples), "%s/samples/inbox", it_source_dir());
    it_copy_dir(samples, f->inbox);
    assert_int_equal(it_billrun(f->db, f->log, "db", "init", "--tz-offset", "+08:00", NULL), 0);
    f->c = it_db_connect(f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    /* debits equal credits in every period, and the chain verifies */
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM (SELECT period FROM "
                                      "ledger.trial_balance GROUP BY period "
                                      "HAVING sum(debit) <> sum(credit)) x"),
                     0);
    it_verify_ok(f->db, f->log);
    PQfinish(f->c);
    it_db_drop(f->db);
    it_rm(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

/* A log file of its own for one step (removed first). */
static const char *step_log(struct fx *f, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s.log", f->dir, name);
    unlink(buf);
    return buf;
}

/* The message of a write that hit the file size limit names the cause. */
static void expect_efbig(const char *log, const char *what)
{
    if (!it_log_has(log, "File too large") && !it_log_has(log, "cut short")) {
        char *t = it_read_file(log, NULL);
        fail_msg("%s: the message does not say the file was too large:\n%s", what,
                 t ? t : "(no log)");
    }
}

/* LibreOffice and openpyxl must be there: fail clearly, never skip. */
static void need_tools(void)
{
    static int ok = -1;
    if (ok < 0) {
        const char *lo[] = {"sh", "-c", "command -v soffice", NULL};
        const char *py[] = {PYTHON, "-c", "import openpyxl", NULL};
        ok = access(PYTHON, X_OK) != 0 || it_run(py, NULL) != 0 ? 1 : it_run(lo, NULL) != 0 ? 2 : 0;
    }
    if (ok == 1)
        fail_msg("%s with openpyxl is missing: the close tests read every workbook with "
                 "tests/xlsx_check.py. Install it with scripts/install-deps (Debian package "
                 "python3-openpyxl)",
                 PYTHON);
    if (ok == 2)
        fail_msg("LibreOffice (soffice) is missing: the close tests open every workbook with it. "
                 "Install it with scripts/install-deps (Debian package libreoffice-calc-nogui)");
}

static void run_inbox(struct fx *f, const char *inbox, const char *as_of, int want)
{
    char log[4096];
    step_log(f, "run", log, sizeof(log));
    it_expect_rc(it_billrun(f->db, log, "run", "--inbox", inbox, "--as-of", as_of, NULL), want,
                 "billrun run", log);
}

static int close_period(struct fx *f, const char *period, const char *log, bool force)
{
    if (force)
        return it_billrun(f->db, log, "close", "--period", period, "--out", f->out, "--seller",
                          f->seller, "--force", NULL);
    return it_billrun(f->db, log, "close", "--period", period, "--out", f->out, "--seller",
                      f->seller, NULL);
}

/* The sample month: run (exit 3, rows rejected), then close 2026-11. */
static void close_samples(struct fx *f)
{
    run_inbox(f, f->inbox, AS_OF, 3);
    char log[4096];
    step_log(f, "close", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, false), 0, "billrun close", log);
    it_expect_log(log, "closed in batch", "billrun close");
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *e)
{
    return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

/* The names in dir, sorted bytewise, one per line ("" when dir is missing). */
static char *dir_names(const char *dir)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, not_dot, by_name);
    size_t cap = 64, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t k = strlen(list[i]->d_name);
        if (len + k + 2 > cap) {
            cap = (len + k + 2) * 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
        memcpy(s + len, list[i]->d_name, k);
        len += k;
        s[len++] = '\n';
        s[len] = '\0';
        free(list[i]);
    }
    free(list);
    return s;
}

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* Name, size, mtime (ns, when asked) and a hash of the bytes of every file
 * of dir. */
static char *dir_state(const char *dir, bool mtimes)
{
    char *names = dir_names(dir);
    size_t cap = strlen(names) * 4 + 64, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (char *save = NULL, *n = strtok_r(names, "\n", &save); n; n = strtok_r(NULL, "\n", &save)) {
        char path[4096];
        struct stat sb;
        size_t size;
        snprintf(path, sizeof(path), "%s/%s", dir, n);
        assert_int_equal(stat(path, &sb), 0);
        char *bytes = it_read_file(path, &size);
        assert_non_null(bytes);
        char line[512];
        int k = snprintf(line, sizeof(line), "%s %lld %lld.%09ld %016llx\n", n,
                         (long long)sb.st_size, mtimes ? (long long)sb.st_mtim.tv_sec : 0LL,
                         mtimes ? sb.st_mtim.tv_nsec : 0L, (unsigned long long)fnv1a(bytes, size));
        free(bytes);
        if (len + (size_t)k + 1 > cap) {
            cap = (len + (size_t)k + 1) * 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
        memcpy(s + len, line, (size_t)k + 1);
        len += (size_t)k;
    }
    free(names);
    return s;
}

/* No temporary file of the writer (PATH.tmp-PID) in dir. */
static void no_temp_files(const char *dir)
{
    char *names = dir_names(dir);
    if (strstr(names, ".tmp") != NULL)
        fail_msg("temporary files left in %s:\n%s", dir, names);
    free(names);
}

/* tests/xlsx_check.py on one workbook. */
static void xlsx_check(struct fx *f, const char *file, const char *expect_due, const char *hostile)
{
    char script[4096], log[4096];
    snprintf(script, sizeof(script), "%s/tests/xlsx_check.py", it_source_dir());
    step_log(f, "xlsx_check", log, sizeof(log));
    const char *argv[8] = {PYTHON, script, file};
    size_t n = 3;
    if (expect_due) {
        argv[n++] = "--expect-due";
        argv[n++] = expect_due;
    }
    char hostile_arg[512];
    if (hostile) { /* one argument: a text like -2+3 is no option */
        snprintf(hostile_arg, sizeof(hostile_arg), "--hostile-text=%s", hostile);
        argv[n++] = hostile_arg;
    }
    argv[n] = NULL;
    it_expect_rc(it_run(argv, log), 0, "tests/xlsx_check.py", log);
}

/* xlsx_check.py on every invoice of the period (with the amount due of
 * billing.invoices) and on the summary. */
static void check_all_workbooks(struct fx *f, const char *folder, const char *period)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT invoice_no || '_' || account_id || '.xlsx', amount_due FROM "
             "billing.invoices WHERE period = '%s' ORDER BY invoice_no",
             period);
    char *rows = it_sql_text(f->c, sql);
    size_t n = 0;
    for (char *save = NULL, *r = strtok_r(rows, "\n", &save); r; r = strtok_r(NULL, "\n", &save)) {
        char *bar = strchr(r, '|');
        assert_non_null(bar);
        *bar = '\0';
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", folder, r);
        xlsx_check(f, path, bar + 1, NULL);
        n++;
    }
    free(rows);
    assert_true(n > 0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/summary-%.4s%.2s.xlsx", folder, period, period + 5);
    xlsx_check(f, path, NULL, NULL);
}

/* Opens every workbook of folder with LibreOffice (tests/lo_totals.py) and
 * compares what it shows with billing.invoices and ledger.trial_balance. */
static void lo_check(struct fx *f, const char *folder, const char *period, const char *tag)
{
    char sql[1024], expect[4096], csv[4096], profile[4096], script[4096], log[4096];
    snprintf(sql, sizeof(sql),
             "SELECT 'inv', i.invoice_no, i.account_id, i.gross, i.free, i.plan, i.coupon, "
             "i.balance, i.outstanding, i.credits, i.debits, i.round_down, i.amount_due, a.name "
             "FROM billing.invoices i LEFT JOIN billing.accounts a USING (account_id) "
             "WHERE i.period = '%s' ORDER BY i.invoice_no",
             period);
    char *inv = it_sql_text(f->c, sql);
    snprintf(sql, sizeof(sql),
             "SELECT 'note', note_no, account_id, kind, amount FROM billing.adjustments "
             "WHERE period = '%s' AND note_no IS NOT NULL ORDER BY note_no",
             period);
    char *notes = it_sql_text(f->c, sql);
    snprintf(sql, sizeof(sql),
             "SELECT 'tb', account_code, debit, credit, total_debit, total_credit FROM "
             "ledger.trial_balance "
             "WHERE period = '%s' ORDER BY account_code",
             period);
    char *tb = it_sql_text(f->c, sql);
    size_t len = strlen(inv) + strlen(tb) + strlen(notes) + 1;
    char *text = malloc(len);
    assert_non_null(text);
    snprintf(text, len, "%s%s%s", inv, tb, notes);
    snprintf(expect, sizeof(expect), "%s/expect-%s.txt", f->dir, tag);
    it_write_file(expect, text);
    free(text);
    free(inv);
    free(tb);
    free(notes);
    snprintf(csv, sizeof(csv), "%s/csv-%s", f->dir, tag);
    snprintf(profile, sizeof(profile), "%s/lo-profile", f->dir); /* private: runs never clash */
    snprintf(script, sizeof(script), "%s/tests/lo_totals.py", it_source_dir());
    step_log(f, "lo_totals", log, sizeof(log));
    const char *argv[] = {PYTHON, script,      "--expect", expect, "--csv",
                          csv,    "--profile", profile,    folder, NULL};
    it_expect_rc(it_run(argv, log), 0, "tests/lo_totals.py (LibreOffice)", log);
}

/* Renders the summary and every invoice of folder with LibreOffice and
 * checks that their charts are drawn (tests/lo_charts.py). */
static void lo_charts(struct fx *f, const char *folder, const char *period)
{
    char *names = dir_names(folder);
    const char *argv[64] = {PYTHON};
    char script[4096], profile[4096], out[4096], summary[4096], log[4096];
    char paths[32][4096];
    size_t argc = 1, n = 0;
    snprintf(script, sizeof(script), "%s/tests/lo_charts.py", it_source_dir());
    snprintf(profile, sizeof(profile), "%s/lo-profile", f->dir);
    snprintf(out, sizeof(out), "%s/lo-charts", f->dir);
    snprintf(summary, sizeof(summary), "%s/summary-%.4s%.2s.xlsx", folder, period, period + 5);
    argv[argc++] = script;
    argv[argc++] = "--profile";
    argv[argc++] = profile;
    argv[argc++] = "--out";
    argv[argc++] = out;
    argv[argc++] = summary;
    for (char *save = NULL, *name = strtok_r(names, "\n", &save); name && n < 32;
         name = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(name);
        if (strncmp(name, "INV-", 4) != 0 || len < 5 || strcmp(name + len - 5, ".xlsx") != 0)
            continue;
        snprintf(paths[n], sizeof(paths[n]), "%s/%s", folder, name);
        argv[argc++] = paths[n++];
    }
    argv[argc] = NULL;
    assert_true(n > 0);
    step_log(f, "lo_charts", log, sizeof(log));
    it_expect_rc(it_run(argv, log), 0, "tests/lo_charts.py (LibreOffice draws the charts)", log);
    free(names);
}

/* Everything a close may change in the database. */
static char *db_state(struct fx *f)
{
    return it_sql_text(f->c, "SELECT (SELECT count(*) FROM ledger.batches), "
                             "(SELECT encode(hash, 'hex') FROM ledger.batches ORDER BY batch_id "
                             "DESC LIMIT 1), (SELECT count(*) FROM ledger.entries), "
                             "(SELECT count(*) FROM ledger.transfers), "
                             "(SELECT coalesce(sum(amount_e8), 0) FROM ledger.transfers), "
                             "(SELECT count(*) FROM billing.period_closes), "
                             "(SELECT count(*) FROM billing.invoice_finals), "
                             "(SELECT count(*) FROM billing.order_state)");
}

/* A closed period as the auditors see it. */
static char *period_state(struct fx *f, const char *period)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT 'invoice', i::text FROM billing.invoices i WHERE period = '%s' "
             "UNION ALL SELECT 'line', l::text FROM billing.invoice_lines l WHERE period = '%s' "
             "UNION ALL SELECT 'tb', t::text FROM ledger.trial_balance t WHERE period = '%s' "
             "UNION ALL SELECT 'entries', count(*)::text FROM ledger.entries WHERE period = '%s' "
             "ORDER BY 1, 2",
             period, period, period, period);
    return it_sql_text(f->c, sql);
}

/* ---- tests ------------------------------------------------------------------ */

/* The sample month closed: numbers, files, and what LibreOffice and openpyxl
 * read in every workbook. */
static void samples_workbooks_show_the_invoices(void **state)
{
    struct fx *f = *state;
    need_tools();
    run_inbox(f, f->inbox, AS_OF, 3);
    /* drafts show round_down and amount_due as they will be at close */
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.invoices WHERE period = "
                                      "'2026-11' AND status = 'draft' AND invoice_no IS NULL"),
                     5);
    const char *amounts = "SELECT account_id, gross, free, plan, coupon, balance, outstanding, "
                          "round_down, amount_due FROM billing.invoices WHERE period = '2026-11' "
                          "ORDER BY account_id";
    char *draft = it_sql_text(f->c, amounts);
    char log[4096];
    step_log(f, "close", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, false), 0, "billrun close", log);
    char *final = it_sql_text(f->c, amounts);
    assert_string_equal(draft, final);
    free(draft);
    free(final);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.invoices WHERE period = "
                                      "'2026-11' AND status = 'final'"),
                     5);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.invoices WHERE status <> "
                                      "'final' OR period <> '2026-11'"),
                     0);
    assert_int_equal(it_sql_int(f->c, "SELECT round(sum(amount_due) * 100) FROM billing.invoices"),
                     14671);

    /* gapless numbers in ascending account_id byte order, one per active account */
    char *rows = it_sql_text(f->c, "SELECT invoice_no, account_id FROM billing.invoices WHERE "
                                   "period = '2026-11' ORDER BY invoice_no");
    char prev[128] = "", want_files[4096] = "";
    int n = 0;
    for (char *save = NULL, *r = strtok_r(rows, "\n", &save); r; r = strtok_r(NULL, "\n", &save)) {
        char *acct = strchr(r, '|');
        assert_non_null(acct);
        *acct++ = '\0';
        char no[32];
        snprintf(no, sizeof(no), "INV-202611-%06d", ++n);
        assert_string_equal(r, no);
        if (n > 1 && strcmp(prev, acct) >= 0)
            fail_msg("%s is for %s, after %s: not in account_id byte order", r, acct, prev);
        snprintf(prev, sizeof(prev), "%s", acct);
        size_t k = strlen(want_files);
        snprintf(want_files + k, sizeof(want_files) - k, "%s_%s.pdf\n%s_%s.xlsx\n", r, acct, r,
                 acct);
    }
    free(rows);
    assert_int_equal(n, (int)it_sql_int(f->c, "SELECT count(DISTINCT account_id) FROM (SELECT "
                                              "account_id FROM billing.usage_lines WHERE period = "
                                              "'2026-11' UNION SELECT account_id FROM "
                                              "billing.orders WHERE period = '2026-11') a"));
    assert_int_equal(n, 5);

    /* the folder: a workbook and its PDF per invoice, and the summary */
    size_t k = strlen(want_files);
    snprintf(want_files + k, sizeof(want_files) - k, "summary-202611.xlsx\n");
    char *names = dir_names(f->folder);
    assert_string_equal(names, want_files);
    free(names);

    check_all_workbooks(f, f->folder, PERIOD);
    lo_check(f, f->folder, PERIOD, "samples");
    lo_charts(f, f->folder, PERIOD);
}

/* A second close changes nothing and rewrites nothing. */
static void close_twice_changes_nothing(void **state)
{
    struct fx *f = *state;
    close_samples(f);
    char *db1 = db_state(f), *per1 = period_state(f, PERIOD), *files1 = dir_state(f->folder, true);
    sleep(1); /* a rewrite would show in the mtimes */
    char log[4096];
    step_log(f, "close2", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, false), 0, "second billrun close", log);
    it_expect_log(log, "already closed", "second billrun close");
    char *db2 = db_state(f), *per2 = period_state(f, PERIOD), *files2 = dir_state(f->folder, true);
    assert_string_equal(db1, db2);
    assert_string_equal(per1, per2);
    assert_string_equal(files1, files2);
    /* even with --force: the period is closed */
    step_log(f, "close3", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, true), 0, "third billrun close --force", log);
    char *db3 = db_state(f), *files3 = dir_state(f->folder, true);
    assert_string_equal(db1, db3);
    assert_string_equal(files1, files3);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches WHERE kind = 'close'"),
                     1);
    free(db1);
    free(db2);
    free(db3);
    free(per1);
    free(per2);
    free(files1);
    free(files2);
    free(files3);
}

/* billrun invoices writes a closed period again: the same bytes. */
static void invoices_rewrite_same_bytes(void **state)
{
    struct fx *f = *state;
    close_samples(f);
    char *db1 = db_state(f);
    sleep(2); /* zip entry times have a 2-second resolution */
    char out2[4096], folder2[4096], log[4096];
    snprintf(out2, sizeof(out2), "%s/again", f->dir);
    snprintf(folder2, sizeof(folder2), "%s/%s", out2, PERIOD);
    step_log(f, "invoices", log, sizeof(log));
    it_expect_rc(it_billrun(f->db, log, "invoices", "--period", PERIOD, "--out", out2, NULL), 0,
                 "billrun invoices", log);
    char *names1 = dir_names(f->folder), *names2 = dir_names(folder2);
    assert_string_equal(names1, names2);
    int files = 0;
    for (char *save = NULL, *n = strtok_r(names1, "\n", &save); n;
         n = strtok_r(NULL, "\n", &save)) {
        char a[4096], b[4096], cmplog[4096];
        snprintf(a, sizeof(a), "%s/%s", f->folder, n);
        snprintf(b, sizeof(b), "%s/%s", folder2, n);
        step_log(f, "cmp", cmplog, sizeof(cmplog));
        const char *argv[] = {"cmp", a, b, NULL};
        it_expect_rc(it_run(argv, cmplog), 0, "cmp of a rewritten workbook", cmplog);
        files++;
    }
    assert_int_equal(files, 11); /* 5 workbooks, their 5 PDFs, the summary */
    /* written again in place: the same bytes too */
    step_log(f, "invoices2", log, sizeof(log));
    it_expect_rc(it_billrun(f->db, log, "invoices", "--period", PERIOD, "--out", f->out, NULL), 0,
                 "billrun invoices into the first folder", log);
    char *s1 = dir_state(f->folder, false), *s2 = dir_state(folder2, false);
    assert_string_equal(s1, s2);
    no_temp_files(f->folder);
    /* writing files changes nothing in the database */
    char *db2 = db_state(f);
    assert_string_equal(db1, db2);
    /* an open period has nothing to write again */
    step_log(f, "invoices_open", log, sizeof(log));
    it_expect_rc(it_billrun(f->db, log, "invoices", "--period", "2026-12", "--out", out2, NULL), 2,
                 "billrun invoices of an open period", log);
    it_expect_log(log, "2026-12 is open: final invoices come only from its close",
                  "billrun invoices of an open period");
    free(names1);
    free(names2);
    free(s1);
    free(s2);
    free(db1);
    free(db2);
}

/* Usage dated in the closed period that arrives later: posted in the next
 * open period, flagged late, its own date kept; 2026-11 untouched. */
static void late_usage_lands_in_next_open_period(void **state)
{
    struct fx *f = *state;
    need_tools();
    close_samples(f);
    int64_t close_batch =
        it_sql_int(f->c, "SELECT batch_id FROM billing.period_closes WHERE period = '2026-11'");
    char *per1 = period_state(f, PERIOD), *files1 = dir_state(f->folder, true);
    char late[4096], path[4096];
    snprintf(late, sizeof(late), "%s/late-inbox", f->dir);
    assert_int_equal(mkdir(late, 0755), 0);
    snprintf(path, sizeof(path), "%s/eas-2026-12-late.csv", late);
    it_write_file(path,
                  "record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms\n"
                  "eas-20261120-900001,acc-77001,svc-zw-cf01,comfyui,shared,T4,"
                  "2026-11-20T10:00:00Z,2026-11-20T10:01:00Z,60000\n"
                  "eas-20261201-900002,acc-77001,svc-zw-cf01,comfyui,shared,T4,"
                  "2026-12-01T10:00:00Z,2026-12-01T10:00:30Z,30000\n");
    snprintf(path, sizeof(path), "%s/oss-2026-12-late.csv", late);
    it_write_file(path, "record_id,account_id,bucket,region,hour_start,metric,value\n"
                        "oss-20261125-900003,acc-31415,xingtu-cdn-origin,cn-beijing,"
                        "2026-11-25T03:00:00Z,egress_bytes,1073741824\n");
    run_inbox(f, late, "2026-12-02T00:00:00+08:00", 0);

    /* usage: posted in 2026-12, flagged, its own period kept */
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.usage_lines WHERE late AND "
                                      "period = '2026-12' AND own_period = '2026-11' AND day < "
                                      "'2026-12-01'"),
                     2);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.usage_lines WHERE NOT late "
                                      "AND period = '2026-12' AND own_period = '2026-12'"),
                     1);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM billing.usage_lines WHERE batch_id > %lld AND (period <= "
             "'2026-11' OR (late <> (own_period <> period)))",
             (long long)close_batch);
    assert_int_equal(it_sql_int(f->c, sql), 0);
    /* the ledger: late entries in 2026-12 with their November time; nothing in 2026-11 */
    assert_true(it_sql_int(f->c, "SELECT count(*) FROM ledger.journal WHERE late AND period = "
                                 "'2026-12' AND effective_at >= '2026-11-01T00:00:00+08:00' AND "
                                 "effective_at < '2026-12-01T00:00:00+08:00'") >= 2);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM ledger.journal WHERE batch_id > %lld AND (period <= '2026-11' "
             "OR (effective_at < '2026-12-01T00:00:00+08:00') <> late)",
             (long long)close_batch);
    assert_int_equal(it_sql_int(f->c, sql), 0);
    /* the invoice lines of 2026-12 say so */
    char *lines = it_sql_text(f->c, "SELECT account_id, item, quantity, gross, late FROM "
                                    "billing.invoice_lines WHERE period = '2026-12' ORDER BY 1, 2");
    assert_string_equal(lines, "acc-31415|egress|1.000000|0.45000000|t\n"
                               "acc-77001|compute_shared|90.000000|0.69300000|t\n");
    free(lines);
    char *drafts = it_sql_text(f->c, "SELECT account_id, status, invoice_no IS NULL FROM "
                                     "billing.invoices WHERE period = '2026-12' ORDER BY 1");
    assert_string_equal(drafts, "acc-31415|draft|t\nacc-77001|draft|t\n");
    free(drafts);

    /* the closed period: its invoices, lines, trial balance and files unchanged */
    char *per2 = period_state(f, PERIOD), *files2 = dir_state(f->folder, true);
    assert_string_equal(per1, per2);
    assert_string_equal(files1, files2);
    char log[4096];
    step_log(f, "close_again", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, false), 0, "billrun close of the closed period", log);
    char *files3 = dir_state(f->folder, true);
    assert_string_equal(files1, files3);

    /* December has not ended by the server's clock (unless this test runs in
     * 2027): closing it needs --early (interfaces.md), and then the late
     * usage is on its invoices */
    if (it_sql_int(f->c, "SELECT (now() < '2027-01-01T00:00:00+08:00')::int") == 1) {
        step_log(f, "close_dec_refused", log, sizeof(log));
        it_expect_rc(close_period(f, "2026-12", log, false), 2,
                     "billrun close 2026-12 before its end, without --early", log);
        it_expect_log(log, "2026-12 has not ended by the database server's clock",
                      "billrun close 2026-12 without --early");
        assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.period_closes WHERE "
                                          "period = '2026-12'"),
                         0);
    }
    step_log(f, "close_dec", log, sizeof(log));
    it_expect_rc(it_billrun(f->db, log, "close", "--period", "2026-12", "--out", f->out, "--seller",
                            f->seller, "--early", NULL),
                 0, "billrun close 2026-12 --early", log);
    it_expect_log(log, "no run had reached the end of 2026-12", "billrun close 2026-12 early");
    char dec[4096];
    snprintf(dec, sizeof(dec), "%s/2026-12", f->out);
    char *names = dir_names(dec);
    assert_string_equal(names, "INV-202612-000001_acc-31415.pdf\nINV-202612-000001_acc-31415.xlsx\n"
                               "INV-202612-000002_acc-77001.pdf\nINV-202612-000002_acc-77001.xlsx\n"
                               "summary-202612.xlsx\n");
    free(names);
    check_all_workbooks(f, dec, "2026-12");
    lo_check(f, dec, "2026-12", "december");
    char *per4 = period_state(f, PERIOD), *files4 = dir_state(f->folder, true);
    assert_string_equal(per1, per4);
    assert_string_equal(files1, files4);
    free(per1);
    free(per2);
    free(per4);
    free(files1);
    free(files2);
    free(files3);
    free(files4);
}

/* close refuses while the last run's as-of is before the period end. */
/* rules.md 6: close processes expiries and recognition up to the period end
 * itself, so an early last as-of does not stop it; the close says that
 * usage may still come and records it (period_closes.forced). */
static void close_after_early_as_of(void **state)
{
    struct fx *f = *state;
    char log[4096];
    run_inbox(f, f->inbox, "2026-11-30T12:00:00+08:00", 3);
    step_log(f, "close_early", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, false), 0, "billrun close with an early as-of", log);
    it_expect_log(log, "no run had reached the end of 2026-11",
                  "billrun close with an early as-of");
    it_expect_log(log, "close_early", "billrun close with an early as-of");
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.period_closes WHERE period = "
                                      "'2026-11' AND forced"),
                     1);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.invoices WHERE period = "
                                      "'2026-11' AND status = 'final'"),
                     5);
    /* the straight line is recognised up to the period end, in the close batch */
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.journal j JOIN "
                                      "billing.period_closes p USING (batch_id) WHERE j.kind = "
                                      "'recognition' AND j.period = '2026-11' AND j.order_id IS "
                                      "NOT NULL AND j.account_id IS NOT NULL"),
                     3);
    char *names = dir_names(f->folder);
    assert_int_equal(strstr(names, "summary-202611.xlsx") != NULL, 1);
    free(names);
    /* a close before any run at all closes an empty period */
    step_log(f, "close_norun", log, sizeof(log));
    it_expect_rc(close_period(f, "2026-09", log, true), 0, "billrun close --force of 2026-09", log);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.invoices WHERE period = "
                                      "'2026-09'"),
                     0);
}

static const char *const hostile_names[] = {
    "=HYPERLINK(\"http://evil\",\"x\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
};

/* Customer names that look like formulas stay literal text; numbers follow
 * account_id byte order, not a collation. */
static void hostile_names_stay_text(void **state)
{
    struct fx *f = *state;
    need_tools();
    char inbox[4096], path[4096];
    snprintf(inbox, sizeof(inbox), "%s/hostile-inbox", f->dir);
    assert_int_equal(mkdir(inbox, 0755), 0);
    snprintf(path, sizeof(path), "%s/accounts-2026-11.csv", inbox);
    it_write_file(path, "account_id,name,address,tax_id,email\n"
                        "Zeta-1,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",=1+1,"
                        "=2+2,\"=HYPERLINK(\"\"mailto:x\"\")\"\n"
                        "alpha-2,+cmd|' /C calc'!A0,\"@SUM(A1:A9)\",T2,a@example.com\n"
                        "_x9,@SUM(1),-2+3,T3,x@example.com\n"
                        "B.3,-2+3,\"=cmd|' /C calc'!A0\",T4,b@example.com\n");
    snprintf(path, sizeof(path), "%s/prices-2026-01.csv", inbox);
    it_write_file(
        path, "item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,free_per_month\n"
              "compute_shared,*,0.0077,2026-01-01T00:00:00+08:00,,,,\n");
    snprintf(path, sizeof(path), "%s/eas-2026-11.csv", inbox);
    it_write_file(path,
                  "record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms\n"
                  "eas-h-1,Zeta-1,svc-1,comfyui,shared,T4,2026-11-05T01:00:00Z,"
                  "2026-11-05T01:01:00Z,60000\n"
                  "eas-h-2,alpha-2,svc-2,comfyui,shared,T4,2026-11-06T01:00:00Z,"
                  "2026-11-06T01:02:00Z,120001\n"
                  "eas-h-3,_x9,svc-3,stable_diffusion,shared,A10,2026-11-07T01:00:00Z,"
                  "2026-11-07T01:03:00Z,180002\n"
                  "eas-h-4,B.3,svc-4,stable_diffusion,shared,A10,2026-11-08T01:00:00Z,"
                  "2026-11-08T01:04:00Z,240003\n");
    run_inbox(f, inbox, AS_OF, 0);
    char *names_db = it_sql_text(f->c, "SELECT account_id, name FROM billing.accounts ORDER BY "
                                       "account_id COLLATE \"C\"");
    assert_string_equal(names_db, "B.3|-2+3\nZeta-1|=HYPERLINK(\"http://evil\",\"x\")\n"
                                  "_x9|@SUM(1)\nalpha-2|+cmd|' /C calc'!A0\n");
    free(names_db);
    char log[4096];
    step_log(f, "close", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, false), 0, "billrun close", log);
    /* byte order: 'B' < 'Z' < '_' < 'a' */
    char *names = dir_names(f->folder);
    assert_string_equal(names, "INV-202611-000001_B.3.pdf\nINV-202611-000001_B.3.xlsx\n"
                               "INV-202611-000002_Zeta-1.pdf\nINV-202611-000002_Zeta-1.xlsx\n"
                               "INV-202611-000003__x9.pdf\nINV-202611-000003__x9.xlsx\n"
                               "INV-202611-000004_alpha-2.pdf\nINV-202611-000004_alpha-2.xlsx\n"
                               "summary-202611.xlsx\n");
    free(names);
    const char *files[][2] = {{"INV-202611-000001_B.3.xlsx", "-2+3"},
                              {"INV-202611-000002_Zeta-1.xlsx", hostile_names[0]},
                              {"INV-202611-000003__x9.xlsx", "@SUM(1)"},
                              {"INV-202611-000004_alpha-2.xlsx", hostile_names[1]}};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", f->folder, files[i][0]);
        xlsx_check(f, path, NULL, files[i][1]);
    }
    snprintf(path, sizeof(path), "%s/summary-202611.xlsx", f->folder);
    for (size_t i = 0; i < sizeof(hostile_names) / sizeof(hostile_names[0]); i++)
        xlsx_check(f, path, NULL, hostile_names[i]);
    check_all_workbooks(f, f->folder, PERIOD);
    lo_check(f, f->folder, PERIOD, "hostile");
}

/* Runs billrun with files limited to kb KiB (bash's ulimit -f), workbooks
 * only (--no-pdf: the limits below are workbook sizes). */
static int billrun_limited(struct fx *f, const char *log, int kb, const char *verb)
{
    char script[64], dbarg[256];
    snprintf(script, sizeof(script), "ulimit -f %d; exec \"$0\" \"$@\"", kb);
    snprintf(dbarg, sizeof(dbarg), "dbname=%s", f->db);
    if (strcmp(verb, "close") == 0) {
        const char *argv[] = {"bash",  "-c",       script,    it_env("BILLRUN_BIN"),
                              "close", "--period", PERIOD,    "--out",
                              f->out,  "--seller", f->seller, "--db",
                              dbarg,   "--no-pdf", NULL};
        return it_run(argv, log);
    }
    const char *argv[] = {"bash",     "-c",       script, it_env("BILLRUN_BIN"),
                          "invoices", "--period", PERIOD, "--out",
                          f->out,     "--db",     dbarg,  "--no-pdf",
                          NULL};
    return it_run(argv, log);
}

/* A PDF is whole: its header, and its trailer's end-of-file mark last. */
static void whole_pdf(const char *path)
{
    size_t n = 0;
    char *t = it_read_file(path, &n);
    assert_non_null(t);
    if (n < 16 || memcmp(t, "%PDF-", 5) != 0 || strstr(t + n - 16, "%%EOF") == NULL)
        fail_msg("%s is not a whole PDF (%zu bytes)", path, n);
    free(t);
}

/* Every workbook left in the folder opens and passes the checks, every PDF
 * is whole; no temp file. */
static void only_whole_files(struct fx *f)
{
    no_temp_files(f->folder);
    char *names = dir_names(f->folder);
    for (char *save = NULL, *n = strtok_r(names, "\n", &save); n; n = strtok_r(NULL, "\n", &save)) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", f->folder, n);
        size_t len = strlen(n);
        if (len > 4 && strcmp(n + len - 4, ".pdf") == 0) {
            whole_pdf(path);
            continue;
        }
        if (len < 5 || strcmp(n + len - 5, ".xlsx") != 0)
            fail_msg("unexpected file %s in %s", n, f->folder);
        xlsx_check(f, path, NULL, NULL);
    }
    free(names);
}

/* A full disk (files limited with ulimit -f): a close that cannot write
 * its files exits 1 and commits nothing, leaving no file and no folder;
 * billrun invoices into a full disk leaves only whole files; with room
 * again everything is written. */
static void expect_not_closed(struct fx *f, int64_t batches)
{
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.period_closes"), 0);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.invoice_finals"), 0);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), batches);
    char *left = dir_names(f->out); /* dot files included: no staging folder */
    assert_string_equal(left, "");
    free(left);
}

static void full_disk_leaves_no_partial_file(void **state)
{
    struct fx *f = *state;
    need_tools();
    run_inbox(f, f->inbox, AS_OF, 3);
    int64_t batches = it_sql_int(f->c, "SELECT count(*) FROM ledger.batches");
    char log[4096];
    /* 8 KiB: no invoice fits */
    step_log(f, "close_limited", log, sizeof(log));
    it_expect_rc(billrun_limited(f, log, 8, "close"), 1, "billrun close with ulimit -f 8", log);
    it_expect_log(log, "2026-11 was not closed, nothing was committed",
                  "billrun close with ulimit -f 8");
    expect_efbig(log, "billrun close with ulimit -f 8");
    expect_not_closed(f, batches);
    /* 16 KiB: the invoices fit (with their daily chart, 12-14 KiB), the
     * summary (20 KiB with its Charts sheet) does not: still all or nothing */
    step_log(f, "close_limited_summary", log, sizeof(log));
    it_expect_rc(billrun_limited(f, log, 16, "close"), 1, "billrun close with ulimit -f 16", log);
    it_expect_log(log, "summary-202611.xlsx", "billrun close with ulimit -f 16");
    it_expect_log(log, "nothing was committed", "billrun close with ulimit -f 16");
    expect_not_closed(f, batches);

    /* with room, the close commits and its files are all there */
    step_log(f, "close", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, false), 0, "billrun close", log);
    char *names = dir_names(f->out);
    assert_string_equal(names, "2026-11\n");
    free(names);
    only_whole_files(f);

    /* billrun invoices with 16 KiB: the summary cannot be rewritten; what is
     * left is whole (the earlier files, or their rewrites) */
    step_log(f, "invoices_limited", log, sizeof(log));
    it_expect_rc(billrun_limited(f, log, 16, "invoices"), 1, "billrun invoices with ulimit -f 16",
                 log);
    it_expect_log(log, "summary-202611.xlsx", "billrun invoices with ulimit -f 16");
    expect_efbig(log, "billrun invoices with ulimit -f 16");
    only_whole_files(f);

    /* with room again, everything is written */
    step_log(f, "invoices", log, sizeof(log));
    it_expect_rc(it_billrun(f->db, log, "invoices", "--period", PERIOD, "--out", f->out, NULL), 0,
                 "billrun invoices", log);
    names = dir_names(f->folder);
    assert_string_equal(names, "INV-202611-000001_acc-10017.pdf\nINV-202611-000001_acc-10017.xlsx\n"
                               "INV-202611-000002_acc-10342.pdf\nINV-202611-000002_acc-10342.xlsx\n"
                               "INV-202611-000003_acc-20981.pdf\nINV-202611-000003_acc-20981.xlsx\n"
                               "INV-202611-000004_acc-31415.pdf\nINV-202611-000004_acc-31415.xlsx\n"
                               "INV-202611-000005_acc-77001.pdf\nINV-202611-000005_acc-77001.xlsx\n"
                               "summary-202611.xlsx\n");
    free(names);
    no_temp_files(f->folder);
    check_all_workbooks(f, f->folder, PERIOD);
}

/* Waits until log shows a test pause (the close held at a stage). */
static void wait_pause(const char *log)
{
    for (int i = 0; i < 3000; i++) {
        char *t = it_read_file(log, NULL);
        bool yes = t != NULL && strstr(t, "event=test_pause") != NULL;
        free(t);
        if (yes)
            return;
        usleep(10000);
    }
    fail_msg("no test pause in %s", log);
}

static int closes(struct fx *f)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM billing.period_closes WHERE period = '%s'",
             PERIOD);
    return (int)it_sql_int(f->c, sql);
}

/* A close killed after its COMMIT, before its files moved into place: the
 * period is closed, the files wait in the staging folder; the next close
 * moves them (and says so), byte for byte what `billrun invoices` writes. */
static void killed_close_is_completed(void **state)
{
    struct fx *f = *state;
    run_inbox(f, f->inbox, AS_OF, 3);
    char log[4096];
    step_log(f, "close_killed", log, sizeof(log));
    const char *args[] = {"close", "--period", PERIOD,    "--out",
                          f->out,  "--seller", f->seller, NULL};
    const char *env[] = {"BILLRUN_TEST_PAUSE=publish:60", NULL};
    pid_t pid = it_billrun_spawn(f->db, log, args, env);
    wait_pause(log);
    kill(pid, SIGKILL);
    it_wait(pid);
    assert_int_equal(closes(f), 1);
    struct stat sb;
    assert_int_not_equal(stat(f->folder, &sb), 0); /* no files where they belong */
    char staging[4200];
    snprintf(staging, sizeof(staging), "%s/.%s.closing", f->out, PERIOD);
    assert_int_equal(stat(staging, &sb), 0);
    step_log(f, "close_again", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, false), 0, "billrun close after a killed close", log);
    it_expect_log(log, "event=close_files_completed", "the completing close");
    it_expect_log(log, "its files were missing", "the completing close");
    assert_int_not_equal(stat(staging, &sb), 0);
    char *files = dir_state(f->folder, false);
    char copy[4200];
    snprintf(copy, sizeof(copy), "%s/copy", f->dir);
    step_log(f, "invoices", log, sizeof(log));
    it_expect_rc(it_billrun(f->db, log, "invoices", "--period", PERIOD, "--out", copy, NULL), 0,
                 "billrun invoices", log);
    char copied[4300];
    snprintf(copied, sizeof(copied), "%s/%s", copy, PERIOD);
    char *again = dir_state(copied, false);
    assert_string_equal(files, again);
    free(files);
    free(again);
    /* the files lost afterwards: the next close writes them again */
    it_rm(f->folder);
    step_log(f, "close_lost", log, sizeof(log));
    it_expect_rc(close_period(f, PERIOD, log, false), 0, "billrun close after the files were lost",
                 log);
    it_expect_log(log, "written again", "the close that writes lost files again");
    char *rewritten = dir_state(f->folder, false);
    char *want = dir_state(copied, false);
    assert_string_equal(rewritten, want);
    free(rewritten);
    free(want);
    assert_int_equal(closes(f), 1);
}

/* The COMMIT's answer lost: the close asks a new connection whether it
 * committed, and it did, so its files are published. A connection cut
 * before the COMMIT: nothing is closed, no staging folder is left. */
static void lost_commit_is_found_out(void **state)
{
    struct fx *f = *state;
    run_inbox(f, f->inbox, AS_OF, 3);
    char log[4096];
    step_log(f, "close_cut", log, sizeof(log));
    const char *args[] = {"close", "--period", PERIOD,    "--out",
                          f->out,  "--seller", f->seller, NULL};
    const char *pause[] = {"BILLRUN_TEST_PAUSE=commit:60", NULL};
    pid_t pid = it_billrun_spawn(f->db, log, args, pause);
    wait_pause(log);
    it_sql_int(f->c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                     "WHERE application_name = 'billrun' AND datname = current_database()");
    assert_int_equal(it_wait(pid), 1);
    it_expect_log(log, "was not closed, nothing was committed", "the close cut before its commit");
    assert_int_equal(closes(f), 0);
    char staging[4200];
    snprintf(staging, sizeof(staging), "%s/.%s.closing", f->out, PERIOD);
    struct stat sb;
    assert_int_not_equal(stat(staging, &sb), 0);
    assert_int_not_equal(stat(f->folder, &sb), 0);
    step_log(f, "close_lost_answer", log, sizeof(log));
    const char *fault[] = {"BILLRUN_TEST_FAULT=commit_lost", NULL};
    pid = it_billrun_spawn(f->db, log, args, fault);
    assert_int_equal(it_wait(pid), 0);
    it_expect_log(log, "event=close_commit_recovered", "the close whose COMMIT answer was lost");
    assert_int_equal(closes(f), 1);
    char summary[4300];
    snprintf(summary, sizeof(summary), "%s/summary-202611.xlsx", f->folder);
    assert_int_equal(stat(summary, &sb), 0);
}

/* A final close needs a seller: without one it refuses (exit 2), unless
 * told --no-seller. */
static void close_needs_a_seller(void **state)
{
    struct fx *f = *state;
    run_inbox(f, f->inbox, AS_OF, 3);
    char log[4096], conf[4200];
    snprintf(conf, sizeof(conf), "BILLRUN_SELLER_CONF=%s/no-such-seller.conf", f->dir);
    const char *env[] = {conf, NULL};
    const char *args[] = {"close", "--period", PERIOD, "--out", f->out, NULL};
    step_log(f, "close_no_seller", log, sizeof(log));
    assert_int_equal(it_wait(it_billrun_spawn(f->db, log, args, env)), 2);
    it_expect_log(log, "no seller is configured", "a close without a seller");
    assert_int_equal(closes(f), 0);
    const char *args2[] = {"close", "--period", PERIOD, "--out", f->out, "--no-seller", NULL};
    step_log(f, "close_no_seller_ok", log, sizeof(log));
    assert_int_equal(it_wait(it_billrun_spawn(f->db, log, args2, env)), 0);
    assert_int_equal(closes(f), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(samples_workbooks_show_the_invoices, setup, teardown),
        cmocka_unit_test_setup_teardown(close_twice_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(invoices_rewrite_same_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(late_usage_lands_in_next_open_period, setup, teardown),
        cmocka_unit_test_setup_teardown(close_after_early_as_of, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_names_stay_text, setup, teardown),
        cmocka_unit_test_setup_teardown(full_disk_leaves_no_partial_file, setup, teardown),
        cmocka_unit_test_setup_teardown(killed_close_is_completed, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_commit_is_found_out, setup, teardown),
        cmocka_unit_test_setup_teardown(close_needs_a_seller, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
