#include "linux/pivot.h"

#include <fcntl.h>
#include <sys/mount.h>

#include "util/sys.h"

int rootfs_enter(struct init_ctx *ctx, struct carrel_error *err)
{
        if (fchdir(ctx->rootfs_fd) < 0)
                return carrel_error_errno(err, errno, "cannot enter the rootfs");
        if (ctx->no_pivot) {
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                        return carrel_error_errno(err, errno, "cannot move the rootfs to /");
                if (chroot(".") < 0)
                        return carrel_error_errno(err, errno, "chroot");
        } else {
                /* Stack the old root under the new one, then detach it. */
                if (sys_pivot_root(".", ".") < 0)
                        return carrel_error_errno(err, errno, "pivot_root");
                if (umount2(".", MNT_DETACH) < 0)
                        return carrel_error_errno(err, errno, "cannot detach the old root");
        }
        if (chdir("/") < 0)
                return carrel_error_errno(err, errno, "chdir /");
        const struct spec *s = ctx->spec;
        if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
                return carrel_error_errno(err, errno, "cannot set rootfsPropagation");
        if (s->root_readonly) {
                struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
                if (sys_mount_setattr(AT_FDCWD, "/", 0, &a) < 0)
                        return carrel_error_errno(err, errno, "cannot make the root read-only");
        }
        return 0;
}
