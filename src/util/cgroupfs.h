/* The host's cgroup hierarchies as /proc/self/mountinfo and /proc/self/cgroup
 * show them: one cgroup2 (pure v2: /sys/fs/cgroup; hybrid: .../unified),
 * and on v1 and hybrid hosts one v1 hierarchy per controller set
 * ("memory", "cpu,cpuacct", "name=systemd"). Shared by the cgroup drivers
 * and the container init (its /sys/fs/cgroup view). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cgroupfs_hier {
        char mount[128]; /* its mount point */
        char ctrls[96];  /* v1: the controllers (and name=X) it carries, comma-separated; v2: "" */
        bool v2;
};

#define CGROUPFS_MAX 24

/* Every mounted hierarchy, each once (its first mount of the whole tree).
 * The count, or -errno. */
int cgroupfs_hierarchies(struct cgroupfs_hier *out, size_t max);

/* Whether the v1 hierarchy carries `name` ("memory", "name=systemd"). */
bool cgroupfs_carries(const struct cgroupfs_hier *h, const char *name);

/* The calling process's cgroup in that hierarchy (from /proc/self/cgroup),
 * starting with '/'. 0 or -errno. */
int cgroupfs_self_path(const struct cgroupfs_hier *h, char *buf, size_t size);
