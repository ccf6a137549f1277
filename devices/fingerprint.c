/*
 * fingerprint.c — who the device is: CPU identity and ISA (libcpuid on x86,
 * /proc/cpuinfo + getauxval + hwloc on aarch64), OS, memory, cpufreq, board
 * model, hypervisor, battery, and a stable device id.
 *
 * Invariants: sysfs/procfs reads go through dev_read_* (root prefix; CPUID,
 * uname and hwloc's own topology discovery describe the real machine, which
 * thread binding must match anyway); a field
 * that cannot be read stays empty or 0/-1, never guessed; the device id hashes
 * only fields that do not change between runs on the same machine.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#if defined(__x86_64__) || defined(__i386__)
#include <libcpuid/libcpuid.h>
#define DEV_HAVE_LIBCPUID 1
#endif
#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

#include "devices/dev_internal.h"
#include "devices/device.h"

static void isa_init(dev_isa *isa)
{
#if defined(__x86_64__) || defined(__i386__)
    *isa = (dev_isa){0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1};
#elif defined(__aarch64__)
    *isa = (dev_isa){-1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0};
#else
    *isa = (dev_isa){-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
#endif
}

/* 1 if the whitespace-separated word occurs in the "flags"/"Features" line. */
static int cpuinfo_has_flag(const char *cpuinfo, const char *key, const char *flag)
{
    const char *line = strstr(cpuinfo, key);
    if (!line)
        return 0;
    const char *colon = strchr(line, ':');
    const char *eol = strchr(line, '\n');
    if (!colon || (eol && colon > eol))
        return 0;
    size_t flen = strlen(flag);
    for (const char *p = colon + 1; p && (!eol || p < eol);) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = p;
        while (*end && *end != ' ' && *end != '\t' && *end != '\n')
            end++;
        if ((size_t)(end - p) == flen && !strncmp(p, flag, flen))
            return 1;
        if (end == p)
            break;
        p = end;
    }
    return 0;
}

/* Value after "key<spaces>: " on the first matching line, or "". */
static void cpuinfo_value(const char *cpuinfo, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    for (const char *line = cpuinfo; line && *line;) {
        const char *eol = strchr(line, '\n');
        if (!strncmp(line, key, strlen(key))) {
            const char *colon = strchr(line, ':');
            if (colon && (!eol || colon < eol)) {
                const char *v = colon + 1;
                while (*v == ' ')
                    v++;
                size_t len = eol ? (size_t)(eol - v) : strlen(v);
                if (len >= size)
                    len = size - 1;
                memcpy(out, v, len);
                out[len] = '\0';
                return;
            }
        }
        line = eol ? eol + 1 : NULL;
    }
}

static char *read_cpuinfo(void)
{
    size_t size = 1 << 20;
    char *buf = malloc(size);
    if (buf && dev_read_text("/proc/cpuinfo", buf, size, NULL))
        buf[0] = '\0';
    return buf;
}

#ifdef DEV_HAVE_LIBCPUID
static const char *hypervisor_name(hypervisor_vendor_t v)
{
    switch (v) {
    case HYPERVISOR_BHYVE: return "bhyve";
    case HYPERVISOR_HYPERV: return "hyper-v";
    case HYPERVISOR_KVM: return "kvm";
    case HYPERVISOR_PARALLELS: return "parallels";
    case HYPERVISOR_QEMU: return "qemu";
    case HYPERVISOR_VIRTUALBOX: return "virtualbox";
    case HYPERVISOR_VMWARE: return "vmware";
    case HYPERVISOR_XEN: return "xen";
    default: return "unknown";
    }
}

static int cpu_from_libcpuid(dev_fingerprint *fp, char *err, size_t err_size)
{
    struct cpu_raw_data_t raw;
    struct cpu_id_t id;
    if (!cpuid_present()) {
        dev_set_err(err, err_size, "libcpuid: CPUID instruction not available");
        return -1;
    }
    if (cpuid_get_raw_data(&raw) < 0 || cpu_identify(&raw, &id) < 0) {
        dev_set_err(err, err_size, "libcpuid: %s", cpuid_error());
        return -1;
    }
    dev_cpu *cpu = &fp->cpu;
    dev_copy(cpu->vendor, sizeof cpu->vendor, id.vendor_str);
    dev_copy(cpu->brand, sizeof cpu->brand, id.brand_str);
    cpu->family = id.ext_family;
    cpu->model = id.ext_model;
    cpu->stepping = id.stepping;
    cpu->cores = id.num_cores;
    cpu->threads = id.total_logical_cpus;
    cpu->isa.sse4_2 = id.flags[CPU_FEATURE_SSE4_2];
    cpu->isa.avx2 = id.flags[CPU_FEATURE_AVX2];
    cpu->isa.fma = id.flags[CPU_FEATURE_FMA3];
    cpu->isa.f16c = id.flags[CPU_FEATURE_F16C];
    cpu->isa.avx512f = id.flags[CPU_FEATURE_AVX512F];
    cpu->isa.avx512bw = id.flags[CPU_FEATURE_AVX512BW];
    cpu->isa.avx512vnni = id.flags[CPU_FEATURE_AVX512VNNI];
    fp->hypervisor = id.flags[CPU_FEATURE_HYPERVISOR];
    if (fp->hypervisor)
        dev_copy(fp->hypervisor_vendor, sizeof fp->hypervisor_vendor,
                 hypervisor_name(cpuid_get_hypervisor(&raw, &id)));
    dev_copy(cpu->source, sizeof cpu->source, "libcpuid");
    return 0;
}
#endif

/* Features libcpuid 0.6 does not decode, and the aarch64 ones. */
static void isa_from_cpuinfo(dev_isa *isa, const char *cpuinfo, int *used)
{
#if defined(__x86_64__) || defined(__i386__)
    isa->avx512bf16 = cpuinfo_has_flag(cpuinfo, "flags", "avx512_bf16");
    isa->amx = cpuinfo_has_flag(cpuinfo, "flags", "amx_tile");
    *used = 1;
#elif defined(__aarch64__)
    isa->neon = cpuinfo_has_flag(cpuinfo, "Features", "asimd");
    isa->dotprod = cpuinfo_has_flag(cpuinfo, "Features", "asimddp");
    isa->i8mm = cpuinfo_has_flag(cpuinfo, "Features", "i8mm");
    isa->sve = cpuinfo_has_flag(cpuinfo, "Features", "sve");
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    isa->neon |= (hw >> 1) & 1;      /* HWCAP_ASIMD */
    isa->dotprod |= (hw >> 20) & 1;  /* HWCAP_ASIMDDP */
    isa->sve |= (hw >> 22) & 1;      /* HWCAP_SVE */
    isa->i8mm |= (hw2 >> 13) & 1;    /* HWCAP2_I8MM */
    *used = 1;
#else
    (void)isa;
    (void)cpuinfo;
    *used = 0;
#endif
}

typedef struct arm_part {
    unsigned implementer, part;
    const char *name;
} arm_part;

static const arm_part arm_parts[] = {
    {0x41, 0xd03, "Cortex-A53"},   {0x41, 0xd04, "Cortex-A35"},   {0x41, 0xd05, "Cortex-A55"},
    {0x41, 0xd07, "Cortex-A57"},   {0x41, 0xd08, "Cortex-A72"},   {0x41, 0xd09, "Cortex-A73"},
    {0x41, 0xd0a, "Cortex-A75"},   {0x41, 0xd0b, "Cortex-A76"},   {0x41, 0xd0c, "Neoverse-N1"},
    {0x41, 0xd0d, "Cortex-A77"},   {0x41, 0xd40, "Neoverse-V1"},  {0x41, 0xd41, "Cortex-A78"},
    {0x41, 0xd42, "Cortex-A78AE"}, {0x41, 0xd44, "Cortex-X1"},    {0x41, 0xd46, "Cortex-A510"},
    {0x41, 0xd47, "Cortex-A710"},  {0x41, 0xd48, "Cortex-X2"},    {0x41, 0xd49, "Neoverse-N2"},
    {0x41, 0xd4b, "Cortex-A78C"},  {0x41, 0xd4f, "Neoverse-V2"},  {0x41, 0xd80, "Cortex-A520"},
    {0x41, 0xd81, "Cortex-A720"},  {0x41, 0xd82, "Cortex-X4"},    {0x4e, 0x004, "Carmel"},
};

const char *dev_arm_implementer_name(unsigned implementer)
{
    switch (implementer) {
    case 0x41: return "ARM";
    case 0x42: return "Broadcom";
    case 0x48: return "HiSilicon";
    case 0x4e: return "NVIDIA";
    case 0x51: return "Qualcomm";
    case 0x61: return "Apple";
    case 0xc0: return "Ampere";
    default: return NULL;
    }
}

const char *dev_arm_part_name(unsigned implementer, unsigned part)
{
    for (size_t i = 0; i < sizeof arm_parts / sizeof arm_parts[0]; i++)
        if (arm_parts[i].implementer == implementer && arm_parts[i].part == part)
            return arm_parts[i].name;
    return NULL;
}

/* aarch64 /proc/cpuinfo has no "model name": name the core from its part number. */
static void cpu_from_arm_ids(dev_cpu *cpu, const char *cpuinfo)
{
    char impl_text[32], part_text[32];
    cpuinfo_value(cpuinfo, "CPU implementer", impl_text, sizeof impl_text);
    cpuinfo_value(cpuinfo, "CPU part", part_text, sizeof part_text);
    if (!impl_text[0])
        return;
    unsigned impl = (unsigned)strtoul(impl_text, NULL, 0);
    unsigned part = part_text[0] ? (unsigned)strtoul(part_text, NULL, 0) : 0;
    const char *vendor = dev_arm_implementer_name(impl);
    const char *name = dev_arm_part_name(impl, part);
    if (!cpu->vendor[0])
        dev_fmt(cpu->vendor, sizeof cpu->vendor, "%s", vendor ? vendor : impl_text);
    if (!cpu->brand[0] && name)
        dev_copy(cpu->brand, sizeof cpu->brand, name);
    else if (!cpu->brand[0])
        dev_fmt(cpu->brand, sizeof cpu->brand, "implementer %s part %s", impl_text, part_text);
    if (cpu->model < 0 && part_text[0])
        cpu->model = (int)part;
}

static void cpu_from_cpuinfo(dev_cpu *cpu, const char *cpuinfo)
{
    char value[128];
    if (!cpu->brand[0]) {
        cpuinfo_value(cpuinfo, "model name", value, sizeof value);
        if (value[0])
            dev_copy(cpu->brand, sizeof cpu->brand, value);
    }
    cpu_from_arm_ids(cpu, cpuinfo);
}

static int collect_cpu(dev_fingerprint *fp, char *err, size_t err_size)
{
    dev_cpu *cpu = &fp->cpu;
    cpu->family = cpu->model = cpu->stepping = -1;
    isa_init(&cpu->isa);
#ifdef DEV_HAVE_LIBCPUID
    if (cpu_from_libcpuid(fp, err, err_size))
        return -1;
#endif
    char *cpuinfo = read_cpuinfo();
    if (!cpuinfo) {
        dev_set_err(err, err_size, "out of memory reading /proc/cpuinfo");
        return -1;
    }
    int used = 0;
    isa_from_cpuinfo(&cpu->isa, cpuinfo, &used);
    cpu_from_cpuinfo(cpu, cpuinfo);
    if (!fp->hypervisor && cpuinfo_has_flag(cpuinfo, "flags", "hypervisor"))
        fp->hypervisor = 1;
    free(cpuinfo);
    if (!cpu->source[0])
        dev_copy(cpu->source, sizeof cpu->source, "hwloc+/proc/cpuinfo+getauxval");
    else if (used)
        dev_copy(cpu->source, sizeof cpu->source, "libcpuid+/proc/cpuinfo");
    return 0;
}

static void collect_os(dev_fingerprint *fp)
{
    struct utsname u;
    if (uname(&u) == 0) {
        dev_copy(fp->os, sizeof fp->os, u.sysname);
        dev_copy(fp->kernel, sizeof fp->kernel, u.release);
        dev_copy(fp->cpu.arch, sizeof fp->cpu.arch, u.machine);
    }
    char buf[4096];
    if (dev_read_text("/etc/os-release", buf, sizeof buf, NULL) == 0) {
        const char *p = strstr(buf, "PRETTY_NAME=");
        if (p) {
            p += 12;
            if (*p == '"')
                p++;
            size_t len = strcspn(p, "\"\n");
            snprintf(fp->os_pretty, sizeof fp->os_pretty, "%.*s", (int)len, p);
        }
    }
}

static uint64_t meminfo_kib(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static void collect_memory(dev_fingerprint *fp)
{
    char buf[8192];
    if (dev_read_text("/proc/meminfo", buf, sizeof buf, NULL))
        return;
    fp->mem_total_bytes = meminfo_kib(buf, "MemTotal:") * 1024;
    fp->mem_available_bytes = meminfo_kib(buf, "MemAvailable:") * 1024;
}

static void collect_cpufreq(dev_cpufreq *f)
{
    const char *base = "/sys/devices/system/cpu/cpu0/cpufreq/";
    char path[DEV_PATH_SIZE];
    double khz;
    snprintf(path, sizeof path, "%sscaling_governor", base);
    f->available = dev_read_text(path, f->governor, sizeof f->governor, NULL) == 0;
    snprintf(path, sizeof path, "%scpuinfo_min_freq", base);
    if (dev_read_double(path, &khz, NULL) == 0)
        f->min_mhz = khz / 1000.0, f->available = 1;
    snprintf(path, sizeof path, "%scpuinfo_max_freq", base);
    if (dev_read_double(path, &khz, NULL) == 0)
        f->max_mhz = khz / 1000.0, f->available = 1;
    snprintf(path, sizeof path, "%sscaling_cur_freq", base);
    if (dev_read_double(path, &khz, NULL) == 0)
        f->cur_mhz = khz / 1000.0, f->available = 1;
}

static int battery_present(void)
{
    char dir[DEV_PATH_SIZE];
    if (dev_path(dir, sizeof dir, "/sys/class/power_supply"))
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        char path[DEV_PATH_SIZE], type[32];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/sys/class/power_supply/%s/type", e->d_name);
        if (dev_read_text(path, type, sizeof type, NULL) == 0 && !strcmp(type, "Battery"))
            found = 1;
    }
    closedir(d);
    return found;
}

static void collect_board(dev_fingerprint *fp)
{
    dev_read_text("/proc/device-tree/model", fp->board_model, sizeof fp->board_model, NULL);
    dev_read_text("/sys/class/dmi/id/product_name", fp->dmi_product, sizeof fp->dmi_product, NULL);
    if (fp->hypervisor && !fp->hypervisor_vendor[0] &&
        dev_read_text("/sys/hypervisor/type", fp->hypervisor_vendor, sizeof fp->hypervisor_vendor,
                      NULL))
        dev_copy(fp->hypervisor_vendor, sizeof fp->hypervisor_vendor, "unknown");
}

int dev_fingerprint_collect(dev_fingerprint *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (collect_cpu(out, err, err_size))
        return -1;
    collect_os(out);
    char brand[128] = "", vendor[32] = "";
    if (dev_topology_collect(&out->topology, brand, sizeof brand, vendor, sizeof vendor, err,
                             err_size) == 0) {
        if (out->topology.cores > 0)
            out->cpu.cores = out->topology.cores;
        if (out->topology.pus > 0)
            out->cpu.threads = out->topology.pus;
        if (!out->cpu.brand[0])
            dev_copy(out->cpu.brand, sizeof out->cpu.brand, brand);
        if (!out->cpu.vendor[0])
            dev_copy(out->cpu.vendor, sizeof out->cpu.vendor, vendor);
    }
    collect_memory(out);
    collect_cpufreq(&out->cpufreq);
    collect_board(out);
    out->battery_present = battery_present();
    dev_fingerprint_compute_id(out);
    return 0;
}

void dev_fingerprint_compute_id(dev_fingerprint *fp)
{
    const dev_cpu *c = &fp->cpu;
    const dev_isa *i = &c->isa;
    const dev_topology *t = &fp->topology;
    char canon[1024];
    unsigned long long mem_gib = (fp->mem_total_bytes + (1ULL << 29)) >> 30;
    snprintf(canon, sizeof canon,
             "arch=%s;vendor=%s;brand=%s;fms=%d/%d/%d;cores=%d;threads=%d;"
             "isa=%d%d%d%d%d%d%d%d%d%d%d%d%d;pk=%d;numa=%d;l1d=%llu;l2=%llu;l3=%llu;"
             "mem_gib=%llu;board=%s;dmi=%s;os=%s;hv=%d",
             c->arch, c->vendor, c->brand, c->family, c->model, c->stepping, c->cores,
             c->threads, i->sse4_2, i->avx2, i->fma, i->f16c, i->avx512f, i->avx512bw,
             i->avx512vnni, i->avx512bf16, i->amx, i->neon, i->dotprod, i->i8mm, i->sve,
             t->packages, t->numa_nodes, (unsigned long long)t->l1d_bytes,
             (unsigned long long)t->l2_bytes, (unsigned long long)t->l3_bytes, mem_gib,
             fp->board_model, fp->dmi_product, fp->os, fp->hypervisor);
    snprintf(fp->device_id, sizeof fp->device_id, "%016llx",
             (unsigned long long)dev_fnv1a(canon, DEV_FNV_OFFSET));
}

static void add_flag(cJSON *obj, const char *name, int value)
{
    if (value < 0)
        cJSON_AddNullToObject(obj, name);   /* not applicable to this architecture */
    else
        cJSON_AddBoolToObject(obj, name, value);
}

static cJSON *isa_to_json(const dev_isa *i)
{
    cJSON *o = cJSON_CreateObject();
    add_flag(o, "sse4_2", i->sse4_2);
    add_flag(o, "avx2", i->avx2);
    add_flag(o, "fma", i->fma);
    add_flag(o, "f16c", i->f16c);
    add_flag(o, "avx512f", i->avx512f);
    add_flag(o, "avx512bw", i->avx512bw);
    add_flag(o, "avx512vnni", i->avx512vnni);
    add_flag(o, "avx512bf16", i->avx512bf16);
    add_flag(o, "amx", i->amx);
    add_flag(o, "neon", i->neon);
    add_flag(o, "dotprod", i->dotprod);
    add_flag(o, "i8mm", i->i8mm);
    add_flag(o, "sve", i->sve);
    return o;
}

static cJSON *cpu_to_json(const dev_cpu *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "arch", c->arch);
    cJSON_AddStringToObject(o, "vendor", c->vendor);
    cJSON_AddStringToObject(o, "brand", c->brand);
    cJSON_AddNumberToObject(o, "family", c->family);
    cJSON_AddNumberToObject(o, "model", c->model);
    cJSON_AddNumberToObject(o, "stepping", c->stepping);
    cJSON_AddNumberToObject(o, "cores", c->cores);
    cJSON_AddNumberToObject(o, "threads", c->threads);
    cJSON_AddItemToObject(o, "isa", isa_to_json(&c->isa));
    cJSON_AddStringToObject(o, "source", c->source);
    return o;
}

static cJSON *topology_to_json(const dev_topology *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "packages", t->packages);
    cJSON_AddNumberToObject(o, "cores", t->cores);
    cJSON_AddNumberToObject(o, "pus", t->pus);
    cJSON_AddNumberToObject(o, "numa_nodes", t->numa_nodes);
    cJSON_AddNumberToObject(o, "l1d_bytes", (double)t->l1d_bytes);
    cJSON_AddNumberToObject(o, "l2_bytes", (double)t->l2_bytes);
    cJSON_AddNumberToObject(o, "l3_bytes", (double)t->l3_bytes);
    cJSON_AddNumberToObject(o, "memory_bytes", (double)t->memory_bytes);
    return o;
}

static cJSON *cpufreq_to_json(const dev_cpufreq *f)
{
    cJSON *o = cJSON_CreateObject();
    if (!f->available) {
        cJSON_AddStringToObject(o, "status", "unavailable");
        cJSON_AddStringToObject(o, "reason", "no cpufreq in /sys/devices/system/cpu/cpu0");
        return o;
    }
    cJSON_AddStringToObject(o, "governor", f->governor);
    cJSON_AddNumberToObject(o, "min_freq_mhz", f->min_mhz);
    cJSON_AddNumberToObject(o, "max_freq_mhz", f->max_mhz);
    cJSON_AddNumberToObject(o, "cur_freq_mhz", f->cur_mhz);
    return o;
}

cJSON *dev_fingerprint_to_json(const dev_fingerprint *fp)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_id", fp->device_id);
    cJSON_AddItemToObject(o, "cpu", cpu_to_json(&fp->cpu));
    cJSON_AddItemToObject(o, "topology", topology_to_json(&fp->topology));
    cJSON_AddStringToObject(o, "os", fp->os);
    cJSON_AddStringToObject(o, "os_pretty", fp->os_pretty);
    cJSON_AddStringToObject(o, "kernel", fp->kernel);
    cJSON_AddNumberToObject(o, "mem_total_bytes", (double)fp->mem_total_bytes);
    cJSON_AddNumberToObject(o, "mem_available_bytes", (double)fp->mem_available_bytes);
    cJSON_AddItemToObject(o, "cpufreq", cpufreq_to_json(&fp->cpufreq));
    cJSON_AddStringToObject(o, "board_model", fp->board_model);
    cJSON_AddStringToObject(o, "dmi_product", fp->dmi_product);
    cJSON_AddBoolToObject(o, "hypervisor", fp->hypervisor);
    cJSON_AddStringToObject(o, "hypervisor_vendor", fp->hypervisor_vendor);
    cJSON_AddBoolToObject(o, "battery_present", fp->battery_present);
    return o;
}
