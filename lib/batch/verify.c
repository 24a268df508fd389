/* billrun verify (verify.h). */
#include "batch/verify.h"

#include "core/sha256.h"
#include "ledger/canon.h"
#include "store/checks.h"
#include "store/readback.h"
#include "store/txn.h"

#include <stdio.h>
#include <string.h>

static void report(struct br_verify_report *r, bool ok, const char *name, const char *detail)
{
    if (r->n < BR_VERIFY_MAX) {
        struct br_verify_check *c = &r->checks[r->n++];
        c->ok = ok;
        snprintf(c->name, sizeof(c->name), "%s", name);
        snprintf(c->detail, sizeof(c->detail), "%s", detail ? detail : "");
    }
    if (!ok)
        r->failed++;
}

struct chain_walk {
    struct br_db *db;
    struct br_verify_report *rep;
    struct br_error *err;
    int64_t n;
    bool broken;
    uint8_t prev[32];
    char detail[600];
};

/* One link: numbered in sequence, linked to the previous batch, its
 * content recomputed from its rows, its hash from both. */
static enum br_status check_link(void *ctx, const struct br_chain_row *b)
{
    struct chain_walk *w = ctx;
    w->n++;
    if (w->broken)
        return BR_OK;
    if (b->batch_id != w->n) {
        snprintf(w->detail, sizeof(w->detail), "batch numbers are not 1, 2, 3...: %lld at %lld",
                 (long long)b->batch_id, (long long)w->n);
        w->broken = true;
        return BR_OK;
    }
    if (b->has_prev != (w->n > 1) || (b->has_prev && memcmp(b->prev, w->prev, 32) != 0)) {
        snprintf(w->detail, sizeof(w->detail),
                 "batch %lld: prev_hash does not name the previous batch's hash",
                 (long long)b->batch_id);
        w->broken = true;
        return BR_OK;
    }
    struct br_batch_sums sums;
    enum br_status st = br_readback_sums(w->db, b->batch_id, &sums, w->err);
    if (st != BR_OK)
        return st;
    struct br_batch_head h = {.batch_id = b->batch_id,
                              .kind = b->kind,
                              .as_of = b->as_of,
                              .period = b->period[0] ? b->period : NULL};
    uint8_t content[32], chained[32];
    if (br_batch_content(&h, &sums, content) != BR_OK ||
        br_chain_link(b->has_prev ? b->prev : NULL, content, chained) != BR_OK)
        return br_fail(w->err, BR_ERR_NOMEM, "SHA-256 unavailable");
    char want[65], got[65];
    if (memcmp(content, b->content, 32) != 0) {
        br_hex32(b->content, want);
        br_hex32(content, got);
        snprintf(w->detail, sizeof(w->detail),
                 "batch %lld: its stored rows differ from what was committed (content hash "
                 "%.16s..., recomputed %.16s...)",
                 (long long)b->batch_id, want, got);
        w->broken = true;
    } else if (memcmp(chained, b->hash, 32) != 0) {
        br_hex32(b->hash, want);
        br_hex32(chained, got);
        snprintf(w->detail, sizeof(w->detail),
                 "batch %lld: hash does not chain (%.16s... vs %.16s...)", (long long)b->batch_id,
                 want, got);
        w->broken = true;
    }
    memcpy(w->prev, b->hash, 32);
    br_hex32(b->hash, w->rep->tip_hash);
    w->rep->tip_batch_id = b->batch_id;
    return BR_OK;
}

enum br_status br_verify(struct br_db *db, struct br_verify_report *rep, struct br_error *err)
{
    memset(rep, 0, sizeof(*rep));
    enum br_status st = br_txn_begin_read(db, err);
    if (st != BR_OK)
        return st;
    struct chain_walk w = {.db = db, .rep = rep, .err = err};
    st = br_readback_chain(db, check_link, &w, err);
    rep->batches = w.n;
    if (st == BR_OK) {
        if (!w.broken)
            snprintf(w.detail, sizeof(w.detail), "%lld batches, chain intact", (long long)w.n);
        report(rep, !w.broken, "hash chain", w.detail);
    }
    for (size_t i = 0; st == BR_OK && i < br_checks_count(); i++) {
        struct br_check_result c;
        st = br_checks_run(db, i, &c, err);
        if (st == BR_OK)
            report(rep, c.ok, c.name, c.detail);
    }
    br_txn_rollback(db);
    return st;
}
