/* The cgroup v1 writers against a temporary directory that stands in for
 * every controller's cgroup: which file gets which value, in which cases
 * they refuse. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/fd.h"
#include "tap.h"

static char dir[] = "/tmp/carrel-test-cgv1-XXXXXX";
static int dfd = -1;

static const char *const files[] = {
        "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.swappiness",
        "memory.oom_control", "memory.kmem.tcp.limit_in_bytes", "memory.usage_in_bytes", "cpu.shares",
        "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.cfs_burst_us",
        "cpuset.cpus", "cpuset.mems", "pids.max", "blkio.weight", "blkio.leaf_weight", "blkio.weight_device",
        "blkio.throttle.read_bps_device", "blkio.throttle.write_iops_device", "hugetlb.2MB.limit_in_bytes",
        "net_cls.classid", "net_prio.ifpriomap", "rdma.max",
};

/* Fresh empty files for every test. */
static void reset(void)
{
        for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
                unlinkat(dfd, files[i], 0);
                close(openat(dfd, files[i], O_WRONLY | O_CREAT | O_TRUNC, 0644));
        }
        unlinkat(dfd, "blkio.bfq.weight", 0);
}

static const char *cat(const char *file)
{
        static char buf[512];
        ssize_t n = read_file_at(dfd, file, buf, sizeof buf);
        if (n < 0)
                return "(missing)";
        return buf;
}

static int apply(const struct spec_resources *r, bool update, struct carrel_error *err)
{
        int fds[CG1__COUNT];
        for (int c = 0; c < CG1__COUNT; c++)
                fds[c] = dfd;
        *err = (struct carrel_error) { 0 };
        return cgroup_v1_resources_apply(fds, r, update, err);
}

/* What was written to a FIFO so far, as a string. */
static void drain(int fd, char *buf, size_t size)
{
        ssize_t n = read(fd, buf, size - 1);
        buf[n > 0 ? n : 0] = '\0';
}

int main(void)
{
        struct carrel_error err;
        if (!mkdtemp(dir) || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
                printf("Bail out! cannot make a temporary directory\n");
                return 1;
        }

        reset();
        struct spec_resources mem = { .has_memory_limit = true, .memory_limit = 64 << 20, .has_memory_swap = true,
                                      .memory_swap = 128 << 20, .has_memory_reservation = true,
                                      .memory_reservation = 32 << 20, .has_swappiness = true, .swappiness = 10,
                                      .disable_oom_killer = true };
        ok(apply(&mem, false, &err) == 0, "memory: applied (%s)", err.msg);
        is_str(cat("memory.limit_in_bytes"), "67108864", "memory.limit -> memory.limit_in_bytes");
        is_str(cat("memory.memsw.limit_in_bytes"), "134217728", "memory.swap is memory plus swap: memsw as given");
        is_str(cat("memory.soft_limit_in_bytes"), "33554432", "memory.reservation -> the soft limit");
        is_str(cat("memory.swappiness"), "10", "memory.swappiness");
        is_str(cat("memory.oom_control"), "1", "disableOOMKiller -> memory.oom_control 1");

        reset();
        struct spec_resources unl = { .has_memory_limit = true, .memory_limit = 64 << 20, .has_memory_swap = true,
                                      .memory_swap = -1 };
        ok(apply(&unl, false, &err) == 0, "memory with unlimited swap: applied");
        is_str(cat("memory.memsw.limit_in_bytes"), "-1", "swap -1 is unlimited");

        reset();
        struct spec_resources low = { .has_memory_limit = true, .memory_limit = 64 << 20, .has_memory_swap = true,
                                      .memory_swap = 32 << 20 };
        ok(apply(&low, false, &err) == -EINVAL && strstr(err.msg, "memory.swap"), "swap below the limit: %s", err.msg);

        reset();
        unlinkat(dfd, "memory.memsw.limit_in_bytes", 0);
        ok(apply(&mem, false, &err) == -ENOTSUP && strstr(err.msg, "swapaccount"),
           "swap without swap accounting is refused: %s", err.msg);
        struct spec_resources same = { .has_memory_limit = true, .memory_limit = 64 << 20, .has_memory_swap = true,
                                       .memory_swap = 64 << 20 };
        ok(apply(&same, false, &err) == 0, "swap equal to the limit needs no swap accounting");

        reset();
        struct spec_resources kmem = { .has_kernel_memory = true, .has_kernel_tcp = true, .kernel_tcp = 1 << 20 };
        ok(apply(&kmem, false, &err) == 0, "memory.kernel is ignored (deprecated), as runc does");
        is_str(cat("memory.kmem.tcp.limit_in_bytes"), "1048576", "memory.kernelTCP -> memory.kmem.tcp.limit_in_bytes");

        reset();
        write_file_at(dfd, "memory.usage_in_bytes", "100000000");
        struct spec_resources check = { .has_memory_limit = true, .memory_limit = 64 << 20, .check_before_update = true };
        ok(apply(&check, true, &err) == -EBUSY, "checkBeforeUpdate refuses a limit below the usage: %s", err.msg);
        ok(apply(&check, false, &err) == 0, "... only on update");

        reset();
        struct spec_resources cpu = { .has_cpu_shares = true, .cpu_shares = 512, .has_cpu_quota = true,
                                      .cpu_quota = 50000, .has_cpu_period = true, .cpu_period = 100000,
                                      .has_cpu_rt_period = true, .cpu_rt_period = 1000000, .has_cpu_rt_runtime = true,
                                      .cpu_rt_runtime = 950000, .has_cpu_burst = true, .cpu_burst = 1000,
                                      .cpus = "0-1", .mems = "0" };
        ok(apply(&cpu, false, &err) == 0, "cpu: applied (%s)", err.msg);
        is_str(cat("cpu.shares"), "512", "cpu.shares");
        is_str(cat("cpu.cfs_quota_us"), "50000", "cpu.quota -> cpu.cfs_quota_us");
        is_str(cat("cpu.cfs_period_us"), "100000", "cpu.period -> cpu.cfs_period_us");
        is_str(cat("cpu.rt_period_us"), "1000000", "realtimePeriod -> cpu.rt_period_us");
        is_str(cat("cpu.rt_runtime_us"), "950000", "realtimeRuntime -> cpu.rt_runtime_us");
        is_str(cat("cpu.cfs_burst_us"), "1000", "cpu.burst -> cpu.cfs_burst_us");
        is_str(cat("cpuset.cpus"), "0-1", "cpu.cpus -> cpuset.cpus");
        is_str(cat("cpuset.mems"), "0", "cpu.mems -> cpuset.mems");

        reset();
        struct spec_resources noquota = { .has_cpu_quota = true, .cpu_quota = -1 };
        ok(apply(&noquota, true, &err) == 0, "quota -1 applied");
        is_str(cat("cpu.cfs_quota_us"), "-1", "quota -1 is unlimited");

        reset();
        struct spec_resources pids = { .has_pids_limit = true, .pids_limit = 10 };
        ok(apply(&pids, false, &err) == 0, "pids applied");
        is_str(cat("pids.max"), "10", "pids.limit -> pids.max");
        pids.pids_limit = -1;
        reset();
        apply(&pids, false, &err);
        is_str(cat("pids.max"), "max", "pids.limit -1 -> max");

        reset();
        struct spec_weight_device wd = { .major = 8, .minor = 0, .has_weight = true, .weight = 300 };
        struct spec_throttle rbps = { 8, 0, 1048576 }, wiops = { 8, 16, 100 };
        struct spec_resources blk = { .has_blkio_weight = true, .blkio_weight = 500, .has_blkio_leaf_weight = true,
                                      .blkio_leaf_weight = 200, .weight_devices = &wd, .n_weight_devices = 1,
                                      .throttle = { &rbps, NULL, NULL, &wiops }, .n_throttle = { 1, 0, 0, 1 } };
        ok(apply(&blk, false, &err) == 0, "blkio applied (%s)", err.msg);
        is_str(cat("blkio.weight"), "500", "blockIO.weight -> blkio.weight");
        is_str(cat("blkio.leaf_weight"), "200", "blockIO.leafWeight -> blkio.leaf_weight");
        is_str(cat("blkio.weight_device"), "8:0 300", "weightDevice -> blkio.weight_device");
        is_str(cat("blkio.throttle.read_bps_device"), "8:0 1048576", "throttleReadBpsDevice");
        is_str(cat("blkio.throttle.write_iops_device"), "8:16 100", "throttleWriteIOPSDevice");

        reset();
        unlinkat(dfd, "blkio.weight", 0);
        close(openat(dfd, "blkio.bfq.weight", O_WRONLY | O_CREAT | O_TRUNC, 0644));
        struct spec_resources bfq = { .has_blkio_weight = true, .blkio_weight = 700 };
        ok(apply(&bfq, false, &err) == 0, "blkio weight under BFQ applied");
        is_str(cat("blkio.bfq.weight"), "700", "without blkio.weight the weight goes to blkio.bfq.weight");

        reset();
        struct spec_hugepage hp = { "2MB", 4194304 };
        struct spec_net_prio prio = { "eth0", 5 };
        struct spec_rdma rd = { .device = "mlx5_0", .has_handles = true, .handles = 3 };
        struct spec_resources misc = { .hugepages = &hp, .n_hugepages = 1, .has_network = true,
                                       .has_net_classid = true, .net_classid = 0x100001, .net_prios = &prio,
                                       .n_net_prios = 1, .rdma = &rd, .n_rdma = 1 };
        ok(apply(&misc, false, &err) == 0, "hugetlb, network, rdma applied (%s)", err.msg);
        is_str(cat("hugetlb.2MB.limit_in_bytes"), "4194304", "hugepageLimits -> hugetlb.2MB.limit_in_bytes");
        is_str(cat("net_cls.classid"), "1048577", "network.classID -> net_cls.classid");
        is_str(cat("net_prio.ifpriomap"), "eth0 5", "network.priorities -> net_prio.ifpriomap");
        is_str(cat("rdma.max"), "mlx5_0 hca_handle=3 hca_object=max", "rdma -> rdma.max");

        int fds[CG1__COUNT];
        for (int c = 0; c < CG1__COUNT; c++)
                fds[c] = dfd;
        fds[CG1_PIDS] = -1;
        pids.pids_limit = 5;
        err = (struct carrel_error) { 0 };
        ok(cgroup_v1_resources_apply(fds, &pids, false, &err) == -ENOTSUP && strstr(err.msg, "\"pids\"") &&
                   strstr(err.msg, "pids.limit"),
           "a field whose controller is not mounted fails naming both: %s", err.msg);
        struct spec_kv kv = { "memory.high", "1G" };
        struct spec_resources uni = { .unified = &kv, .n_unified = 1 };
        ok(apply(&uni, false, &err) == -ENOTSUP, "unified is refused on v1: %s", err.msg);

        /* devices: FIFOs record every write in order. */
        mkfifoat(dfd, "devices.allow", 0600);
        mkfifoat(dfd, "devices.deny", 0600);
        int ra = openat(dfd, "devices.allow", O_RDONLY | O_NONBLOCK), rdn = openat(dfd, "devices.deny", O_RDONLY | O_NONBLOCK);
        const struct spec_device_rule rules[] = {
                { false, 'a', -1, -1, "rwm" }, { true, 'c', 1, 5, "m" }, { true, 'a', -1, -1, "m" },
                { false, 'c', 1, 5, "r" }, { true, 'b', 8, -1, "rw" },
        };
        err = (struct carrel_error) { 0 };
        ok(cgroup_v1_devices_apply(dfd, rules, 5, &err) == 0, "devices applied (%s)", err.msg);
        char a[256] = "", d[256] = "";
        drain(ra, a, sizeof a);
        drain(rdn, d, sizeof d);
        is_str(d, "aac 1:5 r", "deny: reset to deny-all, the deny-all rule, then the exception taken away");
        is_str(a, "c 1:5 mc *:* mb *:* mb 8:* rw", "allow: each rule, a partial type-a rule as c and b");
        close(ra);
        close(rdn);

        /* A cgroup that denies by default already (a running container's):
         * only the difference, new access first, and no reset. */
        int lf = openat(dfd, "devices.list", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const char *list = "c 1:3 rwm\nc 1:5 rwm\nc 136:* rwm\n";
        ok(lf >= 0 && write(lf, list, strlen(list)) == (ssize_t) strlen(list), "a devices.list");
        close(lf);
        ra = openat(dfd, "devices.allow", O_RDONLY | O_NONBLOCK);
        rdn = openat(dfd, "devices.deny", O_RDONLY | O_NONBLOCK);
        const struct spec_device_rule update[] = {
                { false, 'a', -1, -1, "rwm" }, { true, 'c', 1, 3, "rwm" }, { true, 'c', 1, 5, "rw" },
                { true, 'c', 10, 200, "wr" },
        };
        err = (struct carrel_error) { 0 };
        ok(cgroup_v1_devices_apply(dfd, update, 4, &err) == 0, "update applied (%s)", err.msg);
        drain(ra, a, sizeof a);
        drain(rdn, d, sizeof d);
        is_str(a, "c 10:200 rw", "update: only the new device is allowed");
        is_str(d, "c 1:5 mc 136:* rwm", "update: then the access no rule keeps is taken away, no reset");
        close(ra);
        close(rdn);
        /* rules that allow all: a reset, whatever the list says */
        ra = openat(dfd, "devices.allow", O_RDONLY | O_NONBLOCK);
        rdn = openat(dfd, "devices.deny", O_RDONLY | O_NONBLOCK);
        const struct spec_device_rule all[] = { { true, 'a', -1, -1, "rwm" } };
        ok(cgroup_v1_devices_apply(dfd, all, 1, &err) == 0, "allow-all applied");
        drain(ra, a, sizeof a);
        drain(rdn, d, sizeof d);
        is_str(d, "a", "allow-all: reset first");
        is_str(a, "a", "allow-all: then all");
        close(ra);
        close(rdn);
        unlinkat(dfd, "devices.list", 0);

        for (size_t i = 0; i < sizeof files / sizeof *files; i++)
                unlinkat(dfd, files[i], 0);
        unlinkat(dfd, "blkio.bfq.weight", 0);
        unlinkat(dfd, "devices.allow", 0);
        unlinkat(dfd, "devices.deny", 0);
        rmdir(dir);
        return tap_done();
}
