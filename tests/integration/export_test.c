/* billrun export (issue 20, part 1) on a real PostgreSQL: the files are read
 * back with Python's csv module (tests/export_check.py: form, voucher
 * numbers, balance, dates) and every voucher, posting and trial-balance
 * figure compared with ledger.journal, ledger.postings and
 * ledger.trial_balance to the e8, for an open period (its postings so far)
 * and after its close; hledger (a Debian package) imports the journal file
 * with docs/export-hledger.rules and its balances are the trial balance's;
 * a chart map moves lines to the company's codes, many to one; bad maps
 * are refused with exit 2 and nothing written; files are 0640 in a 0750
 * folder; late entries are dated within their posting period. Needs
 * python3 and hledger (scripts/install-deps). */
#include "it.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"
#define HLEDGER "/usr/bin/hledger"
#define NIGHT1 "2026-12-01T00:00:00+08:00"

struct fx {
    char db[128];
    PGconn *c;
    char *dir;
    char out[4200];
    char log[4200];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    static int n;
    char tag[32];
    snprintf(tag, sizeof(tag), "export%d", n++);
    it_db_create(f->db, sizeof(f->db), tag);
    f->c = it_db_connect(f->db);
    f->dir = it_tmpdir("export");
    snprintf(f->out, sizeof(f->out), "%s/out/books", f->dir);
    snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
    assert_int_equal(it_billrun(f->db, f->log, "db", "init", "--tz-offset", "+08:00", NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    PQfinish(f->c);
    it_db_drop(f->db);
    it_rm(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static void need_tools(void)
{
    if (access(PYTHON, X_OK) != 0)
        fail_msg("%s is missing: the export tests read the files with tests/export_check.py",
                 PYTHON);
    if (access(HLEDGER, X_OK) != 0)
        fail_msg("hledger is missing: the export test imports the journal with it. Install it "
                 "with scripts/install-deps (Debian package hledger)");
}

static void billrun_ok(struct fx *f, int want, const char *const *args)
{
    it_expect_rc(it_billrunv(f->db, f->log, args), want, args[0], f->log);
}

static void run_inbox(struct fx *f, const char *inbox, const char *as_of, int want)
{
    const char *args[] = {"run", "--inbox", inbox, "--as-of", as_of, "--future-as-of", NULL};
    billrun_ok(f, want, args);
}

static void close_period(struct fx *f, const char *period)
{
    char seller[4200], out[4200];
    snprintf(seller, sizeof(seller), "%s/samples/seller.conf", it_source_dir());
    snprintf(out, sizeof(out), "%s/invoices", f->dir);
    const char *args[] = {"close",    "--period", period,    "--out", out,
                          "--seller", seller,     "--early", NULL};
    billrun_ok(f, 0, args);
}

/* Runs a shell command; its stdout is returned (caller frees). */
static char *sh_out(struct fx *f, const char *cmd)
{
    char full[12000], out[4300];
    snprintf(out, sizeof(out), "%s/sh.out", f->dir);
    snprintf(full, sizeof(full), "%s >'%s' 2>'%s'", cmd, out, f->log);
    const char *argv[] = {"sh", "-c", full, NULL};
    it_expect_rc(it_run(argv, NULL), 0, cmd, f->log);
    return it_read_file(out, NULL);
}

/* What tests/export_check.py reads in the two files. */
static char *read_back(struct fx *f, const char *journal, const char *tb, const char *period)
{
    char cmd[9000];
    snprintf(cmd, sizeof(cmd), PYTHON " '%s/tests/export_check.py' journal '%s' '%s' %s",
             it_source_dir(), journal, tb, period);
    return sh_out(f, cmd);
}

/* The same lines from the database's views, computed independently of
 * billrun's export: vouchers in entry order with the day of the entry's
 * effective time kept within the period, postings debits first, the trial
 * balance, and the nets per company code through map (a VALUES list of
 * (billrun_code, code, name), or NULL for billrun's own). */
static char *expected(struct fx *f, const char *p, const char *map)
{
    char sql[8000];
    snprintf(
        sql, sizeof(sql),
        "WITH m(bcode, code, name) AS (%s), "
        "v AS (SELECT 'voucher' AS k, row_number() OVER (ORDER BY e.entry_id)::text AS a, "
        "  e.entry_id::text AS b, to_char(greatest(least(((e.effective_at AT TIME ZONE 'UTC') "
        "  + make_interval(secs => s.tz_offset_s))::date, (date '%s-01' + interval '1 month' "
        "  - interval '1 day')::date), date '%s-01'), 'YYYY-MM-DD') AS c, "
        "  NULL::text AS d, NULL::text AS e2, 1 AS part, e.entry_id AS o1, 0 AS o2, 0::bigint AS "
        "  o3 FROM ledger.journal e CROSS JOIN billing.settings s WHERE e.period = '%s'), "
        "po AS (SELECT 'posting', p.entry_id::text, p.account_code::text, p.sub_ledger, "
        "  p.debit::text, p.credit::text, 2, p.entry_id, (p.credit > 0)::int, p.transfer_id "
        "  FROM ledger.postings p JOIN ledger.journal j USING (entry_id) WHERE j.period = '%s'), "
        "tb AS (SELECT 'tb', account_code::text, debit::text, credit::text, total_debit::text, "
        "  total_credit::text, 3, account_code::bigint, 0, 0::bigint FROM ledger.trial_balance "
        "  WHERE period = '%s'), "
        "ac AS (SELECT 'account', m.code, m.name, sum(t.debit - t.credit)::text, NULL, NULL, 4, "
        "  0::bigint, 0, 0::bigint FROM ledger.trial_balance t JOIN m ON m.bcode = t.account_code "
        "  WHERE t.period = '%s' GROUP BY m.code, m.name) "
        "SELECT k, a, b, c, d, e2 FROM (SELECT * FROM v UNION ALL SELECT * FROM po UNION ALL "
        "SELECT * FROM tb UNION ALL SELECT * FROM ac) x "
        "ORDER BY part, o1, o2, o3, a COLLATE \"C\"",
        map != NULL ? map : "SELECT code, code::text, name FROM ledger.chart", p, p, p, p, p, p);
    char *t = it_sql_text(f->c, sql);
    /* it_sql_text prints SQL NULLs as empty fields: drop the trailing ones */
    size_t w = 0;
    for (size_t r = 0; t[r] != '\0'; r++) {
        if (t[r] == '|' && (t[r + 1] == '|' || t[r + 1] == '\n')) {
            size_t k = r;
            while (t[k] == '|')
                k++;
            if (t[k] == '\n') {
                r = k - 1;
                continue;
            }
        }
        t[w++] = t[r];
    }
    t[w] = '\0';
    return t;
}

static void same_text(const char *got, const char *want, const char *what)
{
    if (strcmp(got, want) == 0)
        return;
    size_t i = 0, line = 1;
    while (got[i] != '\0' && got[i] == want[i])
        line += got[i++] == '\n';
    fail_msg("%s differs from the database at line %zu:\n  read back: %.200s\n  database:  %.200s",
             what, line, got + i, want + i);
}

/* Exports period into f->out (with the map file, whose rows map_sql gives
 * as VALUES, and the BOM when asked) and checks what was written against
 * the database. */
static void export_and_check(struct fx *f, const char *period, bool open, const char *map_file,
                             const char *map_sql, bool bom)
{
    const char *args[] = {"export", "--period", period, "--out", f->out, NULL, NULL, NULL, NULL};
    int k = 5;
    if (map_file != NULL) {
        args[k++] = "--chart-map";
        args[k++] = map_file;
    }
    if (bom)
        args[k++] = "--bom";
    billrun_ok(f, 0, args);
    it_expect_log(f->log, open ? "is open: these are its postings so far" : "(closed, final)",
                  NULL);
    char journal[4400], tb[4400];
    snprintf(journal, sizeof(journal), "%s/journal-%.4s%.2s%s.csv", f->out, period, period + 5,
             open ? "-open" : "");
    snprintf(tb, sizeof(tb), "%s/trial-balance-%.4s%.2s%s.csv", f->out, period, period + 5,
             open ? "-open" : "");
    struct stat sb;
    assert_int_equal(stat(journal, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    assert_int_equal(stat(tb, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    assert_int_equal(stat(f->out, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0750);
    char *head = it_read_file(journal, NULL);
    assert_int_equal(strncmp(head, "\xEF\xBB\xBF", 3) == 0, bom);
    free(head);
    char *got = read_back(f, journal, tb, period);
    char *want = expected(f, period, map_sql);
    same_text(got, want, journal);
    free(got);
    free(want);
}

/* hledger reads the journal file with the rules the README documents; its
 * balances are the trial balance's nets, and every voucher's clearing
 * account is zero. */
static void hledger_import(struct fx *f, const char *journal, const char *period)
{
    char cmd[9000];
    snprintf(cmd, sizeof(cmd),
             HLEDGER
             " -f '%s' --rules-file '%s/docs/export-hledger.rules' bal -E not:^voucher: -O csv "
             ">'%s/bal.csv' && " PYTHON " '%s/tests/export_check.py' hledger '%s/bal.csv'",
             journal, it_source_dir(), f->dir, it_source_dir(), f->dir);
    char *got = sh_out(f, cmd);
    char sql[600];
    snprintf(sql, sizeof(sql),
             "SELECT 'account', t.account_code, c.name, t.debit - t.credit "
             "FROM ledger.trial_balance t JOIN ledger.chart c ON c.code = t.account_code "
             "WHERE t.period = '%s' ORDER BY t.account_code::text COLLATE \"C\"",
             period);
    char *want = it_sql_text(f->c, sql);
    same_text(got, want, "hledger's balance");
    free(got);
    free(want);
    snprintf(cmd, sizeof(cmd),
             HLEDGER " -f '%s' --rules-file '%s/docs/export-hledger.rules' bal '^voucher:' -O csv",
             journal, it_source_dir());
    got = sh_out(f, cmd);
    assert_string_equal(got, "\"account\",\"balance\"\n\"total\",\"0\"\n");
    free(got);
}

/* ---- tests ------------------------------------------------------------------ */

/* The sample month: exported open (its postings so far), then closed and
 * exported again (round-downs and recognition to the period end included),
 * hledger agreeing; December open with its straight-line recognition. */
static void open_then_closed(void **state)
{
    struct fx *f = *state;
    need_tools();
    char inbox[4200], journal[4400], empty[4400];
    snprintf(inbox, sizeof(inbox), "%s/samples/inbox", it_source_dir());
    run_inbox(f, inbox, NIGHT1, 3);
    export_and_check(f, "2026-11", true, NULL, NULL, false);
    close_period(f, "2026-11");
    assert_true(it_sql_int(f->c, "SELECT count(*) FROM ledger.trial_balance WHERE period = "
                                 "'2026-11' AND account_code = 4910") == 1);
    export_and_check(f, "2026-11", false, NULL, NULL, true);
    snprintf(journal, sizeof(journal), "%s/journal-202611.csv", f->out);
    hledger_import(f, journal, "2026-11");
    /* the open export is still there, under its own name */
    snprintf(journal, sizeof(journal), "%s/journal-202611-open.csv", f->out);
    assert_int_equal(access(journal, F_OK), 0);
    snprintf(empty, sizeof(empty), "%s/empty", f->dir);
    assert_int_equal(mkdir(empty, 0700), 0);
    run_inbox(f, empty, "2026-12-05T00:00:00+08:00", 0);
    assert_true(it_sql_int(f->c, "SELECT count(*) FROM ledger.journal WHERE period = '2026-12'") >
                0);
    export_and_check(f, "2026-12", true, NULL, NULL, false);
    snprintf(journal, sizeof(journal), "%s/journal-202612-open.csv", f->out);
    hledger_import(f, journal, "2026-12");
}

static const char map_csv[] = "billrun_code,code,name\r\n"
                              "1000,1002.01,银行存款-清算\r\n"
                              "1100,1122,应收账款\r\n"
                              "2100,2203,预收账款\r\n"
                              "2200,2204,合同负债\r\n"
                              "4100,6001,主营业务收入\r\n"
                              "4110,6001,主营业务收入\r\n"
                              "4200,6001,主营业务收入\r\n"
                              "4300,6001,主营业务收入\r\n"
                              "4400,6001,主营业务收入\r\n"
                              "4800,6051,其他业务收入\r\n"
                              "4900,6001.90,\"主营业务收入-折扣,优惠券\"\r\n"
                              "4910,6001.91,主营业务收入-抹零\r\n"
                              "4920,6001.92,主营业务收入-调整\r\n";

static const char map_sql[] =
    "VALUES (1000, '1002.01', '银行存款-清算'), (1100, '1122', '应收账款'), "
    "(2100, '2203', '预收账款'), (2200, '2204', '合同负债'), (4100, '6001', '主营业务收入'), "
    "(4110, '6001', '主营业务收入'), (4200, '6001', '主营业务收入'), "
    "(4300, '6001', '主营业务收入'), (4400, '6001', '主营业务收入'), "
    "(4800, '6051', '其他业务收入'), (4900, '6001.90', '主营业务收入-折扣,优惠券'), "
    "(4910, '6001.91', '主营业务收入-抹零'), (4920, '6001.92', '主营业务收入-调整')";

/* The company's chart: five revenue accounts onto one, Chinese names. */
static void chart_map(void **state)
{
    struct fx *f = *state;
    need_tools();
    char inbox[4200], map[4400];
    snprintf(inbox, sizeof(inbox), "%s/samples/inbox", it_source_dir());
    snprintf(map, sizeof(map), "%s/map.csv", f->dir);
    it_write_file(map, map_csv);
    run_inbox(f, inbox, NIGHT1, 3);
    close_period(f, "2026-11");
    export_and_check(f, "2026-11", false, map, map_sql, true);
}

/* A map that leaves a code out or names one billrun does not have, a bad
 * period, an unknown option: exit 2, and nothing written. */
static void refused(void **state)
{
    struct fx *f = *state;
    char map[4400];
    snprintf(map, sizeof(map), "%s/map.csv", f->dir);
    char *text = strdup(map_csv);
    *strstr(text, "4920,") = '\0';
    it_write_file(map, text);
    const char *args[] = {"export", "--period",    "2026-11", "--out",
                          f->out,   "--chart-map", map,       NULL};
    billrun_ok(f, 2, args);
    it_expect_log(f->log, "no row for 4920 (every code of billrun's chart needs one)", NULL);
    strcat(text, "4921,6001.92,x\r\n");
    it_write_file(map, text);
    billrun_ok(f, 2, args);
    it_expect_log(f->log, "line 14: \"4921\" is not a code of billrun's chart", NULL);
    free(text);
    args[6] = "/nonexistent/map.csv";
    billrun_ok(f, 2, args);
    it_expect_log(f->log, "chart map /nonexistent/map.csv: No such file or directory", NULL);
    const char *bad_period[] = {"export", "--period", "2026-13", "--out", f->out, NULL};
    billrun_ok(f, 2, bad_period);
    const char *bad_option[] = {"export", "--period", "2026-11", "--out", f->out, "--xml", NULL};
    billrun_ok(f, 2, bad_option);
    const char *no_out[] = {"export", "--period", "2026-11", NULL};
    billrun_ok(f, 2, no_out);
    assert_int_equal(access(f->out, F_OK), -1);
}

/* Example 30: adjustments of November arrive in December, after November's
 * close; their entries are posted in December, flagged late, and dated
 * 2026-12-01 in the export (checked against the rule in SQL by
 * expected()); December closed early has its notes' round-downs. */
static void late_entries(void **state)
{
    struct fx *f = *state;
    need_tools();
    char *ex = it_examples_dir(), inbox[4200];
    snprintf(inbox, sizeof(inbox), "%s/30-late-adjustments/night1", ex);
    run_inbox(f, inbox, NIGHT1, 0);
    close_period(f, "2026-11");
    snprintf(inbox, sizeof(inbox), "%s/30-late-adjustments/night2", ex);
    run_inbox(f, inbox, "2026-12-03T00:00:00+08:00", 0);
    free(ex);
    assert_true(it_sql_int(f->c, "SELECT count(*) FROM ledger.journal WHERE period = '2026-12' "
                                 "AND late AND effective_at < '2026-12-01T00:00:00+08:00'") > 0);
    export_and_check(f, "2026-12", true, NULL, NULL, false);
    close_period(f, "2026-12");
    export_and_check(f, "2026-12", false, NULL, NULL, false);
    char journal[4400];
    snprintf(journal, sizeof(journal), "%s/journal-202612.csv", f->out);
    hledger_import(f, journal, "2026-12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_then_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(chart_map, setup, teardown),
        cmocka_unit_test_setup_teardown(refused, setup, teardown),
        cmocka_unit_test_setup_teardown(late_entries, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
