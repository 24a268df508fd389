/* The benchmark's floor: libcsv alone parsing files with empty callbacks,
 * read in the same 1 MiB chunks billrun reads. Prints rows and seconds. */
#include <csv.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void on_field(void *s, size_t len, void *data)
{
    (void)s;
    (void)len;
    (void)data;
}

static void on_row(int c, void *data)
{
    (void)c;
    (*(unsigned long long *)data)++;
}

int main(int argc, char **argv)
{
    static char buf[1 << 20];
    unsigned long long rows = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            perror(argv[i]);
            return 1;
        }
        struct csv_parser p;
        csv_init(&p, 0);
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
            if (csv_parse(&p, buf, (size_t)n, on_field, on_row, &rows) != (size_t)n) {
                fprintf(stderr, "%s: %s\n", argv[i], csv_strerror(csv_error(&p)));
                return 1;
            }
        csv_fini(&p, on_field, on_row, &rows);
        csv_free(&p);
        close(fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("rows=%llu seconds=%.3f\n", rows, s);
    return 0;
}
