/* Where the host's cgroup2 hierarchy is, and which cgroup a process is in.
 * Shared by the cgroup manager and the container init (its cgroup mount). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* /sys/fs/cgroup when it is cgroup2, else /sys/fs/cgroup/unified (a hybrid
 * host). 0, or -ENOENT when the host has no cgroup2 at all. */
int cgroup2_mount(char *buf, size_t size, bool *ret_hybrid);

/* The calling process's cgroup2 path (the "0::" line of /proc/self/cgroup),
 * starting with '/'. 0 or -errno. */
int cgroup2_self_path(char *buf, size_t size);
