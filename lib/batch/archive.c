/* The inbox's archive (archive.h). */
#include "batch/archive.h"

#include "core/log.h"
#include "invoice/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum br_status sync_dir(const char *dir, struct br_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return br_fail(err, BR_ERR_IO, "cannot open %s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    return rc == 0 ? BR_OK : br_fail(err, BR_ERR_IO, "cannot sync %s: %s", dir, strerror(e));
}

/* Copies from to `to` (created 0640, never over an existing file), syncs it;
 * for a move across file systems. */
static enum br_status copy_file(const char *from, const char *to, struct br_error *err)
{
    int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return br_fail(err, BR_ERR_IO, "cannot open %s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (out < 0) {
        int e = errno;
        close(in);
        return br_fail(err, BR_ERR_IO, "cannot create %s: %s", to, strerror(e));
    }
    enum br_status st = BR_OK;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n == 0)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = br_fail(err, BR_ERR_IO, "cannot read %s: %s", from, strerror(errno));
            break;
        }
        for (ssize_t o = 0; o < n && st == BR_OK;) {
            ssize_t w = write(out, buf + o, (size_t)(n - o));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                st = br_fail(err, BR_ERR_IO, "cannot write %s: %s", to, strerror(errno));
            else
                o += w;
        }
        if (st != BR_OK)
            break;
    }
    if (st == BR_OK && (fchmod(out, 0640) != 0 || fsync(out) != 0))
        st = br_fail(err, BR_ERR_IO, "cannot sync %s: %s", to, strerror(errno));
    close(in);
    if (close(out) != 0 && st == BR_OK)
        st = br_fail(err, BR_ERR_IO, "cannot close %s: %s", to, strerror(errno));
    if (st != BR_OK)
        unlink(to);
    return st;
}

/* A name free in dir for name: name itself, else name~2.csv, name~3.csv... */
static enum br_status free_name(const char *dir, const char *name, char *out, size_t size,
                                struct br_error *err)
{
    const char *dot = strrchr(name, '.');
    int stem = dot ? (int)(dot - name) : (int)strlen(name);
    for (int k = 1; k < 10000; k++) {
        int n = k == 1 ? snprintf(out, size, "%s/%s", dir, name)
                       : snprintf(out, size, "%s/%.*s~%d%s", dir, stem, name, k, dot ? dot : "");
        if (n < 0 || (size_t)n >= size)
            return br_fail(err, BR_ERR_IO, "archive path too long for %s", name);
        struct stat sb;
        if (lstat(out, &sb) != 0 && errno == ENOENT)
            return BR_OK;
    }
    return br_fail(err, BR_ERR_IO, "no free name for %s in %s", name, dir);
}

static enum br_status move_file(const char *from, const char *dir, const char *name,
                                struct br_error *err)
{
    char to[4400];
    enum br_status st = free_name(dir, name, to, sizeof(to), err);
    if (st != BR_OK)
        return st;
    if (rename(from, to) == 0)
        return BR_OK;
    if (errno != EXDEV)
        return br_fail(err, BR_ERR_IO, "cannot move %s to %s: %s", from, to, strerror(errno));
    st = copy_file(from, to, err); /* another file system: copy, sync, then remove */
    if (st == BR_OK && unlink(from) != 0)
        st = br_fail(err, BR_ERR_IO, "cannot remove %s: %s", from, strerror(errno));
    return st;
}

enum br_status br_archive_files(const struct br_ingest *ing, const char *archive, int64_t as_of,
                                struct br_calendar cal, size_t *moved, struct br_error *err)
{
    *moved = 0;
    int64_t y;
    unsigned m, d;
    br_civil_from_days(br_local_day(&cal, as_of), &y, &m, &d);
    char dir[4200];
    if (snprintf(dir, sizeof(dir), "%s/%04lld-%02u-%02u", archive, (long long)y, m, d) >=
        (int)sizeof(dir))
        return br_fail(err, BR_ERR_IO, "archive folder name too long: %s", archive);
    bool made = false;
    enum br_status st = BR_OK;
    char inbox_dir[4200] = "";
    for (size_t i = 0; i < ing->nfiles && st == BR_OK; i++) {
        const struct br_ingest_file *f = &ing->files[i];
        if (f->reprocess || f->path == NULL)
            continue;
        if (!made) {
            st = br_files_make_dir(dir, err);
            made = st == BR_OK;
            if (st != BR_OK)
                break;
        }
        st = move_file(f->path, dir, f->name, err);
        if (st == BR_OK) {
            (*moved)++;
            snprintf(inbox_dir, sizeof(inbox_dir), "%.*s", (int)(strrchr(f->path, '/') - f->path),
                     f->path);
            br_log(BR_LOG_DEBUG, "file_archived", "name=%s to=%s", br_logq(f->name), br_logq(dir));
        }
    }
    if (st == BR_OK && made)
        st = sync_dir(dir, err);
    if (st == BR_OK && inbox_dir[0] != '\0')
        st = sync_dir(inbox_dir, err);
    return st;
}
