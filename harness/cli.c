/*
 * cli.c — see cli.h. The one static here is the signal flag (see cli.h).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/cli.h"

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
    if (stop_flag) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    stop_flag = 1;
}

volatile sig_atomic_t *cli_stop_install(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    stop_flag = 0;
    return &stop_flag;
}

void cli_sleep_interruptible(double seconds, volatile sig_atomic_t *stop)
{
    while (seconds > 0 && !(stop && *stop)) {
        double step = seconds < 0.1 ? seconds : 0.1;
        struct timespec ts = {(time_t)step, (long)((step - floor(step)) * 1e9)};
        nanosleep(&ts, NULL);
        seconds -= step;
    }
}

int cli_int(const char *flag, const char *text, int min, int max, int *out, char *err, size_t err_size)
{
    char *end = NULL;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || !*text || *end || errno || v < min || v > max) {
        snprintf(err, err_size, "%s: '%s' is not an integer in %d..%d", flag, text ? text : "", min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_u64(const char *flag, const char *text, uint64_t max, uint64_t *out, char *err, size_t err_size)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = text ? strtoull(text, &end, 10) : 0;
    /* strtoull accepts "-1" (as ULLONG_MAX): a sign is refused explicitly. */
    if (!text || !*text || strchr(text, '-') || *end || errno || v > max) {
        snprintf(err, err_size, "%s: '%s' is not an unsigned integer in 0..%llu", flag, text ? text : "",
                 (unsigned long long)max);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_double(const char *flag, const char *text, double min, double max, double *out,
               char *err, size_t err_size)
{
    char *end = NULL;
    errno = 0;
    double v = text ? strtod(text, &end) : 0;
    if (!text || !*text || *end || errno || !(v >= min && v <= max)) {
        snprintf(err, err_size, "%s: '%s' is not a number in %g..%g", flag, text ? text : "", min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_int_list(const char *flag, const char *text, int min, int max, int *out, int *n_out,
                 char *err, size_t err_size)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", text) >= (int)sizeof buf) {
        snprintf(err, err_size, "%s: list too long", flag);
        return -1;
    }
    *n_out = 0;
    /* strsep, not strtok_r: "1,,2" has an empty value, an error rather than [1, 2]. */
    char *rest = buf[0] ? buf : NULL;
    for (char *tok = strsep(&rest, ","); tok; tok = strsep(&rest, ",")) {
        if (*n_out >= CLI_MAX_LIST) {
            snprintf(err, err_size, "%s: more than %d values", flag, CLI_MAX_LIST);
            return -1;
        }
        if (cli_int(flag, tok, min, max, &out[*n_out], err, err_size) != 0)
            return -1;
        (*n_out)++;
    }
    if (*n_out == 0) {
        snprintf(err, err_size, "%s: empty list", flag);
        return -1;
    }
    return 0;
}

int cli_string_list(const char *flag, char *text, const char **out, int *n_out,
                    char *err, size_t err_size)
{
    char *save = NULL;
    int added = 0;
    for (char *tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n_out >= CLI_MAX_LIST) {
            snprintf(err, err_size, "%s: more than %d values", flag, CLI_MAX_LIST);
            return -1;
        }
        out[(*n_out)++] = tok;
        added++;
    }
    if (!added) {
        snprintf(err, err_size, "%s: empty list", flag);
        return -1;
    }
    return 0;
}

int cli_format_parse(const char *text, cli_format *out, char *err, size_t err_size)
{
    if (text && !strcmp(text, "md"))
        *out = CLI_FORMAT_MD;
    else if (text && !strcmp(text, "csv"))
        *out = CLI_FORMAT_CSV;
    else if (text && !strcmp(text, "json"))
        *out = CLI_FORMAT_JSON;
    else {
        snprintf(err, err_size, "--output-format: '%s' is not md, csv or json", text ? text : "");
        return -1;
    }
    return 0;
}

const char *cli_default_out_dir(const char *prefix, char *out, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(out, size, "runs/%s%s", prefix, stamp);
    return out;
}

int cli_print_json(const cJSON *json)
{
    char *text = json ? cJSON_Print(json) : NULL;
    int status = text && printf("%s\n", text) >= 0 && fflush(stdout) == 0 ? 0 : -1;
    cJSON_free(text);
    return status;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

const char *cli_value(int argc, char **argv, int *i, char *err, size_t err_size)
{
    if (*i + 1 >= argc) {
        snprintf(err, err_size, "%s: needs a value", argv[*i]);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

int cli_input_file_ok(const char *path, const char *what, char *err, size_t err_size)
{
    struct stat st;
    if (access(path, R_OK) != 0 || stat(path, &st) != 0)
        snprintf(err, err_size, "%s: %s file not found or not readable", path, what);
    else if (S_ISDIR(st.st_mode))
        snprintf(err, err_size, "%s: is a directory, not a %s file", path, what);
    else
        return 0;
    return -1;
}

int cli_output_file_ok(const char *flag, const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (!path[0]) {
        snprintf(err, err_size, "%s: empty file name", flag);
        return -1;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: is a directory, not a file (%s)", path, flag);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    const char *why = NULL;
    if (stat(dir, &st) != 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    else if (access(dir, W_OK | X_OK) != 0)
        why = strerror(errno);
    if (why) {
        snprintf(err, err_size, "%s: cannot be written (%s): %s: %s", path, flag, dir, why);
        return -1;
    }
    return 0;
}

char **cli_argv_copy(int argc, char **argv)
{
    char **copy = calloc((size_t)argc + 1, sizeof *copy);
    for (int i = 0; copy && i < argc; i++)
        if (!(copy[i] = strdup(argv[i]))) {
            cli_argv_free(i, copy);
            return NULL;
        }
    return copy;
}

void cli_argv_free(int argc, char **copy)
{
    for (int i = 0; copy && i < argc; i++)
        free(copy[i]);
    free(copy);
}
