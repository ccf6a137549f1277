/* cmd_carbon.c — placeholder until issue #6 lands; replaced by its implementation. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_carbon(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slmbench carbon: not implemented yet (issue #6)\n");
    return CMD_FAILURE;
}

