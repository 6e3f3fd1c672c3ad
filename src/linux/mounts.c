/* Spec mounts with the new mount API: every destination is resolved inside
 * the rootfs with openat2(RESOLVE_IN_ROOT) and the mount lands on that fd,
 * never on a path string a symlink could redirect. */
#include "linux/mounts.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "linux/copyup.h"
#include "linux/lsm.h"
#include "util/cgroup2fs.h"
#include "util/cgroupfs.h"
#include "util/chase.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/sys.h"

/* Options fsmount(2) takes as attributes; the rest go to fsconfig. */
#define FSMOUNT_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | \
                       MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)

static unsigned long attr_to_ms(uint64_t attr)
{
        unsigned long ms = 0;
        if (attr & MOUNT_ATTR_RDONLY) ms |= MS_RDONLY;
        if (attr & MOUNT_ATTR_NOSUID) ms |= MS_NOSUID;
        if (attr & MOUNT_ATTR_NODEV) ms |= MS_NODEV;
        if (attr & MOUNT_ATTR_NOEXEC) ms |= MS_NOEXEC;
        if (attr & MOUNT_ATTR_NODIRATIME) ms |= MS_NODIRATIME;
        if ((attr & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME) ms |= MS_NOATIME;
        if ((attr & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME) ms |= MS_STRICTATIME;
        if (attr & MOUNT_ATTR_NOSYMFOLLOW) ms |= MS_NOSYMFOLLOW;
        return ms;
}

char *mount_data_next(char **cursor)
{
        char *p = *cursor, *out, *start;
        while (*p == ',')
                p++;
        if (!*p)
                return NULL;
        bool quoted = false;
        for (start = out = p; *p && (quoted || *p != ','); p++) {
                if (*p == '"')
                        quoted = !quoted;
                else
                        *out++ = *p;
        }
        *cursor = *p ? p + 1 : p;
        *out = '\0';
        return start;
}

/* Build a detached mount with fsopen/fsconfig/fsmount. Returns the mount fd or -errno. */
static int fs_create(const char *type, const char *source, const char *data, uint64_t attr)
{
        _cleanup_close_ int fs = sys_fsopen(type, FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno;
        if (source && *source && sys_fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
                return -errno;
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", data ? data : "");
        char *cursor = buf;
        for (char *opt; (opt = mount_data_next(&cursor));) {
                char *eq = strchr(opt, '=');
                int r;
                if (eq) {
                        *eq = '\0';
                        r = sys_fsconfig(fs, FSCONFIG_SET_STRING, opt, eq + 1, 0);
                } else {
                        r = sys_fsconfig(fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
                }
                if (r < 0)
                        return -errno;
        }
        if (sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        int mnt = sys_fsmount(fs, FSMOUNT_CLOEXEC, (unsigned) (attr & FSMOUNT_ATTRS));
        return mnt < 0 ? -errno : mnt;
}

static int move_onto(int mnt_fd, int target_fd)
{
        if (sys_move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

static int legacy_mount_at(int target_fd, const char *type, const char *source, const char *data,
                           unsigned long flags)
{
        char target[64];
        snprintf(target, sizeof target, "/proc/self/fd/%d", target_fd);
        if (mount(source && *source ? source : type, target, type, flags, data && *data ? data : NULL) < 0)
                return -errno;
        return 0;
}

int mount_fs_at(int target_fd, const char *type, const char *source, const char *data, uint64_t attr,
                struct carrel_error *err)
{
        int mnt = fs_create(type, source, data, attr);
        if (mnt >= 0) {
                _cleanup_close_ int m = mnt;
                int r = move_onto(m, target_fd);
                if (r < 0)
                        return carrel_error_set(err, -r, "cannot attach the %s mount: %s", type, strerror(-r));
                return 0;
        }
        /* Some filesystems still reject options through fsconfig that mount(2)
         * accepts; fall back to mount(2) on the fd's magic link. */
        log_debug("fsopen(%s) with \"%s\" failed (%s), using mount(2)", type, data ? data : "", strerror(-mnt));
        int r = legacy_mount_at(target_fd, type, source, data, attr_to_ms(attr));
        if (r == -EINVAL && data && *data)
                return carrel_error_set(err, EINVAL, "options: %s refuses the filesystem options \"%s\" (an unknown "
                                        "or invalid mount option): %s", type, data, strerror(-r));
        if (r < 0)
                return carrel_error_set(err, -r, "cannot mount %s: %s", type, strerror(-r));
        return 0;
}

static int set_attrs(int fd, unsigned flags, uint64_t set, uint64_t clr, uint64_t propagation)
{
        struct mount_attr a = { .attr_set = set, .attr_clr = clr, .propagation = propagation };
        if (!set && !clr && !propagation)
                return 0;
        return sys_mount_setattr(fd, "", AT_EMPTY_PATH | flags, &a) < 0 ? -errno : 0;
}

int mount_bind_at(int source_fd, int target_fd, bool recursive, uint64_t attr_set, uint64_t attr_clr,
                  bool attr_recursive, struct carrel_error *err)
{
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
        _cleanup_close_ int tree = sys_open_tree(source_fd, "", flags);
        if (tree < 0)
                return carrel_error_errno(err, errno, "cannot clone the bind source");
        int r = set_attrs(tree, attr_recursive ? AT_RECURSIVE : 0, attr_set, attr_clr, 0);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot set bind mount attributes: %s", strerror(-r));
        r = move_onto(tree, target_fd);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot attach the bind mount: %s", strerror(-r));
        return 0;
}

static uint64_t propagation_attr(unsigned long ms)
{
        return ms & (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE);
}

/* Make the mount that holds `path` private (this namespace only): the
 * rootfs bind attached there, and what is mounted on it, then never
 * propagate to the host. */
static int make_holder_private(const char *path, struct carrel_error *err)
{
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s", path);
        for (;;) {
                struct statx stx;
                if (statx(AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, 0, &stx) == 0 &&
                    (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                        break;
                char *slash = strrchr(p, '/');
                if (!slash || slash == p) {
                        strcpy(p, "/");
                        break;
                }
                *slash = '\0';
        }
        if (mount(NULL, p, NULL, MS_PRIVATE, NULL) < 0)
                return carrel_error_errno(err, errno, "cannot make %s (which holds the rootfs) private", p);
        return 0;
}

int rootfs_prepare(struct init_ctx *ctx, struct carrel_error *err)
{
        unsigned long prop = MS_SLAVE;
        if (ctx->spec->rootfs_propagation & (MS_PRIVATE | MS_UNBINDABLE))
                prop = MS_PRIVATE;
        else if (ctx->spec->rootfs_propagation & MS_SHARED)
                prop = MS_SHARED; /* as runc: the bind volumes stay peers of the host's mounts (Bidirectional) */
        if (mount(NULL, "/", NULL, MS_REC | prop, NULL) < 0)
                return carrel_error_errno(err, errno, "cannot change the propagation of /");
        int r;
        if (prop == MS_SHARED && (r = make_holder_private(ctx->rootfs, err)) < 0)
                return r;
        _cleanup_close_ int src = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (src < 0)
                return carrel_error_errno(err, errno, "root.path %s", ctx->rootfs);
        _cleanup_close_ int tree = sys_open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
                                                                 AT_RECURSIVE);
        if (tree < 0)
                return carrel_error_errno(err, errno, "cannot bind the rootfs %s", ctx->rootfs);
        if (ctx->rootfs_tree >= 0) {
                close(tree);
                tree = ctx->rootfs_tree; /* idmapped by the parent (--userns auto) */
                ctx->rootfs_tree = -1;
        }
        if (move_onto(tree, src) < 0)
                return carrel_error_errno(err, errno, "cannot bind the rootfs %s", ctx->rootfs);
        /* Reopen: the path now leads to the new mount's root. */
        ctx->rootfs_fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ctx->rootfs_fd < 0)
                return carrel_error_errno(err, errno, "cannot open the rootfs %s", ctx->rootfs);
        return 0;
}

/* cgroup2 can only be mounted from a cgroup namespace that the container's
 * user namespace owns. A user namespace that keeps the host's cgroup
 * namespace (podman --uidmap does that) gets EPERM: then bind the
 * container's own cgroup from the host's hierarchy instead, as runc and crun
 * do, with the same flags. */
static int mount_cgroup_at(int target, const struct spec_mount *m, struct carrel_error *err)
{
        struct carrel_error first = { 0 };
        int r = mount_fs_at(target, "cgroup2", m->source, m->data, m->attr_set, &first);
        if (r != -EPERM) {
                if (r < 0)
                        carrel_error_set(err, first.code, "%s", first.msg);
                return r;
        }
        char hier[64], self[PATH_MAX], path[PATH_MAX + 64];
        if (cgroup2_mount(hier, sizeof hier, NULL) < 0 || cgroup2_self_path(self, sizeof self) < 0)
                return carrel_error_set(err, EPERM, "%s (and no cgroup2 hierarchy to bind instead)", first.msg);
        snprintf(path, sizeof path, "%s%s", hier, self);
        _cleanup_close_ int src = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (src < 0)
                return carrel_error_errno(err, errno, "%s; cannot open %s to bind it instead", first.msg, path);
        log_debug("cgroup2 cannot be mounted here (%s): binding %s", first.msg, path);
        return mount_bind_at(src, target, true, m->attr_set, m->attr_clr, true, err);
}

/* A host with cgroup v1 hierarchies (v1 or hybrid): /sys/fs/cgroup as runc
 * shows it there, a tmpfs with one directory per hierarchy, each the
 * container's own cgroup in it (a bind of it from the host), "unified" the
 * cgroup2 one as above, and a symlink per controller of a co-mounted
 * hierarchy ("cpu" -> "cpu,cpuacct"). */
static int mount_cgroup_view(struct init_ctx *ctx, int target, const struct spec_mount *m, struct carrel_error *err)
{
        struct cgroupfs_hier hs[CGROUPFS_MAX];
        int n = cgroupfs_hierarchies(hs, CGROUPFS_MAX);
        int r = mount_fs_at(target, "tmpfs", "cgroup", "mode=755", m->attr_set & ~(uint64_t) MOUNT_ATTR_RDONLY, err);
        if (r < 0)
                return r;
        _cleanup_close_ int top = -1;
        if ((r = chase(ctx->rootfs_fd, m->destination, CHASE_NOFOLLOW, &top, err)) < 0)
                return r;
        for (int i = 0; i < n; i++) {
                const char *base = strrchr(hs[i].mount, '/') ? strrchr(hs[i].mount, '/') + 1 : hs[i].mount;
                if (!*base || (mkdirat(top, base, 0555) < 0 && errno != EEXIST))
                        continue;
                _cleanup_close_ int sub = openat(top, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        return carrel_error_errno(err, errno, "%s/%s", m->destination, base);
                if (hs[i].v2) {
                        if ((r = mount_cgroup_at(sub, m, err)) < 0)
                                return r;
                        continue;
                }
                char path[PATH_MAX + 128];
                snprintf(path, sizeof path, "%s%s", hs[i].mount, ctx->cgroup_path ? ctx->cgroup_path : "");
                _cleanup_close_ int src = ctx->cgroup_path ? open(path, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
                if (src < 0) {
                        log_debug("%s/%s stays empty: the container has no cgroup %s", m->destination, base, path);
                        continue;
                }
                if ((r = mount_bind_at(src, sub, false, m->attr_set, m->attr_clr, false, err)) < 0)
                        return r;
                if (strchr(hs[i].ctrls, ',') && strcmp(base, hs[i].ctrls) == 0) {
                        char names[96];
                        snprintf(names, sizeof names, "%s", hs[i].ctrls);
                        char *save = NULL;
                        for (char *c = strtok_r(names, ",", &save); c; c = strtok_r(NULL, ",", &save))
                                symlinkat(base, top, c);
                }
        }
        if ((m->attr_set & MOUNT_ATTR_RDONLY) && (r = set_attrs(top, 0, MOUNT_ATTR_RDONLY, 0, 0)) < 0)
                return carrel_error_set(err, -r, "cannot make %s read-only: %s", m->destination, strerror(-r));
        return 0;
}

static bool host_has_cgroup_v1(void)
{
        struct cgroupfs_hier hs[CGROUPFS_MAX];
        int n = cgroupfs_hierarchies(hs, CGROUPFS_MAX);
        for (int i = 0; i < n; i++)
                if (!hs[i].v2)
                        return true;
        return false;
}

static bool is_kernel_fs(const char *type)
{
        return strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0;
}

/* made: the detached tree the parent made for this bind mount, or -1. */
static int mount_one(struct init_ctx *ctx, const struct spec_mount *m, int made, struct carrel_error *err)
{
        _cleanup_close_ int src = -1, target = -1;
        bool dir = true;
        int r;

        if (made >= 0) {
                struct stat st;
                if (fstat(made, &st) < 0)
                        return carrel_error_errno(err, errno, "bind source %s", m->source);
                dir = S_ISDIR(st.st_mode);
        } else if (m->bind) {
                char path[PATH_MAX];
                if (m->source[0] == '/')
                        snprintf(path, sizeof path, "%s", m->source);
                else
                        snprintf(path, sizeof path, "%s/%s", ctx->bundle, m->source);
                src = open(path, O_PATH | O_CLOEXEC);
                if (src < 0)
                        return carrel_error_errno(err, errno, "bind source %s", path);
                struct stat st;
                if (fstat(src, &st) < 0)
                        return carrel_error_errno(err, errno, "bind source %s", path);
                dir = S_ISDIR(st.st_mode);
        }
        /* /proc and /sys must be real directories: a symlink there is refused. */
        unsigned flags = (dir ? CHASE_MKDIR : CHASE_MKFILE) | (m->type && is_kernel_fs(m->type) ? CHASE_NOFOLLOW : 0);
        r = chase(ctx->rootfs_fd, m->destination, flags, &target, err);
        if (r < 0)
                return r;
        struct stat tst;
        if (fstat(target, &tst) < 0)
                return carrel_error_errno(err, errno, "%s", m->destination);
        if (dir && !S_ISDIR(tst.st_mode) && m->type && is_kernel_fs(m->type))
                return carrel_error_set(err, ENOTDIR, "%s is not a directory (a %s must be mounted on ordinary "
                                        "directory, not on a symlink or a file)", m->destination, m->type);
        if (dir && !S_ISDIR(tst.st_mode))
                return carrel_error_set(err, ENOTDIR, "%s is not a directory", m->destination);
        if (!dir && S_ISDIR(tst.st_mode))
                return carrel_error_set(err, EISDIR, "%s is a directory but the source is not", m->destination);

        if (made >= 0) {
                r = move_onto(made, target);
                if (r < 0)
                        return carrel_error_set(err, -r, "cannot attach the bind mount: %s", strerror(-r));
        } else if (m->bind) {
                r = mount_bind_at(src, target, m->rbind, m->attr_set, m->attr_clr, m->attr_recursive, err);
        } else {
                bool cgroup = strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0;
                /* linux.mountLabel (set only where SELinux is enabled, see lsm_labels_check). */
                char labelled[4096];
                const char *data = m->data, *label = ctx->spec->mount_label;
                if (label && lsm_mount_labelled(m->type)) {
                        if ((r = lsm_mount_data(m->data, label, labelled, sizeof labelled)) < 0)
                                return carrel_error_set(err, -r, "linux.mountLabel: \"%s\" %s", label,
                                                        r == -EINVAL ? "has a double quote" : "is too long");
                        data = labelled;
                }
                const char *type = cgroup ? "cgroup2" : m->type;
                if (cgroup && !m->tmpcopyup && host_has_cgroup_v1()) {
                        r = mount_cgroup_view(ctx, target, m, err);
                } else if (cgroup && !m->tmpcopyup) {
                        r = mount_cgroup_at(target, m, err);
                } else if (m->tmpcopyup) {
                        int mnt = fs_create(type, m->source, data, m->attr_set & ~MOUNT_ATTR_RDONLY);
                        if (mnt < 0)
                                return carrel_error_set(err, -mnt, "cannot mount %s: %s", type, strerror(-mnt));
                        _cleanup_close_ int mfd = mnt;
                        r = copy_tree(target, mfd, err);
                        if (r < 0)
                                return r;
                        if ((m->attr_set & MOUNT_ATTR_RDONLY) && set_attrs(mfd, 0, MOUNT_ATTR_RDONLY, 0, 0) < 0)
                                return carrel_error_errno(err, errno, "cannot make %s read-only", m->destination);
                        r = move_onto(mfd, target) < 0 ? carrel_error_errno(err, errno, "cannot attach %s",
                                                                                  m->destination) : 0;
                } else if (strcmp(m->destination, "/dev") == 0 && (m->attr_set & MOUNT_ATTR_RDONLY)) {
                        /* devices, /dev/pts and the rest go in first: read-only at the end */
                        r = mount_fs_at(target, type, m->source, data, m->attr_set & ~MOUNT_ATTR_RDONLY, err);
                        ctx->dev_readonly = true;
                } else {
                        r = mount_fs_at(target, type, m->source, data, m->attr_set, err);
                }
        }
        if (r < 0)
                return r;

        if (m->propagation || (m->type && strcmp(m->type, "proc") == 0)) {
                _cleanup_close_ int mounted = -1;
                r = chase(ctx->rootfs_fd, m->destination, CHASE_NOFOLLOW, &mounted, err);
                if (r < 0)
                        return r;
                if (m->type && strcmp(m->type, "proc") == 0 && !m->bind && !proc_fd_is_procfs_root(mounted))
                        return carrel_error_set(err, EPERM, "%s is not a procfs after mounting it", m->destination);
                r = set_attrs(mounted, (m->propagation & MS_REC) ? AT_RECURSIVE : 0, 0, 0,
                              propagation_attr(m->propagation));
                if (r < 0)
                        return carrel_error_set(err, -r, "cannot set the propagation of %s: %s", m->destination,
                                                strerror(-r));
        }
        return 0;
}

int mounts_finish(struct init_ctx *ctx, struct carrel_error *err)
{
        if (!ctx->dev_readonly)
                return 0;
        _cleanup_close_ int dev = -1;
        int r = chase(ctx->rootfs_fd, "/dev", CHASE_NOFOLLOW, &dev, err);
        if (r < 0)
                return r;
        if (set_attrs(dev, 0, MOUNT_ATTR_RDONLY, 0, 0) < 0)
                return carrel_error_errno(err, errno, "config.json: mounts (/dev): cannot make /dev read-only");
        return 0;
}

int mounts_apply(struct init_ctx *ctx, struct carrel_error *err)
{
        for (size_t i = 0; i < ctx->spec->n_mounts; i++) {
                int made = ctx->bind_fds ? ctx->bind_fds[i] : -1;
                int r = mount_one(ctx, &ctx->spec->mounts[i], made, err);
                if (made >= 0) {
                        close(made);
                        ctx->bind_fds[i] = -1;
                }
                if (r < 0) {
                        carrel_error_prefix(err, "config.json: mounts[%zu] (%s)", i, ctx->spec->mounts[i].destination);
                        return r;
                }
        }
        return 0;
}
