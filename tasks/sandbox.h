/*
 * sandbox.h — runs untrusted programs (model-generated code) in a forked child.
 *
 * Each run gets: a fresh private directory under $TMPDIR (removed afterwards,
 * whatever happened), its own process group killed as a whole at the wall-clock
 * timeout, rlimits on CPU seconds, address space, file size, processes and open
 * files, a new user + network namespace when the kernel allows it (otherwise
 * network_isolated = 0 and network_note says why), and stdout/stderr captured
 * up to output_cap_bytes each. When started as root the child drops to an
 * unprivileged uid (nobody) so the process limit actually applies.
 *
 * Invariants: the parent never executes untrusted code; every child and pipe
 * is reaped/closed before task_sandbox_run returns; no global mutable state.
 */
#ifndef TASK_SANDBOX_H
#define TASK_SANDBOX_H

#include <stddef.h>

typedef struct task_sandbox_config {
    double wall_timeout_s;      /* whole-run wall clock; group SIGKILLed after it */
    int cpu_seconds;            /* RLIMIT_CPU */
    size_t address_space_bytes; /* RLIMIT_AS (0 = leave unlimited) */
    size_t file_size_bytes;     /* RLIMIT_FSIZE */
    int max_processes;          /* RLIMIT_NPROC */
    int max_open_files;         /* RLIMIT_NOFILE */
    size_t output_cap_bytes;    /* per stream; more is discarded, *_truncated set */
    const char *cc;             /* C compiler command (default "cc") */
    const char *python;         /* Python interpreter (default "python3") */
    int isolate_network;        /* try a new network namespace (default 1) */
} task_sandbox_config;

void task_sandbox_config_default(task_sandbox_config *config);

typedef enum task_sandbox_outcome {
    TASK_SANDBOX_EXITED = 0,    /* exited normally; see exit_code */
    TASK_SANDBOX_SIGNALED,      /* killed by a signal (not our timeout) */
    TASK_SANDBOX_TIMEOUT,       /* wall-clock or CPU limit */
    TASK_SANDBOX_EXEC_FAILED    /* the program could not be started (exit 127) */
} task_sandbox_outcome;

typedef struct task_sandbox_file {
    const char *name;           /* plain file name inside the private dir */
    const char *content;
} task_sandbox_file;

typedef struct task_sandbox_result {
    task_sandbox_outcome outcome;
    int exit_code;
    int signal;
    double wall_ms;
    char *stdout_text;          /* malloc'd, NUL-terminated (may be "") */
    char *stderr_text;
    int stdout_truncated;
    int stderr_truncated;
    int network_isolated;
    char network_note[160];     /* "" or "network isolation unavailable: <reason>" */
} task_sandbox_result;

/* Writes files into a private directory, then runs each command of argvs in
 * turn inside it (all in the sandbox; stops at the first one that does not
 * exit 0). result describes the last command run; failed_step tells which
 * (0-based) when it is not NULL. Returns non-zero only when the sandbox could
 * not be set up (mkdtemp, fork, pipe): a failing program is a result. */
int task_sandbox_run(const task_sandbox_config *config,
                     const task_sandbox_file *files, int n_files,
                     char *const *const *argvs, int n_steps,
                     task_sandbox_result *result, int *failed_step,
                     char *err, size_t err_size);
void task_sandbox_result_free(task_sandbox_result *result);

/* 1 if program (name or path) is found executable in PATH, else 0. */
int task_program_available(const char *program);

#endif /* TASK_SANDBOX_H */
