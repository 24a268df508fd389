/* A generated month, night by night. */
#include "month.h"

#include "it.h"

#include "core/btime.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *open_day(const char *dir, const char *kind, int64_t day)
{
    char path[4200], date[16];
    br_day_format(day, date, sizeof(date));
    snprintf(path, sizeof(path), "%s/%s-%.4s%.2s%.2s.csv", dir, kind, date, date + 5, date + 8);
    FILE *exists = fopen(path, "r");
    if (exists)
        fclose(exists);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    if (exists == NULL && strcmp(kind, "orders") == 0)
        fputs("order_id,account_id,order_time,kind,scope,plan_type,quantity,unit,paid,"
              "valid_days,bundle_id\n",
              f);
    if (exists == NULL && strcmp(kind, "eas") == 0)
        fputs("record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms\n", f);
    return f;
}

/* The field after n commas (the generator's EAS and orders rows hold no
 * quoted commas). */
static const char *field(const char *line, int n, size_t *len)
{
    const char *p = line;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    if (p == NULL) {
        *len = 0;
        return "";
    }
    *len = strcspn(p, ",\r\n");
    return p;
}

static bool time_of(const char *line, int col, int64_t *t)
{
    size_t n;
    const char *f = field(line, col, &n);
    return br_time_parse(f, n, t);
}

static void split_orders(const char *gen, const char *out, int64_t first)
{
    char path[4200], line[8192];
    snprintf(path, sizeof(path), "%s/orders-0001.csv", gen);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof(line), in));
    while (fgets(line, sizeof(line), in)) {
        int64_t t = first * BR_DAY_S;
        time_of(line, 2, &t); /* a bad row stays on the first night */
        int64_t d = br_floor_div(t, BR_DAY_S);
        FILE *f = open_day(out, "orders", d < first ? first : d);
        fputs(line, f);
        fclose(f);
    }
    fclose(in);
}

/* Writes one EAS row, cutting an exclusive interval at UTC midnights. */
static void eas_row(const char *out, const char *line, int64_t file_day)
{
    size_t n;
    const char *ed = field(line, 4, &n);
    int64_t start, end;
    bool good = time_of(line, 6, &start) && time_of(line, 7, &end);
    if (!good || strncmp(ed, "exclusive", 9) != 0 ||
        end <= (br_floor_div(start, BR_DAY_S) + 1) * BR_DAY_S || end - start > 31 * BR_DAY_S) {
        FILE *f = open_day(out, "eas", file_day);
        fputs(line, f);
        fclose(f);
        return;
    }
    size_t idn, tail;
    const char *id = field(line, 0, &idn);
    const char *rest = field(line, 1, &n);
    size_t restn = (size_t)(field(line, 6, &tail) - rest);
    for (int k = 0; start < end; k++) {
        int64_t cut = (br_floor_div(start, BR_DAY_S) + 1) * BR_DAY_S;
        int64_t to = cut < end ? cut : end;
        char a[32], b[32];
        br_time_format(start, 0, a, sizeof(a));
        br_time_format(to, 0, b, sizeof(b));
        FILE *f = open_day(out, "eas", br_floor_div(start, BR_DAY_S));
        if (k == 0)
            fprintf(f, "%.*s,%.*s%s,%s,\n", (int)idn, id, (int)restn, rest, a, b);
        else
            fprintf(f, "%.*s-c%d,%.*s%s,%s,\n", (int)idn, id, k, (int)restn, rest, a, b);
        fclose(f);
        start = to;
    }
}

static void split_eas(const char *path, const char *out, int64_t day)
{
    char line[8192];
    FILE *in = fopen(path, "r");
    if (in == NULL)
        return;
    assert_non_null(fgets(line, sizeof(line), in));
    while (fgets(line, sizeof(line), in))
        eas_row(out, line, day);
    fclose(in);
}

void it_month_make(struct it_month *m, uint64_t seed, int accounts, int days, long rows,
                   int bad_permille)
{
    it_month_make_from(m, seed, accounts, br_days_from_civil(2026, 11, 1), days, rows,
                       bad_permille);
}

void it_month_make_from(struct it_month *m, uint64_t seed, int accounts, int64_t first, int days,
                        long rows, int bad_permille)
{
    memset(m, 0, sizeof(*m));
    m->dir = it_tmpdir("month");
    char gen[4200], s[24], a[24], d[24], r[24], b[24], start[16];
    snprintf(gen, sizeof(gen), "%s/gen", m->dir);
    snprintf(m->all, sizeof(m->all), "%s/all", m->dir);
    snprintf(s, sizeof(s), "%llu", (unsigned long long)seed);
    snprintf(a, sizeof(a), "%d", accounts);
    snprintf(d, sizeof(d), "%d", days);
    snprintf(r, sizeof(r), "%ld", rows);
    snprintf(b, sizeof(b), "%d", bad_permille);
    br_day_format(first, start, sizeof(start));
    const char *argv[] = {it_env("BILLRUN_GEN"),
                          "--out",
                          gen,
                          "--seed",
                          s,
                          "--accounts",
                          a,
                          "--days",
                          d,
                          "--start",
                          start,
                          "--rows",
                          r,
                          "--bad-share",
                          b,
                          "--quiet",
                          NULL};
    assert_int_equal(it_run(argv, NULL), 0);
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s && cp %s/accounts-*.csv %s/prices-*.csv %s/oss-*.csv %s/", m->all, gen,
             gen, gen, m->all);
    const char *sh[] = {"sh", "-c", cmd, NULL};
    assert_int_equal(it_run(sh, NULL), 0);
    m->first = first;
    split_orders(gen, m->all, m->first);
    for (int k = 0; k < days; k++) {
        char date[16], path[4200];
        br_day_format(m->first + k, date, sizeof(date));
        snprintf(path, sizeof(path), "%s/eas-%.4s%.2s%.2s.csv", gen, date, date + 5, date + 8);
        split_eas(path, m->all, m->first + k);
    }
    /* nights: up to the last day that has a file (cut intervals may spill) */
    m->nights = days;
    for (int k = days; k < days + 40; k++) {
        size_t n;
        char **f = it_month_night(m, k, &n);
        for (size_t i = 0; i < n; i++)
            free(f[i]);
        free(f);
        if (n > 0)
            m->nights = k + 1;
    }
}

char **it_month_night(const struct it_month *m, int k, size_t *n)
{
    char date[16], tag[16];
    br_day_format(m->first + k, date, sizeof(date));
    snprintf(tag, sizeof(tag), "-%.4s%.2s%.2s.csv", date, date + 5, date + 8);
    char **out = calloc(256, sizeof(*out));
    assert_non_null(out);
    *n = 0;
    DIR *dir = opendir(m->all);
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir)) != NULL && *n < 255;) {
        size_t l = strlen(e->d_name);
        bool today = l > strlen(tag) && strcmp(e->d_name + l - strlen(tag), tag) == 0;
        bool reference = k == 0 && (strncmp(e->d_name, "accounts-", 9) == 0 ||
                                    strncmp(e->d_name, "prices-", 7) == 0);
        if (today || reference)
            out[(*n)++] = strdup(e->d_name);
    }
    closedir(dir);
    return out;
}

int64_t it_month_as_of(const struct it_month *m, int k)
{
    return (m->first + k + 1) * BR_DAY_S;
}

void it_month_free(struct it_month *m)
{
    if (m->dir) {
        it_rm(m->dir);
        free(m->dir);
    }
    memset(m, 0, sizeof(*m));
}
