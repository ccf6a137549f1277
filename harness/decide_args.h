/*
 * decide_args.h — flag parsing shared by the decision commands (compare,
 * history, carbon, route).
 *
 * Invariant: on bad input these print exactly one line,
 * "slmbench CMD: FLAG: problem", to stderr and return non-zero; they never exit.
 */
#ifndef DECIDE_ARGS_H
#define DECIDE_ARGS_H

/* A finite number in [min, max], the whole string consumed. */
int decide_parse_double(const char *command, const char *flag, const char *text, double min,
                        double max, double *out);

/* The value after flag argv[*index]; advances *index. Prints "needs a value" when missing. */
const char *decide_flag_value(const char *command, int argc, char **argv, int *index);

#endif
