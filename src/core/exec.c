/* exec: join a running container through its init's pidfd and run one more
 * process there with the container's confinement (or --process's). */
#include "core/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "carrel/spec.h"
#include "carrel/state.h"
#include "cgroup/cgroup.h"
#include "core/console.h"
#include "core/launch.h"
#include "core/sealed_exe.h"
#include "core/sync.h"
#include "core/wait.h"
#include "linux/creds.h"
#include "linux/lsm.h"
#include "linux/placement.h"
#include "linux/process.h"
#include "linux/seccomp_filter.h"
#include "linux/terminal.h"
#include "linux/tunables.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/log.h"
#include "util/sys.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* A uid or gid: 4294967295 is (uid_t)-1, "no change" to setresuid, never an id. */
static int parse_id(const char *s, uint32_t *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (*s < '0' || *s > '9' || *end || errno || v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

/* env: the container's, with each --env K=V replacing K or added at the end. */
static int merge_env(struct spec *s, char **add, int n_add, struct carrel_error *err)
{
        struct spec_process *p = &s->process;
        const char **env = spec_alloc(s, (p->n_env + (size_t) n_add + 1) * sizeof *env);
        if (!env)
                return carrel_error_set(err, ENOMEM, "out of memory");
        size_t n = p->n_env;
        for (size_t i = 0; i < n; i++)
                env[i] = p->env[i];
        for (int i = 0; i < n_add; i++) {
                const char *eq = strchr(add[i], '=');
                if (!eq)
                        return carrel_error_set(err, EINVAL, "exec: --env %s is not KEY=VALUE", add[i]);
                size_t klen = (size_t) (eq - add[i]) + 1, j;
                for (j = 0; j < n; j++)
                        if (strncmp(env[j], add[i], klen) == 0)
                                break;
                env[j] = add[i];
                if (j == n)
                        n++;
        }
        env[n] = NULL;
        p->env = env;
        p->n_env = n;
        return 0;
}

static int apply_flags(struct spec *s, const struct exec_opts *o, struct carrel_error *err)
{
        struct spec_process *p = &s->process;
        if (o->process_file) {
                _cleanup_free_ char *text = NULL;
                size_t len;
                /* Labels the process object leaves out are the container's (runc). */
                const char *aa = p->apparmor_profile, *se = p->selinux_label;
                int r = read_config_source(o->process_file, 10000, &text, &len, err);
                if (r < 0 || (r = spec_decode_process(s, text, len, o->process_file, err)) < 0)
                        return r;
                if (!p->apparmor_profile)
                        p->apparmor_profile = aa;
                if (!p->selinux_label)
                        p->selinux_label = se;
        } else {
                if (o->n_args == 0)
                        return carrel_error_set(err, EINVAL, "exec: no command given (ARGS... or --process FILE)");
                p->args = (const char **) o->args; /* NULL-terminated: the tail of argv */
                p->n_args = (size_t) o->n_args;
                /* Only -t gives a terminal, whatever config.json says (as runc). */
                p->terminal = false;
        }
        if (o->tty)
                p->terminal = true;
        if (p->n_args == 0)
                return carrel_error_set(err, EINVAL, "%s: process.args: must not be empty", o->process_file);
        if (o->cwd)
                p->cwd = o->cwd;
        if (!p->cwd)
                p->cwd = "/";
        if (p->cwd[0] != '/')
                return carrel_error_set(err, EINVAL, "exec: cwd %s is not an absolute path", p->cwd);
        int r = merge_env(s, o->env, o->n_env, err);
        if (r < 0)
                return r;
        if (o->user) {
                char buf[64];
                snprintf(buf, sizeof buf, "%s", o->user);
                char *colon = strchr(buf, ':');
                if (colon)
                        *colon = '\0';
                if (parse_id(buf, &p->uid) < 0 || (colon && parse_id(colon + 1, &p->gid) < 0))
                        return carrel_error_set(err, EINVAL, "exec: --user %s is not UID[:GID] (ids 0..4294967294)", o->user);
                if (!colon)
                        p->gid = 0;
        }
        if (o->additional_gids) {
                char buf[1024];
                snprintf(buf, sizeof buf, "%s", o->additional_gids);
                p->additional_gids = spec_alloc(s, sizeof(uint32_t) * 256);
                p->n_additional_gids = 0;
                char *save = NULL;
                for (char *g = strtok_r(buf, ",", &save); g && p->n_additional_gids < 256; g = strtok_r(NULL, ",", &save))
                        if (parse_id(g, &p->additional_gids[p->n_additional_gids++]) < 0)
                                return carrel_error_set(err, EINVAL, "exec: --additional-gids: \"%s\" is not a gid (0..4294967294)", g);
        }
        for (int i = 0; i < o->n_caps; i++) {
                int cap = cap_from_name_str(o->caps[i]);
                if (cap < 0)
                        return carrel_error_set(err, EINVAL, "exec: --cap: unknown capability \"%s\"", o->caps[i]);
                /* Never the inheritable set (CVE-2022-29162). */
                uint64_t bit = 1ULL << cap;
                p->caps.bounding |= bit;
                p->caps.effective |= bit;
                p->caps.permitted |= bit;
                /* Ambient too, as runc 1.2, where the kernel allows it (the
                 * capability is inheritable). */
                if (p->caps.inheritable & bit)
                        p->caps.ambient |= bit;
        }
        if (o->no_new_privs)
                p->no_new_privileges = true;
        if (o->apparmor)
                p->apparmor_profile = o->apparmor;
        if (o->process_label)
                p->selinux_label = o->process_label;
        return lsm_labels_check(s, err);
}

/* The namespaces of `pid` that differ from ours, as CLONE_NEW* flags. */
static int differing_namespaces(pid_t pid)
{
        static const struct {
                const char *name;
                int flag;
        } kinds[] = {
                { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },     { "pid", CLONE_NEWPID },
                { "net", CLONE_NEWNET },   { "ipc", CLONE_NEWIPC },    { "uts", CLONE_NEWUTS },
                { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
        };
        int flags = 0;
        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                char theirs[64], mine[64];
                struct stat a, b;
                snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", (int) pid, kinds[i].name);
                snprintf(mine, sizeof mine, "/proc/self/ns/%s", kinds[i].name);
                if (stat(theirs, &a) == 0 && stat(mine, &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
                        flags |= kinds[i].flag;
        }
        return flags;
}

/* In the child: everything after the namespaces, in the same order as the init. */
static _Noreturn void exec_child(struct init_ctx *ctx, int pidfd, int ns_flags)
{
        struct carrel_error err = { 0 };
        int r = 0;
        /* CVE-2019-5736: see init_main. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                r = carrel_error_errno(&err, errno, "PR_SET_DUMPABLE");
        if (r == 0 && ns_flags && setns(pidfd, ns_flags) < 0)
                r = carrel_error_errno(&err, errno, "cannot join the container's namespaces");
        if (r == 0)
                log_debug("exec: joined the container's namespaces: child process in init()");
        if (r == 0 && chdir("/") < 0)
                r = carrel_error_errno(&err, errno, "chdir /");
        if (r == 0 && ctx->console_fd >= 0) {
                _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                r = terminal_setup(ctx, root, false, &err);
        }
        if (r == 0)
                r = procfs_open_container(ctx, &err);
        if (r == 0)
                r = limits_apply(ctx, &err);
        if (r == 0)
                r = process_setup(ctx, &err);
        if (r == 0)
                r = terminal_attach(ctx, &err);
        if (r == 0)
                stdio_give_to(ctx->spec->process.uid);
        /* Its own session and process group, as runc's exec (terminal_attach
         * made one already for a terminal). Not only a process group: in the
         * caller's session, reading the caller's terminal would stop it. */
        if (r == 0 && getsid(0) != getpid() && setsid() < 0)
                r = carrel_error_errno(&err, errno, "setsid");
        if (r == 0 && !ctx->spec->process.no_new_privileges)
                r = seccomp_filter_load(ctx, &err);
        if (r == 0)
                r = creds_apply(ctx, &err);
        if (r == 0)
                r = process_prepare(ctx, &err);
        if (r == 0)
                r = process_find_executable(ctx, &err);
        /* execCPUAffinity.final: now that it is in the container's cgroup
         * (into a paused one it moves later: then after GO). */
        if (r == 0 && !ctx->hold_before_exec)
                r = placement_affinity(ctx->spec->process.cpus_final, "final", &err);
        if (r == 0)
                r = lsm_apply_exec(ctx, &err);
        if (r == 0)
                log_debug("exec: exec %s in the container (setns_init: about to exec)", ctx->exec_path);
        if (r == 0 && ctx->spec->process.no_new_privileges)
                r = seccomp_filter_load(ctx, &err);
        if (r == 0 && ctx->hold_before_exec) {
                /* The parent moves us into the (frozen, or v1) cgroups now: we exec once there. */
                struct sync_msg m;
                if (sync_send(ctx->sync_fd, SYNC_READY, NULL) < 0 || sync_recv(ctx->sync_fd, &m) < 0 || m.type != SYNC_GO)
                        _exit(127);
                r = placement_affinity(ctx->spec->process.cpus_final, "final", &err);
        }
        if (r == 0)
                process_exec(ctx, &err);
        if (sync_send(ctx->sync_fd, SYNC_ERROR, &err) < 0)
                dprintf(STDERR_FILENO, "carrel: %s\n", err.msg);
        _exit(127);
}

struct exec_run {
        struct cgroup cg;
        struct console console;
        int master;
        struct spec *spec;
        struct seccomp_program seccomp;
        int pidfd, child_pidfd, sync_fd;
        bool paused; /* exec --ignore-paused into a frozen container */
};

static void exec_run_release(struct exec_run *x)
{
        seccomp_program_free(&x->seccomp);
        spec_free(x->spec);
        if (x->pidfd >= 0)
                close(x->pidfd);
        if (x->child_pidfd >= 0)
                close(x->child_pidfd);
        if (x->sync_fd >= 0)
                close(x->sync_fd);
        cgroup_close(&x->cg);
        console_close(&x->console);
        if (x->master >= 0)
                close(x->master);
}

static int prepare(struct exec_run *x, const struct exec_opts *o, struct container_state *st, struct carrel_error *err)
{
        _cleanup_close_ int dirfd = -1;
        int r = state_dir_open(o->root, o->id, false, &dirfd, err);
        if (r < 0 || (r = state_read(dirfd, o->id, st, err)) < 0)
                return r;
        enum container_status status = state_status(dirfd, st);
        state_release(st);
        if (status == STATUS_STOPPED)
                return carrel_error_set(err, ESRCH, "cannot exec in \"%s\": container not running", o->id);
        if (status == STATUS_PAUSED && !o->ignore_paused)
                return carrel_error_set(err, EBUSY, "cannot exec in a paused container (\"%s\": resume it, or use "
                                        "--ignore-paused)", o->id);
        x->paused = status == STATUS_PAUSED;
        if (st->cgroup_path[0])
                cgroup_open(st->cgroup_mount, st->cgroup_path, &x->cg);
        for (int i = 0; i < o->n_sub_cgroups; i++)
                if ((r = cgroup_descend(&x->cg, o->sub_cgroups[i], err)) < 0)
                        return r;
        char cfg[PATH_MAX + 16];
        snprintf(cfg, sizeof cfg, "%s/config.json", st->bundle);
        if ((r = spec_load_file(cfg, &x->spec, err)) < 0)
                return r;
        x->spec->n_warnings = 0; /* the container's own were logged by create */
        if ((r = apply_flags(x->spec, o, err)) < 0)
                return r;
        launch_spec_warnings(x->spec);
        if (x->spec->seccomp) {
                char cache[PATH_MAX];
                snprintf(cache, sizeof cache, "%s/.seccomp-cache", o->root);
                if ((r = seccomp_program_get(x->spec, cache, &x->seccomp, err)) < 0)
                        return r;
        }
        x->pidfd = state_pidfd(st);
        if (x->pidfd < 0)
                return carrel_error_set(err, ESRCH, "cannot exec in \"%s\": container not running", o->id);
        return 0;
}

int container_exec(const struct exec_opts *o, int *ret_status, struct carrel_error *err)
{
        fd_fill_preserved(o->preserve_fds);
        struct exec_run x = { .pidfd = -1, .child_pidfd = -1, .sync_fd = -1, .master = -1, .console = { -1, -1 },
                              .cg = CGROUP_INIT };
        struct container_state st;
        int r = prepare(&x, o, &st, err);
        if (r < 0 || (r = sealed_exe_if_needed(x.spec, err)) < 0)
                goto out;
        if (x.spec->process.terminal && (r = console_open(o->console_socket, !o->detach, &x.console, err)) < 0)
                goto out;

        /* execCPUAffinity.initial: this process, before the child joins the container. */
        if ((r = placement_affinity(x.spec->process.cpus_initial, "initial", err)) < 0)
                goto out;
        int ns_flags = differing_namespaces(st.pid);
        log_debug("exec: into \"%s\" (init pid %d), cgroup %s: nsexec container setup", o->id, (int) st.pid, x.cg.fd >= 0 ? x.cg.path : "none");
        /* Rootless: only inside the container's user namespace may we join
         * its pid namespace (it owns that one), so that one comes first. */
        if (geteuid() != 0 && (ns_flags & CLONE_NEWUSER)) {
                if (setns(x.pidfd, CLONE_NEWUSER) < 0) {
                        r = carrel_error_errno(err, errno, "cannot join the user namespace of \"%s\"", o->id);
                        goto out;
                }
                ns_flags &= ~CLONE_NEWUSER;
        }
        /* A pid namespace applies to children: join it here, the rest in the child. */
        if ((ns_flags & CLONE_NEWPID) && setns(x.pidfd, CLONE_NEWPID) < 0) {
                r = carrel_error_errno(err, errno, "cannot join the pid namespace of \"%s\"", o->id);
                goto out;
        }
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
                r = carrel_error_errno(err, errno, "socketpair");
                goto out;
        }
        x.sync_fd = sp[0];
        struct init_ctx ctx = {
                /* Held before its exec until moved in: into a paused container,
                 * or into v1 hierarchies, which clone3 cannot place it in. */
                .hold_before_exec = x.paused || (cgroup_active(&x.cg) && !cgroup_clone_places_fully(&x.cg)),
                .spec = x.spec, .id = o->id, .bundle = st.bundle, .rootfs = st.rootfs, .rootfs_fd = -1,
                .proc_fd = -1, .sync_fd = sp[1], .fifo_fd = -1, .no_new_keyring = true,
                .preserve_fds = o->preserve_fds, .listener_fd = -1, .seccomp = x.spec->seccomp ? &x.seccomp : NULL,
                .console_fd = x.console.send_fd, .pty_peer = -1, .rootfs_tree = -1, .start_fd = -1,
        };
        /* Born in the container's cgroup, so ps, kill --all and pause see it;
         * into a paused one only once its set-up is done (it would freeze). */
        bool into = x.cg.fd >= 0 && !x.paused;
        struct clone_args args = { .flags = CLONE_PIDFD | (into ? CLONE_INTO_CGROUP : 0),
                                   .pidfd = (uint64_t) (uintptr_t) &x.child_pidfd, .exit_signal = SIGCHLD,
                                   .cgroup = (uint64_t) (into ? x.cg.fd : 0) };
        pid_t pid = sys_clone3(&args);
        if (pid < 0 && into && errno != ENOMEM && errno != EAGAIN) {
                args.flags &= ~(uint64_t) CLONE_INTO_CGROUP; /* old kernel: moved in below */
                args.cgroup = 0;
                pid = sys_clone3(&args);
                if (pid > 0)
                        cgroup_enter(&x.cg, pid, NULL);
        }
        if (pid == 0) {
                close(sp[0]);
                if (x.console.recv_fd >= 0)
                        close(x.console.recv_fd);
                exec_child(&ctx, x.pidfd, ns_flags & ~CLONE_NEWPID);
        }
        close(sp[1]);
        if (x.console.send_fd >= 0) {
                close(x.console.send_fd);
                x.console.send_fd = -1;
        }
        if (pid < 0) {
                r = carrel_error_errno(err, errno, "clone3");
                goto out;
        }
        struct sync_msg m;
        r = sync_recv(x.sync_fd, &m);
        if (r == 0 && m.type == SYNC_READY) {
                if ((r = cgroup_enter(&x.cg, pid, err)) < 0 || (r = sync_send(x.sync_fd, SYNC_GO, NULL)) < 0) {
                        sys_pidfd_send_signal(x.child_pidfd, SIGKILL, NULL, 0);
                        r = err->code ? r : carrel_error_set(err, -r, "the exec'd process died before its exec");
                        goto out;
                }
        } else if (r == 0 && m.type == SYNC_ERROR) {
                siginfo_t si;
                waitid(P_PIDFD, (id_t) x.child_pidfd, &si, WEXITED);
                r = carrel_error_set(err, m.code > 0 ? m.code : EIO, "%s", m.msg);
                goto out;
        }
        r = 0; /* EOF (the socket closed on a successful exec), or released into a frozen cgroup */
        if (o->pid_file && (r = write_pid_file(o->pid_file, pid)) < 0) {
                r = carrel_error_set(err, -r, "cannot write the pid file %s: %s", o->pid_file, strerror(-r));
                goto out;
        }
        if (o->pidfd_socket && (r = pidfd_socket_send(o->pidfd_socket, x.child_pidfd, err)) < 0) {
                sys_pidfd_send_signal(x.child_pidfd, SIGKILL, NULL, 0);
                goto out;
        }
        if (x.console.recv_fd >= 0 && (r = console_recv_master(&x.console, &x.master, err)) < 0)
                goto out;
        if (!o->detach)
                r = wait_forwarding(x.child_pidfd, x.master, ret_status, err);
out:
        exec_run_release(&x);
        return r;
}
