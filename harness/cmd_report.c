/* cmd_report.c — placeholder until issue #5 lands; replaced by its implementation. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slmbench report: not implemented yet (issue #5)\n");
    return CMD_FAILURE;
}

