/* The container's cgroup, one interface over the drivers that serve it:
 *   v2 (cgroup_v2.c, resources_v2.c, stats_v2.c, devices_bpf.c): the unified hierarchy;
 *   v1 (cgroup_v1.c, resources_v1.c, stats_v1.c): one legacy hierarchy per
 *      controller set, on v1 hosts and for the controllers a hybrid host's
 *      unified hierarchy does not offer.
 * A controller the unified hierarchy offers is served there, every other
 * one by its v1 hierarchy; the container is placed in every hierarchy under
 * the same path;
 *   systemd (cgroup_systemd.c, systemd_props.c): systemd makes the cgroup, a
 *      transient scope with Delegate=yes, and the v2/v1 writers fill it.
 * Callers never ask which driver they have. */
#pragma once

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "carrel/error.h"
#include "carrel/spec.h"
#include "util/cgroup2fs.h"

/* One v1 hierarchy the container has a cgroup in. */
struct cgroup_v1 {
        char mount[128]; /* /sys/fs/cgroup/memory */
        char ctrls[96];  /* "memory", "cpu,cpuacct", "name=systemd" */
        unsigned mask;   /* CG1_* it serves for this container */
        int fd;          /* the container's cgroup directory in it */
        bool made;       /* carrel created it */
};

#define CGROUP_V1_MAX 16

struct cgroup_systemd;

struct cgroup {
        char mount[64];      /* the cgroup2 hierarchy's mount point, "" when the host has none */
        char path[PATH_MAX]; /* the container's cgroup, from each hierarchy's root, starting with '/' */
        int fd;              /* the cgroup directory on the unified hierarchy, or -1 */
        bool created;        /* carrel made it, so carrel removes it (in every hierarchy) */
        bool shared;         /* it held processes when the container was made (as runc allows) */
        unsigned v2_mask;    /* CG_* controllers the unified hierarchy serves */
        unsigned made_v1;    /* which v1 hierarchies carrel made it in (opaque; kept in the state file) */
        size_t n_v1;
        struct cgroup_v1 v1[CGROUP_V1_MAX];
        struct cgroup_systemd *sd; /* the systemd driver's part, or NULL */
};

#define CGROUP_INIT { .fd = -1 }


/* The container's cgroup path from linux.cgroupsPath (pure): absolute paths
 * are taken as they are, relative ones go under /carrel, none is /carrel/<id>. */
int cgroup_path_for(const char *cgroups_path, const char *id, char *buf, size_t size, struct carrel_error *err);

/* Let systemd make the cgroups (`--systemd-cgroup`): a transient scope per
 * container. A cgroupsPath of the form slice:prefix:name chooses it too. */
void cgroup_use_systemd(bool on);

/* Create (or adopt) the cgroup in every hierarchy, enable the controllers
 * linux.resources needs and write the limits. A host without any cgroup
 * hierarchy gives an inactive cgroup (or an error when limits are asked for). */
int cgroup_create(const struct spec *s, const char *id, struct cgroup *ret, struct carrel_error *err);

/* What cgroup_create would make for this spec and id, without making
 * anything: its path, and in which hierarchies it does not exist yet
 * (created, made_v1). Recorded before the create, so that a delete after a
 * crash finds and removes what the create made. No path (path[0] == '\0')
 * when there is none to record (a systemd unit, which systemd removes). */
void cgroup_plan(const struct spec *s, const char *id, struct cgroup *ret);

/* Open the cgroup of an existing container (`mount` and `path` as recorded
 * from a created one). -ENOENT if it is gone. */
int cgroup_open(const char *mount, const char *path, struct cgroup *ret);
void cgroup_close(struct cgroup *cg);

/* exec --cgroup "[CONTROLLER[,CONTROLLER]:]PATH": go down to an existing
 * cgroup PATH below the opened one, in every hierarchy where it exists, or
 * only in those of the named controllers ("unified" is the cgroup2 one). */
int cgroup_descend(struct cgroup *cg, const char *arg, struct carrel_error *err);

/* Whether there is a cgroup at all. */
bool cgroup_active(const struct cgroup *cg);

/* The fd for clone3's CLONE_INTO_CGROUP, or -1; and whether that alone
 * places a child in every hierarchy. When not, the child must wait until
 * cgroup_enter moved it, and make its cgroup namespace only then. */
int cgroup_clone_fd(const struct cgroup *cg);
bool cgroup_clone_places_fully(const struct cgroup *cg);

/* Move `pid` in, in every hierarchy (under systemd: start the scope with
 * `pid` in it, then write the limits). */
int cgroup_enter(const struct cgroup *cg, pid_t pid, struct carrel_error *err);

/* Freeze or thaw (cgroup.freeze or the v1 freezer), waiting until the kernel
 * reports the new state. */
int cgroup_freeze(const struct cgroup *cg, bool frozen, struct carrel_error *err);
bool cgroup_frozen(const struct cgroup *cg);

/* Whether any process is still in it. */
bool cgroup_populated(const struct cgroup *cg);

/* Signal every process in the cgroup (cgroup.kill for SIGKILL where it exists). */
int cgroup_signal_all(const struct cgroup *cg, int sig, struct carrel_error *err);

/* Kill everything in it, wait until it is empty, remove it (in every
 * hierarchy) if carrel made it. */
int cgroup_destroy(struct cgroup *cg, struct carrel_error *err);

/* The pids in cgroup.procs (caller frees *ret). */
int cgroup_pids(const struct cgroup *cg, pid_t **ret, size_t *ret_n);

/* Give a cgroup carrel made (its unified one) to the root of the spec's new
 * user namespace, so a guest's init can manage its own subtree (delegate.c).
 * Nothing happens without a user namespace. */
int cgroup_delegate_to_userns(const struct cgroup *cg, const struct spec *s, struct carrel_error *err);

/* Controllers (memory, cpu, ...) that linux.resources needs, as a mask. */
enum {
        CG_CPU = 1 << 0, CG_CPUSET = 1 << 1, CG_MEMORY = 1 << 2, CG_IO = 1 << 3, CG_PIDS = 1 << 4,
        CG_HUGETLB = 1 << 5, CG_RDMA = 1 << 6, CG_MISC = 1 << 7,
};
unsigned cgroup_controllers_needed(const struct spec_resources *r);
const char *cgroup_controller_name(unsigned bit);

/* Write linux.resources into the cgroup v2 directory `dirfd`. With `update`,
 * memory.checkBeforeUpdate is honoured. Pure file writes relative to dirfd,
 * so tests can point it at a temporary directory. */
int cgroup_resources_apply(int dirfd, const struct spec_resources *r, bool update, struct carrel_error *err);

/* linux.resources of a live container (`update`), through whichever
 * driver serves each controller. A field no hierarchy serves is an error
 * that names it. */
int cgroup_update(const struct cgroup *cg, const struct spec_resources *r, struct carrel_error *err);

/* The device rules (last match wins, no match denies): the v1 devices
 * controller's lists, or the eBPF filter on the unified hierarchy. */
int cgroup_devices_apply(const struct cgroup *cg, const struct spec_device_rule *rules, size_t n,
                         struct carrel_error *err);

/* The `events --stats` object (runc's shape), and the OOM kills counted so
 * far (-1 when unknown). */
json_t *cgroup_stats(const struct cgroup *cg);
long long cgroup_oom_count(const struct cgroup *cg);

/* Which driver serves each controller on this host: {"memory": "v1", ...}
 * (for `features` and --debug). */
json_t *cgroup_drivers_json(void);
