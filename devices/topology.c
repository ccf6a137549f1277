/*
 * topology.c — hwloc topology facts (packages, cores, PUs, caches, NUMA,
 * memory) and the thread-binding helper the engine's pool calls through
 * slm_context_params.thread_init.
 *
 * Invariants: a dev_binding owns one loaded hwloc topology, read-only after
 * creation, so pool threads may call dev_binding_thread_init concurrently;
 * per-thread outcomes are recorded with atomics (thread_init cannot fail).
 */
#include <errno.h>
#include <hwloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "devices/dev_internal.h"
#include "devices/device.h"

static int load_topology(hwloc_topology_t *topo, char *err, size_t err_size)
{
    if (hwloc_topology_init(topo) != 0) {
        dev_set_err(err, err_size, "hwloc: topology init failed");
        return -1;
    }
    if (hwloc_topology_load(*topo) != 0) {
        dev_set_err(err, err_size, "hwloc: topology load failed: %s", strerror(errno));
        hwloc_topology_destroy(*topo);
        return -1;
    }
    return 0;
}

static uint64_t cache_size(hwloc_topology_t topo, hwloc_obj_type_t type)
{
    hwloc_obj_t obj = hwloc_get_obj_by_type(topo, type, 0);
    return (obj && obj->attr) ? obj->attr->cache.size : 0;
}

static int count(hwloc_topology_t topo, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(topo, type);
    return n < 0 ? 0 : n;
}

int dev_topology_collect(dev_topology *out, char *brand, size_t brand_size, char *vendor,
                         size_t vendor_size, char *err, size_t err_size)
{
    hwloc_topology_t topo;
    memset(out, 0, sizeof *out);
    if (load_topology(&topo, err, err_size))
        return -1;
    out->packages = count(topo, HWLOC_OBJ_PACKAGE);
    out->cores = count(topo, HWLOC_OBJ_CORE);
    out->pus = count(topo, HWLOC_OBJ_PU);
    out->numa_nodes = count(topo, HWLOC_OBJ_NUMANODE);
    out->l1d_bytes = cache_size(topo, HWLOC_OBJ_L1CACHE);
    out->l2_bytes = cache_size(topo, HWLOC_OBJ_L2CACHE);
    out->l3_bytes = cache_size(topo, HWLOC_OBJ_L3CACHE);
    out->memory_bytes = hwloc_get_root_obj(topo)->total_memory;
    hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
    const char *model = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUModel") : NULL;
    const char *vend = pkg ? hwloc_obj_get_info_by_name(pkg, "CPUVendor") : NULL;
    dev_copy(brand, brand_size, model ? model : "");
    dev_copy(vendor, vendor_size, vend ? vend : "");
    hwloc_topology_destroy(topo);
    return 0;
}

struct dev_binding {
    hwloc_topology_t topo;
    int n_cores;
    atomic_int bound, failed;
    atomic_int first_error_set;
    char first_error[160];
};

int dev_binding_create(dev_binding **out, char *err, size_t err_size)
{
    dev_binding *b = calloc(1, sizeof *b);
    if (!b) {
        dev_set_err(err, err_size, "out of memory");
        return -1;
    }
    if (load_topology(&b->topo, err, err_size)) {
        free(b);
        return -1;
    }
    b->n_cores = count(b->topo, HWLOC_OBJ_CORE);
    if (b->n_cores <= 0) {
        dev_set_err(err, err_size, "hwloc: no cores in the topology");
        hwloc_topology_destroy(b->topo);
        free(b);
        return -1;
    }
    *out = b;
    return 0;
}

static void binding_fail(dev_binding *b, int thread_index, const char *what)
{
    atomic_fetch_add(&b->failed, 1);
    int expected = 0;
    if (atomic_compare_exchange_strong(&b->first_error_set, &expected, 1))
        snprintf(b->first_error, sizeof b->first_error, "thread %d: %s", thread_index, what);
}

void dev_binding_thread_init(int thread_index, void *user)
{
    dev_binding *b = user;
    if (!b || thread_index < 0)
        return;
    hwloc_obj_t core = hwloc_get_obj_by_type(b->topo, HWLOC_OBJ_CORE, thread_index % b->n_cores);
    if (!core || !core->cpuset) {
        binding_fail(b, thread_index, "core not found");
        return;
    }
    /* Bind to the whole core (all its PUs) so SMT siblings stay usable. */
    if (hwloc_set_cpubind(b->topo, core->cpuset, HWLOC_CPUBIND_THREAD) != 0) {
        binding_fail(b, thread_index, strerror(errno));
        return;
    }
    atomic_fetch_add(&b->bound, 1);
}

cJSON *dev_binding_to_json(const dev_binding *binding)
{
    dev_binding *b = (dev_binding *)binding;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "policy", "thread i -> physical core i mod cores (hwloc)");
    cJSON_AddNumberToObject(o, "cores", b->n_cores);
    cJSON_AddNumberToObject(o, "bound_threads", atomic_load(&b->bound));
    cJSON_AddNumberToObject(o, "failed_threads", atomic_load(&b->failed));
    if (atomic_load(&b->first_error_set))
        cJSON_AddStringToObject(o, "first_error", b->first_error);
    return o;
}

void dev_binding_free(dev_binding *binding)
{
    if (!binding)
        return;
    hwloc_topology_destroy(binding->topo);
    free(binding);
}
