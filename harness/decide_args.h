/*
 * decide_args.h — flag parsing that prints its own error line, shared by the
 * decision commands (compare, history, carbon, route) and device.
 *
 * Invariant: on bad input these print exactly one line,
 * "slmbench CMD: FLAG: problem", to stderr and return non-zero; they never exit.
 */
#ifndef DECIDE_ARGS_H
#define DECIDE_ARGS_H

/* A finite number in [min, max], the whole string consumed. */
int decide_parse_double(const char *command, const char *flag, const char *text, double min,
                        double max, double *out);

/* A decimal integer in [min, max], the whole string consumed. */
int decide_parse_int(const char *command, const char *flag, const char *text, int min, int max,
                     int *out);

/* The value after flag argv[*index]; advances *index. Prints "needs a value" when missing. */
const char *decide_flag_value(const char *command, int argc, char **argv, int *index);

/* An output FILE (or chart OUT_BASE) named by flag can be written (see
 * cli_output_file_ok); path NULL (not asked for) is fine. Checked before any
 * work so the figures are not computed for nothing. */
int decide_output_ok(const char *command, const char *flag, const char *path);

#endif
