/* Folders of documents (files.h). */
#include "invoice/files.h"

#include "invoice/xlsx.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One folder: created 0750 whatever the umask (documents carry names,
 * addresses and tax ids: for the owner and the group only); one that exists
 * is left as it is. */
static enum br_status make_one(const char *dir, struct br_error *err)
{
    if (mkdir(dir, 0750) == 0) {
        if (chmod(dir, 0750) != 0)
            return br_fail(err, BR_ERR_IO, "cannot set the mode of %s: %s", dir, strerror(errno));
        return BR_OK;
    }
    if (errno != EEXIST)
        return br_fail(err, BR_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
    return BR_OK;
}

enum br_status br_files_make_dir(const char *path, struct br_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    enum br_status st = BR_OK;
    for (char *p = tmp + 1; *p && st == BR_OK; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        st = make_one(tmp, err);
        *p = '/';
    }
    return st == BR_OK ? make_one(tmp, err) : st;
}

enum br_status br_files_remove_dir(const char *path, struct br_error *err)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return errno == ENOENT
                   ? BR_OK
                   : br_fail(err, BR_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    enum br_status st = BR_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[4400];
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        if (unlink(p) != 0 && st == BR_OK)
            st = br_fail(err, BR_ERR_IO, "cannot remove %s: %s", p, strerror(errno));
    }
    closedir(d);
    if (st == BR_OK && rmdir(path) != 0)
        st = br_fail(err, BR_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    return st;
}

/* The folder a path is in ("." for a bare name). */
static void parent_of(const char *path, char *out, size_t n)
{
    snprintf(out, n, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash == NULL)
        snprintf(out, n, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

enum br_status br_files_publish(const char *from, const char *to, struct br_error *err)
{
    char parent[4096];
    parent_of(to, parent, sizeof(parent));
    if (rename(from, to) == 0) /* no such folder yet: all at once */
        return br_xlsx_sync_dir(parent, err);
    if (errno != EEXIST && errno != ENOTEMPTY)
        return br_fail(err, BR_ERR_IO, "cannot move %s to %s: %s", from, to, strerror(errno));
    DIR *d = opendir(from);
    if (d == NULL)
        return br_fail(err, BR_ERR_IO, "cannot open %s: %s", from, strerror(errno));
    enum br_status st = BR_OK;
    struct dirent *e;
    while (st == BR_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char a[4400], b[4400];
        snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
        snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
        if (rename(a, b) != 0)
            st = br_fail(err, BR_ERR_IO, "cannot move %s to %s: %s", a, b, strerror(errno));
    }
    closedir(d);
    if (st == BR_OK)
        st = br_xlsx_sync_dir(to, err);
    if (st == BR_OK && rmdir(from) != 0)
        st = br_fail(err, BR_ERR_IO, "cannot remove %s: %s", from, strerror(errno));
    if (st == BR_OK)
        st = br_xlsx_sync_dir(parent, err);
    return st;
}
