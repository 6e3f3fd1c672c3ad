#include "util/chase.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <stdio.h>
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

/* Rewrite `buf` (whose component ending at `end` is the symlink `name` in
 * directory `parent`) so the symlink's target takes its place. */
static int splice_symlink(int parent, const char *name, char *buf, size_t size, char *comp, char *end)
{
        char target[4096], rest[4096];
        ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        snprintf(rest, sizeof rest, "%s", end);
        if (target[0] == '/') {
                if ((size_t) snprintf(buf, size, "%s%s", target, rest) >= size)
                        return -ENAMETOOLONG;
        } else {
                *comp = '\0'; /* keep the parent's path, then the relative target */
                char head[4096];
                snprintf(head, sizeof head, "%s", buf);
                if ((size_t) snprintf(buf, size, "%s%s%s", head, target, rest) >= size)
                        return -ENAMETOOLONG;
        }
        return 0;
}

/* Create every missing component of `path`, one at a time. Each parent is
 * opened through openat2 from the root, so a symlink swapped in between two
 * steps still resolves inside the root. A dangling symlink on the way is
 * followed: its target is created, inside the root, as runc does. */
static int make_path(int root_fd, const char *path, unsigned flags, struct carrel_error *err)
{
        char buf[4096];
        if (strlen(path) >= sizeof buf)
                return carrel_error_set(err, ENAMETOOLONG, "path too long: %s", path);
        snprintf(buf, sizeof buf, "%s", path);
        int links = 0;
restart:
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
                        bool has_parent = p > buf;
                        if (has_parent)
                                p[-1] = '\0';
                        int parent = open_in_root(root_fd, has_parent && buf[0] ? buf : "/", O_PATH | O_DIRECTORY, 0);
                        if (has_parent)
                                p[-1] = '/';
                        if (parent < 0)
                                return carrel_error_set(err, -parent, "cannot open the parent of %s: %s", buf,
                                                        strerror(-parent));
                        _cleanup_close_ int pfd = parent;
                        if (strcmp(p, "..") == 0 || strcmp(p, ".") == 0)
                                return carrel_error_set(err, EINVAL, "cannot create %s", buf);
                        struct stat st;
                        if (fstatat(pfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
                                *end = saved;
                                if (++links > 40)
                                        return carrel_error_set(err, ELOOP, "too many symbolic links in %s", path);
                                int r = splice_symlink(pfd, p, buf, sizeof buf, p, end);
                                if (r < 0)
                                        return carrel_error_set(err, -r, "cannot follow a link in %s: %s", path,
                                                                strerror(-r));
                                goto restart;
                        }
                        int r;
                        if (last && (flags & CHASE_MKFILE)) {
                                r = openat(pfd, p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                                if (r >= 0)
                                        close(r);
                        } else {
                                r = mkdirat(pfd, p, 0755);
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
