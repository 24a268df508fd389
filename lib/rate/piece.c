/* Pieces of usage rows (rules.md section 2). */
#include "rate/piece.h"

#include "core/btime.h"

uint32_t br_piece_count(const struct br_usage *u, size_t row, int64_t t0)
{
    if (br_usage_item(u, row) != BR_ITEM_COMPUTE_EXCLUSIVE)
        return 1;
    uint64_t len = u->qty[row];
    if (len == 0)
        return 0;
    int64_t h0 = br_floor_div(t0, BR_HOUR_S) * BR_HOUR_S;
    return (uint32_t)(br_floor_div(t0 + (int64_t)len - 1 - h0, BR_HOUR_S) + 1);
}

void br_piece_at(const struct br_usage *u, size_t row, uint32_t sub, int64_t t0, int64_t *t,
                 uint64_t *qty)
{
    if (br_usage_item(u, row) != BR_ITEM_COMPUTE_EXCLUSIVE) {
        *t = t0;
        *qty = u->qty[row];
        return;
    }
    int64_t end = t0 + (int64_t)u->qty[row];
    int64_t h0 = br_floor_div(t0, BR_HOUR_S) * BR_HOUR_S;
    int64_t ps = sub == 0 ? t0 : h0 + (int64_t)sub * BR_HOUR_S;
    int64_t pe = h0 + ((int64_t)sub + 1) * BR_HOUR_S;
    if (pe > end)
        pe = end;
    *t = ps;
    *qty = (uint64_t)(pe - ps);
}
