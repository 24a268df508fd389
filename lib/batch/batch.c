/* The batch steps (batch.h). */
#include "batch/batch.h"

#include "core/log.h"
#include "core/sha256.h"
#include "store/readback.h"
#include "store/txn.h"

#include <string.h>
#include <time.h>

enum br_status br_batch_open(struct br_batch *b, struct br_db *db, const char *kind,
                             const struct br_wait *wait, struct br_error *err)
{
    memset(b, 0, sizeof(*b));
    b->db = db;
    b->kind = kind;
    b->started_at = (int64_t)time(NULL);
    enum br_status st = br_txn_begin_write(db, wait, err);
    if (st != BR_OK)
        return st;
    b->open = true;
    struct br_chain_row tip;
    bool any = false;
    st = br_readback_tip(db, &tip, &any, err);
    if (st == BR_OK) {
        b->batch_id = any ? tip.batch_id + 1 : 1;
        b->has_prev = any;
        memcpy(b->prev, tip.hash, 32);
        st = br_next_id(db, "ledger.entries", "entry_id", &b->next_entry, err);
    }
    if (st == BR_OK)
        st = br_next_id(db, "ledger.transfers", "transfer_id", &b->next_transfer, err);
    br_writer_init(&b->writer, b->batch_id);
    if (st != BR_OK)
        br_batch_abort(b);
    return st;
}

enum br_status br_batch_seal(struct br_batch *b, int64_t as_of, const char *period,
                             const char *version, const char *summary, struct br_error *err)
{
    BR_ASSERT(b->open);
    struct br_batch_sums wrote, stored;
    enum br_status st = br_writer_sums(&b->writer, &wrote, err);
    double t0 = br_now_s();
    if (st == BR_OK)
        st = br_readback_counts(b->db, b->batch_id, &stored, err);
    br_log(BR_LOG_DEBUG, "post_step", "step=readback_counts seconds=%.3f", br_now_s() - t0);
    int diff = -1;
    for (int i = 0; st == BR_OK && diff < 0 && i < BR_SEC_COUNT; i++)
        if (wrote.rows[i] != stored.rows[i])
            diff = i;
    if (diff >= 0)
        return br_fail(err, BR_ERR_VERIFY,
                       "batch %lld: the %s it stored (%llu rows) differ from what it wrote (%llu "
                       "rows): nothing was committed",
                       (long long)b->batch_id, br_tables[diff].name,
                       (unsigned long long)stored.rows[diff], (unsigned long long)wrote.rows[diff]);
    struct br_batch_row row = {
        .head = {.batch_id = b->batch_id, .kind = b->kind, .as_of = as_of, .period = period},
        .started_at = b->started_at,
        .version = version,
        .prev_hash = b->has_prev ? b->prev : NULL,
        .summary = summary};
    if (st == BR_OK && (br_batch_content(&row.head, &wrote, row.content) != BR_OK ||
                        br_chain_link(row.prev_hash, row.content, row.hash) != BR_OK))
        st = br_fail(err, BR_ERR_NOMEM, "SHA-256 unavailable");
    if (st == BR_OK)
        st = br_write_batch_row(b->db, &row, err);
    if (st == BR_OK)
        memcpy(b->hash, row.hash, 32);
    return st;
}

enum br_status br_batch_commit(struct br_batch *b, struct br_error *err)
{
    BR_ASSERT(b->open);
    double t0 = br_now_s();
    enum br_status st = br_txn_commit(b->db, err);
    br_log(BR_LOG_DEBUG, "post_step", "step=commit seconds=%.3f", br_now_s() - t0);
    b->open = false;
    if (st == BR_OK) {
        char hex[65];
        br_hex32(b->hash, hex);
        br_log(BR_LOG_INFO, "batch_committed", "batch=%lld kind=%s hash=%s", (long long)b->batch_id,
               b->kind, hex);
    }
    return st;
}

void br_batch_abort(struct br_batch *b)
{
    if (b->open)
        br_txn_rollback(b->db);
    b->open = false;
}

void br_batch_free(struct br_batch *b)
{
    br_batch_abort(b);
    br_writer_free(&b->writer);
}
