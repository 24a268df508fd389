/* Fuzz target for chart map files (batch/export_map.h, billrun export
 * --chart-map): a refusal is BR_ERR_USAGE with a message; an accepted map
 * gives every code of the chart a company code of the allowed characters
 * and a name of valid UTF-8 without control characters, one name per
 * company code, and written out again as CSV it reads back the same. */
#include "fuzz_common.h"

#include "batch/export_map.h"
#include "core/chart.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY(name) LLVMFuzzerTestOneInput
#endif

static bool chartmap_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > BR_CHART_MAP_CODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '_'))
            return false;
    return true;
}

static bool chartmap_name_ok(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return n > 0 && n <= BR_CHART_MAP_NAME_MAX && fz_utf8_valid((const unsigned char *)s, n);
}

/* The map as a file again: every name quoted, its quotes doubled. */
static size_t chartmap_write(const struct br_chart_map *m, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "billrun_code,code,name\n");
    for (size_t i = 0; i < br_chart_count; i++) {
        n += (size_t)snprintf(buf + n, size - n, "%d,%s,\"", br_chart[i].code, m->acc[i].code);
        for (const char *p = m->acc[i].name; *p != '\0' && n + 2 < size; p++) {
            if (*p == '"')
                buf[n++] = '"';
            buf[n++] = *p;
        }
        n += (size_t)snprintf(buf + n, size - n, "\"\n");
    }
    return n;
}

int FUZZ_ENTRY(chartmap)(const uint8_t *data, size_t size);

int FUZZ_ENTRY(chartmap)(const uint8_t *data, size_t size)
{
    static struct br_chart_map m, again;
    struct br_error err = {0};
    enum br_status st = br_chart_map_parse(data, size, "fuzz", &m, &err);
    if (st != BR_OK) {
        FUZZ_CHECK(st == BR_ERR_USAGE && err.msg[0] != '\0', "refused with %d: %s", st, err.msg);
        return 0;
    }
    for (size_t i = 0; i < br_chart_count; i++) {
        FUZZ_CHECK(chartmap_code_ok(m.acc[i].code), "code of %d: %s", br_chart[i].code,
                   m.acc[i].code);
        FUZZ_CHECK(chartmap_name_ok(m.acc[i].name), "name of %d", br_chart[i].code);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(m.acc[i].code, m.acc[j].code) != 0 ||
                           strcmp(m.acc[i].name, m.acc[j].name) == 0,
                       "code %s has two names", m.acc[i].code);
    }
    static char buf[16 * (BR_CHART_MAP_CODE_MAX + 2 * BR_CHART_MAP_NAME_MAX + 16) + 64];
    size_t n = chartmap_write(&m, buf, sizeof(buf));
    FUZZ_CHECK(n < sizeof(buf), "rewritten map too long");
    st = br_chart_map_parse(buf, n, "again", &again, &err);
    FUZZ_CHECK(st == BR_OK, "the map written again is refused: %s", err.msg);
    FUZZ_CHECK(memcmp(&m, &again, sizeof(m)) == 0, "the map reads back differently");
    return 0;
}
