/* A seeded simulator in the spirit of TigerBeetle's VOPR. From one seed: a
 * generated month of traffic and a schedule of events — nightly runs, late
 * files, re-delivered files, changed files, the month's close, reprocessing
 * after a missing account arrives, SIGKILL at a stage, the database
 * connection cut, the output folder full. After every step the invariants
 * are checked (verify passes: the ledger balances, nothing posts into a
 * closed period, sub-ledgers tie out; every file's rows are accepted or
 * rejected once; plan and coupon balances within bounds), and at the end the
 * ledger must equal, row for row, a clean uninterrupted replay of the same
 * deliveries. Faults strike at stages, never at wall-clock times, so a
 * failing seed replays exactly: sim_test FIRST [LAST] runs those seeds. */
#include "it.h"
#include "month.h"

#include "core/btime.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STEPS 256

enum step_kind { STEP_RUN, STEP_CLOSE, STEP_REPROCESS };

struct step {
    enum step_kind kind;
    char inbox[512];
    int64_t as_of;
};

struct sim {
    uint64_t seed, rng;
    struct it_month m;
    char db[128];
    char log[4200];
    struct step steps[MAX_STEPS]; /* the deliveries, for the clean replay */
    int nsteps;
    char held[64][256]; /* late files: name, and the night they arrive */
    int held_night[64];
    int nheld;
    char applied[256][256]; /* names applied so far, for re-deliveries */
    int napplied;
    bool closed;
    int faults;
};

static uint64_t next(struct sim *s)
{
    uint64_t z = (s->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static bool chance(struct sim *s, int percent)
{
    return next(s) % 100 < (uint64_t)percent;
}

static void sh(const char *cmd)
{
    const char *argv[] = {"sh", "-c", cmd, NULL};
    if (it_run(argv, NULL) != 0)
        fail_msg("command failed: %s", cmd);
}

/* What a ledger holds, row for row: every table a batch writes, each row as
 * text, digested. A close's time (closed_at) is left out, and with it the
 * batches' hashes, which cover it: two histories of the same deliveries
 * close at different moments. */
static char *snapshot(PGconn *c)
{
    return it_sql_text(
        c, "SELECT (SELECT count(*) FROM ledger.batches), md5(string_agg(r, '|' ORDER BY r)) "
           "FROM (SELECT t::text AS r FROM ledger.entries t UNION ALL "
           "SELECT t::text FROM ledger.transfers t UNION ALL "
           "SELECT t::text FROM billing.files t UNION ALL "
           "SELECT t::text FROM billing.reject_rows t UNION ALL "
           "SELECT t::text FROM billing.reject_outcomes t UNION ALL "
           "SELECT t::text FROM billing.account_versions t UNION ALL "
           "SELECT t::text FROM billing.prices t UNION ALL "
           "SELECT t::text FROM billing.orders t UNION ALL "
           "SELECT t::text FROM billing.usage_lines t UNION ALL "
           "SELECT t::text FROM billing.draws t UNION ALL "
           "SELECT t::text FROM billing.plan_events t UNION ALL "
           "SELECT t::text FROM billing.order_state t UNION ALL "
           "SELECT t::text FROM billing.balance_state t UNION ALL "
           "SELECT t::text FROM billing.bucket_state t UNION ALL "
           "SELECT t::text FROM billing.allowance_state t UNION ALL "
           "SELECT t::text FROM billing.rated_spans t UNION ALL "
           "SELECT (period, batch_id, forced, seller)::text FROM billing.period_closes UNION ALL "
           "SELECT t::text FROM billing.invoice_finals t UNION ALL "
           "SELECT (batch_id, kind, as_of, period)::text FROM ledger.batches) x");
}

/* The invariants, after every step. */
static void check(struct sim *s, const char *what)
{
    int rc = it_billrun(s->db, s->log, "verify", NULL);
    if (rc != 0)
        fail_msg("seed %llu, %s: verify failed:\n%s", (unsigned long long)s->seed, what,
                 it_read_file(s->log, NULL));
    PGconn *c = it_db_connect(s->db);
    int64_t bad = it_sql_int(
        c, "SELECT (SELECT count(*) FROM billing.orders o JOIN billing.order_state_latest x "
           "USING (order_id) WHERE x.consumed < 0 OR (coalesce(o.plan_type, '') <> 'capacity' AND "
           "x.consumed > o.face) OR x.recognised_e8 > o.paid_e8) + (SELECT count(*) FROM "
           "(SELECT name FROM billing.files WHERE status = 'applied' AND kind <> 'reprocess' "
           "GROUP BY name HAVING count(*) > 1) d) + (SELECT count(*) FROM billing.files WHERE "
           "rows <> accepted + rejected)");
    PQfinish(c);
    if (bad != 0)
        fail_msg("seed %llu, %s: %lld rows break an invariant", (unsigned long long)s->seed, what,
                 (long long)bad);
}

/* A run with a fault at a stage: killed, or its connection cut. Nothing may
 * change. */
static void faulty(struct sim *s, const char *const *args)
{
    static const char *const stages[] = {"load", "ingest", "rate", "post", "commit"};
    const char *stage = stages[next(s) % 5];
    bool cut = chance(s, 40);
    char pause[64], flog[4300];
    snprintf(pause, sizeof(pause), "BILLRUN_TEST_PAUSE=%s:%d", stage, cut ? 1 : 60);
    snprintf(flog, sizeof(flog), "%s.fault", s->log);
    unlink(flog);
    PGconn *c = it_db_connect(s->db);
    char *before = snapshot(c);
    const char *env[] = {pause, NULL};
    pid_t pid = it_billrun_spawn(s->db, flog, args, env);
    bool paused = false, exited = false;
    int status = 0;
    while (!paused && !exited) { /* until it holds at the stage, or ends without it */
        char *t = it_read_file(flog, NULL);
        paused = t && strstr(t, "event=test_pause");
        free(t);
        exited = !paused && waitpid(pid, &status, WNOHANG) == pid;
        if (!paused && !exited)
            usleep(2000);
    }
    int code;
    if (exited) {
        code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        paused = false; /* the stage never came (nothing to post): it ran through */
    } else {
        if (cut)
            it_sql_int(c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                          "application_name = 'billrun' AND datname = current_database()");
        else
            kill(pid, SIGKILL);
        code = it_wait(pid);
    }
    char *after = snapshot(c);
    PQfinish(c);
    if (paused && strcmp(before, after) != 0)
        fail_msg("seed %llu: a %s at stage %s changed the ledger", (unsigned long long)s->seed,
                 cut ? "cut connection" : "kill", stage);
    if (paused && code == 0)
        fail_msg("seed %llu: a faulted run exited 0", (unsigned long long)s->seed);
    free(before);
    free(after);
    s->faults++;
}

static void record(struct sim *s, enum step_kind kind, const char *inbox, int64_t as_of)
{
    assert_true(s->nsteps < MAX_STEPS);
    struct step *st = &s->steps[s->nsteps++];
    st->kind = kind;
    snprintf(st->inbox, sizeof(st->inbox), "%s", inbox ? inbox : "");
    st->as_of = as_of;
}

static int run(struct sim *s, const char *db, const struct step *st, const char *out, bool full)
{
    char asof[32];
    br_time_format(st->as_of, 0, asof, sizeof(asof));
    if (st->kind == STEP_RUN)
        return it_billrun(db, s->log, "run", "--inbox", st->inbox, "--as-of", asof, NULL);
    if (st->kind == STEP_REPROCESS)
        return it_billrun(db, s->log, "reprocess", "--inbox", st->inbox, "--as-of", asof, NULL);
    if (!full)
        return it_billrun(db, s->log, "close", "--period", "2026-11", "--out", out, "--no-seller",
                          NULL);
    char cmd[8192];
    snprintf(cmd, sizeof(cmd),
             "trap '' XFSZ; ulimit -f 8; exec \"$0\" close --period 2026-11 --out '%s' "
             "--no-seller --db dbname=%s",
             out, db);
    const char *argv[] = {"sh", "-c", cmd, it_env("BILLRUN_BIN"), NULL};
    return it_run(argv, s->log);
}

/* Night k's inbox: today's files less late ones, late files now due, and
 * sometimes an old file again, the same or changed. */
static void build_inbox(struct sim *s, int k, char *inbox, size_t size)
{
    snprintf(inbox, size, "%s/in%02d", s->m.dir, k);
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", inbox);
    sh(cmd);
    size_t n;
    char **files = it_month_night(&s->m, k, &n);
    for (size_t i = 0; i < n; i++) {
        bool usage = strncmp(files[i], "eas-", 4) == 0 || strncmp(files[i], "oss-", 4) == 0;
        if (usage && s->nheld < 64 && chance(s, 8)) { /* arrives late */
            snprintf(s->held[s->nheld], sizeof(s->held[0]), "%s", files[i]);
            s->held_night[s->nheld++] = k + 1 + (int)(next(s) % 4);
        } else {
            snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/'", s->m.all, files[i], inbox);
            sh(cmd);
        }
        free(files[i]);
    }
    free(files);
    for (int h = 0; h < s->nheld; h++)
        if (s->held_night[h] == k || (k == s->m.nights - 1 && s->held_night[h] > k)) {
            snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/'", s->m.all, s->held[h], inbox);
            sh(cmd);
            s->held_night[h] = -1;
        }
    if (s->napplied > 0 && chance(s, 10)) { /* re-delivered as it was */
        const char *name = s->applied[next(s) % (uint64_t)s->napplied];
        snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/'", s->m.all, name, inbox);
        sh(cmd);
    }
    if (s->napplied > 0 && chance(s, 5)) { /* re-delivered changed: refused */
        const char *name = s->applied[next(s) % (uint64_t)s->napplied];
        snprintf(cmd, sizeof(cmd), "head -n -1 '%s/%s' > '%s/%s'", s->m.all, name, inbox, name);
        sh(cmd);
    }
}

static void remember_applied(struct sim *s, const char *inbox)
{
    PGconn *c = it_db_connect(s->db);
    char *names = it_sql_text(c, "SELECT name FROM billing.files WHERE status = 'applied' AND "
                                 "kind <> 'reprocess' ORDER BY file_id");
    PQfinish(c);
    s->napplied = 0;
    for (char *p = strtok(names, "\n"); p && s->napplied < 256; p = strtok(NULL, "\n")) {
        char path[8192];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s", s->m.all, p);
        if (stat(path, &sb) == 0) /* a file of the month (not a late account's) */
            snprintf(s->applied[s->napplied++], sizeof(s->applied[0]), "%s", p);
    }
    free(names);
    (void)inbox;
}

static void step(struct sim *s, struct step *st, const char *out)
{
    const char *verb = st->kind == STEP_REPROCESS ? "reprocess" : "run";
    char asof[32];
    br_time_format(st->as_of, 0, asof, sizeof(asof));
    const char *args[] = {verb, "--inbox", st->inbox, "--as-of", asof, NULL};
    if (st->kind != STEP_CLOSE && chance(s, 20))
        faulty(s, args);
    bool full = st->kind == STEP_CLOSE && chance(s, 40);
    int rc = run(s, s->db, st, out, full);
    if (full) { /* the close could not write its files: it committed nothing */
        if (rc != 1)
            fail_msg("seed %llu: close into a full folder exited %d", (unsigned long long)s->seed,
                     rc);
        PGconn *c = it_db_connect(s->db);
        int64_t closes = it_sql_int(c, "SELECT count(*) FROM billing.period_closes");
        PQfinish(c);
        if (closes != 0)
            fail_msg("seed %llu: a close that failed committed", (unsigned long long)s->seed);
        char cmd[8192];
        snprintf(cmd, sizeof(cmd), "[ -z \"$(ls -A '%s' 2>/dev/null)\" ]", out);
        sh(cmd);                            /* no file, no folder left behind */
        rc = run(s, s->db, st, out, false); /* with room again */
    }
    if (rc != 0 && rc != 3)
        fail_msg("seed %llu: step exited %d:\n%s", (unsigned long long)s->seed, rc,
                 it_read_file(s->log, NULL));
    record(s, st->kind, st->inbox, st->as_of);
    check(s, verb);
}

static void simulate(struct sim *s)
{
    int64_t month_end = br_period_start(&(struct br_calendar){28800}, 2026 * 12 + 11);
    char out[4200];
    snprintf(out, sizeof(out), "%s/out", s->m.dir);
    for (int k = 0; k < s->m.nights; k++) {
        struct step st = {.kind = STEP_RUN, .as_of = it_month_as_of(&s->m, k)};
        build_inbox(s, k, st.inbox, sizeof(st.inbox));
        step(s, &st, out);
        remember_applied(s, st.inbox);
        if (!s->closed && st.as_of >= month_end) {
            struct step c = {.kind = STEP_CLOSE, .as_of = st.as_of};
            step(s, &c, out);
            s->closed = true;
        }
        if (k == s->m.nights / 2 || (k > 3 && chance(s, 5))) { /* the missing account arrives */
            struct step r = {.kind = STEP_REPROCESS, .as_of = st.as_of};
            snprintf(r.inbox, sizeof(r.inbox), "%s/late-account%02d", s->m.dir, k);
            char cmd[8192];
            snprintf(cmd, sizeof(cmd),
                     "mkdir -p '%s' && printf 'account_id,name,address,tax_id,email\\nacc-999999,"
                     "Late Account %d,addr,TAX,late@example.com\\n' > '%s/accounts-late%02d.csv'",
                     r.inbox, k, r.inbox, k);
            sh(cmd);
            step(s, &r, out);
        }
    }
}

/* The same deliveries, in order, without a fault: the same ledger. */
static void replay_equals(struct sim *s)
{
    char clean[128], out[4200];
    snprintf(clean, sizeof(clean), "%s_clean", s->db);
    it_db_drop(clean);
    PGconn *m = it_db_connect("postgres");
    char sql[256];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", clean);
    it_sql_try(m, sql, (char[6]){0});
    PQfinish(m);
    snprintf(out, sizeof(out), "%s/out-clean", s->m.dir);
    assert_int_equal(it_billrun(clean, s->log, "db", "init", NULL), 0);
    for (int i = 0; i < s->nsteps; i++) {
        int rc = run(s, clean, &s->steps[i], out, false);
        if (rc != 0 && rc != 3)
            fail_msg("seed %llu: clean replay step %d exited %d", (unsigned long long)s->seed, i,
                     rc);
    }
    PGconn *a = it_db_connect(s->db), *b = it_db_connect(clean);
    char *x = snapshot(a), *y = snapshot(b);
    if (strcmp(x, y) != 0)
        fail_msg("seed %llu: the ledger differs from a clean replay:\n%s\n%s",
                 (unsigned long long)s->seed, x, y);
    free(x);
    free(y);
    PQfinish(a);
    PQfinish(b);
    it_db_drop(clean);
}

static void one_seed(void **state)
{
    struct sim *s = calloc(1, sizeof(*s));
    s->seed = (uint64_t)(uintptr_t)*state;
    s->rng = s->seed * 0x2545F4914F6CDD1DULL + 1;
    it_month_make(&s->m, s->seed, 6 + (int)(next(s) % 6), 30, 2500 + (long)(next(s) % 3000),
                  (int)(next(s) % 30));
    char tag[32];
    snprintf(tag, sizeof(tag), "sim%llu", (unsigned long long)s->seed);
    it_db_create(s->db, sizeof(s->db), tag);
    snprintf(s->log, sizeof(s->log), "%s/log", s->m.dir);
    assert_int_equal(it_billrun(s->db, s->log, "db", "init", NULL), 0);
    /* records delivered on a second thread (every file) in the simulation of
     * odd seeds and in the clean replay of even ones: the replay must agree */
    const char *knob = "BILLRUN_TEST_PIPELINE_MIN";
    if (s->seed % 2)
        setenv(knob, "0", 1);
    else
        unsetenv(knob);
    simulate(s);
    if (s->seed % 2)
        unsetenv(knob);
    else
        setenv(knob, "0", 1);
    replay_equals(s);
    unsetenv(knob);
    print_message("seed %llu: %d steps, %d faults, all invariants held\n",
                  (unsigned long long)s->seed, s->nsteps, s->faults);
    it_db_drop(s->db);
    it_month_free(&s->m);
    free(s);
}

int main(int argc, char **argv)
{
    unsigned long first = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
    unsigned long last = argc > 2 ? strtoul(argv[2], NULL, 10) : first + 2;
    size_t n = last >= first ? last - first + 1 : 0;
    struct CMUnitTest *tests = calloc(n + 1, sizeof(*tests));
    char(*names)[32] = calloc(n + 1, sizeof(*names));
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "seed %lu", first + i);
        tests[i] = (struct CMUnitTest){.name = names[i],
                                       .test_func = one_seed,
                                       .initial_state = (void *)(uintptr_t)(first + i)};
    }
    int rc = _cmocka_run_group_tests("simulator", tests, n, NULL, NULL);
    free(tests);
    free(names);
    return n == 0 ? 1 : rc;
}
