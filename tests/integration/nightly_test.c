/* Feeding a month as 30 nightly runs gives the same invoice lines, invoices,
 * plan and coupon balances and ledger nets as one run over the whole month.
 * The month comes from billrun-gen; like a daily exporter, each night's
 * files hold that UTC day's rows, with running intervals cut at midnight
 * (the cut falls on a clock hour, so the pieces are the same). The orders
 * come either by the day of their order_time, or all of the month's on the
 * first night (a top-up applied ahead of its time must not pay for usage
 * dated before it: rules.md 4 merges events by time). */
#include "it.h"
#include "month.h"

#include "core/btime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Night k's files into to; with orders_first, every orders file of the
 * month goes to night 0 instead of the night of its day. */
static void copy_night(const struct it_month *m, int k, const char *to, bool orders_first)
{
    size_t n;
    char **files = it_month_night(m, k, &n);
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", to);
    const char *mk[] = {"sh", "-c", cmd, NULL};
    assert_int_equal(it_run(mk, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        char src[8192];
        snprintf(src, sizeof(src), "%s/%s", m->all, files[i]);
        if (!orders_first || strncmp(files[i], "orders-", 7) != 0) {
            const char *cp[] = {"cp", src, to, NULL};
            assert_int_equal(it_run(cp, NULL), 0);
        }
        free(files[i]);
    }
    free(files);
    if (orders_first && k == 0) {
        snprintf(cmd, sizeof(cmd), "cp '%s'/orders-*.csv '%s'", m->all, to);
        const char *cp[] = {"sh", "-c", cmd, NULL};
        assert_int_equal(it_run(cp, NULL), 0);
    }
}

static void nightly_equals_monthly_with(bool orders_first)
{
    struct it_month m;
    it_month_make(&m, 5, 25, 30, 60000, 0);
    char a[128], b[128], log[4200];
    snprintf(log, sizeof(log), "%s/log", m.dir);
    it_db_create(a, sizeof(a), "nightly");
    it_db_create(b, sizeof(b), "monthly");
    assert_int_equal(it_billrun(a, log, "db", "init", NULL), 0);
    assert_int_equal(it_billrun(b, log, "db", "init", NULL), 0);
    for (int k = 0; k < m.nights; k++) {
        char inbox[4200], asof[32];
        snprintf(inbox, sizeof(inbox), "%s/night%02d", m.dir, k);
        copy_night(&m, k, inbox, orders_first);
        br_time_format(it_month_as_of(&m, k), 0, asof, sizeof(asof));
        int rc = it_billrun(a, log, "run", "--inbox", inbox, "--as-of", asof, NULL);
        if (rc != 0)
            fail_msg("night %d: exit %d: %s", k, rc, it_read_file(log, NULL));
    }
    char asof[32];
    br_time_format(it_month_as_of(&m, m.nights - 1), 0, asof, sizeof(asof));
    assert_int_equal(it_billrun(b, log, "run", "--inbox", m.all, "--as-of", asof, NULL), 0);
    PGconn *ca = it_db_connect(a), *cb = it_db_connect(b);
    assert_true(it_sql_int(ca, "SELECT count(*) FROM ledger.batches") >= 30);
    assert_true(it_sql_int(cb, "SELECT count(*) FROM billing.invoice_lines") > 100);
    assert_true(it_sql_int(cb, "SELECT count(*) FROM billing.draws WHERE source = 'plan'") > 10);
    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
        char *x = it_sql_text(ca, views[i]), *y = it_sql_text(cb, views[i]);
        if (strcmp(x, y) != 0)
            fail_msg("nightly runs and one run differ on:\n%s", views[i]);
        free(x);
        free(y);
    }
    if (orders_first) /* some usage dated before a top-up was paid from the balance */
        assert_true(it_sql_int(cb, "SELECT count(*) FROM billing.orders o WHERE kind = 'topup' "
                                   "AND EXISTS (SELECT 1 FROM billing.usage_lines u WHERE "
                                   "u.account_id = o.account_id AND u.day < o.order_time::date "
                                   "AND u.balance_e8 > 0)") > 0);
    assert_int_equal(it_billrun(a, log, "verify", NULL), 0);
    PQfinish(ca);
    PQfinish(cb);
    it_db_drop(a);
    it_db_drop(b);
    it_month_free(&m);
}

static void nightly_equals_monthly(void **state)
{
    (void)state;
    nightly_equals_monthly_with(false);
}

/* The month's orders file delivered with the first night. */
static void nightly_equals_monthly_orders_first(void **state)
{
    (void)state;
    nightly_equals_monthly_with(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nightly_equals_monthly),
        cmocka_unit_test(nightly_equals_monthly_orders_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
