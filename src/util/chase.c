#include "util/chase.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"
#include "util/sys.h"

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static int open_in_root(int root_fd, const char *path, int oflags, unsigned flags)
{
        uint64_t resolve = IN_ROOT;
        if (flags & CHASE_NOFOLLOW)
                oflags |= O_NOFOLLOW;
        int fd = sys_openat2(root_fd, path[0] ? path : ".", (uint64_t) oflags | O_CLOEXEC, 0, resolve);
        return fd < 0 ? -errno : fd;
}

/* Create every missing component of `path`, one at a time. Each parent is
 * opened through openat2 from the root, so a symlink swapped in between two
 * steps still resolves inside the root. */
static int make_path(int root_fd, const char *path, unsigned flags, struct carrel_error *err)
{
        char buf[4096];
        size_t len = strlen(path);
        if (len >= sizeof buf)
                return carrel_error_set(err, ENAMETOOLONG, "path too long: %s", path);
        memcpy(buf, path, len + 1);

        for (char *p = buf; *p;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                char *end = strchrnul(p, '/');
                bool last = true;
                for (char *q = end; *q; q++)
                        if (*q != '/') {
                                last = false;
                                break;
                        }
                char saved = *end;
                *end = '\0';
                int fd = open_in_root(root_fd, buf, O_PATH, 0);
                if (fd >= 0) {
                        close(fd);
                } else if (fd == -ENOENT) {
                        char *slash = strrchr(buf, '/');
                        const char *name = slash ? slash + 1 : buf;
                        int parent;
                        if (slash) {
                                *slash = '\0';
                                parent = open_in_root(root_fd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY, 0);
                                *slash = '/';
                        } else {
                                parent = open_in_root(root_fd, ".", O_PATH | O_DIRECTORY, 0);
                        }
                        if (parent < 0)
                                return carrel_error_set(err, -parent, "cannot open the parent of %s: %s", buf,
                                                        strerror(-parent));
                        _cleanup_close_ int pfd = parent;
                        if (strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
                                return carrel_error_set(err, EINVAL, "cannot create %s", buf);
                        int r;
                        if (last && (flags & CHASE_MKFILE)) {
                                r = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (r >= 0)
                                        close(r);
                        } else {
                                r = mkdirat(pfd, name, 0755);
                        }
                        if (r < 0 && errno != EEXIST)
                                return carrel_error_errno(err, errno, "cannot create %s", buf);
                } else {
                        return carrel_error_set(err, -fd, "cannot resolve %s: %s", buf, strerror(-fd));
                }
                *end = saved;
                p = end;
        }
        return 0;
}

int chase(int root_fd, const char *path, unsigned flags, int *ret_fd, struct carrel_error *err)
{
        int fd = open_in_root(root_fd, path, O_PATH, flags);
        if (fd == -ENOENT && (flags & (CHASE_MKDIR | CHASE_MKFILE))) {
                int r = make_path(root_fd, path, flags, err);
                if (r < 0)
                        return r;
                fd = open_in_root(root_fd, path, O_PATH, flags);
        }
        if (fd < 0) {
                if (fd == -ELOOP && (flags & CHASE_NOFOLLOW))
                        return carrel_error_set(err, ELOOP, "%s is a symbolic link", path);
                return carrel_error_set(err, -fd, "cannot resolve %s: %s", path, strerror(-fd));
        }
        *ret_fd = fd;
        return 0;
}

int chase_open(int root_fd, const char *path, int oflags, int *ret_fd, struct carrel_error *err)
{
        int fd = open_in_root(root_fd, path, oflags, 0);
        if (fd < 0)
                return carrel_error_set(err, -fd, "cannot open %s: %s", path, strerror(-fd));
        *ret_fd = fd;
        return 0;
}
