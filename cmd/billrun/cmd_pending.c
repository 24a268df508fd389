/* Verbs being built (this file goes away when they land). */
#include "cli.h"

#include <stdio.h>

static int pending(const char *verb)
{
    fprintf(stderr, "billrun %s: not available in this build yet\n", verb);
    return BR_EXIT_FAILED;
}

int cmd_close(struct br_cli *cli, int argc, char **argv)
{
    (void)cli, (void)argc, (void)argv;
    return pending("close");
}

int cmd_invoices(struct br_cli *cli, int argc, char **argv)
{
    (void)cli, (void)argc, (void)argv;
    return pending("invoices");
}

int cmd_verify(struct br_cli *cli, int argc, char **argv)
{
    (void)cli, (void)argc, (void)argv;
    return pending("verify");
}

int cmd_explain(struct br_cli *cli, int argc, char **argv)
{
    (void)cli, (void)argc, (void)argv;
    return pending("explain");
}
