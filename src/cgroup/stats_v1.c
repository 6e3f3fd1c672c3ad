/* The v1 driver's stats: the files of cpuacct, cpu, memory, pids, blkio and
 * hugetlb in the same `events --stats` shape as cgroup v2's. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/fd.h"

static long long number(int fd, const char *file)
{
        char buf[64];
        if (fd < 0 || read_file_at(fd, file, buf, sizeof buf) <= 0)
                return 0;
        return strncmp(buf, "max", 3) == 0 ? 0 : atoll(buf);
}

static json_t *keyed(int fd, const char *file)
{
        return fd >= 0 ? cgroup_keyed_json(fd, file) : json_object();
}

static long long key(json_t *o, const char *k)
{
        return json_integer_value(json_object_get(o, k));
}

long long cgroup_v1_oom_kills(int memory_fd)
{
        return cgroup_keyed_value(memory_fd, "memory.oom_control", "oom_kill");
}

static json_t *cpu_json(int cpuacct, int cpu)
{
        json_t *percpu = json_array();
        char buf[8192];
        if (cpuacct >= 0 && read_file_at(cpuacct, "cpuacct.usage_percpu", buf, sizeof buf) > 0) {
                char *save = NULL;
                for (char *w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                        json_array_append_new(percpu, json_integer(atoll(w)));
        }
        /* cpuacct.stat counts USER_HZ ticks. */
        json_t *st = keyed(cpuacct, "cpuacct.stat");
        long long ns_per_tick = 1000000000LL / sysconf(_SC_CLK_TCK);
        json_t *thr = keyed(cpu, "cpu.stat");
        json_t *o = json_pack("{s:{s:I,s:I,s:I,s:o},s:{s:I,s:I,s:I}}", "usage", "total",
                              (json_int_t) number(cpuacct, "cpuacct.usage"), "kernel",
                              (json_int_t) (key(st, "system") * ns_per_tick), "user",
                              (json_int_t) (key(st, "user") * ns_per_tick), "percpu", percpu, "throttling", "periods",
                              (json_int_t) key(thr, "nr_periods"), "throttledPeriods",
                              (json_int_t) key(thr, "nr_throttled"), "throttledTime",
                              (json_int_t) key(thr, "throttled_time"));
        json_decref(st);
        json_decref(thr);
        return o;
}

static json_t *memory_json(int fd)
{
        return json_pack("{s:{s:I,s:I,s:I,s:I},s:{s:I,s:I},s:o}", "usage", "usage",
                         (json_int_t) number(fd, "memory.usage_in_bytes"), "max",
                         (json_int_t) number(fd, "memory.max_usage_in_bytes"), "limit",
                         (json_int_t) number(fd, "memory.limit_in_bytes"), "failcnt",
                         (json_int_t) number(fd, "memory.failcnt"), "swap", "usage",
                         (json_int_t) number(fd, "memory.memsw.usage_in_bytes"), "limit",
                         (json_int_t) number(fd, "memory.memsw.limit_in_bytes"), "raw", keyed(fd, "memory.stat"));
}

/* blkio.throttle.io_service_bytes and io_serviced ("8:0 Read 4096") into
 * one entry per device, as io.stat gives them on v2. */
static json_t *blkio_json(int fd)
{
        json_t *byDev = json_object();
        static const char *const files[2] = { "blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced" };
        static const char *const keys[2][2] = { { "rbytes", "wbytes" }, { "rios", "wios" } };
        for (int f = 0; f < 2; f++) {
                char buf[16384];
                if (fd < 0 || read_file_at(fd, files[f], buf, sizeof buf) <= 0)
                        continue;
                char *save = NULL;
                for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        unsigned maj, min;
                        char op[16];
                        unsigned long long v;
                        if (sscanf(line, "%u:%u %15s %llu", &maj, &min, op, &v) != 4)
                                continue;
                        int w = strcmp(op, "Read") == 0 ? 0 : strcmp(op, "Write") == 0 ? 1 : -1;
                        if (w < 0)
                                continue;
                        char dev[32];
                        snprintf(dev, sizeof dev, "%u:%u", maj, min);
                        json_t *e = json_object_get(byDev, dev);
                        if (!e) {
                                e = json_pack("{s:i,s:i,s:I,s:I,s:I,s:I}", "major", maj, "minor", min, "rbytes",
                                              (json_int_t) 0, "wbytes", (json_int_t) 0, "rios", (json_int_t) 0, "wios",
                                              (json_int_t) 0);
                                json_object_set_new(byDev, dev, e);
                        }
                        json_object_set_new(e, keys[f][w], json_integer((json_int_t) v));
                }
        }
        json_t *io = json_array();
        const char *k;
        json_t *e;
        json_object_foreach(byDev, k, e)
                json_array_append(io, e);
        json_decref(byDev);
        return io;
}

static json_t *hugetlb_json(int fd)
{
        json_t *o = json_object();
        static const char *const sizes[] = { "2MB", "1GB" };
        for (size_t i = 0; i < 2; i++) {
                char usage[64], max[64], fail[64];
                snprintf(usage, sizeof usage, "hugetlb.%s.usage_in_bytes", sizes[i]);
                snprintf(max, sizeof max, "hugetlb.%s.max_usage_in_bytes", sizes[i]);
                snprintf(fail, sizeof fail, "hugetlb.%s.failcnt", sizes[i]);
                json_object_set_new(o, sizes[i], json_pack("{s:I,s:I,s:I}", "usage", (json_int_t) number(fd, usage),
                                                           "max", (json_int_t) number(fd, max), "failcnt",
                                                           (json_int_t) number(fd, fail)));
        }
        return o;
}

json_t *cgroup_v1_stats_json(const int fds[CG1__COUNT])
{
        json_t *pids = json_pack("{s:I,s:I}", "current", (json_int_t) number(fds[CG1_PIDS], "pids.current"), "limit",
                                 (json_int_t) number(fds[CG1_PIDS], "pids.max"));
        return json_pack("{s:o,s:o,s:o,s:{s:o},s:o}", "cpu", cpu_json(fds[CG1_CPUACCT], fds[CG1_CPU]), "memory",
                         memory_json(fds[CG1_MEMORY]), "pids", pids, "blkio", "ioServiceBytesRecursive",
                         blkio_json(fds[CG1_BLKIO]), "hugetlb", hugetlb_json(fds[CG1_HUGETLB]));
}
