/* Prometheus text-format metrics for node_exporter's textfile collector,
 * written atomically (a temporary file renamed into place). */
#ifndef BR_METRICS_H
#define BR_METRICS_H

#include "core/status.h"

#include <stdbool.h>
#include <stdint.h>

struct br_run_summary;
struct br_close_summary;

struct br_verify_report;

struct br_metrics {
    const char *verb; /* run, reprocess, close, verify */
    bool ok;
    const struct br_run_summary *run;      /* may be NULL */
    const struct br_close_summary *close;  /* may be NULL */
    const struct br_verify_report *verify; /* verify that ran its checks, or NULL */
};

/* Writes path (keeping the last success time of the previous file when this
 * verb failed). */
enum br_status br_metrics_write(const char *path, const struct br_metrics *m, struct br_error *err);

#endif
