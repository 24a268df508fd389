/* billrun close, billrun invoices */
#include "cli.h"

#include "core/btime.h"
#include "core/log.h"
#include "core/money.h"
#include "batch/close.h"
#include "batch/draft.h"
#include "metrics.h"
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Writes --metrics-file. The close is committed (or rolled back) whatever
 * happens here, so a file that cannot be written is a warning on stderr and
 * leaves the exit code alone; its own error never replaces the close's. */
static void write_metrics(const struct br_cli *cli, const struct br_metrics *m)
{
    struct br_error err = {0};
    if (cli->metrics == NULL || br_metrics_write(cli->metrics, m, &err) == BR_OK)
        return;
    br_log(BR_LOG_WARN, "metrics_not_written", "msg=%s", br_logq(err.msg));
    fprintf(stderr, "%sbillrun: warning: %s\n", br_log_prio(BR_LOG_WARN), err.msg);
}

static void print_drafts(const char *per, const char *out, const struct br_draft_summary *s)
{
    if (s->invoices == 0) {
        printf("billrun invoices: %s (open): no usage, order or adjustment yet, so no invoice to "
               "draft: 0 DRAFT invoices written\n",
               per);
        return;
    }
    char due[32], rd[32], as_of[40] = "no run yet";
    br_e8_format(s->amount_due_e8, due, sizeof(due));
    br_e8_format(s->round_down_e8, rd, sizeof(rd));
    if (s->last_as_of != INT64_MIN)
        br_time_format(s->last_as_of, s->tz_offset_s, as_of, sizeof(as_of));
    printf("billrun invoices: %s (open): %zu DRAFT invoices written in %s "
           "(DRAFT-%.4s%.2s_*.xlsx), amount due %s CNY, round-down %s CNY, as if closed now\n"
           "note      drafts are not invoices: no number was given and nothing was stored; they "
           "hold every batch committed so far (the last run as of %s). `billrun close --period "
           "%s` numbers and writes the finals.\n",
           per, s->invoices, out, per, per + 5, due, rd, as_of, per);
}

/* billrun invoices --draft: the open period's invoices as a close would
 * issue them now, marked DRAFT, written into a folder that holds no finals. */
static int draft(struct br_cli *cli, const struct br_verb *v, const char *per, const char *out,
                 const char *seller)
{
    struct br_draft_opts o = {.out_dir = out, .seller_conf = seller};
    if (!br_period_parse(per, strlen(per), &o.period))
        return br_cli_usage_error(v, "--period takes YYYY-MM, not %s", per);
    struct br_db *db = NULL;
    struct br_error err = {0};
    struct br_draft_summary s;
    enum br_status st = br_cli_connect(cli, &db, &err);
    if (st == BR_OK)
        st = br_invoices_draft(db, &o, &s, &err);
    br_db_close(db);
    if (st != BR_OK)
        return br_cli_fail(&err);
    print_drafts(per, out, &s);
    br_log(BR_LOG_INFO, "invoices_draft_done", "period=%s invoices=%zu", per, s.invoices);
    return BR_EXIT_OK;
}

static void close_stage(void *ctx, const char *stage)
{
    (void)ctx;
    br_log(BR_LOG_INFO, "stage", "stage=%s", stage);
    br_cli_test_pause(stage);
}

static int close_common(struct br_cli *cli, int argc, char **argv, bool rewrite)
{
    const struct br_verb *v = br_verb_find(rewrite ? "invoices" : "close");
    static const char *const opts[] = {"--period", "--out",          "--seller",
                                       "--lang",   "--lock-timeout", NULL};
    static const char *const flags[] = {"--force",   "--early",  "--no-seller", "--wait",
                                        "--no-wait", "--no-pdf", "--draft",     NULL};
    if (!br_cli_options(cli, v, &argc, argv, opts, flags))
        return BR_EXIT_USAGE;
    const char *per = br_cli_opt(argc, argv, "--period");
    const char *out = br_cli_opt(argc, argv, "--out");
    const char *seller = br_cli_opt(argc, argv, "--seller");
    bool force = br_cli_flag(argc, argv, "--force");
    bool early = br_cli_flag(argc, argv, "--early");
    bool is_draft = br_cli_flag(argc, argv, "--draft");
    bool no_seller = br_cli_flag(argc, argv, "--no-seller");
    bool no_pdf = br_cli_flag(argc, argv, "--no-pdf");
    const char *lang = br_cli_opt(argc, argv, "--lang");
    bool no_wait;
    int lock_timeout, waits;
    if (!br_cli_wait(v, argc, argv, &no_wait, &lock_timeout, &waits))
        return BR_EXIT_USAGE;
    if (per == NULL || out == NULL)
        return br_cli_usage_error(v, "--period YYYY-MM and --out DIR are required");
    if (argc != 4 + (seller ? 2 : 0) + (lang ? 2 : 0) + force + waits + early + no_seller + no_pdf +
                    is_draft ||
        (rewrite && (force || (seller && !is_draft) || early || waits || no_seller)) ||
        (!rewrite && is_draft) || (is_draft && (lang || no_pdf)))
        return br_cli_usage_error(v, "unexpected argument");
    if (is_draft)
        return draft(cli, v, per, out, seller);
    struct br_close_opts o = {.out_dir = out,
                              .force = force,
                              .early = early,
                              .no_seller = no_seller,
                              .on_stage = close_stage,
                              .no_wait = no_wait,
                              .lock_timeout_s = lock_timeout,
                              .threads = cli->threads,
                              .version = BILLRUN_VERSION,
                              .rewrite_only = rewrite,
                              .seller_conf = seller,
                              .no_pdf = no_pdf,
                              .lang_set = lang != NULL};
    if (lang != NULL && !br_lang_parse(lang, &o.lang))
        return br_cli_usage_error(v, "--lang takes zh, en or zh-en, not %s", lang);
    if (!br_period_parse(per, strlen(per), &o.period))
        return br_cli_usage_error(v, "--period takes YYYY-MM, not %s", per);
    struct br_db *db = NULL;
    struct br_error err = {0};
    struct br_close_summary s;
    memset(&s, 0, sizeof(s));
    struct br_progress progress; /* a spinner: the close has no stages to report */
    br_progress_start(&progress, STDERR_FILENO,
                      br_progress_wanted(STDERR_FILENO, br_log_get_level() < BR_LOG_INFO));
    br_progress_stage(&progress, v->name, 0, NULL, NULL);
    enum br_status st = br_cli_connect(cli, &db, &err);
    if (st == BR_OK)
        st = br_close(db, &o, &s, &err);
    br_db_close(db);
    br_progress_stop(&progress);
    struct br_metrics m = {.verb = v->name, .ok = st == BR_OK, .close = &s};
    write_metrics(cli, &m);
    if (st != BR_OK)
        return br_cli_fail(&err);
    char due[32], rd[32];
    br_e8_format(s.amount_due_e8, due, sizeof(due));
    br_e8_format(s.round_down_e8, rd, sizeof(rd));
    if (s.already_closed && s.files_completed)
        printf("billrun close: %s was already closed, but its files were missing: now in %s\n", per,
               s.folder);
    else if (s.already_closed)
        printf("billrun close: %s is already closed; nothing changed, no file rewritten "
               "(billrun invoices writes the workbooks again)\n",
               per);
    else if (rewrite)
        printf("billrun invoices: %s: %zu invoices and %zu notes written again, %zu files in "
               "%s\n",
               per, s.invoices, s.notes, s.files_written, s.folder);
    else
        printf("billrun close: %s closed in batch %lld: %zu invoices, %zu credit and debit "
               "notes, amount due %s CNY, round-down %s CNY\nfiles     %zu written in %s\n"
               "time      database %.2f s, files %.2f s, total %.2f s\n",
               per, (long long)s.batch_id, s.invoices, s.notes, due, rd, s.files_written, s.folder,
               s.t_db, s.t_files, s.t_total);
    if (!s.already_closed && !rewrite && s.early)
        printf("note      no run had reached the end of %s: usage of its last days that "
               "arrives later is billed in the next open period, flagged late\n",
               per);
    br_log(BR_LOG_INFO, rewrite ? "invoices_done" : "close_done",
           "period=%s invoices=%zu files=%zu seconds=%.3f", per, s.invoices, s.files_written,
           s.t_total);
    return BR_EXIT_OK;
}

int cmd_close(struct br_cli *cli, int argc, char **argv)
{
    return close_common(cli, argc, argv, false);
}

int cmd_invoices(struct br_cli *cli, int argc, char **argv)
{
    return close_common(cli, argc, argv, true);
}
