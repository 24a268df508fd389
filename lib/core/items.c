/* Item and unit tables. */
#include "items.h"

#include "core/chart.h"

#include <string.h>

const struct br_item_info br_items[BR_ITEM_COUNT] = {
    [BR_ITEM_COMPUTE_SHARED] = {"compute_shared", 1000, 1000, "GPU-seconds", BR_UNIT_GPU_SECOND,
                                BR_ACC_REV_SHARED},
    [BR_ITEM_COMPUTE_EXCLUSIVE] = {"compute_exclusive", 3600, 3600, "hours", BR_UNIT_HOUR,
                                   BR_ACC_REV_EXCLUSIVE},
    [BR_ITEM_STORAGE] = {"storage", BR_GB * 720, BR_GB, "GB-hours", BR_UNIT_GB, BR_ACC_REV_STORAGE},
    [BR_ITEM_EGRESS] = {"egress", BR_GB, BR_GB, "GB", BR_UNIT_GB, BR_ACC_REV_EGRESS},
    [BR_ITEM_PUT] = {"put", 10000, 1, "requests", BR_UNIT_REQUEST, BR_ACC_REV_REQUESTS},
    [BR_ITEM_GET] = {"get", 10000, 1, "requests", BR_UNIT_REQUEST, BR_ACC_REV_REQUESTS},
};

static const char *const unit_names[BR_UNIT_COUNT] = {"CNY", "gpu_second", "hour", "GB", "request"};

static bool eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

bool br_item_parse(const char *s, size_t n, enum br_item *out)
{
    for (int i = 0; i < BR_ITEM_COUNT; i++) {
        if (eq(s, n, br_items[i].name)) {
            *out = (enum br_item)i;
            return true;
        }
    }
    return false;
}

bool br_unit_parse(const char *s, size_t n, enum br_unit *out)
{
    for (int i = 0; i < BR_UNIT_COUNT; i++) {
        if (eq(s, n, unit_names[i])) {
            *out = (enum br_unit)i;
            return true;
        }
    }
    return false;
}

const char *br_unit_name(enum br_unit u)
{
    return (unsigned)u < BR_UNIT_COUNT ? unit_names[u] : "?";
}

uint64_t br_unit_base(enum br_unit u)
{
    switch (u) {
    case BR_UNIT_GPU_SECOND:
        return 1000;
    case BR_UNIT_HOUR:
        return 3600;
    case BR_UNIT_GB:
        return BR_GB;
    case BR_UNIT_REQUEST:
        return 1;
    default:
        return 0;
    }
}
