/* Migrations, roles and the calendar. */
#include "ledger/schema.h"

#include "core/sha256.h"
#include "ledger/migrations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const grants =
    /* roles belong to the cluster: another database's db init may create
     * them at the same moment, so a duplicate is not an error */
    "DO $$ BEGIN "
    "BEGIN CREATE ROLE " BR_ROLE_WRITER " NOLOGIN; "
    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END; "
    "BEGIN CREATE ROLE " BR_ROLE_AUDITOR " NOLOGIN; "
    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END; END $$;"
    "GRANT USAGE ON SCHEMA ledger, billing TO " BR_ROLE_WRITER ", " BR_ROLE_AUDITOR ";"
    "REVOKE ALL ON ALL TABLES IN SCHEMA ledger, billing FROM " BR_ROLE_WRITER ", " BR_ROLE_AUDITOR
    ";"
    "GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ledger, billing TO " BR_ROLE_WRITER ";"
    "GRANT SELECT ON ALL TABLES IN SCHEMA ledger, billing TO " BR_ROLE_AUDITOR ";"
    "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ledger, billing TO " BR_ROLE_WRITER
    ", " BR_ROLE_AUDITOR ";";

static void sha_hex(const char *p, size_t n, char out[65])
{
    struct br_sha256 h;
    uint8_t d[32];
    memset(d, 0, sizeof(d));
    if (br_sha256_init(&h) == 0) {
        br_sha256_update(&h, p, n);
        br_sha256_final(&h, d);
    }
    br_hex32(d, out);
}

static enum br_status apply_migrations(struct br_db *db, int *applied, struct br_error *err)
{
    enum br_status st = br_db_exec(
        db,
        "CREATE SCHEMA IF NOT EXISTS billing;"
        "CREATE TABLE IF NOT EXISTS billing.schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now());"
        "COMMENT ON TABLE billing.schema_migrations IS "
        "'Schema migrations applied by billrun db init (sql/NNN_*.sql), with their SHA-256.';"
        "COMMENT ON COLUMN billing.schema_migrations.version IS 'Migration number (NNN).';"
        "COMMENT ON COLUMN billing.schema_migrations.name IS 'Migration file name.';"
        "COMMENT ON COLUMN billing.schema_migrations.sha256 IS 'SHA-256 of its SQL.';"
        "COMMENT ON COLUMN billing.schema_migrations.applied_at IS 'When it was applied.';",
        err);
    for (size_t i = 0; st == BR_OK && i < br_migrations_count; i++) {
        const struct br_migration *m = &br_migrations[i];
        char ver[16], hex[65];
        snprintf(ver, sizeof(ver), "%d", m->version);
        sha_hex(m->sql, m->len, hex);
        const char *p[3] = {ver, m->name, hex};
        PGresult *res;
        st = br_db_query(db, "SELECT sha256 FROM billing.schema_migrations WHERE version = $1", 1,
                         p, &res, err);
        if (st != BR_OK)
            break;
        bool done = PQntuples(res) > 0;
        bool same = done && strcmp(PQgetvalue(res, 0, 0), hex) == 0;
        PQclear(res);
        if (done && !same)
            return br_fail(err, BR_ERR_STATE,
                           "migration %s was applied with other content: this database was "
                           "created by another version of billrun's schema",
                           m->name);
        if (done)
            continue;
        st = br_db_exec(db, m->sql, err);
        if (st == BR_OK)
            st = br_db_execp(db,
                             "INSERT INTO billing.schema_migrations (version, name, sha256) "
                             "VALUES ($1, $2, $3)",
                             3, p, err);
        if (st == BR_OK)
            (*applied)++;
    }
    return st;
}

static enum br_status set_calendar(struct br_db *db, bool has_tz, int32_t tz, struct br_error *err)
{
    int64_t cur;
    enum br_status st =
        br_db_int64(db, "SELECT tz_offset_s FROM billing.settings", 0, NULL, INT64_MIN, &cur, err);
    if (st != BR_OK)
        return st;
    if (cur == INT64_MIN) {
        char v[16];
        snprintf(v, sizeof(v), "%d", has_tz ? tz : 8 * 3600);
        const char *p[1] = {v};
        return br_db_execp(db, "INSERT INTO billing.settings (tz_offset_s) VALUES ($1)", 1, p, err);
    }
    if (has_tz && cur != tz)
        return br_fail(err, BR_ERR_STATE,
                       "the billing calendar is fixed when the database is created "
                       "(it is UTC%+03d:%02d here)",
                       (int)(cur / 3600), (int)(llabs(cur) / 60 % 60));
    return BR_OK;
}

enum br_status br_schema_init(struct br_db *db, bool has_tz, int32_t tz_offset_s, int *applied,
                              struct br_error *err)
{
    *applied = 0;
    enum br_status st = br_db_exec(db, "BEGIN; SET LOCAL client_min_messages = warning;", err);
    if (st == BR_OK)
        st = br_db_exec(db, "SELECT pg_advisory_xact_lock(" BR_LOCK_KEY ")", err);
    if (st == BR_OK)
        st = apply_migrations(db, applied, err);
    if (st == BR_OK)
        st = br_db_exec(db, grants, err);
    if (st == BR_OK)
        st = set_calendar(db, has_tz, tz_offset_s, err);
    if (st == BR_OK)
        st = br_db_exec(db, "COMMIT", err);
    if (st != BR_OK) {
        struct br_error ignore;
        br_db_exec(db, "ROLLBACK", &ignore);
    }
    return st;
}

enum br_status br_schema_calendar(struct br_db *db, int32_t *tz_offset_s, struct br_error *err)
{
    int64_t have;
    enum br_status st = br_db_int64(
        db,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'billing' AND tablename = 'settings'", 0,
        NULL, 0, &have, err);
    if (st != BR_OK)
        return st;
    if (have == 0)
        return br_fail(err, BR_ERR_STATE,
                       "the database has no billrun schema: run `billrun db init` first");
    int64_t v;
    st = br_db_int64(db, "SELECT tz_offset_s FROM billing.settings", 0, NULL, INT64_MIN, &v, err);
    if (st != BR_OK)
        return st;
    if (v == INT64_MIN)
        return br_fail(err, BR_ERR_STATE, "billing.settings is empty: run `billrun db init`");
    *tz_offset_s = (int32_t)v;
    return BR_OK;
}
