/* A night in memory (night.h). */
#include "batch/night.h"

#include "core/log.h"

#include <stdlib.h>
#include <string.h>

void br_night_init(struct br_night *n, struct br_calendar cal, int threads)
{
    memset(n, 0, sizeof(*n));
    n->cal = cal;
    n->threads = threads < 1 ? 1 : threads;
    br_book_init(&n->book);
    br_ingest_init(&n->ing, &n->book, cal, BR_NIGHT_MAX_ROWS);
    n->t_min = n->hour_min = INT64_MAX;
    n->period_min = INT32_MAX;
}

static void end_files(struct br_night *n)
{
    if (n->pricer_live)
        br_pricer_free(&n->pricer);
    n->pricer_live = false;
    br_rate_result_free(&n->rated);
    br_ingest_free(&n->ing);
}

void br_night_free(struct br_night *n)
{
    end_files(n);
    br_rate_state_free(&n->state);
    br_book_free(&n->book);
    memset(n, 0, sizeof(*n));
}

void br_night_next(struct br_night *n)
{
    end_files(n);
    for (size_t i = 0; i < n->book.norders; i++) {
        n->book.orders[i].is_new = false;
        n->book.orders[i].recredit = false;
    }
    for (size_t a = 0; a < br_book_naccounts(&n->book); a++)
        n->book.accounts[a].changed = false;
    for (size_t i = 0; i < n->book.nprices; i++)
        if (n->book.prices[i].id == 0)
            n->book.prices[i].id = -1; /* loaded by an earlier night */
    br_ingest_init(&n->ing, &n->book, n->cal, BR_NIGHT_MAX_ROWS);
    n->t_min = n->hour_min = INT64_MAX;
    n->period_min = INT32_MAX;
}

enum br_status br_night_add(struct br_night *n, const struct br_inbox *in, size_t i,
                            uint32_t *index, struct br_error *err)
{
    enum br_status st =
        br_ingest_add_file(&n->ing, in->dir, in->files[i].name, in->files[i].kind, index);
    return st == BR_OK ? BR_OK : br_fail(err, st, "out of memory");
}

enum br_status br_night_read(struct br_night *n, uint32_t index, struct br_error *err)
{
    enum br_status st = br_ingest_read(&n->ing, index, err);
    if (st != BR_OK)
        return st;
    const struct br_ingest_file *f = &n->ing.files[index];
    bool refused = f->status == BR_FILE_REFUSED;
    br_log(refused ? BR_LOG_WARN : BR_LOG_INFO, refused ? "file_refused" : "file_read",
           "name=%s kind=%s rows=%llu accepted=%llu rejected=%llu reason=%s", br_logq(f->name),
           br_kind_str(f->kind), (unsigned long long)f->rows, (unsigned long long)f->accepted,
           (unsigned long long)f->rejected, refused ? br_reason_str(f->reason) : "-");
    return BR_OK;
}

enum br_status br_night_read_inbox(struct br_night *n, const char *dir, struct br_error *err)
{
    struct br_inbox in;
    enum br_status st = br_inbox_list(&in, dir, err);
    for (size_t i = 0; i < in.n && st == BR_OK; i++) {
        uint32_t index;
        st = br_night_add(n, &in, i, &index, err);
        if (st == BR_OK)
            st = br_night_read(n, index, err);
    }
    br_inbox_free(&in);
    return st;
}

enum br_status br_night_prepare(struct br_night *n, struct br_error *err)
{
    struct br_usage *u = &n->ing.usage;
    br_usage_drop_index(u);
    if (n->pricer_live)
        br_pricer_free(&n->pricer);
    enum br_status st = br_pricer_build(&n->pricer, &n->book, n->cal, u->keys, u->nkeys);
    if (st != BR_OK)
        return br_fail(err, st, "out of memory building the price tables");
    n->pricer_live = true;
    int64_t tmin = INT64_MAX;
    for (size_t r = 0; r < u->n; r++) {
        int64_t t = br_usage_t(u, r);
        if (t < tmin && (n->skip == NULL || !n->skip[r]))
            tmin = t;
    }
    n->t_min = tmin;
    n->period_min = tmin == INT64_MAX ? INT32_MAX : br_period_of(&n->cal, tmin);
    n->hour_min = tmin == INT64_MAX ? INT64_MAX : br_floor_div(tmin, BR_HOUR_S);
    return BR_OK;
}

enum br_status br_night_rate(struct br_night *n, int64_t as_of, struct br_error *err)
{
    BR_ASSERT(n->pricer_live);
    struct br_rate_input in = {.book = &n->book,
                               .usage = &n->ing.usage,
                               .pricer = &n->pricer,
                               .cal = n->cal,
                               .as_of = as_of,
                               .closed = n->closed,
                               .nclosed = n->nclosed,
                               .threads = n->threads,
                               .skip_rows = n->skip};
    br_rate_result_free(&n->rated);
    enum br_status st = br_rate(&in, &n->state, &n->rated, err);
    if (st == BR_OK && n->rated.nno_price > 0)
        st = br_ingest_reject_rows(&n->ing, n->rated.no_price_rows, n->rated.nno_price,
                                   BR_R_NO_PRICE, NULL, err);
    if (st == BR_OK && n->rated.noverflow > 0)
        st = br_ingest_reject_rows(&n->ing, n->rated.overflow_rows, n->rated.noverflow,
                                   BR_R_BAD_NUMBER, NULL, err);
    if (st == BR_OK)
        br_rate_result_sort(&n->rated);
    return st;
}

enum br_status br_night_recognise(struct br_night *n, int64_t until, struct br_error *err)
{
    struct br_rate_input in = {.book = &n->book,
                               .usage = &n->ing.usage,
                               .cal = n->cal,
                               .as_of = until,
                               .closed = n->closed,
                               .nclosed = n->nclosed,
                               .threads = 1};
    br_rate_result_free(&n->rated);
    memset(&n->rated, 0, sizeof(n->rated));
    enum br_status st = br_rate_recognise(&in, &n->state, until, &n->rated, err);
    if (st == BR_OK)
        br_rate_result_sort(&n->rated);
    return st;
}

enum br_status br_night_rate_inbox(struct br_night *n, const char *dir, int64_t as_of,
                                   struct br_error *err)
{
    enum br_status st = br_night_read_inbox(n, dir, err);
    if (st == BR_OK)
        st = br_night_prepare(n, err);
    if (st == BR_OK)
        st = br_night_rate(n, as_of, err);
    return st;
}
