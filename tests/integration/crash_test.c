/* A run killed with SIGKILL at random moments (at least 20 trials, some of
 * them during COPY) leaves the ledger exactly as before, and the rerun ends
 * identical (same totals, same hash chain) to a run never interrupted. */
#include "it.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KILLS_WANTED 20
#define TRIALS_MAX 80

struct data {
    char *dir;
    char night1[4096], night2[4096];
};

/* Two nights of generated usage: night 1 holds the reference data and the
 * first day, night 2 the second day. */
static void generate(struct data *d)
{
    d->dir = it_tmpdir("crash");
    char gen[4096];
    snprintf(gen, sizeof(gen), "%s/gen", d->dir);
    const char *argv[] = {it_env("BILLRUN_GEN"), "--out",  gen,      "--seed",  "11",
                          "--accounts",          "150",    "--days", "2",       "--start",
                          "2026-11-01",          "--rows", "240000", "--quiet", NULL};
    assert_int_equal(it_run(argv, NULL), 0);
    snprintf(d->night1, sizeof(d->night1), "%s/night1", d->dir);
    snprintf(d->night2, sizeof(d->night2), "%s/night2", d->dir);
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s %s && cp %s/accounts-*.csv %s/prices-*.csv %s/orders-*.csv "
             "%s/*-20261101.csv %s/ && cp %s/*-20261102.csv %s/",
             d->night1, d->night2, gen, gen, gen, gen, d->night1, gen, d->night2);
    const char *sh[] = {"sh", "-c", cmd, NULL};
    assert_int_equal(it_run(sh, NULL), 0);
}

static char *totals(PGconn *c)
{
    return it_sql_text(
        c, "SELECT (SELECT count(*) FROM ledger.batches), (SELECT count(*) FROM ledger.entries), "
           "(SELECT count(*) FROM ledger.transfers), (SELECT coalesce(sum(amount_e8), 0) FROM "
           "ledger.transfers), (SELECT count(*) FROM billing.files), (SELECT count(*) FROM "
           "billing.reject_rows), (SELECT count(*) FROM billing.usage_lines), (SELECT count(*) "
           "FROM billing.order_state), (SELECT string_agg(encode(hash, 'hex'), ',' ORDER BY "
           "batch_id) FROM ledger.batches)");
}

static int run_night(const char *db, const char *inbox, const char *as_of, const char *log)
{
    return it_billrun(db, log, "run", "--inbox", inbox, "--as-of", as_of, NULL);
}

/* The stage a killed run had reached, from its log. */
static void last_stage(const char *log, char *stage, size_t n)
{
    char *t = it_read_file(log, NULL);
    snprintf(stage, n, "start");
    for (char *p = t ? strstr(t, "event=stage stage=") : NULL; p;
         p = strstr(p + 1, "event=stage stage=")) {
        char *v = p + strlen("event=stage stage=");
        size_t k = strcspn(v, " \n");
        snprintf(stage, n, "%.*s", (int)k, v);
    }
    free(t);
}

static void kill_at_random_moments(void **state)
{
    (void)state;
    struct data d;
    generate(&d);
    char ref[128], db[128], log[4096];
    snprintf(log, sizeof(log), "%s/log", d.dir);
    it_db_create(ref, sizeof(ref), "crashref");
    it_db_create(db, sizeof(db), "crash");
    assert_int_equal(it_billrun(ref, log, "db", "init", NULL), 0);
    assert_int_equal(it_billrun(db, log, "db", "init", NULL), 0);
    const char *as1 = "2026-11-02T00:00:00Z", *as2 = "2026-11-03T00:00:00Z";
    /* the reference: both nights, never interrupted (timed for the kills) */
    int rc = run_night(ref, d.night1, as1, log);
    assert_true(rc == 0 || rc == 3);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = run_night(ref, d.night2, as2, log);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(rc == 0 || rc == 3);
    long run_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    rc = run_night(db, d.night1, as1, log);
    assert_true(rc == 0 || rc == 3);
    PGconn *c = it_db_connect(db);
    char *before = totals(c);
    srand(20261127);
    int in_post = 0, killed = 0;
    int trial = 0;
    for (; trial < TRIALS_MAX && (killed < KILLS_WANTED || in_post < 5); trial++) {
        char tlog[4096];
        snprintf(tlog, sizeof(tlog), "%s/trial%d.log", d.dir, trial);
        const char *args[] = {"run", "--inbox", d.night2, "--as-of", as2, NULL};
        pid_t pid = it_billrun_spawn(db, tlog, args, NULL);
        if (trial % 2 == 0) { /* a random moment of the whole run */
            usleep((useconds_t)((rand() % (run_ms + 50)) * 1000));
        } else { /* a random moment once posting (COPY) has begun */
            for (int i = 0; i < 4000 && !it_log_has(tlog, "stage=post"); i++)
                usleep(1000);
            usleep((useconds_t)((rand() % (run_ms / 6 + 5)) * 1000));
        }
        kill(pid, SIGKILL);
        int code = it_wait(pid);
        char stage[64];
        last_stage(tlog, stage, sizeof(stage));
        print_message("trial %2d: %s at stage %s\n", trial,
                      code == 128 + SIGKILL ? "killed" : "finished first", stage);
        char *after = totals(c);
        bool unchanged = strcmp(before, after) == 0;
        if (code == 128 + SIGKILL && !unchanged) {
            /* killed after its COMMIT reached the server: then all of it is
             * there, exactly as the uninterrupted run left it */
            PGconn *r0 = it_db_connect(ref);
            char *want = totals(r0);
            assert_string_equal(want, after);
            free(want);
            PQfinish(r0);
        }
        free(after);
        if (code != 128 + SIGKILL || !unchanged) { /* it committed: start again from night 1 */
            assert_true(code == 0 || code == 3 || code == 128 + SIGKILL);
            PQfinish(c);
            it_db_drop(db);
            it_db_create(db, sizeof(db), "crash");
            assert_int_equal(it_billrun(db, log, "db", "init", NULL), 0);
            rc = run_night(db, d.night1, as1, log);
            assert_true(rc == 0 || rc == 3);
            c = it_db_connect(db);
            continue;
        }
        killed++; /* and the ledger is exactly as before (checked above) */
        in_post += strcmp(stage, "post") == 0 || strcmp(stage, "commit") == 0;
    }
    print_message("%d of %d trials killed the run, %d during posting\n", killed, trial, in_post);
    assert_true(killed >= KILLS_WANTED);
    assert_true(in_post >= 5);
    assert_int_equal(it_billrun(db, log, "verify", NULL), 0);
    /* the rerun ends identical to the run never interrupted */
    rc = run_night(db, d.night2, as2, log);
    assert_true(rc == 0 || rc == 3);
    PGconn *r = it_db_connect(ref);
    char *want = totals(r), *got = totals(c);
    assert_string_equal(want, got);
    free(want);
    free(got);
    assert_int_equal(it_billrun(db, log, "verify", NULL), 0);
    free(before);
    PQfinish(r);
    PQfinish(c);
    it_db_drop(ref);
    it_db_drop(db);
    it_rm(d.dir);
    free(d.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill_at_random_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
