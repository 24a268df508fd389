/* The seller block (seller.h). */
#include "invoice/seller.h"

#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const seller_keys[] = {"name", "address",      "tax_id",
                                          "bank", "bank_account", "phone"};
#define NSELLER 6

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

enum br_status br_seller_config(const char *path, char *out, size_t size, struct br_error *err)
{
    const char *file = path ? path : getenv("BILLRUN_SELLER_CONF");
    if (file == NULL || file[0] == '\0')
        file = "/etc/billrun/seller.conf";
    char val[NSELLER][512];
    memset(val, 0, sizeof(val));
    FILE *f = fopen(file, "r");
    if (f == NULL && path != NULL)
        return br_fail(err, BR_ERR_IO, "cannot read the seller configuration %s: %s", path,
                       strerror(errno));
    if (f == NULL) {
        br_log(BR_LOG_WARN, "seller_not_configured", "path=%s", br_logq(file));
        snprintf(val[0], sizeof(val[0]), "(seller not configured: see README, Seller block)");
    }
    char line[1024];
    int lineno = 0;
    while (f && fgets(line, sizeof(line), f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        int k = -1;
        if (eq) {
            *eq = '\0';
            for (int i = 0; i < NSELLER; i++)
                if (strcmp(trim(s), seller_keys[i]) == 0)
                    k = i;
        }
        if (k < 0) {
            fclose(f);
            return br_fail(err, BR_ERR_INPUT,
                           "%s:%d: expected `key = value` with key one of name, address, tax_id, "
                           "bank, bank_account, phone",
                           file, lineno);
        }
        snprintf(val[k], sizeof(val[k]), "%s", trim(eq + 1));
    }
    if (f)
        fclose(f);
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < NSELLER; i++) {
        int n = snprintf(out + o, size - o, "%s=%s\n", seller_keys[i], val[i]);
        if (n < 0 || (size_t)n >= size - o)
            return br_fail(err, BR_ERR_INPUT, "the seller configuration is too long");
        o += (size_t)n;
    }
    return BR_OK;
}

/* Splits the frozen seller text back into fields (pointing into text). */
void br_seller_fields(char *text, struct br_party *p)
{
    const char **dst[NSELLER] = {&p->name, &p->address,      &p->tax_id,
                                 &p->bank, &p->bank_account, &p->phone};
    for (int i = 0; i < NSELLER; i++)
        *dst[i] = "";
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(l, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        for (int i = 0; i < NSELLER; i++)
            if (strcmp(l, seller_keys[i]) == 0)
                *dst[i] = eq + 1;
    }
}
