/* billrun ingest: read and validate an inbox without a database (the
 * samples' ingest summary, and the ingest benchmark). */
#include "cli.h"

#include "batch/night.h"
#include "core/btime.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/money.h"
#include "core/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

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
static int rate_all(const struct br_cli *cli, struct br_night *n, int64_t as_of)
{
    struct br_error err = {0};
    double t0 = br_now_s();
    enum br_status st = br_night_prepare(n, &err);
    if (st == BR_OK)
        st = br_night_rate(n, as_of, &err);
    double t = br_now_s() - t0;
    if (st != BR_OK) {
        br_cli_fail(&err);
        return 1;
    }
    char g[32];
    br_e8_format(n->rated.gross_e8, g, sizeof(g));
    printf("rated     %llu pieces in %.3f s (%.0f pieces/s, %d threads), %zu no-price rows, "
           "gross %s CNY, %zu lines, %zu draws\n",
           (unsigned long long)n->rated.pieces, t, t > 0 ? (double)n->rated.pieces / t : 0.0,
           cli->threads, n->rated.nno_price, g, n->rated.nlines, n->rated.ndraws);
    return 0;
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
    struct br_night night;
    br_night_init(&night, cal, cli->threads);
    struct br_error err = {0};
    enum br_status st = br_night_read_inbox(&night, inbox, &err);
    struct br_ingest *ing = &night.ing;
    if (st != BR_OK && err.msg[0] == '\0')
        br_fail(&err, st, "ingest failed: %s", br_status_str(st));
    int code = BR_EXIT_OK;
    if (st != BR_OK) {
        code = br_cli_fail(&err);
    } else {
        uint64_t rows = 0, acc = 0, rej = 0;
        size_t refused = 0;
        printf("billrun ingest: %s\n", inbox);
        for (size_t i = 0; i < ing->nfiles; i++) {
            const struct br_ingest_file *f = &ing->files[i];
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
               br_book_naccounts(&night.book), night.book.nprices, night.book.norders,
               ing->usage.n);
        print_rejects(ing);
        long kib = br_peak_rss_kib();
        if (kib < 0) { /* no /proc: getrusage (may count the image before exec) */
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            kib = ru.ru_maxrss;
        }
        printf("memory    peak RSS %ld KiB, %.1f bytes per kept usage row\n", kib,
               ing->usage.n ? (double)kib * 1024.0 / (double)ing->usage.n : 0.0);
        code = (rej || refused) ? BR_EXIT_REJECTS : BR_EXIT_OK;
        if (rate && rate_all(cli, &night, as_of) != 0)
            code = BR_EXIT_FAILED;
    }
    br_night_free(&night);
    return code;
}
