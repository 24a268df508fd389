/* billrun invoices --draft (issue 20, part 2) on a real PostgreSQL: the open
 * sample month's drafts are read back with openpyxl (tests/draft_check.py),
 * independently of billrun: DRAFT in every file name (never a number), in
 * the Invoice sheet's title and number, in every sheet's page header and in
 * the document title; tests/xlsx_check.py passes them (formulas, formats,
 * page setup); their totals, round-down and amount due are
 * billing.invoices' drafts to the e8; writing them changed nothing in the
 * database (every table's rows and every sequence as before), nor waited
 * for the writers' lock a run holds. The month is
 * then closed: each final's lines, days and totals are its draft's; the
 * same for a month of credit and debit notes, which a draft lists as
 * "(draft)", unnumbered. Drafts
 * are refused (exit 2, nothing written) for a closed month, into a folder
 * holding finals (or under one, or named like one, or the configured
 * BILLRUN_OUT), and `billrun invoices` of an open month without --draft
 * says finals come only from close. Needs python3-openpyxl. */
#include "it.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"
#define AS_OF "2026-12-01T00:00:00+08:00"
#define PERIOD "2026-11"

struct fx {
    char db[128];
    PGconn *c;
    char *dir;
    char seller[4200];
    char drafts[4200]; /* --out of the drafts */
    char finals[4200]; /* --out of the close */
    char log[4200];
};

/* What a test starts from: an inbox of the repository run once. */
struct start {
    const char *inbox; /* under the source tree */
    int rc;            /* billrun run's exit code */
};

static const struct start from_samples = {"samples/inbox", 3}; /* 15 bad rows on purpose */
static const struct start from_notes = {"tests/examples/31-note-numbering/inbox", 0};

static int setup(void **state)
{
    const struct start *from = *state;
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    static int n;
    char tag[32];
    snprintf(tag, sizeof(tag), "invoices%d", n++);
    it_db_create(f->db, sizeof(f->db), tag);
    f->c = it_db_connect(f->db);
    f->dir = it_tmpdir("invoices");
    snprintf(f->seller, sizeof(f->seller), "%s/samples/seller.conf", it_source_dir());
    snprintf(f->drafts, sizeof(f->drafts), "%s/previews", f->dir);
    snprintf(f->finals, sizeof(f->finals), "%s/invoices", f->dir);
    snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
    assert_int_equal(it_billrun(f->db, f->log, "db", "init", "--tz-offset", "+08:00", NULL), 0);
    char inbox[4200];
    snprintf(inbox, sizeof(inbox), "%s/%s", it_source_dir(), from->inbox);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", inbox, "--as-of", AS_OF,
                                "--future-as-of", NULL),
                     from->rc);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    it_verify_ok(f->db, f->log);
    PQfinish(f->c);
    it_db_drop(f->db);
    it_rm(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static void billrun_rc(struct fx *f, int want, const char *const *args)
{
    it_expect_rc(it_billrunv(f->db, f->log, args), want, args[0], f->log);
}

static void draft(struct fx *f, const char *period, const char *out, int want)
{
    const char *args[] = {"invoices", "--period", period,    "--draft", "--out",
                          out,        "--seller", f->seller, NULL};
    billrun_rc(f, want, args);
}

static void close_period(struct fx *f, const char *period)
{
    const char *args[] = {"close",    "--period", period,    "--out", f->finals,
                          "--seller", f->seller,  "--early", NULL};
    billrun_rc(f, 0, args);
}

/* Every table of billing and ledger (its rows, hashed) and every sequence:
 * what a draft must leave as it was. */
static char *db_digest(struct fx *f)
{
    return it_sql_text(
        f->c,
        "SELECT table_schema || '.' || table_name, "
        "(xpath('/row/h/text()', query_to_xml(format('SELECT md5(coalesce(string_agg(t::text, "
        "E''\\n'' ORDER BY t::text), '''')) AS h FROM %I.%I t', table_schema, table_name), "
        "false, true, '')))[1]::text FROM information_schema.tables "
        "WHERE table_schema IN ('billing', 'ledger') AND table_type = 'BASE TABLE' "
        "UNION ALL SELECT schemaname || '.' || sequencename, coalesce(last_value, 0)::text "
        "FROM pg_sequences WHERE schemaname IN ('billing', 'ledger') ORDER BY 1");
}

/* The invoices' workbooks of dir (DRAFT- or INV-), as paths joined by
 * spaces (quoted for sh), and the names of all its files one a line. */
static void xlsx_files(const char *dir, char *paths, size_t psize, char *names, size_t nsize)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    paths[0] = names[0] = '\0';
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(names);
        snprintf(names + n, nsize - n, "%s\n", e->d_name);
        if (strstr(e->d_name, ".xlsx") == NULL ||
            (strncmp(e->d_name, "DRAFT-", 6) != 0 && strncmp(e->d_name, "INV-", 4) != 0))
            continue;
        n = strlen(paths);
        snprintf(paths + n, psize - n, " '%s/%s'", dir, e->d_name);
    }
    closedir(d);
}

/* Runs tests/draft_check.py MODE on the workbooks of dir; its stdout. */
static char *check(struct fx *f, const char *mode, const char *dir)
{
    static char paths[65536], names[16384];
    xlsx_files(dir, paths, sizeof(paths), names, sizeof(names));
    char cmd[70000], out[4300];
    snprintf(out, sizeof(out), "%s/check.out", f->dir);
    snprintf(cmd, sizeof(cmd), PYTHON " '%s/tests/draft_check.py' %s%s >'%s' 2>'%s'",
             it_source_dir(), mode, paths, out, f->log);
    const char *argv[] = {"sh", "-c", cmd, NULL};
    if (it_run(argv, NULL) != 0) {
        char *a = it_read_file(out, NULL), *b = it_read_file(f->log, NULL);
        fail_msg("draft_check.py %s %s failed:\n%s%s", mode, dir, a ? a : "", b ? b : "");
    }
    return it_read_file(out, NULL);
}

/* tests/xlsx_check.py (formulas and their cached values, number formats,
 * page setup) on every invoice workbook of dir. */
static void xlsx_check(struct fx *f, const char *dir)
{
    static char paths[65536], names[16384];
    xlsx_files(dir, paths, sizeof(paths), names, sizeof(names));
    char cmd[70000];
    snprintf(cmd, sizeof(cmd),
             "for x in%s; do " PYTHON " '%s/tests/xlsx_check.py' \"$x\" || exit 1; done >'%s' 2>&1",
             paths, it_source_dir(), f->log);
    const char *argv[] = {"sh", "-c", cmd, NULL};
    it_expect_rc(it_run(argv, NULL), 0, "xlsx_check.py", f->log);
}

/* billing.invoices of period as draft_check.py totals prints them. */
static char *view_totals(struct fx *f, const char *period, const char *status)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "SELECT account_id, (gross * 100000000)::bigint, (free * 100000000)::bigint, "
             "(plan * 100000000)::bigint, (coupon * 100000000)::bigint, "
             "(balance * 100000000)::bigint, (outstanding * 100000000)::bigint, "
             "(round_down * 100000000)::bigint, (amount_due * 100000000)::bigint "
             "FROM billing.invoices WHERE period = '%s' AND status = '%s' "
             "ORDER BY account_id COLLATE \"C\"",
             period, status);
    return it_sql_text(f->c, sql);
}

static void expect_mode(const char *path, mode_t want)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    if ((sb.st_mode & 0777) != want)
        fail_msg("%s: mode %o, want %o", path, (unsigned)(sb.st_mode & 0777), (unsigned)want);
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- tests ------------------------------------------------------------------ */

/* The open sample month's drafts: marked, the view's figures, nothing
 * stored; then closed, each final is its draft with a number. */
static void draft_then_close(struct fx *f, const char *written)
{
    char *before = db_digest(f);
    /* a writer (a nightly run) holds the writers' lock: a draft, which
     * only reads, neither waits for it nor needs it */
    PGconn *writer = it_db_connect(f->db);
    char state[6];
    assert_string_equal(it_sql_try(writer, "BEGIN", state), "");
    assert_string_equal(
        it_sql_try(writer, "LOCK TABLE ledger.writer_lock IN SHARE ROW EXCLUSIVE MODE", state), "");
    draft(f, PERIOD, f->drafts, 0);
    PQfinish(writer);
    it_expect_log(f->log, written, NULL);
    char *after = db_digest(f);
    assert_string_equal(before, after);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.invoice_finals"), 0);

    static char paths[65536], names[16384];
    xlsx_files(f->drafts, paths, sizeof(paths), names, sizeof(names));
    assert_string_not_equal(names, "");
    if (strstr(names, "INV-") != NULL || strstr(names, ".tmp") != NULL)
        fail_msg("a number or a temporary file among the drafts:\n%s", names);
    expect_mode(f->drafts, 0750);
    char one[4400], *save = NULL;
    snprintf(one, sizeof(one), "%s/%s", f->drafts, strtok_r(names, "\n", &save));
    expect_mode(one, 0640);

    char *marks = check(f, "marks", f->drafts);
    if (strncmp(marks, "marks ok ", 9) != 0)
        fail_msg("draft_check.py marks: %s", marks);
    char *want = view_totals(f, PERIOD, "draft");
    char *got = check(f, "totals", f->drafts);
    assert_string_equal(got, want);
    char *draft_lines = check(f, "lines", f->drafts);
    xlsx_check(f, f->drafts);

    close_period(f, PERIOD);
    char folder[4300];
    snprintf(folder, sizeof(folder), "%s/%s", f->finals, PERIOD);
    char *final_totals = check(f, "totals", folder);
    assert_string_equal(final_totals, got);
    char *final_view = view_totals(f, PERIOD, "final");
    assert_string_equal(final_view, want);
    char *final_lines = check(f, "lines", folder);
    assert_string_equal(final_lines, draft_lines);
    /* and no draft landed beside the finals */
    xlsx_files(folder, paths, sizeof(paths), names, sizeof(names));
    if (strstr(names, "DRAFT") != NULL)
        fail_msg("a draft among the finals:\n%s", names);
    free(before);
    free(after);
    free(marks);
    free(want);
    free(got);
    free(draft_lines);
    free(final_totals);
    free(final_view);
    free(final_lines);
}

static void drafts_are_the_close_to_come(void **state)
{
    struct fx *f = *state;
    draft_then_close(f, "5 DRAFT invoices written");
}

/* Adjustments alone make an invoice; a draft lists them unnumbered. */
static void drafts_list_notes_unnumbered(void **state)
{
    struct fx *f = *state;
    assert_true(it_sql_int(f->c, "SELECT count(*) FROM billing.adjustment_rows") > 0);
    draft_then_close(f, "DRAFT invoices written");
    char *notes = check(f, "notes", f->drafts);
    char *want = it_sql_text(f->c, "SELECT account_id, count(*) FROM billing.adjustment_rows "
                                   "WHERE period = '2026-11' GROUP BY 1 "
                                   "ORDER BY account_id COLLATE \"C\"");
    assert_string_equal(notes, want);
    free(notes);
    free(want);
}

/* Each refusal exits 2, says why and writes nothing. */
static void refuse(struct fx *f, const char *period, const char *out, const char *needle)
{
    bool was = exists(out);
    draft(f, period, out, 2);
    it_expect_log(f->log, needle, NULL);
    if (!was && exists(out))
        fail_msg("a refused draft made %s", out);
}

static void drafts_never_meet_finals(void **state)
{
    struct fx *f = *state;
    char out[4400];
    /* without --draft, an open month has no invoices to write */
    snprintf(out, sizeof(out), "%s/copy", f->dir);
    const char *args[] = {"invoices", "--period", PERIOD, "--out", out, NULL};
    billrun_rc(f, 2, args);
    it_expect_log(f->log, "2026-11 is open: final invoices come only from its close", NULL);
    it_expect_log(f->log, "--draft", NULL);
    assert_false(exists(out));
    /* close takes no --draft */
    const char *close_draft[] = {"close", "--period", PERIOD, "--draft", "--out", out, NULL};
    billrun_rc(f, 2, close_draft);

    close_period(f, PERIOD);
    char *before = db_digest(f);
    refuse(f, PERIOD, f->drafts, "2026-11 is closed: its final invoices are the ones its close");
    refuse(f, "2026-12", f->finals, "holds final invoices");
    snprintf(out, sizeof(out), "%s/%s", f->finals, PERIOD);
    refuse(f, "2026-12", out, "named like a close's folder");
    snprintf(out, sizeof(out), "%s/drafts", f->finals);
    refuse(f, "2026-12", out, "holds final invoices");
    snprintf(out, sizeof(out), "%s/2026-12/", f->dir);
    refuse(f, "2026-12", out, "named like a close's folder");
    /* a folder holding a close's files, whatever it is called */
    char loose[4400], from[4400];
    snprintf(loose, sizeof(loose), "%s/loose", f->dir);
    snprintf(from, sizeof(from), "%s/%s", f->finals, PERIOD);
    it_copy_dir(from, loose);
    refuse(f, "2026-12", loose, "holds final invoices");
    /* the configured folder of finals (the jobs' --out) */
    snprintf(out, sizeof(out), "%s/configured/drafts", f->dir);
    char env[4400];
    snprintf(env, sizeof(env), "BILLRUN_OUT=%s/configured", f->dir);
    const char *env_list[] = {env, NULL};
    const char *dargs[] = {"invoices", "--period", "2026-12", "--draft", "--out", out, NULL};
    assert_int_equal(it_wait(it_billrun_spawn(f->db, f->log, dargs, env_list)), 2);
    it_expect_log(f->log, "is in the folder of final invoices (BILLRUN_OUT=", NULL);
    assert_false(exists(out));
    char *after = db_digest(f);
    assert_string_equal(before, after);
    /* a folder of its own is fine (the open month has no activity yet) */
    draft(f, "2026-12", f->drafts, 0);
    it_expect_log(f->log, "0 DRAFT invoices written", NULL);
    free(before);
    free(after);
}

int main(void)
{
    if (access(PYTHON, X_OK) != 0) {
        fprintf(stderr, "%s is missing: invoices_test reads the drafts with openpyxl\n", PYTHON);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(drafts_are_the_close_to_come, setup, teardown,
                                                 (void *)&from_samples),
        cmocka_unit_test_prestate_setup_teardown(drafts_list_notes_unnumbered, setup, teardown,
                                                 (void *)&from_notes),
        cmocka_unit_test_prestate_setup_teardown(drafts_never_meet_finals, setup, teardown,
                                                 (void *)&from_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
