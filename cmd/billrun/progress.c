/* The progress line: a drawing thread that samples the current stage ten
 * times a second and redraws one line with \r, only on a terminal. */
#include "progress.h"

#include "batch/inbox.h"

#include "core/book.h"
#include "core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 100        /* at most ten lines a second */
#define QUIET_START_MS 500 /* short runs draw nothing */
#define BAR_CELLS 20

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool br_progress_wanted(int fd, bool quiet)
{
    const char *term = getenv("TERM");
    return !quiet && isatty(fd) && !(term != NULL && strcmp(term, "dumb") == 0);
}

/* ---- the line ----------------------------------------------------------------- */

static unsigned percent(uint64_t done, uint64_t total)
{
    BR_ASSERT(total > 0);
    if (done >= total)
        return 100;
    if (total > UINT64_MAX / 100)
        return (unsigned)(done / (total / 100));
    return (unsigned)(done * 100 / total);
}

size_t br_progress_format(char *buf, size_t size, const struct br_progress_view *v, size_t cols)
{
    BR_ASSERT(buf != NULL && size > 0);
    size_t width = BR_PROGRESS_COLS_MAX;
    if (cols > 0 && cols - 1 < width)
        width = cols - 1;
    if (width > size - 1)
        width = size - 1;
    uint64_t s = v->elapsed_ms / 1000;
    char t[32];
    if (s >= 3600)
        snprintf(t, sizeof(t), "%" PRIu64 ":%02u:%02u", s / 3600, (unsigned)(s / 60 % 60),
                 (unsigned)(s % 60));
    else
        snprintf(t, sizeof(t), "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
    char line[256];
    int n;
    if (v->total > 0) {
        unsigned pct = percent(v->done, v->total);
        char bar[BAR_CELLS + 1];
        for (unsigned i = 0; i < BAR_CELLS; i++)
            bar[i] = i < pct * BAR_CELLS / 100 ? '#' : '.';
        bar[BAR_CELLS] = '\0';
        n = snprintf(line, sizeof(line), "%-7.7s [%s] %3u%% %s", v->stage, bar, pct, t);
        if (n > 0 && v->items > 0 && v->item > 0)
            n += snprintf(line + n, sizeof(line) - (size_t)n, " %zu/%zu", v->item, v->items);
        /* the file's name when it fits whole */
        size_t name = v->item_name != NULL ? strlen(v->item_name) : 0;
        if (n > 0 && name > 0 && (size_t)n + 1 + name <= width &&
            (size_t)n + 1 + name < sizeof(line))
            n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", v->item_name);
    } else {
        static const char spin[] = "|/-\\";
        n = snprintf(line, sizeof(line), "%-7.7s %c %s", v->stage, spin[v->frame % 4], t);
    }
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len > sizeof(line) - 1)
        len = sizeof(line) - 1;
    if (len > width)
        len = width;
    memcpy(buf, line, len);
    buf[len] = '\0';
    return len;
}

/* ---- the drawing thread ------------------------------------------------------- */

static size_t term_cols(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static void write_all(int fd, const char *p, size_t n)
{
    for (int tries = 0; n > 0 && tries < 16; tries++) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno != EINTR)
            return; /* a terminal that went away: nothing to report it to */
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
    }
}

/* Draws the line (the mutex held). The cursor goes back to the line's start
 * so that a log line printed meanwhile overwrites it rather than follows it. */
static void draw_locked(struct br_progress *p)
{
    int64_t elapsed = now_ms() - p->t0_ms;
    if (elapsed < QUIET_START_MS || p->stage[0] == '\0')
        return;
    if (tcgetpgrp(p->fd) != getpgrp()) /* in the background: leave the terminal alone */
        return;
    struct br_progress_view v = {
        .stage = p->stage, .elapsed_ms = (uint64_t)elapsed, .frame = p->frame++};
    if (p->sample != NULL) {
        p->sample(p->sample_ctx, &v);
    } else if (p->total > 0) {
        v.done = atomic_load(&p->added);
        v.total = p->total;
    }
    char out[BR_PROGRESS_COLS_MAX + 16] = "\r\033[K";
    size_t n = 4 + br_progress_format(out + 4, sizeof(out) - 5, &v, term_cols(p->fd));
    out[n++] = '\r';
    write_all(p->fd, out, n);
    p->drawn = true;
}

static void *draw_loop(void *arg)
{
    struct br_progress *p = arg;
    pthread_mutex_lock(&p->mu);
    /* Runs until br_progress_stop sets stop and signals. */
    while (!p->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->wake, &p->mu, &ts);
        if (!p->stop)
            draw_locked(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

void br_progress_start(struct br_progress *p, int fd, bool on)
{
    memset(p, 0, sizeof(*p));
    p->fd = fd;
    p->t0_ms = now_ms();
    atomic_init(&p->added, 0);
    if (!on)
        return;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->on = pthread_create(&p->thread, NULL, draw_loop, p) == 0;
    if (!p->on) { /* no thread, no line: the run goes on without it */
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->mu);
    }
}

void br_progress_stage(struct br_progress *p, const char *stage, uint64_t total,
                       br_progress_sample_fn sample, void *ctx)
{
    if (!p->on)
        return;
    pthread_mutex_lock(&p->mu);
    snprintf(p->stage, sizeof(p->stage), "%s", stage);
    p->sample = sample;
    p->sample_ctx = ctx;
    p->total = total;
    atomic_store(&p->added, 0);
    pthread_mutex_unlock(&p->mu);
}

void br_progress_add(struct br_progress *p, uint64_t n)
{
    if (p->on)
        atomic_fetch_add(&p->added, n);
}

void br_progress_stop(struct br_progress *p)
{
    if (!p->on)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    if (p->drawn)
        write_all(p->fd, "\r\033[K", 4);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    p->on = false;
}

/* ---- the inbox sampler -------------------------------------------------------- */

enum br_status br_progress_inbox_open(struct br_progress_inbox *in, const char *dir)
{
    memset(in, 0, sizeof(*in));
    in->cur = SIZE_MAX;
    if (realpath(dir, in->dir) == NULL)
        return BR_OK;
    struct br_inbox list;
    struct br_error err;
    if (br_inbox_list(&list, in->dir, &err) != BR_OK) {
        br_inbox_free(&list);
        return err.status == BR_ERR_NOMEM ? BR_ERR_NOMEM : BR_OK; /* the run says why */
    }
    enum br_status st = BR_OK;
    if (list.n > 0) {
        in->names = br_calloc(list.n, sizeof(*in->names));
        in->size = br_calloc(list.n, sizeof(*in->size));
        in->start = br_calloc(list.n, sizeof(*in->start));
        if (in->names == NULL || in->size == NULL || in->start == NULL)
            st = BR_ERR_NOMEM;
    }
    for (size_t i = 0; i < list.n && st == BR_OK; i++) {
        in->names[i] = strdup(list.files[i].name);
        if (in->names[i] == NULL) {
            st = BR_ERR_NOMEM;
            break;
        }
        in->size[i] = list.files[i].bytes;
        in->start[i] = in->total;
        in->total += list.files[i].bytes;
        in->n++;
    }
    br_inbox_free(&list);
    if (st != BR_OK)
        br_progress_inbox_free(in);
    return st;
}

void br_progress_inbox_free(struct br_progress_inbox *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->names[i]);
    free(in->names);
    free(in->size);
    free(in->start);
    memset(in, 0, sizeof(*in));
    in->cur = SIZE_MAX;
}

static size_t inbox_find(const struct br_progress_inbox *in, const char *name)
{
    for (size_t i = 0; i < in->n; i++)
        if (strcmp(in->names[i], name) == 0)
            return i;
    return SIZE_MAX;
}

static bool fd_pos(const char *fd_name, uint64_t *pos)
{
    char path[300], text[512];
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", fd_name);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return false;
    ssize_t got = read(f, text, sizeof(text) - 1);
    close(f);
    if (got <= 0)
        return false;
    text[got] = '\0';
    return sscanf(text, "pos: %" SCNu64, pos) == 1;
}

/* The inbox file with the highest read order among the open files, and its
 * read offset; false when none is open. */
static bool inbox_open_file(const struct br_progress_inbox *in, size_t *k, uint64_t *pos)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return false;
    size_t dlen = strlen(in->dir);
    bool found = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char link[300], target[PATH_MAX];
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0 || (size_t)n <= dlen + 1)
            continue;
        target[n] = '\0';
        if (strncmp(target, in->dir, dlen) != 0 || target[dlen] != '/')
            continue;
        size_t i = inbox_find(in, target + dlen + 1);
        uint64_t p;
        if (i == SIZE_MAX || (found && i <= *k) || !fd_pos(e->d_name, &p))
            continue;
        *k = i;
        *pos = p;
        found = true;
    }
    closedir(d);
    return found;
}

void br_progress_inbox_sample(void *ctx, struct br_progress_view *v)
{
    struct br_progress_inbox *in = ctx;
    v->total = 2 * in->total;
    v->items = in->n;
    size_t k;
    uint64_t pos;
    if (in->n > 0 && inbox_open_file(in, &k, &pos)) {
        if (in->cur == SIZE_MAX || k > in->cur) {
            in->cur = k;
            in->pass = 1;
            in->last_pos = pos;
        } else if (k == in->cur) {
            if (pos < in->last_pos && in->pass < 2)
                in->pass = 2; /* read again from the start: the parse after the hash */
            in->last_pos = pos;
        }
        if (k == in->cur) {
            uint64_t at = pos < in->size[k] ? pos : in->size[k];
            uint64_t done = 2 * in->start[k] + (in->pass - 1) * in->size[k] + at;
            if (done > in->shown)
                in->shown = done;
        }
    }
    v->done = in->shown;
    if (in->cur != SIZE_MAX) {
        v->item = in->cur + 1;
        v->item_name = in->names[in->cur];
    }
}
