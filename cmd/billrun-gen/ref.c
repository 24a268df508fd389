/* billrun-gen reference data: accounts (studio names, addresses, tax ids),
 * the price book, and orders (plans, bundles, coupons, top-ups, payments). */
#include "gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Accounts ---- */

struct city {
    const char *en, *zh, *zh_city;
    const char *tax_region; /* the 6-digit area code of a credit code */
    const char *district_en[3];
    const char *district_zh[3];
};

static const struct city cities[] = {
    {"Shanghai",
     "上海",
     "上海市",
     "310115",
     {"Pudong", "Xuhui", "Jing'an"},
     {"浦东新区", "徐汇区", "静安区"}},
    {"Beijing",
     "北京",
     "北京市",
     "110108",
     {"Haidian", "Chaoyang", "Dongcheng"},
     {"海淀区", "朝阳区", "东城区"}},
    {"Hangzhou",
     "杭州",
     "杭州市",
     "330106",
     {"Xihu", "Binjiang", "Yuhang"},
     {"西湖区", "滨江区", "余杭区"}},
    {"Shenzhen",
     "深圳",
     "深圳市",
     "440305",
     {"Nanshan", "Futian", "Longhua"},
     {"南山区", "福田区", "龙华区"}},
    {"Chengdu",
     "成都",
     "成都市",
     "510107",
     {"Wuhou", "Jinjiang", "Qingyang"},
     {"武侯区", "锦江区", "青羊区"}},
    {"Guangzhou",
     "广州",
     "广州市",
     "440106",
     {"Tianhe", "Haizhu", "Panyu"},
     {"天河区", "海珠区", "番禺区"}},
    {"Nanjing",
     "南京",
     "南京市",
     "320106",
     {"Gulou", "Jianye", "Xuanwu"},
     {"鼓楼区", "建邺区", "玄武区"}},
    {"Suzhou",
     "苏州",
     "苏州市",
     "320505",
     {"Gusu", "Wuzhong", "Huqiu"},
     {"姑苏区", "吴中区", "虎丘区"}},
};

struct brand {
    const char *en, *zh;
};

static const struct brand brands[] = {
    {"Lanting", "兰亭"},  {"Yunfan", "云帆"},    {"Qingshan", "青山"}, {"Xinghe", "星河"},
    {"Baiyun", "白云"},   {"Moyun", "墨韵"},     {"Danqing", "丹青"},  {"Ziyun", "紫云"},
    {"Qiming", "启明"},   {"Lingxi", "灵犀"},    {"Wanxiang", "万象"}, {"Guanghe", "光合"},
    {"Hanmo", "翰墨"},    {"Feiyang", "飞扬"},   {"Jinghua", "菁华"},  {"Tianyi", "天翼"},
    {"Shanshui", "山水"}, {"Chenguang", "晨光"}, {"Huayu", "画语"},    {"Longteng", "龙腾"},
    {"Yuexin", "悦心"},   {"Xiaoyu", "晓雨"},    {"Mingxuan", "明轩"}, {"Ruixiang", "瑞祥"},
    {"Qingyun", "青云"},  {"Jiuzhou", "九州"},   {"Fanxing", "繁星"},  {"Yingxiang", "映像"},
    {"Huanying", "幻影"}, {"Caiyun", "彩云"},    {"Xuanyuan", "轩辕"}, {"Zhiyuan", "致远"},
};

struct trade {
    const char *en, *zh;
};

static const struct trade trades[] = {
    {"Digital Technology", "数字科技"},
    {"Animation", "动画"},
    {"Design", "设计"},
    {"Culture Media", "文化传媒"},
    {"Creative", "创意"},
    {"Game Art", "游戏美术"},
    {"Visual Effects", "视觉特效"},
    {"Film", "影视"},
    {"Imaging", "影像"},
    {"Illustration", "插画"},
    {"E-commerce Art", "电商美工"},
};

static const char *const streets[] = {
    "Century Ave", "Nanjing Rd W", "Huaihai Rd M", "Zhangjiang Rd", "Wensan Rd",
    "Keyuan Rd",   "Tianfu Ave",   "Zhongshan Rd", "Renmin Rd",     "Jiangnan Ave",
};
static const char *const streets_zh[] = {"世纪大道", "南京西路", "淮海中路", "张江路", "文三路",
                                         "科苑路",   "天府大道", "中山路",   "人民路", "江南大道"};

/* GB 32100-2015 check character of a unified social credit code. */
static char credit_check(const char *code17)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    unsigned w = 1, sum = 0;
    for (int i = 0; i < 17; i++) {
        unsigned v = (unsigned)(strchr(alphabet, code17[i]) - alphabet);
        sum += v * w;
        w = w * 3 % 31;
    }
    unsigned c = (31 - sum % 31) % 31;
    return alphabet[c];
}

static void make_tax_id(char *out, struct gen_rng *r, const struct city *c)
{
    static const char alnum[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    memcpy(out, "91", 2);
    memcpy(out + 2, c->tax_region, 6);
    memcpy(out + 8, "MA", 2);
    for (int i = 10; i < 17; i++)
        out[i] = alnum[gen_rng_below(r, 31)];
    out[17] = credit_check(out);
    out[18] = '\0';
}

static void make_name(char *out, size_t size, struct gen_rng *r, bool zh, const struct city *c,
                      const struct brand *b)
{
    const struct trade *t = &trades[gen_rng_below(r, COUNT_OF(trades))];
    double u = gen_rng_unit(r);
    if (zh) {
        snprintf(out, size, "%s%s%s%s", c->zh, b->zh, t->zh, u < 0.7 ? "有限公司" : "工作室");
    } else if (u < 0.45) {
        snprintf(out, size, "%s %s Co., Ltd.", b->en, t->en);
    } else if (u < 0.65) {
        snprintf(out, size, "%s %s (%s) Co., Ltd.", b->en, t->en, c->en);
    } else if (u < 0.85) {
        snprintf(out, size, "%s %s Studio", b->en, t->en);
    } else if (u < 0.96) {
        snprintf(out, size, "%s AI Art Lab", b->en);
    } else {
        snprintf(out, size, "%s \"Pixel\" Studio", b->en); /* exercises quote doubling */
    }
}

static void make_address(char *out, size_t size, struct gen_rng *r, bool zh, const struct city *c)
{
    unsigned s = (unsigned)gen_rng_below(r, COUNT_OF(streets));
    unsigned d = (unsigned)gen_rng_below(r, 3);
    unsigned no = 1 + (unsigned)gen_rng_below(r, 1999);
    unsigned floor = 2 + (unsigned)gen_rng_below(r, 30);
    unsigned room = floor * 100 + 1 + (unsigned)gen_rng_below(r, 20);
    bool has_room = gen_rng_chance(r, 0.4);
    if (zh && has_room)
        snprintf(out, size, "%s%s%s%u号%u室", c->zh_city, c->district_zh[d], streets_zh[s], no,
                 room);
    else if (zh)
        snprintf(out, size, "%s%s%s%u号", c->zh_city, c->district_zh[d], streets_zh[s], no);
    else if (has_room)
        snprintf(out, size, "Room %u, %u %s, %s, %s", room, no, streets[s], c->district_en[d],
                 c->en);
    else
        snprintf(out, size, "%u %s, %s, %s", no, streets[s], c->district_en[d], c->en);
}

static void make_email(char *out, size_t size, struct gen_rng *r, const struct brand *b,
                       uint32_t id)
{
    static const char *const boxes[] = {"billing", "finance", "ap", "invoice"};
    char slug[32];
    size_t n = 0;
    for (const char *s = b->en; *s != '\0' && n + 1 < sizeof(slug); s++)
        slug[n++] = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
    slug[n] = '\0';
    snprintf(out, size, "%s@%s%u.example", boxes[gen_rng_below(r, COUNT_OF(boxes))], slug, id);
}

void gen_write_accounts(const struct gen_model *m, struct gen_stats *st)
{
    struct gen_out o;
    gen_out_open(&o, m->opt.out_dir, "accounts-0001.csv");
    char *p = gen_out_reserve(&o);
    gen_out_commit(&o, gen_put_str(p, "account_id,name,address,tax_id,email\n"));
    for (uint32_t ai = 0; ai < m->opt.accounts; ai++) {
        struct gen_rng r;
        gen_rng_init(&r, m->opt.seed, GEN_S_INFO, ai, 0);
        const struct city *c = &cities[gen_rng_below(&r, COUNT_OF(cities))];
        const struct brand *b = &brands[gen_rng_below(&r, COUNT_OF(brands))];
        bool zh = gen_rng_chance(&r, 0.25);
        char name[256], address[256], tax[20], email[128];
        make_name(name, sizeof(name), &r, zh, c, b);
        make_address(address, sizeof(address), &r, zh && gen_rng_chance(&r, 0.8), c);
        make_tax_id(tax, &r, c);
        make_email(email, sizeof(email), &r, b, ai + 1);
        p = gen_out_reserve(&o);
        p = gen_put_account(p, ai + 1);
        *p++ = ',';
        p = gen_put_csv(p, name);
        *p++ = ',';
        p = gen_put_csv(p, address);
        *p++ = ',';
        p = gen_put_str(p, tax);
        *p++ = ',';
        p = gen_put_csv(p, email);
        *p++ = '\n';
        gen_out_commit(&o, p);
    }
    gen_out_close(&o);
    st->files++;
    st->bytes += o.bytes;
}

/* ---- Prices ---- */

struct price_row {
    const char *item, *spec, *unit_price, *tod_from, *tod_to, *free_per_month;
};

static const struct price_row price_book[] = {
    {"compute_shared", "*", "0.008", "", "", ""},
    {"compute_shared", "A10", "0.0077", "", "", ""},
    {"compute_shared", "T4", "0.0042", "", "", ""},
    {"compute_shared", "A100", "0.026", "", "", ""},
    {"compute_shared", "L20", "0.011", "", "", ""},
    {"compute_exclusive", "ml.gu7i.c16m60.1-gu30", "18.5", "", "", ""},
    {"compute_exclusive", "ml.gu7i.c32m188.1-gu30", "24.8", "", "", ""},
    {"compute_exclusive", "ml.gn7i.c8m30.1-t4", "8.9", "", "", ""},
    {"compute_exclusive", "*", "21", "", "", ""},
    {"storage", "*", "0.12", "", "", ""},
    {"egress", "*", "0.25", "00:00", "08:00", ""},
    {"egress", "*", "0.50", "08:00", "24:00", ""},
    {"put", "*", "0.01", "", "", "5000000"},
    {"get", "*", "0.01", "", "", "20000000"},
};

/* The mid-range change: a new open compute_shared '*' row. */
static const struct price_row price_change = {"compute_shared", "*", "0.0072", "", "", ""};

static char *put_price(char *p, const struct price_row *row, int64_t from)
{
    p = gen_put_str(p, row->item);
    *p++ = ',';
    p = gen_put_str(p, row->spec);
    *p++ = ',';
    p = gen_put_str(p, row->unit_price);
    *p++ = ',';
    p += gen_fmt_time(p, from, GEN_LOCAL_OFFSET_S);
    p = gen_put_str(p, ",,");
    p = gen_put_str(p, row->tod_from);
    *p++ = ',';
    p = gen_put_str(p, row->tod_to);
    *p++ = ',';
    p = gen_put_str(p, row->free_per_month);
    *p++ = '\n';
    return p;
}

void gen_write_prices(const struct gen_model *m, struct gen_stats *st)
{
    /* 2026-01-01 local, or the first of the start's month if that is earlier,
     * so that every generated row has a price. */
    int64_t y;
    unsigned mo, d;
    gen_civil_from_days(m->opt.start_day, &y, &mo, &d);
    int64_t base_day = gen_days_from_civil(2026, 1, 1);
    int64_t month_day = gen_days_from_civil(y, mo, 1);
    if (month_day < base_day)
        base_day = month_day;
    int64_t base = base_day * GEN_DAY_S - GEN_LOCAL_OFFSET_S;
    int64_t mid_day = m->opt.start_day + (m->opt.days + 1) / 2;
    int64_t mid = mid_day * GEN_DAY_S - GEN_LOCAL_OFFSET_S;
    struct gen_out o;
    gen_out_open(&o, m->opt.out_dir, "prices-0001.csv");
    char *p = gen_out_reserve(&o);
    p = gen_put_str(p, "item,spec,unit_price,effective_from,effective_to,tod_from,tod_to,"
                       "free_per_month\n");
    for (size_t i = 0; i < COUNT_OF(price_book); i++)
        p = put_price(p, &price_book[i], base);
    p = put_price(p, &price_change, mid);
    gen_out_commit(&o, p);
    gen_out_close(&o);
    st->prices = (uint32_t)COUNT_OF(price_book) + 1;
    st->files++;
    st->bytes += o.bytes;
}
