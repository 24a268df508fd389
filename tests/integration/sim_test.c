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
 * failing seed replays exactly: sim_test FIRST [LAST] runs those seeds.
 *
 * sim_test --year FIRST [LAST] lives a year instead (2026-11 to 2027-10, a
 * few accounts and rows a night): every run moves what it read into one
 * archive (--archive), and after each run the inbox must be empty and every
 * file it read must be in the archive's folder of its day with the same
 * bytes; each month is closed after its last night, sometimes into a full
 * folder, sometimes killed at a stage (files, commit, publish) and closed
 * again, sometimes with its connection cut before the COMMIT, sometimes with
 * the COMMIT's answer lost; runs are sometimes killed after their commit and
 * before their moves. The clean replay delivers from copies of each run's
 * inbox, kept before the run. */
#include "it.h"
#include "month.h"

#include "core/btime.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_STEPS 1024
#define MAX_HELD 512

enum step_kind { STEP_RUN, STEP_CLOSE, STEP_REPROCESS };

struct step {
    enum step_kind kind;
    char inbox[512]; /* what a run reads: its night's folder, or in a year the
                        copy of the inbox kept before the run */
    int64_t as_of;
    br_period period; /* a close's */
};

/* The billing calendar of the schema (UTC+08:00). */
static const struct br_calendar cal = {28800};

struct sim {
    uint64_t seed, rng;
    struct it_month m;
    char db[128];
    char log[4200];
    char seller[4200];            /* the seller block every close freezes */
    struct step steps[MAX_STEPS]; /* the deliveries, for the clean replay */
    int nsteps;
    char held[MAX_HELD][64]; /* late files: name, and the night they arrive */
    int held_night[MAX_HELD];
    int nheld;
    br_period first_period; /* the periods closed in turn */
    int months, nclosed;
    int faults, close_faults;
    /* the year: one inbox, one archive, the copies of what each run read */
    bool year;
    char inbox[4200], archive[4200], keep[4200];
    long archived;              /* files moved into the archive so far */
    int replayed;               /* steps the clean history has had */
    bool faulted;               /* a fault since the last verify */
    int kill_month, lost_month; /* a killed close and a lost COMMIT each year */
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

/* The regular files of a folder, sorted (caller frees each and the array). */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **list_dir(const char *dir, size_t *n)
{
    size_t cap = 16;
    char **out = malloc(cap * sizeof(*out));
    assert_non_null(out);
    *n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        char path[8192];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (*n == cap) {
            cap *= 2;
            char **grown = realloc(out, cap * sizeof(*out));
            assert_non_null(grown);
            out = grown;
        }
        out[(*n)++] = strdup(e->d_name);
    }
    if (d)
        closedir(d);
    qsort(out, *n, sizeof(*out), by_name);
    return out;
}

static void empty_dir(const char *dir)
{
    size_t n;
    char **names = list_dir(dir, &n);
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
        free(names[i]);
    }
    free(names);
}

static bool exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Whether the log holds a line (the file's text). */
static bool log_has(const char *log, const char *what)
{
    char *t = it_read_file(log, NULL);
    bool yes = t && strstr(t, what);
    free(t);
    return yes;
}

static void fail_log(struct sim *s, const char *log, const char *what, int rc)
{
    s->text[0] = it_read_file(log, NULL);
    fail_msg("seed %llu: %s (exit %d):\n%s", (unsigned long long)s->seed, what, rc,
             s->text[0] ? s->text[0] : "(no log)");
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

static void same_as_clean(struct sim *s, const char *what);

/* The invariants, after every step. billrun verify walks the whole hash
 * chain, a query a batch, and a snapshot reads every table: on a year's
 * nights both would make a seed quadratic, so a year verifies and compares
 * the ledger with the clean history's (same_as_clean) after each step that
 * is not a plain night (a fault, a close, a reprocess) and at the end; a
 * plain night gets the SQL invariants and the archive's checks. */
static void check(struct sim *s, const char *what)
{
    bool plain = s->year && !s->faulted && strcmp(what, "run") == 0;
    s->faulted = false;
    int rc = plain ? 0 : it_billrun(s->db, s->log, "verify", NULL);
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
    if (s->year && !plain)
        same_as_clean(s, what);
}

/* Waits until a spawned billrun holds at its stage (true), or ends without
 * reaching it (false, *status its wait status). */
static bool wait_pause(pid_t pid, const char *flog, int *status)
{
    for (;;) {
        if (log_has(flog, "event=test_pause"))
            return true;
        if (waitpid(pid, status, WNOHANG) == pid)
            return false;
        usleep(2000);
    }
}

static int exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void record(struct sim *s, enum step_kind kind, const char *inbox, int64_t as_of,
                   br_period period)
{
    assert_true(s->nsteps < MAX_STEPS);
    struct step *st = &s->steps[s->nsteps++];
    st->kind = kind;
    snprintf(st->inbox, sizeof(st->inbox), "%s", inbox ? inbox : "");
    st->as_of = as_of;
    st->period = period;
}

/* A year's copy of the inbox as a run is about to read it: keep/NNNNt, t the
 * tag (s: the run moved what it read into the archive; k: killed before). */
static void keep_inbox(struct sim *s, char tag, char *path, size_t size)
{
    snprintf(path, size, "%s/%04d%c", s->keep, s->nsteps, tag);
    it_rm(path);
    it_copy_dir(s->inbox, path);
}

/* The folder of the archive a run as of as_of moves its files into. */
static void archive_day(const char *archive, int64_t as_of, char *dir, size_t size)
{
    char date[16];
    br_day_format(br_local_day(&cal, as_of), date, sizeof(date));
    snprintf(dir, size, "%s/%s", archive, date);
}

/* After a year's run that ended: nothing it read is left in the inbox, and
 * each file it read is in the archive's folder of its day, with the same
 * bytes, under its name or NAME~N.csv (the name taken by an earlier copy). */
static void archived_check(struct sim *s, const char *kept, int64_t as_of)
{
    size_t n;
    s->files = list_dir(s->inbox, &s->nfiles);
    if (s->nfiles > 0)
        fail_msg("seed %llu: a run as of %lld left %s in the inbox", (unsigned long long)s->seed,
                 (long long)as_of, s->files[0]);
    release(s);
    char day[4300];
    archive_day(s->archive, as_of, day, sizeof(day));
    s->files = list_dir(kept, &s->nfiles);
    n = s->nfiles;
    for (size_t i = 0; i < n; i++) {
        const char *name = s->files[i];
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", kept, name);
        size_t len;
        s->text[0] = it_read_file(path, &len);
        bool found = false;
        const char *dot = strrchr(name, '.');
        int stem = dot ? (int)(dot - name) : (int)strlen(name);
        for (int k = 1; k < 100 && !found; k++) {
            if (k == 1)
                snprintf(path, sizeof(path), "%s/%s", day, name);
            else
                snprintf(path, sizeof(path), "%s/%.*s~%d%s", day, stem, name, k, dot ? dot : "");
            if (!exists(path))
                break;
            size_t alen;
            char *a = it_read_file(path, &alen);
            found = a && alen == len && memcmp(a, s->text[0], len) == 0;
            free(a);
        }
        if (!found)
            fail_msg("seed %llu: %s, read by the run as of %lld, is not in %s with its bytes",
                     (unsigned long long)s->seed, name, (long long)as_of, day);
        free(s->text[0]);
        s->text[0] = NULL;
    }
    s->archived += (long)n;
    release(s);
}

/* The whole archive: exactly the files the runs moved (each delivery once,
 * with its bytes: the copies kept before the runs, less those of runs
 * killed before their moves), and every file billing.files holds (applied
 * or refused, not the late accounts a reprocess read) is among them. */
static void archive_holds_deliveries(struct sim *s)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/files.sums", s->m.dir);
    s->conn[0] = it_db_connect(s->db);
    s->text[0] = it_sql_text(s->conn[0], "SELECT encode(sha256, 'hex') || '  ' || name FROM "
                                         "billing.files WHERE kind <> 'reprocess' AND name NOT "
                                         "LIKE 'accounts-late%' ORDER BY 1");
    it_write_file(path, s->text[0]);
    release(s);
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && (cd archive && find . -type f -exec sha256sum {} + | sed -E "
             "'s#  \\./[^/]+/#  #; s#~[0-9]+(\\.[a-z]+)$#\\1#') | sort > archive.sums && "
             "(cd keep && find . -path './*s/*' -type f -exec sha256sum {} + | sed -E "
             "'s#  \\./[^/]+/#  #') | sort > kept.sums && [ $(wc -l < archive.sums) -eq %ld ] && "
             "diff archive.sums kept.sums && sort -u files.sums > files.u && sort -u archive.sums "
             "| comm -23 files.u - > missing && [ ! -s missing ] || { cat missing; false; }",
             s->m.dir, s->archived);
    const char *argv[] = {"sh", "-c", cmd, NULL};
    char log[4300];
    snprintf(log, sizeof(log), "%s.archive", s->log);
    int rc = it_run(argv, log);
    if (rc != 0)
        fail_log(s, log, "the archive does not hold the files the runs read", rc);
}

/* A run with a fault at a stage: killed, or its connection cut. Nothing may
 * change. In a year a run may also be killed after its commit, at its moves
 * into the archive: it is a delivery (recorded), and the files stay in the
 * inbox for the next run, which recognises them and moves them. */
static void faulty(struct sim *s, const struct step *st)
{
    static const char *const stages[] = {"load", "ingest", "rate", "post", "commit", "archive"};
    bool yr = s->year && st->kind == STEP_RUN; /* a year's run: the inbox, the archive */
    const char *stage = stages[next(s) % (yr ? 6 : 5)];
    bool moves = strcmp(stage, "archive") == 0;
    bool cut = !moves && chance(s, 40);
    char pause[64], flog[4300], asof[32], kept[4300] = "";
    snprintf(pause, sizeof(pause), "BILLRUN_TEST_PAUSE=%s:%d", stage, cut ? 1 : 60);
    snprintf(flog, sizeof(flog), "%s.fault", s->log);
    unlink(flog);
    br_time_format(st->as_of, 0, asof, sizeof(asof));
    const char *verb = st->kind == STEP_REPROCESS ? "reprocess" : "run";
    const char *args[] = {verb, "--inbox",        yr ? s->inbox : st->inbox, "--as-of",
                          asof, "--future-as-of", yr ? "--archive" : NULL,   s->archive,
                          NULL};
    if (yr)
        keep_inbox(s, 'f', kept, sizeof(kept));
    s->conn[0] = it_db_connect(s->db);
    char *before = s->text[0] = snapshot(s->conn[0]);
    const char *env[] = {pause, NULL};
    pid_t pid = s->child = it_billrun_spawn(s->db, flog, args, env);
    int status = 0, code;
    bool paused = wait_pause(pid, flog, &status); /* or it ends without the stage */
    if (!paused) {
        s->child = 0;
        code = exit_code(status); /* the stage never came (nothing to post): it ran through */
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
    if (paused && !moves && strcmp(before, after) != 0) {
        s->text[2] = snapshot_diff(before, after);
        fail_msg("seed %llu: a %s at stage %s changed the ledger:\n%s", (unsigned long long)s->seed,
                 cut ? "cut connection" : "kill", stage, s->text[2]);
    }
    release(s);
    /* A connection cut at a stage after which the run has nothing to write
     * (no new file, nothing to recognise: no COMMIT) is never used again:
     * the run ends as it would have, exit 0, having changed nothing; it
     * moved what it read (files already applied, or refused before). */
    bool harmless = paused && cut && code == 0 && log_has(flog, "nothing new to post");
    if (paused && code == 0 && !harmless)
        fail_log(s, flog, "a faulted run exited 0", code);
    if (harmless)
        paused = false; /* a delivery, as if it had run through */
    s->faults++;
    s->faulted = true;
    if (!yr)
        return;
    char tagged[4300];
    snprintf(tagged, sizeof(tagged), "%s/%04d%c", s->keep, s->nsteps, paused ? 'k' : 's');
    if (!paused) { /* it ran through: a delivery, its files moved */
        if (code != 0 && code != 3)
            fail_log(s, flog, "a run that ran through its fault failed", code);
        assert_int_equal(rename(kept, tagged), 0);
        record(s, STEP_RUN, tagged, st->as_of, 0);
        archived_check(s, tagged, st->as_of);
        check(s, "a run that ran through its fault");
    } else if (moves) { /* committed, killed before its moves: all still there */
        assert_int_equal(rename(kept, tagged), 0);
        size_t a, b;
        s->files = list_dir(s->inbox, &a);
        s->nfiles = a;
        release(s);
        s->files = list_dir(tagged, &b);
        s->nfiles = b;
        release(s);
        if (a != b)
            fail_msg("seed %llu: a run killed before its moves moved %zu of %zu files",
                     (unsigned long long)s->seed, b - a, b);
        record(s, STEP_RUN, tagged, st->as_of, 0);
        check(s, "a run killed before its moves");
    } else {
        it_rm(kept);
    }
}

/* The month is fixed in time (November 2026, its nights up to 40 days
 * later; a year's from 2026-11 to 2027-10): every run and reprocess is given
 * --future-as-of and the close --early, so that a seed means the same
 * whatever the machine's clock says (without them, nights past the server's
 * clock exit 2; the clock guards are corrections_test's). A year's runs read
 * `inbox` and move what they read into `archive`. */
static int run(struct sim *s, const char *db, const struct step *st, const char *inbox,
               const char *archive, const char *out, bool full)
{
    char asof[32], per[16];
    br_time_format(st->as_of, 0, asof, sizeof(asof));
    br_period_format(st->period, per, sizeof(per));
    if (st->kind == STEP_RUN && archive)
        return it_billrun(db, s->log, "run", "--inbox", inbox, "--as-of", asof, "--future-as-of",
                          "--archive", archive, NULL);
    if (st->kind == STEP_RUN)
        return it_billrun(db, s->log, "run", "--inbox", inbox, "--as-of", asof, "--future-as-of",
                          NULL);
    if (st->kind == STEP_REPROCESS)
        return it_billrun(db, s->log, "reprocess", "--inbox", st->inbox, "--as-of", asof,
                          "--future-as-of", NULL);
    if (!full)
        return it_billrun(db, s->log, "close", "--period", per, "--early", "--out", out, "--seller",
                          s->seller, NULL);
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "trap '' XFSZ; ulimit -f 8; exec \"$0\" close --period %s --early --out '%s' "
             "--seller '%s' --db dbname=%s",
             per, out, s->seller, db);
    const char *argv[] = {"sh", "-c", cmd, it_env("BILLRUN_BIN"), NULL};
    return it_run(argv, s->log);
}

/* A file applied so far, of the generated traffic (not a late account's),
 * drawn from the seed; NULL if none (caller frees). */
static char *pick_applied(struct sim *s)
{
    s->conn[0] = it_db_connect(s->db);
    char *names = s->text[0] =
        it_sql_text(s->conn[0], "SELECT name FROM billing.files WHERE status = 'applied' AND "
                                "kind <> 'reprocess' ORDER BY file_id");
    size_t n = 0, cap = 0;
    for (char *p = strtok(names, "\n"); p; p = strtok(NULL, "\n")) {
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", s->m.all, p);
        if (!exists(path))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(s->files, cap * sizeof(*grown));
            assert_non_null(grown);
            s->files = grown;
        }
        s->files[n++] = strdup(p);
        s->nfiles = n;
    }
    char *name = n > 0 ? strdup(s->files[next(s) % n]) : NULL;
    release(s);
    return name;
}

/* Night k's inbox: today's files less late ones, late files now due, and
 * sometimes an old file again, the same or changed. */
static void build_inbox(struct sim *s, int k, const char *inbox)
{
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", inbox);
    sh(cmd);
    s->files = it_month_night(&s->m, k, &s->nfiles);
    for (size_t i = 0; i < s->nfiles; i++) {
        const char *f = s->files[i];
        bool usage = strncmp(f, "eas-", 4) == 0 || strncmp(f, "oss-", 4) == 0;
        if (usage && s->nheld < MAX_HELD && chance(s, 8)) { /* arrives late */
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
    char *name;
    if (k > 0 && chance(s, 10) && (name = pick_applied(s)) != NULL) { /* again, as it was */
        snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s/'", s->m.all, name, inbox);
        free(name);
        sh(cmd);
    }
    if (k > 0 && chance(s, 5) && (name = pick_applied(s)) != NULL) { /* changed: refused */
        snprintf(cmd, sizeof(cmd), "head -n -1 '%s/%s' > '%s/%s'", s->m.all, name, inbox, name);
        free(name);
        sh(cmd);
    }
}

/* A month's run, reprocess or close. */
static void step(struct sim *s, struct step *st, const char *out)
{
    const char *verb = st->kind == STEP_REPROCESS ? "reprocess" : "run";
    if (st->kind != STEP_CLOSE && chance(s, 20))
        faulty(s, st);
    bool full = st->kind == STEP_CLOSE && chance(s, 40);
    int rc = run(s, s->db, st, st->inbox, NULL, out, full);
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
        sh(cmd);                                             /* no file, no folder left behind */
        rc = run(s, s->db, st, st->inbox, NULL, out, false); /* with room again */
    }
    if (rc != 0 && rc != 3) {
        s->text[0] = it_read_file(s->log, NULL);
        fail_msg("seed %llu: step exited %d:\n%s", (unsigned long long)s->seed, rc, s->text[0]);
    }
    record(s, st->kind, st->inbox, st->as_of, st->period);
    check(s, verb);
}

/* A year's night: the inbox kept, the run, its files in the archive. */
static void year_run(struct sim *s, struct step *st)
{
    if (chance(s, 6))
        faulty(s, st);
    char kept[4300];
    keep_inbox(s, 's', kept, sizeof(kept));
    int rc = run(s, s->db, st, s->inbox, s->archive, NULL, false);
    if (rc != 0 && rc != 3)
        fail_log(s, s->log, "a night's run failed", rc);
    record(s, STEP_RUN, kept, st->as_of, 0);
    archived_check(s, kept, st->as_of);
    check(s, "run");
}

static int64_t closes_of(struct sim *s, const char *per)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM billing.period_closes WHERE period = '%s'",
             per);
    s->conn[0] = it_db_connect(s->db);
    int64_t n = it_sql_int(s->conn[0], sql);
    release(s);
    return n;
}

/* A year's close of a month, with its fault: none, a full folder (exit 1,
 * nothing committed, nothing left), killed at a stage (before the COMMIT
 * nothing is closed; after it the files wait in the staging folder and the
 * next close publishes them), the connection cut before the COMMIT (exit 1,
 * not closed), or the COMMIT's answer lost (the close finds out on a new
 * connection that it committed, and publishes: exit 0). Then closed exactly
 * once, its files in out/YYYY-MM, no staging folder left. */
static void year_close(struct sim *s, struct step *st, const char *out, int month)
{
    enum { PLAIN, FULL, KILLED, CUT, LOST } mode = PLAIN;
    uint64_t r = next(s) % 100;
    if (month == s->kill_month)
        mode = KILLED;
    else if (month == s->lost_month)
        mode = LOST;
    else
        mode = r < 12 ? FULL : r < 22 ? KILLED : r < 28 ? CUT : r < 36 ? LOST : PLAIN;
    static const char *const stages[] = {"files", "commit", "publish"};
    const char *stage = mode == KILLED ? stages[next(s) % 3] : "commit";
    char per[16], folder[4300], staging[4300], summary[4400], flog[4300];
    br_period_format(st->period, per, sizeof(per));
    snprintf(folder, sizeof(folder), "%s/%s", out, per);
    snprintf(staging, sizeof(staging), "%s/.%s.closing", out, per);
    snprintf(summary, sizeof(summary), "%s/summary-%.4s%.2s.xlsx", folder, per, per + 5);
    snprintf(flog, sizeof(flog), "%s.close", s->log);
    unlink(flog);
    const char *args[] = {"close", "--period", per,       "--early", "--out",
                          out,     "--seller", s->seller, NULL};
    int rc = 0;
    if (mode == FULL) {
        rc = run(s, s->db, st, NULL, NULL, out, true);
        if (rc != 1)
            fail_log(s, s->log, "a close into a full folder did not exit 1", rc);
        if (closes_of(s, per) != 0 || exists(folder) || exists(staging))
            fail_msg("seed %llu: a close into a full folder committed or left files",
                     (unsigned long long)s->seed);
    } else if (mode == KILLED || mode == CUT) {
        char pause[64];
        snprintf(pause, sizeof(pause), "BILLRUN_TEST_PAUSE=%s:%d", stage, mode == CUT ? 1 : 60);
        const char *env[] = {pause, NULL};
        pid_t pid = s->child = it_billrun_spawn(s->db, flog, args, env);
        int status;
        if (!wait_pause(pid, flog, &status)) {
            s->child = 0;
            fail_log(s, flog, "a close ended before its stage", exit_code(status));
        }
        if (mode == CUT) {
            s->conn[0] = it_db_connect(s->db);
            it_sql_int(s->conn[0],
                       "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                       "application_name = 'billrun' AND datname = current_database()");
            release(s);
        } else {
            kill(pid, SIGKILL);
        }
        rc = it_wait(pid);
        s->child = 0;
        bool committed = mode == KILLED && strcmp(stage, "publish") == 0;
        if (mode == CUT && (rc != 1 || !log_has(flog, "was not closed, nothing was committed")))
            fail_log(s, flog, "a close cut before its COMMIT did not say it was not closed", rc);
        if (closes_of(s, per) != (committed ? 1 : 0))
            fail_log(s, flog, "a killed close left the wrong number of closes", rc);
        if (committed && (exists(folder) || !exists(staging)))
            fail_msg("seed %llu: a close killed before publishing has no staging folder",
                     (unsigned long long)s->seed);
        if (mode == CUT && exists(staging))
            fail_msg("seed %llu: a close cut before its COMMIT left its staging folder",
                     (unsigned long long)s->seed);
        s->close_faults++;
        s->faulted = true;
        if (committed) /* closed: the next close only publishes its files */
            record(s, STEP_CLOSE, NULL, st->as_of, st->period);
        check(s, mode == CUT ? "a close cut before its COMMIT" : "a killed close");
    } else if (mode == LOST) {
        const char *env[] = {"BILLRUN_TEST_FAULT=commit_lost", NULL};
        pid_t pid = s->child = it_billrun_spawn(s->db, flog, args, env);
        rc = it_wait(pid);
        s->child = 0;
        if (rc != 0 || !log_has(flog, "event=close_commit_recovered"))
            fail_log(s, flog, "a close whose COMMIT's answer was lost did not recover", rc);
        s->close_faults++;
    }
    if (mode != LOST) { /* the close, or the close again */
        rc = run(s, s->db, st, NULL, NULL, out, false);
        if (rc != 0 && rc != 3)
            fail_log(s, s->log, "a close failed", rc);
        if (mode == KILLED && strcmp(stage, "publish") == 0 &&
            !log_has(s->log, "event=close_files_completed"))
            fail_log(s, s->log, "the close after one killed before publishing did not complete it",
                     rc);
    }
    if (closes_of(s, per) != 1 || !exists(summary) || exists(staging))
        fail_msg("seed %llu: %s is not closed once with its files (%s)",
                 (unsigned long long)s->seed, per, mode == LOST ? "lost COMMIT" : stage);
    if (!(mode == KILLED && strcmp(stage, "publish") == 0))
        record(s, STEP_CLOSE, NULL, st->as_of, st->period);
    archive_holds_deliveries(s);
    check(s, "close");
}

static void simulate(struct sim *s)
{
    char out[4200];
    snprintf(out, sizeof(out), "%s/out", s->m.dir);
    for (int k = 0; k < s->m.nights; k++) {
        struct step st = {.kind = STEP_RUN, .as_of = it_month_as_of(&s->m, k)};
        if (s->year) {
            build_inbox(s, k, s->inbox);
            year_run(s, &st);
        } else {
            snprintf(st.inbox, sizeof(st.inbox), "%s/in%02d", s->m.dir, k);
            build_inbox(s, k, st.inbox);
            step(s, &st, out);
        }
        /* each month closed after the night that ends it */
        while (s->nclosed < s->months &&
               st.as_of >= br_period_start(&cal, s->first_period + s->nclosed + 1)) {
            struct step c = {
                .kind = STEP_CLOSE, .as_of = st.as_of, .period = s->first_period + s->nclosed};
            if (s->year)
                year_close(s, &c, out, s->nclosed);
            else
                step(s, &c, out);
            s->nclosed++;
        }
        if (k == s->m.nights / 2 || (k > 3 && chance(s, s->year ? 2 : 5))) {
            /* the missing account arrives */
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
    if (s->nclosed != s->months)
        fail_msg("seed %llu: %d of %d months closed", (unsigned long long)s->seed, s->nclosed,
                 s->months);
    if (s->year)
        archive_holds_deliveries(s);
}

static const char *const pipeline_knob = "BILLRUN_TEST_PIPELINE_MIN";

/* Records are delivered on a second thread (every file) in the simulation of
 * odd seeds and in the clean replay of even ones: the replay must agree. */
static void pipeline(const struct sim *s, bool clean)
{
    if ((s->seed % 2 == 1) != clean)
        setenv(pipeline_knob, "0", 1);
    else
        unsetenv(pipeline_knob);
}

/* The clean history: the same deliveries, in order, without a fault, into a
 * database of its own (a year's runs read a fresh copy of what the faulted
 * history's read, and archive it apart). */
static void clean_open(struct sim *s)
{
    snprintf(s->clean, sizeof(s->clean), "%s_clean", s->db);
    it_db_drop(s->clean);
    s->conn[0] = it_db_connect("postgres");
    char sql[256];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", s->clean);
    it_sql_try(s->conn[0], sql, (char[6]){0});
    release(s);
    assert_int_equal(it_billrun(s->clean, s->log, "db", "init", NULL), 0);
}

/* Gives the clean history the steps it has not had. */
static void replay(struct sim *s)
{
    char out[4200], inbox[4200], archive[4200];
    snprintf(out, sizeof(out), "%s/out-clean", s->m.dir);
    snprintf(inbox, sizeof(inbox), "%s/inbox-clean", s->m.dir);
    snprintf(archive, sizeof(archive), "%s/archive-clean", s->m.dir);
    if (s->replayed < s->nsteps)
        pipeline(s, true);
    for (; s->replayed < s->nsteps; s->replayed++) {
        const struct step *st = &s->steps[s->replayed];
        int rc;
        if (s->year && st->kind == STEP_RUN) {
            empty_dir(inbox);
            it_copy_dir(st->inbox, inbox);
            rc = run(s, s->clean, st, inbox, archive, out, false);
        } else {
            rc = run(s, s->clean, st, st->inbox, NULL, out, false);
        }
        if (rc != 0 && rc != 3)
            fail_log(s, s->log, "a clean replay step failed", rc);
    }
    pipeline(s, false);
}

/* The ledger equals, row for row, the clean history's after the same
 * deliveries. */
static void same_as_clean(struct sim *s, const char *what)
{
    replay(s);
    s->conn[0] = it_db_connect(s->db);
    s->conn[1] = it_db_connect(s->clean);
    char *x = s->text[0] = snapshot(s->conn[0]);
    char *y = s->text[1] = snapshot(s->conn[1]);
    if (strcmp(x, y) != 0) {
        s->text[2] = snapshot_diff(x, y);
        fail_msg("seed %llu, %s (step %d): the ledger differs from a clean replay (table: rows "
                 "md5, this history <> the clean one):\n%s",
                 (unsigned long long)s->seed, what, s->nsteps, s->text[2]);
    }
    release(s);
}

/* At the end: the same ledger as the clean history, and the same files in
 * each closed month's folder. */
static void replay_equals(struct sim *s)
{
    if (!s->clean[0])
        clean_open(s);
    replay(s);
    same_as_clean(s, "the end");
    for (int p = 0; p < s->months; p++) {
        char per[16], cmd[16384];
        br_period_format(s->first_period + p, per, sizeof(per));
        snprintf(cmd, sizeof(cmd), "[ \"$(ls -A '%s/out/%s')\" = \"$(ls -A '%s/out-clean/%s')\" ]",
                 s->m.dir, per, s->m.dir, per);
        sh(cmd);
    }
}

static bool year_mode; /* sim_test --year */

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
    s->year = year_mode;
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
    assert_true(br_period_parse("2026-11", 7, &s->first_period));
    if (s->year) { /* 2026-11 to 2027-10: a few accounts, a few rows a night */
        s->rng ^= 0x5945415259454152ULL;
        s->months = 12;
        it_month_make_from(&s->m, s->seed, 3 + (int)(next(s) % 4), br_days_from_civil(2026, 11, 1),
                           365, 1200 + (long)(next(s) % 1200), (int)(next(s) % 30));
        s->kill_month = (int)(next(s) % 12);
        s->lost_month = (s->kill_month + 1 + (int)(next(s) % 11)) % 12;
        snprintf(s->inbox, sizeof(s->inbox), "%s/inbox", s->m.dir);
        snprintf(s->archive, sizeof(s->archive), "%s/archive", s->m.dir);
        snprintf(s->keep, sizeof(s->keep), "%s/keep", s->m.dir);
        char cmd[16384];
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s'", s->inbox, s->keep);
        sh(cmd);
    } else {
        s->months = 1;
        it_month_make(&s->m, s->seed, 6 + (int)(next(s) % 6), 30, 2500 + (long)(next(s) % 3000),
                      (int)(next(s) % 30));
    }
    char tag[32];
    snprintf(tag, sizeof(tag), "sim%s%llu", s->year ? "y" : "", (unsigned long long)s->seed);
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
    if (s->year) /* compared with the clean history after every step */
        clean_open(s);
    pipeline(s, false);
    simulate(s);
    if (s->year)
        check(s, "the end"); /* verified once more */
    replay_equals(s);
    print_message("seed %llu%s: %d steps, %d faults, %d faulted closes, %ld files archived, all "
                  "invariants held\n",
                  (unsigned long long)s->seed, s->year ? " (year)" : "", s->nsteps, s->faults,
                  s->close_faults, s->archived);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--year") == 0) {
        year_mode = true;
        argc--;
        argv++;
    }
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
    int rc = _cmocka_run_group_tests(year_mode ? "simulator, a year" : "simulator", tests, n, NULL,
                                     NULL);
    free(tests);
    free(names);
    return n == 0 ? 1 : rc;
}
