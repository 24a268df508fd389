/* Writing a closed period's documents (documents.h). */
#include "batch/documents.h"

#include "invoice/files.h"
#include "invoice/pdf.h"
#include "invoice/xlsx.h"
#include "store/period.h"

#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct writer {
    const struct br_period_docs *d;
    const struct br_docs_opts *o;
    struct br_pdf *pdf; /* this thread's PDF renderer (NULL: workbooks only) */
    const char *dir;
    pthread_mutex_t *mu;
    size_t *next;
    size_t n;
    enum br_status st;
    struct br_error err;
    size_t written;
    bool *stop;
};

static size_t take(struct writer *w)
{
    pthread_mutex_lock(w->mu);
    size_t i = *w->stop ? w->n : (*w->next)++;
    pthread_mutex_unlock(w->mu);
    return i;
}

/* The PDF beside a workbook: the same path with .pdf for .xlsx. */
static void pdf_path(char *path)
{
    size_t n = strlen(path);
    BR_ASSERT(n > 5 && strcmp(path + n - 5, ".xlsx") == 0);
    memcpy(path + n - 5, ".pdf", 5);
}

/* Document i: an invoice, or past the invoices a note; its workbook, then
 * (unless workbooks only) its PDF. */
static enum br_status write_one(struct writer *w, size_t i, struct br_doc_scratch *s)
{
    size_t ninv = br_period_docs_count(w->d);
    char path[4400];
    enum br_status st;
    if (i >= ninv) {
        struct br_note_doc note;
        br_period_docs_note(w->d, i - ninv, &note);
        if (w->o->lang_set)
            note.lang = w->o->lang;
        if (snprintf(path, sizeof(path), "%s/%s_%s.xlsx", w->dir, note.note->note_no,
                     note.buyer.account_id) >= (int)sizeof(path))
            return br_fail(&w->err, BR_ERR_IO, "output folder name too long: %s", w->dir);
        st = br_xlsx_note(&note, path, &w->err);
        if (st != BR_OK || w->pdf == NULL)
            return st;
        pdf_path(path);
        return br_pdf_note(w->pdf, &note, path, &w->err);
    }
    struct br_invoice_doc doc;
    st = br_period_docs_invoice(w->d, i, s, &doc);
    if (st != BR_OK)
        return br_fail(&w->err, st, "out of memory building invoice %zu", i + 1);
    if (w->o->lang_set)
        doc.lang = w->o->lang;
    if (snprintf(path, sizeof(path), "%s/%s_%s.xlsx", w->dir, doc.invoice_no,
                 doc.buyer.account_id) >= (int)sizeof(path))
        return br_fail(&w->err, BR_ERR_IO, "output folder name too long: %s", w->dir);
    st = br_xlsx_invoice(&doc, path, &w->err);
    if (st != BR_OK || w->pdf == NULL)
        return st;
    pdf_path(path);
    return br_pdf_invoice(w->pdf, &doc, path, &w->err);
}

static void *write_invoices(void *arg)
{
    struct writer *w = arg;
    struct br_doc_scratch *s = br_doc_scratch_new();
    if (s == NULL) {
        w->st = br_fail(&w->err, BR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (w->o->pdf && (w->st = br_pdf_new(&w->pdf, &w->err)) != BR_OK) {
        br_doc_scratch_free(s);
        pthread_mutex_lock(w->mu);
        *w->stop = true;
        pthread_mutex_unlock(w->mu);
        return NULL;
    }
    size_t i;
    while ((i = take(w)) < w->n) {
        enum br_status st = write_one(w, i, s);
        if (st != BR_OK) {
            w->st = st;
            pthread_mutex_lock(w->mu);
            *w->stop = true;
            pthread_mutex_unlock(w->mu);
            break;
        }
        w->written += w->pdf != NULL ? 2 : 1;
    }
    br_pdf_free(w->pdf);
    w->pdf = NULL;
    br_doc_scratch_free(s);
    return NULL;
}

static enum br_status write_all(const struct br_period_docs *d, const char *dir,
                                const struct br_docs_opts *o, struct br_docs_result *out,
                                struct br_error *err)
{
    int nt = o->threads < 1 ? 1 : o->threads > 16 ? 16 : o->threads;
    size_t next = 0;
    bool stop = false;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    struct writer w[16];
    pthread_t th[16];
    for (int i = 0; i < nt; i++)
        w[i] = (struct writer){.d = d,
                               .o = o,
                               .dir = dir,
                               .mu = &mu,
                               .next = &next,
                               .n = br_period_docs_count(d) + br_period_docs_note_count(d),
                               .stop = &stop};
    int started = 0;
    for (int i = 1; i < nt; i++)
        if (pthread_create(&th[i], NULL, write_invoices, &w[i]) == 0)
            started = i;
    write_invoices(&w[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(th[i], NULL);
    enum br_status st = BR_OK;
    for (int i = 0; i < nt; i++) {
        out->files_written += w[i].written;
        if (st == BR_OK && w[i].st != BR_OK) {
            st = w[i].st;
            *err = w[i].err;
        }
    }
    return st;
}

static enum br_status write_summary(const struct br_period_docs *d, const char *dir,
                                    const struct br_docs_opts *o, struct br_error *err)
{
    struct br_summary_scratch *x = NULL;
    struct br_summary_doc doc;
    enum br_status st = br_period_docs_summary(d, &x, &doc);
    if (st != BR_OK) {
        br_summary_scratch_free(x);
        return br_fail(err, st, "out of memory building the summary");
    }
    if (o->lang_set)
        doc.lang = o->lang;
    const char *per = br_period_docs_name(d);
    char path[4200];
    if (snprintf(path, sizeof(path), "%s/summary-%.4s%.2s.xlsx", dir, per, per + 5) >=
        (int)sizeof(path))
        st = br_fail(err, BR_ERR_IO, "output folder name too long: %s", dir);
    else
        st = br_xlsx_summary(&doc, path, err);
    br_summary_scratch_free(x);
    return st;
}

enum br_status br_documents_write(struct br_db *db, struct br_calendar cal, br_period period,
                                  const char *folder, int threads, struct br_docs_result *out,
                                  struct br_error *err)
{
    struct br_docs_opts o = {.threads = threads, .pdf = true};
    return br_documents_write_opts(db, cal, period, folder, &o, out, err);
}

enum br_status br_documents_write_opts(struct br_db *db, struct br_calendar cal, br_period period,
                                       const char *folder, const struct br_docs_opts *o,
                                       struct br_docs_result *out, struct br_error *err)
{
    memset(out, 0, sizeof(*out));
    struct br_period_docs *d = NULL;
    enum br_status st = br_period_docs_load(db, cal, period, &d, err);
    /* A file size limit (ulimit -f) must make a write fail with EFBIG, which
     * the writer reports and cleans up after (xlsx.h), not kill the process
     * with SIGXFSZ halfway through a file, its temporary file left behind. */
    struct sigaction ignore_xfsz, saved_xfsz;
    memset(&ignore_xfsz, 0, sizeof(ignore_xfsz));
    ignore_xfsz.sa_handler = SIG_IGN;
    sigemptyset(&ignore_xfsz.sa_mask);
    bool restore_xfsz = sigaction(SIGXFSZ, &ignore_xfsz, &saved_xfsz) == 0;
    if (st == BR_OK)
        st = br_files_make_dir(folder, err);
#ifdef __GLIBC__
    /* Each workbook deflates a dozen parts, each with a zlib state of about
     * 256 KiB: above glibc's starting mmap threshold, so every one was a
     * fresh mapping the kernel zero-filled page by page, and freed memory
     * went straight back to it. Keep such blocks in the heap instead (a
     * fifth of the writing time at 100k invoices). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
#endif
    if (st == BR_OK) {
        out->invoices = br_period_docs_count(d);
        out->notes = br_period_docs_note_count(d);
        st = write_all(d, folder, o, out, err);
    }
    if (st == BR_OK)
        st = write_summary(d, folder, o, err);
    if (st == BR_OK)
        out->files_written++;
    if (st == BR_OK)
        st = br_xlsx_sync_dir(folder, err);
    if (restore_xfsz)
        sigaction(SIGXFSZ, &saved_xfsz, NULL);
    br_period_docs_free(d);
    return st;
}
