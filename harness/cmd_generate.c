/* cmd_generate.c — placeholder until issue #2 lands; replaced by its implementation. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_generate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slmbench generate: not implemented yet (issue #2)\n");
    return CMD_FAILURE;
}

