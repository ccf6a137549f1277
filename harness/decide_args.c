/*
 * decide_args.c — number and flag-value parsing for the decision commands.
 *
 * Invariants: see decide_args.h.
 */
#include "harness/decide_args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int decide_parse_double(const char *command, const char *flag, const char *text, double min,
                        double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !isfinite(value)) {
        fprintf(stderr, "slmbench %s: %s: '%s' is not a number\n", command, flag, text);
        return -1;
    }
    if (value < min || value > max) {
        fprintf(stderr, "slmbench %s: %s: %g is outside [%g, %g]\n", command, flag, value, min, max);
        return -1;
    }
    *out = value;
    return 0;
}

const char *decide_flag_value(const char *command, int argc, char **argv, int *index)
{
    if (*index + 1 >= argc) {
        fprintf(stderr, "slmbench %s: %s: needs a value\n", command, argv[*index]);
        return NULL;
    }
    *index += 1;
    return argv[*index];
}
