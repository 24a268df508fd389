/* Reading and checking a chart map (export_map.h). The file is streamed
 * through the inbox's CSV reader (ingest/csvread.h: UTF-8, the header, a
 * BOM, line numbers, bounded memory); the first bad row stops it, so a
 * file of any size costs a few rows. */
#include "batch/export_map.h"

#include "core/chart.h"
#include "ingest/csvread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const map_header[] = {"billrun_code", "code", "name"};

struct map_ctx {
    struct br_chart_map *m;
    uint64_t line_of[BR_CHART_MAP_MAX]; /* the line that mapped br_chart[i] (0: none yet) */
    const char *name;
    struct br_error *err;
};

void br_chart_map_identity(struct br_chart_map *m)
{
    BR_ASSERT(br_chart_count <= BR_CHART_MAP_MAX);
    memset(m, 0, sizeof(*m));
    for (size_t i = 0; i < br_chart_count; i++) {
        snprintf(m->acc[i].code, sizeof(m->acc[i].code), "%d", br_chart[i].code);
        snprintf(m->acc[i].name, sizeof(m->acc[i].name), "%s", br_chart[i].name);
    }
}

/* "1000, 1100, ..., 4920": the codes a map must cover. */
static void chart_codes(char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < br_chart_count; i++) {
        int n = snprintf(buf + len, size - len, "%s%d", i ? ", " : "", br_chart[i].code);
        if (n < 0 || (size_t)n >= size - len)
            return;
        len += (size_t)n;
    }
}

/* The chart position of a billrun_code field, or -1: the field is a
 * code's decimal text exactly (no sign, no leading zero, no space). */
static int chart_index(const struct br_csv_field *f)
{
    for (size_t i = 0; i < br_chart_count; i++) {
        char code[16];
        int n = snprintf(code, sizeof(code), "%d", br_chart[i].code);
        if (n > 0 && (uint32_t)n == f->len && memcmp(code, f->p, f->len) == 0)
            return (int)i;
    }
    return -1;
}

static bool code_ok(const struct br_csv_field *f)
{
    if (f->len == 0 || f->len > BR_CHART_MAP_CODE_MAX)
        return false;
    for (uint32_t i = 0; i < f->len; i++) {
        char c = f->p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* UTF-8 was checked by the reader; no control characters either. */
static bool name_ok(const struct br_csv_field *f)
{
    if (f->len == 0 || f->len > BR_CHART_MAP_NAME_MAX)
        return false;
    for (uint32_t i = 0; i < f->len; i++) {
        unsigned char c = (unsigned char)f->p[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static enum br_status map_row(void *arg, const struct br_csv_record *rec)
{
    struct map_ctx *x = arg;
    unsigned long long line = (unsigned long long)rec->line;
    if (rec->empty_line)
        return BR_OK;
    if (rec->bad_utf8)
        return br_fail(x->err, BR_ERR_USAGE,
                       "chart map %s, line %llu: not UTF-8 text (save it as \"CSV UTF-8\")",
                       x->name, line);
    if (rec->bad_quote || rec->nfields != 3)
        return br_fail(x->err, BR_ERR_USAGE,
                       "chart map %s, line %llu: want 3 fields (billrun_code,code,name), not %s",
                       x->name, line, rec->bad_quote ? "text after a quoted field" : "that");
    const struct br_csv_field *f = rec->fields;
    int i = chart_index(&f[0]);
    if (i < 0) {
        char codes[160];
        chart_codes(codes, sizeof(codes));
        return br_fail(x->err, BR_ERR_USAGE,
                       "chart map %s, line %llu: \"%.*s\" is not a code of billrun's chart (%s)",
                       x->name, line, (int)(f[0].len > 40 ? 40 : f[0].len), f[0].p, codes);
    }
    if (x->line_of[i] != 0)
        return br_fail(x->err, BR_ERR_USAGE,
                       "chart map %s, line %llu: %d is mapped twice (line %llu too)", x->name, line,
                       br_chart[i].code, (unsigned long long)x->line_of[i]);
    if (!code_ok(&f[1]))
        return br_fail(x->err, BR_ERR_USAGE,
                       "chart map %s, line %llu: the code for %d must be 1 to %d characters of "
                       "A-Z a-z 0-9 . - _",
                       x->name, line, br_chart[i].code, BR_CHART_MAP_CODE_MAX);
    if (!name_ok(&f[2]))
        return br_fail(x->err, BR_ERR_USAGE,
                       "chart map %s, line %llu: the name for %d must be 1 to %d bytes without "
                       "control characters",
                       x->name, line, br_chart[i].code, BR_CHART_MAP_NAME_MAX);
    x->line_of[i] = rec->line;
    memcpy(x->m->acc[i].code, f[1].p, f[1].len);
    x->m->acc[i].code[f[1].len] = '\0';
    memcpy(x->m->acc[i].name, f[2].p, f[2].len);
    x->m->acc[i].name[f[2].len] = '\0';
    return BR_OK;
}

/* After the rows: every code mapped, and one name per company code. */
static enum br_status map_complete(const struct map_ctx *x)
{
    char missing[160] = "";
    size_t nmissing = 0, len = 0;
    for (size_t i = 0; i < br_chart_count; i++) {
        if (x->line_of[i] != 0)
            continue;
        int n = snprintf(missing + len, sizeof(missing) - len, "%s%d", nmissing ? ", " : "",
                         br_chart[i].code);
        if (n > 0 && (size_t)n < sizeof(missing) - len)
            len += (size_t)n;
        nmissing++;
    }
    if (nmissing > 0)
        return br_fail(x->err, BR_ERR_USAGE,
                       "chart map %s: no row for %s (every code of billrun's chart needs one)",
                       x->name, missing);
    for (size_t i = 0; i < br_chart_count; i++)
        for (size_t j = i + 1; j < br_chart_count; j++)
            if (strcmp(x->m->acc[i].code, x->m->acc[j].code) == 0 &&
                strcmp(x->m->acc[i].name, x->m->acc[j].name) != 0)
                return br_fail(x->err, BR_ERR_USAGE,
                               "chart map %s: code %s has two names (lines %llu and %llu)", x->name,
                               x->m->acc[i].code, (unsigned long long)x->line_of[i],
                               (unsigned long long)x->line_of[j]);
    return BR_OK;
}

static enum br_status map_outcome(const struct map_ctx *x, enum br_status st,
                                  const struct br_csv_result *res)
{
    if (st != BR_OK)
        return st;
    if (res->outcome == BR_CSV_EMPTY)
        return br_fail(x->err, BR_ERR_USAGE, "chart map %s is empty", x->name);
    if (res->outcome == BR_CSV_BAD_HEADER)
        return br_fail(x->err, BR_ERR_USAGE,
                       "chart map %s: the first line must be billrun_code,code,name (%s)", x->name,
                       res->detail);
    return map_complete(x);
}

enum br_status br_chart_map_parse(const void *data, size_t len, const char *name,
                                  struct br_chart_map *m, struct br_error *err)
{
    BR_ASSERT(br_chart_count <= BR_CHART_MAP_MAX);
    memset(m, 0, sizeof(*m));
    struct map_ctx x = {.m = m, .name = name, .err = err};
    struct br_csv_result res;
    enum br_status st = br_csv_read_mem(data, len, map_header, 3, map_row, &x, &res, err);
    return map_outcome(&x, st, &res);
}

enum br_status br_chart_map_read(const char *path, struct br_chart_map *m, struct br_error *err)
{
    BR_ASSERT(br_chart_count <= BR_CHART_MAP_MAX);
    memset(m, 0, sizeof(*m));
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return br_fail(err, BR_ERR_USAGE, "chart map %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return br_fail(err, BR_ERR_USAGE, "chart map %s is not a regular file", path);
    }
    struct map_ctx x = {.m = m, .name = path, .err = err};
    struct br_csv_result res;
    enum br_status st = br_csv_read_fd(fd, map_header, 3, true, map_row, &x, &res, err);
    close(fd);
    if (st == BR_ERR_IO) {
        char cause[sizeof(err->msg)];
        snprintf(cause, sizeof(cause), "%s", err->msg);
        st = br_fail(err, BR_ERR_USAGE, "chart map %s: %s", path, cause);
    }
    return map_outcome(&x, st, &res);
}
