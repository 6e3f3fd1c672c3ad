/* config.json -> struct spec: the tables and the few custom decoders. */
#include "decode.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mount_options.h"
#include "util/cleanup.h"

#define OFF(type, member) offsetof(type, member)
#define S(key, type, member) { key, F_STRING, OFF(type, member), -1, 0, NULL, NULL }
#define SH(key, type, member, has) { key, F_STRING, OFF(type, member), OFF(type, has), 0, NULL, NULL }
#define B(key, type, member) { key, F_BOOL, OFF(type, member), -1, 0, NULL, NULL }
#define U32(key, type, member) { key, F_U32, OFF(type, member), -1, 0, NULL, NULL }
#define ID(key, type, member) { key, F_ID, OFF(type, member), -1, 0, NULL, NULL }
#define IDH(key, type, member, has) { key, F_ID, OFF(type, member), OFF(type, has), 0, NULL, NULL }
#define U32H(key, type, member, has) { key, F_U32, OFF(type, member), OFF(type, has), 0, NULL, NULL }
#define I32H(key, type, member, has) { key, F_I32, OFF(type, member), OFF(type, has), 0, NULL, NULL }
#define I64(key, type, member) { key, F_I64, OFF(type, member), -1, 0, NULL, NULL }
#define U64(key, type, member) { key, F_U64, OFF(type, member), -1, 0, NULL, NULL }
#define SV(key, type, member, count) { key, F_STRV, OFF(type, member), -1, OFF(type, count), NULL, NULL }
#define OBJ(key, sub) { key, F_OBJECT, 0, -1, 0, NULL, sub }
#define FN(key, fn) { key, F_CUSTOM, 0, -1, 0, fn, NULL }
#define FNH(key, fn, type, has) { key, F_CUSTOM, 0, OFF(type, has), 0, fn, NULL }

static int oom(struct dctx *c)
{
        return carrel_error_set(c->err, ENOMEM, "out of memory");
}

int decode_array(struct dctx *c, json_t *v, const struct field *table, size_t elem, void **ret,
                        size_t *ret_n)
{
        if (!json_is_array(v))
                return dctx_fail(c, "expected an array");
        size_t n = json_array_size(v);
        char *out = spec_alloc(c->spec, (n ? n : 1) * elem);
        if (!out)
                return oom(c);
        for (size_t i = 0; i < n; i++) {
                size_t old = dctx_push_index(c, i);
                int r = decode_object(c, json_array_get(v, i), table, out + i * elem);
                if (r < 0)
                        return r;
                dctx_pop(c, old);
        }
        *ret = out;
        *ret_n = n;
        return 0;
}

int decode_map(struct dctx *c, json_t *v, const struct field *table, size_t elem,
               int (*each)(struct dctx *c, const char *key, void *entry), void **ret, size_t *ret_n)
{
        if (!json_is_object(v))
                return dctx_fail(c, "expected an object");
        size_t n = json_object_size(v), i = 0;
        char *out = spec_alloc(c->spec, (n ? n : 1) * elem);
        if (!out)
                return oom(c);
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val) {
                size_t old = dctx_push_key(c, key);
                int r = decode_object(c, val, table, out + i * elem);
                if (r < 0 || (r = each(c, key, out + i * elem)) < 0)
                        return r;
                dctx_pop(c, old);
                i++;
        }
        *ret = out;
        *ret_n = i;
        return 0;
}

/* ---- process ---- */

static int dec_additional_gids(struct dctx *c, json_t *v, void *base)
{
        struct spec_process *p = base;
        if (!json_is_array(v))
                return dctx_fail(c, "expected an array of integers");
        size_t n = json_array_size(v);
        p->additional_gids = spec_alloc(c->spec, (n ? n : 1) * sizeof(uint32_t));
        if (!p->additional_gids)
                return oom(c);
        for (size_t i = 0; i < n; i++) {
                size_t old = dctx_push_index(c, i);
                int r = decode_id(c, json_array_get(v, i), &p->additional_gids[i]);
                if (r < 0)
                        return r;
                dctx_pop(c, old);
        }
        p->n_additional_gids = n;
        return 0;
}

static const struct field user_fields[] = {
        ID("uid", struct spec_process, uid),
        ID("gid", struct spec_process, gid),
        U32H("umask", struct spec_process, umask, has_umask),
        FN("additionalGids", dec_additional_gids),
        FIELD_END,
};

static int dec_capset(struct dctx *c, json_t *v, uint64_t *mask)
{
        const char **names;
        size_t n;
        int r = decode_strv(c, v, &names, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                int cap = cap_from_name_str(names[i]);
                if (cap < 0) {
                        /* runtime-spec: a capability that cannot be granted SHOULD be a warning. */
                        size_t old = dctx_push_index(c, i);
                        dctx_warn(c, "unknown capability \"%s\" dropped", names[i]);
                        dctx_pop(c, old);
                        continue;
                }
                *mask |= 1ULL << cap;
        }
        return 0;
}

static int dec_caps(struct dctx *c, json_t *v, void *base)
{
        struct spec_process *p = base;
        static const struct {
                const char *key;
                size_t off;
        } sets[] = {
                { "bounding", offsetof(struct spec_caps, bounding) },
                { "effective", offsetof(struct spec_caps, effective) },
                { "inheritable", offsetof(struct spec_caps, inheritable) },
                { "permitted", offsetof(struct spec_caps, permitted) },
                { "ambient", offsetof(struct spec_caps, ambient) },
        };
        if (!json_is_object(v))
                return dctx_fail(c, "expected an object");
        for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
                json_t *s = json_object_get(v, sets[i].key);
                if (!s || json_is_null(s))
                        continue;
                size_t old = dctx_push_key(c, sets[i].key);
                int r = dec_capset(c, s, (uint64_t *) ((char *) &p->caps + sets[i].off));
                if (r < 0)
                        return r;
                dctx_pop(c, old);
        }
        /* The kernel raises an ambient capability only when it is permitted and
         * inheritable too: the others cannot be granted, so they are dropped. */
        uint64_t lost = p->caps.ambient & ~(p->caps.permitted & p->caps.inheritable);
        if (lost) {
                char names[1024];
                size_t old = dctx_push_key(c, "ambient");
                cap_mask_names(lost, names, sizeof names);
                dctx_warn(c, "%s dropped: an ambient capability must also be permitted and inheritable", names);
                dctx_pop(c, old);
                p->caps.ambient &= ~lost;
        }
        return 0;
}

struct rlimit_raw {
        const char *type;
        uint64_t soft, hard;
};

static const struct field rlimit_fields[] = {
        S("type", struct rlimit_raw, type),
        U64("soft", struct rlimit_raw, soft),
        U64("hard", struct rlimit_raw, hard),
        FIELD_END,
};

static int dec_rlimits(struct dctx *c, json_t *v, void *base)
{
        struct spec_process *p = base;
        struct rlimit_raw *raw;
        size_t n;
        int r = decode_array(c, v, rlimit_fields, sizeof *raw, (void **) &raw, &n);
        if (r < 0)
                return r;
        p->rlimits = spec_alloc(c->spec, (n ? n : 1) * sizeof *p->rlimits);
        if (!p->rlimits)
                return oom(c);
        for (size_t i = 0; i < n; i++) {
                size_t old = dctx_push_index(c, i);
                if (!raw[i].type) {
                        dctx_push_key(c, "type");
                        return dctx_fail(c, "is required");
                }
                int res = rlimit_from_name(raw[i].type);
                if (res < 0) {
                        dctx_push_key(c, "type");
                        return dctx_fail(c, "unknown rlimit \"%s\"", raw[i].type);
                }
                for (size_t j = 0; j < i; j++)
                        if (p->rlimits[j].resource == res) {
                                dctx_push_key(c, "type");
                                return dctx_fail(c, "duplicate rlimit \"%s\"", raw[i].type);
                        }
                if (raw[i].soft > raw[i].hard)
                        return dctx_fail(c, "soft limit %llu is above hard limit %llu",
                                         (unsigned long long) raw[i].soft, (unsigned long long) raw[i].hard);
                p->rlimits[i] = (struct spec_rlimit) { res, raw[i].soft, raw[i].hard };
                dctx_pop(c, old);
        }
        p->n_rlimits = n;
        return 0;
}

static int dec_user(struct dctx *c, json_t *v, void *base)
{
        return decode_object(c, v, user_fields, base);
}

static const struct field console_size_fields[] = {
        U32("height", struct spec_process, console_height),
        U32("width", struct spec_process, console_width),
        FIELD_END,
};

static int dec_console_size(struct dctx *c, json_t *v, void *base)
{
        return decode_object(c, v, console_size_fields, base);
}

static const struct field process_fields[] = {
        B("terminal", struct spec_process, terminal),
        FNH("consoleSize", dec_console_size, struct spec_process, has_console_size),
        FN("user", dec_user),
        SV("args", struct spec_process, args, n_args),
        SV("env", struct spec_process, env, n_env),
        S("cwd", struct spec_process, cwd),
        FNH("capabilities", dec_caps, struct spec_process, has_caps),
        FN("rlimits", dec_rlimits),
        B("noNewPrivileges", struct spec_process, no_new_privileges),
        I32H("oomScoreAdj", struct spec_process, oom_score_adj, has_oom_score_adj),
        S("apparmorProfile", struct spec_process, apparmor_profile),
        S("selinuxLabel", struct spec_process, selinux_label),
        FNH("ioPriority", decode_io_priority, struct spec_process, has_io_priority),
        FNH("scheduler", decode_scheduler, struct spec_process, has_scheduler),
        FN("execCPUAffinity", decode_exec_cpu_affinity),
        FIELD_END,
};

static int dec_process(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        return decode_object(c, v, process_fields, &s->process);
}

/* ---- root, mounts ---- */

static const struct field root_fields[] = {
        S("path", struct spec, root_path),
        B("readonly", struct spec, root_readonly),
        FIELD_END,
};

static int dec_idmaps(struct dctx *c, json_t *v, struct spec_idmap **ret, size_t *ret_n);

static int dec_mount_uidmaps(struct dctx *c, json_t *v, void *base)
{
        struct spec_mount *m = base;
        m->has_idmap = true;
        return dec_idmaps(c, v, &m->uid_maps, &m->n_uid_maps);
}

static int dec_mount_gidmaps(struct dctx *c, json_t *v, void *base)
{
        struct spec_mount *m = base;
        m->has_idmap = true;
        return dec_idmaps(c, v, &m->gid_maps, &m->n_gid_maps);
}

static const struct field mount_fields[] = {
        FN("uidMappings", dec_mount_uidmaps),
        FN("gidMappings", dec_mount_gidmaps),
        S("destination", struct spec_mount, destination),
        S("type", struct spec_mount, type),
        S("source", struct spec_mount, source),
        SV("options", struct spec_mount, options, n_options),
        FIELD_END,
};

static int dec_mounts(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        int r = decode_array(c, v, mount_fields, sizeof *s->mounts, (void **) &s->mounts, &s->n_mounts);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_mounts; i++) {
                struct spec_mount *m = &s->mounts[i];
                size_t old = dctx_push_index(c, i);
                if (!m->destination) {
                        dctx_push_key(c, "destination");
                        return dctx_fail(c, "is required");
                }
                if (m->destination[0] != '/') {
                        dctx_push_key(c, "destination");
                        return dctx_fail(c, "\"%s\" is not an absolute path", m->destination);
                }
                size_t old2 = dctx_push_key(c, "options");
                r = mount_options_parse(c, m);
                if (r < 0)
                        return r;
                dctx_pop(c, old2);
                if (!m->bind && !m->type) {
                        dctx_push_key(c, "type");
                        return dctx_fail(c, "is required unless the options contain bind or rbind");
                }
                if (m->has_idmap && (!m->n_uid_maps || !m->n_gid_maps))
                        return dctx_fail(c, "an idmapped mount needs both uidMappings and gidMappings");
                if (m->has_idmap)
                        m->idmap = true; /* the mappings imply "idmap" */
                if (m->idmap && !m->bind)
                        return dctx_fail(c, "idmap and ridmap are supported on bind mounts only");
                if (m->bind && !m->source) {
                        dctx_push_key(c, "source");
                        return dctx_fail(c, "is required for a bind mount");
                }
                dctx_pop(c, old);
        }
        return 0;
}

/* ---- linux ---- */

struct ns_raw {
        const char *type, *path;
};

static const struct field ns_fields[] = {
        S("type", struct ns_raw, type),
        S("path", struct ns_raw, path),
        FIELD_END,
};

static int dec_namespaces(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        struct ns_raw *raw;
        size_t n;
        int r = decode_array(c, v, ns_fields, sizeof *raw, (void **) &raw, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                size_t old = dctx_push_index(c, i);
                if (!raw[i].type) {
                        dctx_push_key(c, "type");
                        return dctx_fail(c, "is required");
                }
                int t = ns_type_from_name(raw[i].type);
                if (t < 0) {
                        dctx_push_key(c, "type");
                        return dctx_fail(c, "unknown namespace \"%s\"", raw[i].type);
                }
                if (s->ns[t].present) {
                        dctx_push_key(c, "type");
                        return dctx_fail(c, "duplicate namespace \"%s\"", raw[i].type);
                }
                if (raw[i].path && raw[i].path[0] == '\0')
                        raw[i].path = NULL;
                if (raw[i].path && raw[i].path[0] != '/') {
                        dctx_push_key(c, "path");
                        return dctx_fail(c, "\"%s\" is not an absolute path", raw[i].path);
                }
                s->ns[t].present = true;
                s->ns[t].path = raw[i].path;
                dctx_pop(c, old);
        }
        return 0;
}

static const struct field idmap_fields[] = {
        ID("containerID", struct spec_idmap, container_id),
        ID("hostID", struct spec_idmap, host_id),
        U32("size", struct spec_idmap, size),
        FIELD_END,
};

static bool ranges_overlap(uint32_t a, uint32_t b, uint32_t size_a, uint32_t size_b)
{
        return (uint64_t) a < (uint64_t) b + size_b && (uint64_t) b < (uint64_t) a + size_a;
}

/* What the kernel accepts in uid_map/gid_map, checked here so the error
 * names the JSON path: at most 340 lines, no range past id 4294967294
 * ((uid_t)-1 is no id), no two lines overlapping on either side. */
static int dec_idmaps(struct dctx *c, json_t *v, struct spec_idmap **ret, size_t *ret_n)
{
        if (json_is_array(v) && json_array_size(v) > SPEC_IDMAP_MAX)
                return dctx_fail(c, "%zu mappings; the kernel accepts at most %d", json_array_size(v),
                                 SPEC_IDMAP_MAX);
        int r = decode_array(c, v, idmap_fields, sizeof **ret, (void **) ret, ret_n);
        if (r < 0)
                return r;
        size_t text_len = 0;
        for (size_t i = 0; i < *ret_n; i++) {
                const struct spec_idmap *m = &(*ret)[i];
                text_len += (size_t) snprintf(NULL, 0, "%u %u %u\n", m->container_id, m->host_id, m->size);
                size_t old = dctx_push_index(c, i);
                if (m->size == 0) {
                        dctx_push_key(c, "size");
                        return dctx_fail(c, "must be greater than 0");
                }
                if ((uint64_t) m->container_id + m->size > UINT32_MAX)
                        return dctx_fail(c, "containerID %u + size %u goes past id 4294967294", m->container_id,
                                         m->size);
                if ((uint64_t) m->host_id + m->size > UINT32_MAX)
                        return dctx_fail(c, "hostID %u + size %u goes past id 4294967294", m->host_id, m->size);
                for (size_t j = 0; j < i; j++) {
                        const struct spec_idmap *o = &(*ret)[j];
                        if (ranges_overlap(m->container_id, o->container_id, m->size, o->size))
                                return dctx_fail(c, "its containerID range overlaps that of [%zu]", j);
                        if (ranges_overlap(m->host_id, o->host_id, m->size, o->size))
                                return dctx_fail(c, "its hostID range overlaps that of [%zu]", j);
                }
                dctx_pop(c, old);
        }
        /* The kernel takes the map in one write of less than a page. */
        long page = sysconf(_SC_PAGESIZE);
        if (page > 0 && text_len >= (size_t) page)
                return dctx_fail(c, "the mappings take %zu bytes as text; the kernel accepts less than %ld "
                                 "(use fewer, larger ranges)", text_len, page);
        return 0;
}

static int dec_uidmaps(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        return dec_idmaps(c, v, &s->uid_mappings, &s->n_uid_mappings);
}

static int dec_gidmaps(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        return dec_idmaps(c, v, &s->gid_mappings, &s->n_gid_mappings);
}

struct device_raw {
        const char *path, *type;
        int64_t major, minor;
        uint32_t mode, uid, gid;
        bool has_mode, has_uid, has_gid;
};

static const struct field device_fields[] = {
        S("path", struct device_raw, path),
        S("type", struct device_raw, type),
        I64("major", struct device_raw, major),
        I64("minor", struct device_raw, minor),
        U32H("fileMode", struct device_raw, mode, has_mode),
        IDH("uid", struct device_raw, uid, has_uid),
        IDH("gid", struct device_raw, gid, has_gid),
        FIELD_END,
};

static int dec_devices(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        struct device_raw *raw;
        size_t n;
        int r = decode_array(c, v, device_fields, sizeof *raw, (void **) &raw, &n);
        if (r < 0)
                return r;
        s->devices = spec_alloc(c->spec, (n ? n : 1) * sizeof *s->devices);
        if (!s->devices)
                return oom(c);
        for (size_t i = 0; i < n; i++) {
                size_t old = dctx_push_index(c, i);
                struct device_raw *d = &raw[i];
                if (!d->path || d->path[0] != '/') {
                        dctx_push_key(c, "path");
                        return dctx_fail(c, d->path ? "\"%s\" is not an absolute path" : "is required%s",
                                         d->path ? d->path : "");
                }
                if (!d->type || strlen(d->type) != 1 || !strchr("cbup", d->type[0])) {
                        dctx_push_key(c, "type");
                        return dctx_fail(c, "must be one of c, b, u or p, got \"%s\"", d->type ? d->type : "");
                }
                if (d->type[0] != 'p' && (d->major < 0 || d->minor < 0 || d->major > 0xfff || d->minor > 0xfffff))
                        return dctx_fail(c, "major and minor numbers are required and must be in range");
                s->devices[i] = (struct spec_device) {
                        .path = d->path, .type = d->type[0], .major = d->major, .minor = d->minor,
                        .has_mode = d->has_mode, .has_uid = d->has_uid, .has_gid = d->has_gid,
                        .mode = d->mode, .uid = d->uid, .gid = d->gid,
                };
                dctx_pop(c, old);
        }
        s->n_devices = n;
        return 0;
}

static int dec_sysctl(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        if (!json_is_object(v))
                return dctx_fail(c, "expected an object of strings");
        size_t n = json_object_size(v), i = 0;
        s->sysctl = spec_alloc(c->spec, (n ? n : 1) * sizeof *s->sysctl);
        if (!s->sysctl)
                return oom(c);
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val) {
                size_t old = dctx_push_key(c, key);
                int r = decode_string(c, val, &s->sysctl[i].value);
                if (r < 0)
                        return r;
                s->sysctl[i++].key = key;
                dctx_pop(c, old);
        }
        s->n_sysctl = i;
        return 0;
}

static const struct field offset_fields[] = {
        I64("secs", struct spec_time_offset, secs),
        U32("nanosecs", struct spec_time_offset, nanosecs),
        FIELD_END,
};

static int offset_clock(struct dctx *c, const char *key, void *entry)
{
        struct spec_time_offset *o = entry;
        if (strcmp(key, "monotonic") != 0 && strcmp(key, "boottime") != 0)
                return dctx_fail(c, "unknown clock (expected monotonic or boottime)");
        if (o->nanosecs >= 1000000000U)
                return dctx_fail(c, "nanosecs must be below 1000000000");
        o->clock = key;
        return 0;
}

static int dec_time_offsets(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        return decode_map(c, v, offset_fields, sizeof *s->time_offsets, offset_clock, (void **) &s->time_offsets,
                          &s->n_time_offsets);
}

static bool ifname_valid(const char *n)
{
        size_t len = strlen(n);
        if (len == 0 || len >= 16 || strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
                return false;
        for (const char *p = n; *p; p++)
                if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t' || *p == '\n')
                        return false;
        return true;
}

static const struct field net_device_fields[] = {
        S("name", struct spec_net_device, name),
        FIELD_END,
};

static int net_device_names(struct dctx *c, const char *key, void *entry)
{
        struct spec_net_device *d = entry;
        if (!ifname_valid(key))
                return dctx_fail(c, "invalid network interface name");
        d->host = key;
        if (!d->name || !*d->name)
                d->name = key;
        else if (!ifname_valid(d->name))
                return dctx_fail(c, "name: invalid network interface name \"%s\"", d->name);
        return 0;
}

static int dec_net_devices(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        return decode_map(c, v, net_device_fields, sizeof *s->net_devices, net_device_names,
                          (void **) &s->net_devices, &s->n_net_devices);
}

static int dec_propagation(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        const char *name;
        int r = decode_string(c, v, &name);
        if (r < 0)
                return r;
        if (*name == '\0')
                return 0;
        s->rootfs_propagation = propagation_from_name(name);
        if (!s->rootfs_propagation)
                return dctx_fail(c, "unknown propagation \"%s\"", name);
        return 0;
}

static int dec_present_rdt(struct dctx *c, json_t *v, void *base)
{
        ((struct spec *) base)->has_intel_rdt = true;
        return 0;
}

static int dec_cgroups_path(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        int r = decode_string(c, v, &s->cgroups_path);
        if (r == 0 && s->cgroups_path[0] == '\0')
                s->cgroups_path = NULL;
        return r;
}

static const struct field linux_fields[] = {
        FN("namespaces", dec_namespaces),
        FN("uidMappings", dec_uidmaps),
        FN("gidMappings", dec_gidmaps),
        FN("devices", dec_devices),
        SV("maskedPaths", struct spec, masked_paths, n_masked_paths),
        SV("readonlyPaths", struct spec, readonly_paths, n_readonly_paths),
        FN("sysctl", dec_sysctl),
        FN("timeOffsets", dec_time_offsets),
        FN("rootfsPropagation", dec_propagation),
        S("mountLabel", struct spec, mount_label),
        FN("cgroupsPath", dec_cgroups_path),
        FN("resources", decode_resources),
        FN("seccomp", decode_seccomp),
        FN("intelRdt", dec_present_rdt),
        FNH("personality", decode_personality, struct spec, has_personality),
        FNH("memoryPolicy", decode_memory_policy, struct spec, has_memory_policy),
        FN("netDevices", dec_net_devices),
        FIELD_END,
};

static const char *const hook_keys[HOOK__COUNT] = {
        [HOOK_PRESTART] = "prestart",
        [HOOK_CREATE_RUNTIME] = "createRuntime",
        [HOOK_CREATE_CONTAINER] = "createContainer",
        [HOOK_START_CONTAINER] = "startContainer",
        [HOOK_POSTSTART] = "poststart",
        [HOOK_POSTSTOP] = "poststop",
};

const char *hook_phase_name(enum hook_phase p)
{
        return p < HOOK__COUNT ? hook_keys[p] : "?";
}

static const struct field hook_fields[] = {
        S("path", struct spec_hook, path),
        SV("args", struct spec_hook, args, n_args),
        SV("env", struct spec_hook, env, n_env),
        I32H("timeout", struct spec_hook, timeout, has_timeout),
        FIELD_END,
};

static int dec_hooks(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        if (!json_is_object(v))
                return dctx_fail(c, "expected an object");
        for (int p = 0; p < HOOK__COUNT; p++) {
                json_t *list = json_object_get(v, hook_keys[p]);
                if (!list || json_is_null(list))
                        continue;
                size_t old = dctx_push_key(c, hook_keys[p]);
                struct spec_hooks *h = &s->hooks[p];
                int r = decode_array(c, list, hook_fields, sizeof *h->list, (void **) &h->list, &h->n);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < h->n; i++) {
                        size_t old2 = dctx_push_index(c, i);
                        if (!h->list[i].path || h->list[i].path[0] != '/') {
                                dctx_push_key(c, "path");
                                return dctx_fail(c, "must be an absolute path");
                        }
                        if (h->list[i].has_timeout && h->list[i].timeout <= 0) {
                                dctx_push_key(c, "timeout");
                                return dctx_fail(c, "must be greater than 0");
                        }
                        dctx_pop(c, old2);
                }
                dctx_pop(c, old);
        }
        return 0;
}

/* NUL bytes in strings are decoded, so the string decoders refuse them by JSON path. */
#define SPEC_JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

static int dec_annotations(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        if (!json_is_object(v))
                return dctx_fail(c, "expected an object of strings");
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val) {
                const char *text;
                size_t old = dctx_push_key(c, key);
                int r = decode_string(c, val, &text);
                if (r < 0)
                        return r;
                dctx_pop(c, old);
        }
        s->annotations = v;
        return 0;
}

static const struct field spec_fields[] = {
        S("ociVersion", struct spec, oci_version),
        OBJ("root", root_fields),
        FNH("process", dec_process, struct spec, has_process),
        SH("hostname", struct spec, hostname, has_hostname),
        SH("domainname", struct spec, domainname, has_domainname),
        FN("mounts", dec_mounts),
        OBJ("linux", linux_fields),
        FN("hooks", dec_hooks),
        FN("annotations", dec_annotations),
        FIELD_END,
};

int spec_decode(const char *text, size_t len, const char *origin, struct spec **ret, struct carrel_error *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(text, len, SPEC_JSON_FLAGS, &jerr);
        if (!root)
                return carrel_error_set(err, EINVAL, "%s: invalid JSON at line %d, column %d: %s", origin,
                                        jerr.line, jerr.column, jerr.text);
        struct spec *s = calloc(1, sizeof *s);
        if (!s) {
                json_decref(root);
                return carrel_error_set(err, ENOMEM, "out of memory");
        }
        s->json = root;
        struct dctx c = { .spec = s, .err = err, .origin = origin };
        int r = decode_object(&c, root, spec_fields, s);
        if (r < 0) {
                spec_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int spec_decode_process(struct spec *s, const char *text, size_t len, const char *origin, struct carrel_error *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(text, len, SPEC_JSON_FLAGS, &jerr);
        if (!root)
                return carrel_error_set(err, EINVAL, "%s: invalid JSON at line %d, column %d: %s", origin, jerr.line,
                                        jerr.column, jerr.text);
        json_decref(s->process_json);
        s->process_json = root;
        memset(&s->process, 0, sizeof s->process);
        s->has_process = true;
        struct dctx c = { .spec = s, .err = err, .origin = origin };
        return decode_object(&c, root, process_fields, &s->process);
}

#define CONFIG_MAX (64 * 1024 * 1024)

/* Read a FIFO to its end, waiting at most timeout_ms for each piece. */
static int read_fifo(int fd, const char *path, int timeout_ms, char **ret, size_t *ret_len, struct carrel_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int n = poll(&p, 1, timeout_ms);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return carrel_error_errno(err, errno, "cannot read %s", path);
                if (n == 0)
                        return carrel_error_set(err, ETIMEDOUT, "%s: a FIFO with no writer (nothing to read after %d s)",
                                                path, timeout_ms / 1000);
                if (len + 65536 + 1 > cap) {
                        char *nb = realloc(buf, cap = cap * 2 + 65536 + 1);
                        if (!nb)
                                return carrel_error_set(err, ENOMEM, "out of memory");
                        buf = nb;
                }
                ssize_t got = read(fd, buf + len, cap - len - 1);
                if (got < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (got < 0)
                        return carrel_error_errno(err, errno, "cannot read %s", path);
                if (got == 0)
                        break;
                len += (size_t) got;
                if (len > CONFIG_MAX)
                        return carrel_error_set(err, EFBIG, "%s: larger than 64 MiB", path);
        }
        if (!buf && !(buf = malloc(1)))
                return carrel_error_set(err, ENOMEM, "out of memory");
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int read_config_source(const char *path, int fifo_timeout_ms, char **ret, size_t *ret_len, struct carrel_error *err)
{
        /* O_NONBLOCK: opening a FIFO without a writer must not hang. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return carrel_error_errno(err, errno, "cannot open %s", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return carrel_error_errno(err, errno, "cannot stat %s", path);
        /* exec --process: a pipe (/dev/fd/N, <(...)) or a character device is
         * read to its end, and a FIFO nobody writes to times out. */
        if ((S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) && fifo_timeout_ms > 0)
                return read_fifo(fd, path, fifo_timeout_ms, ret, ret_len, err);
        if (!S_ISREG(st.st_mode))
                return carrel_error_set(err, EINVAL, "%s: not a regular file", path);
        if (st.st_size > CONFIG_MAX)
                return carrel_error_set(err, EFBIG, "%s: larger than 64 MiB", path);
        if (fcntl(fd, F_SETFL, 0) < 0)
                return carrel_error_errno(err, errno, "cannot read %s", path);
        _cleanup_free_ char *buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return carrel_error_set(err, ENOMEM, "out of memory");
        size_t got = 0;
        while (got < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t) st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return carrel_error_errno(err, errno, "cannot read %s", path);
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        buf[got] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = got;
        return 0;
}

int read_config_file(const char *path, char **ret, size_t *ret_len, struct carrel_error *err)
{
        return read_config_source(path, 0, ret, ret_len, err);
}

int spec_load_file(const char *path, struct spec **ret, struct carrel_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = read_config_file(path, &buf, &len, err);
        if (r < 0)
                return r;
        const char *base = strrchr(path, '/');
        return spec_decode(buf, len, base ? base + 1 : path, ret, err);
}
