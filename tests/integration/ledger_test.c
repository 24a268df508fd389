/* The ledger against a real PostgreSQL (issue: all-or-nothing nightly runs):
 * reruns change nothing, a changed file is refused, the roles hold, two runs
 * never interleave, a database that goes away commits nothing, verify finds
 * tampering, and invariants hold after every test. */
#include "it.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AS_OF "2026-12-01T00:00:00+08:00"

static int run_ok(const char *db, const char *log, const char *inbox);

struct fx {
    char db[128];
    char *dir;
    char inbox[4096];
    char log[4096];
    PGconn *c;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    static int n;
    char tag[32];
    snprintf(tag, sizeof(tag), "ledger%d", n++);
    it_db_create(f->db, sizeof(f->db), tag);
    f->dir = it_tmpdir("ledger");
    snprintf(f->inbox, sizeof(f->inbox), "%s/inbox", f->dir);
    snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
    char samples[4096];
    snprintf(samples, sizeof(samples), "%s/samples/inbox", it_source_dir());
    it_copy_dir(samples, f->inbox);
    assert_int_equal(it_billrun(f->db, f->log, "db", "init", NULL), 0);
    f->c = it_db_connect(f->db);
    *state = f;
    return 0;
}

/* The invariants every test ends with. */
static void invariants(struct fx *f)
{
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM (SELECT period FROM "
                                      "ledger.trial_balance GROUP BY period "
                                      "HAVING sum(debit) <> sum(credit)) x"),
                     0);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.plan_rollforward "
                                      "WHERE closing < 0"),
                     0);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.plan_balances p JOIN "
                                      "ledger.plan_rollforward r USING (order_id) WHERE "
                                      "p.status = 'expired' AND r.period = (SELECT max(period) "
                                      "FROM ledger.plan_rollforward x WHERE x.order_id = "
                                      "r.order_id) AND r.closing <> 0"),
                     0);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.plan_balances b JOIN "
                                      "billing.orders o USING (order_id) JOIN "
                                      "billing.order_state_latest s USING (order_id) WHERE "
                                      "o.plan_type IN ('amount','pool') AND s.recognised_e8 <> "
                                      "floor(o.paid_e8::numeric * s.consumed / o.face)"),
                     0);
    int rc = it_billrun(f->db, f->log, "verify", NULL);
    if (rc != 0)
        fail_msg("verify failed: %s", it_read_file(f->log, NULL));
}

static int teardown(void **state)
{
    struct fx *f = *state;
    invariants(f);
    PQfinish(f->c);
    it_db_drop(f->db);
    it_rm(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static char *snapshot(struct fx *f)
{
    return it_sql_text(f->c, "SELECT (SELECT count(*) FROM ledger.batches), "
                             "(SELECT encode(hash, 'hex') FROM ledger.batches ORDER BY batch_id "
                             "DESC LIMIT 1), (SELECT count(*) FROM ledger.transfers), "
                             "(SELECT coalesce(sum(amount_e8), 0) FROM ledger.transfers), "
                             "(SELECT count(*) FROM billing.files), "
                             "(SELECT count(*) FROM billing.reject_rows), "
                             "(SELECT count(*) FROM billing.usage_lines), "
                             "(SELECT count(*) FROM billing.order_state)");
}

static void rerun_changes_nothing(void **state)
{
    struct fx *f = *state;
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     3);
    char *before = snapshot(f);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     0);
    char *after = snapshot(f);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void changed_file_is_refused(void **state)
{
    struct fx *f = *state;
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     3);
    int64_t transfers = it_sql_int(f->c, "SELECT count(*) FROM ledger.transfers");
    int64_t lines = it_sql_int(f->c, "SELECT count(*) FROM billing.usage_lines");
    char path[4096];
    snprintf(path, sizeof(path), "%s/eas-2026-11-w4.csv", f->inbox);
    FILE *fp = fopen(path, "a");
    assert_non_null(fp);
    fputs("eas-extra-1,acc-10017,svc-x,comfyui,shared,A10,2026-11-29T02:00:00Z,"
          "2026-11-29T02:00:05Z,5000\n",
          fp);
    fclose(fp);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     3);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.source_files WHERE name = "
                                      "'eas-2026-11-w4.csv' AND status = 'refused' AND reason = "
                                      "'changed_content' AND rows = 0"),
                     1);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.transfers"), transfers);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.usage_lines"), lines);
    /* the same changed file again is already recorded: nothing more is
     * written, but it is still refused (exit 3), not "already applied" */
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     3);
    assert_true(it_log_has(f->log, "1 refused before and still in the inbox"));
    assert_true(it_log_has(f->log, "changed_content (refused before, not read again)"));
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), 2);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.source_files WHERE name = "
                                      "'eas-2026-11-w4.csv' AND status = 'refused'"),
                     1);
    /* once it is taken out of the inbox, the night is clean again */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     0);
}

static void expect_state(PGconn *c, const char *sql, const char *want)
{
    char st[6];
    it_sql_try(c, sql, st);
    if (strcmp(st, want) != 0)
        fail_msg("%s: SQLSTATE '%s', want '%s'", sql, st, want);
}

static void roles_hold(void **state)
{
    struct fx *f = *state;
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     3);
    PGconn *c = f->c;
    expect_state(c, "BEGIN", "");
    expect_state(c, "SET LOCAL ROLE billrun_writer", "");
    expect_state(c, "UPDATE ledger.transfers SET amount_e8 = amount_e8 + 1", "42501");
    expect_state(c, "ROLLBACK", "");
    const char *writer_denied[] = {"DELETE FROM ledger.entries", "TRUNCATE ledger.transfers",
                                   "UPDATE billing.orders SET paid_e8 = 0",
                                   "DELETE FROM billing.reject_rows"};
    for (size_t i = 0; i < sizeof(writer_denied) / sizeof(*writer_denied); i++) {
        expect_state(c, "BEGIN", "");
        expect_state(c, "SET LOCAL ROLE billrun_writer", "");
        expect_state(c, writer_denied[i], "42501");
        expect_state(c, "ROLLBACK", "");
    }
    const char *auditor_denied[] = {
        "INSERT INTO ledger.chart VALUES (9999, 'x', 'debit', 'customer')",
        "UPDATE ledger.entries SET description = 'x'", "DELETE FROM billing.files"};
    for (size_t i = 0; i < sizeof(auditor_denied) / sizeof(*auditor_denied); i++) {
        expect_state(c, "BEGIN", "");
        expect_state(c, "SET LOCAL ROLE billrun_auditor", "");
        expect_state(c, auditor_denied[i], "42501");
        expect_state(c, "ROLLBACK", "");
    }
    expect_state(c, "BEGIN", "");
    expect_state(c, "SET LOCAL ROLE billrun_auditor", "");
    expect_state(c, "SELECT count(*) FROM ledger.trial_balance", "");
    expect_state(c, "ROLLBACK", "");
    /* even the owner cannot change the ledger: the triggers refuse */
    expect_state(c, "UPDATE ledger.transfers SET amount_e8 = amount_e8 + 1", "42501");
    expect_state(c, "DELETE FROM ledger.batches", "42501");
    expect_state(c, "TRUNCATE billing.usage_lines", "42501");
}

/* The references the database checks per statement (sql/003): a transfer
 * names an entry that exists and codes of the chart; rows name a batch that
 * is recorded by the time the transaction commits. */
static void references_hold(void **state)
{
    struct fx *f = *state;
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     3);
    PGconn *c = f->c;
    int64_t entry = it_sql_int(c, "SELECT max(entry_id) FROM ledger.entries");
    int64_t batch = it_sql_int(c, "SELECT max(batch_id) FROM ledger.batches");
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO ledger.transfers VALUES (1000000, %lld, 1100, 'a', 4100, 'a', 5)",
             (long long)entry + 1);
    expect_state(c, "BEGIN", "");
    expect_state(c, sql, "23503");
    expect_state(c, "ROLLBACK", "");
    /* one statement naming an entry that exists and one past a gap: the
     * range of ids named is not all entries, so each is looked up */
    snprintf(sql, sizeof(sql),
             "INSERT INTO ledger.transfers VALUES (1000000, %lld, 1100, 'a', 4100, 'a', 5), "
             "(1000001, %lld, 1100, 'a', 4100, 'a', 5)",
             (long long)entry, (long long)entry + 5);
    expect_state(c, "BEGIN", "");
    expect_state(c, sql, "23503");
    expect_state(c, "ROLLBACK", "");
    snprintf(sql, sizeof(sql),
             "INSERT INTO ledger.transfers VALUES (1000000, %lld, 1100, 'a', 4101, 'a', 5)",
             (long long)entry);
    expect_state(c, "BEGIN", "");
    expect_state(c, sql, "23503");
    expect_state(c, "ROLLBACK", "");
    /* a batch that is never recorded: the row goes in, the commit fails */
    snprintf(sql, sizeof(sql), "INSERT INTO billing.balance_state VALUES ('a', %lld, 0)",
             (long long)batch + 1);
    expect_state(c, "BEGIN", "");
    expect_state(c, sql, "");
    expect_state(c, "COMMIT", "23503");
    assert_int_equal(
        it_sql_int(c, "SELECT count(*) FROM billing.balance_state WHERE account_id = 'a'"), 0);
    /* a batch that is already committed takes no more rows */
    snprintf(sql, sizeof(sql), "INSERT INTO billing.balance_state VALUES ('a', %lld, 0)",
             (long long)batch);
    expect_state(c, "BEGIN", "");
    expect_state(c, sql, "23000");
    expect_state(c, "ROLLBACK", "");
}

static void wait_log(const char *log, const char *needle)
{
    for (int i = 0; i < 600 && !it_log_has(log, needle); i++)
        usleep(50 * 1000);
    if (!it_log_has(log, needle))
        fail_msg("%s never appeared in %s", needle, log);
}

static void runs_never_interleave(void **state)
{
    struct fx *f = *state;
    char log_a[4096], log_b[4096], log_c[4096];
    snprintf(log_a, sizeof(log_a), "%s/a.log", f->dir);
    snprintf(log_b, sizeof(log_b), "%s/b.log", f->dir);
    snprintf(log_c, sizeof(log_c), "%s/c.log", f->dir);
    const char *args[] = {"run", "--inbox", f->inbox, "--as-of", AS_OF, NULL};
    const char *pause[] = {"BILLRUN_TEST_PAUSE=post:4", NULL};
    pid_t a = it_billrun_spawn(f->db, log_a, args, pause);
    wait_log(log_a, "event=test_pause");
    pid_t b = it_billrun_spawn(f->db, log_b, args, NULL);
    const char *nowait[] = {"run", "--inbox", f->inbox, "--as-of", AS_OF, "--no-wait", NULL};
    assert_int_equal(it_billrunv(f->db, log_c, nowait), 1);
    assert_true(it_log_has(log_c, "holds the database lock"));
    assert_int_equal(it_wait(a), 3);
    assert_int_equal(it_wait(b), 0); /* it waited, then found every file applied */
    assert_true(it_log_has(log_b, "event=lock_wait"));
    assert_true(it_log_has(log_b, "nothing new"));
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), 1);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.files"), 12);
}

static void database_going_away_commits_nothing(void **state)
{
    struct fx *f = *state;
    const char *args[] = {"run", "--inbox", f->inbox, "--as-of", AS_OF, NULL};
    const char *pause[] = {"BILLRUN_TEST_PAUSE=post:3", NULL};
    pid_t a = it_billrun_spawn(f->db, f->log, args, pause);
    wait_log(f->log, "event=test_pause");
    it_sql_int(f->c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                     "WHERE application_name = 'billrun' AND datname = current_database()");
    assert_int_equal(it_wait(a), 1);
    char *t = it_read_file(f->log, NULL);
    assert_non_null(strstr(t, "billrun: "));
    assert_true(strstr(t, "connection") != NULL || strstr(t, "terminat") != NULL);
    free(t);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), 0);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.files"), 0);
    /* the rerun commits the night as if nothing had happened */
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     3);
}

/* Adds a billing.bucket_state row (kind, bucket, batch_id, used, hours, as
 * SQL over the first plan with draws) that puts the plan over its face:
 * verify must fail on plan draws. Then takes it away again. */
static void bucket_over_face(struct fx *f, const char *values)
{
    char sql[800], st[6];
    snprintf(sql, sizeof(sql),
             "INSERT INTO billing.bucket_state (order_id, kind, bucket, batch_id, used, hours) "
             "SELECT order_id, %s FROM billing.orders WHERE order_id "
             "IN (SELECT order_id FROM billing.draws WHERE source = 'plan') "
             "ORDER BY order_id LIMIT 1",
             values);
    /* a tamperer with the owner's rights: past the triggers */
    it_sql_try(f->c, "ALTER TABLE billing.bucket_state DISABLE TRIGGER USER", st);
    it_sql_try(f->c, sql, st);
    assert_string_equal(st, "");
    it_sql_try(f->c, "ALTER TABLE billing.bucket_state ENABLE TRIGGER USER", st);
    assert_int_equal(
        it_sql_int(f->c, "SELECT count(*) FROM billing.bucket_state WHERE bucket = 999999"), 1);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 1);
    assert_true(it_log_has(f->log, "FAILED plan draws"));
    it_sql_try(f->c, "ALTER TABLE billing.bucket_state DISABLE TRIGGER USER", st);
    it_sql_try(f->c, "DELETE FROM billing.bucket_state WHERE bucket = 999999", st);
    it_sql_try(f->c, "ALTER TABLE billing.bucket_state ENABLE TRIGGER USER", st);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 0);
}

/* A night reckoned to need more memory than it may have is refused before
 * anything is read (exit 2), saying how much, which limit and what to do;
 * within the limit the same night runs. */
static void night_too_large_is_refused(void **state)
{
    struct fx *f = *state;
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF,
                                "--max-memory", "1M", NULL),
                     2);
    it_expect_log(f->log, "would need about", "run --max-memory 1M");
    it_expect_log(f->log, "of --max-memory", "run --max-memory 1M");
    it_expect_log(f->log, "split the night by time into several runs", "run --max-memory 1M");
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), 0);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.files"), 0);
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF,
                                "--max-memory", "1x", NULL),
                     2);
    it_expect_log(f->log, "--max-memory takes a size", "run --max-memory 1x");
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF,
                                "--max-memory", "512M", NULL),
                     3);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), 1);
}

static void verify_detects_tampering(void **state)
{
    struct fx *f = *state;
    assert_int_equal(it_billrun(f->db, f->log, "run", "--inbox", f->inbox, "--as-of", AS_OF, NULL),
                     3);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 0);
    char st[6];
    it_sql_try(f->c, "ALTER TABLE ledger.transfers DISABLE TRIGGER USER", st);
    it_sql_try(f->c, "UPDATE ledger.transfers SET amount_e8 = amount_e8 + 1 WHERE transfer_id = 1",
               st);
    it_sql_try(f->c, "ALTER TABLE ledger.transfers ENABLE TRIGGER USER", st);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 1);
    assert_true(it_log_has(f->log, "FAILED hash chain"));
    /* put it back so the teardown's invariants hold */
    it_sql_try(f->c, "ALTER TABLE ledger.transfers DISABLE TRIGGER USER", st);
    it_sql_try(f->c, "UPDATE ledger.transfers SET amount_e8 = amount_e8 - 1 WHERE transfer_id = 1",
               st);
    it_sql_try(f->c, "ALTER TABLE ledger.transfers ENABLE TRIGGER USER", st);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 0);
    /* a quota bucket over its plan's face; a capacity plan's hour over it */
    bucket_over_face(f, "'month', 999999, 1, face + 1, NULL");
    bucket_over_face(f, "'day', 999999, 1, 0, array_fill(face + 1, ARRAY[24])");
    /* a plan that ended before the last run's as-of without its expiry: a
     * run would never load it again (load.c reads the plans ending after
     * that as-of), so verify must say so */
    it_sql_try(f->c, "ALTER TABLE billing.orders DISABLE TRIGGER USER", st);
    it_sql_try(f->c,
               "INSERT INTO billing.orders SELECT (jsonb_populate_record(o, jsonb_build_object("
               "'order_id', 'escaped-plan', 'valid_from', '2026-11-01T00:00:00Z', "
               "'valid_to', '2026-11-02T00:00:00Z'))).* FROM billing.orders o "
               "WHERE kind = 'plan' ORDER BY order_id LIMIT 1",
               st);
    assert_string_equal(st, "");
    it_sql_try(f->c, "ALTER TABLE billing.orders ENABLE TRIGGER USER", st);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 1);
    assert_true(it_log_has(f->log, "FAILED plan expiries"));
    it_sql_try(f->c, "ALTER TABLE billing.orders DISABLE TRIGGER USER", st);
    it_sql_try(f->c, "DELETE FROM billing.orders WHERE order_id = 'escaped-plan'", st);
    it_sql_try(f->c, "ALTER TABLE billing.orders ENABLE TRIGGER USER", st);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 0);
}

/* Order ids may hold any text. The batch hash formats the journal's
 * entries and transfers as COPY would return them (post.c), and the usage
 * lines in the order of the database's ORDER BY; verify (and, in tests,
 * every run) reads them back: ids with a backslash, a tab, a newline and
 * other control characters, and account ids of every allowed character,
 * must hash alike both ways. */
/* Orders with odd ids, and accounts of every allowed id character with
 * usage, into the inbox (odd_ids_hash_alike). */
static void add_odd_files(const char *inbox)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/orders-odd.csv", inbox);
    it_write_file(path,
                  "order_id,account_id,order_time,kind,scope,plan_type,quantity,unit,paid,"
                  "valid_days,bundle_id\n"
                  "\"odd\\top\tup\nline\",acc-10017,2026-11-20T10:00:00+08:00,topup,,,,,50,,\n"
                  "\"odd\\plan\t\r\b\f\v\x01"
                  "end\",acc-10017,2026-11-20T10:00:00+08:00,plan,"
                  "egress,pool,10,GB,3,365,\n");
    /* account ids of every allowed character, whose usage lines the hash
     * orders like the database's ORDER BY account_id */
    snprintf(path, sizeof(path), "%s/accounts-odd.csv", inbox);
    it_write_file(path, "account_id,name,address,tax_id,email\n"
                        "Zed_1,Zed,1 Road,91310115MA1K4L7X2Q,a@b.example\n"
                        "a.b,Ab,1 Road,91310115MA1K4L7X2Q,a@b.example\n"
                        "A-c,Ac,1 Road,91310115MA1K4L7X2Q,a@b.example\n"
                        "acc_Z,AccZ,1 Road,91310115MA1K4L7X2Q,a@b.example\n"
                        "ACC.9,Acc9,1 Road,91310115MA1K4L7X2Q,a@b.example\n"
                        "0-_.,Digits,1 Road,91310115MA1K4L7X2Q,a@b.example\n");
    static const char *const ids[] = {"Zed_1", "a.b", "A-c", "acc_Z", "ACC.9", "0-_."};
    char eas[4096];
    size_t n = (size_t)snprintf(eas, sizeof(eas),
                                "record_id,account_id,service_id,tool,edition,"
                                "spec,start_time,end_time,gpu_ms\n");
    for (int i = 0; i < 6; i++)
        for (int d = 0; d < 2; d++)
            n += (size_t)snprintf(eas + n, sizeof(eas) - n,
                                  "odd-%d-%d,%s,svc-1,stable_diffusion,shared,A10,"
                                  "2026-11-2%dT03:00:00Z,2026-11-2%dT03:10:00Z,600000\n",
                                  i, d, ids[i], 1 + d, 1 + d);
    snprintf(path, sizeof(path), "%s/eas-odd.csv", inbox);
    it_write_file(path, eas);
}

static void odd_ids_hash_alike(void **state)
{
    struct fx *f = *state;
    assert_true(run_ok(f->db, f->log, f->inbox));
    add_odd_files(f->inbox);
    assert_true(run_ok(f->db, f->log, f->inbox));
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.usage_lines WHERE account_id "
                                      "IN ('Zed_1', 'a.b', 'A-c', 'acc_Z', 'ACC.9', '0-_.')"),
                     12);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.entries WHERE order_id LIKE "
                                      "'odd\\\\%'"),
                     2);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.transfers WHERE credit_sub LIKE "
                                      "'odd\\\\plan%'"),
                     1);
    assert_int_equal(it_billrun(f->db, f->log, "verify", NULL), 0);
}

/* Under a collation that does not sort by bytes (ICU's en-US puts "a.b"
 * before "ACC.9"), a run must read the usage lines' section of its hash back
 * (post.c's collation gate): hashing them in byte order would not match
 * what verify, or the tests' read-back, gets from the database. */
static void hash_under_icu_collation(void **state)
{
    struct fx *f = *state;
    char db[200], sql[400], st[6];
    snprintf(db, sizeof(db), "%s_icu", f->db);
    it_db_drop(db);
    PGconn *m = it_db_connect("postgres");
    snprintf(sql, sizeof(sql),
             "CREATE DATABASE %s TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
             "LOCALE 'C.UTF-8'",
             db);
    it_sql_try(m, sql, st);
    PQfinish(m);
    assert_string_equal(st, "");
    assert_int_equal(it_billrun(db, f->log, "db", "init", NULL), 0);
    add_odd_files(f->inbox);
    assert_true(run_ok(db, f->log, f->inbox));
    PGconn *c = it_db_connect(db);
    assert_int_equal(it_sql_int(c, "SELECT (string_agg(account_id, ' ' ORDER BY account_id) = "
                                   "'0-_. A-c a.b acc_Z ACC.9 Zed_1')::int FROM (SELECT DISTINCT "
                                   "account_id FROM billing.usage_lines WHERE account_id IN "
                                   "('Zed_1', 'a.b', 'A-c', 'acc_Z', 'ACC.9', '0-_.')) x"),
                     1);
    PQfinish(c);
    assert_int_equal(it_billrun(db, f->log, "verify", NULL), 0);
    it_db_drop(db);
}

/* The auditors' views show any quantity a row may hold. A usage row holds up
 * to 2^63 - 1 base units: 9e16 get requests (gross 9e10 CNY at the samples'
 * price) and a pool plan of 2^63 - 1 requests once made invoice_lines and
 * plan_balances fail for every row ("numeric field overflow"; sql/009). */
static void huge_quantities_show_in_views(void **state)
{
    struct fx *f = *state;
    char path[4200];
    snprintf(path, sizeof(path), "%s/orders-huge.csv", f->inbox);
    it_write_file(path, "order_id,account_id,order_time,kind,scope,plan_type,quantity,unit,paid,"
                        "valid_days,bundle_id\n"
                        "huge-pool,acc-10017,2026-11-20T10:00:00+08:00,plan,get,pool,"
                        "9223372036854775807,request,1,365,\n");
    snprintf(path, sizeof(path), "%s/oss-huge.csv", f->inbox);
    it_write_file(path, "record_id,account_id,bucket,region,hour_start,metric,value\n"
                        "huge-1,acc-10017,b,cn-shanghai,2026-11-21T05:00:00Z,get_requests,"
                        "90000000000000000\n");
    assert_true(run_ok(f->db, f->log, f->inbox));
    assert_int_equal(it_sql_int(f->c, "SELECT (quantity = quantity_base AND quantity_base > "
                                      "90000000000000000)::int FROM billing.invoice_lines "
                                      "WHERE account_id = 'acc-10017' AND item = 'get'"),
                     1);
    char *q = it_sql_text(f->c, "SELECT face || ' ' || (consumed + remaining = face) || ' ' || "
                                "(consumed > 89999999900000000) FROM billing.plan_balances "
                                "WHERE order_id = 'huge-pool'");
    assert_string_equal(q, "9223372036854775807.00000000 true true\n");
    free(q);
}

static void db_init_is_idempotent(void **state)
{
    struct fx *f = *state;
    assert_int_equal(it_billrun(f->db, f->log, "db", "init", NULL), 0);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM billing.schema_migrations"), 2);
    assert_int_equal(it_billrun(f->db, f->log, "db", "init", "--tz-offset", "+09:00", NULL), 1);
    assert_true(it_log_has(f->log, "fixed when the database is created"));
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM pg_description d JOIN pg_class c ON "
                                      "c.oid = d.objoid JOIN pg_namespace n ON n.oid = "
                                      "c.relnamespace WHERE n.nspname IN ('ledger','billing') AND "
                                      "d.objsubid = 0 AND c.relkind IN ('r','v')") > 20,
                     1);
    /* every table and view column has a comment */
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM information_schema.columns col "
                                      "JOIN pg_class c ON c.relname = col.table_name JOIN "
                                      "pg_namespace n ON n.oid = c.relnamespace AND n.nspname = "
                                      "col.table_schema LEFT JOIN pg_description d ON d.objoid = "
                                      "c.oid AND d.objsubid = col.ordinal_position WHERE "
                                      "col.table_schema IN ('ledger','billing') AND d.description "
                                      "IS NULL"),
                     0);
}

/* Storage files for one account's capacity plan (100 GB from 2026-11-03,
 * samples) arriving over several runs, with usage in the same UTC hours:
 * each run must start from the hours the earlier runs used (sql/006 keeps
 * them as one row per plan and day), also when the earlier state is in the
 * hour rows that batches before sql/006 wrote. */
static const char *const cap_files[][2] = {
    {"oss-cap-1.csv", "oss-cap-1,acc-10017,lanting-x1,cn-shanghai,2026-11-10T04:00:00Z,"
                      "storage_bytes,85899345920\n" /* 80 GiB at 04: all covered */
                      "oss-cap-2,acc-10017,lanting-x1,cn-shanghai,2026-11-10T06:00:00Z,"
                      "storage_bytes,96636764160\n"}, /* 90 GiB at 06: all covered */
    {"oss-cap-2.csv", "oss-cap-3,acc-10017,lanting-x2,cn-shanghai,2026-11-10T04:00:00Z,"
                      "storage_bytes,32212254720\n"}, /* 30 GiB at 04: 20 covered */
    {"oss-cap-3.csv", "oss-cap-4,acc-10017,lanting-x3,cn-shanghai,2026-11-10T06:00:00Z,"
                      "storage_bytes,32212254720\n"}, /* 30 GiB at 06: 10 covered */
    {"oss-cap-4.csv", "oss-cap-5,acc-10017,lanting-x4,cn-shanghai,2026-11-10T04:00:00Z,"
                      "storage_bytes,10737418240\n"}, /* 10 GiB at 04: none covered */
};

static void add_cap_file(const char *inbox, int k)
{
    char path[4200], text[600];
    snprintf(path, sizeof(path), "%s/%s", inbox, cap_files[k][0]);
    snprintf(text, sizeof(text), "record_id,account_id,bucket,region,hour_start,metric,value\n%s",
             cap_files[k][1]);
    it_write_file(path, text);
}

static int run_ok(const char *db, const char *log, const char *inbox)
{
    int rc = it_billrun(db, log, "run", "--inbox", inbox, "--as-of", AS_OF, NULL);
    return rc == 0 || rc == 3;
}

static char *cap_totals(PGconn *c)
{
    /* what the plans covered (the balance, drawn in arrival order, differs) */
    return it_sql_text(c, "SELECT sum(gross_e8), sum(plan_e8) FROM billing.usage_lines "
                          "WHERE account_id = 'acc-10017' AND item = 'storage'");
}

static void capacity_hours_carry_across_runs(void **state)
{
    struct fx *f = *state;
    /* the same files in one run */
    char one[128], inbox1[4200];
    it_db_create(one, sizeof(one), "cap_one");
    snprintf(inbox1, sizeof(inbox1), "%s/one", f->dir);
    it_copy_dir(f->inbox, inbox1);
    for (int k = 0; k < 4; k++)
        add_cap_file(inbox1, k);
    assert_int_equal(it_billrun(one, f->log, "db", "init", NULL), 0);
    assert_true(run_ok(one, f->log, inbox1));
    PGconn *c1 = it_db_connect(one);
    char *want = cap_totals(c1);

    /* one run per file */
    assert_true(run_ok(f->db, f->log, f->inbox));
    for (int k = 0; k < 4; k++) {
        add_cap_file(f->inbox, k);
        assert_true(run_ok(f->db, f->log, f->inbox));
    }
    char *got = cap_totals(f->c);
    assert_string_equal(got, want);
    /* hour 04 ends at the plan's 100 GiB, hour 06 too; one day row a run */
    free(got);
    got = it_sql_text(f->c, "SELECT hours[5], hours[7] FROM billing.bucket_state "
                            "WHERE kind = 'day' AND bucket = 20767 "
                            "ORDER BY batch_id DESC LIMIT 1");
    assert_string_equal(got, "107374182400|107374182400\n");
    free(got);

    free(want);
    PQfinish(c1);
    it_db_drop(one);
}

/* The archive (billrun run --archive): after the commit the inbox's files
 * move out; a run killed between its commit and the moves leaves them in
 * the inbox, and the next run recognises them (name and SHA-256) and moves
 * them without writing anything. */
static void archive_survives_a_kill(void **state)
{
    struct fx *f = *state;
    char archive[4200];
    snprintf(archive, sizeof(archive), "%s/archive", f->dir);
    const char *args[] = {"run", "--inbox", f->inbox, "--archive", archive, "--as-of", AS_OF, NULL};
    const char *pause[] = {"BILLRUN_TEST_PAUSE=archive:60", NULL};
    pid_t a = it_billrun_spawn(f->db, f->log, args, pause);
    wait_log(f->log, "event=test_pause");
    kill(a, SIGKILL);
    it_wait(a);
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), 1);
    char cmd[9000];
    snprintf(cmd, sizeof(cmd), "test $(ls '%s'/*.csv | wc -l) -eq 12 && test ! -e '%s'", f->inbox,
             archive);
    const char *sh[] = {"sh", "-c", cmd, NULL};
    assert_int_equal(it_run(sh, NULL), 0);
    assert_int_equal(it_billrunv(f->db, f->log, args), 0); /* nothing new: exit 0 */
    assert_true(it_log_has(f->log, "archived  12 files moved out of the inbox"));
    assert_int_equal(it_sql_int(f->c, "SELECT count(*) FROM ledger.batches"), 1);
    snprintf(cmd, sizeof(cmd),
             "test $(ls '%s'/*.csv 2>/dev/null | wc -l) -eq 0 && "
             "test $(ls '%s'/2026-12-01/*.csv | wc -l) -eq 12",
             f->inbox, archive);
    const char *sh2[] = {"sh", "-c", cmd, NULL};
    assert_int_equal(it_run(sh2, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(db_init_is_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(odd_ids_hash_alike, setup, teardown),
        cmocka_unit_test_setup_teardown(huge_quantities_show_in_views, setup, teardown),
        cmocka_unit_test_setup_teardown(hash_under_icu_collation, setup, teardown),
        cmocka_unit_test_setup_teardown(rerun_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(changed_file_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(roles_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(references_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(runs_never_interleave, setup, teardown),
        cmocka_unit_test_setup_teardown(database_going_away_commits_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(night_too_large_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(verify_detects_tampering, setup, teardown),
        cmocka_unit_test_setup_teardown(archive_survives_a_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(capacity_hours_carry_across_runs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
