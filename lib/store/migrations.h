/* The schema migrations of sql/, embedded at build time. */
#ifndef BR_MIGRATIONS_H
#define BR_MIGRATIONS_H

#include <stddef.h>

struct br_migration {
    int version;
    const char *name;
    const char *sql;
    size_t len;
};

extern const struct br_migration br_migrations[];
extern const size_t br_migrations_count;

#endif
