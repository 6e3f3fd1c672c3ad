#include "linux/masks.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "linux/mounts.h"
#include "util/chase.h"
#include "util/cleanup.h"
#include "util/sys.h"

/* The host's /dev/null, opened without following links and checked to be
 * char device 1:3, so a swapped path can never be bound over a masked file. */
static int open_verified_null(struct carrel_error *err)
{
        _cleanup_close_ int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return carrel_error_errno(err, errno, "cannot open /dev/null");
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                return carrel_error_set(err, EPERM, "/dev/null is not the null device (1:3)");
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
                _cleanup_close_ int null_fd = open_verified_null(err);
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
