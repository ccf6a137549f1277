/*
 * decide_args.c — number and flag-value parsing for the decision commands:
 * the cli.h parsers (one definition of what a number or a missing value is),
 * with the error printed as one line prefixed by the command.
 *
 * Invariants: see decide_args.h.
 */
#include "harness/decide_args.h"

#include <stdio.h>

#include "harness/cli.h"

int decide_parse_double(const char *command, const char *flag, const char *text, double min,
                        double max, double *out)
{
    char err[512];
    if (cli_double(flag, text, min, max, out, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench %s: %s\n", command, err);
        return -1;
    }
    return 0;
}

int decide_parse_int(const char *command, const char *flag, const char *text, int min, int max,
                     int *out)
{
    char err[512];
    if (cli_int(flag, text, min, max, out, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench %s: %s\n", command, err);
        return -1;
    }
    return 0;
}

const char *decide_flag_value(const char *command, int argc, char **argv, int *index)
{
    char err[512];
    const char *value = cli_value(argc, argv, index, err, sizeof err);
    if (!value)
        fprintf(stderr, "slmbench %s: %s\n", command, err);
    return value;
}

int decide_output_ok(const char *command, const char *flag, const char *path)
{
    char err[4400];
    if (path && cli_output_file_ok(flag, path, err, sizeof err) != 0) {
        fprintf(stderr, "slmbench %s: %s\n", command, err);
        return -1;
    }
    return 0;
}
