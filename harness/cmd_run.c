/* cmd_run.c — placeholder until issue #5 lands; replaced by its implementation. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slmbench run: not implemented yet (issue #5)\n");
    return CMD_FAILURE;
}

