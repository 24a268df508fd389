/* The chart of accounts. */
#include "core/chart.h"

#include "core/status.h"

const struct br_chart_account br_chart[] = {
    {BR_ACC_CASH, "Cash clearing", BR_SIDE_DEBIT, BR_SUB_CUSTOMER, "cash"},
    {BR_ACC_RECEIVABLE, "Accounts receivable", BR_SIDE_DEBIT, BR_SUB_CUSTOMER, "receivable"},
    {BR_ACC_PREPAID, "Customer prepaid balances", BR_SIDE_CREDIT, BR_SUB_CUSTOMER, "prepaid"},
    {BR_ACC_LIABILITY, "Contract liability - resource plans", BR_SIDE_CREDIT, BR_SUB_PLAN,
     "liability"},
    {BR_ACC_REV_SHARED, "Revenue - compute, shared edition", BR_SIDE_CREDIT, BR_SUB_CUSTOMER,
     "revenue_compute_shared"},
    {BR_ACC_REV_EXCLUSIVE, "Revenue - compute, exclusive edition", BR_SIDE_CREDIT, BR_SUB_CUSTOMER,
     "revenue_compute_exclusive"},
    {BR_ACC_REV_STORAGE, "Revenue - storage", BR_SIDE_CREDIT, BR_SUB_CUSTOMER, "revenue_storage"},
    {BR_ACC_REV_EGRESS, "Revenue - outbound traffic", BR_SIDE_CREDIT, BR_SUB_CUSTOMER,
     "revenue_egress"},
    {BR_ACC_REV_REQUESTS, "Revenue - requests", BR_SIDE_CREDIT, BR_SUB_CUSTOMER,
     "revenue_requests"},
    {BR_ACC_BREAKAGE, "Breakage revenue - expired plans", BR_SIDE_CREDIT, BR_SUB_PLAN, "breakage"},
    {BR_ACC_COUPONS, "Contra-revenue - coupons", BR_SIDE_DEBIT, BR_SUB_ORDER, "coupons"},
    {BR_ACC_ROUND_DOWN, "Contra-revenue - round-down discount", BR_SIDE_DEBIT, BR_SUB_CUSTOMER,
     "round_down"},
    {BR_ACC_ADJUSTMENTS, "Contra-revenue - adjustments", BR_SIDE_DEBIT, BR_SUB_ITEM, "adjustments"},
};
const size_t br_chart_count = sizeof(br_chart) / sizeof(br_chart[0]);

const struct br_chart_account *br_chart_find(int code)
{
    for (size_t i = 0; i < br_chart_count; i++)
        if (br_chart[i].code == code)
            return &br_chart[i];
    return NULL;
}

const char *br_side_str(enum br_side s)
{
    return s == BR_SIDE_DEBIT ? "debit" : "credit";
}

const char *br_sub_ledger_str(enum br_sub_ledger s)
{
    static const char *const names[] = {"customer", "plan", "order", "item"};
    BR_ASSERT((unsigned)s < sizeof(names) / sizeof(names[0]));
    return names[s];
}
