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
    char seller[4200];            /* the seller block every close freezes */
    struct step steps[MAX_STEPS]; /* the deliveries, for the clean replay */
    int nsteps;
    char held[64][256]; /* late files: name, and the night they arrive */
    int held_night[64];
    int nheld;
    char applied[256][256]; /* names applied so far, for re-deliveries */
    int napplied;
    bool closed;
    int faults;
    /* What a step holds while it checks, so that the teardown frees it when
     * a check fails (fail_msg leaves the test at once): open connections,
     * snapshots, a diff or a log being reported, a night's file names, a
     * faulted run not yet reaped, the clean replay's database. */
    PGconn *conn[2];
    char *text[3];
    char **files;
    size_t nfiles;
    pid_t child;
    char clean[128];
};

/* Frees what a step holds (release) and is called at the end of each step
 * that holds something, and by the teardown. */
static void release(struct sim *s)
{
    for (size_t i = 0; i < sizeof(s->conn) / sizeof(s->conn[0]); i++) {
        PQfinish(s->conn[i]);
        s->conn[i] = NULL;
    }
    for (size_t i = 0; i < sizeof(s->text) / sizeof(s->text[0]); i++) {
        free(s->text[i]);
        s->text[i] = NULL;
    }
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    free(s->files);
    s->files = NULL;
    s->nfiles = 0;
}

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
 * text, digested per table, one line "table rows md5" each, so that a
 * difference names its table. A close's time (closed_at) is left out, and
 * with it the batches' hashes and start times, which cover it: two
 * histories of the same deliveries close at different moments. */
static const char *const snapshot_tables[][2] = {
    {"ledger.entries", "t::text"},
    {"ledger.transfers", "t::text"},
    {"billing.files", "t::text"},
    {"billing.reject_rows", "t::text"},
    {"billing.reject_outcomes", "t::text"},
    {"billing.account_versions", "t::text"},
    {"billing.prices", "t::text"},
    {"billing.orders", "t::text"},
    {"billing.usage_lines", "t::text"},
    {"billing.draws", "t::text"},
    {"billing.plan_events", "t::text"},
    {"billing.order_state", "t::text"},
    {"billing.balance_state", "t::text"},
    {"billing.bucket_state", "t::text"},
    {"billing.allowance_state", "t::text"},
    {"billing.rated_spans", "t::text"},
    {"billing.adjustment_rows", "t::text"},
    {"billing.adjustment_notes", "t::text"},
    {"billing.record_ids", "t::text"},
    {"billing.period_closes", "(period, batch_id, forced, seller)::text"},
    {"billing.invoice_finals", "t::text"},
    {"ledger.batches", "(batch_id, kind, as_of, period)::text"},
};

static char *snapshot(PGconn *c)
{
    char sql[8192];
    size_t n = 0;
    size_t count = sizeof(snapshot_tables) / sizeof(snapshot_tables[0]);
    for (size_t i = 0; i < count; i++)
        n += (size_t)snprintf(sql + n, sizeof(sql) - n,
                              "%sSELECT %zu AS k, '%s' AS name, count(*) AS n, "
                              "md5(coalesce(string_agg(%s, '|' ORDER BY %s), '')) AS h FROM %s t",
                              i ? " UNION ALL " : "", i, snapshot_tables[i][0],
                              snapshot_tables[i][1], snapshot_tables[i][1], snapshot_tables[i][0]);
    assert_true(n + 32 < sizeof(sql));
    snprintf(sql + n, sizeof(sql) - n, " ORDER BY k");
    char *rows = it_sql_text(c, sql);
    /* "k|name|n|h" lines without the sort key */
    char *out = malloc(strlen(rows) + 1), *o = out;
    assert_non_null(out);
    for (char *line = rows; *line;) {
        char *eol = strchr(line, '\n');
        char *bar = strchr(line, '|');
        size_t len = (size_t)(eol - bar - 1);
        memcpy(o, bar + 1, len);
        o += len;
        *o++ = '\n';
        line = eol + 1;
    }
    *o = '\0';
    free(rows);
    return out;
}

/* The tables two snapshots disagree on, one "table: rows md5 / rows md5"
 * line each (caller frees); "" when they agree. */
static char *snapshot_diff(const char *x, const char *y)
{
    size_t cap = strlen(x) + strlen(y) + 1;
    char *out = calloc(1, cap), *o = out;
    assert_non_null(out);
    while (*x && *y) {
        size_t lx = strcspn(x, "\n"), ly = strcspn(y, "\n");
        if (lx != ly || memcmp(x, y, lx) != 0)
            o += snprintf(o, cap - (size_t)(o - out), "%.*s  <>  %.*s\n", (int)lx, x, (int)ly, y);
        x += lx + (x[lx] != '\0');
        y += ly + (y[ly] != '\0');
    }
    return out;
}

/* The invariants, after every step. */
static void check(struct sim *s, const char *what)
{
    int rc = it_billrun(s->db, s->log, "verify", NULL);
    if (rc != 0) {
        s->text[0] = it_read_file(s->log, NULL);
        fail_msg("seed %llu, %s: verify failed:\n%s", (unsigned long long)s->seed, what,
                 s->text[0]);
    }
    s->conn[0] = it_db_connect(s->db);
    /* A plan's consumption stays within its face, except a capacity plan's
     * (bounded per hour) and a monthly plan's (bounded per month, as verify
     * checks: its consumption over all its months may pass its face; seed
     * 7159's 50 GB a month drew its full quota in November and more in
     * December). */
    int64_t bad = it_sql_int(
        s->conn[0],
        "SELECT (SELECT count(*) FROM billing.orders o JOIN billing.order_state_latest x "
        "USING (order_id) WHERE x.consumed < 0 OR (coalesce(o.plan_type, '') NOT IN ('capacity', "
        "'monthly') AND x.consumed > o.face) OR x.recognised_e8 > o.paid_e8) + (SELECT count(*) "
        "FROM "
        "(SELECT name FROM billing.files WHERE status = 'applied' AND kind <> 'reprocess' "
        "GROUP BY name HAVING count(*) > 1) d) + (SELECT count(*) FROM billing.files WHERE "
        "rows <> accepted + rejected)");
    release(s);
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
    s->conn[0] = it_db_connect(s->db);
    char *before = s->text[0] = snapshot(s->conn[0]);
    const char *env[] = {pause, NULL};
    pid_t pid = s->child = it_billrun_spawn(s->db, flog, args, env);
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
        s->child = 0;
        code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        paused = false; /* the stage never came (nothing to post): it ran through */
    } else {
        if (cut)
            it_sql_int(s->conn[0],
                       "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                       "application_name = 'billrun' AND datname = current_database()");
        else
            kill(pid, SIGKILL);
        code = it_wait(pid);
        s->child = 0;
    }
    char *after = s->text[1] = snapshot(s->conn[0]);
    if (paused && strcmp(before, after) != 0) {
        s->text[2] = snapshot_diff(before, after);
        fail_msg("seed %llu: a %s at stage %s changed the ledger:\n%s", (unsigned long long)s->seed,
                 cut ? "cut connection" : "kill", stage, s->text[2]);
    }
    if (paused && code == 0)
        fail_msg("seed %llu: a faulted run exited 0", (unsigned long long)s->seed);
    release(s);
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

/* The month is fixed in time (November 2026, its nights up to 40 days
 * later): every run and reprocess is given --future-as-of and the close
 * --early, so that a seed means the same whatever the machine's clock says
 * (without them, nights past the server's clock exit 2; the clock guards
 * are corrections_test's). */
static int run(struct sim *s, const char *db, const struct step *st, const char *out, bool full)
{
    char asof[32];
    br_time_format(st->as_of, 0, asof, sizeof(asof));
    if (st->kind == STEP_RUN)
        return it_billrun(db, s->log, "run", "--inbox", st->inbox, "--as-of", asof,
                          "--future-as-of", NULL);
    if (st->kind == STEP_REPROCESS)
        return it_billrun(db, s->log, "reprocess", "--inbox", st->inbox, "--as-of", asof,
                          "--future-as-of", NULL);
    if (!full)
        return it_billrun(db, s->log, "close", "--period", "2026-11", "--early", "--out", out,
                          "--seller", s->seller, NULL);
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "trap '' XFSZ; ulimit -f 8; exec \"$0\" close --period 2026-11 --early --out '%s' "
             "--seller '%s' --db dbname=%s",
             out, s->seller, db);
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
    s->files = it_month_night(&s->m, k, &s->nfiles);
    for (size_t i = 0; i < s->nfiles; i++) {
        const char *f = s->files[i];
        bool usage = strncmp(f, "eas-", 4) == 0 || strncmp(f, "oss-", 4) == 0;
        if (usage && s->nheld < 64 && chance(s, 8)) { /* arrives late */
            snprintf(s->held[s->nheld], sizeof(s->held[0]), "%s", f);
            s->held_night[s->nheld++] = k + 1 + (int)(next(s) % 4);
        } else {
            snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/'", s->m.all, f, inbox);
            sh(cmd);
        }
    }
    release(s);
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
    s->conn[0] = it_db_connect(s->db);
    char *names = s->text[0] =
        it_sql_text(s->conn[0], "SELECT name FROM billing.files WHERE status = 'applied' AND "
                                "kind <> 'reprocess' ORDER BY file_id");
    s->napplied = 0;
    for (char *p = strtok(names, "\n"); p && s->napplied < 256; p = strtok(NULL, "\n")) {
        char path[8192];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s", s->m.all, p);
        if (stat(path, &sb) == 0) /* a file of the month (not a late account's) */
            snprintf(s->applied[s->napplied++], sizeof(s->applied[0]), "%s", p);
    }
    release(s);
    (void)inbox;
}

static void step(struct sim *s, struct step *st, const char *out)
{
    const char *verb = st->kind == STEP_REPROCESS ? "reprocess" : "run";
    char asof[32];
    br_time_format(st->as_of, 0, asof, sizeof(asof));
    const char *args[] = {verb, "--inbox", st->inbox, "--as-of", asof, "--future-as-of", NULL};
    if (st->kind != STEP_CLOSE && chance(s, 20))
        faulty(s, args);
    bool full = st->kind == STEP_CLOSE && chance(s, 40);
    int rc = run(s, s->db, st, out, full);
    if (full) { /* the close could not write its files: it committed nothing */
        if (rc != 1)
            fail_msg("seed %llu: close into a full folder exited %d", (unsigned long long)s->seed,
                     rc);
        s->conn[0] = it_db_connect(s->db);
        int64_t closes = it_sql_int(s->conn[0], "SELECT count(*) FROM billing.period_closes");
        release(s);
        if (closes != 0)
            fail_msg("seed %llu: a close that failed committed", (unsigned long long)s->seed);
        char cmd[8192];
        snprintf(cmd, sizeof(cmd), "[ -z \"$(ls -A '%s' 2>/dev/null)\" ]", out);
        sh(cmd);                            /* no file, no folder left behind */
        rc = run(s, s->db, st, out, false); /* with room again */
    }
    if (rc != 0 && rc != 3) {
        s->text[0] = it_read_file(s->log, NULL);
        fail_msg("seed %llu: step exited %d:\n%s", (unsigned long long)s->seed, rc, s->text[0]);
    }
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
    char out[4200];
    const char *clean = s->clean;
    snprintf(s->clean, sizeof(s->clean), "%s_clean", s->db);
    it_db_drop(clean);
    s->conn[0] = it_db_connect("postgres");
    char sql[256];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", clean);
    it_sql_try(s->conn[0], sql, (char[6]){0});
    release(s);
    snprintf(out, sizeof(out), "%s/out-clean", s->m.dir);
    assert_int_equal(it_billrun(clean, s->log, "db", "init", NULL), 0);
    for (int i = 0; i < s->nsteps; i++) {
        int rc = run(s, clean, &s->steps[i], out, false);
        if (rc != 0 && rc != 3)
            fail_msg("seed %llu: clean replay step %d exited %d", (unsigned long long)s->seed, i,
                     rc);
    }
    s->conn[0] = it_db_connect(s->db);
    s->conn[1] = it_db_connect(clean);
    char *x = s->text[0] = snapshot(s->conn[0]);
    char *y = s->text[1] = snapshot(s->conn[1]);
    if (strcmp(x, y) != 0) {
        s->text[2] = snapshot_diff(x, y);
        fail_msg("seed %llu: the ledger differs from a clean replay (table: rows md5, this "
                 "history <> the clean one):\n%s",
                 (unsigned long long)s->seed, s->text[2]);
    }
    release(s);
}

static const char *const pipeline_knob = "BILLRUN_TEST_PIPELINE_MIN";

/* A seed's state, allocated before its test and freed after it by the
 * teardown, which cmocka runs whether the test passed or failed: a seed that
 * fails leaks nothing (no LeakSanitizer report on top of the failure), and
 * leaves no database, folder or process behind. */
static int setup(void **state)
{
    struct sim *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -1;
    s->seed = (uint64_t)(uintptr_t)*state;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct sim *s = *state;
    if (s->child > 0) { /* a faulted run held at its stage */
        kill(s->child, SIGKILL);
        waitpid(s->child, NULL, 0);
    }
    release(s);
    unsetenv(pipeline_knob);
    if (s->clean[0])
        it_db_drop(s->clean);
    if (s->db[0])
        it_db_drop(s->db);
    it_month_free(&s->m);
    free(s);
    *state = NULL;
    return 0;
}

static void one_seed(void **state)
{
    struct sim *s = *state;
    s->rng = s->seed * 0x2545F4914F6CDD1DULL + 1;
    it_month_make(&s->m, s->seed, 6 + (int)(next(s) % 6), 30, 2500 + (long)(next(s) % 3000),
                  (int)(next(s) % 30));
    char tag[32];
    snprintf(tag, sizeof(tag), "sim%llu", (unsigned long long)s->seed);
    it_db_create(s->db, sizeof(s->db), tag);
    snprintf(s->log, sizeof(s->log), "%s/log", s->m.dir);
    /* A close freezes the seller block into period_closes. Without
     * --seller (with --no-seller too) it is read from
     * /etc/billrun/seller.conf, which another test running at the same time
     * may install or remove (ops_test runs the README's install block): the
     * two closes of a seed could then freeze different sellers. Every close
     * of a seed reads this one file. */
    snprintf(s->seller, sizeof(s->seller), "%s/samples/seller.conf", it_source_dir());
    assert_int_equal(it_billrun(s->db, s->log, "db", "init", NULL), 0);
    /* records delivered on a second thread (every file) in the simulation of
     * odd seeds and in the clean replay of even ones: the replay must agree */
    const char *knob = pipeline_knob;
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
    print_message("seed %llu: %d steps, %d faults, all invariants held\n",
                  (unsigned long long)s->seed, s->nsteps, s->faults);
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
                                       .setup_func = setup,
                                       .teardown_func = teardown,
                                       .initial_state = (void *)(uintptr_t)(first + i)};
    }
    int rc = _cmocka_run_group_tests("simulator", tests, n, NULL, NULL);
    free(tests);
    free(names);
    return n == 0 ? 1 : rc;
}
