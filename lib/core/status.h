/* The library's one status enum and its error detail record. */
#ifndef BR_STATUS_H
#define BR_STATUS_H

#include <stddef.h>

/* Numbers are frozen once used: append only. */
enum br_status {
    BR_OK = 0,
    BR_ERR_NOMEM = 1,    /* an allocation failed or a ceiling was hit */
    BR_ERR_IO = 2,       /* reading or writing a file failed */
    BR_ERR_INPUT = 3,    /* input that cannot be processed at all */
    BR_ERR_OVERFLOW = 4, /* an exact integer computation would overflow */
    BR_ERR_DB = 5,       /* the database refused or went away */
    BR_ERR_USAGE = 6,    /* bad invocation */
    BR_ERR_LOCKED = 7,   /* another run holds the lock */
    BR_ERR_STATE = 8,    /* the request does not fit the database's state */
    BR_ERR_VERIFY = 9,   /* an integrity check failed */
    BR_ERR_XLSX = 10,    /* libxlsxwriter reported an error */
    BR_STATUS_COUNT
};

/* A status with a human-readable message; functions that can fail fill one. */
struct br_error {
    enum br_status status;
    char msg[768];
};

/* The name of a status, e.g. "nomem". Never NULL. */
const char *br_status_str(enum br_status status);

/* Sets err (if not NULL) and returns status. printf-style message. */
enum br_status br_fail(struct br_error *err, enum br_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Asserts that stay in release builds (an invariant is broken: a bug). */
#define BR_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            br_assert_fail(#cond, __FILE__, __LINE__);                                             \
    } while (0)

/* A place the code never reaches (a switch over every enumerator...). */
#define BR_UNREACHABLE() br_assert_fail("unreachable", __FILE__, __LINE__)

_Noreturn void br_assert_fail(const char *expr, const char *file, int line);

#endif
