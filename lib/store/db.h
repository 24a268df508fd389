/* A connection to the billing database. The store module (lib/store) is the
 * one place that speaks to PostgreSQL: every SQL statement, every COPY and
 * every libpq type lives there. Everything above it holds a struct br_db *
 * and calls store functions. */
#ifndef BR_DB_H
#define BR_DB_H

#include "core/status.h"

struct br_db; /* opaque */

/* Connects as libpq chooses (PG* variables, service file, ~/.pgpass) or with
 * conninfo when not NULL; *db is NULL on failure. Never prints a password.
 * Each session uses the ISO date style, no JIT, and reports nothing through
 * notices. */
enum br_status br_db_connect(struct br_db **db, const char *conninfo, struct br_error *err);
/* A second connection to the same database, as db was made (for a search
 * that runs beside the batch's own transaction: it sees what is committed).
 * Not in a transaction, reading as the connected user. */
enum br_status br_db_clone(const struct br_db *db, struct br_db **out, struct br_error *err);
/* Closes the connection but keeps db (every later statement fails as on a
 * lost connection): the tests' simulated network cut. */
void br_db_drop_connection(struct br_db *db);
/* Closes and frees db (NULL is fine). */
void br_db_close(struct br_db *db);

#endif
