#pragma once

#include <limits.h>

#include "carrel/spec.h"
#include "cgroup/cgroup.h"
#include "carrel/state.h"
#include "core/console.h"
#include "core/idrange.h"
#include "core/container.h"
#include "linux/context.h"
#include "linux/seccomp_filter.h"

struct launch {
        struct spec *spec;
        char bundle[PATH_MAX], rootfs[PATH_MAX];
        int dirfd;   /* locked state dir */
        bool own_dir;
        int sync_fd; /* parent end */
        int pidfd;
        pid_t pid;
        struct seccomp_program seccomp;
        struct cgroup cg;
        struct cgroup cg_plan;     /* where cg will be, recorded before it is made */
        struct net_config net;
        struct id_range ids; /* --userns auto|private: our allocation (slot -1: none) */
        char host_if[16]; /* the host end of the veth pair we made, or "" */
        struct console console; /* process.terminal */
        int master;             /* the pty master, when we proxy the terminal */
        struct init_ctx ctx;
};

/* Load and check the bundle, make the state dir, clone the init and wait
 * until it is set up (or failed), then record state.json and the pid file.
 * On failure nothing is left: no process, no state dir. */
int launch_container(struct launch *l, const struct create_opts *o, bool use_fifo, struct carrel_error *err);

/* Fit the process's capabilities to this kernel and log what the decoder
 * and this step dropped (runtime-spec: SHOULD warn, not fail). */
void launch_spec_warnings(struct spec *s);

/* Kill the init (if any), remove the state dir, release everything. */
void launch_abort(struct launch *l, const char *root, const char *id);
void launch_release(struct launch *l);
