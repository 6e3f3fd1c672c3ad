#pragma once

typedef struct json_t json_t;

/* runc's stats object (cpu, memory with its high-water mark, pids, blkio,
 * hugetlb) from the cgroup directory `dirfd`. Missing files leave zeros. */
json_t *cgroup_stats_json(int dirfd);

/* oom_kill from memory.events, or -1. */
long long cgroup_oom_kills(int dirfd);
