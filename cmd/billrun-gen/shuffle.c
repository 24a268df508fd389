/* --order shuffled: the usage files' rows in an order drawn from the seed.
 * A pass after writing, so the rows are the same as with --order time and
 * only their order differs (the benchmark compares the two). */
#include "gen.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: the shuffle's own stream, from the seed and the file name */
static uint64_t mix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void shuffle_file(const char *path, uint64_t seed)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        gen_die("cannot read %s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0)
        gen_die("cannot read %s: %s", path, strerror(errno));
    long size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        gen_die("cannot read %s: %s", path, strerror(errno));
    char *text = malloc((size_t)size + 1);
    if (text == NULL)
        gen_die("out of memory reading %s", path);
    if (fread(text, 1, (size_t)size, f) != (size_t)size)
        gen_die("cannot read %s", path);
    fclose(f);
    /* line starts after the header; every line ends with \n */
    size_t n = 0, cap = 1024;
    size_t *line = malloc(cap * sizeof(*line));
    char *p = memchr(text, '\n', (size_t)size);
    size_t body = p != NULL ? (size_t)(p - text) + 1 : (size_t)size;
    for (size_t at = body; line != NULL && at < (size_t)size;) {
        if (n == cap) {
            size_t *more = realloc(line, 2 * cap * sizeof(*line));
            if (more == NULL) {
                free(line);
                line = NULL;
                break;
            }
            line = more, cap *= 2;
        }
        line[n++] = at;
        char *e = memchr(text + at, '\n', (size_t)size - at);
        at = e != NULL ? (size_t)(e - text) + 1 : (size_t)size;
    }
    if (line == NULL)
        gen_die("out of memory shuffling %s", path);
    uint64_t x = seed;
    for (const char *c = strrchr(path, '/'); c != NULL && *c; c++)
        x = x * 1099511628211ull + (unsigned char)*c;
    for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)(mix(&x) % i), t = line[i - 1];
        line[i - 1] = line[j], line[j] = t;
    }
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.shuffling", path) >= sizeof(tmp))
        gen_die("path too long: %s", path);
    FILE *o = fopen(tmp, "wb");
    if (o == NULL)
        gen_die("cannot write %s: %s", tmp, strerror(errno));
    fwrite(text, 1, body, o);
    for (size_t i = 0; i < n; i++) {
        const char *l = text + line[i];
        const char *e = memchr(l, '\n', (size_t)size - line[i]);
        size_t len = e != NULL ? (size_t)(e - l) + 1 : (size_t)size - line[i];
        fwrite(l, 1, len, o);
        if (e == NULL)
            fputc('\n', o);
    }
    if (fclose(o) != 0 || rename(tmp, path) != 0)
        gen_die("cannot write %s: %s", path, strerror(errno));
    free(line);
    free(text);
}

void gen_shuffle_usage(const struct gen_opts *opt)
{
    DIR *d = opendir(opt->out_dir);
    if (d == NULL)
        gen_die("cannot list %s: %s", opt->out_dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if ((strncmp(e->d_name, "eas-", 4) != 0 && strncmp(e->d_name, "oss-", 4) != 0) || len < 8 ||
            strcmp(e->d_name + len - 4, ".csv") != 0)
            continue;
        char path[4200];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", opt->out_dir, e->d_name) >= sizeof(path))
            gen_die("path too long: %s/%s", opt->out_dir, e->d_name);
        shuffle_file(path, opt->seed);
    }
    closedir(d);
}
