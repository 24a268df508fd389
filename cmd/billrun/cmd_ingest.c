/* billrun ingest: read and validate an inbox without a database (the
 * samples' ingest summary, and the ingest benchmark). */
#include "cli.h"

#include "core/btime.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sha256.h"
#include "core/money.h"
#include "ingest/ingest.h"
#include "ledger/run.h"
#include "rate/pricebook.h"
#include "rate/rate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

struct named {
    enum br_kind kind;
    char name[256];
};

static int named_cmp(const void *pa, const void *pb)
{
    const struct named *a = pa, *b = pb;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    return strcmp(a->name, b->name);
}

static size_t list(const char *dir, struct named *out, size_t max)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && n < max && (e = readdir(d)) != NULL) {
        enum br_kind k;
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        /* like `run`: regular files only, a symlink is not followed */
        if (!br_kind_of_name(e->d_name, &k) || lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
            strlen(e->d_name) >= sizeof(out[n].name))
            continue;
        out[n].kind = k;
        snprintf(out[n].name, sizeof(out[n].name), "%s", e->d_name);
        n++;
    }
    if (d)
        closedir(d);
    qsort(out, n, sizeof(*out), named_cmp);
    return n;
}

static void print_rejects(const struct br_ingest *ing)
{
    size_t shown = 0;
    for (size_t i = 0; i < ing->nrejects && shown < 50; i++, shown++) {
        const struct br_reject *r = &ing->rejects[i];
        printf("  reject %s:%llu %s\n", ing->files[r->file].name, (unsigned long long)r->line,
               br_reason_str(r->reason));
    }
    if (ing->nrejects > shown)
        printf("  ... and %zu more rejects\n", ing->nrejects - shown);
}

/* Rates the ingested rows from an empty state (no database): the rating
 * stage alone, for the benchmark. */
static int rate_all(const struct br_cli *cli, struct br_book *book, struct br_ingest *ing,
                    struct br_calendar cal, int64_t as_of)
{
    struct br_error err = {0};
    double t0 = br_now_s();
    br_usage_drop_index(&ing->usage);
    struct br_pricer pricer;
    struct br_rate_state state;
    struct br_rate_result out;
    memset(&state, 0, sizeof(state));
    memset(&out, 0, sizeof(out));
    enum br_status st = br_pricer_build(&pricer, book, cal, ing->usage.keys, ing->usage.nkeys);
    struct br_rate_input in = {.book = book,
                               .usage = &ing->usage,
                               .pricer = &pricer,
                               .cal = cal,
                               .as_of = as_of,
                               .threads = cli->threads};
    if (st == BR_OK)
        st = br_rate(&in, &state, &out, &err);
    double t = br_now_s() - t0;
    if (st == BR_OK) {
        char g[32];
        br_e8_format(out.gross_e8, g, sizeof(g));
        printf("rated     %llu pieces in %.3f s (%.0f pieces/s, %d threads), %zu no-price rows, "
               "gross %s CNY, %zu lines, %zu draws\n",
               (unsigned long long)out.pieces, t, t > 0 ? (double)out.pieces / t : 0.0,
               cli->threads, out.nno_price, g, out.nlines, out.ndraws);
    } else {
        br_cli_fail(&err);
    }
    br_rate_result_free(&out);
    br_rate_state_free(&state);
    br_pricer_free(&pricer);
    return st == BR_OK ? 0 : 1;
}

int cmd_ingest(struct br_cli *cli, int argc, char **argv)
{
    const struct br_verb *v = br_verb_find("ingest");
    static const char *const opts[] = {"--inbox", "--tz-offset", "--as-of", NULL};
    static const char *const flags[] = {"--rate", NULL};
    if (!br_cli_options(cli, v, &argc, argv, opts, flags))
        return BR_EXIT_USAGE;
    const char *inbox = br_cli_opt(argc, argv, "--inbox");
    const char *tz = br_cli_opt(argc, argv, "--tz-offset");
    const char *asof = br_cli_opt(argc, argv, "--as-of");
    bool rate = br_cli_flag(argc, argv, "--rate");
    if (inbox == NULL)
        return br_cli_usage_error(v, "--inbox DIR is required");
    if (argc != 2 + (tz ? 2 : 0) + (asof ? 2 : 0) + rate)
        return br_cli_usage_error(v, "unexpected argument");
    int64_t as_of = 0;
    if (asof && !br_cli_time(asof, &as_of))
        return br_cli_usage_error(v, "--as-of takes an RFC 3339 time");
    struct br_calendar cal = {8 * 3600};
    if (tz && !br_offset_parse(tz, strlen(tz), &cal.offset_s))
        return br_cli_usage_error(v, "--tz-offset takes +HH:MM");
    static struct named files[4096];
    size_t n = list(inbox, files, 4096);
    struct br_book book;
    struct br_ingest ing;
    br_book_init(&book);
    br_ingest_init(&ing, &book, cal, (size_t)UINT32_MAX - 1);
    struct br_error err = {0};
    enum br_status st = BR_OK;
    for (size_t i = 0; i < n && st == BR_OK; i++) {
        uint32_t fi;
        st = br_ingest_add_file(&ing, inbox, files[i].name, files[i].kind, &fi);
    }
    if (st == BR_OK)
        st = br_ingest_reserve(&ing);
    for (uint32_t i = 0; i < ing.nfiles && st == BR_OK; i++)
        st = br_ingest_read(&ing, i, &err);
    if (st != BR_OK && err.msg[0] == '\0')
        br_fail(&err, st, "ingest failed: %s", br_status_str(st));
    int code = BR_EXIT_OK;
    if (st != BR_OK) {
        code = br_cli_fail(&err);
    } else {
        uint64_t rows = 0, acc = 0, rej = 0;
        size_t refused = 0;
        printf("billrun ingest: %s\n", inbox);
        for (size_t i = 0; i < ing.nfiles; i++) {
            const struct br_ingest_file *f = &ing.files[i];
            char sha[65];

            br_hex32(f->sha256, sha);
            printf("  %-28s %-8s %-8s %9llu rows %9llu accepted %7llu rejected  %.12s%s%s\n",
                   f->name, br_kind_str(f->kind), f->status == BR_FILE_REFUSED ? "refused" : "read",
                   (unsigned long long)f->rows, (unsigned long long)f->accepted,
                   (unsigned long long)f->rejected, sha, f->status == BR_FILE_REFUSED ? "  " : "",
                   f->status == BR_FILE_REFUSED ? br_reason_str(f->reason) : "");
            rows += f->rows;
            acc += f->accepted;
            rej += f->rejected;
            refused += f->status == BR_FILE_REFUSED;
        }
        printf("rows      %llu = %llu accepted + %llu rejected; %zu files refused\n",
               (unsigned long long)rows, (unsigned long long)acc, (unsigned long long)rej, refused);
        printf("kept      %zu accounts, %zu price rows, %zu orders, %zu usage rows\n",
               br_book_naccounts(&book), book.nprices, book.norders, ing.usage.n);
        print_rejects(&ing);
        long kib = br_peak_rss_kib();
        if (kib < 0) { /* no /proc: getrusage (may count the image before exec) */
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            kib = ru.ru_maxrss;
        }
        printf("memory    peak RSS %ld KiB, %.1f bytes per kept usage row\n", kib,
               ing.usage.n ? (double)kib * 1024.0 / (double)ing.usage.n : 0.0);
        code = (rej || refused) ? BR_EXIT_REJECTS : BR_EXIT_OK;
        if (rate && rate_all(cli, &book, &ing, cal, as_of) != 0)
            code = BR_EXIT_FAILED;
    }
    br_ingest_free(&ing);
    br_book_free(&book);
    return code;
}
