/* logfmt logger. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum br_log_level log_level = BR_LOG_INFO;

void br_log_set_level(enum br_log_level level)
{
    log_level = level;
}

enum br_log_level br_log_get_level(void)
{
    return log_level;
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* 1 when stderr is the journal's stream: JOURNAL_STREAM ("device:inode",
 * set by systemd for a unit's stdout and stderr) names stderr's file. */
static int to_journal(void)
{
    static int known = -1;
    if (known >= 0)
        return known;
    known = 0;
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0)
        known = (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
    return known;
}

bool br_test_fault(const char *name)
{
    const char *f = getenv("BILLRUN_TEST_FAULT");
    return f != NULL && strcmp(f, name) == 0;
}

const char *br_log_prio(enum br_log_level level)
{
    static const char *const prio[] = {"<3>", "<4>", "<6>", "<7>"};
    return to_journal() ? prio[level] : "";
}

void br_log(enum br_log_level level, const char *event, const char *kv_fmt, ...)
{
    if (level > log_level)
        return;
    char line[4096];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n =
        snprintf(line, sizeof(line), "%sts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s",
                 br_log_prio(level), tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_names[level], event);
    if (n < 0)
        return;
    if (kv_fmt != NULL && kv_fmt[0] != '\0' && (size_t)n < sizeof(line) - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, kv_fmt);
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n, kv_fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m;
        if ((size_t)n >= sizeof(line) - 1)
            n = (int)sizeof(line) - 2;
    }
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}

const char *br_logq(const char *value)
{
    static _Thread_local char bufs[8][512];
    static _Thread_local unsigned next;
    char *b = bufs[next++ % 8];
    size_t o = 0;
    int plain = value[0] != '\0';
    for (const char *p = value; *p; p++)
        if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20)
            plain = 0;
    if (plain) {
        snprintf(b, 512, "%s", value);
        return b;
    }
    b[o++] = '"';
    for (const char *p = value; *p && o < 505; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            b[o++] = '\\';
            b[o++] = (char)c;
        } else if (c == '\n') {
            b[o++] = '\\';
            b[o++] = 'n';
        } else if (c < 0x20) {
            o += (size_t)snprintf(b + o, 512 - o, "\\x%02x", c);
        } else {
            b[o++] = (char)c;
        }
    }
    b[o++] = '"';
    b[o] = '\0';
    return b;
}

double br_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
