/* Transactions (txn.h). */
#include "store/txn.h"

#include "core/log.h"
#include "store/lock.h"
#include "store/schema.h"
#include "store/sql.h"

enum br_status br_txn_begin_write(struct br_db *db, bool no_wait, struct br_error *err)
{
    enum br_status st = br_sql_exec(db, "BEGIN", err);
    if (st != BR_OK)
        return st;
    int64_t member = 0;
    st = br_sql_int64(db,
                      "SELECT (EXISTS (SELECT FROM pg_roles WHERE rolname = '" BR_ROLE_WRITER "') "
                      "AND pg_has_role('" BR_ROLE_WRITER "', 'MEMBER'))::int",
                      0, NULL, 0, &member, err);
    if (st == BR_OK && member)
        st = br_sql_exec(db, "SET LOCAL ROLE " BR_ROLE_WRITER, err);
    int64_t got = 0;
    if (st == BR_OK)
        st = br_sql_int64(db, "SELECT pg_try_advisory_xact_lock(" BR_LOCK_KEY ")::int", 0, NULL, 0,
                          &got, err);
    if (st == BR_OK && !got) {
        if (no_wait)
            st = br_fail(err, BR_ERR_LOCKED,
                         "another billrun run or close holds the database lock; try again later");
        else {
            br_log(BR_LOG_WARN, "lock_wait", "msg=%s",
                   br_logq("another billrun holds the database lock; waiting for it"));
            st = br_sql_exec(db, "SELECT pg_advisory_xact_lock(" BR_LOCK_KEY ")", err);
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
