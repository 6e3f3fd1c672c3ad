/* v1 cpu: room for a real-time budget. The kernel lets a cgroup have
 * cpu.rt_runtime_us only when its parent's budget covers the sum of its
 * children's, per period, up to the hierarchy root. A fresh intermediate
 * cgroup (such as /carrel) has none, so a container asking for
 * realtimeRuntime would always fail there: raise each ancestor below the
 * root just enough, highest first. The root itself is never changed. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fd.h"

#define BW_SHIFT 20 /* the kernel's fixed-point scale for runtime/period */
#define MAX_DEPTH 32

static long long number_at(int fd, const char *file)
{
        char buf[64];
        return read_file_at(fd, file, buf, sizeof buf) > 0 ? atoll(buf) : -1;
}

/* runtime/period as the kernel compares them; -1 for "unlimited" or unreadable. */
static long long ratio_of(int fd)
{
        long long runtime = number_at(fd, "cpu.rt_runtime_us");
        long long period = number_at(fd, "cpu.rt_period_us");
        if (runtime < 0 || period <= 0)
                return -1;
        return (long long) (((unsigned long long) runtime << BW_SHIFT) / (unsigned long long) period);
}

/* The sum of the ratios of the cgroups below `fd`, leaving out `skip` (dev/ino). */
static long long children_ratio(int fd, const struct stat *skip)
{
        int dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_closedir_ DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
        if (!d) {
                if (dup >= 0)
                        close(dup);
                return -1;
        }
        long long sum = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                _cleanup_close_ int c = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                struct stat st;
                if (c < 0 || fstat(c, &st) < 0)
                        continue;
                if (skip && st.st_dev == skip->st_dev && st.st_ino == skip->st_ino)
                        continue;
                long long r = ratio_of(c);
                if (r > 0)
                        sum += r;
        }
        return sum;
}

static bool is_root(int fd)
{
        struct statfs fs;
        if (fstatfs(fd, &fs) < 0 || fs.f_type != CGROUP_SUPER_MAGIC)
                return true;
        return faccessat(fd, "release_agent", F_OK, 0) == 0;
}

int cgroup_v1_rt_make_room(int cpu_fd, long long runtime, unsigned long long period)
{
        if (runtime <= 0 || period == 0)
                return 0;
        long long want = (long long) (((unsigned long long) runtime << BW_SHIFT) / period);
        int fds[MAX_DEPTH];
        long long need[MAX_DEPTH];
        int n = 0, r = 0;
        struct stat below;
        if (fstat(cpu_fd, &below) < 0)
                return -errno;
        /* Bottom-up: what each ancestor needs, until one already has it. */
        int cur = cpu_fd;
        while (n < MAX_DEPTH) {
                int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (up < 0 || is_root(up)) {
                        if (up >= 0)
                                close(up);
                        break;
                }
                long long others = children_ratio(up, &below);
                long long have = ratio_of(up);
                fds[n] = up;
                need[n] = others < 0 ? want : others + want;
                n++;
                if (have >= need[n - 1] || fstat(up, &below) < 0)
                        break;
                want = need[n - 1];
                cur = up;
        }
        /* Top-down: the highest one first, so each write fits its parent. */
        for (int i = n - 1; i >= 0 && r == 0; i--) {
                long long period_up = number_at(fds[i], "cpu.rt_period_us");
                if (period_up <= 0 || ratio_of(fds[i]) >= need[i])
                        continue;
                unsigned long long scaled = (unsigned long long) need[i] * (unsigned long long) period_up;
                long long rt = (long long) ((scaled + (1ULL << BW_SHIFT) - 1) >> BW_SHIFT);
                char value[32];
                snprintf(value, sizeof value, "%lld", rt);
                r = write_file_at(fds[i], "cpu.rt_runtime_us", value);
        }
        for (int i = 0; i < n; i++)
                close(fds[i]);
        return r;
}

long long cgroup_v1_rt_share(int cpu_fd)
{
        return cpu_fd >= 0 ? ratio_of(cpu_fd) : -1;
}

/* After a cgroup with `share` (a cgroup_v1_rt_share value) is gone from
 * below `parent_fd`: take that much back from each ancestor below the root,
 * bottom-up, never below what its remaining children hold, and not from
 * one that has processes of its own. */
void cgroup_v1_rt_give_back(int parent_fd, long long share)
{
        if (share <= 0)
                return;
        int cur = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (int depth = 0; cur >= 0 && depth < MAX_DEPTH && !is_root(cur); depth++) {
                char procs[16];
                long long have = ratio_of(cur), sum = children_ratio(cur, NULL);
                long long period = number_at(cur, "cpu.rt_period_us");
                if (have <= 0 || sum < 0 || period <= 0 || have <= sum ||
                    read_file_at(cur, "cgroup.procs", procs, sizeof procs) != 0)
                        break;
                long long ratio = have - share > sum ? have - share : sum;
                unsigned long long scaled = (unsigned long long) ratio * (unsigned long long) period;
                char value[32];
                snprintf(value, sizeof value, "%lld", (long long) ((scaled + (1ULL << BW_SHIFT) - 1) >> BW_SHIFT));
                if (write_file_at(cur, "cpu.rt_runtime_us", value) < 0)
                        break;
                int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(cur);
                cur = up;
        }
        if (cur >= 0)
                close(cur);
}
