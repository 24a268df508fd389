/* The metrics file. */
#include "metrics.h"

#include "core/mem.h"
#include "batch/close.h"
#include "batch/run.h"
#include "batch/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The previous file's last success time of this verb, or 0. */
static double previous_success(const char *path, const char *verb)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char line[512], want[128];
    snprintf(want, sizeof(want), "billrun_last_success_timestamp_seconds{verb=\"%s\"} ", verb);
    double v = 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, want, strlen(want)) == 0)
            v = strtod(line + strlen(want), NULL);
    fclose(f);
    return v;
}

static void metric(struct br_buf *b, const char *name, const char *type, const char *help)
{
    br_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The batch a verb committed, and the chain's hash there: published outside
 * the database after every commit, so that a rewritten history shows. */
static void tip_metric(struct br_buf *b, const char *verb, int64_t batch_id, const char *hash)
{
    if (batch_id <= 0 || hash == NULL || hash[0] == '\0')
        return;
    metric(b, "billrun_tip_info", "gauge",
           "The batch the last run of the verb committed, and the hash chain's value there.");
    br_buf_printf(b, "billrun_tip_info{verb=\"%s\",batch_id=\"%lld\",hash=\"%s\"} 1\n", verb,
                  (long long)batch_id, hash);
}

static void run_metrics(struct br_buf *b, const char *verb, const struct br_run_summary *s)
{
    tip_metric(b, verb, s->batch_id, s->hash);
    metric(b, "billrun_files", "gauge", "Inbox files of the last run by status.");
    br_buf_printf(b, "billrun_files{verb=\"%s\",status=\"applied\"} %zu\n", verb, s->applied);
    br_buf_printf(b, "billrun_files{verb=\"%s\",status=\"skipped\"} %zu\n", verb, s->skipped);
    br_buf_printf(b, "billrun_files{verb=\"%s\",status=\"refused\"} %zu\n", verb, s->refused);
    br_buf_printf(b, "billrun_files{verb=\"%s\",status=\"refused_before\"} %zu\n", verb,
                  s->refused_before);
    metric(b, "billrun_rows", "gauge", "Rows read by the last run, by outcome.");
    br_buf_printf(b, "billrun_rows{verb=\"%s\",outcome=\"accepted\"} %llu\n", verb,
                  (unsigned long long)s->accepted);
    br_buf_printf(b, "billrun_rows{verb=\"%s\",outcome=\"rejected\"} %llu\n", verb,
                  (unsigned long long)s->rejected);
    metric(b, "billrun_pieces", "gauge", "Priced pieces rated by the last run.");
    br_buf_printf(b, "billrun_pieces{verb=\"%s\"} %llu\n", verb, (unsigned long long)s->pieces);
    metric(b, "billrun_amount_cny", "gauge", "Amounts rated by the last run, CNY, by source.");
    static const char *const src[] = {"free", "plan", "coupon", "balance", "outstanding"};
    br_buf_printf(b, "billrun_amount_cny{verb=\"%s\",source=\"gross\"} %lld.%08lld\n", verb,
                  (long long)(s->gross_e8 / 100000000), (long long)(s->gross_e8 % 100000000));
    for (int k = 0; k < 5; k++)
        br_buf_printf(b, "billrun_amount_cny{verb=\"%s\",source=\"%s\"} %lld.%08lld\n", verb,
                      src[k], (long long)(s->alloc_e8[k] / 100000000),
                      (long long)(s->alloc_e8[k] % 100000000));
    metric(b, "billrun_postings", "gauge", "Journal entries posted by the last run.");
    br_buf_printf(b, "billrun_postings{verb=\"%s\"} %zu\n", verb, s->entries);
    metric(b, "billrun_stage_duration_seconds", "gauge", "Duration of each stage of the last run.");
    br_buf_printf(b, "billrun_stage_duration_seconds{verb=\"%s\",stage=\"ingest\"} %.6f\n", verb,
                  s->t_ingest);
    br_buf_printf(b, "billrun_stage_duration_seconds{verb=\"%s\",stage=\"rate\"} %.6f\n", verb,
                  s->t_rate);
    br_buf_printf(b, "billrun_stage_duration_seconds{verb=\"%s\",stage=\"post\"} %.6f\n", verb,
                  s->t_post);
    br_buf_printf(b, "billrun_stage_duration_seconds{verb=\"%s\",stage=\"total\"} %.6f\n", verb,
                  s->t_total);
}

static void close_metrics(struct br_buf *b, const char *verb, const struct br_close_summary *s)
{
    tip_metric(b, verb, s->batch_id, s->hash);
    metric(b, "billrun_invoices", "gauge", "Invoices of the last close.");
    br_buf_printf(b, "billrun_invoices{verb=\"%s\"} %zu\n", verb, s->invoices);
    metric(b, "billrun_stage_duration_seconds", "gauge", "Duration of each stage of the last run.");
    br_buf_printf(b, "billrun_stage_duration_seconds{verb=\"%s\",stage=\"total\"} %.6f\n", verb,
                  s->t_total);
}

/* billrun verify: whether the ledger passed, its checks, the chain's tip. */
static void verify_metrics(struct br_buf *b, const struct br_metrics *m)
{
    const struct br_verify_report *r = m->verify;
    metric(b, "billrun_verify_ok", "gauge",
           "1 if the last billrun verify ran and every check passed, else 0.");
    br_buf_printf(b, "billrun_verify_ok %d\n", m->ok && r != NULL && r->failed == 0 ? 1 : 0);
    if (r == NULL)
        return;
    metric(b, "billrun_verify_checks", "gauge", "Checks of the last billrun verify, by result.");
    br_buf_printf(b, "billrun_verify_checks{result=\"passed\"} %zu\n", r->n - r->failed);
    br_buf_printf(b, "billrun_verify_checks{result=\"failed\"} %zu\n", r->failed);
    if (r->tip_batch_id > 0) {
        metric(b, "billrun_verify_tip_info", "gauge",
               "The last batch of the chain the last billrun verify checked, and its hash.");
        br_buf_printf(b, "billrun_verify_tip_info{batch_id=\"%lld\",hash=\"%s\"} 1\n",
                      (long long)r->tip_batch_id, r->tip_hash);
    }
}

enum br_status br_metrics_write(const char *path, const struct br_metrics *m, struct br_error *err)
{
    struct br_buf b;
    br_buf_init(&b, 1 << 20);
    double now = (double)time(NULL);
    double last = m->ok ? now : previous_success(path, m->verb);
    metric(&b, "billrun_build_info", "gauge", "The billrun that wrote this file.");
    br_buf_printf(&b, "billrun_build_info{version=\"%s\"} 1\n", BILLRUN_VERSION);
    metric(&b, "billrun_last_run_ok", "gauge", "1 if the last run of the verb succeeded.");
    br_buf_printf(&b, "billrun_last_run_ok{verb=\"%s\"} %d\n", m->verb, m->ok ? 1 : 0);
    metric(&b, "billrun_last_run_timestamp_seconds", "gauge", "When the verb last ran.");
    br_buf_printf(&b, "billrun_last_run_timestamp_seconds{verb=\"%s\"} %.0f\n", m->verb, now);
    metric(&b, "billrun_last_success_timestamp_seconds", "gauge",
           "When the verb last succeeded (0: never).");
    br_buf_printf(&b, "billrun_last_success_timestamp_seconds{verb=\"%s\"} %.0f\n", m->verb, last);
    long kib = br_peak_rss_kib();
    if (kib >= 0) {
        metric(&b, "billrun_peak_memory_bytes", "gauge",
               "Peak resident memory of the last run of the verb.");
        br_buf_printf(&b, "billrun_peak_memory_bytes{verb=\"%s\"} %lld\n", m->verb,
                      (long long)kib * 1024);
    }
    if (m->ok && m->run)
        run_metrics(&b, m->verb, m->run);
    if (m->ok && m->close)
        close_metrics(&b, m->verb, m->close);
    if (strcmp(m->verb, "verify") == 0)
        verify_metrics(&b, m);
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    /* 0640 whatever the umask: node_exporter reads it as the group */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd >= 0 && fchmod(fd, 0640) != 0) {
        close(fd);
        fd = -1;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL && fd >= 0)
        close(fd);
    enum br_status st = BR_OK;
    if (f == NULL || b.data == NULL) {
        st = br_fail(err, BR_ERR_IO, "cannot write metrics %s: %s", tmp, strerror(errno));
    } else {
        size_t w = fwrite(b.data, 1, b.len, f);
        int c = fclose(f);
        f = NULL;
        if (w != b.len || c != 0 || rename(tmp, path) != 0)
            st = br_fail(err, BR_ERR_IO, "cannot write metrics %s: %s", path, strerror(errno));
    }
    if (f)
        fclose(f);
    if (st != BR_OK)
        unlink(tmp);
    br_buf_free(&b);
    return st;
}
