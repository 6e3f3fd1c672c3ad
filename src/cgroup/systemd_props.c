#include "cgroup/systemd_props.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool valid_name(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!(('a' <= s[i] && s[i] <= 'z') || ('A' <= s[i] && s[i] <= 'Z') || ('0' <= s[i] && s[i] <= '9') ||
                      strchr(":-_.\\@", s[i])))
                        return false;
        return true;
}

int systemd_unit_for(const char *cgroups_path, const char *id, const char *fallback, char *slice, size_t slice_size,
                     char *unit, size_t unit_size, struct carrel_error *err)
{
        int n;
        if (!cgroups_path || !cgroups_path[0]) {
                snprintf(slice, slice_size, "%s", fallback);
                n = snprintf(unit, unit_size, "carrel-%s.scope", id);
        } else {
                const char *c1 = strchr(cgroups_path, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || strchr(c2 + 1, ':'))
                        return carrel_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\": the systemd cgroup driver "
                                                "expects slice:prefix:name (run without --systemd-cgroup for a "
                                                "cgroupfs path)", cgroups_path);
                size_t ls = (size_t) (c1 - cgroups_path), lp = (size_t) (c2 - c1 - 1);
                const char *name = c2 + 1;
                if (!valid_name(name, strlen(name)) || (lp && !valid_name(c1 + 1, lp)))
                        return carrel_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\": the prefix and name may hold "
                                                "only letters, digits and :-_.\\@ (and a name is required)",
                                                cgroups_path);
                if (ls == 0)
                        snprintf(slice, slice_size, "%s", fallback);
                else if (ls >= slice_size)
                        return carrel_error_set(err, ENAMETOOLONG, "linux.cgroupsPath: the slice is too long");
                else
                        snprintf(slice, slice_size, "%.*s", (int) ls, cgroups_path);
                size_t ln = strlen(name);
                if (ln > 6 && strcmp(name + ln - 6, ".slice") == 0)
                        return carrel_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\": the name must make a scope, "
                                                "not a slice", cgroups_path);
                n = lp ? snprintf(unit, unit_size, "%.*s-%s.scope", (int) lp, c1 + 1, name)
                       : snprintf(unit, unit_size, "%s.scope", name);
        }
        if (n < 0 || (size_t) n >= unit_size)
                return carrel_error_set(err, ENAMETOOLONG, "linux.cgroupsPath: the unit name is too long");
        char path[1024];
        return systemd_slice_path(slice, path, sizeof path, err);
}

int systemd_slice_path(const char *slice, char *buf, size_t size, struct carrel_error *err)
{
        size_t n = strlen(slice);
        buf[0] = '\0';
        if (strcmp(slice, "-.slice") == 0)
                return 0;
        if (n <= 6 || strcmp(slice + n - 6, ".slice") != 0 || strchr(slice, '/'))
                return carrel_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\" is not a slice name (NAME.slice)", slice);
        size_t stem = n - 6, len = 0;
        if (slice[0] == '-' || slice[stem - 1] == '-' || strstr(slice, "--"))
                return carrel_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\": a slice name has no leading, trailing "
                                        "or double dash", slice);
        /* Every dash closes one level: a-b-c.slice is /a.slice/a-b.slice/a-b-c.slice. */
        for (size_t i = 0; i <= stem; i++) {
                if (i < stem && slice[i] != '-')
                        continue;
                int w = snprintf(buf + len, size - len, "/%.*s.slice", (int) i, slice);
                if (w < 0 || (size_t) w >= size - len)
                        return carrel_error_set(err, ENAMETOOLONG, "linux.cgroupsPath: the slice is too long");
                len += (size_t) w;
        }
        return 0;
}

uint64_t systemd_cpu_weight(uint64_t shares)
{
        if (shares == 0)
                return 0;
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t systemd_io_weight(uint16_t blkio)
{
        if (blkio == 0)
                return 0;
        uint64_t w = blkio < 10 ? 10 : blkio > 1000 ? 1000 : blkio;
        return 1 + ((w - 10) * 9999) / 990;
}

uint64_t systemd_cpu_quota_usec(int64_t quota, uint64_t period)
{
        if (quota <= 0 || period == 0)
                return SD_INFINITY;
        uint64_t usec = (uint64_t) quota * 1000000 / period;
        /* systemd keeps the quota per second in 10ms steps: round up, never below what was asked. */
        if (usec % 10000)
                usec = (usec / 10000 + 1) * 10000;
        return usec;
}

int systemd_cpu_mask(const char *list, uint8_t *bytes, size_t max, size_t *ret_n, struct carrel_error *err)
{
        memset(bytes, 0, max);
        size_t n = 0;
        const char *p = list;
        while (*p) {
                char *end;
                unsigned long a = strtoul(p, &end, 10), b = a;
                if (end == p)
                        goto bad;
                if (*end == '-') {
                        p = end + 1;
                        b = strtoul(p, &end, 10);
                        if (end == p || b < a)
                                goto bad;
                }
                if (b >= max * 8)
                        return carrel_error_set(err, ERANGE, "cpu or node list \"%s\": %lu is beyond %zu", list, b,
                                                max * 8 - 1);
                for (unsigned long i = a; i <= b; i++)
                        bytes[i / 8] |= (uint8_t) (1U << (i % 8));
                if (b / 8 + 1 > n)
                        n = b / 8 + 1;
                if (*end == ',')
                        end++;
                else if (*end && *end != '\n')
                        goto bad;
                p = *end == '\n' ? end + 1 : end;
        }
        *ret_n = n;
        return 0;
bad:
        return carrel_error_set(err, EINVAL, "cpu or node list \"%s\": expected numbers and ranges like 0-3,8", list);
}

static struct sd_prop *add(struct sd_props *o, const char *name, uint64_t u)
{
        struct sd_prop *p = &o->p[o->n++];
        *p = (struct sd_prop) { .name = name, .type = SD_U64, .u = u };
        return p;
}

static uint64_t limit(int64_t v)
{
        return v < 0 ? SD_INFINITY : (uint64_t) v;
}

int systemd_resource_props(const struct spec_resources *r, struct sd_props *o, struct carrel_error *err)
{
        o->n = 0;
        if (!r)
                return 0;
        if (r->has_memory_limit)
                add(o, "MemoryMax", limit(r->memory_limit));
        if (r->has_memory_reservation)
                add(o, "MemoryLow", limit(r->memory_reservation));
        /* memory.swap is memory plus swap; MemorySwapMax is the swap alone. */
        if (r->has_memory_swap && r->memory_swap < 0)
                add(o, "MemorySwapMax", SD_INFINITY);
        else if (r->has_memory_swap && r->has_memory_limit && r->memory_limit >= 0) {
                if (r->memory_swap < r->memory_limit)
                        return carrel_error_set(err, EINVAL, "linux.resources.memory.swap (%lld) is below memory.limit "
                                                "(%lld)", (long long) r->memory_swap, (long long) r->memory_limit);
                add(o, "MemorySwapMax", (uint64_t) (r->memory_swap - r->memory_limit));
        }
        if (r->has_pids_limit)
                add(o, "TasksMax", r->pids_limit <= 0 ? SD_INFINITY : (uint64_t) r->pids_limit);
        if (r->has_cpu_shares && r->cpu_shares)
                add(o, "CPUWeight", systemd_cpu_weight(r->cpu_shares));
        if (r->has_cpu_quota || r->has_cpu_period) {
                uint64_t period = r->has_cpu_period && r->cpu_period ? r->cpu_period : 100000;
                if (r->has_cpu_period && r->cpu_period)
                        add(o, "CPUQuotaPeriodUSec", period);
                if (r->has_cpu_quota)
                        add(o, "CPUQuotaPerSecUSec", systemd_cpu_quota_usec(r->cpu_quota, period));
        }
        if (r->has_blkio_weight && r->blkio_weight)
                add(o, "IOWeight", systemd_io_weight(r->blkio_weight));
        const char *masks[2][2] = { { "AllowedCPUs", r->cpus }, { "AllowedMemoryNodes", r->mems } };
        for (int i = 0; i < 2; i++) {
                if (!masks[i][1] || !masks[i][1][0])
                        continue;
                struct sd_prop *p = add(o, masks[i][0], 0);
                p->type = SD_BYTES;
                int rc = systemd_cpu_mask(masks[i][1], p->bytes, sizeof p->bytes, &p->n_bytes, err);
                if (rc < 0)
                        return rc;
        }
        return 0;
}
