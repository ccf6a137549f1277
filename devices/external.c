/*
 * external.c — an external power meter: a command that keeps printing
 * "timestamp watts" lines, or a CSV file "timestamp,watts" (header and #
 * comments allowed), with its clock aligned to CLOCK_MONOTONIC.
 *
 * Clock alignment: "monotonic" takes timestamps as CLOCK_MONOTONIC seconds;
 * "realtime" as Unix seconds, shifted by (realtime - monotonic) measured at
 * open; "relative" puts the first timestamp at the moment the meter was
 * opened; "auto" picks realtime if the first timestamp is within 30 days of
 * now, monotonic if within a day of the monotonic clock, else relative.
 * external_offset_s is added last (a known meter lag).
 *
 * Invariants: reads never block (the command's pipe is non-blocking, the CSV
 * is re-read from the last complete line); a command still running at close
 * is sent SIGTERM and reaped; partial lines wait for their newline.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/dev_probe.h"

extern char **environ;

typedef enum meter_clock { CLOCK_AUTO, CLOCK_MONO, CLOCK_REAL, CLOCK_RELATIVE } meter_clock;

struct dev_meter {
    pid_t pid;
    int fd;                 /* command's stdout, -1 for CSV */
    char csv[DEV_PATH_SIZE];
    long csv_offset;
    char buf[4096];
    size_t len;
    int eof;
    meter_clock clock;
    int decided;
    double first_ts;
    uint64_t start_ns;
    int64_t realtime_minus_mono_ns;
    double offset_s;
};

static int parse_clock(const char *name, meter_clock *out)
{
    if (!name || !strcmp(name, "auto"))
        *out = CLOCK_AUTO;
    else if (!strcmp(name, "monotonic"))
        *out = CLOCK_MONO;
    else if (!strcmp(name, "realtime"))
        *out = CLOCK_REAL;
    else if (!strcmp(name, "relative"))
        *out = CLOCK_RELATIVE;
    else
        return -1;
    return 0;
}

static int spawn_command(dev_meter *m, const char *command, char *err, size_t err_size)
{
    int fds[2];
    if (pipe(fds)) {
        dev_set_err(err, err_size, "pipe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    char *argv[] = {"sh", "-c", (char *)command, NULL};
    int rc = posix_spawn(&m->pid, "/bin/sh", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        dev_set_err(err, err_size, "cannot run external meter '%s': %s", command, strerror(rc));
        return -1;
    }
    m->fd = fds[0];
    fcntl(m->fd, F_SETFL, fcntl(m->fd, F_GETFL) | O_NONBLOCK);
    return 0;
}

int dev_meter_open(dev_probe *p, const dev_sampler_config *cfg, uint64_t start_ns, char *err,
                   size_t err_size)
{
    dev_meter *m = calloc(1, sizeof *m);
    if (!m) {
        dev_set_err(err, err_size, "out of memory");
        return -1;
    }
    m->fd = -1;
    m->start_ns = start_ns;
    m->offset_s = cfg->external_offset_s;
    m->realtime_minus_mono_ns = (int64_t)(dev_realtime_ns() - dev_now_ns());
    if (parse_clock(cfg->external_clock, &m->clock)) {
        dev_set_err(err, err_size, "external clock '%s': expected auto, monotonic, realtime "
                    "or relative", cfg->external_clock);
        free(m);
        return -1;
    }
    if (p->command[0]) {
        if (spawn_command(m, p->command, err, err_size)) {
            free(m);
            return -1;
        }
    } else {
        dev_copy(m->csv, sizeof m->csv, p->detail);
        if (access(m->csv, R_OK)) {
            dev_set_err(err, err_size, "%s: %s", m->csv, strerror(errno));
            free(m);
            return -1;
        }
    }
    p->meter = m;
    return 0;
}

static void decide_clock(dev_meter *m, double ts)
{
    if (m->clock == CLOCK_AUTO) {
        double real_s = (double)dev_realtime_ns() / 1e9, mono_s = (double)dev_now_ns() / 1e9;
        if (fabs(ts - real_s) < 30 * 86400.0)
            m->clock = CLOCK_REAL;
        else if (fabs(ts - mono_s) < 86400.0)
            m->clock = CLOCK_MONO;
        else
            m->clock = CLOCK_RELATIVE;
    }
    m->first_ts = ts;
    m->decided = 1;
}

static int64_t aligned_ns(const dev_meter *m, double ts)
{
    double ns;
    if (m->clock == CLOCK_MONO)
        ns = ts * 1e9;
    else if (m->clock == CLOCK_REAL)
        ns = ts * 1e9 - (double)m->realtime_minus_mono_ns;
    else
        ns = (double)m->start_ns + (ts - m->first_ts) * 1e9;
    return (int64_t)llround(ns + m->offset_s * 1e9);
}

static void meter_line(dev_probe *p, const char *line)
{
    dev_meter *m = p->meter;
    double ts, watts;
    if (dev_meter_parse_line(line, &ts, &watts))
        return;   /* header, comment or noise */
    if (!m->decided)
        decide_clock(m, ts);
    int64_t t = aligned_ns(m, ts);
    if (t <= 0)
        return;
    dev_series_append(&p->series, (uint64_t)t, watts, &watts);
}

/* Consumes complete lines from m->buf. */
static void meter_consume(dev_probe *p)
{
    dev_meter *m = p->meter;
    size_t start = 0;
    for (size_t i = 0; i < m->len; i++) {
        if (m->buf[i] != '\n')
            continue;
        m->buf[i] = '\0';
        meter_line(p, m->buf + start);
        start = i + 1;
    }
    if (start == 0 && m->len == sizeof m->buf)
        start = m->len;   /* a line longer than the buffer is garbage: drop it */
    memmove(m->buf, m->buf + start, m->len - start);
    m->len -= start;
}

static int poll_command(dev_probe *p, char *err, size_t err_size)
{
    dev_meter *m = p->meter;
    while (!m->eof) {
        ssize_t n = read(m->fd, m->buf + m->len, sizeof m->buf - m->len);
        if (n > 0) {
            m->len += (size_t)n;
            meter_consume(p);
        } else if (n == 0) {
            m->eof = 1;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else if (errno != EINTR) {
            dev_set_err(err, err_size, "external meter: read: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int poll_csv(dev_probe *p, char *err, size_t err_size)
{
    dev_meter *m = p->meter;
    FILE *f = fopen(m->csv, "r");
    if (!f) {
        dev_set_err(err, err_size, "%s: %s", m->csv, strerror(errno));
        return -1;
    }
    fseek(f, m->csv_offset, SEEK_SET);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n')
            break;   /* incomplete last line: read it next time */
        m->csv_offset += (long)len;
        line[len - 1] = '\0';
        meter_line(p, line);
    }
    fclose(f);
    return 0;
}

int dev_meter_poll(dev_probe *p, char *err, size_t err_size)
{
    if (!p->meter)
        return 0;
    p->series.n_channels = 1;
    return p->meter->fd >= 0 ? poll_command(p, err, err_size) : poll_csv(p, err, err_size);
}

int dev_meter_finished(const dev_probe *p)
{
    return !p->meter || p->meter->fd < 0 || p->meter->eof;
}

void dev_meter_close(dev_probe *p)
{
    dev_meter *m = p->meter;
    if (!m)
        return;
    if (m->fd >= 0) {
        if (!m->eof)
            kill(m->pid, SIGTERM);
        close(m->fd);
        waitpid(m->pid, NULL, 0);
    }
    free(m);
    p->meter = NULL;
}

void dev_probe_discover_external(dev_probe_list *list, const dev_sampler_config *cfg,
                                 uint64_t start_ns)
{
    const char *sources[2] = {cfg->external_cmd, cfg->external_csv};
    for (int i = 0; i < 2; i++) {
        if (!sources[i] || !sources[i][0])
            continue;
        dev_probe *p = dev_probe_list_add(list, DEV_PROBE_EXTERNAL,
                                          i == 0 ? "external:command" : "external:csv");
        if (!p)
            return;
        p->measured = 1;
        p->quantity = DEV_QTY_POWER;
        p->n_channels = 1;
        p->series.n_channels = 1;
        dev_copy(p->ch[0].name, sizeof p->ch[0].name, "meter");
        p->ch[0].in_total = 1;
        if (i == 0)
            dev_copy(p->command, sizeof p->command, sources[i]);
        dev_copy(p->detail, sizeof p->detail, sources[i]);
        if (dev_meter_open(p, cfg, start_ns, p->reason, sizeof p->reason) == 0)
            p->usable = p->device_wide = 1;
    }
}
