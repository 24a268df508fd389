/* The inbox (inbox.h). */
#include "batch/inbox.h"

#include "core/log.h"
#include "ingest/csvread.h"
#include "ingest/ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int file_cmp(const void *pa, const void *pb)
{
    const struct br_inbox_file *a = pa, *b = pb;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    return strcmp(a->name, b->name);
}

/* Whether a listed name is one to read (logs why not). */
static bool wanted(int dfd, const char *name, enum br_kind *kind, uint64_t *bytes)
{
    struct stat sb;
    if (!br_kind_of_name(name, kind))
        return false;
    if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return false; /* gone since it was listed */
    if (S_ISLNK(sb.st_mode)) {
        br_log(BR_LOG_WARN, "file_ignored", "name=%s reason=symlink", br_logq(name));
        return false;
    }
    if (!S_ISREG(sb.st_mode)) {
        br_log(BR_LOG_WARN, "file_ignored", "name=%s reason=not_a_regular_file", br_logq(name));
        return false;
    }
    if (!br_utf8_valid((const unsigned char *)name, strlen(name))) {
        br_log(BR_LOG_WARN, "file_ignored", "name=%s reason=name_not_utf8", br_logq(name));
        return false;
    }
    *bytes = (uint64_t)sb.st_size;
    return true;
}

enum br_status br_inbox_list(struct br_inbox *in, const char *dir, struct br_error *err)
{
    memset(in, 0, sizeof(*in));
    br_arena_init(&in->names, 0);
    in->dir = strdup(dir);
    if (in->dir == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory listing the inbox");
    DIR *d = opendir(dir);
    if (d == NULL)
        return br_fail(err, BR_ERR_IO, "cannot read the inbox %s: %s", dir, strerror(errno));
    enum br_status st = BR_OK;
    struct dirent *e;
    errno = 0;
    while (st == BR_OK && (e = readdir(d)) != NULL) {
        enum br_kind k;
        uint64_t bytes = 0;
        if (!wanted(dirfd(d), e->d_name, &k, &bytes))
            continue;
        st = br_grow((void **)&in->files, &in->cap, in->n + 1, sizeof(*in->files), 1u << 24);
        char *name =
            st == BR_OK ? br_arena_strndup(&in->names, e->d_name, strlen(e->d_name)) : NULL;
        if (name == NULL)
            st = BR_ERR_NOMEM;
        else
            in->files[in->n++] = (struct br_inbox_file){k, name, bytes};
        errno = 0;
    }
    int read_errno = errno;
    closedir(d);
    if (st != BR_OK)
        return br_fail(err, st, "out of memory listing the inbox");
    if (read_errno != 0)
        return br_fail(err, BR_ERR_IO, "cannot read the inbox %s: %s", dir, strerror(read_errno));
    if (in->n > 1)
        qsort(in->files, in->n, sizeof(*in->files), file_cmp);
    return BR_OK;
}

void br_inbox_free(struct br_inbox *in)
{
    free(in->dir);
    free(in->files);
    br_arena_free(&in->names);
    memset(in, 0, sizeof(*in));
}

struct id_scan {
    struct br_strtab *ids;  /* first field */
    struct br_strtab *more; /* field `col`, or NULL */
    size_t col;
    enum br_status st;
};

/* An id the validator would reject (bad UTF-8 or NUL, too long) names
 * nothing: it must never reach the database. */
static bool usable_id(const struct br_csv_field *f)
{
    return f->len > 0 && f->len <= BR_RECORD_ID_MAX &&
           br_utf8_valid((const unsigned char *)f->p, f->len);
}

static enum br_status scan_id(void *ctx, const struct br_csv_record *rec)
{
    struct id_scan *s = ctx;
    uint32_t id;
    if (rec->empty_line || rec->bad_utf8 || rec->nfields < 1)
        return BR_OK;
    if (usable_id(&rec->fields[0]))
        s->st = br_strtab_intern(s->ids, rec->fields[0].p, rec->fields[0].len, &id);
    if (s->st == BR_OK && s->more != NULL && rec->nfields > s->col &&
        usable_id(&rec->fields[s->col]))
        s->st = br_strtab_intern(s->more, rec->fields[s->col].p, rec->fields[s->col].len, &id);
    return s->st;
}

enum br_status br_inbox_ids(const struct br_inbox *in, struct br_strtab *orders,
                            struct br_strtab *adjustments, struct br_strtab *invoices,
                            struct br_error *err)
{
    enum br_status st = BR_OK;
    for (size_t i = 0; i < in->n && st == BR_OK; i++) {
        enum br_kind kind = in->files[i].kind;
        if (kind != BR_KIND_ORDERS && kind != BR_KIND_ADJUSTMENTS)
            continue;
        size_t ncols;
        const char *const *hdr = br_kind_header(kind, &ncols);
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", in->dir, in->files[i].name);
        int fd;
        struct br_error ignore;
        if (br_ingest_open(path, &fd, &ignore) != BR_OK)
            continue; /* the night reports it when it reads the file */
        struct id_scan s = {kind == BR_KIND_ORDERS ? orders : adjustments,
                            kind == BR_KIND_ORDERS ? NULL : invoices, 6, BR_OK};
        struct br_csv_result res;
        st = br_csv_read_fd(fd, hdr, ncols, true, scan_id, &s, &res, err);
        close(fd);
        if (st == BR_OK)
            st = s.st;
    }
    return st;
}
