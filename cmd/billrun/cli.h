/* Shared helpers of the billrun verbs: options, output, exit codes. */
#ifndef BR_CLI_H
#define BR_CLI_H

#include "core/status.h"
#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

/* Exit codes of interfaces.md. */
enum {
    BR_EXIT_OK = 0,
    BR_EXIT_FAILED = 1,
    BR_EXIT_USAGE = 2,
    BR_EXIT_REJECTS = 3,
};

/* Options every verb takes. */
struct br_cli {
    const char *db;      /* --db CONNINFO */
    const char *metrics; /* --metrics-file PATH */
    int threads;
    const char *prog;
};

/* A verb: one row of the dispatch table, one file. */
struct br_verb {
    const char *name;
    int (*fn)(struct br_cli *cli, int argc, char **argv);
    const char *usage;
    const char *summary;
};

/* Parses the common options out of argv (in place); returns false and prints
 * a usage error when an option is unknown or lacks its value. `extra` lists
 * the verb's own options that take a value ("--inbox", ...), NULL-ended;
 * `flags` its options without a value. */
bool br_cli_options(struct br_cli *cli, const struct br_verb *verb, int *argc, char **argv,
                    const char *const *extra, const char *const *flags);
/* The value of a verb option after br_cli_options (NULL when absent). */
const char *br_cli_opt(int argc, char **argv, const char *name);
bool br_cli_flag(int argc, char **argv, const char *name);

int br_cli_usage_error(const struct br_verb *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int br_cli_fail(const struct br_error *err);
void br_cli_verb_help(const struct br_verb *verb);

enum br_status br_cli_connect(const struct br_cli *cli, struct br_db **db, struct br_error *err);

/* The waiting options of a writing verb (--wait, --no-wait, --lock-timeout
 * SECONDS) after br_cli_options: *used is how many argv slots they took.
 * False (after printing a usage error) when they contradict each other or
 * the timeout is not 1 to 86400. */
bool br_cli_wait(const struct br_verb *verb, int argc, char **argv, bool *no_wait, int *timeout_s,
                 int *used);

/* BILLRUN_TEST_PAUSE=stage:seconds holds a writing verb (inside its
 * transaction) when it reaches that stage, for the crash, concurrency and
 * simulator tests. */
void br_cli_test_pause(const char *stage);

/* Parses an --as-of value: RFC 3339 or "now". */
bool br_cli_time(const char *s, int64_t *out);

int cmd_db(struct br_cli *cli, int argc, char **argv);
int cmd_run(struct br_cli *cli, int argc, char **argv);
int cmd_reprocess(struct br_cli *cli, int argc, char **argv);
int cmd_ingest(struct br_cli *cli, int argc, char **argv);
int cmd_close(struct br_cli *cli, int argc, char **argv);
int cmd_invoices(struct br_cli *cli, int argc, char **argv);
int cmd_verify(struct br_cli *cli, int argc, char **argv);
int cmd_explain(struct br_cli *cli, int argc, char **argv);

extern const struct br_verb br_verbs[];
const struct br_verb *br_verb_find(const char *name);

#endif
