/* Labels, dates and amounts in the documents' languages (lang.h). */
#include "invoice/lang.h"

#include "core/btime.h"
#include "core/money.h"
#include "core/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct label_text {
    const char *zh, *en, *zh_en;
};

static const struct label_text labels[BR_L_COUNT] = {
#define BR_LABEL_TEXT(name, zh, en) [BR_L_##name] = {zh, en, zh " " en},
    BR_LABELS(BR_LABEL_TEXT)
#undef BR_LABEL_TEXT
};

/* The page label is a format with two numbers; zh-en joins the two
 * sentences with a gap wide enough to read them apart. */
static const char page_zh_en[] = "第 %d 页 共 %d 页   Page %d of %d";

bool br_lang_parse(const char *s, enum br_lang *out)
{
    static const char *const names[] = {"en", "zh", "zh-en"};
    for (int i = 0; i < 3; i++)
        if (s != NULL && strcmp(s, names[i]) == 0) {
            *out = (enum br_lang)i;
            return true;
        }
    return false;
}

const char *br_lang_name(enum br_lang lang)
{
    return lang == BR_LANG_ZH ? "zh" : lang == BR_LANG_ZH_EN ? "zh-en" : "en";
}

const char *br_label(enum br_lang lang, enum br_label l)
{
    BR_ASSERT((int)l >= 0 && l < BR_L_COUNT);
    const struct label_text *t = &labels[l];
    if (lang == BR_LANG_ZH)
        return t->zh;
    if (lang == BR_LANG_ZH_EN)
        return l == BR_L_PAGE ? page_zh_en : t->zh_en;
    return t->en;
}

bool br_lang_yen(enum br_lang lang)
{
    return lang != BR_LANG_EN;
}

size_t br_amount_text(int64_t e8, enum br_amount_rule rule, bool yen, char *out, size_t size)
{
    BR_ASSERT(size >= 48);
    bool neg = e8 < 0;
    uint64_t v = neg ? (uint64_t)(-(e8 + 1)) + 1 : (uint64_t)e8;
    unsigned decimals = 8;
    if (rule == BR_AMOUNT_TOTAL || rule == BR_AMOUNT_DUE) {
        /* half away from zero, as a spreadsheet shows "#,##0.00" */
        uint64_t fen = v / (uint64_t)BR_E8_FEN, rest = v % (uint64_t)BR_E8_FEN;
        v = (fen + (rest >= (uint64_t)BR_E8_FEN / 2)) * (uint64_t)BR_E8_FEN;
        decimals = 2;
    }
    uint64_t whole = v / (uint64_t)BR_E8, frac = v % (uint64_t)BR_E8;
    char digits[32], frac_text[16];
    int nd = snprintf(digits, sizeof(digits), "%" PRIu64, whole);
    snprintf(frac_text, sizeof(frac_text), "%08" PRIu64, frac);
    if (rule == BR_AMOUNT_EXACT) {
        decimals = 8;
        while (decimals > 2 && frac_text[decimals - 1] == '0')
            decimals--;
    }
    frac_text[decimals] = '\0';
    size_t n = 0;
    if (neg && v != 0)
        out[n++] = '-';
    if (yen) {
        memcpy(out + n, "¥", strlen("¥"));
        n += strlen("¥");
    }
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            out[n++] = ',';
        out[n++] = digits[i];
    }
    int w = snprintf(out + n, size - n, ".%s", frac_text);
    return n + (size_t)w;
}

void br_date_text(enum br_lang lang, int64_t day, char *out, size_t size)
{
    int64_t y;
    unsigned m, d;
    br_civil_from_days(day, &y, &m, &d);
    if (lang == BR_LANG_EN)
        snprintf(out, size, "%04" PRId64 "-%02u-%02u", y, m, d);
    else
        snprintf(out, size, "%" PRId64 "年%u月%u日", y, m, d);
}

const char *br_item_text(enum br_lang lang, const char *item, const char *label)
{
    static const struct {
        const char *item;
        struct label_text t;
    } items[] = {
#define ITEM(code, zh, en)                                                                         \
    {                                                                                              \
        code,                                                                                      \
        {                                                                                          \
            zh, en, zh " " en                                                                      \
        }                                                                                          \
    }
        ITEM("compute_shared", "GPU 算力（共享版）", "GPU compute, shared edition"),
        ITEM("compute_exclusive", "GPU 算力（独享版）", "GPU compute, exclusive machines"),
        ITEM("storage", "对象存储", "Object storage"),
        ITEM("egress", "公网出流量", "Outbound traffic"),
        ITEM("put", "PUT 请求", "PUT requests"),
        ITEM("get", "GET 请求", "GET requests"),
#undef ITEM
    };
    if (item == NULL)
        return label != NULL ? label : "";
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        const struct label_text *t = &items[i].t;
        if (strcmp(item, items[i].item) != 0 || (label != NULL && strcmp(label, t->en) != 0))
            continue;
        return lang == BR_LANG_ZH ? t->zh : lang == BR_LANG_ZH_EN ? t->zh_en : t->en;
    }
    return label != NULL ? label : item;
}

const char *br_date_format(enum br_lang lang)
{
    return lang == BR_LANG_EN ? "yyyy-mm-dd" : "yyyy\"年\"m\"月\"d\"日\"";
}

const char *br_datetime_format(enum br_lang lang)
{
    return lang == BR_LANG_EN ? "yyyy-mm-dd hh:mm:ss" : "yyyy\"年\"m\"月\"d\"日\" hh:mm:ss";
}
