/* cmd_history.c — placeholder until issue #6 lands; replaced by its implementation. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_history(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slmbench history: not implemented yet (issue #6)\n");
    return CMD_FAILURE;
}

