/* A CSV file written aside and renamed into place (export_csv.h). */
#include "batch/export_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void io_fail(struct br_csv_out *c, const char *what)
{
    if (c->st == BR_OK)
        c->st = br_fail(c->err, BR_ERR_IO, "cannot %s %s: %s", what, c->tmp, strerror(errno));
}

static void flush(struct br_csv_out *c)
{
    size_t done = 0;
    while (c->st == BR_OK && done < c->len) {
        ssize_t n = write(c->fd, c->buf + done, c->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            io_fail(c, "write");
            break;
        }
        done += (size_t)n;
    }
    c->len = 0;
}

static void put(struct br_csv_out *c, const char *p, size_t n)
{
    while (c->st == BR_OK && n > 0) {
        if (c->len == sizeof(c->buf))
            flush(c);
        size_t k = sizeof(c->buf) - c->len < n ? sizeof(c->buf) - c->len : n;
        memcpy(c->buf + c->len, p, k);
        c->len += k;
        p += k;
        n -= k;
    }
}

enum br_status br_csv_out_open(struct br_csv_out *c, const char *dir, const char *name, bool bom,
                               struct br_error *err)
{
    c->fd = -1;
    c->ended = true;
    c->st = BR_OK;
    c->err = err;
    c->len = 0;
    c->tmp[0] = '\0';
    int n = snprintf(c->path, sizeof(c->path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(c->path))
        return c->st = br_fail(err, BR_ERR_IO, "folder name too long: %.200s", dir);
    snprintf(c->tmp, sizeof(c->tmp), "%s.tmp-%ld", c->path, (long)getpid());
    if (unlink(c->tmp) != 0 && errno != ENOENT)
        io_fail(c, "remove the stale");
    if (c->st == BR_OK)
        c->fd = open(c->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (c->st == BR_OK && c->fd < 0)
        io_fail(c, "create");
    /* documents carry customer ids: for the owner and the group only,
     * whatever the umask (as the workbooks) */
    if (c->st == BR_OK && fchmod(c->fd, 0640) != 0)
        io_fail(c, "set the mode of");
    if (bom)
        put(c, "\xEF\xBB\xBF", 3);
    return c->st;
}

static bool needs_quotes(const char *s, size_t n)
{
    if (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        return true;
    return strpbrk(s, ",\"\r\n") != NULL;
}

void br_csv_out_field(struct br_csv_out *c, const char *s)
{
    if (!c->ended)
        put(c, ",", 1);
    c->ended = false;
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || !needs_quotes(s, n)) {
        put(c, s, n);
        return;
    }
    put(c, "\"", 1);
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
        put(c, s, (size_t)(q - s) + 1); /* through the quote, which is doubled */
        put(c, "\"", 1);
    }
    put(c, s, strlen(s));
    put(c, "\"", 1);
}

void br_csv_out_row(struct br_csv_out *c)
{
    put(c, "\r\n", 2);
    c->ended = true;
}

void br_csv_out_fields(struct br_csv_out *c, const char *const *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        br_csv_out_field(c, f[i]);
    br_csv_out_row(c);
}

enum br_status br_csv_out_close(struct br_csv_out *c)
{
    if (c->fd < 0)
        return c->st;
    flush(c);
    if (c->st == BR_OK && fsync(c->fd) != 0)
        io_fail(c, "sync");
    if (close(c->fd) != 0)
        io_fail(c, "close");
    c->fd = -1;
    return c->st;
}

enum br_status br_csv_out_publish(struct br_csv_out *c)
{
    BR_ASSERT(c->fd < 0);
    if (c->st == BR_OK && rename(c->tmp, c->path) != 0)
        c->st = br_fail(c->err, BR_ERR_IO, "cannot rename %s to %s: %s", c->tmp, c->path,
                        strerror(errno));
    return c->st;
}

void br_csv_out_discard(struct br_csv_out *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->tmp[0] != '\0')
        unlink(c->tmp);
}
