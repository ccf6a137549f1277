/*
 * profile.c — device power profiles for the estimated probe: JSON files in
 * devices/profiles/ giving idle and full-load watts, matched by CPU model.
 *
 * Invariants: selection never fails — the best match, else the profile named
 * "generic", else a built-in generic; a file that cannot be parsed is skipped
 * and named in the warning. The longest matching pattern wins, so a specific
 * profile beats a broad one.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "devices/dev_internal.h"

#define PROFILE_FILE_MAX 65536

static void builtin_generic(dev_profile *out)
{
    memset(out, 0, sizeof *out);
    dev_copy(out->name, sizeof out->name, "generic");
    dev_copy(out->file, sizeof out->file, "built-in");
    dev_copy(out->source, sizeof out->source,
             "rough per-CPU share: 1 W idle, 4 W busy per logical CPU");
    out->idle_w = 1.0;
    out->full_load_w = 4.0;
    out->per_cpu = 1;
}

static int contains_nocase(const char *hay, const char *needle)
{
    return needle[0] && strcasestr(hay, needle) != NULL;
}

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(PROFILE_FILE_MAX);
    size_t n = buf ? fread(buf, 1, PROFILE_FILE_MAX - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Parses one profile file; *match_len = longest pattern found in brand (0 none).
 * On failure *why says what is wrong with the file. */
static int profile_parse(const char *path, const char *brand, dev_profile *out, size_t *match_len,
                         const char **why)
{
    char *text = read_whole(path);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!root) {
        *why = "unreadable or not valid JSON";
        return -1;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *idle = cJSON_GetObjectItemCaseSensitive(root, "idle_w");
    const cJSON *full = cJSON_GetObjectItemCaseSensitive(root, "full_load_w");
    if (!cJSON_IsString(name) || !cJSON_IsNumber(idle) || !cJSON_IsNumber(full) ||
        idle->valuedouble < 0 || full->valuedouble < idle->valuedouble) {
        *why = "needs a string \"name\" and numbers 0 <= \"idle_w\" <= \"full_load_w\"";
        cJSON_Delete(root);
        return -1;
    }
    memset(out, 0, sizeof *out);
    dev_copy(out->name, sizeof out->name, name->valuestring);
    dev_copy(out->file, sizeof out->file, path);
    const cJSON *source = cJSON_GetObjectItemCaseSensitive(root, "source");
    dev_copy(out->source, sizeof out->source, cJSON_IsString(source) ? source->valuestring : "");
    out->idle_w = idle->valuedouble;
    out->full_load_w = full->valuedouble;
    out->per_cpu = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "per_cpu"));
    *match_len = 0;
    const cJSON *pattern;
    cJSON_ArrayForEach(pattern, cJSON_GetObjectItemCaseSensitive(root, "match"))
        if (cJSON_IsString(pattern) && contains_nocase(brand, pattern->valuestring) &&
            strlen(pattern->valuestring) > *match_len)
            *match_len = strlen(pattern->valuestring);
    cJSON_Delete(root);
    return 0;
}

/* First existing directory of: dir, $SLMBENCH_PROFILES_DIR, ./devices/profiles,
 * and devices/profiles next to the binary's build dir (our own executable, not
 * a device fact, so not under SLMBENCH_SYSFS_ROOT). */
static int find_dir(const char *dir, char *out, size_t size)
{
    const char *env = getenv("SLMBENCH_PROFILES_DIR");
    const char *fixed[] = {dir, env, "devices/profiles"};
    for (size_t i = 0; i < 3; i++)
        if (fixed[i] && fixed[i][0] && access(fixed[i], R_OK) == 0) {
            dev_copy(out, size, fixed[i]);
            return 0;
        }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    snprintf(out, size, "%.400s/../devices/profiles", exe);
    return access(out, R_OK) == 0 ? 0 : -1;
}

static int is_json_name(const char *name)
{
    size_t len = strlen(name);
    return len > 5 && !strcmp(name + len - 5, ".json");
}

void dev_profile_select(const char *dir, const char *brand, dev_profile *out)
{
    builtin_generic(out);
    char path_dir[DEV_PATH_SIZE], warning[200] = "";
    if (find_dir(dir, path_dir, sizeof path_dir))
        return;
    DIR *d = opendir(path_dir);
    if (!d)
        return;
    dev_profile best, generic;
    size_t best_len = 0;
    int have_generic = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_json_name(e->d_name))
            continue;
        char path[DEV_PATH_SIZE + 64];
        snprintf(path, sizeof path, "%.400s/%.100s", path_dir, e->d_name);
        dev_profile p;
        size_t len;
        const char *why = "";
        if (profile_parse(path, brand ? brand : "", &p, &len, &why)) {
            dev_fmt(warning, sizeof warning, "%s: not a valid profile (%s), skipped", path, why);
            continue;
        }
        if (!strcmp(p.name, "generic"))
            generic = p, have_generic = 1;
        if (len > best_len || (len == best_len && len > 0 && strcmp(p.name, best.name) < 0))
            best = p, best_len = len;
    }
    closedir(d);
    if (best_len > 0)
        *out = best;
    else if (have_generic)
        *out = generic;
    dev_copy(out->warning, sizeof out->warning, warning);
}

double dev_profile_power_w(const dev_profile *p, double util, int n_cpus)
{
    if (util < 0)
        util = 0;
    if (util > 1)
        util = 1;
    double w = p->idle_w + (p->full_load_w - p->idle_w) * util;
    return p->per_cpu ? w * (n_cpus > 0 ? n_cpus : 1) : w;
}
