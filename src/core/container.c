#include "core/container.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "carrel/state.h"
#include "cgroup/cgroup.h"
#include "linux/net.h"
#include "core/hooks.h"
#include "core/idrange.h"
#include "core/keeper.h"
#include "core/launch.h"
#include "core/sync.h"
#include "core/wait.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/sys.h"

/* poststart and poststop: failures are only warnings (runtime-spec). */
static void hooks_warn(const struct spec *s, enum hook_phase phase, const char *id, const char *status, pid_t pid,
                       const char *bundle)
{
        struct carrel_error err = { 0 };
        _cleanup_free_ char *state = hook_state_json(id, status, pid, bundle, s->annotations);
        if (state && hooks_run(s, phase, state, &err) < 0)
                log_warning("%s", err.msg);
}

/* The same, for a command that has only the state: read the hooks from the bundle. */
static void bundle_hooks_warn(const struct container_state *st, enum hook_phase phase, const char *status)
{
        char cfg[PATH_MAX + 16];
        struct carrel_error err = { 0 };
        struct spec *s = NULL;
        snprintf(cfg, sizeof cfg, "%s/config.json", st->bundle);
        if (spec_load_file(cfg, &s, &err) < 0) {
                log_warning("cannot run the %s hooks: %s", hook_phase_name(phase), err.msg);
                return;
        }
        hooks_warn(s, phase, st->id, status, st->pid, st->bundle);
        spec_free(s);
}

int container_create(const struct create_opts *o, struct carrel_error *err)
{
        struct launch l;
        int r = launch_container(&l, o, true, err);
        if (r < 0)
                return r;
        launch_release(&l);
        return 0;
}

int container_run(const struct create_opts *o, int *ret_status, struct carrel_error *err)
{
        struct launch l;
        int r = launch_container(&l, o, false, err);
        if (r < 0)
                return r;
        struct sync_msg m;
        if ((r = sync_send(l.sync_fd, SYNC_START, NULL)) < 0) {
                carrel_error_set(err, -r, "the container init died before start");
                goto fail;
        }
        /* The init's end of the socket closes on a successful exec. */
        r = sync_recv(l.sync_fd, &m);
        if (r == 0 && m.type == SYNC_ERROR) {
                r = carrel_error_set(err, m.code > 0 ? m.code : EIO, "%s", m.msg);
                goto fail;
        }
        hooks_warn(l.spec, HOOK_POSTSTART, o->id, "running", l.pid, l.bundle);
        if (o->detach) {
                if (l.master >= 0 && o->console_keeper_log &&
                    (r = keeper_spawn(l.dirfd, o->console_keeper_log, l.master, l.pidfd, err)) < 0)
                        goto fail;
                launch_release(&l);
                return 0;
        }
        /* Let other commands (state, kill) in while we wait. */
        flock(l.dirfd, LOCK_UN);
        r = wait_forwarding(l.pidfd, l.master, ret_status, err);
        if (r < 0)
                goto fail;
        if (o->keep) {
                /* --keep: the container stays, stopped, until `delete`. */
                launch_release(&l);
                return 0;
        }
        int dirfd = -1;
        if (state_dir_open(o->root, o->id, true, &dirfd, NULL) == 0) {
                cgroup_destroy(&l.cg, NULL);
                if (l.host_if[0])
                        net_veth_delete(l.host_if);
                idrange_free(o->root, l.ids.slot);
                hooks_warn(l.spec, HOOK_POSTSTOP, o->id, "stopped", l.pid, l.bundle);
                state_dir_remove(o->root, o->id, dirfd);
                close(dirfd);
        }
        launch_release(&l);
        return 0;
fail:
        launch_abort(&l, o->root, o->id);
        return r;
}

static int open_container(const char *root, const char *id, int *ret_dirfd, struct container_state *st,
                          enum container_status *status, struct carrel_error *err)
{
        int r = state_dir_open(root, id, true, ret_dirfd, err);
        if (r < 0)
                return r;
        r = state_read(*ret_dirfd, id, st, err);
        if (r < 0) {
                close(*ret_dirfd);
                return r;
        }
        *status = state_status(*ret_dirfd, st);
        return 0;
}

int container_start(const char *root, const char *id, struct carrel_error *err)
{
        _cleanup_close_ int dirfd = -1;
        struct container_state st;
        enum container_status status;
        int r = open_container(root, id, &dirfd, &st, &status, err);
        if (r < 0)
                return r;
        state_release(&st);
        if (status != STATUS_CREATED)
                return carrel_error_set(err, EINVAL, "cannot start container \"%s\": it is %s, not created", id,
                                        status_name(status));
        log_debug("start: releasing the init of \"%s\" (pid %d)", id, (int) st.pid);
        /* exec.fifo must go once the workload runs: refuse before releasing it
         * if it cannot (a read-only --root), rather than after. */
        if (faccessat(dirfd, ".", W_OK, AT_EACCESS) < 0)
                return carrel_error_errno(err, errno, "cannot start container \"%s\": its state directory %s/%s "
                                          "is not writable", id, root, id);
        _cleanup_close_ int pidfd = state_pidfd(&st);
        _cleanup_close_ int fifo = openat(dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (pidfd < 0 || fifo < 0)
                return carrel_error_errno(err, pidfd < 0 ? -pidfd : errno, "cannot start container \"%s\"", id);
        /* "0" means the startContainer hooks passed; then the init's write end
         * closes when it execs the workload (or dies). */
        bool released = false;
        for (;;) {
                struct pollfd p[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return carrel_error_errno(err, errno, "poll");
                }
                char msg[CARREL_ERROR_MAX + 1];
                ssize_t n = (p[0].revents & (POLLIN | POLLHUP)) ? read(fifo, msg, released ? 1 : sizeof msg - 1) : -1;
                /* "1<message>": failed; it may follow the "0" in the same read */
                int at = n > 1 && msg[0] == '0' ? 1 : 0;
                if (n > at && msg[at] == '1') {
                        msg[n] = '\0';
                        unlinkat(dirfd, "exec.fifo", 0);
                        return carrel_error_set(err, ECANCELED, "%s", msg + at + 1);
                }
                if (n > 0)
                        released = true;
                else if (n == 0 && released)
                        break; /* exec'd */
                /* Once released, a workload that exits at once makes the pidfd
                 * readable too: only the fifo's EOF (or a "1") decides then. */
                if (!released && ((p[1].revents & POLLIN) || n == 0)) {
                        unlinkat(dirfd, "exec.fifo", 0);
                        return carrel_error_set(err, ESRCH, "cannot start container \"%s\": its init exited "
                                                "(a startContainer hook or the exec failed)", id);
                }
        }
        if (unlinkat(dirfd, "exec.fifo", 0) < 0 && errno != ENOENT)
                return carrel_error_errno(err, errno, "container \"%s\" started, but %s/%s/exec.fifo could not be "
                                          "removed", id, root, id);
        if (st.has_poststart)
                bundle_hooks_warn(&st, HOOK_POSTSTART, "running");
        return 0;
}

/* Every process in the init's pid namespace, for kill --all. */
static int signal_pidns(const struct container_state *st, int sig, struct carrel_error *err)
{
        char path[300];
        struct stat init_ns;
        snprintf(path, sizeof path, "/proc/%d/ns/pid", (int) st->pid);
        if (stat(path, &init_ns) < 0)
                return carrel_error_errno(err, errno, "cannot read the pid namespace of the init");
        DIR *d = opendir("/proc");
        if (!d)
                return carrel_error_errno(err, errno, "/proc");
        struct dirent *de;
        while ((de = readdir(d))) {
                struct stat ns;
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%s/ns/pid", de->d_name);
                if (stat(path, &ns) < 0 || ns.st_ino != init_ns.st_ino || ns.st_dev != init_ns.st_dev)
                        continue;
                int fd = sys_pidfd_open(atoi(de->d_name), 0);
                if (fd >= 0) {
                        sys_pidfd_send_signal(fd, sig, NULL, 0);
                        close(fd);
                }
        }
        closedir(d);
        return 0;
}

/* The processes still in a stopped container's cgroup (its init is gone); none
 * or no cgroup at all is fine. */
static int signal_leftovers(const struct container_state *st, int sig, struct carrel_error *err)
{
        struct cgroup cg;
        if (!st->cgroup_path[0] || cgroup_open(st->cgroup_mount, st->cgroup_path, &cg) < 0)
                return 0;
        cg.created = st->cgroup_created;
        int r = cgroup_signal_all(&cg, sig, err);
        cgroup_close(&cg);
        return r;
}

int container_kill(const char *root, const char *id, int sig, bool all, struct carrel_error *err)
{
        _cleanup_close_ int dirfd = -1;
        struct container_state st;
        enum container_status status;
        int r = open_container(root, id, &dirfd, &st, &status, err);
        if (r < 0)
                return r;
        if (sig < 0) {
                json_t *v = st.annotations ? json_object_get(st.annotations, CARREL_STOP_SIGNAL_ANNOTATION) : NULL;
                sig = v ? signal_from_name(json_string_value(v)) : SIGTERM;
                if (sig <= 0)
                        sig = SIGTERM;
        }
        state_release(&st);
        /* runc: `kill --all` of a stopped container signals what is left in its
         * cgroup and succeeds (containerd's shim calls it after every exit). */
        if (status == STATUS_STOPPED && all)
                return signal_leftovers(&st, sig, err);
        if (status == STATUS_STOPPED)
                return carrel_error_set(err, ESRCH, "cannot kill \"%s\": container not running", id);
        _cleanup_close_ int pidfd = state_pidfd(&st);
        if (pidfd < 0 && all)
                return signal_leftovers(&st, sig, err);
        if (pidfd < 0)
                return carrel_error_set(err, ESRCH, "cannot kill \"%s\": container not running", id);
        if (all && sig && st.cgroup_path[0]) {
                struct cgroup cg;
                if (cgroup_open(st.cgroup_mount, st.cgroup_path, &cg) == 0) {
                        cg.created = st.cgroup_created;
                        r = cgroup_signal_all(&cg, sig, err);
                        cgroup_close(&cg);
                        if (r < 0)
                                return r;
                }
        } else if (all && sig && st.has_pidns && (r = signal_pidns(&st, sig, err)) < 0) {
                return r;
        }
        if (sys_pidfd_send_signal(pidfd, sig, NULL, 0) < 0) {
                if (errno == ESRCH && all)
                        return 0; /* the init exited meanwhile; the rest got the signal */
                if (errno == ESRCH)
                        return carrel_error_set(err, ESRCH, "cannot kill \"%s\": container not running", id);
                return carrel_error_errno(err, errno, "cannot kill \"%s\"", id);
        }
        return 0;
}

/* Record one piece delete could not remove; the first error code wins. */
static void not_removed(char *list, size_t size, int *code, int e, const char *fmt, const char *name)
{
        size_t len = strlen(list);
        if (!*code)
                *code = e;
        snprintf(list + len, size - len, "%s", len ? "; " : "");
        len = strlen(list);
        snprintf(list + len, size - len, fmt, name);
        len = strlen(list);
        snprintf(list + len, size - len, " (%s)", strerror(e));
}

int container_delete(const char *root, const char *id, bool force, struct carrel_error *err)
{
        _cleanup_close_ int dirfd = -1;
        struct container_state st;
        enum container_status status;
        int r = open_container(root, id, &dirfd, &st, &status, err);
        if (r == -ENOENT && force) {
                /* As runc: --force of a container that is gone succeeds; podman
                 * calls it after a failed create. A create killed before its
                 * first state write left at most its directory, its bundle and
                 * an id range: remove those. */
                carrel_error_clear(err);
                if ((r = state_dir_remove_orphan(root, id, err)) < 0)
                        return r;
                if ((r = idrange_free_owner(root, id)) < 0)
                        return carrel_error_set(err, -r, "delete --force \"%s\": could not remove: its id range in "
                                                "%s/.userns (%s)", id, root, strerror(-r));
                return 0;
        }
        if (r < 0)
                return r;
        state_release(&st);
        if ((status == STATUS_RUNNING || status == STATUS_PAUSED) && !force)
                return carrel_error_set(err, EBUSY, "cannot delete container \"%s\": it is %s "
                                        "(stop it first or use --force)", id, status_name(status));
        char left[CARREL_ERROR_MAX / 2] = "";
        int code = 0;
        struct cgroup cg = CGROUP_INIT;
        /* A shared cgroup (as runc allows) keeps the others' processes: with
         * its own pid namespace, killing the init below takes all of this
         * container's. */
        bool own_cgroup = st.cgroup_path[0] && !(st.cgroup_shared && st.has_pidns);
        if (own_cgroup && (r = cgroup_open(st.cgroup_mount, st.cgroup_path, &cg)) == 0) {
                /* Every process in the cgroup dies (cgroup.kill), then the cgroup goes if carrel made it. */
                cg.created = st.cgroup_created;
                cg.made_v1 = st.cgroup_made_v1;
                struct carrel_error cg_err = { 0 };
                if ((r = cgroup_destroy(&cg, &cg_err)) < 0) {
                        if (!force)
                                return carrel_error_set(err, cg_err.code, "%s", cg_err.msg);
                        /* the cgroup layer's message names the hierarchy and what is in it */
                        if (!code)
                                code = -r;
                        size_t len = strlen(left);
                        snprintf(left + len, sizeof left - len, "%sthe cgroup %.120s (%.300s)", len ? "; " : "",
                                 st.cgroup_path, cg_err.msg[0] ? cg_err.msg : strerror(-r));
                }
                cgroup_close(&cg);
        } else if (own_cgroup && r != -ENOENT) {
                not_removed(left, sizeof left, &code, -r, "the cgroup %s", st.cgroup_path);
        }
        /* The init too (a create that died may have left it waiting on exec.fifo):
         * the pidfd checks it is still the process we started. */
        _cleanup_close_ int pidfd = state_pidfd(&st);
        if (pidfd >= 0) {
                /* With its own pid namespace, killing the init takes every process in it. */
                sys_pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                if (poll(&p, 1, 10000) <= 0)
                        return carrel_error_set(err, ETIMEDOUT, "container \"%s\": its init (pid %d) did not die after "
                                                "SIGKILL; nothing was removed", id, (int) st.pid);
        }
        keeper_stop(dirfd);
        if (st.net_host_if[0] && (r = net_veth_delete(st.net_host_if)) < 0)
                not_removed(left, sizeof left, &code, -r, "the veth %s", st.net_host_if);
        if (st.creating && st.userns_slot < 0)
                r = idrange_free_owner(root, id); /* killed before it recorded the slot */
        else
                r = idrange_free(root, st.userns_slot);
        if (r < 0)
                not_removed(left, sizeof left, &code, -r, "the id range of %s", id);
        if (st.has_poststop && !st.creating)
                bundle_hooks_warn(&st, HOOK_POSTSTOP, "stopped");
        if ((r = state_dir_remove(root, id, dirfd)) < 0) {
                char dir[4200];
                snprintf(dir, sizeof dir, "%s/%s (or %s/.bundles/%s)", root, id, root, id);
                not_removed(left, sizeof left, &code, -r, "the state directory %s", dir);
        }
        if (code)
                return carrel_error_set(err, code, "delete%s \"%s\": could not remove: %s", force ? " --force" : "",
                                        id, left);
        return 0;
}
