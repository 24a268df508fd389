/* Status names, error records and the release-build assertion. */
#include "status.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static const char *const status_names[] = {
    [BR_OK] = "ok",
    [BR_ERR_NOMEM] = "nomem",
    [BR_ERR_IO] = "io",
    [BR_ERR_INPUT] = "input",
    [BR_ERR_OVERFLOW] = "overflow",
    [BR_ERR_DB] = "db",
    [BR_ERR_USAGE] = "usage",
    [BR_ERR_LOCKED] = "locked",
    [BR_ERR_STATE] = "state",
    [BR_ERR_VERIFY] = "verify",
    [BR_ERR_XLSX] = "xlsx",
};
static_assert(sizeof(status_names) / sizeof(status_names[0]) == BR_STATUS_COUNT,
              "every status has a name");

const char *br_status_str(enum br_status status)
{
    if ((unsigned)status >= BR_STATUS_COUNT)
        return "unknown";
    return status_names[status];
}

enum br_status br_fail(struct br_error *err, enum br_status status, const char *fmt, ...)
{
    if (err != NULL) {
        /* through a copy: callers may pass err->msg itself as an argument */
        char msg[sizeof(err->msg)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        memcpy(err->msg, msg, sizeof(msg));
        err->status = status;
    }
    return status;
}

void br_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "billrun: internal error: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
