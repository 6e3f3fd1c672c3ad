/* cgroup v2: one cgroup per container on the unified hierarchy. On a hybrid
 * host (v1 controllers, an almost empty cgroup2 at /sys/fs/cgroup/unified)
 * the unified hierarchy still tracks, freezes and kills the container;
 * asking for a controller it lacks is an error that names the controller.
 * The v1 hierarchies are never touched. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "carrel/error.h"
#include "carrel/spec.h"
#include "util/cgroup2fs.h"

struct cgroup {
        char mount[64];      /* where the cgroup2 hierarchy is mounted */
        char path[PATH_MAX]; /* the container's cgroup, from the hierarchy's root, starting with '/' */
        int fd;              /* the cgroup directory, or -1 */
        bool created;        /* carrel made it, so carrel removes it */
};

#define CGROUP_INIT { .fd = -1 }


/* The container's cgroup path from linux.cgroupsPath (pure): absolute paths
 * are taken as they are, relative ones go under /carrel, none is /carrel/<id>. */
int cgroup_path_for(const char *cgroups_path, const char *id, char *buf, size_t size, struct carrel_error *err);

/* Create (or adopt) the cgroup, enable the controllers linux.resources needs
 * in every parent and write the limits. */
int cgroup_create(const struct spec *s, const char *id, struct cgroup *ret, struct carrel_error *err);

/* Open the cgroup of an existing container. -ENOENT if it is gone. */
int cgroup_open(const char *mount, const char *path, struct cgroup *ret);
void cgroup_close(struct cgroup *cg);

/* Move `pid` in (the fallback when clone3 cannot use CLONE_INTO_CGROUP). */
int cgroup_enter(const struct cgroup *cg, pid_t pid, struct carrel_error *err);

/* cgroup.freeze, waiting until the kernel reports the new state. */
int cgroup_freeze(const struct cgroup *cg, bool frozen, struct carrel_error *err);
bool cgroup_frozen(const struct cgroup *cg);

/* Signal every process in the cgroup (cgroup.kill for SIGKILL where it exists). */
int cgroup_signal_all(const struct cgroup *cg, int sig, struct carrel_error *err);

/* Kill everything in it, wait until it is empty, remove it if carrel made it. */
int cgroup_destroy(struct cgroup *cg, struct carrel_error *err);

/* The pids in cgroup.procs (caller frees *ret). */
int cgroup_pids(const struct cgroup *cg, pid_t **ret, size_t *ret_n);

/* Controllers (memory, cpu, ...) that linux.resources needs, as a mask. */
enum {
        CG_CPU = 1 << 0, CG_CPUSET = 1 << 1, CG_MEMORY = 1 << 2, CG_IO = 1 << 3, CG_PIDS = 1 << 4,
        CG_HUGETLB = 1 << 5, CG_RDMA = 1 << 6, CG_MISC = 1 << 7,
};
unsigned cgroup_controllers_needed(const struct spec_resources *r);
const char *cgroup_controller_name(unsigned bit);

/* Write linux.resources into the cgroup directory `dirfd`. With `update`,
 * memory.checkBeforeUpdate is honoured. Pure file writes relative to dirfd,
 * so tests can point it at a temporary directory. */
int cgroup_resources_apply(int dirfd, const struct spec_resources *r, bool update, struct carrel_error *err);
