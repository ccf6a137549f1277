/*
 * probe_sysfs.c — power probes read from sysfs: RAPL through powercap, hwmon
 * (power, energy, INA-style voltage+current pairs) and a battery through
 * power_supply.
 *
 * Invariants: discovery never fails the caller; a source that exists but
 * cannot be read becomes an unusable probe with the reason (for RAPL's
 * root-only energy_uj, how to grant access). Zones that contain one another
 * (RAPL package vs its core/dram subzones, a Jetson VDD_IN vs its sub-rails)
 * are kept as channels but only the outermost count in the total.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "devices/dev_probe.h"

#define DEV_DIR_MAX 256

static int compare_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Sorted entry names of a directory under the root that start with prefix. */
int dev_list_dir(const char *path, const char *prefix, char (*names)[64], int max)
{
    char full[DEV_PATH_SIZE];
    if (dev_path(full, sizeof full, path))
        return 0;
    DIR *d = opendir(full);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    size_t plen = strlen(prefix);
    while (n < max && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, plen) || strlen(e->d_name) >= 64)
            continue;
        dev_copy(names[n++], 64, e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], compare_names);
    return n;
}

/* ---- RAPL ------------------------------------------------------------------------ */

static void rapl_add_zone(dev_probe *p, const char *zone, int *has_psys, int *denied)
{
    char path[DEV_PATH_SIZE], name[48] = "", parent_name[48] = "";
    dev_fmt(path, sizeof path, "/sys/class/powercap/%s/name", zone);
    dev_read_text(path, name, sizeof name, NULL);
    const char *last_colon = strrchr(zone, ':');
    int top_level = last_colon == strchr(zone, ':');
    if (!top_level) {
        dev_fmt(path, sizeof path, "/sys/class/powercap/%.*s/name",
                 (int)(last_colon - zone), zone);
        dev_read_text(path, parent_name, sizeof parent_name, NULL);
    }
    if (p->n_channels >= DEV_CHANNELS_MAX)
        return;
    dev_channel *c = &p->ch[p->n_channels];
    memset(c, 0, sizeof *c);
    dev_fmt(c->name, sizeof c->name, "%s%s%s", parent_name, parent_name[0] ? "/" : "",
             name[0] ? name : zone);
    dev_fmt(c->path, sizeof c->path, "/sys/class/powercap/%s/energy_uj", zone);
    dev_fmt(path, sizeof path, "/sys/class/powercap/%s/max_energy_range_uj", zone);
    dev_read_u64(path, &c->max_range, NULL);
    c->scale = 1e-6;
    c->in_total = top_level;
    if (top_level && !strcmp(name, "psys"))
        *has_psys = 1;
    uint64_t probe_value;
    int e = 0;
    if (dev_read_u64(c->path, &probe_value, &e)) {
        if (e == EACCES || e == EPERM)
            (*denied)++;
        return;
    }
    p->n_channels++;
}

void dev_probe_discover_rapl(dev_probe_list *list)
{
    char zones[DEV_DIR_MAX][64];
    int n = dev_list_dir("/sys/class/powercap", "intel-rapl:", zones, DEV_DIR_MAX);
    dev_probe *p = dev_probe_list_add(list, DEV_PROBE_RAPL, "rapl");
    if (!p)
        return;
    p->measured = 1;
    p->quantity = DEV_QTY_ENERGY;
    dev_copy(p->detail, sizeof p->detail, "/sys/class/powercap/intel-rapl:*/energy_uj");
    if (n == 0) {
        dev_copy(p->reason, sizeof p->reason, "no /sys/class/powercap/intel-rapl:* zones");
        return;
    }
    int has_psys = 0, denied = 0;
    for (int i = 0; i < n; i++)
        rapl_add_zone(p, zones[i], &has_psys, &denied);
    /* psys covers the whole SoC: count it alone when present. */
    for (int i = 0; has_psys && i < p->n_channels; i++)
        p->ch[i].in_total = !strcmp(p->ch[i].name, "psys");
    if (p->n_channels > 0) {
        p->usable = 1;
        p->device_wide = 1;
        return;
    }
    if (denied)
        dev_copy(p->reason, sizeof p->reason,
                 "permission denied reading energy_uj (root-only since Linux 5.10): grant read "
                 "access, e.g. sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj "
                 "(or a udev rule), or run as root");
    else
        dev_copy(p->reason, sizeof p->reason, "intel-rapl zones have no readable energy_uj");
}

/* ---- hwmon ------------------------------------------------------------------------ */

static void hwmon_label(const char *dir, const char *sensor, const char *alt, char *out,
                        size_t size)
{
    char path[DEV_PATH_SIZE];
    dev_fmt(path, sizeof path, "%s/%s_label", dir, sensor);
    if (dev_read_text(path, out, size, NULL) == 0 && out[0])
        return;
    if (alt) {
        dev_fmt(path, sizeof path, "%s/%s_label", dir, alt);
        if (dev_read_text(path, out, size, NULL) == 0 && out[0])
            return;
    }
    dev_copy(out, size, sensor);
}

static dev_channel *hwmon_channel(dev_probe *p, const char *dir, const char *sensor,
                                  const char *alt, const char *file, const char *file2,
                                  double scale)
{
    if (p->n_channels >= DEV_CHANNELS_MAX)
        return NULL;
    dev_channel *c = &p->ch[p->n_channels++];
    memset(c, 0, sizeof *c);
    hwmon_label(dir, sensor, alt, c->name, sizeof c->name);
    dev_fmt(c->path, sizeof c->path, "%s/%s", dir, file);
    if (file2)
        dev_fmt(c->path2, sizeof c->path2, "%s/%s", dir, file2);
    c->scale = scale;
    c->in_total = 1;
    return c;
}

/* Channels of one kind: "energy" (uJ), "power" (uW) files named KIND<k>_input. */
static int hwmon_add_simple(dev_probe *p, const char *dir, const char *kind, double scale)
{
    char files[DEV_DIR_MAX][64];
    int n = dev_list_dir(dir, kind, files, DEV_DIR_MAX);
    int added = 0;
    for (int i = 0; i < n; i++) {
        char sensor[64];
        size_t len = strlen(files[i]);
        if (len < 7 || strcmp(files[i] + len - 6, "_input"))
            continue;
        dev_fmt(sensor, sizeof sensor, "%.*s", (int)(len - 6), files[i]);
        added += hwmon_channel(p, dir, sensor, NULL, files[i], NULL, scale) != NULL;
    }
    return added;
}

/* INA-style: in<k>_input (mV) with curr<k>_input (mA). On an ina3221 only
 * channels 1..3 are rails (in4..6 are shunt voltages, curr4 a sum). */
static int hwmon_add_pairs(dev_probe *p, const char *dir, const char *chip)
{
    int added = 0, max_k = strcmp(chip, "ina3221") ? 16 : 3;
    for (int k = 0; k <= max_k; k++) {
        char v[32], i[32], vs[16], is[16];
        dev_fmt(vs, sizeof vs, "in%d", k);
        dev_fmt(is, sizeof is, "curr%d", k);
        dev_fmt(v, sizeof v, "%s_input", vs);
        dev_fmt(i, sizeof i, "%s_input", is);
        char pv[DEV_PATH_SIZE], pi[DEV_PATH_SIZE];
        dev_fmt(pv, sizeof pv, "%s/%s", dir, v);
        dev_fmt(pi, sizeof pi, "%s/%s", dir, i);
        if (dev_exists(pv) && dev_exists(pi))
            added += hwmon_channel(p, dir, vs, is, v, i, 1e-6) != NULL;
    }
    return added;
}

/* A channel that already contains the others: a module input rail (VDD_IN,
 * POM_5V_IN) or amd_energy's per-socket counter (Esocket0 contains Ecore*). */
static int is_input_rail(const char *label)
{
    size_t len = strlen(label);
    return !strcasecmp(label, "VDD_IN") || !strcasecmp(label, "VIN") ||
           !strcasecmp(label, "total") || (len > 3 && !strcasecmp(label + len - 3, "_IN")) ||
           !strncmp(label, "Esocket", 7);
}

/* When a rail feeds the whole module (VDD_IN, POM_5V_IN), count only it. */
static void hwmon_set_totals(dev_probe *p)
{
    int inputs = 0;
    for (int i = 0; i < p->n_channels; i++)
        inputs += is_input_rail(p->ch[i].name);
    for (int i = 0; inputs && i < p->n_channels; i++)
        p->ch[i].in_total = is_input_rail(p->ch[i].name);
    if (inputs)
        p->device_wide = 2;   /* preferred over other device-wide hwmon probes */
}

/* Chips that measure the board or the CPU package; a GPU's or a drive's
 * power sensor must not stand for the device's energy. */
static int chip_is_device_wide(const char *chip)
{
    static const char *const prefixes[] = {"ina", "power_meter", "acpi_power", "amd_energy",
                                           "zenpower", "ltc", "max3", "pac19"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncmp(chip, prefixes[i], strlen(prefixes[i])))
            return 1;
    return 0;
}

static void hwmon_name_probe(dev_probe_list *list, dev_probe *p, const char *chip,
                             const char *hw)
{
    dev_fmt(p->name, sizeof p->name, "hwmon:%.40s", chip);
    for (int i = 0; i < list->n - 1; i++)
        if (!strcmp(list->items[i].name, p->name)) {
            dev_fmt(p->name, sizeof p->name, "hwmon:%.30s#%.20s", chip, hw);
            break;
        }
}

static void hwmon_discover_one(dev_probe_list *list, const char *hw)
{
    char dir[DEV_PATH_SIZE], path[DEV_PATH_SIZE], chip[48] = "";
    dev_fmt(dir, sizeof dir, "/sys/class/hwmon/%s", hw);
    dev_fmt(path, sizeof path, "%s/name", dir);
    if (dev_read_text(path, chip, sizeof chip, NULL))
        dev_copy(chip, sizeof chip, hw);
    dev_probe *p = dev_probe_list_add(list, DEV_PROBE_HWMON, "hwmon");
    if (!p)
        return;
    p->measured = 1;
    dev_copy(p->detail, sizeof p->detail, dir);
    hwmon_name_probe(list, p, chip, hw);
    /* Prefer an energy counter, then power, then voltage x current. */
    p->quantity = DEV_QTY_ENERGY;
    if (hwmon_add_simple(p, dir, "energy", 1e-6) == 0) {
        p->quantity = DEV_QTY_POWER;
        if (hwmon_add_simple(p, dir, "power", 1e-6) == 0)
            hwmon_add_pairs(p, dir, chip);
    }
    if (p->n_channels == 0) {
        list->n--;   /* temperature-only chips are not power probes */
        return;
    }
    p->device_wide = chip_is_device_wide(chip);
    hwmon_set_totals(p);
    if (!p->device_wide)
        dev_copy(p->reason, sizeof p->reason,
                 "component sensor: sampled and reported, never used as the device's energy");
    p->usable = 1;
}

/* Older Jetson kernels (L4T 32.x) expose the INA3221 through IIO, not hwmon:
 * .../ina3221x/<bus-addr>/iio:device<N>/in_power<K>_input (mW), rail_name_<K>. */
static void iio_ina_discover_one(dev_probe_list *list, const char *dev_dir, const char *iio)
{
    char dir[DEV_PATH_SIZE];
    dev_fmt(dir, sizeof dir, "%s/%s", dev_dir, iio);
    dev_probe *p = dev_probe_list_add(list, DEV_PROBE_HWMON, "ina3221x");
    if (!p)
        return;
    p->measured = 1;
    p->quantity = DEV_QTY_POWER;
    dev_copy(p->detail, sizeof p->detail, dir);
    dev_fmt(p->name, sizeof p->name, "ina3221x:%.40s", strrchr(dev_dir, '/') + 1);
    for (int k = 0; k < 8 && p->n_channels < DEV_CHANNELS_MAX; k++) {
        char path[DEV_PATH_SIZE];
        dev_fmt(path, sizeof path, "%s/in_power%d_input", dir, k);
        if (!dev_exists(path))
            continue;
        dev_channel *c = &p->ch[p->n_channels++];
        memset(c, 0, sizeof *c);
        dev_copy(c->path, sizeof c->path, path);
        c->scale = 1e-3;   /* mW */
        c->in_total = 1;
        dev_fmt(path, sizeof path, "%s/rail_name_%d", dir, k);
        if (dev_read_text(path, c->name, sizeof c->name, NULL) || !c->name[0])
            dev_fmt(c->name, sizeof c->name, "rail%d", k);
    }
    if (p->n_channels == 0) {
        list->n--;
        return;
    }
    p->device_wide = 1;
    hwmon_set_totals(p);
    p->usable = 1;
}

static void iio_ina_discover(dev_probe_list *list)
{
    const char *base = "/sys/bus/i2c/drivers/ina3221x";
    char devs[32][64];
    int n = dev_list_dir(base, "", devs, 32);
    for (int i = 0; i < n; i++) {
        char dev_dir[DEV_PATH_SIZE], iios[8][64];
        dev_fmt(dev_dir, sizeof dev_dir, "%s/%s", base, devs[i]);
        int m = dev_list_dir(dev_dir, "iio:device", iios, 8);
        for (int j = 0; j < m; j++)
            iio_ina_discover_one(list, dev_dir, iios[j]);
    }
}

void dev_probe_discover_hwmon(dev_probe_list *list)
{
    char hws[DEV_DIR_MAX][64];
    int n = dev_list_dir("/sys/class/hwmon", "hwmon", hws, DEV_DIR_MAX);
    int before = list->n;
    for (int i = 0; i < n; i++)
        hwmon_discover_one(list, hws[i]);
    iio_ina_discover(list);
    if (list->n == before) {
        dev_probe *p = dev_probe_list_add(list, DEV_PROBE_HWMON, "hwmon");
        if (!p)
            return;
        p->measured = 1;
        dev_copy(p->reason, sizeof p->reason,
                 n ? "no hwmon power, energy or voltage+current sensors"
                   : "no /sys/class/hwmon devices");
    }
}

/* ---- battery ---------------------------------------------------------------------- */

static int battery_setup(dev_probe *p, const char *dir)
{
    char path[DEV_PATH_SIZE];
    dev_channel *c = &p->ch[0];
    memset(c, 0, sizeof *c);
    dev_copy(c->name, sizeof c->name, strrchr(dir, '/') + 1);
    c->in_total = 1;
    dev_fmt(path, sizeof path, "%s/power_now", dir);
    if (dev_exists(path)) {
        dev_copy(c->path, sizeof c->path, path);
        c->scale = 1e-6;            /* uW */
    } else {
        dev_fmt(c->path, sizeof c->path, "%s/voltage_now", dir);
        dev_fmt(c->path2, sizeof c->path2, "%s/current_now", dir);
        if (!dev_exists(c->path) || !dev_exists(c->path2))
            return -1;
        c->scale = 1e-12;           /* uV x uA */
    }
    dev_fmt(p->status_path, sizeof p->status_path, "%s/status", dir);
    p->n_channels = 1;
    return 0;
}

void dev_probe_discover_battery(dev_probe_list *list)
{
    char names[DEV_DIR_MAX][64];
    int n = dev_list_dir("/sys/class/power_supply", "", names, DEV_DIR_MAX);
    int found = 0;
    for (int i = 0; i < n; i++) {
        char dir[DEV_PATH_SIZE], path[DEV_PATH_SIZE], type[32], status[32] = "";
        dev_fmt(dir, sizeof dir, "/sys/class/power_supply/%s", names[i]);
        dev_fmt(path, sizeof path, "%s/type", dir);
        if (dev_read_text(path, type, sizeof type, NULL) || strcmp(type, "Battery"))
            continue;
        dev_probe *p = dev_probe_list_add(list, DEV_PROBE_BATTERY, "battery");
        if (!p)
            return;
        found = 1;
        p->measured = 1;
        p->quantity = DEV_QTY_POWER;
        dev_fmt(p->name, sizeof p->name, "battery:%.40s", names[i]);
        dev_copy(p->detail, sizeof p->detail, dir);
        if (battery_setup(p, dir)) {
            dev_copy(p->reason, sizeof p->reason, "no power_now nor voltage_now+current_now");
            continue;
        }
        p->usable = 1;
        p->device_wide = 1;
        dev_fmt(path, sizeof path, "%s/status", dir);
        dev_read_text(path, status, sizeof status, NULL);
        if (strcmp(status, "Discharging"))
            dev_fmt(p->reason, sizeof p->reason,
                     "status %s: samples are taken only while discharging",
                     status[0] ? status : "unknown");
    }
    if (!found) {
        dev_probe *p = dev_probe_list_add(list, DEV_PROBE_BATTERY, "battery");
        if (p) {
            p->measured = 1;
            dev_copy(p->reason, sizeof p->reason, "no battery in /sys/class/power_supply");
        }
    }
}

/* ---- reading ------------------------------------------------------------------------- */

/* Reads a channel: ENERGY -> cumulative joules (wraps unfolded), POWER -> watts. */
int dev_channel_read(dev_channel *c, dev_quantity q, double *value, char *err, size_t err_size)
{
    int e = 0;
    if (q == DEV_QTY_POWER) {
        double a, b = 1.0;
        if (dev_read_double(c->path, &a, &e) || (c->path2[0] && dev_read_double(c->path2, &b, &e))) {
            dev_set_err(err, err_size, "%s: %s", c->path2[0] ? c->path2 : c->path, strerror(e));
            return -1;
        }
        *value = a * b * c->scale;
        return 0;
    }
    uint64_t raw;
    if (dev_read_u64(c->path, &raw, &e)) {
        dev_set_err(err, err_size, "%s: %s", c->path, strerror(e));
        return -1;
    }
    if (c->have_last)
        c->accumulated_j += (double)dev_counter_delta(c->last_raw, raw, c->max_range) * c->scale;
    c->last_raw = raw;
    c->have_last = 1;
    *value = c->accumulated_j;
    return 0;
}

/* 1 when the battery is discharging (the only time it measures the device). */
int dev_battery_discharging(const dev_probe *p)
{
    char status[32];
    return dev_read_text(p->status_path, status, sizeof status, NULL) == 0 &&
           !strcmp(status, "Discharging");
}
