/* Rating: the hand-computed worked examples of the spec (examples/README.md),
 * amounts asserted exactly to the e8, through the call sequence of
 * lib/ledger/run.c (ingest, price tables, br_rate). */
#include "rate/rate_testutil.h"

#define GB ((int64_t)BR_GB)

static const char *const H_ACCOUNTS = "account_id,name,address,tax_id,email\n";
static const char *const H_PRICES =
    "item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,free_per_month\n";
static const char *const H_ORDERS = "order_id,account_id,order_time,kind,scope,plan_type,quantity,"
                                    "unit,paid,valid_days,bundle_id\n";
static const char *const H_EAS =
    "record_id,account_id,service_id,tool,edition,spec,start_time,end_time,gpu_ms\n";
static const char *const H_OSS = "record_id,account_id,bucket,region,hour_start,metric,value\n";

/* Writes header + body as dir/name. */
static void put_file(const char *dir, const char *name, const char *header, const char *body)
{
    size_t n = strlen(header) + strlen(body) + 1;
    char *text = malloc(n);
    assert_non_null(text);
    snprintf(text, n, "%s%s", header, body);
    rt_write(dir, name, text);
    free(text);
}

/* The one line of (account, item, day). */
static const struct br_line *one_line(const struct br_rate_result *res, uint32_t acct,
                                      enum br_item item, int64_t day)
{
    const struct br_line *found = NULL;
    for (size_t i = 0; i < res->nlines; i++) {
        const struct br_line *l = &res->lines[i];
        if (l->account != acct || l->item != item || l->day != day)
            continue;
        assert_null(found);
        found = l;
    }
    assert_non_null(found);
    return found;
}

/* --- 02 the free allowance crosses a piece -------------------------------- */

static void test_02_free_allowance(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "02-free-allowance", rt_t("2026-12-01T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    br_period nov = rt_period("2026-11"), dec = rt_period("2026-12");
    rt_check_conservation(&r.night.rated);

    struct rt_sum put = rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, RT_ANY_DAY);
    RT_EQ(put.qty, 1360);
    RT_EQ(put.gross, 136000);
    RT_EQ(put.alloc[BR_SRC_FREE], 100000);
    RT_EQ(put.alloc[BR_SRC_OUTSTANDING], 36000);
    RT_EQ(put.alloc[BR_SRC_PLAN] + put.alloc[BR_SRC_COUPON] + put.alloc[BR_SRC_BALANCE], 0);
    RT_EQ(put.free_units, 1000);

    /* oss-2 (Nov 11 local): 400 units left of 1000 cover 40,000 of 70,000 */
    struct rt_sum d11 = rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, rt_day(2026, 11, 11));
    RT_EQ(d11.gross, 70000);
    RT_EQ(d11.alloc[BR_SRC_FREE], 40000);
    RT_EQ(d11.alloc[BR_SRC_OUTSTANDING], 30000);
    RT_EQ(d11.free_units, 400);
    struct rt_dsum out11 = rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_OUTSTANDING, BR_NO_ID,
                                    nov, rt_day(2026, 11, 11));
    RT_EQ(out11.units, 300);
    RT_EQ(out11.value, 30000);

    /* oss-4 at 23:00 local is still November; oss-5 at 00:00 local Dec 1 is not */
    RT_EQ(rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, rt_day(2026, 11, 30))
              .alloc[BR_SRC_OUTSTANDING],
          1000);
    struct rt_sum pdec = rt_lines(&r.night.rated, a, BR_ITEM_PUT, dec, RT_ANY_DAY);
    RT_EQ(pdec.qty, 300);
    RT_EQ(pdec.gross, 30000);
    RT_EQ(pdec.alloc[BR_SRC_FREE], 30000);
    RT_EQ(pdec.nlines, 1);
    RT_EQ(pdec.alloc[BR_SRC_OUTSTANDING], 0);

    struct rt_sum get = rt_lines(&r.night.rated, a, BR_ITEM_GET, nov, RT_ANY_DAY);
    RT_EQ(get.qty, 24);
    RT_EQ(get.gross, 4);
    RT_EQ(get.alloc[BR_SRC_FREE], 1);
    RT_EQ(get.alloc[BR_SRC_OUTSTANDING], 3);

    RT_EQ(rt_allowance_used(&r, a, BR_ITEM_PUT, nov), 1000);
    RT_EQ(rt_allowance_used(&r, a, BR_ITEM_PUT, dec), 300);
    RT_EQ(rt_allowance_used(&r, a, BR_ITEM_GET, nov), 5);
    RT_EQ(r.night.rated.gross_e8, 136004 + 30000);
    RT_EQ(r.night.rated.nno_price, 0);
    rt_close(&r);
}

/* --- 03 an amount plan covers part of a piece, a pool plan the rest -------- */

static void test_03_amount_then_pool(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "03-amount-then-pool", rt_t("2026-11-20T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    uint32_t amt = rt_ord(&r, "ord-amt"), pool = rt_ord(&r, "ord-pool");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);

    struct rt_sum l = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_EXCLUSIVE, nov, RT_ANY_DAY);
    RT_EQ(l.qty, 6000);
    RT_EQ(l.pieces, 3);
    RT_EQ(l.gross, 3083333333);
    RT_EQ(l.alloc[BR_SRC_PLAN], 2850027778);
    RT_EQ(l.alloc[BR_SRC_OUTSTANDING], 233305555);

    struct rt_dsum da = rt_draws(&r.night.rated, a, RT_ANY_ITEM, BR_SRC_PLAN, amt, nov, RT_ANY_DAY);
    RT_EQ(da.units, 1000000000);
    RT_EQ(da.value, 1000000000);
    RT_EQ(da.recognised, 800000000);
    struct rt_dsum dp =
        rt_draws(&r.night.rated, a, RT_ANY_ITEM, BR_SRC_PLAN, pool, nov, RT_ANY_DAY);
    RT_EQ(dp.units, 3600);
    RT_EQ(dp.value, 1775000000 + 75027778);
    RT_EQ(dp.recognised, 1500000000);
    struct rt_dsum dout =
        rt_draws(&r.night.rated, a, RT_ANY_ITEM, BR_SRC_OUTSTANDING, BR_NO_ID, nov, RT_ANY_DAY);
    RT_EQ(dout.units, 600 - 146);
    RT_EQ(dout.value, 233305555);

    const struct br_order_state *sa = rt_ost(&r, "ord-amt"), *sp = rt_ost(&r, "ord-pool");
    RT_EQ(sa->consumed, 1000000000);
    RT_EQ(sa->recognised_e8, 800000000);
    assert_false(sa->expired);
    RT_EQ(sp->consumed, 3600);
    RT_EQ(sp->recognised_e8, 1500000000);
    assert_false(sp->expired);
    rt_close(&r);
}

/* Case 03 again, one piece per run (the state carried), to see each piece's
 * split: unpaid_units 3454 after the amount plan, the 75,027,778 cover. */
static void test_03_piece_by_piece(void **unused)
{
    (void)unused;
    char d1[64], d2[64], d3[64];
    rt_tmpdir(d1, sizeof(d1));
    rt_tmpdir(d2, sizeof(d2));
    rt_tmpdir(d3, sizeof(d3));
    put_file(d1, "accounts-1.csv", H_ACCOUNTS, "acc-1,Pool Co,addr,TAX1,a@example.com\n");
    put_file(d1, "prices-1.csv", H_PRICES,
             "compute_exclusive,gpu-x,18.5,2026-01-01T00:00:00+08:00,,,,\n");
    put_file(d1, "orders-1.csv", H_ORDERS,
             "ord-pool,acc-1,2026-11-01T00:00:00+08:00,plan,compute_exclusive,pool,1,hour,15,365,\n"
             "ord-amt,acc-1,2026-11-01T00:00:00+08:00,plan,compute_exclusive,amount,10,CNY,8,30,"
             "\n");
    put_file(d1, "eas-1.csv", H_EAS,
             "eas-1,acc-1,svc-1,comfyui,exclusive,gpu-x,2026-11-10T02:00:00Z,2026-11-10T02:30:00Z,"
             "\n");
    put_file(d2, "eas-2.csv", H_EAS,
             "eas-2,acc-1,svc-1,comfyui,exclusive,gpu-x,2026-11-10T03:00:00Z,2026-11-10T04:00:00Z,"
             "\n");
    put_file(d3, "eas-3.csv", H_EAS,
             "eas-3,acc-1,svc-1,comfyui,exclusive,gpu-x,2026-11-10T05:00:00Z,2026-11-10T05:10:00Z,"
             "\n");
    int64_t as_of = rt_t("2026-11-20T00:00:00+08:00");
    struct rt_run r;
    rt_open(&r);
    uint32_t acct;
    uint32_t amt, pool;

    rt_run_dir(&r, d1, as_of); /* eas-1: 9.25 CNY, all from ord-amt */
    acct = rt_acct(&r, "acc-1");
    amt = rt_ord(&r, "ord-amt");
    pool = rt_ord(&r, "ord-pool");
    RT_EQ(r.night.rated.ndraws, 1);
    RT_EQ(rt_draws(&r.night.rated, acct, RT_ANY_ITEM, BR_SRC_PLAN, amt, RT_ANY_PERIOD, RT_ANY_DAY)
              .value,
          925000000);

    rt_run_dir(&r, d2, as_of); /* eas-2: 0.75 from ord-amt, then 3454 s from the pool */
    struct rt_dsum a2 =
        rt_draws(&r.night.rated, acct, RT_ANY_ITEM, BR_SRC_PLAN, amt, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(a2.units, 75000000);
    RT_EQ(a2.value, 75000000);
    struct rt_dsum p2 =
        rt_draws(&r.night.rated, acct, RT_ANY_ITEM, BR_SRC_PLAN, pool, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(p2.units, 3454);
    RT_EQ(p2.value, 1775000000);
    RT_EQ(rt_lines(&r.night.rated, acct, RT_ANY_ITEM, RT_ANY_PERIOD, RT_ANY_DAY)
              .alloc[BR_SRC_OUTSTANDING],
          0);
    RT_EQ(r.night.state.orders[pool].consumed, 3454);

    rt_run_dir(&r, d3, as_of); /* eas-3: ord-amt empty, the pool's last 146 s */
    RT_EQ(
        rt_draws(&r.night.rated, acct, RT_ANY_ITEM, BR_SRC_PLAN, amt, RT_ANY_PERIOD, RT_ANY_DAY).n,
        0);
    struct rt_dsum p3 =
        rt_draws(&r.night.rated, acct, RT_ANY_ITEM, BR_SRC_PLAN, pool, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(p3.units, 146);
    RT_EQ(p3.value, 75027778);
    struct rt_sum l3 = rt_lines(&r.night.rated, acct, RT_ANY_ITEM, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(l3.gross, 308333333);
    RT_EQ(l3.alloc[BR_SRC_OUTSTANDING], 233305555);
    RT_EQ(r.night.state.orders[pool].consumed, 3600);
    RT_EQ(r.night.state.orders[pool].recognised_e8, 1500000000);
    RT_EQ(r.night.state.orders[amt].consumed, 1000000000);
    RT_EQ(r.night.state.orders[amt].recognised_e8, 800000000);
    rt_close(&r);
    rt_rmdir(d1);
    rt_rmdir(d2);
    rt_rmdir(d3);
}

/* --- 04 ties of valid_to broken by valid_from, then order_id --------------- */

static void test_04_expiry_order_ties(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "04-expiry-order-ties", rt_t("2026-11-20T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    uint32_t pz = rt_ord(&r, "P-z"), pb = rt_ord(&r, "P-b"), pc = rt_ord(&r, "P-c"),
             pa = rt_ord(&r, "P-a");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);

    /* the priority order itself */
    const struct br_order *o = r.night.book.orders;
    assert_true(br_order_priority_cmp(&o[pz], &o[pb]) < 0);
    assert_true(br_order_priority_cmp(&o[pb], &o[pc]) < 0);
    assert_true(br_order_priority_cmp(&o[pc], &o[pa]) < 0);
    assert_true(br_order_priority_cmp(&o[pa], &o[pb]) > 0);
    RT_EQ(br_order_priority_cmp(&o[pc], &o[pc]), 0);

    int64_t d5 = rt_day(2026, 11, 5), d6 = rt_day(2026, 11, 6);
    RT_EQ(rt_draws(&r.night.rated, a, RT_ANY_ITEM, BR_SRC_PLAN, pz, nov, d5).value, 100000000);
    RT_EQ(rt_draws(&r.night.rated, a, RT_ANY_ITEM, BR_SRC_PLAN, pb, nov, d5).value, 50000000);
    RT_EQ(rt_draws(&r.night.rated, a, RT_ANY_ITEM, BR_SRC_PLAN, pc, nov, d5).n, 0);
    RT_EQ(rt_draws(&r.night.rated, a, RT_ANY_ITEM, BR_SRC_PLAN, pb, nov, d6).value, 50000000);
    RT_EQ(rt_draws(&r.night.rated, a, RT_ANY_ITEM, BR_SRC_PLAN, pc, nov, d6).value, 50000000);
    RT_EQ(rt_draws(&r.night.rated, a, RT_ANY_ITEM, BR_SRC_PLAN, pa, RT_ANY_PERIOD, RT_ANY_DAY).n,
          0);

    RT_EQ(r.night.state.orders[pz].consumed, 100000000);
    RT_EQ(r.night.state.orders[pb].consumed, 100000000);
    RT_EQ(r.night.state.orders[pc].consumed, 50000000);
    RT_EQ(r.night.state.orders[pa].consumed, 0);
    RT_EQ(r.night.state.orders[pz].recognised_e8, 50000000);
    RT_EQ(r.night.state.orders[pb].recognised_e8, 80000000);
    RT_EQ(r.night.state.orders[pc].recognised_e8, 30000000);
    RT_EQ(r.night.state.orders[pa].recognised_e8, 0);
    /* P-z expired on Nov 11 local with nothing left: an expiry of 0 */
    assert_true(r.night.state.orders[pz].expired);
    RT_EQ(r.night.state.orders[pz].breakage_e8, 0);
    struct rt_rsum ez = rt_recogs(&r.night.rated, pz, BR_RECOG_EXPIRY, RT_ANY_PERIOD);
    RT_EQ(ez.n, 1);
    RT_EQ(ez.amount, 0);
    RT_EQ(rt_recogs(&r.night.rated, pz, BR_RECOG_BREAKAGE, RT_ANY_PERIOD).n, 0);
    assert_false(r.night.state.orders[pb].expired);
    assert_false(r.night.state.orders[pc].expired);
    assert_false(r.night.state.orders[pa].expired);

    struct rt_sum l = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(l.gross, 250000000);
    RT_EQ(l.alloc[BR_SRC_PLAN], 250000000);
    rt_close(&r);
}

/* --- 05 a monthly plan resets at 00:00 UTC+8 on the 1st --------------------- */

static void check_05_lines(const struct rt_run *r)
{
    uint32_t a = rt_acct(r, "acc-1");
    const br_period months[2] = {rt_period("2026-11"), rt_period("2026-12")};
    for (int i = 0; i < 2; i++) {
        struct rt_sum l = rt_lines(&r->night.rated, a, BR_ITEM_EGRESS, months[i], RT_ANY_DAY);
        RT_EQ(l.qty, GB + GB / 4);
        RT_EQ(l.gross, 62500000);
        RT_EQ(l.alloc[BR_SRC_PLAN], 50000000);
        RT_EQ(l.alloc[BR_SRC_OUTSTANDING], 12500000);
    }
}

static void test_05_monthly_reset(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "05-monthly-reset-utc8", rt_t("2026-12-10T00:00:00+08:00"));
    uint32_t m1 = rt_ord(&r, "M-1");
    br_period nov = rt_period("2026-11"), dec = rt_period("2026-12");
    rt_check_conservation(&r.night.rated);
    check_05_lines(&r);
    /* oss-3 at 16:00Z on Nov 30 is Dec 1 00:00 local: a fresh quota */
    uint32_t a = rt_acct(&r, "acc-1");
    RT_EQ(rt_lines(&r.night.rated, a, BR_ITEM_EGRESS, dec, rt_day(2026, 12, 1)).pieces, 2);
    RT_EQ(rt_map_value(&r.night.state.buckets, m1, (uint64_t)(int64_t)nov), GB);
    RT_EQ(rt_map_value(&r.night.state.buckets, m1, (uint64_t)(int64_t)dec), GB);
    RT_EQ(r.night.state.orders[m1].consumed, 2 * GB);

    /* straight line, split at the period end */
    RT_EQ(r.night.state.orders[m1].recognised_e8, 16095890);
    struct rt_rsum snov = rt_recogs(&r.night.rated, m1, BR_RECOG_STRAIGHT, nov);
    struct rt_rsum sdec = rt_recogs(&r.night.rated, m1, BR_RECOG_STRAIGHT, dec);
    RT_EQ(snov.amount, 8698630);
    RT_EQ(snov.n, 1);
    RT_EQ(sdec.amount, 7397260);
    RT_EQ(sdec.n, 1);
    for (size_t i = 0; i < r.night.rated.nrecogs; i++)
        if (r.night.rated.recogs[i].own_period == nov)
            RT_EQ(r.night.rated.recogs[i].effective_at, rt_t("2026-11-30T15:59:59Z"));
    assert_false(r.night.state.orders[m1].expired);
    rt_close(&r);
}

/* The straight line over two runs (as-of Nov 25, recognition alone to the
 * period end, then Dec 10 with nothing new) holds the same per-period shares
 * as one run. */
static void test_05_straight_line_two_runs(void **unused)
{
    (void)unused;
    char empty[64];
    rt_require_spec();
    rt_tmpdir(empty, sizeof(empty));
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "05-monthly-reset-utc8", rt_t("2026-11-25T00:00:00+08:00"));
    uint32_t m1 = rt_ord(&r, "M-1");
    br_period nov = rt_period("2026-11"), dec = rt_period("2026-12");
    check_05_lines(&r);
    /* Nov 20 10:00 to Nov 25 00:00 local = 396,000 s of 31,536,000 */
    RT_EQ(rt_recogs(&r.night.rated, m1, BR_RECOG_STRAIGHT, nov).amount, 3767123);
    RT_EQ(r.night.state.orders[m1].recognised_e8, 3767123);
    RT_EQ(r.night.state.orders[m1].sl_to, 396000);

    /* recognition alone (as a close does) to the end of November */
    struct br_rate_input in = {.book = &r.night.book,
                               .usage = &r.night.ing.usage,
                               .pricer = &r.night.pricer,
                               .cal = rt_cal(),
                               .as_of = rt_t("2026-11-25T00:00:00+08:00"),
                               .threads = 1};
    struct br_rate_result rec;
    struct br_error err;
    memset(&rec, 0, sizeof(rec));
    RT_EQ(br_rate_recognise(&in, &r.night.state, rt_t("2026-12-01T00:00:00+08:00"), &rec, &err),
          BR_OK);
    struct rt_rsum close = rt_recogs(&rec, m1, BR_RECOG_STRAIGHT, nov);
    RT_EQ(close.n, 1);
    RT_EQ(close.amount, 8698630 - 3767123);
    RT_EQ(rec.nrecogs, 1);
    RT_EQ(rec.recogs[0].effective_at, rt_t("2026-11-30T15:59:59Z"));
    RT_EQ(r.night.state.orders[m1].recognised_e8, 8698630);
    br_rate_result_free(&rec);

    rt_run_dir(&r, empty, rt_t("2026-12-10T00:00:00+08:00"));
    RT_EQ(r.night.rated.nlines, 0);
    RT_EQ(r.night.rated.ndraws, 0);
    RT_EQ(rt_recogs(&r.night.rated, m1, BR_RECOG_STRAIGHT, nov).n, 0);
    RT_EQ(rt_recogs(&r.night.rated, m1, BR_RECOG_STRAIGHT, dec).amount, 7397260);
    RT_EQ(r.night.state.orders[m1].recognised_e8, 16095890);
    /* the buckets carried: December's quota stays used */
    RT_EQ(rt_map_value(&r.night.state.buckets, m1, (uint64_t)(int64_t)dec), GB);
    rt_close(&r);
    rt_rmdir(empty);
}

/* --- 06 a capacity plan over two buckets in one hour ------------------------ */

static void test_06_capacity_two_buckets(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "06-capacity-two-buckets", rt_t("2026-11-06T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1"), cap = rt_ord(&r, "CAP-1");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);
    struct rt_sum l = rt_lines(&r.night.rated, a, BR_ITEM_STORAGE, nov, RT_ANY_DAY);
    RT_EQ(l.qty, 320 * GB);
    RT_EQ(l.pieces, 6);
    RT_EQ(l.gross, 32000000);
    RT_EQ(l.alloc[BR_SRC_PLAN], 29000000);
    RT_EQ(l.alloc[BR_SRC_OUTSTANDING], 3000000);
    struct rt_dsum dp =
        rt_draws(&r.night.rated, a, BR_ITEM_STORAGE, BR_SRC_PLAN, cap, nov, RT_ANY_DAY);
    RT_EQ(dp.units, 290 * GB);
    RT_EQ(dp.value, 29000000);
    RT_EQ(dp.recognised, 0); /* straight line, not per draw */
    struct rt_dsum dout =
        rt_draws(&r.night.rated, a, BR_ITEM_STORAGE, BR_SRC_OUTSTANDING, BR_NO_ID, nov, RT_ANY_DAY);
    RT_EQ(dout.units, 30 * GB);
    RT_EQ(dout.value, 3000000);
    /* one bucket per UTC hour, never depleting */
    uint64_t h2 = (uint64_t)(rt_t("2026-11-05T02:00:00Z") / 3600);
    RT_EQ(rt_map_value(&r.night.state.buckets, cap, h2), 100 * GB);
    RT_EQ(rt_map_value(&r.night.state.buckets, cap, h2 + 1), 90 * GB);
    RT_EQ(rt_map_value(&r.night.state.buckets, cap, h2 + 2), 100 * GB);
    RT_EQ(r.night.state.orders[cap].consumed, 290 * GB);
    RT_EQ(r.night.state.orders[cap].recognised_e8, 13150684);
    rt_close(&r);
}

/* Equal instants: record_id byte order decides, not file order (a capacity
 * bucket shared by two rows whose values round differently), and EAS before
 * OSS for equal ids. */
static void test_ties_record_id(void **unused)
{
    (void)unused;
    char d[64];
    rt_tmpdir(d, sizeof(d));
    put_file(d, "accounts-1.csv", H_ACCOUNTS,
             "acc-1,Tie Co,addr,TAX1,a@example.com\nacc-2,Tie Two,addr,TAX2,b@example.com\n");
    /* storage at 0.0000072 per GB-month = 1 e8 per GB-hour */
    put_file(d, "prices-1.csv", H_PRICES,
             "storage,*,0.0000072,2026-01-01T00:00:00+08:00,,,,\n"
             "compute_shared,*,0.01,2026-01-01T00:00:00+08:00,,,,\n"
             "put,*,0.01,2026-01-01T00:00:00+08:00,,,,\n");
    put_file(d, "orders-1.csv", H_ORDERS,
             "K,acc-1,2026-11-01T00:00:00+08:00,plan,storage,capacity,1.5,GB,1,30,\n"
             "T,acc-2,2026-11-01T00:00:00+08:00,topup,,,,,1,,\n");
    /* b (0.625 GB, gross 1) is listed first; a (1.375 GB, gross 1) sorts first:
     * a takes 1.375 GB; b's 0.125 GB left is worth rhu(0.125) = 0 */
    put_file(d, "oss-1.csv", H_OSS,
             "b,acc-1,b1,cn-shanghai,2026-11-05T02:00:00Z,storage_bytes,671088640\n"
             "a,acc-1,b1,cn-shanghai,2026-11-05T02:00:00Z,storage_bytes,1476395008\n"
             "r1,acc-2,b1,cn-shanghai,2026-11-05T00:00:00Z,put_requests,1000000\n");
    /* r1 (EAS) and r1 (OSS) at one instant: EAS first takes the balance */
    put_file(d, "eas-1.csv", H_EAS,
             "r1,acc-2,svc,stable_diffusion,shared,A10,2026-11-05T00:00:00Z,"
             "2026-11-05T00:01:00Z,100000\n");
    struct rt_run r;
    rt_open(&r);
    rt_run_dir(&r, d, rt_t("2026-11-06T00:00:00+08:00"));
    rt_check_conservation(&r.night.rated);
    uint32_t a1 = rt_acct(&r, "acc-1"), a2 = rt_acct(&r, "acc-2");
    struct rt_sum s = rt_lines(&r.night.rated, a1, BR_ITEM_STORAGE, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(s.gross, 2);
    RT_EQ(s.alloc[BR_SRC_PLAN], 1);
    RT_EQ(s.alloc[BR_SRC_OUTSTANDING], 1);
    RT_EQ(r.night.state.orders[rt_ord(&r, "K")].consumed, 3 * GB / 2);
    struct rt_sum cs =
        rt_lines(&r.night.rated, a2, BR_ITEM_COMPUTE_SHARED, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(cs.gross, 100000000);
    RT_EQ(cs.alloc[BR_SRC_BALANCE], 100000000);
    struct rt_sum put = rt_lines(&r.night.rated, a2, BR_ITEM_PUT, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(put.gross, 100000000);
    RT_EQ(put.alloc[BR_SRC_OUTSTANDING], 100000000);
    RT_EQ(r.night.state.balance_e8[a2], 0);
    rt_close(&r);
    rt_rmdir(d);
}

/* A partial cover by a unit source is worth at most what is left unpaid:
 * put at 0.5 e8 per request, 6 requests = rhu(3.0) = 3. Free (1 unit) covers
 * rhu(0.5) = 1, M (1 unit) 1, then P covers 3 of the 4 units left, worth
 * rhu(1.5) = 2 but only 1 is unpaid: min(1, 2) = 1. */
static void test_partial_cover_capped(void **unused)
{
    (void)unused;
    char d[64];
    rt_tmpdir(d, sizeof(d));
    put_file(d, "accounts-1.csv", H_ACCOUNTS, "acc-1,Cap Co,addr,TAX1,a@example.com\n");
    put_file(d, "prices-1.csv", H_PRICES, "put,*,0.00005,2026-01-01T00:00:00+08:00,,,,1\n");
    put_file(d, "orders-1.csv", H_ORDERS,
             "M,acc-1,2026-11-01T00:00:00+08:00,plan,put,monthly,1,request,1,10,\n"
             "P,acc-1,2026-11-01T00:00:00+08:00,plan,put,pool,3,request,3,365,\n");
    put_file(d, "oss-1.csv", H_OSS,
             "q1,acc-1,b1,cn-shanghai,2026-11-05T00:00:00Z,put_requests,6\n");
    struct rt_run r;
    rt_open(&r);
    rt_run_dir(&r, d, rt_t("2026-11-06T00:00:00+08:00"));
    rt_check_conservation(&r.night.rated);
    uint32_t a = rt_acct(&r, "acc-1"), m = rt_ord(&r, "M"), p = rt_ord(&r, "P");
    struct rt_sum l = rt_lines(&r.night.rated, a, BR_ITEM_PUT, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(l.gross, 3);
    RT_EQ(l.alloc[BR_SRC_FREE], 1);
    RT_EQ(l.alloc[BR_SRC_PLAN], 2);
    RT_EQ(l.alloc[BR_SRC_OUTSTANDING], 0);
    struct rt_dsum dm =
        rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_PLAN, m, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(dm.units, 1);
    RT_EQ(dm.value, 1);
    struct rt_dsum dp =
        rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_PLAN, p, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(dp.units, 3);
    RT_EQ(dp.value, 1);
    RT_EQ(r.night.state.orders[p].consumed, 3);
    RT_EQ(r.night.state.orders[p].recognised_e8, 300000000);
    rt_close(&r);
    rt_rmdir(d);
}

/* --- 07 coupons, then the balance, then receivables ------------------------- */

static void test_07_coupon_balance_outstanding(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "07-coupon-balance-outstanding", rt_t("2026-11-30T00:00:00+08:00"));
    uint32_t a1 = rt_acct(&r, "acc-1"), a2 = rt_acct(&r, "acc-2");
    uint32_t c1 = rt_ord(&r, "C1"), c2 = rt_ord(&r, "C2"), c4 = rt_ord(&r, "C4");
    br_period nov = rt_period("2026-11");
    int64_t n1 = rt_day(2026, 11, 1), n2 = rt_day(2026, 11, 2), n6 = rt_day(2026, 11, 6);
    rt_check_conservation(&r.night.rated);

    struct rt_sum l1 = rt_lines(&r.night.rated, a1, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(l1.gross, 900000000);
    RT_EQ(l1.alloc[BR_SRC_COUPON], 800000000);
    RT_EQ(l1.alloc[BR_SRC_OUTSTANDING], 100000000);
    RT_EQ(rt_draws(&r.night.rated, a1, RT_ANY_ITEM, BR_SRC_COUPON, c2, nov, n1).value, 300000000);
    RT_EQ(rt_draws(&r.night.rated, a1, RT_ANY_ITEM, BR_SRC_COUPON, c1, nov, n2).value, 400000000);
    RT_EQ(rt_draws(&r.night.rated, a1, RT_ANY_ITEM, BR_SRC_COUPON, c2, nov, n2).n, 0);
    RT_EQ(rt_draws(&r.night.rated, a1, RT_ANY_ITEM, BR_SRC_COUPON, c1, nov, n6).n, 0);
    RT_EQ(rt_draws(&r.night.rated, a1, RT_ANY_ITEM, BR_SRC_COUPON, c2, nov, n6).value, 100000000);
    RT_EQ(r.night.state.orders[c1].consumed, 400000000);
    RT_EQ(r.night.state.orders[c2].consumed, 400000000);

    struct rt_sum l2 = rt_lines(&r.night.rated, a2, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(l2.gross, 1600000000);
    RT_EQ(l2.alloc[BR_SRC_COUPON], 200000000);
    RT_EQ(l2.alloc[BR_SRC_BALANCE], 1000000000);
    RT_EQ(l2.alloc[BR_SRC_OUTSTANDING], 400000000);
    /* a2-0 before the top-up: outstanding 1; a2-1 at T1's instant: balance 8 */
    struct rt_sum d1 = rt_lines(&r.night.rated, a2, BR_ITEM_COMPUTE_SHARED, nov, n1);
    RT_EQ(d1.alloc[BR_SRC_COUPON], 200000000);
    RT_EQ(d1.alloc[BR_SRC_OUTSTANDING], 100000000);
    struct rt_sum d2 = rt_lines(&r.night.rated, a2, BR_ITEM_COMPUTE_SHARED, nov, n2);
    RT_EQ(d2.alloc[BR_SRC_BALANCE], 800000000);
    RT_EQ(d2.alloc[BR_SRC_OUTSTANDING], 0);
    struct rt_sum d6 = rt_lines(&r.night.rated, a2, BR_ITEM_COMPUTE_SHARED, nov, n6);
    RT_EQ(d6.alloc[BR_SRC_BALANCE], 200000000);
    RT_EQ(d6.alloc[BR_SRC_OUTSTANDING], 300000000);
    RT_EQ(r.night.state.orders[c4].consumed, 200000000);
    /* the payment is not a top-up */
    RT_EQ(r.night.state.balance_e8[a2], 0);
    RT_EQ(r.night.state.balance_e8[a1], 0);
    rt_close(&r);
}

/* --- 08 a plan never pays for usage before its purchase --------------------- */

static void test_08_plan_after_usage(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "08-plan-after-usage", rt_t("2026-12-01T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1"), p1 = rt_ord(&r, "P1");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);
    struct rt_sum l = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(l.gross, 350000000);
    RT_EQ(l.alloc[BR_SRC_PLAN], 200000000);
    RT_EQ(l.alloc[BR_SRC_OUTSTANDING], 150000000);
    struct rt_sum d3 =
        rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, rt_day(2026, 11, 3));
    RT_EQ(d3.alloc[BR_SRC_PLAN], 200000000);        /* e2 at the purchase instant */
    RT_EQ(d3.alloc[BR_SRC_OUTSTANDING], 100000000); /* e1, one second before */
    struct rt_sum d2 =
        rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, rt_day(2026, 11, 2));
    RT_EQ(d2.alloc[BR_SRC_OUTSTANDING], 50000000); /* e3, a later file dated earlier */
    RT_EQ(r.night.state.orders[p1].consumed, 200000000);
    RT_EQ(r.night.state.orders[p1].recognised_e8, 160000000);
    rt_close(&r);
}

/* --- 09 expiry: breakage, and a straight line that has reached paid -------- */

static void test_09_expiry_breakage(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    int64_t valid_to = rt_t("2026-11-11T00:00:00+08:00");
    rt_run_example(&r, "09-expiry-breakage", valid_to);
    uint32_t a = rt_acct(&r, "acc-1");
    uint32_t a1 = rt_ord(&r, "A1"), m1 = rt_ord(&r, "M1"), p1 = rt_ord(&r, "P1");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);

    struct rt_sum cs = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(cs.gross, 570000000);
    RT_EQ(cs.alloc[BR_SRC_PLAN], 470000000);
    RT_EQ(cs.alloc[BR_SRC_OUTSTANDING], 100000000);
    /* e2 at 23:59:59 local (t < valid_to) vs e3 at valid_to */
    RT_EQ(rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, rt_day(2026, 11, 10))
              .alloc[BR_SRC_PLAN],
          100000000);
    RT_EQ(rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, rt_day(2026, 11, 11))
              .alloc[BR_SRC_OUTSTANDING],
          100000000);
    struct rt_sum put = rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, RT_ANY_DAY);
    RT_EQ(put.gross, 120000);
    RT_EQ(put.alloc[BR_SRC_PLAN], 120000);
    struct rt_dsum dm = rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_PLAN, m1, nov, RT_ANY_DAY);
    RT_EQ(dm.units, 1000);
    RT_EQ(dm.value, 100000);
    struct rt_dsum dp = rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_PLAN, p1, nov, RT_ANY_DAY);
    RT_EQ(dp.units, 200);
    RT_EQ(dp.value, 20000);

    const struct br_order_state *s = r.night.state.orders;
    assert_true(s[a1].expired);
    assert_true(s[m1].expired);
    assert_true(s[p1].expired);
    RT_EQ(s[a1].consumed, 470000000);
    RT_EQ(s[a1].recognised_e8, 313333333);
    RT_EQ(s[a1].breakage_e8, 286666667);
    RT_EQ(s[m1].recognised_e8, 100000000);
    RT_EQ(s[m1].breakage_e8, 0);
    RT_EQ(s[p1].consumed, 200);
    RT_EQ(s[p1].recognised_e8, 80000000);
    RT_EQ(s[p1].breakage_e8, 120000000);
    struct rt_rsum ba = rt_recogs(&r.night.rated, a1, BR_RECOG_BREAKAGE, nov);
    RT_EQ(ba.n, 1);
    RT_EQ(ba.amount, 286666667);
    RT_EQ(rt_recogs(&r.night.rated, p1, BR_RECOG_BREAKAGE, nov).amount, 120000000);
    struct rt_rsum em = rt_recogs(&r.night.rated, m1, BR_RECOG_EXPIRY, nov);
    RT_EQ(em.n, 1);
    RT_EQ(em.amount, 0);
    RT_EQ(rt_recogs(&r.night.rated, m1, BR_RECOG_STRAIGHT, nov).amount, 100000000);
    for (size_t i = 0; i < r.night.rated.nrecogs; i++)
        if (r.night.rated.recogs[i].kind != BR_RECOG_STRAIGHT)
            RT_EQ(r.night.rated.recogs[i].effective_at, valid_to - 1);
    rt_close(&r);

    /* one second earlier nothing has expired */
    rt_open(&r);
    rt_run_example(&r, "09-expiry-breakage", valid_to - 1);
    m1 = rt_ord(&r, "M1");
    for (size_t i = 0; i < r.night.book.norders; i++) {
        assert_false(r.night.state.orders[i].expired);
        RT_EQ(r.night.state.orders[i].breakage_e8, 0);
    }
    RT_EQ(r.night.state.orders[m1].recognised_e8, 99999884);
    RT_EQ(rt_recogs(&r.night.rated, RT_ANY_ORDER, BR_RECOG_BREAKAGE, RT_ANY_PERIOD).n, 0);
    RT_EQ(rt_recogs(&r.night.rated, RT_ANY_ORDER, BR_RECOG_EXPIRY, RT_ANY_PERIOD).n, 0);
    rt_close(&r);
}

/* Once its expiry is processed a plan covers nothing, even late usage dated
 * before valid_to. */
static void test_09_late_usage_after_expiry(void **unused)
{
    (void)unused;
    char late[64];
    rt_require_spec();
    rt_tmpdir(late, sizeof(late));
    put_file(late, "eas-9.csv", H_EAS,
             "late,acc-1,svc-1,stable_diffusion,shared,A10,2026-11-10T12:00:00Z,"
             "2026-11-10T12:01:00Z,100000\n");
    struct rt_run r;
    rt_open(&r);
    int64_t valid_to = rt_t("2026-11-11T00:00:00+08:00");
    rt_run_example(&r, "09-expiry-breakage", valid_to);
    uint32_t a1 = rt_ord(&r, "A1");
    assert_true(r.night.state.orders[a1].expired);
    rt_run_dir(&r, late, valid_to + 86400);
    struct rt_sum l = rt_lines(&r.night.rated, RT_ANY_ACCT, RT_ANY_ITEM, RT_ANY_PERIOD, RT_ANY_DAY);
    RT_EQ(l.gross, 100000000);
    RT_EQ(l.alloc[BR_SRC_PLAN], 0);
    RT_EQ(l.alloc[BR_SRC_OUTSTANDING], 100000000);
    RT_EQ(r.night.state.orders[a1].consumed, 470000000);
    RT_EQ(r.night.rated.nrecogs, 0); /* nothing expires twice */
    rt_close(&r);
    rt_rmdir(late);
}

/* --- 12 exclusive split, effective dating, exact spec, windows -------------- */

static void test_12_split_and_prices(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "12-split-and-prices", rt_t("2026-12-01T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    br_period oct = rt_period("2026-10"), nov = rt_period("2026-11"), dec = rt_period("2026-12");
    rt_check_conservation(&r.night.rated);
    RT_EQ(r.night.rated.nno_price, 0);

    struct rt_sum x = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_EXCLUSIVE, oct, RT_ANY_DAY);
    RT_EQ(x.qty, 3600);
    RT_EQ(x.gross, 360000000);
    x = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_EXCLUSIVE, nov, RT_ANY_DAY);
    RT_EQ(x.qty, 12601);
    RT_EQ(x.pieces, 5);
    RT_EQ(x.gross, 12600100000);
    x = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_EXCLUSIVE, dec, RT_ANY_DAY);
    RT_EQ(x.qty, 4501);
    RT_EQ(x.pieces, 3);
    RT_EQ(x.gross, 9000100000);
    struct rt_sum s = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(s.qty, 200000);
    RT_EQ(s.gross, 300000000);
    struct rt_sum g = rt_lines(&r.night.rated, a, BR_ITEM_EGRESS, nov, RT_ANY_DAY);
    RT_EQ(g.qty, 5 * GB);
    RT_EQ(g.gross, 175000000);
    /* x5 (zero length) has no piece: no line in 2027-01 */
    RT_EQ(
        rt_lines(&r.night.rated, RT_ANY_ACCT, RT_ANY_ITEM, rt_period("2027-01"), RT_ANY_DAY).nlines,
        0);
    RT_EQ(r.night.rated.pieces, 5 + 3 + 1 + 2 + 3);

    /* piece by piece */
    const int64_t e10 = BR_E10;
    RT_EQ(rt_piece_price(&r, 0, "x1", 0), 36 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x1", 1), 72 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x1", 2), 72 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x2", 0), 36 * e10 / 10);
    RT_EQ(rt_piece_price(&r, 0, "x2", 1), 36 * e10 / 10);
    RT_EQ(rt_piece_price(&r, 0, "x3", 0), 36 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x3", 1), 36 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x4", 0), 36 * e10 / 10);
    RT_EQ(rt_piece_price(&r, 0, "x4", 1), 36 * e10);
    RT_EQ(rt_piece_price(&r, 0, "s1", 0), 2 * e10 / 100);
    RT_EQ(rt_piece_price(&r, 0, "s2", 0), e10 / 100);
    RT_EQ(rt_piece_price(&r, 1, "g1", 0), e10 / 4);
    RT_EQ(rt_piece_price(&r, 1, "g2", 0), e10 / 2);
    RT_EQ(rt_piece_price(&r, 1, "g3", 0), e10 / 4);
    /* x2's two 1-second pieces: one in each period */
    RT_EQ(br_piece_count(&r.night.ing.usage, rt_row(&r, 0, "x2"),
                         br_usage_t(&r.night.ing.usage, rt_row(&r, 0, "x2"))),
          2);
    const struct br_line *d1 =
        one_line(&r.night.rated, a, BR_ITEM_COMPUTE_EXCLUSIVE, rt_day(2026, 12, 1));
    RT_EQ(d1->price_min_e10, 36 * e10 / 10);
    RT_EQ(d1->price_max_e10, 72 * e10);
    RT_EQ(d1->period, dec);
    RT_EQ(d1->own_period, dec);
    rt_close(&r);
}

/* --- 13 a piece whose gross is 0 consumes nothing --------------------------- */

static void test_13_zero_gross(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "13-zero-gross", rt_t("2026-12-01T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1"), g1 = rt_ord(&r, "G1");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);
    struct rt_sum get = rt_lines(&r.night.rated, a, BR_ITEM_GET, nov, RT_ANY_DAY);
    RT_EQ(get.qty, 23);
    RT_EQ(get.pieces, 2);
    RT_EQ(get.gross, 3);
    RT_EQ(get.alloc[BR_SRC_FREE], 2);
    RT_EQ(get.alloc[BR_SRC_PLAN], 1);
    RT_EQ(get.free_units, 10);
    /* z1 took no free units: z2 found all 10 */
    RT_EQ(rt_allowance_used(&r, a, BR_ITEM_GET, nov), 10);
    struct rt_dsum fr =
        rt_draws(&r.night.rated, a, BR_ITEM_GET, BR_SRC_FREE, BR_NO_ID, nov, RT_ANY_DAY);
    RT_EQ(fr.units, 10);
    RT_EQ(fr.value, 2);
    struct rt_dsum pl = rt_draws(&r.night.rated, a, BR_ITEM_GET, BR_SRC_PLAN, g1, nov, RT_ANY_DAY);
    RT_EQ(pl.units, 10);
    RT_EQ(pl.value, 1);
    RT_EQ(r.night.state.orders[g1].consumed, 10);
    RT_EQ(r.night.state.orders[g1].recognised_e8, 100000000);
    /* a zero price: a line with its quantity, gross 0, no draws */
    struct rt_sum cs = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(cs.qty, 1000000);
    RT_EQ(cs.pieces, 1);
    RT_EQ(cs.gross, 0);
    RT_EQ(rt_draws(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, RT_ANY_SOURCE, RT_ANY_ORDER,
                   RT_ANY_PERIOD, RT_ANY_DAY)
              .n,
          0);
    RT_EQ(r.night.rated.nno_price, 0);
    rt_close(&r);
}

/* --- 14 the stop rule, a sliver past a unit source -------------------------- */

static void test_14_waterfall_pins(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "14-waterfall-pins", rt_t("2026-11-20T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);
    /* P-sto, a pool plan over storage, was rejected */
    RT_EQ(r.night.ing.nrejects, 1);
    RT_EQ(r.night.ing.rejects[0].reason, BR_R_BAD_PLAN);
    RT_EQ(r.night.ing.rejects[0].line, 5);
    uint32_t dummy;
    assert_false(br_book_order_find(&r.night.book, "P-sto", 5, &dummy));

    uint32_t aput = rt_ord(&r, "A-put"), pput = rt_ord(&r, "P-put");
    struct rt_sum put = rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, RT_ANY_DAY);
    RT_EQ(put.gross, 200);
    RT_EQ(put.alloc[BR_SRC_PLAN], 150);
    RT_EQ(put.alloc[BR_SRC_OUTSTANDING], 50);
    struct rt_dsum da =
        rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_PLAN, aput, nov, RT_ANY_DAY);
    RT_EQ(da.units, 150);
    RT_EQ(da.value, 150);
    /* unpaid_units floor(0.5) = 0: P-put covers nothing */
    RT_EQ(
        rt_draws(&r.night.rated, a, RT_ANY_ITEM, RT_ANY_SOURCE, pput, RT_ANY_PERIOD, RT_ANY_DAY).n,
        0);
    RT_EQ(r.night.state.orders[pput].consumed, 0);
    RT_EQ(rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_OUTSTANDING, BR_NO_ID, nov, RT_ANY_DAY)
              .units,
          0);

    /* storage: C-sto covers 2^30 of 2^30 + 100 byte-hours, worth all 100,000: stop */
    uint32_t csto = rt_ord(&r, "C-sto");
    struct rt_sum sto = rt_lines(&r.night.rated, a, BR_ITEM_STORAGE, nov, RT_ANY_DAY);
    RT_EQ(sto.qty, GB + 100);
    RT_EQ(sto.gross, 100000);
    RT_EQ(sto.alloc[BR_SRC_PLAN], 100000);
    struct rt_dsum dc =
        rt_draws(&r.night.rated, a, BR_ITEM_STORAGE, BR_SRC_PLAN, csto, nov, RT_ANY_DAY);
    RT_EQ(dc.units, GB);
    RT_EQ(dc.value, 100000);
    RT_EQ(rt_draws(&r.night.rated, a, BR_ITEM_STORAGE, BR_SRC_OUTSTANDING, BR_NO_ID, RT_ANY_PERIOD,
                   RT_ANY_DAY)
              .n,
          0);

    /* egress: M-eg worth all; P-eg is not charged 1 byte for nothing */
    uint32_t meg = rt_ord(&r, "M-eg"), peg = rt_ord(&r, "P-eg");
    struct rt_sum eg = rt_lines(&r.night.rated, a, BR_ITEM_EGRESS, nov, RT_ANY_DAY);
    RT_EQ(eg.gross, 50000000);
    RT_EQ(eg.alloc[BR_SRC_PLAN], 50000000);
    RT_EQ(rt_draws(&r.night.rated, a, BR_ITEM_EGRESS, BR_SRC_PLAN, meg, nov, RT_ANY_DAY).units, GB);
    RT_EQ(rt_draws(&r.night.rated, a, RT_ANY_ITEM, RT_ANY_SOURCE, peg, RT_ANY_PERIOD, RT_ANY_DAY).n,
          0);
    RT_EQ(r.night.state.orders[peg].consumed, 0);

    /* as-of Nov 20: the 10-day plans expired */
    const struct br_order_state *s = r.night.state.orders;
    assert_true(s[aput].expired);
    RT_EQ(s[aput].recognised_e8, 100);
    RT_EQ(s[aput].breakage_e8, 0);
    assert_true(s[csto].expired);
    RT_EQ(s[csto].recognised_e8, 10000000);
    RT_EQ(s[csto].consumed, GB);
    assert_true(s[meg].expired);
    RT_EQ(s[meg].recognised_e8, 30000000);
    assert_false(s[pput].expired);
    RT_EQ(s[pput].recognised_e8, 0);
    RT_EQ(s[peg].recognised_e8, 0);
    rt_close(&r);
}

/* --- 15 a later open row set ends the earlier ones; a promotion ends none --- */

static void test_15_price_change_open_rows(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "15-price-change-open-rows", rt_t("2026-12-01T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);
    for (size_t i = 0; i < r.night.ing.nfiles; i++)
        RT_EQ(r.night.ing.files[i].status, BR_FILE_APPLIED);
    RT_EQ(r.night.book.nprices, 4 + 3); /* the identical row ignored */
    RT_EQ(r.night.ing.nrejects, 0);
    RT_EQ(r.night.rated.nno_price, 0);

    struct rt_sum x = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_EXCLUSIVE, nov, RT_ANY_DAY);
    RT_EQ(x.qty, 3600);
    RT_EQ(x.gross, 1500000000);
    struct rt_sum g = rt_lines(&r.night.rated, a, BR_ITEM_EGRESS, nov, RT_ANY_DAY);
    RT_EQ(g.qty, 3 * GB);
    RT_EQ(g.gross, 110000000);
    struct rt_sum s = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(s.qty, 300000);
    RT_EQ(s.gross, 250000000);

    const int64_t e10 = BR_E10;
    RT_EQ(rt_piece_price(&r, 0, "x1", 0), 10 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x1", 1), 20 * e10);
    RT_EQ(rt_piece_price(&r, 1, "g2", 0), e10 / 2);
    RT_EQ(rt_piece_price(&r, 1, "g3", 0), 3 * e10 / 10); /* the 00:00-08:00 row has ended */
    RT_EQ(rt_piece_price(&r, 1, "g1", 0), 3 * e10 / 10);
    RT_EQ(rt_piece_price(&r, 0, "s2", 0), e10 / 100);
    RT_EQ(rt_piece_price(&r, 0, "s1", 0), e10 / 200);
    RT_EQ(rt_piece_price(&r, 0, "s3", 0), e10 / 100); /* the open row runs on */
    rt_close(&r);
}

/* --- 16 time-of-day windows that wrap past midnight ------------------------- */

static void test_16_tod_wrap(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "16-tod-wrap", rt_t("2026-12-01T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);
    RT_EQ(r.night.rated.nno_price, 0);
    const int64_t e10 = BR_E10;
    RT_EQ(rt_piece_price(&r, 1, "g1", 0), 4 * e10 / 10); /* 21:00 */
    RT_EQ(rt_piece_price(&r, 1, "g2", 0), e10 / 10);     /* 22:00, start included */
    RT_EQ(rt_piece_price(&r, 1, "g5", 0), e10 / 10);     /* 00:00 */
    RT_EQ(rt_piece_price(&r, 1, "g3", 0), e10 / 10);     /* 05:00 */
    RT_EQ(rt_piece_price(&r, 1, "g4", 0), 4 * e10 / 10); /* 06:00, end excluded */
    RT_EQ(rt_piece_price(&r, 0, "t1", 0), e10 / 100);    /* 23:29:59: "*" */
    RT_EQ(rt_piece_price(&r, 0, "t2", 0), 2 * e10 / 100);
    RT_EQ(rt_piece_price(&r, 0, "t3", 0), 2 * e10 / 100);
    RT_EQ(rt_piece_price(&r, 0, "t4", 0), e10 / 100);
    RT_EQ(rt_piece_price(&r, 1, "p1", 0), e10 / 100); /* [22:00, 24:00) */
    RT_EQ(rt_piece_price(&r, 1, "p3", 0), e10 / 100);
    RT_EQ(rt_piece_price(&r, 1, "p2", 0), 3 * e10 / 100);

    struct rt_sum g = rt_lines(&r.night.rated, a, BR_ITEM_EGRESS, nov, RT_ANY_DAY);
    RT_EQ(g.qty, 5 * GB);
    RT_EQ(g.gross, 110000000);
    RT_EQ(rt_lines(&r.night.rated, a, BR_ITEM_EGRESS, nov, rt_day(2026, 11, 10)).gross, 50000000);
    RT_EQ(rt_lines(&r.night.rated, a, BR_ITEM_EGRESS, nov, rt_day(2026, 11, 11)).gross, 60000000);
    struct rt_sum s = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(s.qty, 400000);
    RT_EQ(s.gross, 600000000);
    struct rt_sum p = rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, RT_ANY_DAY);
    RT_EQ(p.qty, 300);
    RT_EQ(p.gross, 50000);
    RT_EQ(rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, rt_day(2026, 11, 11)).gross, 30000);
    rt_close(&r);
}

/* --- 17 a unit source meets unpaid_units = 0: the sliver falls through ------ */

static void test_17_sliver_falls_through(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "17-sliver-falls-through", rt_t("2026-11-20T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    uint32_t oa = rt_ord(&r, "A"), op = rt_ord(&r, "P"), oc = rt_ord(&r, "C");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);
    struct rt_sum l = rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, RT_ANY_DAY);
    RT_EQ(l.qty, 5);
    RT_EQ(l.gross, 500);
    RT_EQ(l.alloc[BR_SRC_FREE], 0);
    RT_EQ(l.alloc[BR_SRC_PLAN], 450);
    RT_EQ(l.alloc[BR_SRC_COUPON], 30);
    RT_EQ(l.alloc[BR_SRC_BALANCE], 10);
    RT_EQ(l.alloc[BR_SRC_OUTSTANDING], 10);
    struct rt_dsum da = rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_PLAN, oa, nov, RT_ANY_DAY);
    RT_EQ(da.units, 150);
    RT_EQ(da.value, 150);
    RT_EQ(da.recognised, 100);
    struct rt_dsum dp = rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_PLAN, op, nov, RT_ANY_DAY);
    RT_EQ(dp.units, 3); /* q2 only: q1's sliver passed it by */
    RT_EQ(dp.value, 300);
    RT_EQ(dp.recognised, 15000000);
    struct rt_dsum dc =
        rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_COUPON, oc, nov, RT_ANY_DAY);
    RT_EQ(dc.value, 30);
    RT_EQ(rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_BALANCE, BR_NO_ID, nov, RT_ANY_DAY).value,
          10);
    RT_EQ(rt_draws(&r.night.rated, a, BR_ITEM_PUT, BR_SRC_OUTSTANDING, BR_NO_ID, nov, RT_ANY_DAY)
              .value,
          10);
    const struct br_order_state *s = r.night.state.orders;
    assert_true(s[oa].expired);
    RT_EQ(s[oa].consumed, 150);
    RT_EQ(s[oa].recognised_e8, 100);
    RT_EQ(s[oa].breakage_e8, 0);
    assert_false(s[op].expired);
    RT_EQ(s[op].consumed, 3);
    RT_EQ(s[op].recognised_e8, 15000000);
    RT_EQ(s[oc].consumed, 30);
    RT_EQ(r.night.state.balance_e8[a], 0);
    rt_close(&r);
}

/* --- 20 dated rows override the open rows of their (item, spec) ------------- */

static void test_20_promotions(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "20-promotions", rt_t("2026-12-01T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    br_period nov = rt_period("2026-11"), dec = rt_period("2026-12");
    rt_check_conservation(&r.night.rated);
    RT_EQ(r.night.ing.nfiles, 7);
    for (size_t i = 0; i < r.night.ing.nfiles; i++) {
        const struct br_ingest_file *f = &r.night.ing.files[i];
        bool refused = strcmp(f->name, "prices-3.csv") == 0;
        RT_EQ(f->status, refused ? BR_FILE_REFUSED : BR_FILE_APPLIED);
        RT_EQ(f->reason, refused ? BR_R_PRICE_OVERLAP : BR_R_NONE);
    }
    RT_EQ(r.night.book.nprices, 8 + 1 + 1);
    RT_EQ(r.night.rated.nno_price, 0);

    const int64_t e10 = BR_E10;
    RT_EQ(rt_piece_price(&r, 1, "e7", 0), e10 / 2);
    RT_EQ(rt_piece_price(&r, 1, "e1", 0), e10 / 5);
    RT_EQ(rt_piece_price(&r, 1, "e2", 0), e10 / 2);
    RT_EQ(rt_piece_price(&r, 1, "e3", 0), e10 / 5);
    RT_EQ(rt_piece_price(&r, 1, "e4", 0), 15 * e10 / 100);
    RT_EQ(rt_piece_price(&r, 1, "e5", 0), 4 * e10 / 10);
    RT_EQ(rt_piece_price(&r, 1, "e6", 0), 4 * e10 / 10);
    RT_EQ(rt_piece_price(&r, 0, "x1", 0), 10 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x1", 1), 4 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x1", 2), 4 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x1", 3), 10 * e10);
    RT_EQ(rt_piece_price(&r, 0, "x2", 0), e10);
    RT_EQ(rt_piece_price(&r, 0, "x2", 1), e10);
    RT_EQ(rt_piece_price(&r, 0, "x3", 0), e10);
    RT_EQ(rt_piece_price(&r, 0, "x3", 1), 36 * e10 / 10);
    RT_EQ(rt_piece_price(&r, 1, "p2", 0), 2 * e10 / 100);

    struct rt_sum g = rt_lines(&r.night.rated, a, BR_ITEM_EGRESS, nov, RT_ANY_DAY);
    RT_EQ(g.qty, 7 * GB);
    RT_EQ(g.gross, 235000000);
    struct rt_sum x = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_EXCLUSIVE, nov, RT_ANY_DAY);
    RT_EQ(x.qty, 23400);
    RT_EQ(x.gross, 3050000000);
    x = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_EXCLUSIVE, dec, RT_ANY_DAY);
    RT_EQ(x.qty, 3600);
    RT_EQ(x.gross, 360000000);
    struct rt_sum p = rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, RT_ANY_DAY);
    RT_EQ(p.qty, 1800);
    RT_EQ(p.gross, 240000);
    RT_EQ(p.alloc[BR_SRC_FREE], 100000);
    RT_EQ(p.alloc[BR_SRC_OUTSTANDING], 140000);
    /* p2 under the promotion (no free_per_month): nothing free, allowance kept */
    struct rt_sum p15 = rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, rt_day(2026, 11, 15));
    RT_EQ(p15.alloc[BR_SRC_FREE], 0);
    RT_EQ(p15.alloc[BR_SRC_OUTSTANDING], 120000);
    struct rt_sum p16 = rt_lines(&r.night.rated, a, BR_ITEM_PUT, nov, rt_day(2026, 11, 16));
    RT_EQ(p16.alloc[BR_SRC_FREE], 40000);
    RT_EQ(p16.alloc[BR_SRC_OUTSTANDING], 20000);
    RT_EQ(p16.free_units, 400);
    RT_EQ(rt_allowance_used(&r, a, BR_ITEM_PUT, nov), 1000);
    rt_close(&r);
}

/* --- 21 a plan ending exactly at a period end expires in that period -------- */

static void check_21(const struct rt_run *r, br_period post_nov)
{
    uint32_t a = rt_acct(r, "acc-1");
    uint32_t a1 = rt_ord(r, "A1"), a2 = rt_ord(r, "A2"), p1 = rt_ord(r, "P1"), m1 = rt_ord(r, "M1"),
             k1 = rt_ord(r, "K1"), c1 = rt_ord(r, "C1");
    br_period nov = rt_period("2026-11"), dec = rt_period("2026-12");
    const struct br_rate_result *res = &r->night.rated;
    rt_check_conservation(res);

    struct rt_rsum b = rt_recogs(res, a1, BR_RECOG_BREAKAGE, nov);
    RT_EQ(b.n, 1);
    RT_EQ(b.amount, 400000000);
    RT_EQ(rt_recogs(res, p1, BR_RECOG_BREAKAGE, nov).amount, 210000000);
    RT_EQ(rt_recogs(res, a2, BR_RECOG_BREAKAGE, dec).amount, 360000000);
    RT_EQ(rt_recogs(res, m1, BR_RECOG_STRAIGHT, nov).amount, 600000000);
    RT_EQ(rt_recogs(res, m1, BR_RECOG_STRAIGHT, dec).n, 0);
    RT_EQ(rt_recogs(res, m1, BR_RECOG_EXPIRY, nov).n, 1);
    RT_EQ(rt_recogs(res, m1, BR_RECOG_EXPIRY, nov).amount, 0);
    RT_EQ(rt_recogs(res, k1, BR_RECOG_STRAIGHT, nov).amount, 300000000);
    RT_EQ(rt_recogs(res, k1, BR_RECOG_EXPIRY, nov).n, 1);
    for (size_t i = 0; i < res->nrecogs; i++) {
        const struct br_recog *g = &res->recogs[i];
        RT_EQ(g->period, g->own_period == nov ? post_nov : g->own_period);
        if (g->kind != BR_RECOG_STRAIGHT)
            RT_EQ(g->effective_at, r->night.book.orders[g->order].valid_to - 1);
    }
    RT_EQ(rt_draws(res, a, RT_ANY_ITEM, BR_SRC_PLAN, a1, nov, RT_ANY_DAY).recognised, 400000000);
    RT_EQ(rt_draws(res, a, RT_ANY_ITEM, BR_SRC_PLAN, a1, dec, RT_ANY_DAY).n, 0);
    RT_EQ(rt_draws(res, a, RT_ANY_ITEM, BR_SRC_PLAN, a2, dec, RT_ANY_DAY).recognised, 40000000);
    RT_EQ(rt_draws(res, a, RT_ANY_ITEM, BR_SRC_PLAN, p1, nov, RT_ANY_DAY).recognised, 90000000);

    struct rt_sum cs = rt_lines(res, a, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY);
    RT_EQ(cs.gross, 500000000);
    RT_EQ(cs.alloc[BR_SRC_PLAN], 500000000);
    cs = rt_lines(res, a, BR_ITEM_COMPUTE_SHARED, dec, RT_ANY_DAY);
    RT_EQ(cs.gross, 100000000);
    RT_EQ(cs.alloc[BR_SRC_PLAN], 100000000);
    RT_EQ(rt_lines(res, a, BR_ITEM_PUT, nov, RT_ANY_DAY).alloc[BR_SRC_PLAN], 3000000);
    RT_EQ(rt_lines(res, a, BR_ITEM_EGRESS, nov, RT_ANY_DAY).alloc[BR_SRC_PLAN], 50000000);
    RT_EQ(rt_lines(res, a, BR_ITEM_STORAGE, nov, RT_ANY_DAY).alloc[BR_SRC_PLAN], 1000000);
    RT_EQ(rt_lines(res, RT_ANY_ACCT, RT_ANY_ITEM, RT_ANY_PERIOD, RT_ANY_DAY).alloc[BR_SRC_COUPON],
          0);
    for (size_t i = 0; i < res->nlines; i++)
        RT_EQ(res->lines[i].period,
              res->lines[i].own_period == nov ? post_nov : res->lines[i].own_period);
    for (size_t i = 0; i < res->ndraws; i++)
        RT_EQ(res->draws[i].period,
              res->draws[i].own_period == nov ? post_nov : res->draws[i].own_period);

    const struct br_order_state *s = r->night.state.orders;
    RT_EQ(s[a1].consumed, 500000000);
    RT_EQ(s[a1].recognised_e8, 400000000);
    RT_EQ(s[a2].consumed, 100000000);
    RT_EQ(s[p1].consumed, 300);
    RT_EQ(s[m1].consumed, GB);
    RT_EQ(s[m1].recognised_e8, 600000000);
    RT_EQ(s[k1].consumed, 10 * GB);
    RT_EQ(s[k1].recognised_e8, 300000000);
    RT_EQ(s[c1].consumed, 0);
    for (size_t i = 0; i < r->night.book.norders; i++)
        if (r->night.book.orders[i].kind == BR_ORDER_PLAN)
            assert_true(s[i].expired);
}

static void test_21_expiry_at_period_end(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "21-expiry-at-period-end", rt_t("2026-12-10T00:00:00+08:00"));
    check_21(&r, rt_period("2026-11"));
    rt_close(&r);
}

/* With November closed, what belongs to November posts in December, flagged
 * by its own period. */
static void test_21_closed_period_posts_late(void **unused)
{
    (void)unused;
    const br_period closed[1] = {rt_period("2026-11")};
    struct rt_run r;
    rt_open(&r);
    r.night.closed = closed;
    r.night.nclosed = 1;
    rt_run_example(&r, "21-expiry-at-period-end", rt_t("2026-12-10T00:00:00+08:00"));
    check_21(&r, rt_period("2026-12"));
    rt_close(&r);

    const br_period two[2] = {rt_period("2026-10"), rt_period("2026-11")};
    RT_EQ(br_post_period(two, 2, rt_period("2026-10")), rt_period("2026-12"));
    RT_EQ(br_post_period(two, 2, rt_period("2026-11")), rt_period("2026-12"));
    RT_EQ(br_post_period(two, 2, rt_period("2026-09")), rt_period("2026-09"));
    RT_EQ(br_post_period(two, 2, rt_period("2027-01")), rt_period("2027-01"));
    RT_EQ(br_post_period(NULL, 0, rt_period("2026-11")), rt_period("2026-11"));
}

/* --- a run split in two gives what one run gives ----------------------------- */

static const char *const SPLIT_ACCOUNTS = "acc-1,Split One,addr,TAX1,a@example.com\n"
                                          "acc-2,Split Two,addr,TAX2,b@example.com\n";
static const char *const SPLIT_PRICES =
    "put,*,0.01,2026-01-01T00:00:00+08:00,,,,500\n"
    "compute_shared,*,0.01,2026-01-01T00:00:00+08:00,,,,\n"
    "egress,*,0.5,2026-01-01T00:00:00+08:00,,,,\n"
    "compute_exclusive,gpu-x,18.5,2026-01-01T00:00:00+08:00,,,,\n";
static const char *const SPLIT_ORDERS_1 =
    "A,acc-1,2026-11-29T00:00:00+08:00,plan,compute_shared|compute_exclusive,amount,20,CNY,15,30,\n"
    "A2,acc-1,2026-11-27T00:00:00+08:00,plan,put,pool,500,request,2,3,\n"
    "M,acc-1,2026-11-20T00:00:00+08:00,plan,egress,monthly,1,GB,3,365,\n"
    "C,acc-1,2026-11-28T00:00:00+08:00,coupon,*,,3,CNY,0,3,\n"
    "T0,acc-2,2026-11-29T00:00:00Z,topup,,,,,1,,\n"
    "T1,acc-2,2026-11-30T20:00:00Z,topup,,,,,5,,\n";
static const char *const SPLIT_ORDERS_2 = "T2,acc-2,2026-12-01T05:00:00Z,topup,,,,,2,,\n";
static const char *const SPLIT_EAS_1 =
    "s1,acc-1,svc,stable_diffusion,shared,A10,2026-11-29T05:00:00Z,2026-11-29T05:10:00Z,500000\n"
    "x1,acc-1,svc,comfyui,exclusive,gpu-x,2026-11-30T15:30:00Z,2026-11-30T17:00:00Z,\n"
    "s3,acc-2,svc,stable_diffusion,shared,A10,2026-11-30T20:00:00Z,2026-11-30T20:10:00Z,200000\n"
    "s4,acc-2,svc,stable_diffusion,shared,A10,2026-11-29T12:00:00Z,2026-11-29T12:10:00Z,150000\n";
static const char *const SPLIT_EAS_2 =
    "s2,acc-1,svc,stable_diffusion,shared,A10,2026-12-01T02:00:00Z,2026-12-01T02:10:00Z,300000\n"
    "x2,acc-1,svc,comfyui,exclusive,gpu-x,2026-12-01T10:00:00Z,2026-12-01T10:20:00Z,\n"
    "s5,acc-2,svc,stable_diffusion,shared,A10,2026-12-01T05:00:00Z,2026-12-01T05:10:00Z,100000\n";
static const char *const SPLIT_OSS_1 =
    "p1,acc-1,b1,cn-shanghai,2026-11-29T00:00:00Z,put_requests,700\n"
    "p2,acc-1,b1,cn-shanghai,2026-11-30T10:00:00Z,put_requests,600\n"
    "p3,acc-1,b1,cn-shanghai,2026-11-30T16:00:00Z,put_requests,500\n"
    "g1,acc-1,b1,cn-shanghai,2026-11-30T14:00:00Z,egress_bytes,805306368\n";
static const char *const SPLIT_OSS_2 =
    "g2,acc-1,b1,cn-shanghai,2026-12-01T03:00:00Z,egress_bytes,1610612736\n";

static void test_split_run_same_lines(void **unused)
{
    (void)unused;
    char all[64], d1[64], d2[64];
    rt_tmpdir(all, sizeof(all));
    rt_tmpdir(d1, sizeof(d1));
    rt_tmpdir(d2, sizeof(d2));
    char orders[2048], eas[2048], oss[2048];
    snprintf(orders, sizeof(orders), "%s%s", SPLIT_ORDERS_1, SPLIT_ORDERS_2);
    snprintf(eas, sizeof(eas), "%s%s", SPLIT_EAS_1, SPLIT_EAS_2);
    snprintf(oss, sizeof(oss), "%s%s", SPLIT_OSS_1, SPLIT_OSS_2);
    put_file(all, "accounts-1.csv", H_ACCOUNTS, SPLIT_ACCOUNTS);
    put_file(all, "prices-1.csv", H_PRICES, SPLIT_PRICES);
    put_file(all, "orders-1.csv", H_ORDERS, orders);
    put_file(all, "eas-1.csv", H_EAS, eas);
    put_file(all, "oss-1.csv", H_OSS, oss);
    put_file(d1, "accounts-1.csv", H_ACCOUNTS, SPLIT_ACCOUNTS);
    put_file(d1, "prices-1.csv", H_PRICES, SPLIT_PRICES);
    put_file(d1, "orders-1.csv", H_ORDERS, SPLIT_ORDERS_1);
    put_file(d1, "eas-1.csv", H_EAS, SPLIT_EAS_1);
    put_file(d1, "oss-1.csv", H_OSS, SPLIT_OSS_1);
    put_file(d2, "orders-2.csv", H_ORDERS, SPLIT_ORDERS_2);
    put_file(d2, "eas-2.csv", H_EAS, SPLIT_EAS_2);
    put_file(d2, "oss-2.csv", H_OSS, SPLIT_OSS_2);

    int64_t mid = rt_t("2026-12-01T00:00:00Z"), end = rt_t("2026-12-02T00:00:00Z");
    struct rt_run one, two;
    struct rt_norm n1, n2;
    memset(&n1, 0, sizeof(n1));
    memset(&n2, 0, sizeof(n2));
    rt_open(&one);
    rt_run_dir(&one, all, end);
    rt_check_conservation(&one.night.rated);
    rt_norm_add(&n1, &one.night.book, &one.night.rated);
    rt_open(&two);
    rt_run_dir(&two, d1, mid);
    rt_check_conservation(&two.night.rated);
    rt_norm_add(&n2, &two.night.book, &two.night.rated);
    rt_run_dir(&two, d2, end);
    rt_check_conservation(&two.night.rated);
    rt_norm_add(&n2, &two.night.book, &two.night.rated);
    rt_norm_merge(&n1);
    rt_norm_merge(&n2);
    assert_true(rt_norm_equal(&n1, &n2));
    assert_true(rt_state_equal(&one, &two));

    /* a few amounts by hand */
    uint32_t a2 = rt_acct(&one, "acc-2");
    RT_EQ(one.night.state.balance_e8[a2], 400000000); /* 1 + 5 + 2 - (1 + 2 + 1) */
    RT_EQ(rt_lines(&one.night.rated, a2, RT_ANY_ITEM, RT_ANY_PERIOD, RT_ANY_DAY)
              .alloc[BR_SRC_OUTSTANDING],
          50000000);
    const struct br_order_state *sa2 = rt_ost(&one, "A2");
    assert_true(sa2->expired);
    RT_EQ(sa2->consumed, 200);
    RT_EQ(sa2->recognised_e8, 80000000);
    RT_EQ(sa2->breakage_e8, 120000000);
    RT_EQ(rt_ost(&two, "A")->consumed, 2000000000);

    rt_norm_free(&n1);
    rt_norm_free(&n2);
    rt_close(&one);
    rt_close(&two);
    rt_rmdir(all);
    rt_rmdir(d1);
    rt_rmdir(d2);
}

/* --- rated hours: the smallest ranges, whatever the order of rows ----------- */

/* Writes 20,000 put_requests rows of two accounts at the hours of hours[]
 * of November 2026 (a pattern with gaps), in the order of perm[]. */
static void spans_inbox(const char *dir, const int *hours, const size_t *perm, size_t n)
{
    put_file(dir, "accounts-1.csv", H_ACCOUNTS, SPLIT_ACCOUNTS);
    put_file(dir, "prices-1.csv", H_PRICES, SPLIT_PRICES);
    size_t cap = n * 80 + 1;
    char *body = malloc(cap), *w = body;
    assert_non_null(body);
    for (size_t i = 0; i < n; i++) {
        size_t k = perm[i];
        w += snprintf(w, cap - (size_t)(w - body),
                      "r%zu,acc-%zu,b1,cn-shanghai,2026-11-%02dT%02d:00:00Z,put_requests,1\n", k,
                      1 + k % 2, 1 + hours[k] / 24, hours[k] % 24);
    }
    put_file(dir, "oss-1.csv", H_OSS, body);
    free(body);
}

static void test_spans_any_order(void **unused)
{
    (void)unused;
    enum { N = 20000 };
    static int hours[N];
    static size_t sorted[N], shuffled[N];
    for (size_t i = 0; i < N; i++) {
        /* hours 0..719 of November, but never the 7th hour of a 7: 103 gaps */
        int h = (int)(i * 720 / N);
        hours[i] = h % 7 == 6 ? h - 1 : h;
        sorted[i] = shuffled[i] = i;
    }
    uint64_t x = 88172645463325252ull; /* xorshift: a fixed shuffle */
    for (size_t i = N - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t j = (size_t)(x % (i + 1)), t = shuffled[i];
        shuffled[i] = shuffled[j], shuffled[j] = t;
    }
    char d1[64], d2[64];
    rt_tmpdir(d1, sizeof(d1));
    rt_tmpdir(d2, sizeof(d2));
    spans_inbox(d1, hours, sorted, N);
    spans_inbox(d2, hours, shuffled, N);
    struct rt_run a, b;
    rt_open(&a);
    rt_run_dir(&a, d1, rt_t("2026-12-01T00:00:00Z"));
    rt_open(&b);
    rt_run_dir(&b, d2, rt_t("2026-12-01T00:00:00Z"));
    const struct br_rate_result *ra = &a.night.rated, *rb = &b.night.rated;
    /* hours 0-5, 7-12, ...: one range per week of 7 hours, 103 of them */
    RT_EQ(ra->nspans, 103);
    RT_EQ(rb->nspans, 103);
    for (size_t i = 0; i < ra->nspans; i++) {
        RT_EQ(ra->spans[i].key, rb->spans[i].key);
        RT_EQ(ra->spans[i].hour_from, rb->spans[i].hour_from);
        RT_EQ(ra->spans[i].hour_to, rb->spans[i].hour_to);
        RT_EQ(ra->spans[i].hour_to - ra->spans[i].hour_from, 5);
    }
    RT_EQ(ra->gross_e8, rb->gross_e8);
    rt_close(&a);
    rt_close(&b);
    rt_rmdir(d1);
    rt_rmdir(d2);
}

/* br_spans_merge alone: overlapping, touching and separate ranges of two keys. */
static void test_spans_merge(void **unused)
{
    (void)unused;
    struct br_rated_span sp[] = {{2, 10, 12}, {1, 5, 6}, {2, 13, 13}, {1, 0, 3},
                                 {2, 20, 21}, {1, 2, 4}, {2, 11, 11}, {1, 8, 9}};
    size_t n = br_spans_merge(sp, sizeof(sp) / sizeof(sp[0]));
    RT_EQ(n, 4);
    struct br_rated_span want[] = {{1, 0, 6}, {1, 8, 9}, {2, 10, 13}, {2, 20, 21}};
    for (size_t i = 0; i < n; i++) {
        RT_EQ(sp[i].key, want[i].key);
        RT_EQ(sp[i].hour_from, want[i].hour_from);
        RT_EQ(sp[i].hour_to, want[i].hour_to);
    }
    RT_EQ(br_spans_merge(sp, 0), 0);
}

/* --- 01 pay-as-you-go, rounding once per piece ------------------------------ */

static void test_01_payg_rounding(void **unused)
{
    (void)unused;
    struct rt_run r;
    rt_open(&r);
    rt_run_example(&r, "01-payg-rounding", rt_t("2026-12-01T00:00:00+08:00"));
    uint32_t a = rt_acct(&r, "acc-1");
    br_period nov = rt_period("2026-11");
    rt_check_conservation(&r.night.rated);
    struct rt_sum x = rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_EXCLUSIVE, nov, RT_ANY_DAY);
    RT_EQ(x.qty, 8400);
    RT_EQ(x.pieces, 4);
    RT_EQ(x.gross, 4316666666);
    RT_EQ(rt_lines(&r.night.rated, a, BR_ITEM_COMPUTE_SHARED, nov, RT_ANY_DAY).gross, 5713400);
    struct rt_sum g = rt_lines(&r.night.rated, a, BR_ITEM_GET, nov, RT_ANY_DAY);
    RT_EQ(g.qty, 33);
    RT_EQ(g.gross, 6);
    struct rt_sum all = rt_lines(&r.night.rated, a, RT_ANY_ITEM, nov, RT_ANY_DAY);
    RT_EQ(all.gross, 4322380072);
    RT_EQ(all.alloc[BR_SRC_OUTSTANDING], 4322380072);
    RT_EQ(r.night.rated.gross_e8, 4322380072);
    rt_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_01_payg_rounding),
        cmocka_unit_test(test_spans_merge),
        cmocka_unit_test(test_spans_any_order),
        cmocka_unit_test(test_02_free_allowance),
        cmocka_unit_test(test_03_amount_then_pool),
        cmocka_unit_test(test_03_piece_by_piece),
        cmocka_unit_test(test_04_expiry_order_ties),
        cmocka_unit_test(test_05_monthly_reset),
        cmocka_unit_test(test_05_straight_line_two_runs),
        cmocka_unit_test(test_06_capacity_two_buckets),
        cmocka_unit_test(test_ties_record_id),
        cmocka_unit_test(test_partial_cover_capped),
        cmocka_unit_test(test_07_coupon_balance_outstanding),
        cmocka_unit_test(test_08_plan_after_usage),
        cmocka_unit_test(test_09_expiry_breakage),
        cmocka_unit_test(test_09_late_usage_after_expiry),
        cmocka_unit_test(test_12_split_and_prices),
        cmocka_unit_test(test_13_zero_gross),
        cmocka_unit_test(test_14_waterfall_pins),
        cmocka_unit_test(test_15_price_change_open_rows),
        cmocka_unit_test(test_16_tod_wrap),
        cmocka_unit_test(test_17_sliver_falls_through),
        cmocka_unit_test(test_20_promotions),
        cmocka_unit_test(test_21_expiry_at_period_end),
        cmocka_unit_test(test_21_closed_period_posts_late),
        cmocka_unit_test(test_split_run_same_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
