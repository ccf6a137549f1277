/* cmd_compare.c — placeholder until issue #6 lands; replaced by its implementation. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_compare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slmbench compare: not implemented yet (issue #6)\n");
    return CMD_FAILURE;
}

