/* billrun run, billrun reprocess */
#include "cli.h"

#include "core/log.h"
#include "core/mem.h"
#include "core/money.h"
#include "batch/run.h"
#include "ingest/ingest.h"
#include "metrics.h"
#include "progress.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const char *const status_names[] = {"applied", "refused", "skipped", "refused"};

static void money(int64_t e8, char *b, size_t n)
{
    br_e8_format(e8, b, n);
}

static void print_summary(const struct br_run_summary *s, int64_t as_of, int32_t tz,
                          const char *verb)
{
    char at[40];
    br_time_format(as_of, tz, at, sizeof(at));
    if (s->batch_id)
        printf("billrun %s: batch %lld committed, as of %s\n", verb, (long long)s->batch_id, at);
    else
        printf("billrun %s: nothing new to post, as of %s (no batch written)\n", verb, at);
    printf("files     %zu seen: %zu applied, %zu skipped (already applied), %zu refused", s->nfiles,
           s->applied, s->skipped, s->refused);
    if (s->refused_before > 0)
        printf(", %zu refused before and still in the inbox", s->refused_before);
    printf("\n");
    /* one line per file read or refused; skipped files (an inbox keeps
     * what it applied) are only counted, so the summary stays one screen */
    for (size_t i = 0; i < s->nfiles; i++) {
        const struct br_run_file *f = &s->files[i];
        if (f->status == BR_FILE_SKIPPED)
            continue;
        bool refused = f->status == BR_FILE_REFUSED || f->status == BR_FILE_REFUSED_BEFORE;
        printf("  %-32s %-8s %-8s %9llu rows %9llu accepted %7llu rejected%s%s%s\n", f->name,
               br_kind_str(f->kind), status_names[f->status], (unsigned long long)f->rows,
               (unsigned long long)f->accepted, (unsigned long long)f->rejected,
               refused ? "  " : "", refused ? br_reason_str(f->reason) : "",
               f->status == BR_FILE_REFUSED_BEFORE ? " (refused before, not read again)" : "");
    }
    printf("rows      %llu = %llu accepted + %llu rejected\n", (unsigned long long)s->rows,
           (unsigned long long)s->accepted, (unsigned long long)s->rejected);
    char g[32], a[BR_SRC_COUNT][32], p[32], r[32], b[32];
    money(s->gross_e8, g, sizeof(g));
    for (int k = 0; k < BR_SRC_COUNT; k++)
        money(s->alloc_e8[k], a[k], sizeof(a[k]));
    printf("rated     %llu pieces of %zu accounts, gross %s CNY\n", (unsigned long long)s->pieces,
           s->accounts, g);
    printf("paid by   free %s, plans %s, coupons %s, balance %s, outstanding %s\n", a[0], a[1],
           a[2], a[3], a[4]);
    money(s->posted_e8, p, sizeof(p));
    money(s->recognised_e8, r, sizeof(r));
    money(s->breakage_e8, b, sizeof(b));
    printf("postings  %zu entries, %zu transfers, %s CNY\n", s->entries, s->transfers, p);
    printf("plans     straight-line recognised %s, %zu expired (breakage %s)\n", r, s->expiries, b);
    printf("time      ingest %.2f s, rate %.2f s, post %.2f s, total %.2f s\n", s->t_ingest,
           s->t_rate, s->t_post, s->t_total);
    if (s->archived > 0)
        printf("archived  %zu files moved out of the inbox\n", s->archived);
    if (s->archive_error[0] != '\0')
        printf("archive   stopped: %s (the batch is committed; the next run moves the rest)\n",
               s->archive_error);
}

/* The progress line of a run and the inbox it samples. */
struct stages {
    struct br_progress progress;
    struct br_progress_inbox inbox;
};

/* Logs each stage and moves the progress line to it (a bar over the inbox's
 * bytes while ingesting, a spinner otherwise); BILLRUN_TEST_PAUSE=stage:seconds
 * holds the run (inside its transaction) at that stage, for the crash and
 * concurrency tests. */
static void on_stage(void *ctx, const char *stage)
{
    struct stages *sg = ctx;
    br_log(BR_LOG_INFO, "stage", "stage=%s", stage);
    bool bar = strcmp(stage, "ingest") == 0 && sg->inbox.n > 0;
    br_progress_stage(&sg->progress, stage, 0, bar ? br_progress_inbox_sample : NULL,
                      bar ? &sg->inbox : NULL);
    br_cli_test_pause(stage);
}

/* Writes --metrics-file. The batch is committed (or rolled back) whatever
 * happens here, so a file that cannot be written is a warning on stderr and
 * leaves the exit code alone; its own error never replaces the run's. */
static void write_metrics(const struct br_cli *cli, const struct br_metrics *m)
{
    struct br_error err = {0};
    if (cli->metrics == NULL || br_metrics_write(cli->metrics, m, &err) == BR_OK)
        return;
    br_log(BR_LOG_WARN, "metrics_not_written", "msg=%s", br_logq(err.msg));
    fprintf(stderr, "%sbillrun: warning: %s\n", br_log_prio(BR_LOG_WARN), err.msg);
}

/* A size in bytes, with K, M, G or T (powers of 1024); false if malformed
 * or 0. */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno != 0 || s[0] == '-')
        return false;
    int shift = 0;
    if (*end != '\0') {
        const char *units = "KMGT";
        const char *u = strchr(units, *end);
        if (u == NULL || end[1] != '\0')
            return false;
        shift = 10 * (int)(u - units + 1);
    }
    if (v == 0 || v > (UINT64_MAX >> shift))
        return false;
    *out = (uint64_t)v << shift;
    return true;
}

static int run_common(struct br_cli *cli, int argc, char **argv, bool reprocess)
{
    const struct br_verb *v = br_verb_find(reprocess ? "reprocess" : "run");
    static const char *const opts[] = {"--inbox",   "--as-of",      "--lock-timeout",
                                       "--archive", "--max-memory", NULL};
    static const char *const flags[] = {"--wait", "--no-wait", "--future-as-of", NULL};
    if (!br_cli_options(cli, v, &argc, argv, opts, flags))
        return BR_EXIT_USAGE;
    const char *inbox = br_cli_opt(argc, argv, "--inbox");
    const char *asof = br_cli_opt(argc, argv, "--as-of");
    bool future = br_cli_flag(argc, argv, "--future-as-of");
    const char *archive = br_cli_opt(argc, argv, "--archive");
    const char *max_memory = br_cli_opt(argc, argv, "--max-memory");
    bool no_wait;
    int lock_timeout, waits;
    if (!br_cli_wait(v, argc, argv, &no_wait, &lock_timeout, &waits))
        return BR_EXIT_USAGE;
    int expect = (inbox ? 2 : 0) + (asof ? 2 : 0) + waits + (future ? 1 : 0) + (archive ? 2 : 0) +
                 (max_memory ? 2 : 0);
    uint64_t max_bytes = 0;
    if (max_memory && !parse_size(max_memory, &max_bytes))
        return br_cli_usage_error(
            v, "--max-memory takes a size such as 8G, 512M or 1048576, not %s", max_memory);
    if (archive && !inbox)
        return br_cli_usage_error(v, "--archive needs --inbox");
    if (argc != expect)
        return br_cli_usage_error(v, "unexpected argument %s", argv[0]);
    if (!reprocess && inbox == NULL)
        return br_cli_usage_error(v, "--inbox DIR is required");
    struct br_run_opts o = {.inbox = inbox,
                            .no_wait = no_wait,
                            .lock_timeout_s = lock_timeout,
                            .reprocess = reprocess,
                            .future_as_of = future,
                            .archive = archive,
                            .max_memory = max_bytes,
                            .threads = cli->threads,
                            .version = BILLRUN_VERSION,
                            .on_stage = on_stage};
    struct stages sg;
    memset(&sg, 0, sizeof(sg));
    o.stage_ctx = &sg;
    o.as_of = (int64_t)time(NULL);
    if (asof && !br_cli_time(asof, &o.as_of))
        return br_cli_usage_error(v, "--as-of takes an RFC 3339 time (or now), not %s", asof);
    struct br_db *db = NULL;
    struct br_error err = {0};
    struct br_run_summary sum;
    memset(&sum, 0, sizeof(sum));
    bool show = br_progress_wanted(STDERR_FILENO, br_log_get_level() < BR_LOG_INFO);
    if (show && inbox && br_progress_inbox_open(&sg.inbox, inbox) != BR_OK)
        show = false; /* out of memory listing the inbox: the run says so itself */
    br_progress_start(&sg.progress, STDERR_FILENO, show);
    enum br_status st = br_cli_connect(cli, &db, &err);
    if (st == BR_OK)
        st = br_run(db, &o, &sum, &err);
    br_db_close(db);
    br_progress_stop(&sg.progress);
    br_progress_inbox_free(&sg.inbox);
    struct br_metrics m = {.verb = v->name, .ok = st == BR_OK, .run = &sum};
    write_metrics(cli, &m);
    if (st != BR_OK) {
        br_run_summary_free(&sum);
        return br_cli_fail(&err);
    }
    print_summary(&sum, o.as_of, sum.tz_offset_s, v->name);
    br_log(BR_LOG_INFO, "run_done",
           "batch=%lld files=%zu rows=%llu accepted=%llu rejected=%llu refused=%zu seconds=%.3f "
           "peak_rss_kib=%ld",
           (long long)sum.batch_id, sum.nfiles, (unsigned long long)sum.rows,
           (unsigned long long)sum.accepted, (unsigned long long)sum.rejected, sum.refused,
           sum.t_total, br_peak_rss_kib());
    int code = (sum.rejected > 0 || sum.refused > 0 || sum.refused_before > 0) ? BR_EXIT_REJECTS
                                                                               : BR_EXIT_OK;
    br_run_summary_free(&sum);
    return code;
}

int cmd_run(struct br_cli *cli, int argc, char **argv)
{
    return run_common(cli, argc, argv, false);
}

int cmd_reprocess(struct br_cli *cli, int argc, char **argv)
{
    return run_common(cli, argc, argv, true);
}
