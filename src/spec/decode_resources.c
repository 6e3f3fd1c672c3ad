/* linux.resources -> struct spec_resources. */
#include <string.h>

#include "decode.h"
#include "util/cleanup.h"

#define R(m) offsetof(struct spec_resources, m)

static int oom(struct dctx *c)
{
        return carrel_error_set(c->err, ENOMEM, "out of memory");
}

struct rule_raw {
        bool allow;
        const char *type, *access;
        int64_t major, minor;
        bool has_major, has_minor;
};

static const struct field rule_fields[] = {
        { "allow", F_BOOL, offsetof(struct rule_raw, allow), -1, 0, NULL, NULL },
        { "type", F_STRING, offsetof(struct rule_raw, type), -1, 0, NULL, NULL },
        { "access", F_STRING, offsetof(struct rule_raw, access), -1, 0, NULL, NULL },
        { "major", F_I64, offsetof(struct rule_raw, major), offsetof(struct rule_raw, has_major), 0, NULL, NULL },
        { "minor", F_I64, offsetof(struct rule_raw, minor), offsetof(struct rule_raw, has_minor), 0, NULL, NULL },
        FIELD_END,
};

static int dec_devices(struct dctx *c, json_t *v, void *base)
{
        struct spec_resources *r = base;
        struct rule_raw *raw;
        size_t n;
        int rc = decode_array(c, v, rule_fields, sizeof *raw, (void **) &raw, &n);
        if (rc < 0)
                return rc;
        r->devices = spec_alloc(c->spec, (n ? n : 1) * sizeof *r->devices);
        if (!r->devices)
                return oom(c);
        for (size_t i = 0; i < n; i++) {
                struct spec_device_rule *d = &r->devices[i];
                const char *type = raw[i].type && *raw[i].type ? raw[i].type : "a";
                const char *access = raw[i].access && *raw[i].access ? raw[i].access : "rwm";
                size_t old = dctx_push_index(c, i);
                if (strlen(type) != 1 || !strchr("acb", type[0])) {
                        dctx_push_key(c, "type");
                        return dctx_fail(c, "must be a, c or b, got \"%s\"", type);
                }
                if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access)) {
                        dctx_push_key(c, "access");
                        return dctx_fail(c, "must be letters from \"rwm\", got \"%s\"", access);
                }
                d->allow = raw[i].allow;
                d->type = type[0];
                d->major = raw[i].has_major ? raw[i].major : -1;
                d->minor = raw[i].has_minor ? raw[i].minor : -1;
                strcpy(d->access, access);
                dctx_pop(c, old);
        }
        r->n_devices = n;
        r->has_devices = true;
        return 0;
}

static const struct field memory_fields[] = {
        { "limit", F_I64, R(memory_limit), R(has_memory_limit), 0, NULL, NULL },
        { "reservation", F_I64, R(memory_reservation), R(has_memory_reservation), 0, NULL, NULL },
        { "swap", F_I64, R(memory_swap), R(has_memory_swap), 0, NULL, NULL },
        { "swappiness", F_U64, R(swappiness), R(has_swappiness), 0, NULL, NULL },
        { "kernel", F_I64, R(kernel_memory), R(has_kernel_memory), 0, NULL, NULL },
        { "kernelTCP", F_I64, R(kernel_tcp), R(has_kernel_tcp), 0, NULL, NULL },
        { "disableOOMKiller", F_BOOL, R(disable_oom_killer), -1, 0, NULL, NULL },
        { "checkBeforeUpdate", F_BOOL, R(check_before_update), -1, 0, NULL, NULL },
        FIELD_END,
};

static const struct field cpu_fields[] = {
        { "shares", F_U64, R(cpu_shares), R(has_cpu_shares), 0, NULL, NULL },
        { "quota", F_I64, R(cpu_quota), R(has_cpu_quota), 0, NULL, NULL },
        { "period", F_U64, R(cpu_period), R(has_cpu_period), 0, NULL, NULL },
        { "burst", F_U64, R(cpu_burst), R(has_cpu_burst), 0, NULL, NULL },
        { "idle", F_I64, R(cpu_idle), R(has_cpu_idle), 0, NULL, NULL },
        { "realtimeRuntime", F_I64, R(cpu_rt_runtime), R(has_cpu_rt_runtime), 0, NULL, NULL },
        { "realtimePeriod", F_U64, R(cpu_rt_period), R(has_cpu_rt_period), 0, NULL, NULL },
        { "cpus", F_STRING, R(cpus), -1, 0, NULL, NULL },
        { "mems", F_STRING, R(mems), -1, 0, NULL, NULL },
        FIELD_END,
};

static const struct field pids_fields[] = {
        { "limit", F_I64, R(pids_limit), R(has_pids_limit), 0, NULL, NULL },
        FIELD_END,
};

static const struct field throttle_fields[] = {
        { "major", F_I64, offsetof(struct spec_throttle, major), -1, 0, NULL, NULL },
        { "minor", F_I64, offsetof(struct spec_throttle, minor), -1, 0, NULL, NULL },
        { "rate", F_U64, offsetof(struct spec_throttle, rate), -1, 0, NULL, NULL },
        FIELD_END,
};

struct weight_raw {
        int64_t major, minor;
        uint32_t weight, leaf_weight;
        bool has_weight, has_leaf_weight;
};

static const struct field weight_fields[] = {
        { "major", F_I64, offsetof(struct weight_raw, major), -1, 0, NULL, NULL },
        { "minor", F_I64, offsetof(struct weight_raw, minor), -1, 0, NULL, NULL },
        { "weight", F_U32, offsetof(struct weight_raw, weight), offsetof(struct weight_raw, has_weight), 0, NULL, NULL },
        { "leafWeight", F_U32, offsetof(struct weight_raw, leaf_weight), offsetof(struct weight_raw, has_leaf_weight), 0,
          NULL, NULL },
        FIELD_END,
};

static int check_weight(struct dctx *c, uint32_t w)
{
        if (w < 10 || w > 1000)
                return dctx_fail(c, "%u is out of range (10..1000)", w);
        return 0;
}

static int dec_blkio(struct dctx *c, json_t *v, void *base)
{
        struct spec_resources *r = base;
        static const char *const thr[4] = { "throttleReadBpsDevice", "throttleWriteBpsDevice",
                                            "throttleReadIOPSDevice", "throttleWriteIOPSDevice" };
        if (!json_is_object(v))
                return dctx_fail(c, "expected an object");
        json_t *w = json_object_get(v, "weight");
        if (w && !json_is_null(w)) {
                size_t old = dctx_push_key(c, "weight");
                uint32_t val;
                int rc = decode_u32(c, w, &val);
                if (rc < 0 || (val != 0 && (rc = check_weight(c, val)) < 0))
                        return rc;
                r->has_blkio_weight = val != 0; /* 0: not set, as runc reads it */
                r->blkio_weight = (uint16_t) val;
                dctx_pop(c, old);
        }
        json_t *lw = json_object_get(v, "leafWeight");
        if (lw && !json_is_null(lw)) {
                size_t old = dctx_push_key(c, "leafWeight");
                uint32_t val;
                int rc = decode_u32(c, lw, &val);
                if (rc < 0 || (val != 0 && (rc = check_weight(c, val)) < 0))
                        return rc;
                r->has_blkio_leaf_weight = val != 0; /* 0: not set */
                r->blkio_leaf_weight = (uint16_t) val;
                dctx_pop(c, old);
        }
        json_t *wd = json_object_get(v, "weightDevice");
        if (wd && !json_is_null(wd)) {
                size_t old = dctx_push_key(c, "weightDevice");
                struct weight_raw *raw;
                size_t n;
                int rc = decode_array(c, wd, weight_fields, sizeof *raw, (void **) &raw, &n);
                if (rc < 0)
                        return rc;
                r->weight_devices = spec_alloc(c->spec, (n ? n : 1) * sizeof *r->weight_devices);
                if (!r->weight_devices)
                        return oom(c);
                size_t kept = 0;
                for (size_t i = 0; i < n; i++) {
                        size_t old2 = dctx_push_index(c, i);
                        /* A weight of 0 (or none) sets nothing; an entry with neither is left out. */
                        bool w = raw[i].has_weight && raw[i].weight != 0;
                        bool lw = raw[i].has_leaf_weight && raw[i].leaf_weight != 0;
                        if ((w && (rc = check_weight(c, raw[i].weight)) < 0) ||
                            (lw && (rc = check_weight(c, raw[i].leaf_weight)) < 0))
                                return rc;
                        if (w || lw)
                                r->weight_devices[kept++] = (struct spec_weight_device) {
                                        raw[i].major, raw[i].minor, w, (uint16_t) raw[i].weight, lw,
                                        (uint16_t) raw[i].leaf_weight };
                        dctx_pop(c, old2);
                }
                r->n_weight_devices = kept;
                dctx_pop(c, old);
        }
        for (int k = 0; k < 4; k++) {
                json_t *t = json_object_get(v, thr[k]);
                if (!t || json_is_null(t))
                        continue;
                size_t old = dctx_push_key(c, thr[k]);
                int rc = decode_array(c, t, throttle_fields, sizeof **r->throttle, (void **) &r->throttle[k], &r->n_throttle[k]);
                if (rc < 0)
                        return rc;
                dctx_pop(c, old);
        }
        return 0;
}

static const struct field hugepage_fields[] = {
        { "pageSize", F_STRING, offsetof(struct spec_hugepage, page_size), -1, 0, NULL, NULL },
        { "limit", F_U64, offsetof(struct spec_hugepage, limit), -1, 0, NULL, NULL },
        FIELD_END,
};

static int dec_hugepages(struct dctx *c, json_t *v, void *base)
{
        struct spec_resources *r = base;
        int rc = decode_array(c, v, hugepage_fields, sizeof *r->hugepages, (void **) &r->hugepages, &r->n_hugepages);
        for (size_t i = 0; rc == 0 && i < r->n_hugepages; i++)
                if (!r->hugepages[i].page_size || strpbrk(r->hugepages[i].page_size, "/. ") ||
                    !*r->hugepages[i].page_size) {
                        dctx_push_index(c, i);
                        dctx_push_key(c, "pageSize");
                        return dctx_fail(c, "is required and must look like \"2MB\"");
                }
        return rc;
}

static const struct field rdma_fields[] = {
        { "hcaHandles", F_U32, offsetof(struct spec_rdma, handles), offsetof(struct spec_rdma, has_handles), 0, NULL,
          NULL },
        { "hcaObjects", F_U32, offsetof(struct spec_rdma, objects), offsetof(struct spec_rdma, has_objects), 0, NULL,
          NULL },
        FIELD_END,
};

static int rdma_device(struct dctx *c, const char *key, void *entry)
{
        if (strpbrk(key, " \n/"))
                return dctx_fail(c, "invalid device name");
        ((struct spec_rdma *) entry)->device = key;
        return 0;
}

static int dec_rdma(struct dctx *c, json_t *v, void *base)
{
        struct spec_resources *r = base;
        return decode_map(c, v, rdma_fields, sizeof *r->rdma, rdma_device, (void **) &r->rdma, &r->n_rdma);
}

static int dec_unified(struct dctx *c, json_t *v, void *base)
{
        struct spec_resources *r = base;
        if (!json_is_object(v))
                return dctx_fail(c, "expected an object of strings");
        r->unified = spec_alloc(c->spec, (json_object_size(v) + 1) * sizeof *r->unified);
        if (!r->unified)
                return oom(c);
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val) {
                size_t old = dctx_push_key(c, key);
                int rc = decode_string(c, val, &r->unified[r->n_unified].value);
                if (rc < 0)
                        return rc;
                /* A cgroup file name: no path, no dot-files, never cgroup.procs and friends. */
                if (strchr(key, '/') || key[0] == '.' || !strchr(key, '.') || strncmp(key, "cgroup.", 7) == 0)
                        return dctx_fail(c, "not a controller file name");
                r->unified[r->n_unified++].key = key;
                dctx_pop(c, old);
        }
        return 0;
}

static const struct field prio_fields[] = {
        { "name", F_STRING, offsetof(struct spec_net_prio, name), -1, 0, NULL, NULL },
        { "priority", F_U32, offsetof(struct spec_net_prio, priority), -1, 0, NULL, NULL },
        FIELD_END,
};

static const struct field network_fields[] = {
        { "classID", F_U32, R(net_classid), R(has_net_classid), 0, NULL, NULL },
        FIELD_END,
};

static int dec_network(struct dctx *c, json_t *v, void *base)
{
        struct spec_resources *r = base;
        if (!json_is_object(v))
                return dctx_fail(c, "expected an object");
        json_t *prios = json_object_get(v, "priorities");
        int rc = decode_object(c, v, network_fields, base);
        if (rc < 0)
                return rc;
        if (prios && !json_is_null(prios)) {
                size_t old = dctx_push_key(c, "priorities");
                if ((rc = decode_array(c, prios, prio_fields, sizeof *r->net_prios, (void **) &r->net_prios,
                                       &r->n_net_prios)) < 0)
                        return rc;
                for (size_t i = 0; i < r->n_net_prios; i++)
                        if (!r->net_prios[i].name || !*r->net_prios[i].name || strpbrk(r->net_prios[i].name, " \n/")) {
                                dctx_push_index(c, i);
                                dctx_push_key(c, "name");
                                return dctx_fail(c, "must be an interface name");
                        }
                dctx_pop(c, old);
        }
        r->has_network = r->has_net_classid || r->n_net_prios;
        return 0;
}

static int dec_memory(struct dctx *c, json_t *v, void *base)
{
        return decode_object(c, v, memory_fields, base);
}

static int dec_cpu(struct dctx *c, json_t *v, void *base)
{
        struct spec_resources *r = base;
        int rc = decode_object(c, v, cpu_fields, base);
        r->has_cpu_realtime = r->has_cpu_rt_runtime || r->has_cpu_rt_period;
        return rc;
}

static int dec_pids(struct dctx *c, json_t *v, void *base)
{
        return decode_object(c, v, pids_fields, base);
}

static const struct field resources_fields[] = {
        { "devices", F_CUSTOM, 0, -1, 0, dec_devices, NULL },
        { "memory", F_CUSTOM, 0, -1, 0, dec_memory, NULL },
        { "cpu", F_CUSTOM, 0, -1, 0, dec_cpu, NULL },
        { "pids", F_CUSTOM, 0, -1, 0, dec_pids, NULL },
        { "blockIO", F_CUSTOM, 0, -1, 0, dec_blkio, NULL },
        { "hugepageLimits", F_CUSTOM, 0, -1, 0, dec_hugepages, NULL },
        { "rdma", F_CUSTOM, 0, -1, 0, dec_rdma, NULL },
        { "unified", F_CUSTOM, 0, -1, 0, dec_unified, NULL },
        { "network", F_CUSTOM, 0, -1, 0, dec_network, NULL },
        FIELD_END,
};

/* runc (libcontainer/cgroups fs and fs2) writes nothing for a limit, weight,
 * share, quota or period of 0, nor for an empty cpuset string: engines send
 * those for "not set" (Docker: cpu.shares 0, blockIO.weight 0). The same here,
 * so they need no controller either. -1 stays "max".
 * The exception is pids.limit: 0 is a real limit (pids.max 0), as the
 * runtime-spec and runc 1.4 read it. */
static void zero_means_unset(struct spec_resources *r)
{
        if (r->memory_limit == 0)
                r->has_memory_limit = false;
        if (r->memory_reservation == 0)
                r->has_memory_reservation = false;
        if (r->memory_swap == 0)
                r->has_memory_swap = false;
        if (r->kernel_memory == 0) /* Docker's update always sends kernel: 0 */
                r->has_kernel_memory = false;
        if (r->kernel_tcp == 0)
                r->has_kernel_tcp = false;
        if (r->cpu_shares == 0)
                r->has_cpu_shares = false;
        if (r->cpu_quota == 0)
                r->has_cpu_quota = false;
        if (r->cpu_rt_runtime == 0)
                r->has_cpu_rt_runtime = false;
        if (r->cpu_rt_period == 0)
                r->has_cpu_rt_period = false;
        r->has_cpu_realtime = r->has_cpu_rt_runtime || r->has_cpu_rt_period;
        if (r->has_net_classid && r->net_classid == 0)
                r->has_net_classid = false;
        r->has_network = r->has_net_classid || r->n_net_prios;
        if (r->cpu_period == 0)
                r->has_cpu_period = false;
        if (r->cpus && !*r->cpus)
                r->cpus = NULL;
        if (r->mems && !*r->mems)
                r->mems = NULL;
}

int decode_resources(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        struct spec_resources *r = spec_alloc(c->spec, sizeof *r);
        if (!r)
                return oom(c);
        int rc = decode_object(c, v, resources_fields, r);
        if (rc < 0)
                return rc;
        zero_means_unset(r);
        s->resources = r;
        return 0;
}

int spec_decode_resources(struct spec *s, const char *text, size_t len, const char *origin, struct carrel_error *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return carrel_error_set(err, EINVAL, "%s: invalid JSON at line %d, column %d: %s", origin, jerr.line,
                                        jerr.column, jerr.text);
        json_decref(s->process_json);
        s->process_json = root; /* keeps the strings alive */
        struct dctx c = { .spec = s, .err = err, .origin = origin };
        return decode_resources(&c, root, s);
}
