/* The v1 driver's writers: linux.resources -> the files of each v1
 * controller. Every write goes through that controller's directory fd, so
 * unit tests can point them at a temporary directory. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/fd.h"
#include "util/log.h"

static int missing(int c, const char *what, struct carrel_error *err)
{
        return carrel_error_set(err, ENOTSUP, "linux.resources.%s needs the cgroup v1 \"%s\" controller, which no "
                                "mounted hierarchy offers", what, cgroup_v1_name(c));
}

static int put(const int fds[CG1__COUNT], int c, const char *what, const char *file, struct carrel_error *err,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int put(const int fds[CG1__COUNT], int c, const char *what, const char *file, struct carrel_error *err,
               const char *fmt, ...)
{
        if (fds[c] < 0)
                return missing(c, what, err);
        char value[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(value, sizeof value, fmt, ap);
        va_end(ap);
        int r = write_file_at(fds[c], file, value);
        if (r < 0)
                return carrel_error_set(err, -r, "linux.resources.%s: cannot write \"%s\" to %s: %s", what, value, file,
                                        strerror(-r));
        return 0;
}

static bool exists(int fd, const char *file)
{
        return fd >= 0 && faccessat(fd, file, F_OK, 0) == 0;
}

static long long read_number(int fd, const char *file)
{
        char buf[64];
        return read_file_at(fd, file, buf, sizeof buf) > 0 ? atoll(buf) : -1;
}

/* memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes: write
 * them in whichever order the kernel accepts. */
static int memory_limits(const int fds[CG1__COUNT], const struct spec_resources *r, struct carrel_error *err)
{
        int fd = fds[CG1_MEMORY];
        long long limit = r->memory_limit > 0 ? r->memory_limit : -1;
        bool swap = r->has_memory_swap;
        long long memsw = r->memory_swap < 0 ? -1 : r->memory_swap;
        if (swap && memsw > 0 && r->has_memory_limit && limit > 0 && memsw < limit)
                return carrel_error_set(err, EINVAL, "linux.resources.memory.swap: %lld is below memory.limit %lld",
                                        memsw, limit);
        if (swap && !exists(fd, "memory.memsw.limit_in_bytes")) {
                if (memsw == -1 || (r->has_memory_limit && memsw == limit))
                        swap = false; /* nothing to limit beyond memory */
                else
                        return carrel_error_set(err, ENOTSUP, "linux.resources.memory.swap: this kernel does not "
                                                "account swap (memory.memsw.limit_in_bytes is missing; boot with "
                                                "swapaccount=1)");
        }
        if (!r->has_memory_limit)
                return swap ? put(fds, CG1_MEMORY, "memory.swap", "memory.memsw.limit_in_bytes", err, "%lld", memsw) : 0;
        struct carrel_error first = { 0 };
        bool swap_first = limit == -1;
        int rc = -EINVAL;
        for (int attempt = 0; attempt < 2; attempt++, swap_first = !swap_first) {
                if (swap_first && swap &&
                    (rc = put(fds, CG1_MEMORY, "memory.swap", "memory.memsw.limit_in_bytes", attempt ? err : &first,
                              "%lld", memsw)) < 0)
                        continue;
                if ((rc = put(fds, CG1_MEMORY, "memory.limit", "memory.limit_in_bytes", attempt ? err : &first,
                              "%lld", limit)) < 0)
                        continue;
                if (!swap_first && swap &&
                    (rc = put(fds, CG1_MEMORY, "memory.swap", "memory.memsw.limit_in_bytes", attempt ? err : &first,
                              "%lld", memsw)) < 0)
                        continue;
                return 0;
        }
        return rc;
}

static int apply_memory(const int fds[CG1__COUNT], const struct spec_resources *r, bool update,
                        struct carrel_error *err)
{
        int fd = fds[CG1_MEMORY], rc;
        if (r->has_kernel_memory)
                log_warning("linux.resources.memory.kernel is deprecated in the kernel and ignored (as runc does)");
        if ((r->has_memory_limit || r->has_memory_swap) && fd < 0)
                return missing(CG1_MEMORY, r->has_memory_limit ? "memory.limit" : "memory.swap", err);
        if (update && r->check_before_update && r->has_memory_limit && r->memory_limit > 0) {
                long long cur = read_number(fd, "memory.usage_in_bytes");
                if (cur > r->memory_limit)
                        return carrel_error_set(err, EBUSY, "linux.resources.memory.limit: %lld is below the current "
                                                "usage %lld (checkBeforeUpdate)", (long long) r->memory_limit, cur);
        }
        if ((rc = memory_limits(fds, r, err)) < 0)
                return rc;
        if (r->has_memory_reservation &&
            (rc = put(fds, CG1_MEMORY, "memory.reservation", "memory.soft_limit_in_bytes", err, "%lld",
                      (long long) (r->memory_reservation > 0 ? r->memory_reservation : -1))) < 0)
                return rc;
        if (r->has_swappiness) {
                if (r->swappiness > 100)
                        return carrel_error_set(err, EINVAL, "linux.resources.memory.swappiness: %llu is above 100",
                                                (unsigned long long) r->swappiness);
                if ((rc = put(fds, CG1_MEMORY, "memory.swappiness", "memory.swappiness", err, "%llu",
                              (unsigned long long) r->swappiness)) < 0)
                        return rc;
        }
        if (r->has_kernel_tcp &&
            (rc = put(fds, CG1_MEMORY, "memory.kernelTCP", "memory.kmem.tcp.limit_in_bytes", err, "%lld",
                      (long long) (r->kernel_tcp > 0 ? r->kernel_tcp : -1))) < 0)
                return rc;
        if (r->disable_oom_killer &&
            (rc = put(fds, CG1_MEMORY, "memory.disableOOMKiller", "memory.oom_control", err, "1")) < 0)
                return rc;
        return 0;
}

/* The two real-time writes, period first or, when that does not fit the
 * current runtime, runtime first. */
static int rt_write(int fd, const struct spec_resources *r)
{
        char period[32], runtime[32];
        snprintf(period, sizeof period, "%llu", (unsigned long long) r->cpu_rt_period);
        snprintf(runtime, sizeof runtime, "%lld", (long long) r->cpu_rt_runtime);
        int e = 0;
        if (r->has_cpu_rt_period && (e = write_file_at(fd, "cpu.rt_period_us", period)) < 0 && !r->has_cpu_rt_runtime)
                return e;
        if (r->has_cpu_rt_runtime) {
                int e2 = write_file_at(fd, "cpu.rt_runtime_us", runtime);
                if (e2 < 0)
                        return e2;
        }
        if (e < 0)
                e = write_file_at(fd, "cpu.rt_period_us", period);
        return e;
}

/* cpu.rt_period_us and cpu.rt_runtime_us. The parents' budget must cover
 * the runtime: when it does not (EINVAL), make room in them and try again. */
static int apply_rt(const int fds[CG1__COUNT], const struct spec_resources *r, struct carrel_error *err)
{
        int fd = fds[CG1_CPU];
        if (fd < 0)
                return missing(CG1_CPU, r->has_cpu_rt_runtime ? "cpu.realtimeRuntime" : "cpu.realtimePeriod", err);
        int e = rt_write(fd, r);
        if (e == -EINVAL) {
                long long runtime = r->has_cpu_rt_runtime ? r->cpu_rt_runtime : read_number(fd, "cpu.rt_runtime_us");
                long long period = r->has_cpu_rt_period ? (long long) r->cpu_rt_period : read_number(fd, "cpu.rt_period_us");
                if (runtime > 0 && period > 0 && cgroup_v1_rt_make_room(fd, runtime, (unsigned long long) period) == 0)
                        e = rt_write(fd, r);
        }
        if (e == 0)
                return 0;
        if (r->has_cpu_rt_runtime)
                return carrel_error_set(err, -e, "linux.resources.cpu.realtimeRuntime: %lld (per period of %llu us) does "
                                        "not fit the real-time budget of the parent cgroups (cpu.rt_runtime_us): %s",
                                        (long long) r->cpu_rt_runtime,
                                        r->has_cpu_rt_period ? (unsigned long long) r->cpu_rt_period
                                                             : (unsigned long long) read_number(fd, "cpu.rt_period_us"),
                                        strerror(-e));
        return carrel_error_set(err, -e, "linux.resources.cpu.realtimePeriod: cannot write \"%llu\" to "
                                "cpu.rt_period_us: %s", (unsigned long long) r->cpu_rt_period, strerror(-e));
}

static int apply_cpu(const int fds[CG1__COUNT], const struct spec_resources *r, struct carrel_error *err)
{
        int rc = 0;
        if (r->has_cpu_shares && r->cpu_shares)
                rc = put(fds, CG1_CPU, "cpu.shares", "cpu.shares", err, "%llu", (unsigned long long) r->cpu_shares);
        if (rc == 0 && (r->has_cpu_quota || r->has_cpu_period)) {
                /* A period below the current quota's ratio can be refused: quota first then. */
                long long quota = r->cpu_quota > 0 ? r->cpu_quota : -1;
                bool period = r->has_cpu_period && r->cpu_period;
                struct carrel_error first = { 0 };
                if (period && put(fds, CG1_CPU, "cpu.period", "cpu.cfs_period_us", &first, "%llu",
                                  (unsigned long long) r->cpu_period) < 0) {
                        if (r->has_cpu_quota &&
                            (rc = put(fds, CG1_CPU, "cpu.quota", "cpu.cfs_quota_us", err, "%lld", quota)) < 0)
                                return rc;
                        return put(fds, CG1_CPU, "cpu.period", "cpu.cfs_period_us", err, "%llu",
                                   (unsigned long long) r->cpu_period);
                }
                if (r->has_cpu_quota)
                        rc = put(fds, CG1_CPU, "cpu.quota", "cpu.cfs_quota_us", err, "%lld", quota);
        }
        if (rc == 0 && r->has_cpu_burst)
                rc = put(fds, CG1_CPU, "cpu.burst", "cpu.cfs_burst_us", err, "%llu", (unsigned long long) r->cpu_burst);
        if (rc == 0 && r->has_cpu_idle)
                rc = put(fds, CG1_CPU, "cpu.idle", "cpu.idle", err, "%lld", (long long) r->cpu_idle);
        if (rc == 0 && (r->has_cpu_rt_period || r->has_cpu_rt_runtime))
                rc = apply_rt(fds, r, err);
        if (rc == 0 && r->cpus && *r->cpus)
                rc = put(fds, CG1_CPUSET, "cpu.cpus", "cpuset.cpus", err, "%s", r->cpus);
        if (rc == 0 && r->mems && *r->mems)
                rc = put(fds, CG1_CPUSET, "cpu.mems", "cpuset.mems", err, "%s", r->mems);
        return rc;
}

static int apply_blkio(const int fds[CG1__COUNT], const struct spec_resources *r, struct carrel_error *err)
{
        static const char *const files[4] = { "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
                                               "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device" };
        int fd = fds[CG1_BLKIO], rc = 0;
        /* Kernels whose only blkio scheduler is BFQ name the weights blkio.bfq.*. */
        bool bfq = !exists(fd, "blkio.weight") && exists(fd, "blkio.bfq.weight");
        if (r->has_blkio_weight)
                rc = put(fds, CG1_BLKIO, "blockIO.weight", bfq ? "blkio.bfq.weight" : "blkio.weight", err, "%u",
                         r->blkio_weight);
        if (rc == 0 && r->has_blkio_leaf_weight)
                rc = put(fds, CG1_BLKIO, "blockIO.leafWeight", "blkio.leaf_weight", err, "%u", r->blkio_leaf_weight);
        for (size_t i = 0; rc == 0 && i < r->n_weight_devices; i++) {
                const struct spec_weight_device *w = &r->weight_devices[i];
                if (w->has_weight)
                        rc = put(fds, CG1_BLKIO, "blockIO.weightDevice",
                                 bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", err, "%lld:%lld %u",
                                 (long long) w->major, (long long) w->minor, w->weight);
                if (rc == 0 && w->has_leaf_weight)
                        rc = put(fds, CG1_BLKIO, "blockIO.weightDevice", "blkio.leaf_weight_device", err,
                                 "%lld:%lld %u", (long long) w->major, (long long) w->minor, w->leaf_weight);
        }
        for (int k = 0; k < 4; k++)
                for (size_t i = 0; rc == 0 && i < r->n_throttle[k]; i++)
                        rc = put(fds, CG1_BLKIO, "blockIO.throttle", files[k], err, "%lld:%lld %llu",
                                 (long long) r->throttle[k][i].major, (long long) r->throttle[k][i].minor,
                                 (unsigned long long) r->throttle[k][i].rate);
        return rc;
}

int cgroup_v1_resources_apply(const int fds[CG1__COUNT], const struct spec_resources *r, bool update,
                              struct carrel_error *err)
{
        int rc;
        if (r->n_unified)
                return carrel_error_set(err, ENOTSUP, "linux.resources.unified: needs cgroup v2");
        if ((rc = apply_memory(fds, r, update, err)) < 0 || (rc = apply_cpu(fds, r, err)) < 0)
                return rc;
        if (r->has_pids_limit &&
            (rc = r->pids_limit < 0 ? put(fds, CG1_PIDS, "pids.limit", "pids.max", err, "max")
                                    : put(fds, CG1_PIDS, "pids.limit", "pids.max", err, "%lld", (long long) r->pids_limit)) < 0)
                return rc;
        if ((rc = apply_blkio(fds, r, err)) < 0)
                return rc;
        for (size_t i = 0; i < r->n_hugepages; i++) {
                char file[64];
                snprintf(file, sizeof file, "hugetlb.%s.limit_in_bytes", r->hugepages[i].page_size);
                if ((rc = put(fds, CG1_HUGETLB, "hugepageLimits", file, err, "%llu",
                              (unsigned long long) r->hugepages[i].limit)) < 0)
                        return rc;
        }
        for (size_t i = 0; i < r->n_rdma; i++) {
                char line[256];
                cgroup_rdma_line(&r->rdma[i], line, sizeof line);
                if ((rc = put(fds, CG1_RDMA, "rdma", "rdma.max", err, "%s", line)) < 0)
                        return rc;
        }
        if (r->has_net_classid &&
            (rc = put(fds, CG1_NET_CLS, "network.classID", "net_cls.classid", err, "%u", r->net_classid)) < 0)
                return rc;
        for (size_t i = 0; i < r->n_net_prios; i++)
                if ((rc = put(fds, CG1_NET_PRIO, "network.priorities", "net_prio.ifpriomap", err, "%s %u",
                              r->net_prios[i].name, r->net_prios[i].priority)) < 0)
                        return rc;
        return 0;
}
