/* Chinese capital numerals for amounts (cnamount.h). The integer part is
 * read in groups of four digits (个, 万, 亿, 万亿), high to low; within a
 * group each digit is followed by its place (仟, 佰, 拾) and the group by
 * its unit. A zero only sets "a 零 is pending", written once before the
 * next non-zero digit, so a run of zeros gives one 零 and trailing zeros
 * none. */
#include "invoice/cnamount.h"

#include "core/status.h"

#include <stdbool.h>
#include <string.h>

static const char *const digit[10] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};
static const char *const place[4] = {"", "拾", "佰", "仟"}; /* within a group */
static const char *const group[4] = {"", "万", "亿", "万"}; /* g3 is 万亿 */

struct text {
    char buf[BR_CN_TEXT_MAX];
    size_t n;
    bool over;
};

static void put(struct text *t, const char *s)
{
    size_t k = strlen(s);
    if (t->n + k >= sizeof(t->buf)) {
        t->over = true;
        return;
    }
    memcpy(t->buf + t->n, s, k);
    t->n += k;
}

/* The integer part (yuan > 0, < 10^16). */
static void put_yuan(struct text *t, uint64_t yuan)
{
    unsigned g[4] = {0, 0, 0, 0};
    int ng = 0;
    for (uint64_t y = yuan; y > 0 && ng < 4; y /= 10000)
        g[ng++] = (unsigned)(y % 10000);
    bool started = false, zero = false;
    for (int k = ng - 1; k >= 0; k--) {
        if (g[k] == 0) {
            zero = zero || started;
            if (k == 2 && started)
                put(t, "亿"); /* 壹万亿: the 亿 group is empty, its unit is still due */
            continue;
        }
        static const unsigned pow10[4] = {1, 10, 100, 1000};
        for (int p = 3; p >= 0; p--) {
            unsigned d = g[k] / pow10[p] % 10;
            if (d == 0) {
                zero = zero || started;
                continue;
            }
            if (zero)
                put(t, "零");
            zero = false;
            put(t, digit[d]);
            put(t, place[p]);
            started = true;
        }
        put(t, group[k]);
    }
    put(t, "元");
}

int br_cn_capital(int64_t fen, unsigned flags, char *out, size_t size)
{
    BR_ASSERT(out != NULL && size > 0);
    out[0] = '\0';
    struct text t = {.n = 0, .over = false};
    uint64_t v = fen < 0 ? (uint64_t)(-(fen + 1)) + 1 : (uint64_t)fen;
    if (v >= 1000000000000000000ULL)
        return -1;
    if (fen < 0)
        put(&t, "负");
    uint64_t yuan = v / 100;
    unsigned jiao = (unsigned)(v / 10 % 10), f = (unsigned)(v % 10);
    if (yuan > 0)
        put_yuan(&t, yuan);
    if (jiao == 0 && f == 0) {
        put(&t, yuan > 0 ? "整" : "零元整");
    } else if (jiao == 0) {
        if (yuan > 0)
            put(&t, "零"); /* PBOC 四(四): 角 0, 分 not: 零 after 元 */
        put(&t, digit[f]);
        put(&t, "分");
    } else {
        put(&t, digit[jiao]);
        put(&t, "角");
        if (f != 0) {
            put(&t, digit[f]);
            put(&t, "分");
        } else if (flags & BR_CN_ZHENG_AFTER_JIAO) {
            put(&t, "整");
        }
    }
    if (t.over || t.n + 1 > size)
        return -1;
    memcpy(out, t.buf, t.n);
    out[t.n] = '\0';
    return 0;
}
