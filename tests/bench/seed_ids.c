/* The history the duplicate-check benchmark needs (scripts/bench dups):
 * NIGHTS committed batches, each remembering IDS record ids of the day
 * before the next (EAS ids eas-YYYYMMDD-NNNNNNN, OSS ids oss-...: the
 * generator's form, days before the benchmark's own night, so none of them
 * is the night's), charged through that day. Each batch is written the way
 * a night writes its ids (br_records_write through a batch: a files row per
 * source, the record_ids rows, the sealed chain link), without rating
 * anything, so that 60 nights of 10M rows take minutes, not an hour.
 *
 * usage: seed_ids CONNINFO NIGHTS IDS LAST-DAY(YYYY-MM-DD) [EAS-PERCENT]
 * (EAS-PERCENT, default 60: the share of EAS ids, the rest OSS) */
#include "batch/batch.h"
#include "core/btime.h"
#include "core/idhash.h"
#include "core/log.h"
#include "ingest/ingest.h"
#include "store/records.h"
#include "store/write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct night {
    int64_t day0; /* UTC midnight of the day */
    char prefix[2][16];
    uint64_t n[2]; /* ids per source */
};

static void id_of(const struct night *nt, int s, uint32_t k, char *buf, size_t *len)
{
    *len = (size_t)snprintf(buf, 32, "%s%07u", nt->prefix[s], k + 1);
}

struct ctx {
    const struct night *nt;
    int source;
};

static bool entry(void *p, uint32_t idx, int64_t *t, uint32_t *file)
{
    const struct ctx *c = p;
    *t = c->nt->day0 + (int64_t)(idx % 86400);
    *file = (uint32_t)c->source;
    return true;
}

static int fail(const struct br_error *err)
{
    fprintf(stderr, "seed_ids: %s\n", err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: seed_ids CONNINFO NIGHTS IDS LAST-DAY [EAS-PERCENT]\n");
        return 2;
    }
    unsigned eas_pct = argc == 6 ? (unsigned)atoi(argv[5]) : 60;
    if (eas_pct > 100)
        return 2;
    int nights = atoi(argv[2]);
    uint64_t ids = strtoull(argv[3], NULL, 10);
    unsigned y, m, d;
    if (nights < 1 || ids < 2 || ids > UINT32_MAX / 2 ||
        sscanf(argv[4], "%u-%u-%u", &y, &m, &d) != 3)
        return 2;
    br_log_set_level(BR_LOG_WARN);
    struct br_db *db;
    struct br_error err = {0};
    if (br_db_connect(&db, argv[1], &err) != BR_OK)
        return fail(&err);
    int64_t last = br_days_from_civil(y, m, d);
    struct br_idq *q = malloc(ids * sizeof(*q));
    if (q == NULL)
        return 1;
    for (int k = 0; k < nights; k++) {
        struct night nt = {.day0 = (last - (nights - 1 - k)) * BR_DAY_S};
        int64_t yy;
        unsigned mm, dd;
        br_civil_from_days(nt.day0 / BR_DAY_S, &yy, &mm, &dd);
        snprintf(nt.prefix[0], sizeof(nt.prefix[0]), "eas-%04d%02u%02u-", (int)yy, mm, dd);
        snprintf(nt.prefix[1], sizeof(nt.prefix[1]), "oss-%04d%02u%02u-", (int)yy, mm, dd);
        nt.n[0] = ids * eas_pct / 100;
        nt.n[1] = ids - nt.n[0];
        struct br_batch b;
        struct br_wait wait = {.no_wait = false, .timeout_s = 600};
        enum br_status st = br_batch_open(&b, db, "run", &wait, &err);
        /* a files row per source: the ids' files */
        struct br_book book;
        br_book_init(&book);
        struct br_ingest ing;
        br_ingest_init(&ing, &book, (struct br_calendar){8 * 3600}, 0);
        int64_t file_ids[2] = {0, 0};
        for (int s = 0; s < 2 && st == BR_OK; s++) {
            char name[64];
            uint32_t fi;
            snprintf(name, sizeof(name), "%.12s.csv", nt.prefix[s]); /* eas-YYYYMMDD.csv */
            st = br_ingest_add_file(&ing, "/seed", name, s ? BR_KIND_OSS : BR_KIND_EAS, &fi);
            ing.files[fi].status = BR_FILE_APPLIED;
            ing.files[fi].rows = ing.files[fi].accepted = nt.n[s];
        }
        struct br_rate_result rated;
        struct br_rate_state state;
        memset(&rated, 0, sizeof(rated));
        memset(&state, 0, sizeof(state));
        struct br_facts facts = {.cal = {8 * 3600},
                                 .ing = &ing,
                                 .book = &book,
                                 .rated = &rated,
                                 .state = &state,
                                 .file_ids = file_ids};
        if (st == BR_OK)
            st = br_write_facts(db, &b.writer, &facts, &err);
        for (int s = 0; s < 2 && st == BR_OK; s++) {
            for (uint32_t i = 0; i < nt.n[s]; i++) {
                char id[32];
                size_t len;
                id_of(&nt, s, i, id, &len);
                uint64_t h1, h2;
                br_id_hash2(id, len, &h1, &h2);
                q[i] = br_idq_make(h1, h2, i);
            }
            st = br_idq_sort(q, nt.n[s]);
            struct ctx c = {&nt, s};
            if (st == BR_OK)
                st = br_records_write(db, &b.writer, s, q, nt.n[s], file_ids, 2, entry, NULL, &c,
                                      &err);
        }
        if (st == BR_OK)
            st = br_batch_seal(&b, nt.day0 + BR_DAY_S, NULL, "seed", "seed_ids", &err);
        if (st == BR_OK)
            st = br_batch_commit(&b, &err);
        br_batch_free(&b);
        br_ingest_free(&ing);
        br_book_free(&book);
        if (st != BR_OK)
            return fail(&err);
        fprintf(stderr, "seed_ids: night %d/%d (%s) committed\n", k + 1, nights, nt.prefix[0]);
    }
    free(q);
    br_db_close(db);
    return 0;
}
