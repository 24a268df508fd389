/* One table of a batch being written (table.h). */
#include "store/table.h"

#include "core/log.h"

#include <stdio.h>
#include <string.h>

static enum br_status begin(struct tw *t, struct br_db *db, struct br_batch_writer *w,
                            enum br_section sec, bool binary, struct br_error *err)
{
    const struct br_table *tb = &br_tables[sec];
    *t = (struct tw){.w = w, .sec = sec, .row = &w->row, .t0 = br_now_s(), .binary = binary};
    if (tb->scope == BR_SCOPE_BATCH)
        t->prefix_n =
            (size_t)snprintf(t->prefix, sizeof(t->prefix), "%lld\t", (long long)w->batch_id);
    struct br_buf sql;
    br_buf_init(&sql, 4096);
    enum br_status st =
        br_buf_printf(&sql, "COPY %s (%s", tb->name, tb->scope == BR_SCOPE_BATCH ? "batch_id" : "");
    for (size_t i = 0; i < tb->ncols && st == BR_OK; i++)
        st = br_buf_printf(&sql, "%s%s", i == 0 && tb->scope != BR_SCOPE_BATCH ? "" : ", ",
                           tb->cols[i]);
    if (st == BR_OK)
        st = br_buf_printf(&sql, ") FROM STDIN%s", binary ? " (FORMAT binary)" : "");
    if (st == BR_OK)
        st = br_copy_begin(&t->c, db, sql.data, err);
    else
        st = br_fail(err, st, "out of memory");
    br_buf_free(&sql);
    if (st == BR_OK && binary) /* signature, flags, header extension length */
        br_copy_put(&t->c, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
    return st;
}

enum br_status tw_begin(struct tw *t, struct br_db *db, struct br_batch_writer *w,
                        enum br_section sec, struct br_error *err)
{
    return begin(t, db, w, sec, false, err);
}

enum br_status tw_begin_binary(struct tw *t, struct br_db *db, struct br_batch_writer *w,
                               enum br_section sec, struct br_error *err)
{
    BR_ASSERT(br_tables[sec].scope == BR_SCOPE_BATCH);
    return begin(t, db, w, sec, true, err);
}

struct br_row *tw_row(struct tw *t)
{
    br_row_reset(t->row);
    return t->row;
}

/* Ends the row: hashed into the section, sent to the COPY. */
void tw_end(struct tw *t)
{
    struct br_row *r = t->row;
    BR_ASSERT(r->fields == br_tables[t->sec].ncols || r->st != BR_OK);
    if (br_row_end(r) != BR_OK) {
        t->st = r->st;
        return;
    }
    br_section_add(&t->w->sec[t->sec], r->p, r->n);
    t->w->rows[t->sec]++;
    br_copy_put(&t->c, t->prefix, t->prefix_n);
    br_copy_put(&t->c, r->p, r->n);
    br_copy_row_done(&t->c);
}

void tw_end_sent(struct tw *t, const char *sent, size_t n)
{
    struct br_row *r = t->row;
    BR_ASSERT(r->fields == br_tables[t->sec].ncols || r->st != BR_OK);
    if (br_row_end(r) != BR_OK) {
        t->st = r->st;
        return;
    }
    br_section_add(&t->w->sec[t->sec], r->p, r->n);
    t->w->rows[t->sec]++;
    if (!t->binary)
        br_copy_put(&t->c, t->prefix, t->prefix_n);
    br_copy_put(&t->c, sent, n);
    br_copy_row_done(&t->c);
}

enum br_status tw_finish(struct tw *t, enum br_status st, struct br_error *err)
{
    if (st == BR_OK && t->st != BR_OK) {
        t->c.st = t->st; /* abort the COPY */
        st = br_fail(err, t->st, "a row of %s could not be made: %s", br_tables[t->sec].name,
                     br_status_str(t->st));
    }
    if (st != BR_OK) {
        struct br_error ignore;
        t->c.st = t->c.st == BR_OK ? st : t->c.st;
        br_copy_finish(&t->c, &ignore);
        return st;
    }
    if (t->binary)
        br_copy_put(&t->c, "\377\377", 2); /* the trailer */
    st = br_copy_finish(&t->c, err);
    if (st == BR_OK && t->w->sec[t->sec].st != BR_OK)
        st = br_fail(err, t->w->sec[t->sec].st, "out of memory hashing %s", br_tables[t->sec].name);
    br_log(BR_LOG_DEBUG, "post_step", "step=%s rows=%llu seconds=%.3f", br_tables[t->sec].name,
           (unsigned long long)t->c.rows, br_now_s() - t->t0);
    return st;
}
