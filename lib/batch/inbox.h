/* The inbox: the files a night applies, in the order it applies them
 * (formats.md: accounts-, prices-, orders-, then usage, each kind in name
 * order). The one inbox lister of billrun: `run`, `reprocess --inbox`, the
 * database-free `ingest` and the progress line all list through it. */
#ifndef BR_INBOX_H
#define BR_INBOX_H

#include "core/book.h"
#include "core/mem.h"
#include "core/status.h"

#include <stddef.h>
#include <stdint.h>

struct br_inbox_file {
    enum br_kind kind;
    const char *name; /* base name, owned by the inbox */
    uint64_t bytes;   /* size when listed */
};

struct br_inbox {
    char *dir; /* owned */
    struct br_inbox_file *files;
    size_t n, cap;
    struct br_arena names;
};

/* Lists dir: the regular files named <kind>-*.csv. A symlink is never
 * followed (it could show a file from outside the inbox) and a name that is
 * not UTF-8 cannot be recorded: both are skipped with a warning in the log.
 * BR_ERR_IO when the folder cannot be read. */
enum br_status br_inbox_list(struct br_inbox *in, const char *dir, struct br_error *err);
void br_inbox_free(struct br_inbox *in);

/* The ids the inbox's files name, for loading what a night may conflict
 * with: order ids (orders files), adjustment ids and the invoice numbers
 * they name (adjustments files). A file that cannot be read is left to the
 * night to report. */
enum br_status br_inbox_ids(const struct br_inbox *in, struct br_strtab *orders,
                            struct br_strtab *adjustments, struct br_strtab *invoices,
                            struct br_error *err);

#endif
