/* Shared between the cgroup drivers (cgroup.c picks and combines them). */
#pragma once

#include <jansson.h>

#include "cgroup/cgroup.h"

/* The v1 controllers (and named hierarchies) carrel places a container in. */
enum {
        CG1_CPU, CG1_CPUACCT, CG1_CPUSET, CG1_MEMORY, CG1_DEVICES, CG1_FREEZER, CG1_BLKIO, CG1_PIDS, CG1_HUGETLB,
        CG1_NET_CLS, CG1_NET_PRIO, CG1_PERF_EVENT, CG1_RDMA, CG1_MISC, CG1_NAMED, CG1__COUNT
};
const char *cgroup_v1_name(int c); /* "memory"; "name=" for CG1_NAMED */

/* A pseudo controller bit for linux.resources.network (net_cls and net_prio). */
#define CG_NET (1U << 8)

/* The fields of `r` that belong to the CG_* controllers in `mask` (unified
 * goes with CG_MISC's side, the cgroup v2 one, when `with_unified`). */
void cgroup_resources_select(const struct spec_resources *r, unsigned mask, bool with_unified,
                             struct spec_resources *out);

/* The CG_* controller of a cgroup v2 file ("memory.min": CG_MEMORY), or 0. */
unsigned cgroup_controller_of_file(const char *file);

/* One rdma entry as rdma.max takes it, in v1 and v2 alike. */
void cgroup_rdma_line(const struct spec_rdma *d, char *buf, size_t size);

/* v1: linux.resources into the per-controller directories fds[CG1_*] (-1 =
 * not mounted: a field that needs it fails naming it). Only file writes
 * relative to those fds, so tests can point them all at one temporary
 * directory. */
int cgroup_v1_resources_apply(const int fds[CG1__COUNT], const struct spec_resources *r, bool update,
                              struct carrel_error *err);

/* v1 cpu: raise the real-time budget of the ancestors of the cgroup at
 * cpu_fd (below the hierarchy root) so that it can take runtime/period
 * (rt_budget_v1.c). 0, or -errno of the write that failed. */
int cgroup_v1_rt_make_room(int cpu_fd, long long runtime, unsigned long long period);
/* Its share of that budget, read before it is removed; after the rmdir,
 * give it back to the ancestors from parent_fd up. */
long long cgroup_v1_rt_share(int cpu_fd);
void cgroup_v1_rt_give_back(int parent_fd, long long share);

/* v1: the device rules as devices.deny/devices.allow writes. */
int cgroup_v1_devices_apply(int fd, const struct spec_device_rule *rules, size_t n, struct carrel_error *err);

/* Every "key value" line of a flat-keyed file into an object (stats_v2.c). */
json_t *cgroup_keyed_json(int dirfd, const char *file);

/* v1 stats in the v2 `events --stats` shape, from fds[CG1_*] (-1 = none). */
json_t *cgroup_v1_stats_json(const int fds[CG1__COUNT]);
long long cgroup_v1_oom_kills(int memory_fd);

/* v2 (cgroup_v2.c), on cg->fd. */
int cgroup_v2_make(int root_fd, const char *path, unsigned ctrls, const char *self, bool *ret_created,
                   struct carrel_error *err);
bool cgroup_v2_populated(int fd);
int cgroup_v2_freeze(const struct cgroup *cg, bool frozen, struct carrel_error *err);
bool cgroup_v2_frozen(int fd);
int cgroup_v2_wait_empty(int fd, int ms);
void cgroup_remove_children(int dirfd, int depth);
long long cgroup_keyed_value(int dirfd, const char *file, const char *key);
int cgroup_read_pids(int dirfd, pid_t **ret, size_t *ret_n);

/* v1 (cgroup_v1.c). */
int cgroup_v1_make(struct cgroup_v1 *h, const char *path, struct carrel_error *err);
int cgroup_v1_freeze(const struct cgroup_v1 *freezer, const char *path, bool frozen, struct carrel_error *err);
bool cgroup_v1_frozen(const struct cgroup_v1 *freezer);

/* systemd (cgroup_systemd.c): the scope a container gets. */
struct cgroup_systemd {
        char slice[256], unit[256];
        bool user;                    /* the caller's user instance, not the system one */
        bool pending;                 /* asked for, not started yet: cgroup_enter starts it */
        struct spec_resources res;    /* what cgroup_enter applies once the scope exists */
        bool has_res;
        struct spec_device_rule *rules; /* the device rules, likewise */
        size_t n_rules;
        bool has_rules;
};
/* made_v1 bits that mark a container of the systemd driver in the state file. */
#define CG_MADE_SYSTEMD (1U << 28)
#define CG_MADE_SYSTEMD_USER (1U << 29)

/* Unit, slice and bus for `s`, and the scope's cgroup path into `path`;
 * fails naming the cgroupfs fallback when no systemd answers. */
int cgroup_systemd_prepare(struct cgroup_systemd *sd, const struct spec *s, const char *id, char *path,
                           size_t path_size, struct carrel_error *err);
/* StartTransientUnit with `pid` in it, waiting for the job. */
int cgroup_systemd_start(const struct cgroup_systemd *sd, const struct spec_resources *res, pid_t pid,
                         struct carrel_error *err);
/* SetUnitProperties (runtime) for `update`. */
int cgroup_systemd_set(const char *unit, bool user, const struct spec_resources *res, struct carrel_error *err);
/* StopUnit, waiting for the job, then ResetFailedUnit. A unit already gone is fine. */
int cgroup_systemd_stop(const char *unit, bool user, struct carrel_error *err);
