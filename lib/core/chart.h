/* The chart of accounts (rules.md section 5, corrections.md section 3): the
 * one place its codes, names, normal sides and sub-ledgers are spelled. The
 * table ledger.chart is filled from br_chart at `billrun db init` and
 * checked against it on every later init, so the database and the program
 * can never disagree on what a code means.
 *
 * Codes are part of the interface (auditors query them): numbers are frozen
 * once used. SQL text that needs a code uses BR_CHART_SQL(code), which
 * spells the macro's number, never a literal. */
#ifndef BR_CHART_H
#define BR_CHART_H

#include <stdbool.h>
#include <stddef.h>

#define BR_ACC_CASH 1000
#define BR_ACC_RECEIVABLE 1100
#define BR_ACC_PREPAID 2100
#define BR_ACC_LIABILITY 2200
#define BR_ACC_REV_SHARED 4100
#define BR_ACC_REV_EXCLUSIVE 4110
#define BR_ACC_REV_STORAGE 4200
#define BR_ACC_REV_EGRESS 4300
#define BR_ACC_REV_REQUESTS 4400
#define BR_ACC_BREAKAGE 4800
#define BR_ACC_COUPONS 4900
#define BR_ACC_ROUND_DOWN 4910
#define BR_ACC_ADJUSTMENTS 4920

/* The decimal text of a code macro, for SQL built at compile time:
 * "... WHERE credit_code = " BR_CHART_SQL(BR_ACC_PREPAID). */
#define BR_CHART_SQL_(x) #x
#define BR_CHART_SQL(x) BR_CHART_SQL_(x)

enum br_side { BR_SIDE_DEBIT = 0, BR_SIDE_CREDIT = 1 };

/* What a transfer's sub_ledger names under an account. */
enum br_sub_ledger {
    BR_SUB_CUSTOMER = 0, /* a customer account_id */
    BR_SUB_PLAN = 1,     /* a plan's order_id */
    BR_SUB_ORDER = 2,    /* a coupon's (or plan's) order_id */
    BR_SUB_ITEM = 3,     /* a billable item (adjustments) */
};

struct br_chart_account {
    int code;
    const char *name;
    enum br_side normal_side;
    enum br_sub_ledger sub_ledger;
    const char *role; /* what it is for, by name: SQL finds accounts by role */
};

/* Every account, in code order. */
extern const struct br_chart_account br_chart[];
extern const size_t br_chart_count;

/* The account of a code, or NULL. */
const struct br_chart_account *br_chart_find(int code);
const char *br_side_str(enum br_side s);
const char *br_sub_ledger_str(enum br_sub_ledger s);

#endif
