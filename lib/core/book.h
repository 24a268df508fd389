/* The reference data every stage shares: reject reasons, file kinds,
 * accounts, price rows and orders, as plain tables owned by a struct br_book.
 * Ingest fills it (from the database and the inbox), rating reads it. */
#ifndef BR_BOOK_H
#define BR_BOOK_H

#include "core/items.h"
#include "core/mem.h"
#include "core/status.h"

#include <stdbool.h>
#include <stdint.h>

/* Reject reasons (formats.md) and file refusal reasons. Numbers are frozen. */
enum br_reason {
    BR_R_NONE = 0,
    BR_R_BAD_UTF8 = 1,
    BR_R_BAD_FIELD_COUNT = 2,
    BR_R_DUPLICATE_RECORD = 3,
    BR_R_FIELD_TOO_LONG = 4,
    BR_R_BAD_ACCOUNT_ID = 5,
    BR_R_BAD_TIMESTAMP = 6,
    BR_R_BAD_NUMBER = 7,
    BR_R_NEGATIVE_QUANTITY = 8,
    BR_R_END_BEFORE_START = 9,
    BR_R_INTERVAL_TOO_LONG = 10,
    BR_R_NOT_HOUR_ALIGNED = 11,
    BR_R_UNKNOWN_ENUM = 12,
    BR_R_BAD_PLAN = 13,
    BR_R_UNKNOWN_ACCOUNT = 14,
    BR_R_CONFLICTING_ORDER = 15,
    BR_R_PLAN_LIMIT = 16,
    BR_R_NO_PRICE = 17,
    /* whole-file refusals */
    BR_R_BAD_HEADER = 18,
    BR_R_EMPTY_FILE = 19,
    BR_R_CHANGED_CONTENT = 20,
    BR_R_PRICE_OVERLAP = 21,
    BR_R_REPRICES_HISTORY = 22,
    /* corrections.md */
    BR_R_TOO_LATE = 23,
    BR_R_CONFLICTING_ADJUSTMENT = 24,
    BR_R_UNKNOWN_INVOICE = 25,
    BR_R_OVER_CREDIT = 26,
    BR_R_MISSING_REASON = 27,
    BR_R_COUNT
};

/* "bad_utf8", ... ; never NULL. */
const char *br_reason_str(enum br_reason r);
bool br_reason_parse(const char *s, enum br_reason *out);

/* File kinds, in the order a run applies them. */
enum br_kind {
    BR_KIND_ACCOUNTS = 0,
    BR_KIND_PRICES = 1,
    BR_KIND_ORDERS = 2,
    BR_KIND_ADJUSTMENTS = 3, /* corrections.md section 3 */
    BR_KIND_EAS = 4,
    BR_KIND_OSS = 5,
    BR_KIND_COUNT
};

const char *br_kind_str(enum br_kind k);
/* The kind of a file name "<kind>-*.csv"; false when the name is not one. */
bool br_kind_of_name(const char *name, enum br_kind *out);
/* The header columns of a kind. */
const char *const *br_kind_header(enum br_kind k, size_t *ncols);

#define BR_ACCOUNT_ID_MAX 64
#define BR_RECORD_ID_MAX 128
#define BR_NO_ID UINT32_MAX

/* Accounts: ids interned to dense numbers 0..n-1 (in order of first sight). */
struct br_account {
    char *name, *address, *tax_id, *email; /* owned by the book's arena */
    bool changed;                          /* set or updated by this run */
    uint32_t file, line;                   /* where this run set it */
};

/* A price row; times in UTC seconds. */
struct br_price {
    int64_t id; /* database id, or 0 for a row of this run */
    enum br_item item;
    uint32_t spec; /* interned in book.specs; BR_SPEC_ANY for "*" */
    int64_t price_e10;
    int64_t from;
    int64_t to;         /* BR_T_OPEN when effective_to is empty */
    int32_t tod_from;   /* seconds of the local day; -1 when no window */
    int32_t tod_to;     /* 1..86400; -1 when no window */
    int64_t free_units; /* free_per_month in base units; -1 when empty */
    uint32_t file, line;
};

#define BR_SPEC_ANY UINT32_MAX
#define BR_T_OPEN INT64_MAX

/* An open row: runs until the next later open row of its (item, spec). */
static inline bool br_price_is_open(const struct br_price *p)
{
    return p->to == BR_T_OPEN;
}

/* Does the time-of-day window of row p contain local second-of-day tod? */
bool br_price_tod_match(const struct br_price *p, int32_t tod);

enum br_order_kind { BR_ORDER_PLAN = 0, BR_ORDER_COUPON, BR_ORDER_TOPUP, BR_ORDER_PAYMENT };
enum br_plan_type {
    BR_PLAN_NONE = 0,
    BR_PLAN_AMOUNT,
    BR_PLAN_POOL,
    BR_PLAN_MONTHLY,
    BR_PLAN_CAPACITY
};

const char *br_order_kind_str(enum br_order_kind k);
const char *br_plan_type_str(enum br_plan_type t);

#define BR_SCOPE_ALL 0x3Fu /* every item */

struct br_order {
    char *order_id; /* owned by the book's arena */
    uint32_t account;
    int64_t order_time;
    enum br_order_kind kind;
    uint8_t scope;   /* bit per enum br_item; 0 when empty */
    bool scope_star; /* written as "*" */
    enum br_plan_type plan_type;
    enum br_unit unit;
    int64_t face; /* e8 for CNY; base units for unit plans; 0 when empty */
    int64_t paid_e8;
    int32_t valid_days; /* 0 when not applicable */
    int64_t valid_from, valid_to;
    char *bundle_id;      /* NULL when empty */
    char *scope_text;     /* as written, for display */
    int64_t quantity_e10; /* the face as written, in e10 plan units, for display;
                           * -1 when that passes 63 bits (the face is exact) */
    bool is_new;          /* accepted by this run */
    /* a top-up applied by an earlier run and dated after this run's earliest
     * piece: its money is out of the opening balance and comes back at its
     * own time, so that no piece draws on a top-up dated after it */
    bool recredit;
    uint32_t file, line;
    uint32_t storage_next; /* next storage-only plan of the account, or BR_NO_ID */
};

/* A plan whose scope is exactly storage (at most one valid per instant). */
static inline bool br_order_is_storage_plan(const struct br_order *o)
{
    return o->kind == BR_ORDER_PLAN && !o->scope_star && o->scope == (1u << BR_ITEM_STORAGE);
}

/* A credit or debit note's adjustment (corrections.md section 3). */
struct br_adjustment {
    char *adjustment_id; /* owned by the book's arena */
    uint32_t account;
    int64_t at;  /* adjustment_time */
    bool credit; /* else a debit */
    enum br_item item;
    int64_t amount_e8; /* > 0 */
    char *invoice_no;  /* NULL when empty */
    char *reason;
    bool is_new; /* accepted by this run */
    /* a credit applied by an earlier run and dated after this run's earliest
     * piece: like a top-up, its money comes back at its own time */
    bool recredit;
    uint32_t file, line;
};

/* A final invoice an adjustment may name: its account, and what credits may
 * still take of it (gross - free, less the credits accepted before). */
struct br_invoice_ref {
    char *invoice_no;
    uint32_t account;
    int64_t limit_e8;    /* gross - free */
    int64_t credited_e8; /* credits naming it, accepted so far */
};

/* The book. Everything it points to lives until br_book_free. */
struct br_book {
    struct br_arena arena;
    struct br_strtab account_ids;
    struct br_account *accounts; /* indexed by account number */
    size_t accounts_cap;
    struct br_strtab specs;
    struct br_price *prices;
    size_t nprices, prices_cap;
    struct br_order *orders;
    size_t norders, orders_cap;
    struct br_strtab order_ids; /* order_id -> index in orders */
    uint32_t *storage_head;     /* per account: its latest storage plan, or BR_NO_ID */
    size_t storage_head_cap;
    struct br_adjustment *adjustments;
    size_t nadjustments, adjustments_cap;
    struct br_strtab adjustment_ids; /* adjustment_id -> index in adjustments */
    struct br_invoice_ref *invoices;
    size_t ninvoices, invoices_cap;
    struct br_strtab invoice_nos; /* invoice_no -> index in invoices */
};

void br_book_init(struct br_book *b);
void br_book_free(struct br_book *b);

/* Adds or finds an account id; *out its number. */
enum br_status br_book_account(struct br_book *b, const char *id, size_t n, uint32_t *out);
/* Sets an account's details (copied). */
enum br_status br_book_account_set(struct br_book *b, uint32_t acct, const char *const fields[4],
                                   const size_t lens[4]);
/* The account number of id, or false when the account is not known. */
bool br_book_account_find(const struct br_book *b, const char *id, size_t n, uint32_t *out);
static inline size_t br_book_naccounts(const struct br_book *b)
{
    return b->account_ids.n;
}
const char *br_book_account_id(const struct br_book *b, uint32_t acct);

enum br_status br_book_add_price(struct br_book *b, const struct br_price *p);
/* Adds an order (strings copied); its index is b->norders - 1. */
enum br_status br_book_add_order(struct br_book *b, const struct br_order *o);
bool br_book_order_find(const struct br_book *b, const char *id, size_t n, uint32_t *idx);
const char *br_book_spec(const struct br_book *b, uint32_t spec);
/* Adds an adjustment (strings copied); its index is b->nadjustments - 1. */
enum br_status br_book_add_adjustment(struct br_book *b, const struct br_adjustment *a);
bool br_book_adjustment_find(const struct br_book *b, const char *id, size_t n, uint32_t *idx);
/* Adds a final invoice an adjustment may name (its number copied). */
enum br_status br_book_add_invoice(struct br_book *b, const struct br_invoice_ref *inv);
bool br_book_invoice_find(const struct br_book *b, const char *no, size_t n, uint32_t *idx);

/* account_id is 1-64 of A-Z a-z 0-9 _ . - */
bool br_account_id_valid(const char *s, size_t n);

#endif
