#include "linux/devices.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "linux/mounts.h"
#include "util/chase.h"
#include "util/cleanup.h"

static const struct {
        const char *name;
        unsigned major, minor;
} default_devices[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
        { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
        const char *name, *target;
} default_links[] = {
        { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
        { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },         { "core", "/proc/kcore" },
};

static bool spec_has_device(const struct spec *s, const char *path)
{
        for (size_t i = 0; i < s->n_devices; i++)
                if (strcmp(s->devices[i].path, path) == 0)
                        return true;
        return false;
}

/* Remove whatever sits at dirfd/name unless it is already the wanted device. */
static int clear_entry(int dirfd, const char *name, mode_t type, dev_t rdev)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if ((st.st_mode & S_IFMT) == type && st.st_rdev == rdev)
                return 1;
        if (unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
                return -errno;
        return 0;
}

/* Create dirfd/name as the device `type` `rdev`; in a user namespace, bind
 * the host node at `host` (the same path on the host) instead. */
static int make_node(struct init_ctx *ctx, int dirfd, const char *name, const char *host, mode_t type, dev_t rdev,
                     mode_t mode, uid_t uid, gid_t gid, struct carrel_error *err)
{
        int r = clear_entry(dirfd, name, type, rdev);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot replace /dev/%s: %s", name, strerror(-r));
        if (ctx->userns || ctx->userns_joined) {
                /* mknod is not allowed in a user namespace: bind the host's node. */
                _cleanup_close_ int src = open(host, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (src < 0 || fstat(src, &st) < 0 || (st.st_mode & S_IFMT) != type || st.st_rdev != rdev)
                        return carrel_error_set(err, ENODEV, "host device %s is missing or not %u:%u", host,
                                                major(rdev), minor(rdev));
                if (r == 0) {
                        int f = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
                        if (f < 0)
                                return carrel_error_errno(err, errno, "cannot create /dev/%s", name);
                        close(f);
                }
                _cleanup_close_ int target = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (target < 0)
                        return carrel_error_errno(err, errno, "cannot open /dev/%s", name);
                return mount_bind_at(src, target, false, 0, 0, false, err);
        }
        if (r == 0 && mknodat(dirfd, name, type | (mode & 07777), rdev) < 0)
                return carrel_error_errno(err, errno, "cannot create /dev/%s", name);
        if (fchmodat(dirfd, name, mode & 07777, 0) < 0 || fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return carrel_error_errno(err, errno, "cannot set the owner and mode of /dev/%s", name);
        return 0;
}

static int spec_device(struct init_ctx *ctx, const struct spec_device *d, struct carrel_error *err)
{
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", d->path);
        char *slash = strrchr(parent, '/');
        const char *name = slash + 1;
        *slash = '\0';
        if (!*name)
                return carrel_error_set(err, EINVAL, "%s: not a file path", d->path);
        _cleanup_close_ int dir = -1;
        int r = chase(ctx->rootfs_fd, parent[0] ? parent : "/", CHASE_MKDIR, &dir, err);
        if (r < 0)
                return r;
        /* O_PATH dirs work with the *at calls below except fchmodat, which needs a real dir fd. */
        _cleanup_close_ int dirfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return carrel_error_errno(err, errno, "%s", parent);
        mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
        dev_t rdev = d->type == 'p' ? 0 : makedev((unsigned) d->major, (unsigned) d->minor);
        return make_node(ctx, dirfd, name, d->path, type, rdev, d->has_mode ? d->mode : 0666, d->has_uid ? d->uid : 0,
                         d->has_gid ? d->gid : 0, err);
}

int devices_setup(struct init_ctx *ctx, struct carrel_error *err)
{
        _cleanup_close_ int dev = -1;
        int r = chase(ctx->rootfs_fd, "/dev", CHASE_MKDIR, &dev, err);
        if (r < 0)
                return r;
        _cleanup_close_ int devfd = openat(dev, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (devfd < 0)
                return carrel_error_errno(err, errno, "cannot open /dev in the rootfs");

        for (size_t i = 0; i < sizeof default_devices / sizeof *default_devices; i++) {
                char path[32];
                snprintf(path, sizeof path, "/dev/%s", default_devices[i].name);
                if (spec_has_device(ctx->spec, path))
                        continue;
                r = make_node(ctx, devfd, default_devices[i].name, path, S_IFCHR,
                              makedev(default_devices[i].major, default_devices[i].minor), 0666, 0, 0, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < sizeof default_links / sizeof *default_links; i++) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(devfd, default_links[i].name, target, sizeof target - 1);
                if (n >= 0) {
                        target[n] = '\0';
                        if (strcmp(target, default_links[i].target) == 0)
                                continue;
                }
                if (unlinkat(devfd, default_links[i].name, 0) < 0 && errno != ENOENT && errno != EISDIR)
                        return carrel_error_errno(err, errno, "cannot replace /dev/%s", default_links[i].name);
                if (symlinkat(default_links[i].target, devfd, default_links[i].name) < 0 && errno != EEXIST)
                        return carrel_error_errno(err, errno, "cannot link /dev/%s", default_links[i].name);
        }
        static const char *const dirs[] = { "pts", "shm" };
        for (size_t i = 0; i < 2; i++)
                if (mkdirat(devfd, dirs[i], i == 1 ? 01777 : 0755) < 0 && errno != EEXIST)
                        return carrel_error_errno(err, errno, "cannot create /dev/%s", dirs[i]);

        for (size_t i = 0; i < ctx->spec->n_devices; i++) {
                r = spec_device(ctx, &ctx->spec->devices[i], err);
                if (r < 0) {
                        carrel_error_prefix(err, "linux.devices[%zu]", i);
                        return r;
                }
        }
        return 0;
}
