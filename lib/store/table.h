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
    bool binary; /* COPY ... (FORMAT binary): rows are sent as given */
};

enum br_status tw_begin(struct tw *t, struct br_db *db, struct br_batch_writer *w,
                        enum br_section sec, struct br_error *err);
/* The row to fill (emptied). */
struct br_row *tw_row(struct tw *t);
/* Ends the row: hashed into the section, sent to the COPY. */
void tw_end(struct tw *t);
/* A binary COPY of the same columns (batch_id first): each row is hashed
 * from its canonical text (tw_row, with BR_COL_DIGEST columns as their
 * digests) and sent as the binary tuple the caller made (tw_end_sent),
 * batch_id included. */
enum br_status tw_begin_binary(struct tw *t, struct br_db *db, struct br_batch_writer *w,
                               enum br_section sec, struct br_error *err);
/* Ends a row: the canonical row is hashed, `sent` is what the COPY
 * receives (a binary tuple, or for a text COPY the row's text with its
 * digest columns' bytes, ended by LF). */
void tw_end_sent(struct tw *t, const char *sent, size_t n);
/* Ends the COPY; st: the caller's status so far (not BR_OK aborts it). */
enum br_status tw_finish(struct tw *t, enum br_status st, struct br_error *err);

#endif
