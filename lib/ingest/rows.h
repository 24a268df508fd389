/* Row validators, one per file kind: a record in, an accepted row (into the
 * book or the usage columns) or a reject with its reason out. */
#ifndef BR_ROWS_H
#define BR_ROWS_H

#include "core/book.h"
#include "ingest/csvread.h"
#include "ingest/ingest.h"

struct br_rows_ctx {
    struct br_ingest *ing;
    uint32_t file;
    uint64_t line_override;       /* reprocessing: the line the row had in its file */
    int64_t origin_id;            /* reprocessing: the reject the row comes from */
    enum br_reason origin_reason; /* reprocessing: the reason it has now */
    /* price rows of the file, admitted to the book only if the whole file is */
    struct br_price *staged;
    size_t nstaged, staged_cap;
    /* record id hashes from the first-field hook, in record order, not yet
     * used: the hook runs at most BR_CSV_AHEAD records ahead (usage files) */
    uint64_t id_hash[16];
    uint32_t hash_in, hash_out;
    /* the last account id seen valid and known (rows of one account come in
     * runs): its text and number */
    char last_acct[BR_ACCOUNT_ID_MAX];
    size_t last_acct_len;
    uint32_t last_acct_no;
    bool has_last_acct;
    /* the last timestamp text parsed (OSS rows of one hour come in runs) */
    char last_ts[32];
    size_t last_ts_len;
    int64_t last_ts_value;
    /* rate keys already looked up: per item, the key of spec "*" (+1, 0 = none) */
    uint32_t any_key[BR_ITEM_COUNT];
};

/* br_csv_first_fn for usage files: hashes the record id and prefetches its
 * index slot while the record, and those before it, are still being read;
 * br_rows_on_record takes the hash back. */
void br_rows_on_first(void *ctx, const char *p, size_t n);

void br_rows_ctx_init(struct br_rows_ctx *rc, struct br_ingest *ing, uint32_t file);
void br_rows_ctx_free(struct br_rows_ctx *rc);

/* br_csv_record_fn: validates one record of the context's file kind. */
enum br_status br_rows_on_record(void *ctx, const struct br_csv_record *rec);

#endif
