/*
 * commands.h — the subcommands of the slmbench binary.
 *
 * Each command lives in harness/cmd_<name>.c, parses its own flags and returns
 * the process exit status: 0 success, 1 a negative verdict where the command
 * has one (e.g. compare found a regression), 2 bad input or usage, 3 a runtime
 * failure. Errors go to stderr as one line "slmbench <cmd>: <file>: <problem>".
 * Only harness/main.c turns the status into the exit code.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

enum { CMD_OK = 0, CMD_VERDICT = 1, CMD_USAGE = 2, CMD_FAILURE = 3 };

int cmd_model(int argc, char **argv);      /* model info | model synth */
int cmd_logits(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_detokenize(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_soak(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_carbon(int argc, char **argv);
int cmd_route(int argc, char **argv);

/* Build facts for results and --version (harness/build_info.c). */
const char *build_git_commit(void);
const char *build_compiler(void);
const char *build_cflags(void);
const char *build_version(void);

#endif
