/* The libcsv driver. Input is cut into physical lines here and each line is
 * fed to libcsv, so that a record's first line number and raw bytes are known
 * when libcsv reports the record's end. Only '\n' ends a record; a '\r' just
 * before it is dropped (CRLF files), so quoted fields keep LF line ends.
 *
 * Malformed quoting (RFC 4180 allows only a comma or the line end after a
 * quoted field's closing quote): libcsv's lenient mode would read `"a"b,...`
 * as a quoted field still open, swallowing the lines after it up to the next
 * quote, so that valid records vanished into one reject. Lines with quotes are
 * parsed in libcsv's strict mode instead, and such a record ends at the end of
 * the physical line where its quoting broke: it is delivered with bad_quote
 * set (a bad_field_count reject) and the next line starts a record. A quote
 * inside an unquoted field (`a"b`) stays a character of it, as in lenient mode
 * (strict mode's other error, fed again leniently). */
#include "csvread.h"

#include "core/mem.h"
#include "core/sha256.h"

#include <csv.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BUF_BYTES (1u << 20)
/* Files at least this big are hashed on another thread while parsed. */
#define HASH_THREAD_BYTES (4u << 20)
/* Files at least this big are parsed on this thread and their records
 * handed, in chunks, to another that runs the record callback. */
static uint64_t pipe_min_bytes = 4u << 20;
#define PIPE_CHUNK_BYTES (1u << 20)
#define PIPE_CHUNKS 4
/* libcsv's field buffer may not grow beyond this; a longer field is cut and
 * flagged, so a 1 GiB field costs no memory. */
#define FIELD_BUF_CAP 4096u

struct pipe;

struct reader {
    /* Two parsers: the plain one (libcsv's defaults, fastest) for records on
     * one line of printable ASCII without quotes (nothing to trim, no bare CR,
     * no field that can span lines), the careful one (no trimming, only LF
     * ends a record) for all others. Both give the same fields where both
     * apply. */
    struct csv_parser plain, careful;
    struct csv_parser *p;
    const char *const *header;
    size_t ncols;
    bool deliver;
    br_csv_record_fn fn;
    br_csv_first_fn first;
    void *ctx;
    struct br_csv_result *res;
    struct pipe *pipe; /* records go to the delivery thread, or NULL */
    /* the record is one plain line short enough that no field overflows and
     * is going to the delivery thread: its fields are slices of the line, so
     * only their lengths are kept (in flen), not copies */
    bool slices;
    uint32_t flen[BR_CSV_COLS_MAX];
    enum br_status status; /* first failure of the consumer; stops reading */
    bool header_done;
    bool stopped;
    uint64_t line_no; /* the physical line being fed */
    bool at_start;    /* libcsv is between records */
    bool in_long_line;
    bool seen_content;
    bool first_line_empty;
    uint64_t pending_first, pending_n; /* empty lines held at a record boundary */
    /* the record being read */
    uint64_t rec_line;
    bool rec_bad_utf8;
    bool rec_bad_quote; /* its quoting broke: it ends with the line */
    bool skip_line;     /* the rest of a long line whose record so ended */
    bool record_ended;
    bool field_overflow;
    uint64_t nfields;
    const char *cur;
    size_t cur_len;
    struct br_buf raw;
    bool raw_trunc;
    struct br_csv_field fields[BR_CSV_COLS_MAX];
    /* fields are copied in 16-byte steps: room for the last step's overhang */
    char store[BR_CSV_COLS_MAX][BR_FIELD_KEEP + 16];
};

static int never_space(unsigned char c)
{
    (void)c;
    return 0;
}

static int only_lf(unsigned char c)
{
    return c == '\n';
}

static void *capped_realloc(void *ptr, size_t size)
{
    return size > FIELD_BUF_CAP ? NULL : realloc(ptr, size);
}

/* Validates UTF-8 (refusing NUL) and tells whether any byte is below '!'
 * (space, tab, CR and other controls). */
static bool utf8_scan_slow(const unsigned char *s, size_t n, bool *low);

/* Fast path: a line of ASCII without NUL, scanned 8 bytes at a time without
 * branches; anything else goes to the byte-wise validator. *low is set when
 * a byte is below '!' or is a quote: the line needs the careful parser. */
static bool utf8_scan(const unsigned char *s, size_t n, bool *low)
{
    const uint64_t hi = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
    uint64_t any = 0, below = 0, nul = 0, quote = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        uint64_t q = v ^ (ones * '"');
        any |= v;
        below |= (v - ones * 0x21) & ~v;
        nul |= (v - ones) & ~v;
        quote |= (q - ones) & ~q;
    }
    for (; i < n; i++) {
        any |= s[i];
        below |= s[i] < 0x21 || s[i] == '"' ? 0x80 : 0;
        nul |= s[i] == 0 ? 0x80 : 0;
    }
    if ((any & hi) != 0) {
        *low = true;
        return utf8_scan_slow(s, n, low);
    }
    if (((below | quote) & hi) != 0)
        *low = true;
    return (nul & hi) == 0;
}

static bool utf8_scan_slow(const unsigned char *s, size_t n, bool *low)
{
    size_t i = 0;
    const uint64_t hi = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if ((v & hi) == 0) { /* ASCII: bytes below 0x21 (NUL included)? */
                if (((v - ones * 0x21) & ~v & hi) != 0) {
                    *low = true;
                    if (((v - ones) & ~v & hi) != 0)
                        return false; /* a NUL byte */
                }
                i += 8;
                continue;
            }
        }
        unsigned char c = s[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            if (c < 0x21)
                *low = true;
            i++;
            continue;
        }
        size_t need;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1, cp = c & 0x1Fu;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2, cp = c & 0x0Fu;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3, cp = c & 0x07u;
        else
            return false;
        if (n - i - 1 < need)
            return false;
        for (size_t k = 1; k <= need; k++) {
            unsigned char b = s[i + k];
            if ((b & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (b & 0x3Fu);
        }
        if (need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
            return false;
        if (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))
            return false;
        i += need + 1;
    }
    return true;
}

bool br_utf8_valid(const unsigned char *s, size_t n)
{
    bool low = false;
    return utf8_scan(s, n, &low);
}

static void raw_append(struct reader *r, const char *s, size_t n)
{
    if (r->raw_trunc)
        return;
    size_t room = BR_RAW_MAX - r->raw.len;
    if (n > room) {
        n = room;
        r->raw_trunc = true;
    }
    if (br_buf_append(&r->raw, s, n) != BR_OK)
        r->raw_trunc = true;
}

/* Appends n bytes as readable UTF-8 text: bytes of invalid UTF-8, NUL and
 * other controls become \xNN (the refusal detail is stored as text). False
 * when the buffer is full. */
static bool append_readable(struct br_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (c >= 0x20 && c != 0x7F && len <= n - i &&
            br_utf8_valid((const unsigned char *)s + i, len)) {
            if (br_buf_append(b, s + i, len) != BR_OK)
                return false;
            i += len;
            continue;
        }
        char esc[8];
        snprintf(esc, sizeof(esc), "\\x%02X", c);
        if (br_buf_append(b, esc, 4) != BR_OK)
            return false;
        i++;
    }
    return true;
}

static void check_header(struct reader *r)
{
    bool ok = r->nfields == r->ncols && !r->rec_bad_quote;
    for (size_t i = 0; ok && i < r->ncols; i++) {
        size_t n = strlen(r->header[i]);
        ok = r->fields[i].len == n && memcmp(r->fields[i].p, r->header[i], n) == 0;
    }
    r->header_done = true;
    if (ok)
        return;
    r->res->outcome = BR_CSV_BAD_HEADER;
    r->stopped = true;
    /* what was found, cut at a whole character so that the detail never is
     * (it is stored as UTF-8 text): room for the lead, ",..." and the NUL */
    static const char lead[] = "header is not the expected one: found ";
    struct br_buf b;
    br_buf_init(&b, sizeof(r->res->detail) - sizeof(lead) - 4);
    for (size_t i = 0; i < r->nfields && i < r->ncols; i++)
        if (br_buf_append(&b, i ? "," : "", i ? 1 : 0) != BR_OK ||
            !append_readable(&b, r->fields[i].p, r->fields[i].len))
            break;
    snprintf(r->res->detail, sizeof(r->res->detail), "%s%s%s", lead, b.data ? b.data : "(nothing)",
             r->nfields > r->ncols ? ",..." : "");
    br_buf_free(&b);
}

/* --- delivery on another thread -------------------------------------------
 * The parsing thread packs each record (its kept fields and raw bytes) into
 * a chunk; full chunks go through a ring of PIPE_CHUNKS to the delivery
 * thread, which calls the record callback (and the first-field hook right
 * before it) in record order. Memory stays PIPE_CHUNKS chunks whatever the
 * file size. A failing callback stops delivery; the parser sees it at its
 * next record and stops too. */

struct packed {
    uint64_t nfields, line;
    uint32_t raw_len, nkept;
    uint8_t raw_truncated, bad_utf8, empty_line, bad_quote;
    uint8_t slices; /* the fields are slices of raw: no field bytes follow */
    uint32_t len[]; /* nkept field lengths; then the fields' bytes, then raw */
};

struct pipe {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    char *chunk[PIPE_CHUNKS];
    size_t used[PIPE_CHUNKS]; /* bytes of each filled chunk */
    size_t rd, count;         /* filled chunks: rd, rd + 1, ... (count of them) */
    char *filling;            /* the chunk being filled: (rd + count) % N, which only
                               * the parsing thread changes (delivery moves rd and
                               * count together) */
    size_t fill;              /* its bytes */
    bool done;
    atomic_bool stop;
    /* the delivery thread's */
    br_csv_record_fn fn;
    br_csv_first_fn first;
    void *ctx;
    enum br_status status;
    uint64_t records;
};

static size_t packed_size(const struct br_csv_record *rec, uint32_t nkept, bool slices)
{
    size_t n = offsetof(struct packed, len) + nkept * sizeof(uint32_t) + rec->raw_len;
    for (uint32_t i = 0; !slices && i < nkept; i++)
        n += rec->fields[i].len;
    return (n + 7) & ~(size_t)7;
}

static size_t packed_len(const struct packed *k)
{
    size_t n = offsetof(struct packed, len) + k->nkept * sizeof(uint32_t) + k->raw_len;
    for (uint32_t i = 0; !k->slices && i < k->nkept; i++)
        n += k->len[i];
    return (n + 7) & ~(size_t)7;
}

static void deliver_chunk(struct pipe *p, const char *c, size_t used)
{
    struct br_csv_field f[BR_CSV_COLS_MAX];
    size_t off = 0, ahead = 0; /* the first-field hook has seen records up to ahead */
    unsigned lead = 0;
    while (off < used && !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        for (; p->first != NULL && lead <= BR_CSV_AHEAD && ahead < used; lead++) {
            const struct packed *a = (const struct packed *)(const void *)(c + ahead);
            if (!a->empty_line && a->nkept > 0)
                p->first(p->ctx, (const char *)&a->len[a->nkept],
                         a->slices && a->len[0] > BR_FIELD_KEEP ? BR_FIELD_KEEP : a->len[0]);
            ahead += packed_len(a);
        }
        const struct packed *k = (const struct packed *)(const void *)(c + off);
        const char *data = (const char *)&k->len[k->nkept];
        if (k->slices) {
            const char *q = data;
            for (uint32_t i = 0; i < k->nkept; i++) {
                uint32_t n = k->len[i] < BR_FIELD_KEEP ? k->len[i] : BR_FIELD_KEEP;
                f[i] = (struct br_csv_field){q, n};
                q += k->len[i] + 1;
            }
        } else {
            for (uint32_t i = 0; i < k->nkept; i++) {
                f[i] = (struct br_csv_field){data, k->len[i]};
                data += k->len[i];
            }
        }
        struct br_csv_record rec = {.fields = f,
                                    .nfields = k->nfields,
                                    .line = k->line,
                                    .raw = k->raw_len ? data : "",
                                    .raw_len = k->raw_len,
                                    .raw_truncated = k->raw_truncated,
                                    .bad_utf8 = k->bad_utf8,
                                    .empty_line = k->empty_line,
                                    .bad_quote = k->bad_quote};
        enum br_status st = p->fn(p->ctx, &rec);
        p->records++;
        if (st != BR_OK) {
            p->status = st;
            atomic_store(&p->stop, true);
        }
        off += packed_len(k);
        lead -= p->first != NULL;
    }
}

static void *pipe_deliver(void *arg)
{
    struct pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->count == 0 && !p->done)
            pthread_cond_wait(&p->filled, &p->mu);
        if (p->count == 0)
            break;
        size_t i = p->rd;
        pthread_mutex_unlock(&p->mu);
        deliver_chunk(p, p->chunk[i], p->used[i]);
        pthread_mutex_lock(&p->mu);
        p->rd = (p->rd + 1) % PIPE_CHUNKS;
        p->count--;
        pthread_cond_signal(&p->freed);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Hands the chunk being filled over; waits for a free one. */
static void pipe_publish(struct pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->used[(p->rd + p->count) % PIPE_CHUNKS] = p->fill;
    p->count++;
    pthread_cond_signal(&p->filled);
    while (p->count == PIPE_CHUNKS)
        pthread_cond_wait(&p->freed, &p->mu);
    p->filling = p->chunk[(p->rd + p->count) % PIPE_CHUNKS];
    pthread_mutex_unlock(&p->mu);
    p->fill = 0;
}

/* False once delivery has stopped. */
static bool pipe_push(struct pipe *p, const struct br_csv_record *rec, size_t ncols,
                      const uint32_t *slice_len)
{
    if (atomic_load_explicit(&p->stop, memory_order_relaxed))
        return false;
    uint32_t nkept = (uint32_t)(rec->nfields < ncols ? rec->nfields : ncols);
    if (rec->empty_line)
        nkept = 0;
    size_t size = packed_size(rec, nkept, slice_len != NULL);
    BR_ASSERT(size <= PIPE_CHUNK_BYTES);
    if (p->fill + size > PIPE_CHUNK_BYTES)
        pipe_publish(p);
    char *c = p->filling + p->fill;
    struct packed *k = (struct packed *)(void *)c;
    *k = (struct packed){.nfields = rec->nfields,
                         .line = rec->line,
                         .raw_len = (uint32_t)rec->raw_len,
                         .nkept = nkept,
                         .raw_truncated = rec->raw_truncated,
                         .bad_utf8 = rec->bad_utf8,
                         .empty_line = rec->empty_line,
                         .bad_quote = rec->bad_quote,
                         .slices = slice_len != NULL};
    char *data = (char *)&k->len[nkept];
    if (slice_len != NULL)
        memcpy(k->len, slice_len, nkept * sizeof(uint32_t));
    for (uint32_t i = 0; slice_len == NULL && i < nkept; i++) {
        k->len[i] = rec->fields[i].len;
        memcpy(data, rec->fields[i].p, rec->fields[i].len);
        data += rec->fields[i].len;
    }
    memcpy(data, rec->raw, rec->raw_len);
    p->fill += size;
    return true;
}

static void pipe_free(struct pipe *p)
{
    for (int i = 0; i < PIPE_CHUNKS; i++)
        free(p->chunk[i]);
    free(p);
}

static struct pipe *pipe_start(br_csv_record_fn fn, br_csv_first_fn first, void *ctx)
{
    struct pipe *p = br_calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    bool ok = true;
    for (int i = 0; i < PIPE_CHUNKS; i++)
        ok = ok && (p->chunk[i] = malloc(PIPE_CHUNK_BYTES)) != NULL;
    p->filling = p->chunk[0];
    p->fn = fn;
    p->first = first;
    p->ctx = ctx;
    atomic_init(&p->stop, false);
    if (ok && pthread_mutex_init(&p->mu, NULL) == 0) {
        if (pthread_cond_init(&p->filled, NULL) == 0) {
            if (pthread_cond_init(&p->freed, NULL) == 0) {
                if (pthread_create(&p->thread, NULL, pipe_deliver, p) == 0)
                    return p;
                pthread_cond_destroy(&p->freed);
            }
            pthread_cond_destroy(&p->filled);
        }
        pthread_mutex_destroy(&p->mu);
    }
    pipe_free(p);
    return NULL; /* deliver on this thread instead */
}

/* Delivers what is left, waits for the delivery thread, and frees the pipe;
 * returns the callback's first failure. */
static enum br_status pipe_finish(struct pipe *p, uint64_t *records)
{
    if (p->fill > 0)
        pipe_publish(p);
    pthread_mutex_lock(&p->mu);
    p->done = true;
    pthread_cond_signal(&p->filled);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    enum br_status st = p->status;
    *records += p->records;
    pthread_cond_destroy(&p->freed);
    pthread_cond_destroy(&p->filled);
    pthread_mutex_destroy(&p->mu);
    pipe_free(p);
    return st;
}

uint64_t br_csv_set_pipeline_min(uint64_t bytes)
{
    uint64_t was = pipe_min_bytes;
    pipe_min_bytes = bytes;
    return was;
}

static void deliver(struct reader *r, struct br_csv_record *rec)
{
    if (r->stopped || !r->deliver)
        return;
    if (r->pipe != NULL) {
        if (!pipe_push(r->pipe, rec, r->ncols, r->slices && !rec->empty_line ? r->flen : NULL))
            r->stopped = true;
        return;
    }
    enum br_status st = r->fn(r->ctx, rec);
    r->res->records++;
    if (st != BR_OK) {
        r->status = st;
        r->stopped = true;
    }
}

static void on_field(void *f, size_t len, void *data)
{
    struct reader *r = data;
    if (r->slices) {
        if (r->nfields < r->ncols)
            r->flen[r->nfields] = (uint32_t)len;
        r->nfields++;
        return;
    }
    if (r->nfields < r->ncols) {
        struct br_csv_field *fd = &r->fields[r->nfields];
        fd->p = r->store[r->nfields];
        if (r->field_overflow) {
            fd->len = BR_FIELD_KEEP; /* prefix saved when the field overflowed */
        } else {
            fd->len = (uint32_t)(len < BR_FIELD_KEEP ? len : BR_FIELD_KEEP);
            /* libcsv's buffer holds FIELD_BUF_CAP bytes or more: copying whole
             * 16-byte steps stays inside it and inlines well */
            char *dst = r->store[r->nfields];
            const char *src = f;
            for (uint32_t o = 0; o < fd->len; o += 16)
                memcpy(dst + o, src + o, 16);
        }
        if (r->nfields == 0 && r->first && r->header_done && r->deliver && r->pipe == NULL)
            r->first(r->ctx, fd->p, fd->len);
    }
    r->field_overflow = false;
    r->nfields++;
}

static void on_row(int c, void *data)
{
    (void)c;
    struct reader *r = data;
    r->record_ended = true;
    if (r->stopped)
        return;
    if (!r->header_done) {
        check_header(r);
        return;
    }
    struct br_csv_record rec = {.fields = r->fields,
                                .nfields = r->nfields,
                                .line = r->rec_line,
                                .bad_utf8 = r->rec_bad_utf8,
                                .bad_quote = r->rec_bad_quote};
    if (r->raw.len > 0 || r->raw_trunc) {
        raw_append(r, r->cur, r->cur_len);
        rec.raw = r->raw.data;
        rec.raw_len = r->raw.len;
        rec.raw_truncated = r->raw_trunc;
    } else {
        rec.raw = r->cur;
        rec.raw_len = r->cur_len < BR_RAW_MAX ? r->cur_len : BR_RAW_MAX;
        rec.raw_truncated = r->cur_len > BR_RAW_MAX;
    }
    deliver(r, &rec);
}

/* Feeds bytes to libcsv; a field that outgrows FIELD_BUF_CAP keeps its first
 * BR_FIELD_KEEP bytes and the rest is dropped, libcsv's state kept intact. */
static enum br_status feed(struct reader *r, const char *s, size_t n, struct br_error *err)
{
    size_t off = 0;
    while (off < n) {
        off += csv_parse(r->p, s + off, n - off, on_field, on_row, r);
        if (off >= n)
            break;
        int e = csv_error(r->p);
        if (e == CSV_EPARSE && !r->p->quoted) {
            /* a quote inside an unquoted field: one of its characters */
            r->p->status = 0;
            csv_set_opts(r->p, 0);
            off += csv_parse(r->p, s + off, 1, on_field, on_row, r);
            csv_set_opts(r->p, CSV_STRICT);
            continue;
        }
        if (e == CSV_EPARSE) { /* text after a closing quote: process_line ends it */
            r->p->status = 0;
            r->rec_bad_quote = true;
            return BR_OK;
        }
        if (e != CSV_ENOMEM && e != CSV_ETOOBIG)
            return br_fail(err, BR_ERR_INPUT, "libcsv: %s", csv_strerror(e));
        BR_ASSERT(r->p->entry_pos >= 1);
        if (!r->field_overflow && r->nfields < r->ncols)
            memcpy(r->store[r->nfields], r->p->entry_buf, BR_FIELD_KEEP);
        r->field_overflow = true;
        /* Keep the last byte: a quote just seen may still be "un-submitted"
         * by libcsv (its FIELD_MIGHT_HAVE_ENDED state). */
        r->p->entry_buf[0] = r->p->entry_buf[r->p->entry_pos - 1];
        r->p->entry_pos = 1;
        r->p->status = 0;
    }
    return BR_OK;
}

static void flush_empty_lines(struct reader *r)
{
    for (uint64_t k = 0; k < r->pending_n && !r->stopped; k++) {
        struct br_csv_record rec = {
            .fields = r->fields, .line = r->pending_first + k, .raw = "", .empty_line = true};
        deliver(r, &rec);
    }
    r->pending_n = 0;
}

/* One physical line (complete: s[n] is its '\n'), or a piece of a line too
 * long for the buffer, or the file's last line without a newline. */
static enum br_status process_line(struct reader *r, char *s, size_t n, bool complete, bool last,
                                   struct br_error *err)
{
    if (r->skip_line) { /* the rest of a long line whose record ended malformed */
        if (complete || last) {
            r->skip_line = false;
            r->line_no++;
            r->in_long_line = false;
        }
        return BR_OK;
    }
    if ((complete || last) && n > 0 && s[n - 1] == '\r') {
        n--;
        if (complete)
            s[n] = '\n';
    }
    if (r->at_start && !r->in_long_line) {
        if ((complete || last) && n == 0) {
            if (r->line_no == 1)
                r->first_line_empty = true;
            if (r->pending_n == 0)
                r->pending_first = r->line_no;
            r->pending_n++;
            r->line_no++;
            return BR_OK;
        }
        if (!r->seen_content && r->first_line_empty) {
            r->seen_content = true;
            r->header_done = true;
            r->stopped = true;
            r->res->outcome = BR_CSV_BAD_HEADER;
            snprintf(r->res->detail, sizeof(r->res->detail),
                     "line 1 is empty: the header must be the first line");
            return BR_OK;
        }
        r->seen_content = true;
        if (r->header_done)
            flush_empty_lines(r);
        r->pending_n = 0;
        r->at_start = false;
        r->rec_line = r->line_no;
        r->rec_bad_utf8 = false;
        r->rec_bad_quote = false;
        r->nfields = 0;
        r->p = NULL; /* chosen below, from its first line */
        br_buf_reset(&r->raw);
        r->raw_trunc = false;
    }
    bool low = false;
    if (!utf8_scan((const unsigned char *)s, n, &low))
        r->rec_bad_utf8 = true;
    if (r->p == NULL) { /* the plain parser only for a whole line with nothing to trim */
        r->p = (r->rec_bad_utf8 || low || !(complete || last)) ? &r->careful : &r->plain;
        r->slices = r->p == &r->plain && r->pipe != NULL && r->header_done && n < FIELD_BUF_CAP;
    }
    r->cur = s;
    r->cur_len = n;
    r->record_ended = false;
    enum br_status st = feed(r, s, complete ? n + 1 : n, err);
    if (st != BR_OK)
        return st;
    if (r->rec_bad_quote && !r->record_ended) {
        /* the record ends here, its raw text through this whole line (a
         * long line's rest is skipped); the next line starts a record */
        csv_fini(r->p, on_field, on_row, r);
        r->at_start = true;
        if (complete || last) {
            r->line_no++;
            r->in_long_line = false;
        } else {
            r->in_long_line = true;
            r->skip_line = true;
        }
        return BR_OK;
    }
    if (last && !r->record_ended)
        csv_fini(r->p, on_field, on_row, r);
    if (r->record_ended) {
        r->at_start = true;
    } else {
        raw_append(r, s, n);
        if (complete)
            raw_append(r, "\n", 1);
    }
    if (complete || last) {
        r->line_no++;
        r->in_long_line = false;
    } else {
        r->in_long_line = true;
    }
    return BR_OK;
}

/* At the end of input, ends a record still open (a quote never closed): its
 * lines are all in the raw buffer already, less the final newline. */
static void finish_open_record(struct reader *r)
{
    if (r->raw.len > 0 && r->raw.data[r->raw.len - 1] == '\n')
        r->raw.data[--r->raw.len] = '\0';
    r->cur = "";
    r->cur_len = 0;
    csv_fini(r->p, on_field, on_row, r);
}

/* How much of a full buffer with no newline to feed now: stop before an
 * incomplete UTF-8 sequence or a '\r' that may precede the coming '\n'. */
static size_t long_line_cut(const unsigned char *s, size_t n)
{
    size_t i = n;
    size_t k = 0;
    while (i > 0 && k < 3 && (s[i - 1] & 0xC0) == 0x80)
        i--, k++;
    size_t cut = n;
    if (i > 0 && s[i - 1] >= 0xC0) {
        size_t need = s[i - 1] >= 0xF0 ? 3 : s[i - 1] >= 0xE0 ? 2 : 1;
        if (k < need)
            cut = i - 1;
    }
    if (cut > 0 && s[cut - 1] == '\r')
        cut--;
    return cut;
}

static void reader_init(struct reader *r, const char *const *header, size_t ncols, bool deliver_,
                        br_csv_record_fn fn, void *ctx, struct br_csv_result *res)
{
    BR_ASSERT(ncols > 0 && ncols <= BR_CSV_COLS_MAX);
    memset(res, 0, sizeof(*res));
    r->header = header;
    r->ncols = ncols;
    r->deliver = deliver_;
    r->fn = fn;
    r->first = NULL;
    r->ctx = ctx;
    r->res = res;
    r->pipe = NULL;
    r->slices = false;
    r->status = BR_OK;
    r->header_done = r->stopped = false;
    r->line_no = 1;
    r->at_start = true;
    r->in_long_line = r->seen_content = r->first_line_empty = false;
    r->pending_n = r->pending_first = 0;
    r->field_overflow = false;
    r->rec_bad_quote = r->skip_line = false;
    r->nfields = 0;
    r->cur = "";
    r->cur_len = 0;
    br_buf_init(&r->raw, BR_RAW_MAX + 1);
    r->raw_trunc = false;
    csv_init(&r->plain, 0);
    csv_set_realloc_func(&r->plain, capped_realloc);
    csv_set_blk_size(&r->plain, FIELD_BUF_CAP);
    csv_init(&r->careful, CSV_STRICT);
    csv_set_space_func(&r->careful, never_space);
    csv_set_term_func(&r->careful, only_lf);
    csv_set_realloc_func(&r->careful, capped_realloc);
    csv_set_blk_size(&r->careful, FIELD_BUF_CAP);
    r->p = &r->careful;
}

static void reader_done(struct reader *r)
{
    csv_free(&r->plain);
    csv_free(&r->careful);
    br_buf_free(&r->raw);
    if (r->res->outcome == BR_CSV_READ && !r->seen_content)
        r->res->outcome = BR_CSV_EMPTY;
    if (r->res->outcome == BR_CSV_READ && !r->header_done) {
        r->res->outcome = BR_CSV_BAD_HEADER; /* an unterminated header record */
        snprintf(r->res->detail, sizeof(r->res->detail), "the header record never ends");
    }
}

/* Processes the complete lines of buf[pos, have); returns the new pos. */
static size_t process_lines(struct reader *r, char *buf, size_t pos, size_t have,
                            enum br_status *st, struct br_error *err)
{
    while (*st == BR_OK && !r->stopped && pos < have && (r->deliver || !r->header_done)) {
        char *nl = memchr(buf + pos, '\n', have - pos);
        if (nl == NULL)
            break;
        size_t len = (size_t)(nl - (buf + pos));
        *st = process_line(r, buf + pos, len, true, false, err);
        pos += len + 1;
    }
    return pos;
}

static size_t skip_bom(const char *buf, size_t have)
{
    return have >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* Hashing a big file on another core while this one parses it: the SHA-256
 * of the same open file, read with pread from the start. */
struct hasher {
    int fd;
    uint64_t bytes;
    uint8_t digest[32];
    int failed;
};

static void *hash_file(void *arg)
{
    struct hasher *h = arg;
    struct br_sha256 sha;
    char *buf = malloc(READ_BUF_BYTES);
    h->failed = buf == NULL || br_sha256_init(&sha) != 0;
    off_t off = 0;
    while (!h->failed) {
        ssize_t got = pread(h->fd, buf, READ_BUF_BYTES, off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            h->failed = got < 0;
            break;
        }
        br_sha256_update(&sha, buf, (size_t)got);
        off += got;
    }
    h->bytes = (uint64_t)off;
    if (!h->failed)
        h->failed = br_sha256_final(&sha, h->digest) != 0;
    free(buf);
    return NULL;
}

enum br_status br_csv_read_fd(int fd, const char *const *header, size_t ncols, bool deliver_,
                              br_csv_record_fn fn, void *ctx, struct br_csv_result *res,
                              struct br_error *err)
{
    return br_csv_read_fd_hooked(fd, header, ncols, deliver_, fn, NULL, ctx, res, err);
}

enum br_status br_csv_read_fd_hooked(int fd, const char *const *header, size_t ncols, bool deliver_,
                                     br_csv_record_fn fn, br_csv_first_fn first, void *ctx,
                                     struct br_csv_result *res, struct br_error *err)
{
    struct reader *r = malloc(sizeof(*r));
    char *buf = malloc(READ_BUF_BYTES + 1);
    struct br_sha256 sha;
    if (r == NULL || buf == NULL || br_sha256_init(&sha) != 0) {
        free(r);
        free(buf);
        return br_fail(err, BR_ERR_NOMEM, "out of memory reading a file");
    }
    reader_init(r, header, ncols, deliver_, fn, ctx, res);
    r->first = first;
    enum br_status st = BR_OK;
    size_t have = 0, pos = 0;
    bool at_file_start = true;
    struct hasher hs = {.fd = fd};
    pthread_t hasher_thread;
    struct stat sb;
    bool big = deliver_ && fstat(fd, &sb) == 0;
    bool threaded = big && sb.st_size >= (off_t)HASH_THREAD_BYTES &&
                    pthread_create(&hasher_thread, NULL, hash_file, &hs) == 0;
    if (big && (uint64_t)sb.st_size >= pipe_min_bytes)
        r->pipe = pipe_start(fn, first, ctx);
    for (;;) {
        ssize_t got = read(fd, buf + have, READ_BUF_BYTES - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = br_fail(err, BR_ERR_IO, "read failed: %s", strerror(errno));
            break;
        }
        if (!threaded)
            br_sha256_update(&sha, buf + have, (size_t)got);
        res->bytes += (uint64_t)got;
        have += (size_t)got;
        bool eof = got == 0;
        if (at_file_start && (have >= 3 || eof)) {
            pos = skip_bom(buf, have);
            at_file_start = false;
        } else if (at_file_start) {
            continue;
        }
        bool parse = r->deliver || !r->header_done;
        if (parse && !r->stopped && st == BR_OK)
            pos = process_lines(r, buf, pos, have, &st, err);
        if (r->stopped || st != BR_OK || !parse) {
            pos = have; /* only hashing from here on */
        }
        if (eof) {
            if (pos < have && st == BR_OK && !r->stopped)
                st = process_line(r, buf + pos, have - pos, false, true, err);
            else if (!r->at_start && st == BR_OK && !r->stopped)
                finish_open_record(r);
            break;
        }
        if (pos == 0 && have == READ_BUF_BYTES) {
            size_t cut = long_line_cut((unsigned char *)buf, have);
            if (cut == 0)
                cut = have; /* cannot happen with a 1 MiB buffer; be safe */
            st = process_line(r, buf, cut, false, false, err);
            pos = cut;
        }
        memmove(buf, buf + pos, have - pos);
        have -= pos;
        pos = 0;
    }
    if (r->pipe != NULL) {
        enum br_status dst = pipe_finish(r->pipe, &res->records);
        r->pipe = NULL;
        if (r->status == BR_OK)
            r->status = dst;
    }
    uint8_t digest[32];
    if (br_sha256_final(&sha, digest) == 0)
        memcpy(res->sha256, digest, 32);
    if (threaded) {
        pthread_join(hasher_thread, NULL);
        memcpy(res->sha256, hs.digest, 32);
        if (st == BR_OK && (hs.failed || hs.bytes != res->bytes))
            st = br_fail(err, BR_ERR_IO, "the file changed or could not be read while hashing");
    }
    reader_done(r);
    if (st == BR_OK)
        st = r->status;
    free(buf);
    free(r);
    return st;
}

enum br_status br_csv_read_mem(const void *data, size_t len, const char *const *header,
                               size_t ncols, br_csv_record_fn fn, void *ctx,
                               struct br_csv_result *res, struct br_error *err)
{
    /* process_line writes a '\n' over a '\r': work on a copy. */
    char *buf = malloc(len + 1);
    struct reader *r = malloc(sizeof(*r));
    struct br_sha256 sha;
    if (buf == NULL || r == NULL || br_sha256_init(&sha) != 0) {
        free(buf);
        free(r);
        return br_fail(err, BR_ERR_NOMEM, "out of memory reading a buffer");
    }
    if (len)
        memcpy(buf, data, len);
    reader_init(r, header, ncols, true, fn, ctx, res);
    br_sha256_update(&sha, buf, len);
    res->bytes = len;
    enum br_status st = BR_OK;
    size_t pos = process_lines(r, buf, skip_bom(buf, len), len, &st, err);
    if (st == BR_OK && !r->stopped) {
        if (pos < len)
            st = process_line(r, buf + pos, len - pos, false, true, err);
        else if (!r->at_start)
            finish_open_record(r);
    }
    uint8_t digest[32];
    if (br_sha256_final(&sha, digest) == 0)
        memcpy(res->sha256, digest, 32);
    reader_done(r);
    if (st == BR_OK)
        st = r->status;
    free(buf);
    free(r);
    return st;
}
