/* billrun against an independent reading of the spec. tests/oracle/oracle.py
 * models one run over an empty database (validation, rejects, refused files,
 * pricing and the deduction waterfall) and ledger_oracle.py the ledger on top
 * of it (rules.md 5 and 6: postings, revenue recognition, breakage, invoices,
 * closes); both were written from the spec alone, by helpers that had not
 * read billrun's code. Each case applies one inbox with billrun into a fresh
 * database, compares the usage lines, rejects, files, plan and coupon
 * consumption with oracle.py's (compare.py), then closes periods and
 * compares the trial balance, plans and invoices with ledger_oracle.py's
 * (compare_ledger.py). Both oracles must first agree with every worked
 * example.
 *
 * Seeds: BILLRUN_ORACLE_SEEDS (default 40) inboxes of tests/oracle/fuzzgen.py,
 * half of them read at an as-of inside their data. The generator leaves out
 * the constructs on which the two readings are known to differ and
 * billrun's is documented (tests/oracle/README.md). */
#include "it.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PYTHON "/usr/bin/python3"
#define KNOWN_DIFFERENT "bigsum,lowerz,couponpaid,extrafields,zeroface,offsetdup,tod_eq"

static char *oracle_path(const char *file)
{
    char *p = malloc(4096);
    assert_non_null(p);
    snprintf(p, 4096, "%s/tests/oracle/%s", it_source_dir(), file);
    return p;
}

/* Appends a tool's log to *report under a title. */
static void add_report(char **report, const char *title, const char *log)
{
    char *out = it_read_file(log, NULL);
    size_t n = (*report ? strlen(*report) : 0) + strlen(out) + strlen(title) + 16;
    char *r = malloc(n);
    assert_non_null(r);
    snprintf(r, n, "%s== %s\n%s", *report ? *report : "", title, out);
    free(*report);
    free(out);
    *report = r;
}

/* Applies inbox with billrun into a fresh database and compares with
 * oracle.py; then closes each period of closes (NULL-terminated) and
 * compares the ledger with ledger_oracle.py. Returns 0 when all agree, else
 * appends what differed to *report. */
static int agree(const char *tag, const char *inbox, const char *as_of, const char *const *closes,
                 const char *dir, char **report)
{
    char db[128], log[4200], json[4200], out[4200];
    it_db_create(db, sizeof(db), tag);
    snprintf(log, sizeof(log), "%s/%s.log", dir, tag);
    snprintf(json, sizeof(json), "%s/%s.json", dir, tag);
    snprintf(out, sizeof(out), "%s/%s-invoices", dir, tag);
    /* the generated inboxes reach months back: the widest lateness window
     * (corrections.md section 2), given to both sides; the inboxes are fixed
     * in time, hence --future-as-of and --early (interfaces.md) */
    assert_int_equal(it_billrun(db, log, "db", "init", "--late-days", "366", NULL), 0);
    int rc = it_billrun(db, log, "run", "--inbox", inbox, "--as-of", as_of, "--future-as-of", NULL);
    if (rc != 0 && rc != 3)
        fail_msg("%s: billrun run exited %d", tag, rc);
    char *oracle = oracle_path("oracle.py"), *compare = oracle_path("compare.py");
    const char *run[] = {PYTHON,        oracle, "--inbox", inbox, "--as-of", as_of,
                         "--late-days", "366",  "--out",   json,  NULL};
    assert_int_equal(it_run(run, log), 0);
    const char *cmp[] = {PYTHON, compare, db, json, NULL};
    int bad = it_run(cmp, log) != 0;
    if (bad)
        add_report(report, tag, log);
    const char *largv[32] = {PYTHON, NULL,    "--inbox", inbox,         "--as-of",
                             as_of,  "--out", json,      "--late-days", "366"};
    char *ledger = oracle_path("ledger_oracle.py"), *lcompare = oracle_path("compare_ledger.py");
    largv[1] = ledger;
    size_t n = 10;
    for (size_t i = 0; closes[i] != NULL; i++) {
        rc = it_billrun(db, log, "close", "--period", closes[i], "--out", out, "--early",
                        "--no-seller", NULL);
        if (rc != 0)
            fail_msg("%s: billrun close --period %s exited %d", tag, closes[i], rc);
        largv[n++] = "--close";
        largv[n++] = closes[i];
    }
    largv[n] = NULL;
    assert_int_equal(it_run(largv, log), 0);
    const char *lcmp[] = {PYTHON, lcompare, db, json, NULL};
    if (it_run(lcmp, log) != 0) {
        char title[200];
        snprintf(title, sizeof(title), "%s ledger", tag);
        add_report(report, title, log);
        bad = 1;
    }
    free(oracle);
    free(compare);
    free(ledger);
    free(lcompare);
    it_db_drop(db);
    return bad;
}

static void check_examples(const char *script, const char *what)
{
    char *dir = it_tmpdir("oracle"), log[4200], examples[4200];
    snprintf(log, sizeof(log), "%s/log", dir);
    char *ex = it_examples_dir();
    snprintf(examples, sizeof(examples), "%s", ex);
    free(ex);
    char *check = oracle_path(script);
    const char *argv[] = {PYTHON, check, examples, NULL};
    int rc = it_run(argv, log);
    char *out = it_read_file(log, NULL);
    if (rc != 0 || strstr(out, "ALL AGREE") == NULL)
        fail_msg("%s disagrees with the worked examples:\n%s", what, out);
    free(out);
    free(check);
    it_rm(dir);
    free(dir);
}

static void oracle_agrees_with_examples(void **state)
{
    (void)state;
    check_examples("check_examples.py", "oracle.py");
}

static void ledger_oracle_agrees_with_examples(void **state)
{
    (void)state;
    check_examples("check_ledger_examples.py", "ledger_oracle.py");
}

static void samples_agree(void **state)
{
    (void)state;
    char *dir = it_tmpdir("oracle"), inbox[4200], *report = NULL;
    snprintf(inbox, sizeof(inbox), "%s/samples/inbox", it_source_dir());
    static const char *const closes[] = {"2026-11", NULL};
    if (agree("oracle_samples", inbox, "2026-12-01T00:00:00+08:00", closes, dir, &report) != 0)
        fail_msg("billrun and the oracle differ on the samples:\n%s", report);
    it_rm(dir);
    free(dir);
}

static void fuzzed_inboxes_agree(void **state)
{
    (void)state;
    const char *s = getenv("BILLRUN_ORACLE_SEEDS");
    int seeds = s != NULL && atoi(s) > 0 ? atoi(s) : 40;
    setenv("FUZZ_AVOID", KNOWN_DIFFERENT, 1);
    char *dir = it_tmpdir("oracle"), *gen = oracle_path("fuzzgen.py"), *report = NULL;
    int failed = 0;
    for (int i = 1; i <= seeds; i++) {
        char seed[16], inbox[4200], tag[32], log[4200];
        snprintf(seed, sizeof(seed), "%d", i);
        snprintf(inbox, sizeof(inbox), "%s/inbox-%d", dir, i);
        snprintf(tag, sizeof(tag), "oracle_seed%d", i);
        snprintf(log, sizeof(log), "%s/gen.log", dir);
        const char *argv[] = {PYTHON, gen, seed, inbox, NULL};
        assert_int_equal(it_run(argv, log), 0);
        /* odd seeds at an as-of inside the data (plans and coupons expire
         * around it) and November closed early, even ones long after, with
         * November and December closed */
        static const char *const early[] = {"2026-11", NULL};
        static const char *const late[] = {"2026-11", "2026-12", NULL};
        const char *as_of = i % 2 ? "2026-11-30T12:00:00+08:00" : "2027-06-01T00:00:00+08:00";
        failed += agree(tag, inbox, as_of, i % 2 ? early : late, dir, &report) != 0;
    }
    if (failed)
        fail_msg("%d of %d seeds differ (tests/oracle/fuzzgen.py SEED DIR replays one; "
                 "inboxes kept in %s):\n%s",
                 failed, seeds, dir, report);
    printf("%d seeds: billrun and the oracle agree\n", seeds);
    free(gen);
    it_rm(dir);
    free(dir);
}

/* Sequences of nightly runs into one database, with closes and late files
 * (multirun_oracle.py, compare_multi.py): compared after every step, and the
 * last night with one run over the same files where the spec says they must
 * match. BILLRUN_ORACLE_NIGHTS (default 12) scenarios. */
static void nightly_sequences_agree(void **state)
{
    (void)state;
    const char *s = getenv("BILLRUN_ORACLE_NIGHTS");
    int n = s != NULL && atoi(s) > 0 ? atoi(s) : 12;
    char count[16], log[4200];
    snprintf(count, sizeof(count), "%d", n);
    char *dir = it_tmpdir("oracle3"), *script = oracle_path("compare_multi.py");
    snprintf(log, sizeof(log), "%s/log", dir);
    setenv("ORACLE_WORK", dir, 1);
    setenv("FUZZ_AVOID", KNOWN_DIFFERENT, 1);
    const char *argv[] = {PYTHON, script, "1", count, "--jobs", "2", NULL};
    int rc = it_run(argv, log);
    char *out = it_read_file(log, NULL);
    if (rc != 0)
        fail_msg("nightly sequences differ (reports kept in %s/sSEED/report.txt):\n%s", dir, out);
    printf("%s", out);
    free(out);
    free(script);
    it_rm(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oracle_agrees_with_examples),
        cmocka_unit_test(ledger_oracle_agrees_with_examples),
        cmocka_unit_test(samples_agree),
        cmocka_unit_test(fuzzed_inboxes_agree),
        cmocka_unit_test(nightly_sequences_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
