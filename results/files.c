/*
 * files.c — durable file output and process facts for results: atomic writes
 * (temp + fsync + rename + directory fsync), whole-file reads, SHA-256 of model files through
 * OpenSSL's EVP interface, mkdir -p, UTC timestamps and peak RSS.
 *
 * Invariant: on any failure the destination file is untouched and the temp
 * file is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "results/results.h"

void res_utc_now(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

uint64_t res_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void res_add_unavailable(cJSON *object, const char *name, const char *reason)
{
    char text[320];
    snprintf(text, sizeof text, "unavailable: %s", reason && *reason ? reason : "not measured");
    char *clean = res_utf8_sanitize(text);
    cJSON_AddStringToObject(object, name, clean ? clean : "unavailable: not measured");
    free(clean);
}

int res_is_unavailable(const cJSON *item)
{
    return cJSON_IsString(item) && !strncmp(item->valuestring, "unavailable", 11);
}

long long res_rss_peak_bytes(char *err, size_t err_size)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) {
        snprintf(err, err_size, "/proc/self/status: %s", strerror(errno));
        return -1;
    }
    char line[256];
    long long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) {
            kib = atoll(line + 6);
            break;
        }
    fclose(f);
    if (kib < 0)
        snprintf(err, err_size, "/proc/self/status: no VmHWM line");
    return kib < 0 ? -1 : kib * 1024;
}

/* Doubles buf's capacity; on failure frees it and returns NULL. */
static char *grow(char *buf, size_t *cap)
{
    char *bigger = realloc(buf, *cap * 2);
    if (!bigger)
        free(buf);
    else
        *cap *= 2;
    return bigger;
}

char *res_read_file(const char *path, size_t max_bytes, size_t *len, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        snprintf(err, err_size, "%s: is a directory, not a file", path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && n <= max_bytes && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n == cap - 1)
            buf = grow(buf, &cap);
    }
    int failed = ferror(f);
    fclose(f);
    if (!buf || failed || n > max_bytes) {
        if (!buf)
            snprintf(err, err_size, "%s: out of memory reading it", path);
        else if (failed)
            snprintf(err, err_size, "%s: read error", path);
        else
            snprintf(err, err_size, "%s: larger than %zu bytes", path, max_bytes);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static void fsync_parent_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd); /* best effort: some filesystems refuse directory fsync */
        close(fd);
    }
}

int res_write_file_atomic(const char *path, const char *data, size_t len,
                          char *err, size_t err_size)
{
    /* mkstemp, not a pid-named temp: two threads of one process (or a user
     * running two commands at once) never share a temporary file. */
    size_t tmp_size = strlen(path) + sizeof ".tmpXXXXXX";
    char *tmp = malloc(tmp_size);
    if (!tmp) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    snprintf(tmp, tmp_size, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, err_size, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    if (write_all(fd, data, len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        snprintf(err, err_size, "%s: write failed: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, err_size, "%s: cannot replace: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    fsync_parent_dir(path);
    return 0;
}

int res_write_json_atomic(const char *path, const cJSON *json, char *err, size_t err_size)
{
    char *text = json ? cJSON_Print(json) : NULL;
    if (!text) {
        snprintf(err, err_size, "%s: out of memory serialising JSON", path);
        return -1;
    }
    int status = res_write_file_atomic(path, text, strlen(text), err, err_size);
    cJSON_free(text);
    return status;
}

int res_write_memstream_atomic(FILE *stream, char **text, size_t *length, const char *path,
                               char *err, size_t err_size)
{
    int closed = fclose(stream);
    int status = -1;
    if (closed != 0 || !*text)
        snprintf(err, err_size, "%s: out of memory formatting the output", path);
    else
        status = res_write_file_atomic(path, *text, *length, err, err_size);
    free(*text);
    *text = NULL;
    return status;
}

int res_sha256_file(const char *path, char hex[65], char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int status = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? 0 : -1;
    static const size_t chunk = 1 << 20;
    unsigned char *buf = malloc(chunk);
    size_t n;
    while (status == 0 && buf && (n = fread(buf, 1, chunk, f)) > 0)
        if (EVP_DigestUpdate(md, buf, n) != 1)
            status = -1;
    if (!buf || ferror(f))
        status = -1;
    unsigned char digest[32];
    unsigned int digest_len = 0;
    if (status == 0 && EVP_DigestFinal_ex(md, digest, &digest_len) != 1)
        status = -1;
    for (unsigned i = 0; status == 0 && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (status != 0)
        snprintf(err, err_size, "%s: cannot compute SHA-256 (read or digest failure)", path);
    free(buf);
    EVP_MD_CTX_free(md);
    fclose(f);
    return status;
}

int res_make_dir(const char *path, char *err, size_t err_size)
{
    char buf[4096];
    if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf) {
        snprintf(err, err_size, "%s: path too long", path);
        return -1;
    }
    for (char *p = buf + 1; ; p++) {
        int end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                snprintf(err, err_size, "%s: cannot create directory: %s", buf, strerror(errno));
                return -1;
            }
            if (end)
                break;
            *p = '/';
        }
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: exists and is not a directory", path);
        return -1;
    }
    if (access(path, W_OK | X_OK) != 0) {
        snprintf(err, err_size, "%s: directory not writable: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
