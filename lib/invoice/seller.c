/* The seller block (seller.h). */
#include "invoice/seller.h"

#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const seller_keys[] = {"name",         "address", "tax_id", "bank",
                                          "bank_account", "phone",   "lang"};
#define NSELLER 6 /* the party's fields; lang comes after them */
#define NKEYS 7
#define KEY_LANG 6

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
    char val[NKEYS][512];
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
            for (int i = 0; i < NKEYS; i++)
                if (strcmp(trim(s), seller_keys[i]) == 0)
                    k = i;
        }
        if (k < 0) {
            fclose(f);
            return br_fail(err, BR_ERR_INPUT,
                           "%s:%d: expected `key = value` with key one of name, address, tax_id, "
                           "bank, bank_account, phone, lang",
                           file, lineno);
        }
        snprintf(val[k], sizeof(val[k]), "%s", trim(eq + 1));
        enum br_lang lang;
        if (k == KEY_LANG && !br_lang_parse(val[k], &lang)) {
            fclose(f);
            return br_fail(err, BR_ERR_INPUT, "%s:%d: lang is zh, en or zh-en, not %s", file,
                           lineno, val[k]);
        }
    }
    if (f)
        fclose(f);
    if (val[KEY_LANG][0] == '\0')
        snprintf(val[KEY_LANG], sizeof(val[KEY_LANG]), "%s", br_lang_name(BR_LANG_DEFAULT));
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < NKEYS; i++) {
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

enum br_lang br_seller_lang(const char *text)
{
    enum br_lang lang = BR_LANG_EN;
    for (const char *l = text; l != NULL && *l != '\0';) {
        const char *nl = strchr(l, '\n');
        size_t n = nl != NULL ? (size_t)(nl - l) : strlen(l);
        char v[16];
        if (n > 5 && n - 5 < sizeof(v) && strncmp(l, "lang=", 5) == 0) {
            memcpy(v, l + 5, n - 5);
            v[n - 5] = '\0';
            if (!br_lang_parse(v, &lang))
                lang = BR_LANG_EN;
        }
        l = nl != NULL ? nl + 1 : NULL;
    }
    return lang;
}

enum br_status br_seller_set_lang(char *text, size_t size, enum br_lang lang, struct br_error *err)
{
    /* drop the lang line(s) in place, then append the new one */
    size_t o = 0, len = strlen(text);
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl != NULL ? (size_t)(nl - (text + i)) + 1 : len - i;
        if (strncmp(text + i, "lang=", 5) != 0) {
            memmove(text + o, text + i, n);
            o += n;
        }
        i += n;
    }
    text[o] = '\0';
    int n = snprintf(text + o, size - o, "lang=%s\n", br_lang_name(lang));
    if (n < 0 || (size_t)n >= size - o)
        return br_fail(err, BR_ERR_INPUT, "the seller configuration is too long");
    return BR_OK;
}
