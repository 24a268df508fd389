/* One table of a batch being written (store-internal): a COPY whose
 * column list comes from the table's entry in br_tables (ledger/canon.h),
 * fed with canonical rows that are hashed into the table's section on the
 * way. Use: tw_begin, then per row tw_row, the row's br_row_* fields in
 * column order, tw_end; then tw_finish. */
#ifndef BR_TABLE_H
#define BR_TABLE_H

#include "ledger/canon.h"
#include "store/sql.h"
#include "store/write.h"

struct tw {
    struct br_batch_writer *w;
    enum br_section sec;
    struct br_copy c;
    struct br_row *row;
    char prefix[32]; /* "<batch_id>\t", or nothing for transfers */
    size_t prefix_n;
    enum br_status st; /* a row that could not be made */
    double t0;
};

enum br_status tw_begin(struct tw *t, struct br_db *db, struct br_batch_writer *w,
                        enum br_section sec, struct br_error *err);
/* The row to fill (emptied). */
struct br_row *tw_row(struct tw *t);
/* Ends the row: hashed into the section, sent to the COPY. */
void tw_end(struct tw *t);
/* Ends a row whose digest columns (BR_COL_DIGEST) were hashed: the row is
 * hashed as it is, and `sent` (the same row with those columns' bytes, as
 * br_row_bytes writes them, ended by LF) is what the COPY receives. */
void tw_end_sent(struct tw *t, const char *sent, size_t n);
/* Ends the COPY; st: the caller's status so far (not BR_OK aborts it). */
enum br_status tw_finish(struct tw *t, enum br_status st, struct br_error *err);

#endif
