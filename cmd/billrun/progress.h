/* A progress line for long stages, drawn in place (\r) on a terminal: the
 * stage, a bar and the file being read while the inbox is read, a spinner
 * otherwise, and the time spent. Never written when the stream is not a
 * terminal, so it stays out of logs and pipes. */
#ifndef BR_PROGRESS_H
#define BR_PROGRESS_H

#include "core/status.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The line's longest width: log lines (logfmt, 61 columns and more) that
 * follow a drawn line cover it whole. */
#define BR_PROGRESS_COLS_MAX 60

/* What a sampler reports: the fraction done of the current stage as
 * done/total (total 0: unknown), and the item being worked on. */
struct br_progress_view {
    const char *stage;
    uint64_t done, total;
    size_t item, items;    /* 1-based item number (0: none) of items */
    const char *item_name; /* may be NULL */
    uint64_t elapsed_ms;
    unsigned frame; /* spinner frame */
};

/* Polled by the drawing thread, at most ~10 times a second: fills the done,
 * total and item fields of v. */
typedef void (*br_progress_sample_fn)(void *ctx, struct br_progress_view *v);

struct br_progress {
    int fd; /* the terminal (stderr) */
    bool on;
    bool drawn; /* a line is on the screen */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stop;
    char stage[24];
    int64_t t0_ms; /* monotonic */
    br_progress_sample_fn sample;
    void *sample_ctx;
    _Atomic uint64_t added; /* br_progress_add, when no sampler */
    uint64_t total;         /* of br_progress_add's stage */
    unsigned frame;
};

/* True when a progress line belongs on fd: it is a terminal, TERM is not
 * "dumb" and the user did not ask for --quiet. */
bool br_progress_wanted(int fd, bool quiet);

/* Starts the drawing thread when `on` (else every other call does nothing).
 * Nothing is drawn in the first half second, so short runs show no line. */
void br_progress_start(struct br_progress *p, int fd, bool on);

/* Enters a stage. sample (may be NULL: a spinner, or the total of
 * br_progress_add when total > 0) must stay valid until the next stage or
 * br_progress_stop; stage is copied. */
void br_progress_stage(struct br_progress *p, const char *stage, uint64_t total,
                       br_progress_sample_fn sample, void *ctx);

/* Counts n more units done in the current stage (any thread). */
void br_progress_add(struct br_progress *p, uint64_t n);

/* Stops the thread and erases the line. Call before printing anything else
 * to the terminal (the summary, an error). Safe to call twice. */
void br_progress_stop(struct br_progress *p);

/* Formats the line of v into buf (at most cols - 1 columns, and at most
 * BR_PROGRESS_COLS_MAX); returns its length. Pure: for the tests. */
size_t br_progress_format(char *buf, size_t size, const struct br_progress_view *v, size_t cols);

/* ---- the inbox sampler ------------------------------------------------------ */

/* The files a run will read from an inbox (named <kind>-*.csv), in the order
 * it reads them, with their sizes; sampled from the read offsets of the
 * process's open files (/proc/self/fdinfo), so the engine needs no hook.
 * A run reads each new file twice (hash, then parse): the fraction counts
 * both passes. */
struct br_progress_inbox {
    char dir[4096]; /* real path */
    size_t n;
    char **names;    /* owned; in read order */
    uint64_t *size;  /* bytes */
    uint64_t *start; /* bytes of the files before it */
    uint64_t total;
    /* drawing-thread state */
    size_t cur;
    unsigned pass;
    uint64_t last_pos, shown;
};

/* Lists dir; BR_OK with n = 0 when it cannot be read (the run will say why). */
enum br_status br_progress_inbox_open(struct br_progress_inbox *in, const char *dir);
void br_progress_inbox_sample(void *ctx, struct br_progress_view *v);
void br_progress_inbox_free(struct br_progress_inbox *in);

#endif
