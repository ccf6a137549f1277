/*
 * dev_util.c — root-prefixed file reading, error formatting, hashing, clocks
 * and the small text parsers of the device layer.
 *
 * Invariants: the root prefix is looked up on every call (no cached global);
 * readers never abort and report errno through errno_out; parsers accept
 * arbitrary text and never read past the terminating NUL.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/dev_internal.h"
#include "devices/device.h"

uint64_t dev_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t dev_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const char *dev_sysfs_root(void)
{
    const char *root = getenv("SLMBENCH_SYSFS_ROOT");
    return (root && *root) ? root : "/";
}

int dev_path(char *out, size_t size, const char *path)
{
    const char *root = dev_sysfs_root();
    size_t len = strlen(root);
    while (len > 0 && root[len - 1] == '/')
        len--;
    while (*path == '/')
        path++;
    int n = snprintf(out, size, "%.*s/%s", (int)len, root, path);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int dev_exists(const char *path)
{
    char full[DEV_PATH_SIZE];
    if (dev_path(full, sizeof full, path))
        return 0;
    return access(full, F_OK) == 0;
}

int dev_read_text(const char *path, char *buf, size_t size, int *errno_out)
{
    char full[DEV_PATH_SIZE];
    if (errno_out)
        *errno_out = 0;
    if (size == 0 || dev_path(full, sizeof full, path)) {
        if (errno_out)
            *errno_out = ENAMETOOLONG;
        return -1;
    }
    FILE *f = fopen(full, "r");
    if (!f) {
        if (errno_out)
            *errno_out = errno;
        return -1;
    }
    size_t n = fread(buf, 1, size - 1, f);
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        if (errno_out)
            *errno_out = saved ? saved : EIO;
        return -1;
    }
    buf[n] = '\0';
    while (n > 0 && (isspace((unsigned char)buf[n - 1]) || buf[n - 1] == '\0'))
        buf[--n] = '\0';
    return 0;
}

int dev_read_u64(const char *path, uint64_t *out, int *errno_out)
{
    char buf[64];
    if (dev_read_text(path, buf, sizeof buf, errno_out))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end == buf || errno || buf[0] == '-') {
        if (errno_out)
            *errno_out = EINVAL;
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int dev_read_double(const char *path, double *out, int *errno_out)
{
    char buf[64];
    if (dev_read_text(path, buf, sizeof buf, errno_out))
        return -1;
    char *end;
    double v = strtod(buf, &end);
    if (end == buf) {
        if (errno_out)
            *errno_out = EINVAL;
        return -1;
    }
    *out = v;
    return 0;
}

void dev_set_err(char *err, size_t err_size, const char *fmt, ...)
{
    if (!err || err_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

void dev_fmt(char *out, size_t size, const char *fmt, ...)
{
    if (size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

void dev_copy(char *dst, size_t size, const char *src)
{
    if (size == 0)
        return;
    snprintf(dst, size, "%s", src ? src : "");
}

uint64_t dev_fnv1a(const char *text, uint64_t hash)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        hash ^= *p;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

int dev_parse_proc_stat(const char *text, uint64_t *busy, uint64_t *total)
{
    if (strncmp(text, "cpu ", 4) != 0)
        return -1;
    const char *p = text + 4;
    uint64_t fields[10] = {0};
    int n = 0;
    while (n < 10) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p)
            break;
        fields[n++] = (uint64_t)v;
        p = end;
    }
    if (n < 4)
        return -1;
    /* guest and guest_nice (8, 9) are already counted in user and nice. */
    uint64_t sum = 0;
    for (int i = 0; i < n && i < 8; i++)
        sum += fields[i];
    uint64_t idle = fields[3] + fields[4];   /* idle + iowait */
    *total = sum;
    *busy = sum - idle;
    return 0;
}

double dev_cpu_util(uint64_t busy0, uint64_t total0, uint64_t busy1, uint64_t total1)
{
    if (total1 <= total0 || busy1 < busy0)
        return 0.0;
    double u = (double)(busy1 - busy0) / (double)(total1 - total0);
    return u < 0 ? 0 : (u > 1 ? 1 : u);
}

uint64_t dev_counter_delta(uint64_t prev, uint64_t cur, uint64_t max_range)
{
    if (cur >= prev)
        return cur - prev;
    /* The counter wrapped: it counted up to max_range, restarted at 0. */
    if (max_range >= prev)
        return (max_range - prev) + cur;
    return cur;   /* no usable range: count only what we saw since 0 */
}

static int pmic_rail_index(dev_pmic_rail *rails, int *n, int max, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(rails[i].name, name))
            return i;
    if (*n >= max)
        return -1;
    memset(&rails[*n], 0, sizeof rails[*n]);
    dev_copy(rails[*n].name, sizeof rails[*n].name, name);
    return (*n)++;
}

/* One line "  NAME_A current(3)=0.0123A" -> rail NAME, kind 'A' or 'V'. */
static int pmic_parse_line(const char *line, char *name, size_t name_size, int *is_current,
                           double *value)
{
    while (isspace((unsigned char)*line))
        line++;
    const char *space = line;
    while (*space && !isspace((unsigned char)*space))
        space++;
    size_t len = (size_t)(space - line);
    if (len < 3 || len >= name_size || line[len - 2] != '_')
        return -1;
    const char *rest = space;
    while (isspace((unsigned char)*rest))
        rest++;
    if (!strncmp(rest, "current(", 8))
        *is_current = 1;
    else if (!strncmp(rest, "volt(", 5))
        *is_current = 0;
    else
        return -1;
    const char *eq = strchr(rest, '=');
    if (!eq)
        return -1;
    char *end;
    *value = strtod(eq + 1, &end);
    if (end == eq + 1)
        return -1;
    memcpy(name, line, len - 2);   /* drop the "_A" / "_V" suffix */
    name[len - 2] = '\0';
    return 0;
}

int dev_pmic_parse(const char *text, dev_pmic_rail *rails, int max_rails)
{
    int n = 0, parsed = 0;
    const char *line = text;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        char buf[256];
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        char name[48];
        int is_current;
        double value;
        if (!pmic_parse_line(buf, name, sizeof name, &is_current, &value)) {
            int i = pmic_rail_index(rails, &n, max_rails, name);
            if (i >= 0) {
                parsed++;
                if (is_current) {
                    rails[i].current_a = value;
                    rails[i].has_current = 1;
                } else {
                    rails[i].voltage_v = value;
                    rails[i].has_voltage = 1;
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if (parsed == 0)
        return -1;
    /* Complete rails (current and voltage) first, in their original order. */
    int complete = 0;
    for (int i = 0; i < n; i++) {
        if (rails[i].has_current && rails[i].has_voltage) {
            dev_pmic_rail tmp = rails[i];
            memmove(&rails[complete + 1], &rails[complete], (size_t)(i - complete) * sizeof tmp);
            rails[complete++] = tmp;
        }
    }
    return n;
}

int dev_meter_parse_line(const char *line, double *timestamp, double *watts)
{
    while (isspace((unsigned char)*line))
        line++;
    if (*line == '#' || *line == '\0')
        return -1;
    char *end;
    double t = strtod(line, &end);
    if (end == line)
        return -1;
    const char *p = end;
    while (isspace((unsigned char)*p) || *p == ',' || *p == ';')
        p++;
    double w = strtod(p, &end);
    if (end == p || w != w || t != t)
        return -1;
    *timestamp = t;
    *watts = w;
    return 0;
}
