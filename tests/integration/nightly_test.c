/* Feeding a month as 30 nightly runs gives the same invoice lines, invoices,
 * plan and coupon balances and ledger nets as one run over the whole month.
 * The month comes from billrun-gen; like a daily exporter, each night's
 * files hold that UTC day's rows, with running intervals cut at midnight
 * (the cut falls on a clock hour, so the pieces are the same). */
#include "it.h"

#include "core/btime.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAYS 30

struct month {
    char *dir;
    char gen[4096], all[4096];
    int nights;
};

static FILE *open_day(const char *dir, const char *kind, int64_t day, bool create)
{
    char path[4200], date[16];
    br_day_format(day, date, sizeof(date));
    snprintf(path, sizeof(path), "%s/%s-%.4s%.2s%.2s.csv", dir, kind, date, date + 5, date + 8);
    FILE *exists = fopen(path, "r");
    if (exists)
        fclose(exists);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    if (exists == NULL && create && strcmp(kind, "orders") == 0)
        fputs("order_id,account_id,order_time,kind,scope,plan_type,quantity,unit,paid,"
              "valid_days,bundle_id\n",
              f);
    if (exists == NULL && create && strcmp(kind, "eas") == 0)
        fputs("record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms\n", f);
    return f;
}

/* Splits the field after n commas out of a line (no quotes in these rows). */
static const char *field(const char *line, int n, size_t *len)
{
    const char *p = line;
    for (int i = 0; i < n; i++)
        p = strchr(p, ',') + 1;
    *len = strcspn(p, ",\n");
    return p;
}

static int64_t day_of(const char *line, int col)
{
    size_t n;
    const char *f = field(line, col, &n);
    int64_t t;
    assert_true(br_time_parse(f, n, &t));
    return br_floor_div(t, BR_DAY_S);
}

/* orders-0001.csv into one orders file per UTC day of order_time. */
static void split_orders(struct month *m, const char *out, int64_t first)
{
    char path[4200], line[4096];
    snprintf(path, sizeof(path), "%s/orders-0001.csv", m->gen);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof(line), in));
    while (fgets(line, sizeof(line), in)) {
        int64_t d = day_of(line, 2);
        FILE *f = open_day(out, "orders", d < first ? first : d, true);
        fputs(line, f);
        fclose(f);
    }
    fclose(in);
}

/* eas-DAY.csv with exclusive intervals cut at UTC midnight: the rest of an
 * interval goes to the next days' files as <record_id>-c1, -c2... */
static void split_eas(const char *in_path, const char *out)
{
    char line[4096];
    FILE *in = fopen(in_path, "r");
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof(line), in));
    while (fgets(line, sizeof(line), in)) {
        size_t n;
        const char *ed = field(line, 4, &n);
        int64_t start, end;
        const char *s = field(line, 6, &n);
        assert_true(br_time_parse(s, n, &start));
        const char *e = field(line, 7, &n);
        assert_true(br_time_parse(e, n, &end));
        int64_t day = br_floor_div(start, BR_DAY_S);
        if (strncmp(ed, "exclusive", 9) != 0 || end <= (day + 1) * BR_DAY_S) {
            FILE *f = open_day(out, "eas", day, true);
            fputs(line, f);
            fclose(f);
            continue;
        }
        size_t idn;
        const char *id = field(line, 0, &idn);
        const char *rest = field(line, 1, &n); /* account .. spec */
        size_t restn = (size_t)(field(line, 6, &n) - rest);
        for (int k = 0; start < end; k++) {
            int64_t cut = (br_floor_div(start, BR_DAY_S) + 1) * BR_DAY_S;
            int64_t to = cut < end ? cut : end;
            char a[32], b[32];
            br_time_format(start, 0, a, sizeof(a));
            br_time_format(to, 0, b, sizeof(b));
            FILE *f = open_day(out, "eas", br_floor_div(start, BR_DAY_S), true);
            if (k == 0)
                fprintf(f, "%.*s,%.*s%s,%s,\n", (int)idn, id, (int)restn, rest, a, b);
            else
                fprintf(f, "%.*s-c%d,%.*s%s,%s,\n", (int)idn, id, k, (int)restn, rest, a, b);
            fclose(f);
            start = to;
        }
    }
    fclose(in);
}

static void sh(const char *cmd)
{
    const char *argv[] = {"sh", "-c", cmd, NULL};
    assert_int_equal(it_run(argv, NULL), 0);
}

/* Builds all/ (every file) from the generated month. */
static void prepare(struct month *m)
{
    m->dir = it_tmpdir("nightly");
    snprintf(m->gen, sizeof(m->gen), "%s/gen", m->dir);
    snprintf(m->all, sizeof(m->all), "%s/all", m->dir);
    char days[16];
    snprintf(days, sizeof(days), "%d", DAYS);
    const char *argv[] = {it_env("BILLRUN_GEN"), "--out",  m->gen,   "--seed",  "5",
                          "--accounts",          "25",     "--days", days,      "--start",
                          "2026-11-01",          "--rows", "60000",  "--quiet", NULL};
    assert_int_equal(it_run(argv, NULL), 0);
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s && cp %s/accounts-*.csv %s/prices-*.csv %s/oss-*.csv %s/", m->all, m->gen,
             m->gen, m->gen, m->all);
    sh(cmd);
    int64_t first = br_days_from_civil(2026, 11, 1);
    split_orders(m, m->all, first);
    for (int d = 0; d < DAYS; d++) {
        char date[16], path[4200];
        br_day_format(first + d, date, sizeof(date));
        snprintf(path, sizeof(path), "%s/eas-%.4s%.2s%.2s.csv", m->gen, date, date + 5, date + 8);
        split_eas(path, m->all);
    }
}

/* Night k's inbox: that day's files (night 0 also the reference data). */
static void night_inbox(const struct month *m, int64_t day, bool first, char *out, size_t size)
{
    char date[16];
    br_day_format(day, date, sizeof(date));
    snprintf(out, size, "%s/night-%s", m->dir, date);
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s && for f in %s/*-%.4s%.2s%.2s.csv; do [ -e \"$f\" ] && cp \"$f\" %s/; "
             "done; %s true",
             out, m->all, date, date + 5, date + 8, out,
             first ? "cp \"$0\"/accounts-*.csv \"$0\"/prices-*.csv \"$1\"/ &&" : "");
    const char *argv[] = {"sh", "-c", cmd, m->all, out, NULL};
    assert_int_equal(it_run(argv, NULL), 0);
}

static const char *const views[] = {
    "SELECT period, account_id, item, quantity, gross, free, plan, coupon, balance, outstanding "
    "FROM billing.invoice_lines ORDER BY period, account_id COLLATE \"C\", item",
    "SELECT period, account_id, gross, free, plan, coupon, balance, outstanding, round_down, "
    "amount_due FROM billing.invoices ORDER BY period, account_id COLLATE \"C\"",
    "SELECT order_id, plan_type, face, consumed, remaining, paid, recognised, breakage, status "
    "FROM billing.plan_balances ORDER BY order_id COLLATE \"C\"",
    "SELECT order_id, face, used, remaining, status FROM billing.coupon_balances "
    "ORDER BY order_id COLLATE \"C\"",
    "SELECT period, account_code, sum(debit - credit) FROM ledger.trial_balance "
    "GROUP BY 1, 2 HAVING sum(debit - credit) <> 0 ORDER BY 1, 2",
};

static void nightly_equals_monthly(void **state)
{
    (void)state;
    struct month m;
    prepare(&m);
    char a[128], b[128], log[4200];
    snprintf(log, sizeof(log), "%s/log", m.dir);
    it_db_create(a, sizeof(a), "nightly");
    it_db_create(b, sizeof(b), "monthly");
    assert_int_equal(it_billrun(a, log, "db", "init", NULL), 0);
    assert_int_equal(it_billrun(b, log, "db", "init", NULL), 0);
    int64_t first = br_days_from_civil(2026, 11, 1);
    int64_t last = first;
    for (int64_t d = first; d < first + DAYS + 40; d++) { /* and nights with cut intervals */
        char inbox[4200], asof[32];
        night_inbox(&m, d, d == first, inbox, sizeof(inbox));
        DIR *dir = opendir(inbox);
        int files = 0;
        for (struct dirent *e; dir && (e = readdir(dir)) != NULL;)
            files += e->d_name[0] != '.';
        if (dir)
            closedir(dir);
        if (files == 0 && d >= first + DAYS)
            break;
        br_time_format((d + 1) * BR_DAY_S, 0, asof, sizeof(asof));
        int rc = it_billrun(a, log, "run", "--inbox", inbox, "--as-of", asof, NULL);
        if (rc != 0)
            fail_msg("night %lld: exit %d: %s", (long long)(d - first), rc,
                     it_read_file(log, NULL));
        last = d;
    }
    char asof[32];
    br_time_format((last + 1) * BR_DAY_S, 0, asof, sizeof(asof));
    assert_int_equal(it_billrun(b, log, "run", "--inbox", m.all, "--as-of", asof, NULL), 0);
    PGconn *ca = it_db_connect(a), *cb = it_db_connect(b);
    assert_true(it_sql_int(ca, "SELECT count(*) FROM ledger.batches") >= DAYS);
    assert_true(it_sql_int(cb, "SELECT count(*) FROM billing.invoice_lines") > 100);
    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
        char *x = it_sql_text(ca, views[i]), *y = it_sql_text(cb, views[i]);
        if (strcmp(x, y) != 0)
            fail_msg("nightly runs and one run differ on:\n%s", views[i]);
        free(x);
        free(y);
    }
    assert_int_equal(it_billrun(a, log, "verify", NULL), 0);
    PQfinish(ca);
    PQfinish(cb);
    it_db_drop(a);
    it_db_drop(b);
    it_rm(m.dir);
    free(m.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nightly_equals_monthly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
