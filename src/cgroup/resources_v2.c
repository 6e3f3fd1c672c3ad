/* The v2 driver's writers: linux.resources -> cgroup v2 files. Every writer takes the cgroup's
 * directory fd, so unit tests can point it at a temporary directory. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fd.h"

static const char *const controller_names[] = { "cpu", "cpuset", "memory", "io", "pids", "hugetlb", "rdma", "misc" };

const char *cgroup_controller_name(unsigned bit)
{
        for (size_t i = 0; i < ARRAY_SIZE(controller_names); i++)
                if (bit == 1U << i)
                        return controller_names[i];
        return "?";
}

unsigned cgroup_controller_of_file(const char *file)
{
        for (size_t i = 0; i < ARRAY_SIZE(controller_names); i++) {
                size_t n = strlen(controller_names[i]);
                if (strncmp(file, controller_names[i], n) == 0 && file[n] == '.')
                        return 1U << i;
        }
        return 0;
}

unsigned cgroup_controllers_needed(const struct spec_resources *r)
{
        unsigned m = 0;
        if (r->has_memory_limit || r->has_memory_reservation || r->has_memory_swap)
                m |= CG_MEMORY;
        if (r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period || r->has_cpu_burst || r->has_cpu_idle)
                m |= CG_CPU;
        if (r->cpus || r->mems)
                m |= CG_CPUSET;
        if (r->has_pids_limit)
                m |= CG_PIDS;
        if (r->has_blkio_weight || r->n_weight_devices || r->n_throttle[0] || r->n_throttle[1] || r->n_throttle[2] ||
            r->n_throttle[3])
                m |= CG_IO;
        if (r->n_hugepages)
                m |= CG_HUGETLB;
        if (r->n_rdma)
                m |= CG_RDMA;
        for (size_t i = 0; i < r->n_unified; i++)
                m |= cgroup_controller_of_file(r->unified[i].key);
        return m;
}

static int put(int dirfd, const char *what, const char *file, struct carrel_error *err, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static int put(int dirfd, const char *what, const char *file, struct carrel_error *err, const char *fmt, ...)
{
        char value[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(value, sizeof value, fmt, ap);
        va_end(ap);
        int r = write_file_at(dirfd, file, value);
        if (r < 0)
                return carrel_error_set(err, -r, "linux.resources.%s: cannot write \"%s\" to %s: %s", what, value, file,
                                        strerror(-r));
        return 0;
}

static int refuse(struct carrel_error *err, const char *what, const char *why)
{
        return carrel_error_set(err, ENOTSUP, "linux.resources.%s: %s", what, why);
}

static long long read_number(int dirfd, const char *file)
{
        char buf[64];
        return read_file_at(dirfd, file, buf, sizeof buf) > 0 ? atoll(buf) : -1;
}

static int apply_memory(int fd, const struct spec_resources *r, bool update, struct carrel_error *err)
{
        int rc = 0;
        if (r->disable_oom_killer)
                return refuse(err, "memory.disableOOMKiller", "cgroup v2 cannot turn the OOM killer off");
        if (r->has_swappiness)
                return refuse(err, "memory.swappiness", "cgroup v2 has no per-cgroup swappiness");
        if (r->has_kernel_memory)
                return refuse(err, "memory.kernel", "kernel memory limits do not exist in cgroup v2");
        if (r->has_memory_limit) {
                if (update && r->check_before_update && r->memory_limit > 0) {
                        long long cur = read_number(fd, "memory.current");
                        if (cur > r->memory_limit)
                                return carrel_error_set(err, EBUSY, "linux.resources.memory.limit: %lld is below the "
                                                        "current usage %lld (checkBeforeUpdate)",
                                                        (long long) r->memory_limit, cur);
                }
                if (r->memory_limit > 0)
                        rc = put(fd, "memory.limit", "memory.max", err, "%lld", (long long) r->memory_limit);
                else
                        rc = put(fd, "memory.limit", "memory.max", err, "max");
        }
        if (rc == 0 && r->has_memory_swap) {
                /* OCI's swap is memory plus swap; cgroup v2's swap.max is the swap alone. */
                if (r->memory_swap < 0)
                        rc = put(fd, "memory.swap", "memory.swap.max", err, "max");
                else if (!r->has_memory_limit || r->memory_limit <= 0)
                        return refuse(err, "memory.swap", "needs memory.limit (swap is memory plus swap)");
                else if (r->memory_swap < r->memory_limit)
                        return carrel_error_set(err, EINVAL, "linux.resources.memory.swap: %lld is below "
                                                "memory.limit %lld", (long long) r->memory_swap,
                                                (long long) r->memory_limit);
                else
                        rc = put(fd, "memory.swap", "memory.swap.max", err, "%lld",
                                 (long long) (r->memory_swap - r->memory_limit));
        }
        if (rc == 0 && r->has_memory_reservation)
                rc = put(fd, "memory.reservation", "memory.low", err, "%lld",
                         (long long) (r->memory_reservation > 0 ? r->memory_reservation : 0));
        return rc;
}

/* The usual shares -> weight mapping: [2, 262144] onto [1, 10000]. */
static unsigned long long shares_to_weight(unsigned long long shares)
{
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

static int apply_cpu(int fd, const struct spec_resources *r, struct carrel_error *err)
{
        int rc = 0;
        if (r->has_cpu_realtime)
                return refuse(err, "cpu.realtimeRuntime", "real-time CPU limits do not exist in cgroup v2");
        if (r->has_cpu_shares && r->cpu_shares)
                rc = put(fd, "cpu.shares", "cpu.weight", err, "%llu", shares_to_weight(r->cpu_shares));
        if (rc == 0 && (r->has_cpu_quota || r->has_cpu_period)) {
                unsigned long long period = r->has_cpu_period && r->cpu_period ? r->cpu_period : 0;
                char cur[64] = "max 100000", quota[32];
                read_file_at(fd, "cpu.max", cur, sizeof cur);
                if (!period)
                        period = strtoull(strchr(cur, ' ') ? strchr(cur, ' ') + 1 : "100000", NULL, 10);
                if (r->has_cpu_quota)
                        snprintf(quota, sizeof quota, r->cpu_quota > 0 ? "%lld" : "max", (long long) r->cpu_quota);
                else
                        snprintf(quota, sizeof quota, "%.*s", (int) strcspn(cur, " "), cur);
                rc = put(fd, "cpu.quota", "cpu.max", err, "%s %llu", quota, period);
        }
        if (rc == 0 && r->has_cpu_burst)
                rc = put(fd, "cpu.burst", "cpu.max.burst", err, "%llu", (unsigned long long) r->cpu_burst);
        if (rc == 0 && r->has_cpu_idle)
                rc = put(fd, "cpu.idle", "cpu.idle", err, "%lld", (long long) r->cpu_idle);
        if (rc == 0 && r->cpus && *r->cpus)
                rc = put(fd, "cpu.cpus", "cpuset.cpus", err, "%s", r->cpus);
        if (rc == 0 && r->mems && *r->mems)
                rc = put(fd, "cpu.mems", "cpuset.mems", err, "%s", r->mems);
        return rc;
}

static int apply_io(int fd, const struct spec_resources *r, struct carrel_error *err)
{
        static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
        int rc = 0;
        /* blkio weights are 10..1000, io.weight is 1..10000. */
        if (r->has_blkio_weight)
                rc = put(fd, "blockIO.weight", "io.weight", err, "default %u",
                         1 + (r->blkio_weight - 10) * 9999 / 990);
        for (size_t i = 0; rc == 0 && i < r->n_weight_devices; i++)
                if (r->weight_devices[i].has_weight)
                        rc = put(fd, "blockIO.weightDevice", "io.weight", err, "%lld:%lld %u",
                                 (long long) r->weight_devices[i].major, (long long) r->weight_devices[i].minor,
                                 1 + (r->weight_devices[i].weight - 10) * 9999 / 990);
        for (int k = 0; k < 4; k++)
                for (size_t i = 0; rc == 0 && i < r->n_throttle[k]; i++)
                        rc = put(fd, "blockIO.throttle", "io.max", err, "%lld:%lld %s=%llu",
                                 (long long) r->throttle[k][i].major, (long long) r->throttle[k][i].minor, keys[k],
                                 (unsigned long long) r->throttle[k][i].rate);
        return rc;
}

void cgroup_rdma_line(const struct spec_rdma *d, char *buf, size_t size)
{
        char h[32] = "max", o[32] = "max";
        if (d->has_handles)
                snprintf(h, sizeof h, "%u", d->handles);
        if (d->has_objects)
                snprintf(o, sizeof o, "%u", d->objects);
        snprintf(buf, size, "%s hca_handle=%s hca_object=%s", d->device, h, o);
}

int cgroup_resources_apply(int fd, const struct spec_resources *r, bool update, struct carrel_error *err)
{
        int rc;
        if (r->has_network)
                return refuse(err, "network", "network classes and priorities exist only in cgroup v1");
        if ((rc = apply_memory(fd, r, update, err)) < 0 || (rc = apply_cpu(fd, r, err)) < 0)
                return rc;
        if (r->has_pids_limit &&
            (rc = r->pids_limit < 0 ? put(fd, "pids.limit", "pids.max", err, "max")
                                    : put(fd, "pids.limit", "pids.max", err, "%lld", (long long) r->pids_limit)) < 0)
                return rc;
        if ((rc = apply_io(fd, r, err)) < 0)
                return rc;
        for (size_t i = 0; i < r->n_hugepages; i++) {
                char file[64];
                snprintf(file, sizeof file, "hugetlb.%s.max", r->hugepages[i].page_size);
                if ((rc = put(fd, "hugepageLimits", file, err, "%llu", (unsigned long long) r->hugepages[i].limit)) < 0)
                        return rc;
        }
        for (size_t i = 0; i < r->n_rdma; i++) {
                char line[256];
                cgroup_rdma_line(&r->rdma[i], line, sizeof line);
                if ((rc = put(fd, "rdma", "rdma.max", err, "%s", line)) < 0)
                        return rc;
        }
        for (size_t i = 0; i < r->n_unified; i++) {
                char what[300];
                snprintf(what, sizeof what, "unified.%s", r->unified[i].key);
                if ((rc = put(fd, what, r->unified[i].key, err, "%s", r->unified[i].value)) < 0)
                        return rc;
        }
        return 0;
}

void cgroup_resources_select(const struct spec_resources *r, unsigned mask, bool with_unified, struct spec_resources *out)
{
        *out = *r;
        if (!(mask & CG_MEMORY)) {
                out->has_memory_limit = out->has_memory_reservation = out->has_memory_swap = false;
                out->has_swappiness = out->disable_oom_killer = out->has_kernel_memory = out->has_kernel_tcp = false;
        }
        if (!(mask & CG_CPU))
                out->has_cpu_shares = out->has_cpu_quota = out->has_cpu_period = out->has_cpu_burst =
                        out->has_cpu_idle = out->has_cpu_realtime = out->has_cpu_rt_runtime = out->has_cpu_rt_period = false;
        if (!(mask & CG_CPUSET))
                out->cpus = out->mems = NULL;
        if (!(mask & CG_PIDS))
                out->has_pids_limit = false;
        if (!(mask & CG_IO)) {
                out->has_blkio_weight = out->has_blkio_leaf_weight = false;
                out->n_weight_devices = 0;
                for (int k = 0; k < 4; k++)
                        out->n_throttle[k] = 0;
        }
        if (!(mask & CG_HUGETLB))
                out->n_hugepages = 0;
        if (!(mask & CG_RDMA))
                out->n_rdma = 0;
        if (!(mask & CG_NET)) {
                out->has_network = out->has_net_classid = false;
                out->n_net_prios = 0;
        }
        if (!with_unified)
                out->n_unified = 0;
        out->has_devices = false;
        out->n_devices = 0;
}
