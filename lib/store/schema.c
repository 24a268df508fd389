/* Migrations, the chart and items, roles and the calendar (schema.h). */
#include "store/schema.h"

#include "core/chart.h"
#include "core/items.h"
#include "core/sha256.h"
#include "store/lock.h"
#include "store/migrations.h"
#include "store/sql.h"

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
    ", " BR_ROLE_AUDITOR ";"
    /* the writers' lock: the writer may lock it, the auditor may not touch it */
    "REVOKE ALL ON ledger.writer_lock FROM " BR_ROLE_AUDITOR ", PUBLIC;"
    "GRANT UPDATE ON ledger.writer_lock TO " BR_ROLE_WRITER ";";

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
    enum br_status st = br_sql_exec(
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
        st = br_sql_query(db, "SELECT sha256 FROM billing.schema_migrations WHERE version = $1", 1,
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
        st = br_sql_exec(db, m->sql, err);
        if (st == BR_OK)
            st = br_sql_execp(db,
                              "INSERT INTO billing.schema_migrations (version, name, sha256) "
                              "VALUES ($1, $2, $3)",
                              3, p, err);
        if (st == BR_OK)
            (*applied)++;
    }
    return st;
}

/* The settings fixed at creation: the calendar and the lateness window.
 * Given again later, they must be the same. */
static enum br_status set_settings(struct br_db *db, const struct br_schema_opts *o,
                                   struct br_error *err)
{
    PGresult *r;
    enum br_status st =
        br_sql_query(db, "SELECT tz_offset_s, late_days FROM billing.settings", 0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    bool have = PQntuples(r) > 0;
    int64_t tz = have ? br_sql_i64(r, 0, 0, 0) : 0, late = have ? br_sql_i64(r, 0, 1, 0) : 0;
    PQclear(r);
    if (!have) {
        char v[16], d[16];
        snprintf(v, sizeof(v), "%d", o->has_tz ? o->tz_offset_s : BR_DEFAULT_TZ_S);
        snprintf(d, sizeof(d), "%d", o->late_days > 0 ? o->late_days : BR_DEFAULT_LATE_DAYS);
        const char *p[2] = {v, d};
        return br_sql_execp(
            db, "INSERT INTO billing.settings (tz_offset_s, late_days) VALUES ($1, $2)", 2, p, err);
    }
    if (o->has_tz && tz != o->tz_offset_s)
        return br_fail(err, BR_ERR_STATE,
                       "the billing calendar is fixed when the database is created "
                       "(it is UTC%+03d:%02d here)",
                       (int)(tz / 3600), (int)(llabs(tz) / 60 % 60));
    if (o->late_days > 0 && late != o->late_days)
        return br_fail(err, BR_ERR_STATE,
                       "the lateness window is fixed when the database is created (it is %lld "
                       "days here)",
                       (long long)late);
    return BR_OK;
}

/* Inserts a reference row the table lacks, or checks that the one it has is
 * the same: the program and the database must mean the same by a code. */
static enum br_status reference_row(struct br_db *db, const char *select_sql,
                                    const char *insert_sql, int n, const char *const *p,
                                    const char *what, struct br_error *err)
{
    PGresult *r;
    enum br_status st = br_sql_query(db, select_sql, 1, p, &r, err);
    if (st != BR_OK)
        return st;
    bool have = PQntuples(r) > 0, same = have;
    for (int c = 0; have && c < n; c++)
        same = same && strcmp(PQgetvalue(r, 0, c), p[c]) == 0;
    PQclear(r);
    if (!have)
        return br_sql_execp(db, insert_sql, n, p, err);
    if (!same)
        return br_fail(err, BR_ERR_STATE,
                       "%s %s differs in the database from this billrun's: it was created by "
                       "another version",
                       what, p[0]);
    return BR_OK;
}

static enum br_status fill_chart(struct br_db *db, struct br_error *err)
{
    enum br_status st = BR_OK;
    for (size_t i = 0; i < br_chart_count && st == BR_OK; i++) {
        const struct br_chart_account *a = &br_chart[i];
        char code[16];
        snprintf(code, sizeof(code), "%d", a->code);
        const char *p[5] = {code, a->name, br_side_str(a->normal_side),
                            br_sub_ledger_str(a->sub_ledger), a->role};
        st = reference_row(db,
                           "SELECT code, name, normal_side, sub_ledger, role FROM ledger.chart "
                           "WHERE code = $1",
                           "INSERT INTO ledger.chart (code, name, normal_side, sub_ledger, role) "
                           "VALUES ($1, $2, $3, $4, $5)",
                           5, p, "account", err);
    }
    int64_t extra = 0;
    if (st == BR_OK)
        st = br_sql_int64(db, "SELECT count(*) FROM ledger.chart", 0, NULL, 0, &extra, err);
    if (st == BR_OK && (size_t)extra != br_chart_count)
        st = br_fail(err, BR_ERR_STATE,
                     "ledger.chart holds accounts this billrun does not know: it was created by "
                     "another version");
    return st;
}

static enum br_status fill_items(struct br_db *db, struct br_error *err)
{
    enum br_status st = BR_OK;
    for (int i = 0; i < BR_ITEM_COUNT && st == BR_OK; i++) {
        const struct br_item_info *it = &br_items[i];
        char no[8], dd[24], pd[24], rc[16];
        snprintf(no, sizeof(no), "%d", i);
        snprintf(dd, sizeof(dd), "%llu", (unsigned long long)it->display_divisor);
        snprintf(pd, sizeof(pd), "%llu", (unsigned long long)it->price_divisor);
        snprintf(rc, sizeof(rc), "%d", it->revenue_code);
        const char *p[7] = {it->name, no, it->display_unit, dd, pd, br_unit_name(it->plan_unit),
                            rc};
        st = reference_row(db,
                           "SELECT item, item_no, display_unit, display_divisor, price_divisor, "
                           "plan_unit, revenue_code FROM billing.items WHERE item = $1",
                           "INSERT INTO billing.items (item, item_no, display_unit, "
                           "display_divisor, price_divisor, plan_unit, revenue_code) "
                           "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                           7, p, "item", err);
    }
    return st;
}

enum br_status br_schema_init(struct br_db *db, const struct br_schema_opts *o, int *applied,
                              struct br_error *err)
{
    *applied = 0;
    enum br_status st = br_sql_exec(db, "BEGIN; SET LOCAL client_min_messages = warning;", err);
    if (st == BR_OK)
        st = br_sql_exec(db, "SELECT pg_advisory_xact_lock(" BR_LOCK_KEY ")", err);
    if (st == BR_OK)
        st = apply_migrations(db, applied, err);
    if (st == BR_OK)
        st = fill_chart(db, err);
    if (st == BR_OK)
        st = fill_items(db, err);
    if (st == BR_OK)
        st = br_sql_exec(db, grants, err);
    if (st == BR_OK)
        st = set_settings(db, o, err);
    if (st == BR_OK)
        st = br_sql_exec(db, "COMMIT", err);
    if (st != BR_OK) {
        struct br_error ignore;
        br_sql_exec(db, "ROLLBACK", &ignore);
    }
    return st;
}

enum br_status br_schema_settings(struct br_db *db, struct br_settings *out, struct br_error *err)
{
    int64_t have;
    enum br_status st = br_sql_int64(
        db,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'billing' AND tablename = 'settings'", 0,
        NULL, 0, &have, err);
    if (st != BR_OK)
        return st;
    if (have == 0)
        return br_fail(err, BR_ERR_STATE,
                       "the database has no billrun schema: run `billrun db init` first");
    PGresult *r;
    st = br_sql_query(db, "SELECT tz_offset_s, late_days FROM billing.settings", 0, NULL, &r, err);
    if (st != BR_OK)
        return st;
    bool any = PQntuples(r) > 0;
    if (any) {
        out->tz_offset_s = (int32_t)br_sql_i64(r, 0, 0, 0);
        out->late_days = (int32_t)br_sql_i64(r, 0, 1, 0);
    }
    PQclear(r);
    if (!any)
        return br_fail(err, BR_ERR_STATE, "billing.settings is empty: run `billrun db init`");
    return BR_OK;
}

enum br_status br_schema_calendar(struct br_db *db, int32_t *tz_offset_s, struct br_error *err)
{
    struct br_settings s;
    enum br_status st = br_schema_settings(db, &s, err);
    if (st == BR_OK)
        *tz_offset_s = s.tz_offset_s;
    return st;
}
