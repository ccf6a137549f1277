/*
 * cli.h — what the subcommands share on the command line, so every command
 * spells and checks its flags the same way: comma lists, numbers with ranges,
 * seeds, --output-format json|csv|md, --help, input files and output paths
 * checked before any work, the default runs/ directory, JSON on stdout, and
 * the Ctrl-C / SIGTERM stop flag. decide_args.h wraps the parsers for the
 * commands that print their own error line.
 *
 * Invariants: parsers never exit; they return 0 or -1 with one line in err
 * naming the flag and the bad value. The stop flag is the only mutable
 * static in the harness besides main's: a signal handler cannot be passed a
 * pointer, so cli_stop_install() owns it and hands the command a pointer.
 */
#ifndef CLI_H
#define CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define CLI_MAX_LIST 32

typedef enum cli_format { CLI_FORMAT_MD = 0, CLI_FORMAT_CSV, CLI_FORMAT_JSON } cli_format;

/* "1,2,4" -> ints in [min,max]; at most CLI_MAX_LIST values. */
int cli_int_list(const char *flag, const char *text, int min, int max, int *out, int *n_out,
                 char *err, size_t err_size);
/* "qa,code" -> appended (pointers into text, which is modified) to out[*n]. */
int cli_string_list(const char *flag, char *text, const char **out, int *n_out,
                    char *err, size_t err_size);
int cli_int(const char *flag, const char *text, int min, int max, int *out, char *err, size_t err_size);
/* Decimal unsigned integer in 0..max (seeds); a sign is refused. */
int cli_u64(const char *flag, const char *text, uint64_t max, uint64_t *out, char *err, size_t err_size);
int cli_double(const char *flag, const char *text, double min, double max, double *out,
               char *err, size_t err_size);
int cli_format_parse(const char *text, cli_format *out, char *err, size_t err_size);
/* "runs/PREFIX<UTC yyyymmddThhmmssZ>" in out (the default -o of run and soak); returns out. */
const char *cli_default_out_dir(const char *prefix, char *out, size_t size);
/* json, indented, and a newline on stdout; -1 when json is NULL (its builder
 * ran out of memory), printing runs out of memory, or stdout fails. */
int cli_print_json(const cJSON *json);
/* 1 when any argument is --help or -h (the command then prints its usage, exit 0). */
int cli_wants_help(int argc, char **argv);
/* The value of flag argv[*i] (advances *i), or NULL with err set when missing. */
const char *cli_value(int argc, char **argv, int *i, char *err, size_t err_size);

/* An input file (what: "model", "vocab"...) exists, is readable and is not a
 * directory; err says which of these failed. */
int cli_input_file_ok(const char *path, const char *what, char *err, size_t err_size);
/* An output FILE named by flag, checked before any work so that a long
 * measurement is not lost at the end: not a directory, and its directory
 * exists and is writable. 0, or -1 with one line in err. */
int cli_output_file_ok(const char *flag, const char *path, char *err, size_t err_size);

/* A copy of argv whose strings may be modified by the list parsers (so the
 * original argv stays intact for the results' "command"); free with cli_argv_free. */
char **cli_argv_copy(int argc, char **argv);
void cli_argv_free(int argc, char **copy);

/* Installs SIGINT/SIGTERM handlers that set the returned flag (a second signal
 * restores the default action and re-raises it). */
volatile sig_atomic_t *cli_stop_install(void);
/* Sleeps up to seconds, waking early when *stop becomes non-zero. */
void cli_sleep_interruptible(double seconds, volatile sig_atomic_t *stop);

#endif
