/* Draft invoices of an open period (draft.h). */
#include "batch/draft.h"

#include "core/log.h"
#include "core/money.h"
#include "invoice/files.h"
#include "invoice/seller.h"
#include "invoice/xlsx.h"
#include "store/load.h"
#include "store/period.h"
#include "store/schema.h"
#include "store/txn.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --- where a draft may go --------------------------------------------------------- */

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* YYYY-MM: the folder a close writes a period's finals into. */
static bool period_name(const char *s)
{
    return strlen(s) == 7 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2);
}

/* .YYYY-MM.closing: a close's staging folder. */
static bool staging_name(const char *s)
{
    size_t n = strlen(s);
    return n == 16 && s[0] == '.' && strcmp(s + 8, ".closing") == 0 && s[5] == '-' &&
           digits(s + 1, 4) && digits(s + 6, 2);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && strcmp(s + n - k, tail) == 0;
}

/* A close's file: INV-, CN-, DN- or summary-, a workbook or a PDF. */
static bool final_name(const char *s)
{
    bool doc = strncmp(s, "INV-", 4) == 0 || strncmp(s, "CN-", 3) == 0 ||
               strncmp(s, "DN-", 3) == 0 || strncmp(s, "summary-", 8) == 0;
    return doc && (ends_with(s, ".xlsx") || ends_with(s, ".pdf"));
}

/* Whether dir holds a close's files, directly or (depth 0) in a folder a
 * close names; *why names the first found. The call into such a folder is
 * made at depth 1, which looks no deeper: one level, never more. A folder
 * that cannot be read holds none we can see. */
static bool holds_finals(const char *dir, int depth, char *why, size_t size)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        char sub[PATH_MAX + 256];
        snprintf(sub, sizeof(sub), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, e->d_name);
        if (final_name(e->d_name)) {
            snprintf(why, size, "%s", sub);
            found = true;
        } else if (depth == 0 && (period_name(e->d_name) || staging_name(e->d_name))) {
            found = holds_finals(sub, 1, why, size);
        }
    }
    closedir(d);
    return found;
}

/* The canonical absolute form of path, which need not exist: its deepest
 * existing ancestor resolved, the rest appended. */
static bool canonical(const char *path, char *out, size_t size)
{
    char head[PATH_MAX], tail[PATH_MAX] = "";
    snprintf(head, sizeof(head), "%s", path);
    for (size_t n = strlen(head); n > 1 && head[n - 1] == '/'; n--)
        head[n - 1] = '\0';              /* "drafts/" is "drafts" */
    for (int i = 0; i < PATH_MAX; i++) { /* bounded: one component a turn */
        char *r = realpath(head, NULL);
        if (r != NULL) {
            int n = snprintf(out, size, "%s%s", strcmp(r, "/") == 0 ? "" : r, tail);
            free(r);
            if (out[0] == '\0')
                snprintf(out, size, "/");
            return n >= 0 && (size_t)n < size;
        }
        char *slash = strrchr(head, '/');
        char t[PATH_MAX];
        int n = snprintf(t, sizeof(t), "/%s%s", slash ? slash + 1 : head, tail);
        if (n < 0 || (size_t)n >= sizeof(t))
            return false;
        memcpy(tail, t, (size_t)n + 1);
        if (slash == NULL)
            snprintf(head, sizeof(head), ".");
        else if (slash == head)
            snprintf(head, sizeof(head), "/");
        else
            *slash = '\0';
    }
    return false;
}

/* The configured folder of finals: $BILLRUN_OUT, else /etc/default/billrun's
 * BILLRUN_OUT= line (the jobs' --out); "" when neither says. */
static void configured_out(char *out, size_t size)
{
    out[0] = '\0';
    const char *env = getenv("BILLRUN_OUT");
    if (env != NULL && env[0] != '\0') {
        snprintf(out, size, "%s", env);
        return;
    }
    FILE *f = fopen("/etc/default/billrun", "r");
    if (f == NULL)
        return;
    char line[4096];
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "BILLRUN_OUT=", 12) != 0)
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        const char *v = line + 12;
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
            snprintf(out, size, "%.*s", (int)(n - 2), v + 1);
        else
            snprintf(out, size, "%s", v);
    }
    fclose(f);
}

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return true;
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

enum br_status br_draft_check_out(const char *out_dir, struct br_error *err)
{
    char abs[PATH_MAX], conf[PATH_MAX], conf_abs[PATH_MAX], why[PATH_MAX + 256];
    if (!canonical(out_dir, abs, sizeof(abs)))
        return br_fail(err, BR_ERR_USAGE, "--out %s: cannot resolve the folder", out_dir);
    configured_out(conf, sizeof(conf));
    if (conf[0] != '\0' && canonical(conf, conf_abs, sizeof(conf_abs)) && under(abs, conf_abs))
        return br_fail(err, BR_ERR_USAGE,
                       "--out %s is in the folder of final invoices (BILLRUN_OUT=%s): drafts go "
                       "elsewhere, e.g. --out /tmp/drafts",
                       out_dir, conf);
    const char *base = strrchr(abs, '/') ? strrchr(abs, '/') + 1 : abs;
    if (period_name(base) || staging_name(base))
        return br_fail(err, BR_ERR_USAGE,
                       "--out %s is named like a close's folder of final invoices (%s): drafts "
                       "go in a folder of their own",
                       out_dir, base);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", abs);
    for (int i = 0; i < PATH_MAX; i++) { /* bounded: the folder, then each ancestor */
        if (holds_finals(dir, 0, why, sizeof(why)))
            return br_fail(err, BR_ERR_USAGE,
                           "--out %s: %s holds final invoices (%s); a draft never goes where "
                           "finals are: give a folder of its own",
                           out_dir, dir, why);
        char *slash = strrchr(dir, '/');
        if (slash == NULL || strcmp(dir, "/") == 0)
            break;
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    return BR_OK;
}

/* --- the drafts ------------------------------------------------------------------- */

static enum br_status write_drafts(const struct br_period_docs *d, const char *dir,
                                   struct br_draft_summary *s, struct br_error *err)
{
    struct br_doc_scratch *x = br_doc_scratch_new();
    if (x == NULL)
        return br_fail(err, BR_ERR_NOMEM, "out of memory");
    const char *per = br_period_docs_name(d);
    enum br_status st = BR_OK;
    size_t n = br_period_docs_count(d);
    for (size_t i = 0; i < n && st == BR_OK; i++) {
        struct br_invoice_doc doc;
        st = br_period_docs_invoice(d, i, x, &doc);
        if (st != BR_OK) {
            st = br_fail(err, st, "out of memory building draft %zu", i + 1);
            break;
        }
        BR_ASSERT(doc.invoice_no == NULL);
        char path[PATH_MAX + 256];
        if (snprintf(path, sizeof(path), "%s/DRAFT-%.4s%.2s_%s.xlsx", dir, per, per + 5,
                     doc.buyer.account_id) >= (int)sizeof(path)) {
            st = br_fail(err, BR_ERR_IO, "output folder name too long: %s", dir);
            break;
        }
        st = br_xlsx_invoice(&doc, path, err);
        if (st == BR_OK && (!br_add_i64(s->amount_due_e8, doc.amount_due_e8, &s->amount_due_e8) ||
                            !br_add_i64(s->round_down_e8, doc.round_down_e8, &s->round_down_e8)))
            st = br_fail(err, BR_ERR_OVERFLOW, "%s: the drafts' amount due overflows", per);
        s->invoices += st == BR_OK;
    }
    br_doc_scratch_free(x);
    return st;
}

/* In one READ ONLY snapshot: the period open, the clock, the drafts. */
static enum br_status draft_snapshot(struct br_db *db, const struct br_draft_opts *o,
                                     const char *seller, struct br_draft_summary *s,
                                     struct br_error *err)
{
    char per[16];
    br_period_format(o->period, per, sizeof(per));
    struct br_calendar cal = {.offset_s = s->tz_offset_s};
    bool closed = false, any = false;
    struct br_period_docs *d = NULL;
    enum br_status st = br_txn_begin_read(db, err);
    if (st == BR_OK)
        st = br_period_closed(db, per, &closed, err);
    if (st == BR_OK && closed)
        st = br_fail(err, BR_ERR_USAGE,
                     "%s is closed: its final invoices are the ones its close wrote (`billrun "
                     "invoices --period %s --out DIR` writes them again, without --draft); "
                     "drafts are only for an open period",
                     per, per);
    if (st == BR_OK)
        st = br_load_clock(db, &s->issued_at, &s->last_as_of, &any, err);
    if (!any)
        s->last_as_of = INT64_MIN;
    if (st == BR_OK)
        st = br_period_docs_load_draft(db, cal, o->period, seller, s->issued_at, &d, err);
    if (st == BR_OK)
        st = br_files_make_dir(o->out_dir, err);
    if (st == BR_OK)
        st = write_drafts(d, o->out_dir, s, err);
    br_txn_rollback(db);
    br_period_docs_free(d);
    return st;
}

enum br_status br_invoices_draft(struct br_db *db, const struct br_draft_opts *o,
                                 struct br_draft_summary *s, struct br_error *err)
{
    memset(s, 0, sizeof(*s));
    s->last_as_of = INT64_MIN;
    enum br_status st = br_draft_check_out(o->out_dir, err);
    char seller[4096];
    if (st == BR_OK)
        st = br_seller_config(o->seller_conf, seller, sizeof(seller), err);
    if (st == BR_OK)
        st = br_schema_calendar(db, &s->tz_offset_s, err);
    if (st == BR_OK)
        st = draft_snapshot(db, o, seller, s, err);
    if (st == BR_OK)
        st = br_xlsx_sync_dir(o->out_dir, err);
    return st;
}
