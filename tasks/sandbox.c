/*
 * sandbox.c — runs untrusted programs in a forked, limited, isolated child.
 *
 * Process layout for one step:
 *   caller ── fork ──> monitor: own process group, new net + pid namespaces
 *                      (root: directly, then drops to nobody; others: in a
 *                      new user namespace), rlimits, then
 *              fork ──> program (pid 1 of the new pid namespace when that
 *                      worked; PR_SET_PDEATHSIG kills it with the monitor, and
 *                      the kernel kills everything in a pid namespace when its
 *                      pid 1 dies, so nothing escapes by changing process group).
 * The monitor reports on a status pipe ("n0"/"n<errno>" network, "x<errno>"
 * exec failure, "s<sig>" signal) and exits with the program's exit status.
 * The caller polls stdout/stderr/status until EOF or the wall-clock deadline,
 * then SIGKILLs the whole process group.
 *
 * Invariants: between fork and exec the children only call async-signal-safe
 * functions (the environment and argv are built before fork), because callers
 * may run several sandboxes from different threads. Every descriptor of the
 * caller other than the three pipes is closed in the child at once, so one
 * thread's pipes never leak into another thread's sandbox. The private
 * directory is removed on every path out of task_sandbox_run.
 */
#include "tasks/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { SANDBOX_UID = 65534, SANDBOX_GID = 65534, MAX_ENV = 16 };

extern char **environ;

void task_sandbox_config_default(task_sandbox_config *config)
{
    memset(config, 0, sizeof(*config));
    config->wall_timeout_s = 10.0;
    config->cpu_seconds = 10;
    config->address_space_bytes = (size_t)1 << 30;
    config->file_size_bytes = (size_t)16 << 20;
    config->max_processes = 64;
    config->max_open_files = 64;
    config->output_cap_bytes = 64 * 1024;
    config->cc = "cc";
    config->python = "python3";
    config->isolate_network = 1;
}

void task_sandbox_result_free(task_sandbox_result *result)
{
    if (!result)
        return;
    free(result->stdout_text);
    free(result->stderr_text);
    result->stdout_text = result->stderr_text = NULL;
}

int task_program_available(const char *program)
{
    if (!program || !*program)
        return 0;
    if (strchr(program, '/'))
        return access(program, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char candidate[4096];
    while (*path) {
        size_t len = strcspn(path, ":");
        if (len > 0 && len + strlen(program) + 2 < sizeof(candidate)) {
            memcpy(candidate, path, len);
            candidate[len] = '/';
            strcpy(candidate + len + 1, program);
            if (access(candidate, X_OK) == 0)
                return 1;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* ---- private directory ------------------------------------------------------- */

static int unlock_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D || flag == FTW_DNR || (st && S_ISDIR(st->st_mode)))
        chmod(path, 0700);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static int remove_tree(const char *dir)
{
    /* First pass makes every directory writable (the program may chmod them). */
    nftw(dir, unlock_entry, 16, FTW_PHYS);
    nftw(dir, remove_entry, 16, FTW_PHYS | FTW_DEPTH);
    struct stat st;
    return stat(dir, &st) == 0 ? -1 : 0;
}

static int write_file(const char *dir, const task_sandbox_file *file, char *err, size_t err_size)
{
    char path[4096];
    if (strchr(file->name, '/') || snprintf(path, sizeof(path), "%s/%s", dir, file->name) >= (int)sizeof(path)) {
        snprintf(err, err_size, "sandbox: bad file name '%s'", file->name);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, err_size, "sandbox: %s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(file->content);
    int ok = fwrite(file->content, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        snprintf(err, err_size, "sandbox: %s: write failed", path);
        return -1;
    }
    chmod(path, 0644);
    return 0;
}

static int make_private_dir(char *dir, size_t dir_size, char *err, size_t err_size)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    snprintf(dir, dir_size, "%s/slm-sandbox-XXXXXX", base);
    if (!mkdtemp(dir)) {
        snprintf(err, err_size, "sandbox: mkdtemp in %s: %s", base, strerror(errno));
        return -1;
    }
    if (geteuid() == 0 && chown(dir, SANDBOX_UID, SANDBOX_GID) != 0) {
        snprintf(err, err_size, "sandbox: chown %s: %s", dir, strerror(errno));
        rmdir(dir);
        return -1;
    }
    return 0;
}

/* ---- child side (async-signal-safe only) --------------------------------------- */

typedef struct child_plan {
    const task_sandbox_config *config;
    const char *dir;
    char *const *argv;
    char **envp;
    int drop_root;
    int out_fd, err_fd, status_fd;
} child_plan;

static void put_status(int fd, char tag, long value)
{
    char buf[24];
    int n = 0;
    buf[n++] = tag;
    char digits[20];
    int nd = 0;
    unsigned long v = value < 0 ? 0 : (unsigned long)value;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && nd < 20);
    while (nd > 0)
        buf[n++] = digits[--nd];
    buf[n++] = '\n';
    ssize_t ignored = write(fd, buf, (size_t)n);
    (void)ignored;
}

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    setrlimit(resource, &rl);
}

static void apply_limits(const task_sandbox_config *c)
{
    set_limit(RLIMIT_CPU, (rlim_t)c->cpu_seconds, (rlim_t)c->cpu_seconds + 1);
    if (c->address_space_bytes)
        set_limit(RLIMIT_AS, c->address_space_bytes, c->address_space_bytes);
    set_limit(RLIMIT_FSIZE, c->file_size_bytes, c->file_size_bytes);
    set_limit(RLIMIT_NPROC, (rlim_t)c->max_processes, (rlim_t)c->max_processes);
    set_limit(RLIMIT_NOFILE, (rlim_t)c->max_open_files, (rlim_t)c->max_open_files);
    set_limit(RLIMIT_CORE, 0, 0);
}

static void arrange_fds(const child_plan *p)
{
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0 && devnull != 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    dup2(p->out_fd, 1);
    dup2(p->err_fd, 2);
    if (p->status_fd != 3)
        dup2(p->status_fd, 3);
    if (syscall(SYS_close_range, 4U, ~0U, 0U) != 0)
        for (int fd = 4; fd < 4096; fd++)
            close(fd);
    fcntl(3, F_SETFD, FD_CLOEXEC);
}

static void exec_program(const child_plan *p)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execvpe(p->argv[0], p->argv, p->envp);
    put_status(3, 'x', errno);
    _exit(127);
}

/* New network and pid namespaces; returns 0 or the errno of the failure.
 * Root creates them directly (no user namespace needed, so this works where
 * user namespaces are disabled) and then drops to nobody; everyone else needs
 * a user namespace to own them. A user namespace is also made for root after
 * dropping, when allowed, so the process limit counts only this sandbox. */
static int isolate(const child_plan *p)
{
    int flags = CLONE_NEWPID;
    if (p->config->isolate_network)
        flags |= CLONE_NEWNET;
    if (p->drop_root) {
        int rc = unshare(flags) == 0 ? 0 : errno;
        if (setgroups(0, NULL) != 0 || setgid(SANDBOX_GID) != 0 || setuid(SANDBOX_UID) != 0)
            _exit(126);
        unshare(CLONE_NEWUSER);
        return rc;
    }
    return unshare(CLONE_NEWUSER | flags) == 0 ? 0 : errno;
}

/* The caller may ignore SIGPIPE or block signals in its threads; the program
 * starts with default dispositions and an empty mask, as from a shell. */
static void reset_signals(void)
{
    static const int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGXFSZ, SIGXCPU};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void monitor_main(const child_plan *p)
{
    setpgid(0, 0);
    reset_signals();
    arrange_fds(p);
    if (chdir(p->dir) != 0)
        _exit(126);
    int net_errno = isolate(p);
    put_status(3, p->config->isolate_network ? 'n' : 'd', net_errno);
    apply_limits(p->config);
    pid_t pid = fork();
    if (pid < 0)
        _exit(126);
    if (pid == 0)
        exec_program(p);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        put_status(3, 's', WTERMSIG(status));
        _exit(125);
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 125);
}

/* ---- caller side --------------------------------------------------------------- */

typedef struct capture {
    char *data;
    size_t len, cap_limit;
    int truncated;
} capture;

static void capture_read(int fd, capture *c, int *open_flag)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            *open_flag = 0;
        return;
    }
    size_t room = c->cap_limit > c->len ? c->cap_limit - c->len : 0;
    size_t take = (size_t)n < room ? (size_t)n : room;
    if (take < (size_t)n)
        c->truncated = 1;
    if (take > 0) {
        char *grown = realloc(c->data, c->len + take + 1);
        if (!grown) {
            c->truncated = 1;
            return;
        }
        c->data = grown;
        memcpy(c->data + c->len, buf, take);
        c->len += take;
        c->data[c->len] = '\0';
    }
}

static char *capture_finish(capture *c)
{
    if (!c->data)
        return strdup("");
    return c->data;
}

/* Parses the monitor's status lines into result. */
static void parse_status(const char *text, task_sandbox_result *r, int *exec_errno, int *signal_no)
{
    for (const char *line = text; line && *line;) {
        long value = strtol(line + 1, NULL, 10);
        if (line[0] == 'n') {
            r->network_isolated = value == 0;
            if (value > 0)
                snprintf(r->network_note, sizeof(r->network_note),
                         "network isolation unavailable: unshare: %s", strerror((int)value));
        } else if (line[0] == 'd') {
            r->network_isolated = 0;
            snprintf(r->network_note, sizeof(r->network_note),
                     "network isolation unavailable: disabled by configuration");
        } else if (line[0] == 'x') {
            *exec_errno = (int)value;
        } else if (line[0] == 's') {
            *signal_no = (int)value;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
}

typedef struct step_io {
    int fds[3];
    capture caps[3];
} step_io;

/* 1 once the monitor has exited; it stays a zombie (WNOWAIT) so its pid, the
 * process group id, cannot be reused before the group is killed. */
static int monitor_exited(pid_t pid)
{
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

/* Reads the three pipes until all are closed or the deadline passes; returns
 * 1 when the deadline passed (the group was killed). Once the program has
 * exited, whatever it left running in its group is killed so that a
 * background process holding the pipes open cannot stretch the run. */
static int pump_output(pid_t pid, step_io *io, double deadline_ms)
{
    int open_flags[3] = {1, 1, 1};
    int timed_out = 0, group_killed = 0;
    while (open_flags[0] || open_flags[1] || open_flags[2]) {
        double left = deadline_ms - now_ms();
        if (!group_killed && (left <= 0 || monitor_exited(pid))) {
            timed_out = left <= 0 && !monitor_exited(pid);
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            group_killed = 1;
        }
        struct pollfd pfd[3];
        int map[3], n = 0;
        for (int i = 0; i < 3; i++)
            if (open_flags[i]) {
                pfd[n].fd = io->fds[i];
                pfd[n].events = POLLIN;
                map[n++] = i;
            }
        int wait_ms = group_killed ? 100 : (int)(left < 50 ? left + 1 : 50);
        int ready = poll(pfd, (nfds_t)n, wait_ms);
        if (ready < 0 && errno != EINTR)
            break;
        for (int k = 0; k < n && ready > 0; k++)
            if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
                capture_read(pfd[k].fd, &io->caps[map[k]], &open_flags[map[k]]);
    }
    return timed_out;
}

static void fill_outcome(task_sandbox_result *r, int status, int timed_out,
                         int exec_errno, int signal_no)
{
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = signal_no ? signal_no : (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (timed_out || r->signal == SIGXCPU)
        r->outcome = TASK_SANDBOX_TIMEOUT;
    else if (exec_errno)
        r->outcome = TASK_SANDBOX_EXEC_FAILED;
    else if (r->signal)
        r->outcome = TASK_SANDBOX_SIGNALED;
    else
        r->outcome = TASK_SANDBOX_EXITED;
}

static int open_pipes(step_io *io, int write_ends[3], char *err, size_t err_size)
{
    for (int i = 0; i < 3; i++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0) {
            snprintf(err, err_size, "sandbox: pipe: %s", strerror(errno));
            for (int k = 0; k < i; k++) {
                close(io->fds[k]);
                close(write_ends[k]);
            }
            return -1;
        }
        io->fds[i] = p[0];
        write_ends[i] = p[1];
    }
    return 0;
}

static int run_step(const task_sandbox_config *config, const char *dir, char *const *argv,
                    char **envp, task_sandbox_result *r, char *err, size_t err_size)
{
    step_io io;
    memset(&io, 0, sizeof(io));
    int w[3];
    if (open_pipes(&io, w, err, err_size) != 0)
        return -1;
    io.caps[0].cap_limit = io.caps[1].cap_limit = config->output_cap_bytes;
    io.caps[2].cap_limit = 4096;
    child_plan plan = {config, dir, argv, envp, geteuid() == 0, w[0], w[1], w[2]};
    double start = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_size, "sandbox: fork: %s", strerror(errno));
        for (int i = 0; i < 3; i++) {
            close(io.fds[i]);
            close(w[i]);
        }
        return -1;
    }
    if (pid == 0)
        monitor_main(&plan);
    setpgid(pid, pid); /* also done by the child: whichever runs first wins */
    for (int i = 0; i < 3; i++)
        close(w[i]);
    int timed_out = pump_output(pid, &io, start + config->wall_timeout_s * 1000.0);
    kill(-pid, SIGKILL); /* leftovers of a program that exited early */
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r->wall_ms = now_ms() - start;
    for (int i = 0; i < 3; i++)
        close(io.fds[i]);
    int exec_errno = 0, signal_no = 0;
    char *status_text = capture_finish(&io.caps[2]);
    parse_status(status_text, r, &exec_errno, &signal_no);
    free(status_text);
    fill_outcome(r, status, timed_out, exec_errno, signal_no);
    task_sandbox_result_free(r);
    r->stdout_text = capture_finish(&io.caps[0]);
    r->stderr_text = capture_finish(&io.caps[1]);
    r->stdout_truncated = io.caps[0].truncated;
    r->stderr_truncated = io.caps[1].truncated;
    return 0;
}

/* The child's environment: PATH kept (to find cc/python3), the rest fixed. */
static void build_env(char **envp, char storage[][4200], const char *dir)
{
    const char *path = getenv("PATH");
    int n = 0;
    snprintf(storage[n], 4200, "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
    envp[n] = storage[n], n++;
    snprintf(storage[n], 4200, "HOME=%s", dir);
    envp[n] = storage[n], n++;
    snprintf(storage[n], 4200, "TMPDIR=%s", dir);
    envp[n] = storage[n], n++;
    snprintf(storage[n], 4200, "LC_ALL=C");
    envp[n] = storage[n], n++;
    snprintf(storage[n], 4200, "PYTHONDONTWRITEBYTECODE=1");
    envp[n] = storage[n], n++;
    snprintf(storage[n], 4200, "PYTHONHASHSEED=0");
    envp[n] = storage[n], n++;
    envp[n] = NULL;
}

int task_sandbox_run(const task_sandbox_config *config,
                     const task_sandbox_file *files, int n_files,
                     char *const *const *argvs, int n_steps,
                     task_sandbox_result *result, int *failed_step,
                     char *err, size_t err_size)
{
    memset(result, 0, sizeof(*result));
    if (failed_step)
        *failed_step = -1;
    char dir[4096];
    if (make_private_dir(dir, sizeof(dir), err, err_size) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < n_files && rc == 0; i++)
        rc = write_file(dir, &files[i], err, err_size);
    char env_storage[8][4200];
    char *envp[MAX_ENV];
    build_env(envp, env_storage, dir);
    for (int step = 0; step < n_steps && rc == 0; step++) {
        rc = run_step(config, dir, argvs[step], envp, result, err, err_size);
        if (rc == 0 && (result->outcome != TASK_SANDBOX_EXITED || result->exit_code != 0)) {
            if (failed_step)
                *failed_step = step;
            break;
        }
    }
    if (remove_tree(dir) != 0 && rc == 0) {
        snprintf(err, err_size, "sandbox: could not remove %s", dir);
        rc = -1;
    }
    if (rc != 0)
        task_sandbox_result_free(result);
    return rc;
}
