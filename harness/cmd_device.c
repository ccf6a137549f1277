/* cmd_device.c — placeholder until issue #4 lands; replaced by its implementation. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_device(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slmbench device: not implemented yet (issue #4)\n");
    return CMD_FAILURE;
}

