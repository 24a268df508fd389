/* Structured logs: logfmt on stderr, one event per line. */
#ifndef BR_LOG_H
#define BR_LOG_H

#include <stdbool.h>

enum br_log_level { BR_LOG_ERROR = 0, BR_LOG_WARN, BR_LOG_INFO, BR_LOG_DEBUG };

/* Events above this level are dropped (default BR_LOG_INFO). */
void br_log_set_level(enum br_log_level level);
enum br_log_level br_log_get_level(void);

/* Writes `ts=... level=... event=<event> <kv>` where kv is printf-formatted
 * "key=value" pairs; use br_logq for values that may hold spaces or quotes. */
void br_log(enum br_log_level level, const char *event, const char *kv_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Quotes a value for logfmt into a rotating static buffer (valid for the next
 * 8 calls on this thread). */
const char *br_logq(const char *value);

/* "<N>", the syslog priority of level (3 error, 4 warn, 6 info, 7 debug),
 * when stderr is the systemd journal (JOURNAL_STREAM names it), else "":
 * what every line written to stderr starts with, so that the journal files
 * it at its priority. */
const char *br_log_prio(enum br_log_level level);

/* Whether the environment asks for the fault `name` to be simulated
 * (BILLRUN_TEST_FAULT=name): the crash and simulator tests' way to lose a
 * COMMIT's answer, which no real fault produces on demand. */
bool br_test_fault(const char *name);

/* Seconds on the monotonic clock (for durations in logs and summaries). */
double br_now_s(void);

#endif
