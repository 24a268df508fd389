/* A generated month delivered night by night: billrun-gen's output split
 * into one inbox folder per UTC day, as a daily exporter delivers it (orders
 * by the day of their order_time, running intervals cut at midnight). */
#ifndef BR_MONTH_H
#define BR_MONTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct it_month {
    char *dir;      /* owns everything below */
    char all[4096]; /* every file of the month (the one-run inbox) */
    int64_t first;  /* local day number of the first day (UTC days here) */
    int nights;     /* nights with files: first .. first + nights - 1 */
};

/* Generates `days` days from 2026-11-01 for `accounts` accounts, about
 * `rows` usage rows, with `bad_permille` bad rows, seeded. */
void it_month_make(struct it_month *m, uint64_t seed, int accounts, int days, long rows,
                   int bad_permille);
/* The same from another first day (a day number, br_days_from_civil): a
 * year is it_month_make_from(m, seed, a, first, 365, rows, bad). */
void it_month_make_from(struct it_month *m, uint64_t seed, int accounts, int64_t first, int days,
                        long rows, int bad_permille);
/* The files of night k (0-based): names only (caller frees each and the
 * array); night 0 also holds the accounts and prices files. */
char **it_month_night(const struct it_month *m, int k, size_t *n);
/* The instant the night's run is made as of (the end of its UTC day). */
int64_t it_month_as_of(const struct it_month *m, int k);
void it_month_free(struct it_month *m);

#endif
