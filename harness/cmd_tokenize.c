/* cmd_tokenize.c — placeholder until issue #3 lands; replaced by its implementation. */
#include <stdio.h>
#include "harness/commands.h"

int cmd_tokenize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slmbench tokenize: not implemented yet (issue #3)\n");
    return CMD_FAILURE;
}

int cmd_detokenize(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "slmbench detokenize: not implemented yet (issue #3)\n");
    return CMD_FAILURE;
}

