#include "core/bind_fds.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/sync.h"
#include "util/cleanup.h"
#include "util/sys.h"

bool bind_fd_wanted(const struct spec_mount *m, bool userns)
{
        return m->bind && (m->idmap || userns);
}

/* A user namespace with the mount's own mappings: a child made for it
 * holds it while we open it, then goes. */
static int userns_with_maps(const struct spec_mount *m, struct carrel_error *err)
{
        int hold[2];
        if (pipe2(hold, O_CLOEXEC) < 0)
                return carrel_error_errno(err, errno, "pipe");
        struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
        pid_t pid = sys_clone3(&args);
        if (pid == 0) {
                char c;
                close(hold[1]);
                while (read(hold[0], &c, 1) < 0 && errno == EINTR) {
                }
                _exit(0);
        }
        close(hold[0]);
        int r = pid < 0 ? carrel_error_errno(err, errno, "cannot make a user namespace for an idmapped mount") : 0;
        int fd = -1;
        if (r == 0 && (r = write_idmap(pid, "uid_map", m->uid_maps, m->n_uid_maps, err)) == 0 &&
            (r = write_idmap(pid, "gid_map", m->gid_maps, m->n_gid_maps, err)) == 0) {
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = carrel_error_errno(err, errno, "cannot open %s", path);
        }
        close(hold[1]);
        if (pid > 0)
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
                }
        return r < 0 ? r : fd;
}

static int make_one(const struct spec_mount *m, const char *bundle, pid_t init_pid, struct carrel_error *err)
{
        char path[PATH_MAX];
        if (m->source[0] == '/')
                snprintf(path, sizeof path, "%s", m->source);
        else
                snprintf(path, sizeof path, "%s/%s", bundle, m->source);
        _cleanup_close_ int tree = sys_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                                         (m->rbind ? AT_RECURSIVE : 0));
        if (tree < 0)
                return carrel_error_errno(err, errno, "bind source %s", path);
        struct mount_attr a = { .attr_set = m->attr_set, .attr_clr = m->attr_clr };
        if ((a.attr_set || a.attr_clr) &&
            sys_mount_setattr(tree, "", AT_EMPTY_PATH | (m->attr_recursive ? AT_RECURSIVE : 0), &a) < 0)
                return carrel_error_errno(err, errno, "cannot set bind mount attributes");
        if (m->idmap) {
                _cleanup_close_ int userns = -1;
                if (m->has_idmap) {
                        userns = userns_with_maps(m, err);
                        if (userns < 0)
                                return userns;
                } else {
                        char ns[64];
                        snprintf(ns, sizeof ns, "/proc/%d/ns/user", (int) init_pid);
                        userns = open(ns, O_RDONLY | O_CLOEXEC);
                        if (userns < 0)
                                return carrel_error_errno(err, errno, "cannot open %s", ns);
                }
                struct mount_attr im = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
                if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0), &im) < 0)
                        return carrel_error_errno(err, errno, "cannot idmap the bind mount of %s (%s)", path,
                                                  errno == EINVAL ? "its filesystem does not support idmapped mounts"
                                                                  : "mount_setattr MOUNT_ATTR_IDMAP");
        }
        return TAKE_FD(tree);
}

int bind_fds_send(const struct spec *s, const char *bundle, bool userns, pid_t init_pid, int sync_fd,
                  struct carrel_error *err)
{
        for (size_t i = 0; i < s->n_mounts; i++) {
                const struct spec_mount *m = &s->mounts[i];
                if (!bind_fd_wanted(m, userns))
                        continue;
                int tree = make_one(m, bundle, init_pid, err);
                if (tree < 0) {
                        carrel_error_prefix(err, "mounts[%zu] (%s)", i, m->destination);
                        return tree;
                }
                struct carrel_error msg = { .code = (int) i };
                int r = sync_send_fd(sync_fd, SYNC_MOUNT, &msg, tree);
                close(tree);
                if (r < 0)
                        return carrel_error_set(err, -r, "the container init died during set-up");
        }
        return 0;
}
