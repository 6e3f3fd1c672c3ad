/* The on-disk state of one container: --root/<id>/state.json, exec.fifo
 * while it waits for start, and an flock on the directory. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "carrel/error.h"

typedef struct json_t json_t;

enum container_status { STATUS_CREATING, STATUS_CREATED, STATUS_RUNNING, STATUS_STOPPED, STATUS_PAUSED };

struct container_state {
        char id[256];
        pid_t pid;
        uint64_t start_time; /* of the init, to tell it apart from a reused pid */
        char bundle[4096];
        char rootfs[4096];
        char created[64];
        bool has_pidns;      /* the init is pid 1 of its own pid namespace */
        bool has_poststart, has_poststop; /* config.json has hooks to run at start / delete */
        char cgroup_mount[64], cgroup_path[4096]; /* empty: no cgroup */
        bool cgroup_created;
        bool cgroup_shared;       /* other processes were in it at create: delete leaves them */
        unsigned cgroup_made_v1; /* struct cgroup's made_v1 */
        char net_host_if[16];
        int userns_slot;         /* allocated id range (--userns auto|private), or -1 */    /* host end of the container's veth pair, or "" */
        json_t *annotations; /* owned, or NULL */
        /* Crash safety: create writes state.json before it makes anything, with
         * `creating` set and every resource it is about to make (cgroup, veth)
         * named; the last write clears it. A state.json still "creating" when
         * the directory lock is free belongs to a create that died. */
        bool creating;
        /* The init's executable before it execs the workload (the carrel
         * binary): while /proc/PID/exe is still this file, the workload has not
         * started. 0: unknown (fall back to exec.fifo). */
        uint64_t exe_dev, exe_ino;
        bool reaper; /* org.carrel.init=reaper: the init forks the workload and stays */
};

/* The comm the reaper init takes once it has forked the workload. */
#define STATE_REAPER_COMM "carrel-init"

const char *status_name(enum container_status s);
bool container_id_valid(const char *id);

/* Make --root (0700) and --root/<id>, locked. -EEXIST with a clear message if it exists. */
int state_dir_create(const char *root, const char *id, int *ret_dirfd, struct carrel_error *err);

/* Open --root/<id> and take the lock (exclusive or shared). "does not exist" if missing. */
int state_dir_open(const char *root, const char *id, bool exclusive, int *ret_dirfd, struct carrel_error *err);

/* Remove the bundle that `run --rootfs` kept under --root/.bundles/<id>, if
 * any, with everything in it. -errno if it is still there. */
int state_bundle_remove(const char *root, const char *id);

/* Remove --root/<id> and everything in it (state.json last) and its .bundles
 * entry. -errno if something stays; *ret_what then names it. */
int state_dir_remove(const char *root, const char *id, int dirfd);

/* delete --force of an id whose state.json is missing (a create killed before
 * it wrote any): lock and remove the directory with whatever is in it. The
 * error names what could not be removed. 0 if there was nothing. */
int state_dir_remove_orphan(const char *root, const char *id, struct carrel_error *err);

int state_write(int dirfd, const struct container_state *st, struct carrel_error *err);
int state_read(int dirfd, const char *id, struct container_state *ret, struct carrel_error *err);
void state_release(struct container_state *st);

/* created / running / stopped, from pid plus start time and exec.fifo. */
enum container_status state_status(int dirfd, const struct container_state *st);

/* The runtime-spec state object. */
json_t *state_to_json(const struct container_state *st, enum container_status status);

/* A pidfd for the init, or -ESRCH if it is gone or the pid was reused. */
int state_pidfd(const struct container_state *st);
