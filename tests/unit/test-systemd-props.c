/* The systemd cgroup driver's pure part: slice:prefix:name into a unit and a
 * slice, a slice into its place in the hierarchy, and linux.resources into
 * transient unit properties (with runc's conversions). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cgroup/systemd_props.h"
#include "tap.h"

static const struct sd_prop *find(const struct sd_props *p, const char *name)
{
        for (size_t i = 0; i < p->n; i++)
                if (strcmp(p->p[i].name, name) == 0)
                        return &p->p[i];
        return NULL;
}

static uint64_t val(const struct sd_props *p, const char *name)
{
        const struct sd_prop *q = find(p, name);
        return q ? q->u : 0xdeadbeef;
}

int main(void)
{
        char slice[256], unit[256], path[1024];
        struct carrel_error err = { 0 };

        ok(systemd_unit_for("machine.slice:libpod:abc", "id1", "system.slice", slice, sizeof slice, unit, sizeof unit,
                            &err) == 0, "slice:prefix:name parses (%s)", err.msg);
        is_str(slice, "machine.slice", "the slice is taken as given");
        is_str(unit, "libpod-abc.scope", "the unit is <prefix>-<name>.scope");
        ok(systemd_unit_for(":cri-containerd:abc", "id1", "system.slice", slice, sizeof slice, unit, sizeof unit,
                            &err) == 0, "an empty slice is allowed");
        is_str(slice, "system.slice", "an empty slice is the default one (system.slice for root)");
        ok(systemd_unit_for("::abc", "id1", "user.slice", slice, sizeof slice, unit, sizeof unit, &err) == 0,
           "an empty prefix is allowed");
        is_str(slice, "user.slice", "rootless default: user.slice");
        is_str(unit, "abc.scope", "no prefix: <name>.scope");
        ok(systemd_unit_for(NULL, "c1", "system.slice", slice, sizeof slice, unit, sizeof unit, &err) == 0,
           "no cgroupsPath");
        is_str(unit, "carrel-c1.scope", "no cgroupsPath: carrel-<id>.scope");
        err = (struct carrel_error) { 0 };
        ok(systemd_unit_for("/plain/path", "c1", "system.slice", slice, sizeof slice, unit, sizeof unit, &err) ==
                   -EINVAL && strstr(err.msg, "slice:prefix:name") && strstr(err.msg, "cgroupfs"),
           "a plain path is refused, naming the form and the cgroupfs driver: %s", err.msg);
        ok(systemd_unit_for("a.slice:p:", "c1", "system.slice", slice, sizeof slice, unit, sizeof unit, &err) < 0,
           "an empty name is refused");
        ok(systemd_unit_for("a.slice:p:n/../x", "c1", "system.slice", slice, sizeof slice, unit, sizeof unit, &err) < 0,
           "a name with a slash is refused");
        ok(systemd_unit_for("nota-slice:p:n", "c1", "system.slice", slice, sizeof slice, unit, sizeof unit, &err) < 0,
           "a slice not named .slice is refused");
        ok(systemd_unit_for("a.slice:p:x.slice", "c1", "system.slice", slice, sizeof slice, unit, sizeof unit, &err) < 0,
           "a name that would make a slice is refused");

        ok(systemd_slice_path("system.slice", path, sizeof path, &err) == 0, "system.slice");
        is_str(path, "/system.slice", "system.slice is /system.slice");
        ok(systemd_slice_path("a-b-c.slice", path, sizeof path, &err) == 0, "a nested slice");
        is_str(path, "/a.slice/a-b.slice/a-b-c.slice", "each dash is one level");
        ok(systemd_slice_path("kubepods-besteffort-pod12.slice", path, sizeof path, &err) == 0, "a kubelet slice");
        is_str(path, "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice", "kubelet's layout");
        ok(systemd_slice_path("-.slice", path, sizeof path, &err) == 0 && path[0] == '\0', "-.slice is the root");
        ok(systemd_slice_path("a--b.slice", path, sizeof path, &err) < 0, "a double dash is refused");
        ok(systemd_slice_path("-a.slice", path, sizeof path, &err) < 0, "a leading dash is refused");
        ok(systemd_slice_path("a-.slice", path, sizeof path, &err) < 0, "a trailing dash is refused");

        ok(systemd_cpu_weight(2) == 1 && systemd_cpu_weight(262144) == 10000 && systemd_cpu_weight(1024) == 39,
           "CPUWeight from shares: 2 -> 1, 1024 -> 39, 262144 -> 10000 (got %llu)",
           (unsigned long long) systemd_cpu_weight(1024));
        ok(systemd_cpu_weight(0) == 0, "shares 0: unset");
        ok(systemd_io_weight(10) == 1 && systemd_io_weight(1000) == 10000 && systemd_io_weight(500) == 4950,
           "IOWeight from blkio weight: 10 -> 1, 500 -> 4950, 1000 -> 10000 (got %llu)",
           (unsigned long long) systemd_io_weight(500));
        ok(systemd_cpu_quota_usec(50000, 100000) == 500000, "quota 50ms per 100ms: 500ms per second");
        ok(systemd_cpu_quota_usec(1234, 100000) == 20000, "12.34ms per second rounds up to 20ms");
        ok(systemd_cpu_quota_usec(-1, 100000) == SD_INFINITY, "quota -1: infinity");

        uint8_t mask[SD_MASK_MAX];
        size_t n;
        ok(systemd_cpu_mask("0-3,9", mask, sizeof mask, &n, &err) == 0 && n == 2 && mask[0] == 0x0f && mask[1] == 0x02,
           "0-3,9 is bytes 0f 02 (n=%zu)", n);
        ok(systemd_cpu_mask("1-0", mask, sizeof mask, &n, &err) < 0, "a backwards range is refused");
        ok(systemd_cpu_mask("a", mask, sizeof mask, &n, &err) < 0, "a word is refused");
        ok(systemd_cpu_mask("2000", mask, sizeof mask, &n, &err) == -ERANGE, "a cpu beyond the mask is refused");

        struct spec_resources r = { .has_memory_limit = true, .memory_limit = 64 << 20, .has_memory_swap = true,
                                    .memory_swap = 96 << 20, .has_memory_reservation = true,
                                    .memory_reservation = 32 << 20, .has_pids_limit = true, .pids_limit = 42,
                                    .has_cpu_shares = true, .cpu_shares = 1024, .has_cpu_quota = true,
                                    .cpu_quota = 50000, .has_cpu_period = true, .cpu_period = 100000,
                                    .has_blkio_weight = true, .blkio_weight = 500, .cpus = "0-1", .mems = "0" };
        struct sd_props p;
        ok(systemd_resource_props(&r, &p, &err) == 0, "resources map (%s)", err.msg);
        ok(val(&p, "MemoryMax") == 64 << 20, "MemoryMax");
        ok(val(&p, "MemoryLow") == 32 << 20, "MemoryLow from the reservation");
        ok(val(&p, "MemorySwapMax") == 32 << 20, "MemorySwapMax is swap minus memory");
        ok(val(&p, "TasksMax") == 42, "TasksMax");
        ok(val(&p, "CPUWeight") == 39, "CPUWeight");
        ok(val(&p, "CPUQuotaPerSecUSec") == 500000 && val(&p, "CPUQuotaPeriodUSec") == 100000, "CPU quota and period");
        ok(val(&p, "IOWeight") == 4950, "IOWeight");
        const struct sd_prop *cpus = find(&p, "AllowedCPUs"), *mems = find(&p, "AllowedMemoryNodes");
        ok(cpus && cpus->type == SD_BYTES && cpus->n_bytes == 1 && cpus->bytes[0] == 0x03, "AllowedCPUs 0-1");
        ok(mems && mems->n_bytes == 1 && mems->bytes[0] == 0x01, "AllowedMemoryNodes 0");

        r = (struct spec_resources) { .has_memory_limit = true, .memory_limit = -1, .has_pids_limit = true,
                                      .pids_limit = -1, .has_memory_swap = true, .memory_swap = -1 };
        ok(systemd_resource_props(&r, &p, &err) == 0 && p.n == 3, "unlimited values");
        ok(val(&p, "MemoryMax") == SD_INFINITY && val(&p, "TasksMax") == SD_INFINITY &&
                   val(&p, "MemorySwapMax") == SD_INFINITY, "-1 is infinity");
        r = (struct spec_resources) { .has_memory_limit = true, .memory_limit = 100, .has_memory_swap = true,
                                      .memory_swap = 50 };
        ok(systemd_resource_props(&r, &p, &err) == -EINVAL, "swap below the limit is refused: %s", err.msg);
        ok(systemd_resource_props(NULL, &p, &err) == 0 && p.n == 0, "no resources, no properties");
        return tap_done();
}
