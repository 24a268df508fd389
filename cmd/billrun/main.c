/* billrun: the command line. Dispatches a verb from one table; each verb is
 * one file (cmd_*.c) that parses its options, calls lib/ and prints. */
#include "cli.h"

#include "core/log.h"
#include "ingest/csvread.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BILLRUN_VERSION
#define BILLRUN_VERSION "0.0.0"
#endif

const struct br_verb br_verbs[] = {
    {"db", cmd_db, "billrun db init [--tz-offset +08:00] [--late-days 62] [--db CONNINFO]",
     "create or upgrade the schema (idempotent)"},
    {"run", cmd_run,
     "billrun run --inbox DIR [--as-of TIME] [--future-as-of] [--archive DIR] "
     "[--max-memory SIZE] [--wait | --no-wait] [--lock-timeout SECONDS] [--threads N] "
     "[--metrics-file PATH]",
     "apply new inbox files, rate, post to the ledger"},
    {"reprocess", cmd_reprocess,
     "billrun reprocess [--inbox DIR] [--as-of TIME] [--future-as-of] [--max-memory SIZE] "
     "[--wait | --no-wait] "
     "[--lock-timeout SECONDS] [--threads N] "
     "[--metrics-file PATH]",
     "rate rejected rows again once their account or price has arrived"},
    {"close", cmd_close,
     "billrun close --period YYYY-MM --out DIR [--force] [--early] [--seller FILE] [--no-seller] "
     "[--lang zh|en|zh-en] [--no-pdf] [--wait | --no-wait] [--lock-timeout SECONDS] "
     "[--threads N] [--metrics-file PATH]",
     "close the month, write the XLSX invoices and their PDF copies"},
    {"invoices", cmd_invoices,
     "billrun invoices --period YYYY-MM --out DIR [--lang zh|en|zh-en] [--no-pdf] "
     "[--draft [--seller FILE]]",
     "write a closed period's XLSX and PDF again (same bytes); --draft: an open period's, "
     "marked DRAFT"},
    {"export", cmd_export, "billrun export --period YYYY-MM --out DIR [--chart-map FILE] [--bom]",
     "write the period's journal as voucher lines and its trial balance (CSV)"},
    {"verify", cmd_verify, "billrun verify [--metrics-file PATH]",
     "check the ledger's integrity; non-zero if broken"},
    {"explain", cmd_explain, "billrun explain --account ID --period YYYY-MM",
     "show how each invoice line was paid (the waterfall)"},
    {"ingest", cmd_ingest, "billrun ingest --inbox DIR [--tz-offset +08:00] [--rate [--as-of T]]",
     "read and validate an inbox without a database; print the ingest summary (and rate it)"},
    {NULL, NULL, NULL, NULL},
};

const struct br_verb *br_verb_find(const char *name)
{
    for (const struct br_verb *v = br_verbs; v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v;
    return NULL;
}

static void help(FILE *out)
{
    fprintf(out, "billrun %s: batch billing of GPU inference and object storage usage\n\n",
            BILLRUN_VERSION);
    fprintf(out, "Usage:\n");
    for (const struct br_verb *v = br_verbs; v->name; v++)
        fprintf(out, "  %s\n      %s\n", v->usage, v->summary);
    fprintf(out, "  billrun --help | --version\n\n"
                 "Every verb takes --help, --db CONNINFO (else libpq's PG* variables),\n"
                 "--quiet and --verbose (logs on stderr, logfmt).\n"
                 "Exit codes: 0 done; 3 done, but rows were rejected or files refused;\n"
                 "1 failed, nothing committed; 2 bad invocation.\n"
                 "See billrun(1) and README.md.\n");
}

int main(int argc, char **argv)
{
    /* Past a file size limit a write must fail (and the file be removed), not
     * kill the process half way. */
    signal(SIGXFSZ, SIG_IGN);
    /* For tests: the file size from which records are delivered on a second
     * thread (0: every file), so small inboxes cover that path too. */
    const char *pm = getenv("BILLRUN_TEST_PIPELINE_MIN");
    if (pm != NULL && *pm != '\0') {
        char *end;
        unsigned long long v = strtoull(pm, &end, 10);
        if (*end == '\0')
            br_csv_set_pipeline_min(v);
    }
    if (argc < 2) {
        fprintf(stderr, "%susage: billrun <verb> [options]   (billrun --help lists the verbs)\n",
                br_log_prio(BR_LOG_ERROR));
        return BR_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        help(stdout);
        return BR_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("billrun %s\n", BILLRUN_VERSION);
        return BR_EXIT_OK;
    }
    const struct br_verb *v = br_verb_find(argv[1]);
    if (v == NULL) {
        fprintf(stderr,
                "%sbillrun: unknown verb '%s'\n%susage: billrun <verb> [options]   "
                "(billrun --help lists the verbs)\n",
                br_log_prio(BR_LOG_ERROR), argv[1], br_log_prio(BR_LOG_ERROR));
        return BR_EXIT_USAGE;
    }
    struct br_cli cli = {.prog = "billrun", .threads = 2};
    return v->fn(&cli, argc - 2, argv + 2);
}
