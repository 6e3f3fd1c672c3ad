#include "cgroup/stats.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/fd.h"

static long long number(int dirfd, const char *file)
{
        char buf[64];
        if (read_file_at(dirfd, file, buf, sizeof buf) <= 0)
                return 0;
        return strncmp(buf, "max", 3) == 0 ? 0 : atoll(buf);
}

/* Every "key value" line of a flat-keyed file into an object. */
json_t *cgroup_keyed_json(int dirfd, const char *file)
{
        char buf[16384];
        json_t *o = json_object();
        if (read_file_at(dirfd, file, buf, sizeof buf) <= 0)
                return o;
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *sp = strchr(line, ' ');
                if (!sp)
                        continue;
                *sp = '\0';
                json_object_set_new(o, line, json_integer(atoll(sp + 1)));
        }
        return o;
}

static long long key(json_t *o, const char *k)
{
        return json_integer_value(json_object_get(o, k));
}

long long cgroup_oom_kills(int dirfd)
{
        return cgroup_keyed_value(dirfd, "memory.events", "oom_kill");
}

static bool has(int dirfd, const char *file)
{
        return faccessat(dirfd, file, F_OK, 0) == 0;
}

/* Only what the container's cgroup really has: the cpu, memory or pids
 * section of a controller that is not there (a hybrid host's unified
 * hierarchy has no memory or pids) is left out rather than reported as 0;
 * blkio and hugetlb list only the devices and page sizes that are there. */
json_t *cgroup_stats_json(int dirfd)
{
        json_t *cpu = cgroup_keyed_json(dirfd, "cpu.stat");
        json_t *mem = cgroup_keyed_json(dirfd, "memory.stat");
        json_t *events = cgroup_keyed_json(dirfd, "memory.events");
        json_t *cpu_obj = json_pack("{s:{s:I,s:I,s:I,s:[]},s:{s:I,s:I,s:I}}",
                                    "usage", "total", (json_int_t) (key(cpu, "usage_usec") * 1000), "kernel",
                                    (json_int_t) (key(cpu, "system_usec") * 1000), "user",
                                    (json_int_t) (key(cpu, "user_usec") * 1000), "percpu", "throttling", "periods",
                                    (json_int_t) key(cpu, "nr_periods"), "throttledPeriods",
                                    (json_int_t) key(cpu, "nr_throttled"), "throttledTime",
                                    (json_int_t) (key(cpu, "throttled_usec") * 1000));
        long long peak = number(dirfd, "memory.peak");
        json_t *mem_obj = json_pack("{s:{s:I,s:I,s:I,s:I},s:{s:I,s:I},s:o}", "usage", "usage",
                                    (json_int_t) number(dirfd, "memory.current"), "max", (json_int_t) peak, "limit",
                                    (json_int_t) number(dirfd, "memory.max"), "failcnt",
                                    (json_int_t) key(events, "max"), "swap", "usage",
                                    (json_int_t) number(dirfd, "memory.swap.current"), "limit",
                                    (json_int_t) number(dirfd, "memory.swap.max"), "raw", mem);
        json_t *pids = json_pack("{s:I,s:I}", "current", (json_int_t) number(dirfd, "pids.current"), "limit",
                                 (json_int_t) number(dirfd, "pids.max"));
        /* io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.." per device. */
        json_t *io = json_array();
        char buf[8192];
        if (read_file_at(dirfd, "io.stat", buf, sizeof buf) > 0) {
                char *save = NULL;
                for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        unsigned maj, min;
                        unsigned long long rb = 0, wb = 0, ri = 0, wi = 0;
                        if (sscanf(line, "%u:%u rbytes=%llu wbytes=%llu rios=%llu wios=%llu", &maj, &min, &rb, &wb, &ri,
                                   &wi) >= 2)
                                json_array_append_new(io, json_pack("{s:i,s:i,s:I,s:I,s:I,s:I}", "major", maj, "minor",
                                                                    min, "rbytes", (json_int_t) rb, "wbytes",
                                                                    (json_int_t) wb, "rios", (json_int_t) ri, "wios",
                                                                    (json_int_t) wi));
                }
        }
        json_t *hugetlb = json_object();
        static const char *const sizes[] = { "2MB", "1GB" };
        for (size_t i = 0; i < 2; i++) {
                char cur[64], max[64], ev[64];
                snprintf(cur, sizeof cur, "hugetlb.%s.current", sizes[i]);
                if (!has(dirfd, cur))
                        continue;
                snprintf(max, sizeof max, "hugetlb.%s.max", sizes[i]);
                snprintf(ev, sizeof ev, "hugetlb.%s.events", sizes[i]);
                json_t *e = cgroup_keyed_json(dirfd, ev);
                json_object_set_new(hugetlb, sizes[i], json_pack("{s:I,s:I,s:I}", "usage",
                                                                 (json_int_t) number(dirfd, cur), "max",
                                                                 (json_int_t) number(dirfd, max), "failcnt",
                                                                 (json_int_t) key(e, "max")));
                json_decref(e);
        }
        json_decref(cpu);
        json_decref(events);
        json_t *out = json_object();
        if (has(dirfd, "cpu.stat"))
                json_object_set_new(out, "cpu", cpu_obj);
        else
                json_decref(cpu_obj);
        if (has(dirfd, "memory.current"))
                json_object_set_new(out, "memory", mem_obj);
        else
                json_decref(mem_obj);
        if (has(dirfd, "pids.current"))
                json_object_set_new(out, "pids", pids);
        else
                json_decref(pids);
        /* Lists: empty where there is nothing to list. */
        json_object_set_new(out, "blkio", json_pack("{s:o}", "ioServiceBytesRecursive", io));
        json_object_set_new(out, "hugetlb", hugetlb);
        return out;
}
