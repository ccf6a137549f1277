/*
 * compare_write.c — atomic file replacement and XML escaping.
 *
 * Invariants: see compare_write.h. The temporary file is removed on every
 * failure path.
 */
#include "results/compare_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *text, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, text, length);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        text += written;
        length -= (size_t)written;
    }
    return 0;
}

int res_decision_write_file(const char *path, const char *text, size_t length, char *err,
                            size_t err_size)
{
    size_t temp_size = strlen(path) + 16;
    char *temp = malloc(temp_size);
    if (!temp) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    snprintf(temp, temp_size, "%s.tmpXXXXXX", path);
    int fd = mkstemp(temp);
    if (fd < 0) {
        snprintf(err, err_size, "%s: cannot create a temporary file beside it: %s", path,
                 strerror(errno));
        free(temp);
        return -1;
    }
    int status = write_all(fd, text, length) == 0 && fchmod(fd, 0644) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (close(fd) != 0)
        status = -1;
    if (status == 0 && rename(temp, path) != 0)
        status = -1;
    if (status != 0) {
        snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        unlink(temp);
    }
    free(temp);
    return status;
}

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
