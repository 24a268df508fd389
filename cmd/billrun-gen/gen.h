/* billrun-gen: a deterministic synthetic inbox (accounts, prices, orders, EAS
 * and OSS usage) of a cloud AI-image service, for tests and benchmarks. */
#ifndef BILLRUN_GEN_H
#define BILLRUN_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GEN_DAY_S 86400
#define GEN_HOUR_S 3600
#define GEN_LOCAL_OFFSET_S (8 * 3600) /* China Standard Time, the billing calendar */
#define GEN_ACCOUNTS_MAX 999998u      /* acc-999999 stays free for unknown_account rows */
#define GEN_DAYS_MAX 1000u
#define GEN_SHARED_MAX 4  /* shared services per account */
#define GEN_BUCKETS_MAX 3 /* buckets per account */

/* ---- PRNG: xoshiro256** seeded through splitmix64 (never rand()). ---- */

struct gen_rng {
    uint64_t s[4];
};

/* A 64-bit hash of (a, b): derives independent stream seeds from the run seed. */
uint64_t gen_mix(uint64_t a, uint64_t b);
/* Seeds r from the stream key (seed, k1, k2, k3). */
void gen_rng_init(struct gen_rng *r, uint64_t seed, uint64_t k1, uint64_t k2, uint64_t k3);
uint64_t gen_rng_next(struct gen_rng *r);
/* Uniform in [0, 1). */
double gen_rng_unit(struct gen_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t gen_rng_below(struct gen_rng *r, uint64_t n);
/* Uniform in [lo, hi]; lo <= hi. */
int64_t gen_rng_range(struct gen_rng *r, int64_t lo, int64_t hi);
/* Standard normal (Box-Muller, one value per call). */
double gen_rng_normal(struct gen_rng *r);
/* True with probability p. */
bool gen_rng_chance(struct gen_rng *r, double p);

/* ---- Civil time (proleptic Gregorian, UTC seconds). ---- */

int64_t gen_days_from_civil(int64_t y, unsigned m, unsigned d);
void gen_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Floor division for possibly negative times. */
int64_t gen_floor_div(int64_t a, int64_t b);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (offset_s 0) or local time with "+HH:MM".
 * dst holds at least 26 bytes; returns the bytes written (no NUL). */
size_t gen_fmt_time(char *dst, int64_t t, int32_t offset_s);
/* Writes "YYYYMMDD" of a UTC day number; returns 8. */
size_t gen_fmt_day_compact(char *dst, int64_t day);
/* 0 = Monday .. 6 = Sunday. */
unsigned gen_weekday(int64_t day);

/* ---- Buffered output: a 1 MiB buffer flushed with fwrite. A failed write
 * ends the program with exit code 1 (a generator has nothing to roll back). */

#define GEN_OUT_BUF_BYTES ((size_t)1 << 20)
#define GEN_ROW_MAX_BYTES 4096 /* the most one row (bad rows included) may take */

struct gen_out {
    FILE *f;
    char path[4096];
    size_t n;
    uint64_t bytes;
    char *buf; /* GEN_OUT_BUF_BYTES, owned */
};

/* Creates or truncates dir/name. Dies on failure. */
void gen_out_open(struct gen_out *o, const char *dir, const char *name);
/* Flushes and closes; dies on a failed write or close. */
void gen_out_close(struct gen_out *o);
/* A cursor with room for GEN_ROW_MAX_BYTES; hand it back with gen_out_commit. */
char *gen_out_reserve(struct gen_out *o);
void gen_out_commit(struct gen_out *o, const char *end);
/* Appends text, a CSV field (quoted when it holds a comma, quote, CR or LF). */
char *gen_put_str(char *p, const char *s);
char *gen_put_mem(char *p, const char *s, size_t n);
char *gen_put_csv(char *p, const char *s);
char *gen_put_u64(char *p, uint64_t v);
/* v zero-padded to at least width digits. */
char *gen_put_u64w(char *p, uint64_t v, unsigned width);
/* Fen (0.01 CNY) as a decimal without trailing zeros: 12340 -> "123.4". */
char *gen_put_fen(char *p, int64_t fen);
/* "acc-000042" */
char *gen_put_account(char *p, uint32_t account);

/* Prints "billrun-gen: ..." to stderr and exits 1. */
_Noreturn void gen_die(const char *fmt, ...);

/* ---- Options and the run model. ---- */

enum gen_files { GEN_FILES_PER_DAY, GEN_FILES_SINGLE };

struct gen_opts {
    const char *out_dir;
    uint64_t seed;
    uint32_t accounts;
    uint32_t days;
    int64_t start_day; /* UTC day number of --start */
    uint64_t rows;     /* 0: the default volume */
    uint32_t bad_permille;
    enum gen_files files;
    bool shuffled; /* --order shuffled: usage rows in random order within each file */
    bool quiet;
};

/* Bad-row reasons: the formats.md reason codes a corrupted row must get. */
enum gen_bad {
    GEN_BAD_NONE = 0,
    GEN_BAD_FIELD_COUNT,
    GEN_BAD_TIMESTAMP,
    GEN_BAD_NUMBER,
    GEN_BAD_NEGATIVE,
    GEN_BAD_END_BEFORE_START,
    GEN_BAD_INTERVAL_TOO_LONG,
    GEN_BAD_NOT_HOUR_ALIGNED,
    GEN_BAD_UNKNOWN_ENUM,
    GEN_BAD_UNKNOWN_ACCOUNT,
    GEN_BAD_ACCOUNT_ID,
    GEN_BAD_DUPLICATE,
    GEN_BAD_TOO_LONG,
    GEN_BAD_UTF8,
    GEN_BAD_COUNT
};

extern const char *const gen_bad_names[GEN_BAD_COUNT];

enum gen_source { GEN_EAS = 0, GEN_OSS = 1 };
enum gen_metric { GEN_STORAGE, GEN_EGRESS, GEN_PUT, GEN_GET, GEN_METRIC_COUNT };
enum gen_order_kind { GEN_PLAN, GEN_COUPON, GEN_TOPUP, GEN_PAYMENT, GEN_ORDER_KIND_COUNT };

struct gen_stats {
    uint32_t files;
    uint32_t prices;
    uint64_t orders[GEN_ORDER_KIND_COUNT];
    uint64_t bundles;
    uint64_t storage_plans;
    uint64_t eas_shared;
    uint64_t eas_exclusive;
    uint64_t oss[GEN_METRIC_COUNT];
    uint64_t bad[2][GEN_BAD_COUNT];
    uint64_t dropped_past_end; /* shared jobs that spilled past the last day */
    uint64_t bytes;
    double expected_rows; /* the model's expectation for the chosen scale */
    double scale;
    double floor_rows; /* hourly storage rows and machine intervals: fixed */
    bool one_bucket;   /* --rows too low for 1-3 buckets: one each */
};

/* Per-account parameters of the usage model (derived from the seed alone). */
struct gen_account {
    double weight;     /* expected shared jobs on a weekday at scale 1 */
    uint32_t join_day; /* the first day (0-based) with usage; 0 = before the range */
    uint32_t bucket0;  /* index of its first bucket */
    uint8_t nbuckets;  /* 1..3 */
    uint8_t nshared;   /* 0..4 shared services */
    uint8_t tool[GEN_SHARED_MAX];
    uint8_t gpu[GEN_SHARED_MAX];
    uint16_t svc[GEN_SHARED_MAX];
    float base_ms[GEN_SHARED_MAX]; /* the service's typical job on an A10 */
};

struct gen_bucket {
    uint32_t account;
    uint8_t kind;   /* models, outputs, datasets, ... */
    uint8_t region; /* cn-shanghai, cn-beijing, cn-hangzhou */
    float act;      /* activity: chance of traffic in a busy hour at scale 1 */
    float put_share;
    float egress_mb; /* median egress of an active hour */
    float req_scale; /* request volume relative to a typical bucket */
    double bytes;    /* stored bytes now */
    double growth;   /* bytes per hour */
};

struct gen_excl {
    uint32_t account;
    uint16_t svc;
    uint8_t tool;
    uint8_t spec;
    uint8_t mode;       /* office hours, always on, ad hoc */
    int64_t start, end; /* the next interval; start >= range end when done */
    struct gen_rng rng;
};

struct gen_model {
    struct gen_opts opt;
    int64_t t0;    /* first instant of the range (UTC) */
    int64_t t_end; /* first instant after it */
    struct gen_account *acc;
    struct gen_bucket *bkt;
    size_t nbkt;
    struct gen_excl *ex;
    size_t nex;
    double scale; /* multiplies shared jobs and OSS traffic hours */
};

/* The catalogue shared by the model and the writers (model.c). */
#define GEN_GPU_COUNT 6
#define GEN_MACHINE_COUNT 4
#define GEN_BUCKET_KINDS 6
enum gen_excl_mode { GEN_EXCL_OFFICE, GEN_EXCL_ALWAYS, GEN_EXCL_ADHOC };
extern const char *const gen_gpu_names[GEN_GPU_COUNT];
extern const double gen_gpu_speed[GEN_GPU_COUNT];
extern const char *const gen_machine_names[GEN_MACHINE_COUNT];
extern const char *const gen_tool_names[2];
extern const char *const gen_bucket_kinds[GEN_BUCKET_KINDS];
extern const char *const gen_regions[3];
extern const double gen_job_prof[2][24]; /* [weekend][local hour] */
extern const double gen_oss_prof[24];    /* [local hour] */
extern const double gen_oss_dayf[2];     /* [weekend] */

/* Moves a machine schedule to its next running interval after prev_end. */
void gen_excl_step(struct gen_excl *e, int64_t prev_end);
/* Expected shared jobs of an account on a day at scale 1; *frac is the
 * uniform draw that rounds it (jobs = floor(scale * lambda + frac)). */
double gen_day_lambda(const struct gen_model *m, uint32_t account, uint32_t day, double *frac);
/* Chance that a bucket has traffic in an hour of local hour lh. */
double gen_oss_chance(double scale, const struct gen_bucket *k, unsigned lh, unsigned weekend);

/* Builds the usage model and picks the scale that meets --rows. Owns the
 * arrays until gen_model_free. Dies when memory runs out. */
void gen_model_build(struct gen_model *m, const struct gen_opts *opt, struct gen_stats *st);
void gen_model_free(struct gen_model *m);
/* The usage start of an account (join time). */
int64_t gen_account_start(const struct gen_model *m, uint32_t account);

/* Writers. Each dies on an I/O failure and counts what it wrote in st. */
void gen_write_accounts(const struct gen_model *m, struct gen_stats *st);
void gen_write_prices(const struct gen_model *m, struct gen_stats *st);
void gen_write_orders(const struct gen_model *m, struct gen_stats *st);
void gen_write_usage(struct gen_model *m, struct gen_stats *st);
/* --order shuffled: rewrites every eas-*.csv and oss-*.csv of the output
 * folder with its rows (not its header) in an order drawn from the seed. */
void gen_shuffle_usage(const struct gen_opts *opt);

/* Stream keys: one independent stream per purpose. */
enum gen_stream {
    GEN_S_ACCOUNT = 1,
    GEN_S_INFO,
    GEN_S_DAY,
    GEN_S_BURSTS,
    GEN_S_EXCL,
    GEN_S_ORDERS,
    GEN_S_DETAIL,
    GEN_S_BAD
};

#endif
