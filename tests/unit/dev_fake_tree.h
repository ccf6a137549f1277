/*
 * dev_fake_tree.h — builds fake sysfs/procfs trees for the device-layer tests
 * in a mkdtemp directory and points SLMBENCH_SYSFS_ROOT at it.
 *
 * Invariants: every tree lives under /tmp/slm_dev_XXXXXX and is removed by
 * fake_tree_remove; helpers abort the test (cmocka fail) on any I/O error, so
 * a fixture that was not written can never pass silently.
 */
#ifndef DEV_FAKE_TREE_H
#define DEV_FAKE_TREE_H

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fake_tree {
    char root[256];
} fake_tree;

static inline void fake_mkdirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            fail_msg("mkdir %s: %s", buf, strerror(errno));
        *p = '/';
    }
}

/* Writes root/rel (creating directories) with text. */
static inline void fake_write(const fake_tree *t, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", t->root, rel[0] == '/' ? rel + 1 : rel);
    fake_mkdirs(path);
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static inline void fake_writef(const fake_tree *t, const char *rel, const char *fmt, double v)
{
    char text[64];
    snprintf(text, sizeof text, fmt, v);
    fake_write(t, rel, text);
}

/* Writes an executable shell script root/rel; returns its full path in out. */
static inline void fake_script(const fake_tree *t, const char *rel, const char *body, char *out,
                               size_t size)
{
    fake_write(t, rel, body);
    snprintf(out, size, "%s/%s", t->root, rel);
    if (chmod(out, 0755) != 0)
        fail_msg("chmod %s: %s", out, strerror(errno));
}

static inline void fake_tree_create(fake_tree *t)
{
    snprintf(t->root, sizeof t->root, "/tmp/slm_dev_XXXXXX");
    if (!mkdtemp(t->root))
        fail_msg("mkdtemp: %s", strerror(errno));
    setenv("SLMBENCH_SYSFS_ROOT", t->root, 1);
    /* An empty but valid /proc/stat so utilisation reads do not fail. */
    fake_write(t, "/proc/stat", "cpu  0 0 0 100 0 0 0 0 0 0\ncpu0 0 0 0 100 0 0 0 0 0 0\n");
}

static inline int fake_remove_entry(const char *path, const struct stat *sb, int flag,
                                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void fake_tree_remove(fake_tree *t)
{
    nftw(t->root, fake_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    unsetenv("SLMBENCH_SYSFS_ROOT");
}

#endif
