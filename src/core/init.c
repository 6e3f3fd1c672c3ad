/* The child's fixed order. Each step lives in src/linux; this file only calls them. */
#include "core/init.h"

#include "carrel/state.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/hooks.h"
#include "core/sync.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/sys.h"
#include "linux/creds.h"
#include "linux/devices.h"
#include "linux/tunables.h"
#include "linux/masks.h"
#include "linux/mounts.h"
#include "linux/ns.h"
#include "linux/pivot.h"
#include "linux/process.h"
#include "core/sealed_exe.h"
#include "linux/reaper.h"
#include "linux/lsm.h"
#include "linux/seccomp_filter.h"
#include "linux/terminal.h"

static bool maps_container_root(const struct spec_idmap *m, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (m[i].container_id == 0)
                        return true;
        return false;
}

static int wait_for_go(struct init_ctx *ctx, struct carrel_error *err)
{
        struct sync_msg m;
        size_t n = ctx->spec->n_mounts;
        ctx->bind_fds = malloc((n ? n : 1) * sizeof *ctx->bind_fds);
        if (!ctx->bind_fds)
                return carrel_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++)
                ctx->bind_fds[i] = -1;
        int r, fd;
        /* Bind mounts the parent made come first, one per message. */
        while ((r = sync_recv_fd(ctx->sync_fd, &m, &fd)) == 0 && m.type == SYNC_MOUNT) {
                if (m.code >= 0 && (size_t) m.code < n && ctx->bind_fds[m.code] < 0)
                        ctx->bind_fds[m.code] = fd;
                else if (fd >= 0)
                        close(fd);
        }
        ctx->rootfs_tree = r == 0 ? fd : -1;
        if (r < 0 || m.type != SYNC_GO)
                return carrel_error_set(err, r < 0 ? -r : EPROTO, "the parent went away during set-up");
        ctx->host_pid = m.code;
        if (ctx->userns_joined) {
                /* Root of the joined user namespace, where it has one (as runc). */
                if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
                        return carrel_error_errno(err, errno, "setresgid(0) in the user namespace");
                if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
                        return carrel_error_errno(err, errno, "setresuid(0) in the user namespace");
                return 0;
        }
        if (!ctx->userns)
                return 0;
        const struct spec *s = ctx->spec;
        if (maps_container_root(s->gid_mappings, s->n_gid_mappings) && setresgid(0, 0, 0) < 0)
                return carrel_error_errno(err, errno, "setresgid(0) in the user namespace");
        if (maps_container_root(s->uid_mappings, s->n_uid_mappings) && setresuid(0, 0, 0) < 0)
                return carrel_error_errno(err, errno, "setresuid(0) in the user namespace");
        return 0;
}

/* prestart and createRuntime run in the parent (the runtime's namespaces),
 * createContainer here (the container's mount namespace), all before pivot_root. */
static int create_hooks(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec *s = ctx->spec;
        if (hooks_any(s, HOOK_PRESTART) || hooks_any(s, HOOK_CREATE_RUNTIME)) {
                struct sync_msg m;
                int r = sync_send(ctx->sync_fd, SYNC_HOOKS, NULL);
                if (r == 0)
                        r = sync_recv(ctx->sync_fd, &m);
                if (r < 0 || m.type != SYNC_GO)
                        return carrel_error_set(err, EPROTO, "the parent went away while running hooks");
        }
        if (!hooks_any(s, HOOK_CREATE_CONTAINER))
                return 0;
        _cleanup_free_ char *state = hook_state_json(ctx->id, "creating", ctx->host_pid, ctx->bundle, s->annotations);
        if (!state)
                return carrel_error_set(err, ENOMEM, "out of memory");
        /* in the rootfs, as runc runs them: "./lib" is the container's */
        if (fchdir(ctx->rootfs_fd) < 0)
                return carrel_error_errno(err, errno, "cannot enter the rootfs for the createContainer hooks");
        return hooks_run(s, HOOK_CREATE_CONTAINER, state, err);
}

static int start_hooks(struct init_ctx *ctx, struct carrel_error *err)
{
        if (!hooks_any(ctx->spec, HOOK_START_CONTAINER))
                return 0;
        _cleanup_free_ char *state = hook_state_json(ctx->id, "created", ctx->host_pid, ctx->bundle,
                                                     ctx->spec->annotations);
        if (!state)
                return carrel_error_set(err, ENOMEM, "out of memory");
        return hooks_run(ctx->spec, HOOK_START_CONTAINER, state, err);
}

static int init_setup(struct init_ctx *ctx, struct carrel_error *err)
{
        int r;
        if ((r = wait_for_go(ctx, err)) < 0)
                return r;
        if (ctx->userns && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return carrel_error_errno(err, errno, "PR_SET_DUMPABLE");
        if ((r = ns_join(ctx, err)) < 0)
                return r;
        log_debug("init: in the container's namespaces (host pid %d): child process in init()", (int) ctx->host_pid);
        if (ctx->late_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                return carrel_error_errno(err, errno, "cannot create a cgroup namespace");
        r = procfs_open_private(ctx, err);
        if (r < 0 && err->code)
                return r;
        if ((r = ns_time_setup(ctx, err)) < 0)
                return r;
        if ((r = ns_uts_net_setup(ctx, err)) < 0)
                return r;
        if ((r = rootfs_prepare(ctx, err)) < 0)
                return r;
        if ((r = mounts_apply(ctx, err)) < 0)
                return r;
        log_debug("init: rootfs %s and %zu mounts ready", ctx->rootfs, ctx->spec->n_mounts);
        if ((r = devices_setup(ctx, err)) < 0)
                return r;
        if ((r = process_make_cwd(ctx, err)) < 0)
                return r;
        if (ctx->spec->process.terminal && (r = terminal_setup(ctx, ctx->rootfs_fd, true, err)) < 0)
                return r;
        if ((r = masks_apply(ctx, err)) < 0)
                return r;
        if ((r = mounts_finish(ctx, err)) < 0)
                return r;
        if ((r = create_hooks(ctx, err)) < 0)
                return r;
        if ((r = seccomp_listener_connect(ctx, err)) < 0)
                return r;
        if ((r = rootfs_enter(ctx, err)) < 0)
                return r;
        log_debug("init: entered the rootfs (%s)", ctx->no_pivot ? "chroot" : "pivot_root");
        if (ctx->proc_fd < 0 && (r = procfs_open_container(ctx, err)) < 0)
                return r;
        if ((r = sysctl_apply(ctx, err)) < 0)
                return r;
        if ((r = limits_apply(ctx, err)) < 0)
                return r;
        if ((r = process_setup(ctx, err)) < 0)
                return r;
        if ((r = terminal_attach(ctx, err)) < 0)
                return r;
        stdio_give_to(ctx->spec->process.uid);
        /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
         * before the capabilities go (as runc does). Otherwise it comes last. */
        if (!ctx->spec->process.no_new_privileges && (r = seccomp_filter_load(ctx, err)) < 0)
                return r;
        if ((r = creds_apply(ctx, err)) < 0)
                return r;
        log_debug("init: user %u:%u and capabilities set", ctx->spec->process.uid, ctx->spec->process.gid);
        if ((r = process_prepare(ctx, err)) < 0)
                return r;
        return process_find_executable(ctx, err);
}

static int wait_for_start(struct init_ctx *ctx, struct carrel_error *err)
{
        if (ctx->fifo_fd < 0) {
                struct sync_msg m;
                int r = sync_recv(ctx->sync_fd, &m);
                if (r < 0 || m.type != SYNC_START)
                        _exit(1); /* `run` went away before starting us */
                return 0;
        }
        /* Opening the FIFO for writing blocks until `start` opens it for reading. */
        char path[32];
        snprintf(path, sizeof path, "self/fd/%d", ctx->fifo_fd);
        ctx->start_fd = openat(ctx->proc_fd, path, O_WRONLY | O_CLOEXEC);
        if (ctx->start_fd < 0)
                return carrel_error_errno(err, errno, "cannot open exec.fifo");
        return 0;
}

/* Tell `start` the startContainer hooks passed. The write end stays open
 * (close-on-exec): `start` sees it close when the workload is exec'd, and
 * only then runs poststart. */
static int report_started(struct init_ctx *ctx, struct carrel_error *err)
{
        if (ctx->start_fd < 0)
                return 0;
        if (write(ctx->start_fd, "0", 1) != 1)
                return carrel_error_errno(err, errno, "cannot write exec.fifo");
        return 0;
}

/* org.carrel.init = "reaper": this process stays as pid 1 and the child goes
 * on to exec the workload. The child keeps exec.fifo and the sync socket,
 * so `start` and `run` still see the workload's exec (or its error). */
static int fork_reaper(struct init_ctx *ctx, struct carrel_error *err)
{
        bool tty = ctx->spec->process.terminal;
        /* Blocked before the fork: a workload that exits at once must not
         * lose its SIGCHLD to the default disposition. */
        sigset_t all, old;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        /* `state` tells a started container from a created one by this name
         * (taken before the fork, so it is set when `start` returns). */
        prctl(PR_SET_NAME, STATE_REAPER_COMM, 0, 0, 0);
        /* Renamed before the fork: the workload may read /proc/1/cmdline at once. */
        reaper_set_cmdline(sealed_exe_argv(), "carrel-init");
        prctl(PR_SET_NAME, "carrel-init", 0, 0, 0);
        pid_t child = fork();
        if (child < 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                return carrel_error_errno(err, errno, "cannot fork the workload from its init");
        }
        if (child == 0) {
                sigprocmask(SIG_SETMASK, &old, NULL);
                if (tty) {
                        /* The workload gets the terminal's foreground. */
                        signal(SIGTTOU, SIG_IGN);
                        setpgid(0, 0);
                        tcsetpgrp(STDIN_FILENO, getpid());
                        signal(SIGTTOU, SIG_DFL);
                }
                return 0;
        }
        sys_close_range(3, ~0U, 0);
        reaper_run(child);
}

_Noreturn void init_main(struct init_ctx *ctx)
{
        struct carrel_error err = { 0 };
        /* CVE-2019-5736: until it execs the workload this process is the carrel
         * binary. Non-dumpable, its /proc/<pid>/exe (and the rest of its /proc
         * entry) is out of reach of anything in the container without
         * CAP_SYS_PTRACE, so the host binary cannot be opened through it.
         * In a new user namespace that waits for GO: until then nothing of the
         * container runs, and an unprivileged parent can only write our
         * uid_map and gid_map while /proc/<pid> is ours (dumpable). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || (!ctx->userns && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0))
                _exit(1);
        int r = init_setup(ctx, &err);
        if (r < 0)
                goto fail;
        /* From here on the init outlives `create`. */
        prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
        log_debug("init: closing the pipe to signal completion");
        if (sync_send(ctx->sync_fd, SYNC_READY, NULL) < 0)
                _exit(1);
        if (wait_for_start(ctx, &err) < 0 || lsm_apply_exec(ctx, &err) < 0)
                goto fail;
        /* The filter is in place before the startContainer hooks, which run in
         * the container under it (as runc orders them). */
        if (ctx->spec->process.no_new_privileges && seccomp_filter_load(ctx, &err) < 0)
                goto fail;
        if (start_hooks(ctx, &err) < 0 || report_started(ctx, &err) < 0)
                goto fail;
        log_debug("init: exec %s (seccomp filter: %s)", ctx->exec_path, ctx->seccomp ? "yes" : "none");
        if (spec_init_reaper(ctx->spec) && fork_reaper(ctx, &err) < 0)
                goto fail;
        process_exec(ctx, &err);
fail:
        /* After start released us, `start` is the one listening: tell it through the FIFO. */
        if (ctx->start_fd >= 0 && dprintf(ctx->start_fd, "1%s", err.msg) > 0)
                _exit(1);
        if (sync_send(ctx->sync_fd, SYNC_ERROR, &err) < 0)
                dprintf(STDERR_FILENO, "carrel: %s\n", err.msg);
        _exit(err.code == ENOENT ? 127 : err.code == EACCES ? 126 : 1);
}
