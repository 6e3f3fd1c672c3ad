/* What every step of building a container needs. Filled by core/init.c and
 * passed to each src/linux step in a fixed order. */
#pragma once

#include <linux/limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "carrel/error.h"
#include "carrel/spec.h"
#include "linux/net.h"

struct seccomp_program;

struct init_ctx {
        const struct spec *spec;
        const char *id;
        const char *bundle;      /* absolute */
        const char *rootfs;      /* absolute host path of root.path */
        int rootfs_fd;           /* O_PATH, the rootfs mount; -1 until rootfs_prepare */
        int proc_fd;             /* private, verified procfs root; -1 if none yet */
        int sync_fd;             /* socket to the parent */
        int fifo_fd;             /* O_PATH to exec.fifo (create), or -1 (run) */
        int ns_fds[NS__COUNT];   /* namespaces to join, -1 = none */
        bool userns;             /* running in a new user namespace */
        bool userns_joined;      /* in a user namespace joined by path (see ns_clone_init) */
        bool idmap_rootfs;       /* mount the rootfs idmapped into that user namespace */
        bool dev_readonly;       /* a read-only /dev, mounted writable until mounts_finish made it so */
        bool late_cgroupns;      /* born outside its cgroup: unshare the cgroup ns once moved in */
        const char *cgroup_path; /* its cgroup, the same path in every hierarchy; NULL = none */
        bool hold_before_exec;   /* exec into a paused container: READY, wait for GO, then exec */
        int rootfs_tree;         /* the idmapped rootfs the parent made, or -1 */
        int *bind_fds;           /* per mount: the detached tree the parent made (core/bind_fds.h), or -1 */
        int start_fd;            /* exec.fifo's write end while start waits for the exec, or -1 */
        bool no_pivot, no_new_keyring;
        int preserve_fds;
        const struct seccomp_program *seccomp; /* compiled by the parent, loaded by the init */
        int listener_fd;         /* seccomp notify listener, or -1 */
        int console_fd;          /* where to send the pty master (process.terminal), or -1 */
        int pty_peer;            /* the container side of the pty, or -1 */
        struct net_config net;   /* veth set-up for eth0, when asked */
        pid_t host_pid;          /* the init's pid as the runtime sees it (sent with SYNC_GO) */
        bool cwd_retry;          /* root could not enter process.cwd: try again as the user */
        const char **env;        /* process.env plus HOME, when it was missing; NULL = process.env */
        char exec_path[PATH_MAX];
};
