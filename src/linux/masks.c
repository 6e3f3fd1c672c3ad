#include "linux/masks.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "linux/mounts.h"
#include "util/chase.h"
#include "util/cleanup.h"
#include "util/sys.h"

/* CVE-2025-31133: the container's own /dev/null (made by devices_setup),
 * resolved inside the root without following a final link and checked to be
 * char device 1:3, so a swapped path can never be bound over a masked file.
 * Not the host's node: a root process in the container could chmod that. */
static int open_verified_null(struct init_ctx *ctx, struct carrel_error *err)
{
        _cleanup_close_ int fd = -1;
        int r = chase(ctx->rootfs_fd, "/dev/null", CHASE_NOFOLLOW, &fd, err);
        if (r < 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return carrel_error_errno(err, errno, "cannot stat /dev/null in the container");
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                return carrel_error_set(err, EPERM, "/dev/null in the container is not the null device (1:3)");
        return TAKE_FD(fd);
}

static int mask_one(struct init_ctx *ctx, int null_fd, const char *path, struct carrel_error *err)
{
        _cleanup_close_ int target = -1;
        int r = chase(ctx->rootfs_fd, path, CHASE_NOFOLLOW, &target, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return carrel_error_set(err, -r, "maskedPaths: cannot resolve %s: %s", path, strerror(-r));
        struct stat st;
        if (fstat(target, &st) < 0)
                return carrel_error_errno(err, errno, "maskedPaths: %s", path);
        if (S_ISLNK(st.st_mode))
                return carrel_error_set(err, ELOOP, "maskedPaths: %s is a symbolic link", path);
        if (S_ISDIR(st.st_mode))
                return mount_fs_at(target, "tmpfs", "tmpfs", "size=0k,mode=0555", MOUNT_ATTR_RDONLY |
                                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
        return mount_bind_at(null_fd, target, false, 0, 0, false, err);
}

static int readonly_one(struct init_ctx *ctx, const char *path, struct carrel_error *err)
{
        _cleanup_close_ int target = -1;
        int r = chase(ctx->rootfs_fd, path, CHASE_NOFOLLOW, &target, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return carrel_error_set(err, -r, "readonlyPaths: cannot resolve %s: %s", path, strerror(-r));
        return mount_bind_at(target, target, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                             MOUNT_ATTR_NOEXEC, 0, true, err);
}

int masks_apply(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec *s = ctx->spec;
        if (s->n_masked_paths) {
                _cleanup_close_ int null_fd = open_verified_null(ctx, err);
                if (null_fd < 0)
                        return null_fd;
                for (size_t i = 0; i < s->n_masked_paths; i++) {
                        int r = mask_one(ctx, null_fd, s->masked_paths[i], err);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < s->n_readonly_paths; i++) {
                int r = readonly_one(ctx, s->readonly_paths[i], err);
                if (r < 0)
                        return r;
        }
        return 0;
}
