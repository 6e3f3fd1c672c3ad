/* Launching a container: the parent side of create and run. */
#include "core/launch.h"

#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroup/devices_bpf.h"
#include "core/bind_fds.h"
#include "core/hooks.h"
#include "core/init.h"
#include "core/sealed_exe.h"
#include "core/sync.h"
#include "linux/lsm.h"
#include "core/userns_map.h"
#include "linux/ns.h"
#include "linux/seccomp_filter.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/sys.h"

void launch_spec_warnings(struct spec *s)
{
        char buf[16];
        if (read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", buf, sizeof buf) > 0)
                spec_caps_fit_kernel(s, atoi(buf));
        for (size_t i = 0; i < s->n_warnings; i++)
                log_warning("%s", s->warnings[i]);
        s->n_warnings = 0;
}

static int resolve_paths(struct launch *l, const struct create_opts *o, struct carrel_error *err)
{
        if (!realpath(o->bundle ? o->bundle : ".", l->bundle))
                return carrel_error_errno(err, errno, "bundle %s", o->bundle ? o->bundle : ".");
        char cfg[PATH_MAX + 16];
        snprintf(cfg, sizeof cfg, "%s/config.json", l->bundle);
        int r = spec_load_file(cfg, &l->spec, err);
        if (r < 0)
                return r;
        if ((r = spec_validate(l->spec, "config.json", err)) < 0 || (r = lsm_labels_check(l->spec, err)) < 0)
                return r;
        launch_spec_warnings(l->spec);
        const char *rp = l->spec->root_path;
        char joined[PATH_MAX * 2];
        snprintf(joined, sizeof joined, "%s%s%s", rp[0] == '/' ? "" : l->bundle, rp[0] == '/' ? "" : "/", rp);
        if (!realpath(joined, l->rootfs))
                return carrel_error_errno(err, errno, "config.json: root.path: %s", joined);
        if (strcmp(l->rootfs, "/") == 0)
                return carrel_error_set(err, EINVAL, "config.json: root.path: %s resolves to / (the host's root "
                                        "cannot be a container's rootfs)", joined);
        struct stat st;
        if (stat(l->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
                return carrel_error_set(err, ENOTDIR, "config.json: root.path: %s is not a directory", l->rootfs);
        /* One joined by path is set up like a new one, as runc does. Without
         * any, the container's mounts and pivot_root would land in the host's. */
        if (!l->spec->ns[NS_MNT].present)
                return carrel_error_set(err, EINVAL, "config.json: linux.namespaces: a mount namespace is required "
                                        "(a new one, or one joined by path)");
        return net_config_from_spec(l->spec, &l->net, err);
}

/* The eBPF device filter on the container's cgroup. A spec that lists
 * device rules gets them enforced or an error; without rules the default
 * set is applied where the kernel lets us. */
static int device_filter(struct launch *l, struct carrel_error *err)
{
        if (!cgroup_active(&l->cg))
                return 0;
        _cleanup_free_ struct spec_device_rule *rules = NULL;
        size_t n;
        if (devices_rules_for(l->spec, &rules, &n) < 0)
                return carrel_error_set(err, ENOMEM, "out of memory");
        struct carrel_error attach_err = { 0 };
        int r = cgroup_devices_apply(&l->cg, rules, n, &attach_err);
        if (r < 0 && l->spec->resources && l->spec->resources->has_devices)
                return carrel_error_set(err, attach_err.code, "%s", attach_err.msg);
        if (r < 0)
                log_debug("no device filter: %s", attach_err.msg);
        return 0;
}

/* A detached copy of the rootfs, idmapped into the init's user namespace:
 * files owned by id N on disk appear as the container's id N, so one rootfs
 * serves many tenants without a chown. Needs CAP_SYS_ADMIN in the initial
 * user namespace, hence made here and handed to the init. */
static int idmapped_rootfs(struct launch *l, pid_t pid, struct carrel_error *err)
{
        char ns[64];
        snprintf(ns, sizeof ns, "/proc/%d/ns/user", (int) pid);
        _cleanup_close_ int userns = open(ns, O_RDONLY | O_CLOEXEC);
        if (userns < 0)
                return carrel_error_errno(err, errno, "cannot open %s", ns);
        _cleanup_close_ int tree = sys_open_tree(AT_FDCWD, l->rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (tree < 0)
                return carrel_error_errno(err, errno, "cannot clone the rootfs %s", l->rootfs);
        struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
        if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
                return carrel_error_errno(err, errno, "--userns auto: cannot mount the rootfs %s idmapped (does its "
                                          "filesystem support idmapped mounts?); use --userns private with a copy "
                                          "chowned to the container's id range (%u..%u)", l->rootfs,
                                          l->ids.uid_start, l->ids.uid_start + IDRANGE_SIZE - 1);
        return TAKE_FD(tree);
}

/* --userns auto|private: a 65536-id range of our own, for uid and gid alike. */
static int allocate_ids(struct launch *l, const struct create_opts *o, struct carrel_error *err)
{
        int r = idrange_alloc(o->root, o->id, &l->ids, err);
        if (r < 0)
                return r;
        struct spec *s = l->spec;
        s->uid_mappings = spec_alloc(s, sizeof *s->uid_mappings);
        s->gid_mappings = spec_alloc(s, sizeof *s->gid_mappings);
        if (!s->uid_mappings || !s->gid_mappings)
                return carrel_error_set(err, ENOMEM, "out of memory");
        *s->uid_mappings = (struct spec_idmap) { 0, l->ids.uid_start, IDRANGE_SIZE };
        *s->gid_mappings = (struct spec_idmap) { 0, l->ids.gid_start, IDRANGE_SIZE };
        s->n_uid_mappings = s->n_gid_mappings = 1;
        return 0;
}

/* prestart and createRuntime: in the runtime's namespaces, after the
 * container's mounts are made and before its pivot_root. */
static int runtime_hooks(struct launch *l, const struct create_opts *o, struct carrel_error *err)
{
        _cleanup_free_ char *state = hook_state_json(o->id, "creating", l->pid, l->bundle, l->spec->annotations);
        if (!state)
                return carrel_error_set(err, ENOMEM, "out of memory");
        int r = hooks_run(l->spec, HOOK_PRESTART, state, err);
        return r < 0 ? r : hooks_run(l->spec, HOOK_CREATE_RUNTIME, state, err);
}

static int record_state(struct launch *l, const struct create_opts *o, bool creating, struct carrel_error *err);

static int spawn(struct launch *l, const struct create_opts *o, bool use_fifo, struct carrel_error *err)
{
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return carrel_error_errno(err, errno, "socketpair");
        l->sync_fd = sp[0];
        _cleanup_close_ int child_end = sp[1];

        struct init_ctx *ctx = &l->ctx;
        *ctx = (struct init_ctx) {
                .spec = l->spec, .id = o->id, .bundle = l->bundle, .rootfs = l->rootfs, .rootfs_fd = -1,
                .proc_fd = -1, .sync_fd = child_end, .fifo_fd = -1, .no_pivot = o->no_pivot,
                .no_new_keyring = o->no_new_keyring, .preserve_fds = o->preserve_fds,
                .userns = l->spec->ns[NS_USER].present && !l->spec->ns[NS_USER].path, .listener_fd = -1,
                .console_fd = l->console.send_fd, .pty_peer = -1, .net = l->net,
                .idmap_rootfs = l->ids.slot >= 0 && strcmp(spec_userns_mode(l->spec), "auto") == 0, .rootfs_tree = -1,
                .start_fd = -1, .cgroup_path = cgroup_active(&l->cg) ? l->cg.path : NULL,
        };
        int r = ns_open_joined(ctx, err);
        if (r < 0)
                return r;
        if (l->spec->seccomp) {
                char cache[PATH_MAX];
                snprintf(cache, sizeof cache, "%s/.seccomp-cache", o->root);
                if ((r = seccomp_program_get(l->spec, cache, &l->seccomp, err)) < 0)
                        return r;
                ctx->seccomp = &l->seccomp;
        }
        if (use_fifo) {
                if (mkfifoat(l->dirfd, "exec.fifo", 0622) < 0 || fchmodat(l->dirfd, "exec.fifo", 0622, 0) < 0)
                        return carrel_error_errno(err, errno, "cannot create exec.fifo");
                ctx->fifo_fd = openat(l->dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
                if (ctx->fifo_fd < 0)
                        return carrel_error_errno(err, errno, "cannot open exec.fifo");
        }
        /* A joined pid namespace applies to our children: enter it before clone. */
        if (ctx->ns_fds[NS_PID] >= 0 && setns(ctx->ns_fds[NS_PID], CLONE_NEWPID) < 0)
                return carrel_error_errno(err, errno, "cannot join the pid namespace %s", l->spec->ns[NS_PID].path);

        /* Born in its cgroup: no window in which the init runs outside it.
         * CARREL_NO_CLONE_INTO_CGROUP=1 forces the fallback (for benchmarks). */
        int cg_fd = cgroup_clone_fd(&l->cg);
        bool into = cg_fd >= 0 && !getenv("CARREL_NO_CLONE_INTO_CGROUP");
        struct clone_args args = {
                .flags = ns_clone_flags(l->spec) | CLONE_PIDFD | (into ? CLONE_INTO_CGROUP : 0),
                .pidfd = (uint64_t) (uintptr_t) &l->pidfd,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t) (cg_fd >= 0 ? cg_fd : 0),
        };
        /* A cgroup namespace is rooted where its creator stands: an init
         * that is moved in later (into every v1 hierarchy too) makes its own
         * after the move, which happens before GO. */
        bool move_later = cgroup_active(&l->cg) && (!into || !cgroup_clone_places_fully(&l->cg));
        if (move_later && (args.flags & CLONE_NEWCGROUP)) {
                args.flags &= ~(uint64_t) CLONE_NEWCGROUP;
                ctx->late_cgroupns = true;
        }
        pid_t pid = ns_clone_init(ctx, &args, &l->pidfd);
        if (pid < 0 && (args.flags & CLONE_INTO_CGROUP) && errno != ENOMEM && errno != EAGAIN) {
                /* Older kernels, or a cgroup type that refuses it: move the init in before GO. */
                args.flags &= ~(uint64_t) (CLONE_INTO_CGROUP | CLONE_NEWCGROUP);
                args.cgroup = 0;
                ctx->late_cgroupns = (ns_clone_flags(l->spec) & CLONE_NEWCGROUP) != 0;
                pid = ns_clone_init(ctx, &args, &l->pidfd);
                move_later = true;
        }
        if (pid < 0)
                return carrel_error_errno(err, errno, "clone3");
        if (pid == 0) {
                /* The state lock and the parent's socket end stay with the parent. */
                close(l->dirfd);
                close(l->sync_fd);
                if (l->console.recv_fd >= 0)
                        close(l->console.recv_fd);
                init_main(ctx);
        }
        l->pid = pid;
        /* The init's end is the init's alone: if it dies before it reports,
         * our reads see EOF instead of waiting forever. */
        close(child_end);
        child_end = -1;
        ctx->sync_fd = -1;
        log_debug("nsexec container setup: init started: pid %d, new namespaces 0x%llx", (int) pid,
                  (unsigned long long) args.flags);
        if ((r = record_state(l, o, true, err)) < 0)
                return r;
        for (int t = 0; t < NS__COUNT; t++)
                if (ctx->ns_fds[t] >= 0)
                        close(ctx->ns_fds[t]);
        if (ctx->fifo_fd >= 0)
                close(ctx->fifo_fd);
        if (l->console.send_fd >= 0) {
                close(l->console.send_fd);
                l->console.send_fd = -1;
        }

        if (move_later && (r = cgroup_enter(&l->cg, pid, err)) < 0)
                return r;
        struct spec_resources *res = l->spec->resources;
        struct spec_resources zero = { .has_pids_limit = true, .pids_limit = 0 };
        if (res && res->has_pids_limit && res->pids_limit == 0 && cgroup_active(&l->cg) &&
            (r = cgroup_update(&l->cg, &zero, err)) < 0)
                return r;
        if (l->net.veth) {
                if ((r = net_veth_create(&l->net, l->host_if, pid, err)) < 0) {
                        l->host_if[0] = '\0';
                        return r;
                }
        }
        if ((r = net_devices_move(l->spec, pid, err)) < 0)
                return r;
        if (ctx->userns && (r = userns_write_maps(pid, l->spec, err)) < 0)
                return r;
        /* GO carries the init's pid as we see it (for the seccomp listener), and
         * for --userns auto the idmapped rootfs, which only we may make. */
        _cleanup_close_ int tree = -1;
        if (ctx->idmap_rootfs && (tree = idmapped_rootfs(l, pid, err)) < 0)
                return tree;
        /* Cloning a host mount needs CAP_SYS_ADMIN over our own mount namespace:
         * a rootless runtime leaves its binds to the init, as runc does. */
        if ((r = bind_fds_send(l->spec, l->bundle, ctx->userns && !proc_rootless(), pid, l->sync_fd, err)) < 0)
                return r;
        struct carrel_error go = { .code = pid };
        if ((r = sync_send_fd(l->sync_fd, SYNC_GO, &go, tree)) < 0)
                return carrel_error_set(err, -r, "the container init died during set-up");
        struct sync_msg m;
        r = sync_recv(l->sync_fd, &m);
        if (r == 0 && m.type == SYNC_HOOKS) {
                if ((r = runtime_hooks(l, o, err)) < 0)
                        return r;
                if ((r = sync_send(l->sync_fd, SYNC_GO, NULL)) == 0)
                        r = sync_recv(l->sync_fd, &m);
        }
        if (r < 0)
                return carrel_error_set(err, EIO, "the container init died during set-up");
        if (m.type == SYNC_ERROR)
                return carrel_error_set(err, m.code > 0 ? m.code : EIO, "%s", m.msg);
        if (m.type != SYNC_READY)
                return carrel_error_set(err, EPROTO, "unexpected message %u from the container init", m.type);
        if (l->console.recv_fd >= 0)
                return console_recv_master(&l->console, &l->master, err);
        return 0;
}

/* state.json. While `creating`, it is written before each resource is made
 * (cgroup, veth) and right after the init is born, so a create killed at any
 * instant leaves a record from which delete --force finds every piece. */
static int record_state(struct launch *l, const struct create_opts *o, bool creating, struct carrel_error *err)
{
        struct container_state st = { .pid = l->pid > 0 ? l->pid : 0, .annotations = l->spec->annotations,
                                      .has_pidns = l->spec->ns[NS_PID].present && !l->spec->ns[NS_PID].path,
                                      .has_poststart = hooks_any(l->spec, HOOK_POSTSTART),
                                      .has_poststop = hooks_any(l->spec, HOOK_POSTSTOP),
                                      .creating = creating, .reaper = spec_init_reaper(l->spec) };
        snprintf(st.id, sizeof st.id, "%s", o->id);
        snprintf(st.bundle, sizeof st.bundle, "%s", l->bundle);
        snprintf(st.rootfs, sizeof st.rootfs, "%s", l->rootfs);
        const struct cgroup *cg = cgroup_active(&l->cg) ? &l->cg : &l->cg_plan;
        if (cg->path[0]) {
                snprintf(st.cgroup_mount, sizeof st.cgroup_mount, "%s", cg->mount);
                snprintf(st.cgroup_path, sizeof st.cgroup_path, "%s", cg->path);
                st.cgroup_created = cg->created;
                st.cgroup_shared = cg->shared;
                st.cgroup_made_v1 = cg->made_v1;
        }
        snprintf(st.net_host_if, sizeof st.net_host_if, "%s", l->host_if);
        st.userns_slot = l->ids.slot;
        log_timestamp(st.created, sizeof st.created);
        /* The init is a clone of this process: the same executable until it execs. */
        struct stat self;
        if (stat("/proc/self/exe", &self) == 0) {
                st.exe_dev = (uint64_t) self.st_dev;
                st.exe_ino = (uint64_t) self.st_ino;
        }
        int r = l->pid > 0 ? proc_stat(l->pid, &st.start_time, NULL) : 0;
        if (r < 0)
                return carrel_error_set(err, -r, "the container init died during set-up");
        if ((r = state_write(l->dirfd, &st, err)) < 0)
                return r;
        if (!creating && o->pid_file && (r = write_pid_file(o->pid_file, l->pid)) < 0)
                return carrel_error_set(err, -r, "cannot write the pid file %s: %s", o->pid_file, strerror(-r));
        return 0;
}

/* Where the cgroup will be, known before it is made: a cgroup that already
 * exists is adopted, not made, so it is not ours to remove. */
int launch_container(struct launch *l, const struct create_opts *o, bool use_fifo, struct carrel_error *err)
{
        *l = (struct launch) { .dirfd = -1, .sync_fd = -1, .pidfd = -1, .pid = -1, .master = -1,
                               .console = { -1, -1 }, .cg = CGROUP_INIT, .cg_plan = CGROUP_INIT,
                               .ids = { .slot = -1 } };
        fd_fill_preserved(o->preserve_fds);
        int r = resolve_paths(l, o, err);
        if (r < 0 || (r = sealed_exe_if_needed(l->spec, err)) < 0)
                goto fail;
        if (l->spec->process.terminal &&
            (r = console_open(o->console_socket, !use_fifo && (!o->detach || o->console_keeper_log), &l->console, err)) < 0)
                goto fail;

        if ((r = state_dir_create(o->root, o->id, &l->dirfd, err)) < 0) {
                l->dirfd = -1;
                goto fail;
        }
        l->own_dir = true;
        /* Recorded before anything is made: the cgroup and veth to come. */
        cgroup_plan(l->spec, o->id, &l->cg_plan);
        if (l->net.veth)
                net_host_ifname(o->root, o->id, l->host_if);
        if ((r = record_state(l, o, true, err)) < 0)
                goto fail;
        if (spec_userns_mode(l->spec) && (r = allocate_ids(l, o, err)) < 0)
                goto fail;
        /* pids.max 0 would stop the init itself from being born in the cgroup:
         * that one limit is written once the init is inside. */
        struct spec_resources *res = l->spec->resources;
        bool late_pids = res && res->has_pids_limit && res->pids_limit == 0;
        if (late_pids)
                res->has_pids_limit = false;
        r = cgroup_create(l->spec, o->id, &l->cg, err);
        if (late_pids)
                res->has_pids_limit = true;
        if (r == 0)
                log_debug("cgroup: %s", cgroup_active(&l->cg) ? l->cg.path : "none");
        if (r < 0 || (r = device_filter(l, err)) < 0 ||
            (r = cgroup_delegate_to_userns(&l->cg, l->spec, err)) < 0)
                goto fail;
        if ((r = spawn(l, o, use_fifo, err)) < 0)
                goto fail;
        if ((r = record_state(l, o, false, err)) < 0)
                goto fail;
        if (o->pidfd_socket && (r = pidfd_socket_send(o->pidfd_socket, l->pidfd, err)) < 0)
                goto fail;
        return 0;
fail:
        launch_abort(l, o->root, o->id);
        return r;
}

void launch_abort(struct launch *l, const char *root, const char *id)
{
        if (l->pidfd >= 0) {
                sys_pidfd_send_signal(l->pidfd, SIGKILL, NULL, 0);
                siginfo_t si;
                waitid(P_PIDFD, (id_t) l->pidfd, &si, WEXITED);
        }
        cgroup_destroy(&l->cg, NULL);
        if (l->host_if[0])
                net_veth_delete(l->host_if);
        idrange_free(root, l->ids.slot);
        if (l->own_dir && l->dirfd >= 0)
                state_dir_remove(root, id, l->dirfd);
        launch_release(l);
}

void launch_release(struct launch *l)
{
        if (l->sync_fd >= 0)
                close(l->sync_fd);
        if (l->pidfd >= 0)
                close(l->pidfd);
        if (l->dirfd >= 0)
                close(l->dirfd);
        seccomp_program_free(&l->seccomp);
        cgroup_close(&l->cg);
        console_close(&l->console);
        if (l->master >= 0)
                close(l->master);
        spec_free(l->spec);
        *l = (struct launch) { .dirfd = -1, .sync_fd = -1, .pidfd = -1, .pid = -1, .master = -1,
                               .console = { -1, -1 }, .cg = CGROUP_INIT, .cg_plan = CGROUP_INIT,
                               .ids = { .slot = -1 } };
}
