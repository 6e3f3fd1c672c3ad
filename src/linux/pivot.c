#include "linux/pivot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "util/cleanup.h"
#include "util/sys.h"

/* Whether `path` is `top` or below it. */
static bool below(const char *path, const char *top)
{
        size_t n = strlen(top);
        return strncmp(path, top, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* mountinfo's octal escapes (\040 for a space) back to bytes, in place. */
static void unescape(char *s)
{
        char *o = s;
        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
                    p[3] <= '7') {
                        *o++ = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else {
                        *o++ = *p;
                }
        }
        *o = '\0';
}

/* --no-pivot keeps the old root in the mount namespace, under the chroot.
 * A procfs or sysfs there, fully visible, would let the container mount a
 * fresh, unmasked one in a user namespace of its own (the kernel allows it
 * when such a mount exists): detach them, deepest first, or cover one that
 * cannot go with an empty read-only tmpfs. Only in a mount namespace of the
 * container's own. */
static int hide_kernel_fs(struct init_ctx *ctx, struct carrel_error *err)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return carrel_error_errno(err, errno, "--no-pivot: cannot read /proc/self/mountinfo");
        char *points[256];
        size_t n = 0;
        char line[4096];
        while (n < sizeof points / sizeof *points && fgets(line, sizeof line, f)) {
                char mnt[2048], type[64];
                const char *dash = strstr(line, " - ");
                if (!dash || sscanf(line, "%*s %*s %*s %*s %2047s", mnt) != 1 || sscanf(dash + 3, "%63s", type) != 1)
                        continue;
                if (strcmp(type, "proc") != 0 && strcmp(type, "sysfs") != 0)
                        continue;
                unescape(mnt);
                if (below(mnt, ctx->rootfs) || !(points[n] = strdup(mnt)))
                        continue;
                n++;
        }
        int r = 0;
        /* later lines are mounted on top of (or below) earlier ones: last first */
        for (size_t i = n; i-- > 0;) {
                if (r == 0 && umount2(points[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT &&
                    mount("tmpfs", points[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
                        r = carrel_error_errno(err, errno, "--no-pivot: cannot hide the host's %s", points[i]);
                free(points[i]);
        }
        return r;
}

int rootfs_enter(struct init_ctx *ctx, struct carrel_error *err)
{
        if (ctx->no_pivot && ctx->spec->ns[NS_MNT].present && !ctx->spec->ns[NS_MNT].path) {
                int r = hide_kernel_fs(ctx, err);
                if (r < 0)
                        return r;
        }
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
