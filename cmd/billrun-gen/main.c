/* billrun-gen: parses the options, writes a synthetic inbox (reference files,
 * then usage streamed day by day) and prints a summary to stderr. */
#include "gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char USAGE[] =
    "usage: billrun-gen --out DIR --seed N --accounts A --days D --start YYYY-MM-DD\n"
    "                   [--rows R] [--bad-share PERMILLE] [--files per-day|single]\n"
    "                   [--order time|shuffled] [--quiet]\n";

static const char HELP[] =
    "Writes a deterministic synthetic inbox of a cloud AI-image service (Stable\n"
    "Diffusion / ComfyUI on GPU inference, plus object storage) in the formats of\n"
    "shared/spec/formats.md: accounts-0001.csv, prices-0001.csv, orders-0001.csv,\n"
    "and eas-YYYYMMDD.csv / oss-YYYYMMDD.csv per UTC day (or eas-all.csv /\n"
    "oss-all.csv with --files single).\n"
    "\n"
    "  --out DIR            output folder (created if missing)\n"
    "  --seed N             seed; the same seed and options give the same bytes\n"
    "  --accounts A         number of accounts, 1..999998\n"
    "  --days D             number of UTC days of usage, 1..1000\n"
    "  --start YYYY-MM-DD   the first UTC day\n"
    "  --rows R             about R usage rows in all (default: a realistic volume)\n"
    "  --bad-share P        bad rows per thousand usage rows, 0..1000 (default 0)\n"
    "  --files per-day|single   one file pair per day (default) or one in all\n"
    "  --order time|shuffled    usage rows in time order (default) or in an order\n"
    "                       drawn from the seed within each file, as exports merged\n"
    "                       from many services arrive\n"
    "  --quiet              no summary on stderr\n";

_Noreturn static void usage_error(const char *what, const char *arg)
{
    if (arg != NULL)
        fprintf(stderr, "billrun-gen: %s: %s\n", what, arg);
    else
        fprintf(stderr, "billrun-gen: %s\n", what);
    fputs(USAGE, stderr);
    exit(2);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
    if (s[0] < '0' || s[0] > '9')
        usage_error(opt, s);
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        usage_error(opt, s);
    return (uint64_t)v;
}

static int64_t parse_date(const char *s)
{
    unsigned y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3)
        usage_error("--start wants YYYY-MM-DD", s);
    if (y < 1971 || y > 9000 || m < 1 || m > 12 || d < 1)
        usage_error("--start is not a date", s);
    int64_t day = gen_days_from_civil(y, m, d);
    int64_t y2;
    unsigned m2, d2;
    gen_civil_from_days(day, &y2, &m2, &d2);
    if (m2 != m || d2 != d) /* e.g. 2026-02-30 */
        usage_error("--start is not a date", s);
    return day;
}

/* Splits "--opt=value" or takes the next argument. */
static const char *value_of(int argc, char **argv, int *i, const char *eq)
{
    if (eq != NULL)
        return eq + 1;
    if (*i + 1 >= argc)
        usage_error("missing value for", argv[*i]);
    return argv[++*i];
}

struct seen {
    bool out, seed, accounts, days, start;
};

static void parse_one(struct gen_opts *o, struct seen *seen, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
#define IS(name) (n == sizeof(name) - 1 && memcmp(a, name, n) == 0)
    if (IS("--help") || IS("-h")) {
        fputs(USAGE, stdout);
        fputs(HELP, stdout);
        exit(0);
    } else if (IS("--quiet") && eq == NULL) {
        o->quiet = true;
    } else if (IS("--out")) {
        o->out_dir = value_of(argc, argv, i, eq);
        seen->out = o->out_dir[0] != '\0';
    } else if (IS("--seed")) {
        o->seed = parse_u64("--seed", value_of(argc, argv, i, eq), 0, UINT64_MAX);
        seen->seed = true;
    } else if (IS("--accounts")) {
        o->accounts =
            (uint32_t)parse_u64("--accounts", value_of(argc, argv, i, eq), 1, GEN_ACCOUNTS_MAX);
        seen->accounts = true;
    } else if (IS("--days")) {
        o->days = (uint32_t)parse_u64("--days", value_of(argc, argv, i, eq), 1, GEN_DAYS_MAX);
        seen->days = true;
    } else if (IS("--start")) {
        o->start_day = parse_date(value_of(argc, argv, i, eq));
        seen->start = true;
    } else if (IS("--rows")) {
        o->rows = parse_u64("--rows", value_of(argc, argv, i, eq), 1, (uint64_t)1 << 40);
    } else if (IS("--bad-share")) {
        o->bad_permille = (uint32_t)parse_u64("--bad-share", value_of(argc, argv, i, eq), 0, 1000);
    } else if (IS("--files")) {
        const char *v = value_of(argc, argv, i, eq);
        if (strcmp(v, "per-day") == 0)
            o->files = GEN_FILES_PER_DAY;
        else if (strcmp(v, "single") == 0)
            o->files = GEN_FILES_SINGLE;
        else
            usage_error("--files wants per-day or single", v);
    } else if (IS("--order")) {
        const char *v = value_of(argc, argv, i, eq);
        if (strcmp(v, "time") == 0)
            o->shuffled = false;
        else if (strcmp(v, "shuffled") == 0)
            o->shuffled = true;
        else
            usage_error("--order wants time or shuffled", v);
    } else {
        usage_error("unknown option", a);
    }
#undef IS
}

static void parse_args(struct gen_opts *o, int argc, char **argv)
{
    struct seen seen = {0};
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++)
        parse_one(o, &seen, argc, argv, &i);
    if (!seen.out || !seen.seed || !seen.accounts || !seen.days || !seen.start)
        usage_error("--out, --seed, --accounts, --days and --start are required", NULL);
}

/* mkdir -p: creates each missing folder of the path. */
static void make_dirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof(buf))
        gen_die("output path too long: %s", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            gen_die("cannot create %s: %s", buf, strerror(errno));
        buf[i] = c;
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        gen_die("%s is not a folder", path);
}

static void print_summary(const struct gen_opts *o, const struct gen_stats *st)
{
    char from[32];
    gen_fmt_time(from, o->start_day * GEN_DAY_S, 0);
    from[10] = '\0';
    uint64_t eas = st->eas_shared + st->eas_exclusive;
    uint64_t oss = 0, bad = 0;
    for (int k = 0; k < GEN_METRIC_COUNT; k++)
        oss += st->oss[k];
    for (int r = 1; r < GEN_BAD_COUNT; r++)
        bad += st->bad[GEN_EAS][r] + st->bad[GEN_OSS][r];
    fprintf(stderr, "billrun-gen: seed %llu, %u accounts, %u days from %s, into %s\n",
            (unsigned long long)o->seed, o->accounts, o->days, from, o->out_dir);
    fprintf(stderr, "files: %u written (%.1f MiB)\n", st->files, (double)st->bytes / 1048576.0);
    fprintf(stderr, "accounts: %u\nprices: %u rows\n", o->accounts, st->prices);
    fprintf(stderr,
            "orders: %llu (plan %llu, coupon %llu, topup %llu, payment %llu; bundles %llu, "
            "storage plans %llu)\n",
            (unsigned long long)(st->orders[0] + st->orders[1] + st->orders[2] + st->orders[3]),
            (unsigned long long)st->orders[GEN_PLAN], (unsigned long long)st->orders[GEN_COUPON],
            (unsigned long long)st->orders[GEN_TOPUP], (unsigned long long)st->orders[GEN_PAYMENT],
            (unsigned long long)st->bundles, (unsigned long long)st->storage_plans);
    fprintf(stderr, "eas rows: %llu (shared %llu, exclusive %llu)\n", (unsigned long long)eas,
            (unsigned long long)st->eas_shared, (unsigned long long)st->eas_exclusive);
    fprintf(stderr,
            "oss rows: %llu (storage_bytes %llu, egress_bytes %llu, put_requests %llu, "
            "get_requests %llu)\n",
            (unsigned long long)oss, (unsigned long long)st->oss[GEN_STORAGE],
            (unsigned long long)st->oss[GEN_EGRESS], (unsigned long long)st->oss[GEN_PUT],
            (unsigned long long)st->oss[GEN_GET]);
    fprintf(stderr, "usage rows: %llu", (unsigned long long)(eas + oss));
    if (o->rows > 0)
        fprintf(stderr, " (asked %llu, scale %.4f%s)", (unsigned long long)o->rows, st->scale,
                st->one_bucket ? ", one bucket per account" : "");
    fputc('\n', stderr);
    if (o->rows > 0 && st->scale == 0.0)
        fprintf(stderr,
                "warning: --rows is below the %.0f hourly storage rows and machine "
                "intervals that %u accounts over %u days always have\n",
                st->floor_rows, o->accounts, o->days);
    fprintf(stderr, "bad rows: %llu (eas %llu, oss %llu)\n", (unsigned long long)bad,
            (unsigned long long)(eas - st->bad[GEN_EAS][GEN_BAD_NONE]),
            (unsigned long long)(oss - st->bad[GEN_OSS][GEN_BAD_NONE]));
    for (int r = 1; r < GEN_BAD_COUNT; r++) {
        uint64_t e = st->bad[GEN_EAS][r], s = st->bad[GEN_OSS][r];
        if (e + s > 0)
            fprintf(stderr, "  %-18s %llu (eas %llu, oss %llu)\n", gen_bad_names[r],
                    (unsigned long long)(e + s), (unsigned long long)e, (unsigned long long)s);
    }
    if (st->dropped_past_end > 0)
        fprintf(stderr,
                "note: %llu shared jobs of the last morning fell past the range end and "
                "were left out\n",
                (unsigned long long)st->dropped_past_end);
}

int main(int argc, char **argv)
{
    struct gen_opts opt;
    parse_args(&opt, argc, argv);
    make_dirs(opt.out_dir);
    struct gen_stats st;
    memset(&st, 0, sizeof(st));
    struct gen_model m;
    gen_model_build(&m, &opt, &st);
    gen_write_accounts(&m, &st);
    gen_write_prices(&m, &st);
    gen_write_orders(&m, &st);
    gen_write_usage(&m, &st);
    gen_model_free(&m);
    if (opt.shuffled)
        gen_shuffle_usage(&opt);
    if (!opt.quiet)
        print_summary(&opt, &st);
    return 0;
}
