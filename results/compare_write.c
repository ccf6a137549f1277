/*
 * compare_write.c — XML escaping and gnuplot chart rendering for the decision
 * commands (their files are written with res_write_file_atomic).
 *
 * Invariants: see compare_write.h. The temporary file is removed on every
 * failure path.
 */
#include "results/compare_write.h"
#include "results/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *res_xml_escape(const char *text)
{
    size_t size = 1;
    for (const char *p = text; *p; p++)
        size += strchr("&<>\"'", *p) ? 6 : 1;
    char *out = malloc(size), *q = out;
    if (!out)
        return NULL;
    for (const char *p = text; *p; p++) {
        const char *entity = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;"
                           : *p == '"' ? "&quot;" : *p == '\'' ? "&apos;" : NULL;
        if (entity) {
            strcpy(q, entity);
            q += strlen(entity);
        } else {
            *q++ = *p;
        }
    }
    *q = '\0';
    return out;
}

int res_gnuplot_run(const char *dir, const char *arg1, const char *arg2)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0) {
            dup2(null_fd, STDOUT_FILENO);
            dup2(null_fd, STDERR_FILENO);
        }
        if (dir && chdir(dir) != 0)
            _exit(127);
        execlp("gnuplot", "gnuplot", arg1, arg2, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int write_script(const char *out_base, const char *terminal, const char *extension,
                        const char *body, char *script_path, size_t script_size, char *err,
                        size_t err_size)
{
    snprintf(script_path, script_size, "%s.gp", out_base);
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) {
        snprintf(err, err_size, "%s: out of memory", script_path);
        return -1;
    }
    fprintf(out, "set terminal %s\nset output '%s.%s'\n%s", terminal, out_base, extension, body);
    return res_write_memstream_atomic(out, &text, &length, script_path, err, err_size);
}

int res_gnuplot_render(const char *out_base, const char *body, char *chart, size_t chart_size,
                       char *err, size_t err_size)
{
    static const char *const terminals[][2] = {{"pngcairo noenhanced size 960,540", "png"},
                                               {"svg noenhanced size 960,540", "svg"}};
    char script_path[1100];
    int exit_code = -1;
    for (size_t i = 0; i < 2; i++) {
        if (write_script(out_base, terminals[i][0], terminals[i][1], body, script_path,
                         sizeof script_path, err, err_size) != 0)
            return -1;
        exit_code = res_gnuplot_run(NULL, script_path, NULL);
        if (exit_code == 0) {
            snprintf(chart, chart_size, "%s.%s", out_base, terminals[i][1]);
            return 0;
        }
        if (exit_code == 127)
            break;
    }
    snprintf(chart, chart_size, "%s (script %s kept; render it with gnuplot)",
             exit_code == 127 ? "gnuplot not found: chart not drawn"
                              : "gnuplot failed: chart not drawn",
             script_path);
    return 1;
}
