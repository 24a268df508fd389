/* Transactions (txn.h). */
#include "store/txn.h"

#include "core/log.h"
#include "store/lock.h"
#include "store/schema.h"
#include "store/sql.h"

#include <stdio.h>

enum br_status br_txn_begin_write(struct br_db *db, const struct br_wait *w, struct br_error *err)
{
    int timeout = w->timeout_s > 0 ? w->timeout_s : 600;
    enum br_status st = br_sql_exec(db, "BEGIN", err);
    if (st != BR_OK)
        return st;
    /* every lock a statement of the batch waits for, this one's included,
     * is given up after the timeout: a person's LOCK TABLE or a migration
     * ends the run (exit 1, nothing committed) instead of hanging it */
    char sql[96];
    snprintf(sql, sizeof(sql), "SET LOCAL lock_timeout = '%ds'", timeout);
    st = br_sql_exec(db, sql, err);
    int64_t member = 0;
    if (st == BR_OK)
        st = br_sql_int64(db,
                          "SELECT (EXISTS (SELECT FROM pg_roles WHERE rolname = '" BR_ROLE_WRITER
                          "') AND pg_has_role('" BR_ROLE_WRITER "', 'MEMBER'))::int",
                          0, NULL, 0, &member, err);
    if (st == BR_OK && member)
        st = br_sql_exec(db, "SET LOCAL ROLE " BR_ROLE_WRITER, err);
    if (st == BR_OK) {
        struct br_error e2;
        st = br_sql_exec(db, "LOCK TABLE ledger.writer_lock IN SHARE ROW EXCLUSIVE MODE NOWAIT",
                         &e2);
        if (st != BR_OK && !br_sql_lock_unavailable(db)) {
            *err = e2;
        } else if (st != BR_OK && w->no_wait) {
            st = br_fail(err, BR_ERR_LOCKED,
                         "another billrun run or close holds the database lock; try again later");
        } else if (st != BR_OK) {
            br_txn_rollback(db); /* the failed statement ended the transaction */
            st = br_sql_exec(db, "BEGIN", err);
            if (st == BR_OK)
                st = br_sql_exec(db, sql, err);
            if (st == BR_OK && member)
                st = br_sql_exec(db, "SET LOCAL ROLE " BR_ROLE_WRITER, err);
            if (st == BR_OK) {
                br_log(BR_LOG_WARN, "lock_wait", "msg=%s timeout_s=%d",
                       br_logq("another billrun holds the database lock; waiting for it"), timeout);
                st = br_sql_exec(db, "LOCK TABLE ledger.writer_lock IN SHARE ROW EXCLUSIVE MODE",
                                 &e2);
                if (st != BR_OK && br_sql_lock_unavailable(db))
                    st = br_fail(err, BR_ERR_LOCKED,
                                 "gave up waiting for the database lock after %d s "
                                 "(--lock-timeout): another billrun run or close still holds it",
                                 timeout);
                else if (st != BR_OK)
                    *err = e2;
            }
        }
    }
    if (st != BR_OK)
        br_txn_rollback(db);
    return st;
}

enum br_status br_txn_begin_read(struct br_db *db, struct br_error *err)
{
    return br_sql_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", err);
}

enum br_status br_txn_commit(struct br_db *db, struct br_error *err)
{
    return br_sql_exec(db, "COMMIT", err);
}

void br_txn_rollback(struct br_db *db)
{
    struct br_error ignore;
    br_sql_exec(db, "ROLLBACK", &ignore);
}

enum br_status br_txn_last_run_as_of(struct br_db *db, int64_t *as_of, struct br_error *err)
{
    return br_sql_int64(db,
                        "SELECT extract(epoch FROM max(as_of))::bigint FROM ledger.batches "
                        "WHERE kind IN ('run', 'reprocess')",
                        0, NULL, INT64_MIN, as_of, err);
}
