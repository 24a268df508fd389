/* corrections.md as a user meets it: the samples' November usage sent again
 * under new names on later nights changes no invoice and no posting, and
 * every re-sent row is a duplicate_record naming the batch and file that
 * billed it; the as-of guards refuse with nothing written; credit and debit
 * notes are written at close, again byte for byte by `billrun invoices`,
 * and verify finds a tampered note, contra-revenue posting or invoice
 * reference. */
#include "it.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"
#define NIGHT1 "2026-12-01T00:00:00+08:00"

struct fx {
    char db[128];
    PGconn *c;
    char *dir;
    char log[4200];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    it_db_create(f->db, sizeof(f->db), "corr");
    f->c = it_db_connect(f->db);
    f->dir = it_tmpdir("corrections");
    snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
    assert_int_equal(it_billrun(f->db, f->log, "db", "init", NULL), 0);
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

static void sh(const char *cmd)
{
    const char *argv[] = {"sh", "-c", cmd, NULL};
    assert_int_equal(it_run(argv, NULL), 0);
}

/* What a re-send must not change: the invoices, their lines, the plans and
 * the ledger's nets. */
static char *books(PGconn *c)
{
    return it_sql_text(
        c, "SELECT 'inv', period, account_id, gross, free, plan, coupon, balance, outstanding, "
           "credits, debits, round_down, amount_due FROM billing.invoices "
           "UNION ALL SELECT 'line', period, account_id || item, quantity, gross, free, plan, "
           "coupon, balance, outstanding, 0, 0, 0 FROM billing.invoice_lines "
           "UNION ALL SELECT 'tb', period, account_code::text, sum(debit - credit), 0, 0, 0, 0, 0, "
           "0, 0, 0, 0 FROM ledger.trial_balance GROUP BY period, account_code "
           "UNION ALL SELECT 'plan', order_id, status, consumed, remaining, recognised, breakage, "
           "0, 0, 0, 0, 0, 0 FROM billing.plan_balances ORDER BY 1, 2, 3");
}

/* The samples' usage files copied into dir under new names (suffix tag). */
static void resend(const char *samples, const char *dir, const char *tag)
{
    char cmd[9000];
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s' && for f in '%s'/eas-*.csv '%s'/oss-*.csv; do "
             "b=$(basename \"$f\" .csv); cp \"$f\" '%s'/\"$b\"-%s.csv; done",
             dir, samples, samples, dir, tag);
    sh(cmd);
}

static void resent_november_changes_nothing(void **state)
{
    struct fx *f = *state;
    char samples[4200], empty[4200], night[4200], ctl[128];
    snprintf(samples, sizeof(samples), "%s/samples/inbox", it_source_dir());
    snprintf(empty, sizeof(empty), "%s/empty", f->dir);
    snprintf(night, sizeof(night), "mkdir -p '%s'", empty);
    sh(night);
    /* the control: the same first night, then nights with nothing new (the
     * plans' straight-line recognition moves on with the as-of alike) */
    it_db_create(ctl, sizeof(ctl), "corrctl");
    assert_int_equal(it_billrun(ctl, f->log, "db", "init", NULL), 0);
    assert_int_equal(it_billrun(ctl, f->log, "run", "--inbox", samples, "--as-of", NIGHT1, NULL),
                     3);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", samples, "--as-of", NIGHT1, NULL),
                     3);
    int64_t billed = it_sql_int(f->c, "SELECT sum(accepted) FROM billing.files WHERE kind IN "
                                      "('eas', 'oss')");
    int64_t dups0 = it_sql_int(f->c, "SELECT count(*) FROM billing.reject_rows "
                                     "WHERE reason = 'duplicate_record'");
    static const char *const nights[] = {"2026-12-02T00:00:00+08:00", "2026-12-03T00:00:00+08:00"};
    for (int k = 0; k < 2; k++) {
        char tag[16];
        snprintf(tag, sizeof(tag), "resent%d", k + 1);
        snprintf(night, sizeof(night), "%s/%s", f->dir, tag);
        resend(samples, night, tag);
        char nlog[4300];
        snprintf(nlog, sizeof(nlog), "%s/night%d.log", f->dir, k + 2);
        it_expect_rc(it_billrun(f->db, nlog, "run", "--inbox", night, "--as-of", nights[k], NULL),
                     3, "a re-sent night", nlog);
        /* The first re-sent night searches its ids beside its rating (the
         * night before found no duplicate), finds them, and runs again with
         * them checked before rating; the next night, after a night that
         * found duplicates, checks them first (docs/record-ids.md). */
        it_expect_log(nlog, "event=stage stage=ingest", "a re-sent night");
        assert_true(it_log_has(nlog, "event=record_ids_again") == (k == 0));
        assert_int_equal(
            it_billrun(ctl, f->log, "run", "--inbox", empty, "--as-of", nights[k], NULL), 0);
        /* every row the first night billed is a duplicate naming batch 1
         * and its own first file; the others are rejected as they were */
        char sql[1200];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM billing.reject_rows r JOIN billing.files f USING (file_id) "
                 "WHERE f.batch_id = %d AND r.reason = 'duplicate_record' "
                 "AND r.detail = 'billed by batch 1, file ' || replace(f.name, '-%s', '')",
                 k + 2, tag);
        assert_int_equal(it_sql_int(f->c, sql), billed);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM billing.reject_rows r JOIN billing.files f USING (file_id) "
                 "WHERE f.batch_id = %d AND r.reason = 'duplicate_record' AND r.detail IS NULL",
                 k + 2);
        assert_int_equal(it_sql_int(f->c, sql), dups0); /* duplicates within the night, as before */
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM billing.files WHERE batch_id = %d AND accepted > 0", k + 2);
        assert_int_equal(it_sql_int(f->c, sql), 0);
    }
    PGconn *cc = it_db_connect(ctl);
    char *want = books(cc), *got = books(f->c);
    assert_string_equal(got, want);
    free(want);
    free(got);
    /* an auditor finds who billed an id */
    char *who = it_sql_text(f->c, "SELECT b.batch_id, b.file FROM billing.billed_records("
                                  "'eas', (SELECT split_part(raw, ',', 1) FROM billing.reject_rows "
                                  "WHERE detail LIKE 'billed by batch 1, file eas-%' "
                                  "ORDER BY reject_id LIMIT 1)) b");
    assert_non_null(strstr(who, "1|eas-2026-11-"));
    free(who);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 0);
    PQfinish(cc);
    it_db_drop(ctl);
}

static void as_of_guards(void **state)
{
    struct fx *f = *state;
    char samples[4200];
    snprintf(samples, sizeof(samples), "%s/samples/inbox", it_source_dir());
    char *ahead = it_sql_text(f->c, "SELECT to_char((now() + interval '1 hour') AT TIME ZONE "
                                    "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
    ahead[strcspn(ahead, "\n")] = '\0';
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", samples, "--as-of", ahead, NULL),
                     2);
    it_expect_log(f->log, "more than 5 minutes after the database server's clock", NULL);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), 0);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", samples, "--as-of", ahead,
                                "--future-as-of", NULL),
                     3);
    /* back behind it: refused, whatever the inbox, nothing written */
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", samples, "--as-of", NIGHT1, NULL),
                     2);
    it_expect_log(f->log, "is earlier than the as-of of a run committed before", NULL);
    it_expect_log(f->log, "2026-11-30T16:00:00Z", NULL);
    assert_int_equal(it_billrun(f->db, f->log, "reprocess", "--as-of", NIGHT1, NULL), 2);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), 1);
    /* the same as-of again is not going back (and the files are applied:
     * nothing new) */
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", samples, "--as-of", ahead,
                                "--future-as-of", NULL),
                     0);
    free(ahead);
}

/* Closes example 31's November (notes of two accounts) and 27's credit of a
 * closed invoice; checks the notes' workbooks and that verify sees through
 * each kind of tampering. */
static void tamper(struct fx *f, const char *table, const char *sql, const char *undo,
                   const char *check)
{
    char st[6], q[600];
    snprintf(q, sizeof(q), "ALTER TABLE %s DISABLE TRIGGER USER", table);
    it_sql_try(f->c, q, st);
    it_sql_try(f->c, sql, st);
    assert_string_equal(st, "");
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 1);
    it_expect_log(f->log, check, NULL);
    it_sql_try(f->c, undo, st);
    assert_string_equal(st, "");
    snprintf(q, sizeof(q), "ALTER TABLE %s ENABLE TRIGGER USER", table);
    it_sql_try(f->c, q, st);
    if (it_billrun(f->db, f->log, "verify", NULL) != 0) {
        char *t = it_read_file(f->log, NULL);
        fail_msg("verify fails after undoing '%s':\n%s", sql, t);
    }
}

static void notes_written_and_verified(void **state)
{
    struct fx *f = *state;
    char *ex = it_examples_dir(), inbox[4200], out[4200], again[4200], seller[4200];
    snprintf(inbox, sizeof(inbox), "%s/27-credit-closed-invoice/night1", ex);
    snprintf(seller, sizeof(seller), "%s/seller.conf", ex);
    snprintf(out, sizeof(out), "%s/out", f->dir);
    snprintf(again, sizeof(again), "%s/again", f->dir);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", inbox, "--as-of", NIGHT1, NULL),
                     0);
    assert_int_equal(it_billrun(f->db, f->log, "close", "--period", "2026-11", "--out", out,
                                "--seller", seller, NULL),
                     0);
    snprintf(inbox, sizeof(inbox), "%s/27-credit-closed-invoice/night2", ex);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", inbox, "--as-of",
                                "2026-12-05T00:00:00+08:00", NULL),
                     3);
    /* example 31's files and adjustment ids, renamed apart from 27's */
    char cmd[9000];
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s/n31' && cp '%s'/31-note-numbering/inbox/accounts-1.csv "
             "'%s'/n31/accounts-n31.csv && sed '2,$ s/^/n31-/' "
             "'%s'/31-note-numbering/inbox/adjustments-1.csv >'%s'/n31/adjustments-n31.csv",
             f->dir, ex, f->dir, ex, f->dir);
    sh(cmd);
    snprintf(inbox, sizeof(inbox), "%s/n31", f->dir);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", inbox, "--as-of",
                                "2026-12-05T00:00:00+08:00", NULL),
                     0);
    /* December has notes of November's invoices and of November's own
     * adjustments, posted late; it closes early */
    assert_int_equal(it_billrun(f->db, f->log, "close", "--period", "2026-12", "--out", out,
                                "--seller", seller, "--early", NULL),
                     0);
    int64_t notes = it_sql_int(f->c, "SELECT count(*) FROM billing.adjustments WHERE period = "
                                     "'2026-12' AND note_no IS NOT NULL AND status = 'final'");
    assert_true(notes >= 3);
    snprintf(cmd, sizeof(cmd),
             "test $(ls '%s'/2026-12/CN-202612-*.xlsx '%s'/2026-12/DN-202612-*.xlsx "
             "| wc -l) -eq %lld",
             out, out, (long long)notes);
    sh(cmd);
    /* the same bytes again */
    assert_int_equal(
        it_billrun(f->db, f->log, "invoices", "--period", "2026-12", "--out", again, NULL), 0);
    snprintf(cmd, sizeof(cmd), "diff -r '%s/2026-12' '%s/2026-12'", out, again);
    sh(cmd);
    /* each workbook reads as it should */
    snprintf(cmd, sizeof(cmd),
             "for x in '%s'/2026-12/*.xlsx; do " PYTHON " '%s/tests/xlsx_check.py' \"$x\" "
             ">/dev/null || exit 1; done",
             out, it_source_dir());
    if (access(PYTHON, X_OK) == 0)
        sh(cmd);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 0);
    /* explain shows the notes of an account's period */
    assert_int_equal(
        it_billrun(f->db, f->log, "explain", "--account", "acc-10", "--period", "2026-12", NULL),
        0);
    it_expect_log(f->log,
                  "+ debit notes 2.33300001 - round-down 0.00300001 = amount due "
                  "2.33000000 CNY",
                  NULL);
    it_expect_log(f->log, "debit  DN-202612-", NULL);
    it_expect_log(f->log, "posted late (its own period was closed)", NULL);

    tamper(f, "billing.adjustment_notes",
           "UPDATE billing.adjustment_notes SET note_no = 'CN-202612-000009' "
           "WHERE note_no = 'CN-202612-000001'",
           "UPDATE billing.adjustment_notes SET note_no = 'CN-202612-000001' "
           "WHERE note_no = 'CN-202612-000009'",
           "FAILED note numbers");
    tamper(f, "billing.adjustment_rows",
           "UPDATE billing.adjustment_rows SET invoice_no = invoice_no || 'X' "
           "WHERE invoice_no IS NOT NULL AND kind = 'credit'",
           "UPDATE billing.adjustment_rows SET invoice_no = left(invoice_no, -1) "
           "WHERE invoice_no LIKE '%X'",
           "FAILED credit notes within their invoices");
    tamper(f, "ledger.transfers",
           "UPDATE ledger.transfers SET debit_sub = 'egress' WHERE debit_code = 4920 "
           "AND debit_sub = 'compute_exclusive'",
           "UPDATE ledger.transfers SET debit_sub = 'compute_exclusive' WHERE debit_code = 4920 "
           "AND debit_sub = 'egress'",
           "FAILED adjustments (4920)");
    free(ex);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(resent_november_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(as_of_guards, setup, teardown),
        cmocka_unit_test_setup_teardown(notes_written_and_verified, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
