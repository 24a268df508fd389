/* The billable items of rules.md section 1: base units, price units,
 * display units, plan units and revenue accounts. */
#ifndef BR_ITEMS_H
#define BR_ITEMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum br_item {
    BR_ITEM_COMPUTE_SHARED = 0,
    BR_ITEM_COMPUTE_EXCLUSIVE = 1,
    BR_ITEM_STORAGE = 2,
    BR_ITEM_EGRESS = 3,
    BR_ITEM_PUT = 4,
    BR_ITEM_GET = 5,
    BR_ITEM_COUNT
};

/* Plan and coupon units (orders' `unit` column). */
enum br_unit {
    BR_UNIT_CNY = 0,
    BR_UNIT_GPU_SECOND = 1,
    BR_UNIT_HOUR = 2,
    BR_UNIT_GB = 3,
    BR_UNIT_REQUEST = 4,
    BR_UNIT_COUNT
};

struct br_item_info {
    const char *name;         /* "compute_shared" */
    uint64_t price_divisor;   /* base units per price unit */
    uint64_t display_divisor; /* base units per display unit */
    const char *display_unit; /* "GPU-seconds" */
    enum br_unit plan_unit;   /* the unit of unit-measured plans */
    int revenue_code;         /* BR_ACC_REV_* of core/chart.h */
};

extern const struct br_item_info br_items[BR_ITEM_COUNT];

#define BR_GB ((uint64_t)1 << 30)

/* Item by name; false when unknown. */
bool br_item_parse(const char *s, size_t n, enum br_item *out);
bool br_unit_parse(const char *s, size_t n, enum br_unit *out);
const char *br_unit_name(enum br_unit u);
/* Base units per plan unit (1 GPU-second = 1000 gpu_ms, 1 hour = 3600 s,
 * 1 GB = 2^30 bytes or byte-hours, 1 request = 1). CNY: 0. */
uint64_t br_unit_base(enum br_unit u);

#endif
