#include "linux/copyup.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static int copy_file(int sdir, int ddir, const char *name, const struct stat *st, struct carrel_error *err)
{
        _cleanup_close_ int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
                return carrel_error_errno(err, errno, "tmpcopyup: cannot open %s", name);
        _cleanup_close_ int out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                         st->st_mode & 07777);
        if (out < 0)
                return carrel_error_errno(err, errno, "tmpcopyup: cannot create %s", name);
        off_t left = st->st_size;
        while (left > 0) {
                ssize_t n = sendfile(out, in, NULL, (size_t) left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return carrel_error_errno(err, n < 0 ? errno : EIO, "tmpcopyup: cannot copy %s", name);
                left -= n;
        }
        return 0;
}

static int copy_dir(int sdir, int ddir, int depth, struct carrel_error *err)
{
        if (depth > 64)
                return carrel_error_set(err, ELOOP, "tmpcopyup: directory tree too deep");
        int dfd = openat(sdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return carrel_error_errno(err, errno, "tmpcopyup: cannot read a directory");
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return carrel_error_errno(err, errno, "tmpcopyup: cannot read a directory");
        }
        int r = 0;
        struct dirent *de;
        while (r == 0 && (de = readdir(d))) {
                const char *n = de->d_name;
                struct stat st;
                if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
                        continue;
                if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = carrel_error_errno(err, errno, "tmpcopyup: %s", n);
                        break;
                }
                if (S_ISDIR(st.st_mode)) {
                        if (mkdirat(ddir, n, st.st_mode & 07777) < 0 && errno != EEXIST) {
                                r = carrel_error_errno(err, errno, "tmpcopyup: mkdir %s", n);
                                break;
                        }
                        _cleanup_close_ int s2 = openat(dfd, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        _cleanup_close_ int d2 = openat(ddir, n, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (s2 < 0 || d2 < 0) {
                                r = carrel_error_errno(err, errno, "tmpcopyup: %s", n);
                                break;
                        }
                        r = copy_dir(s2, d2, depth + 1, err);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t len = readlinkat(dfd, n, target, sizeof target - 1);
                        if (len < 0) {
                                r = carrel_error_errno(err, errno, "tmpcopyup: readlink %s", n);
                                break;
                        }
                        target[len] = '\0';
                        if (symlinkat(target, ddir, n) < 0)
                                r = carrel_error_errno(err, errno, "tmpcopyup: symlink %s", n);
                } else if (S_ISREG(st.st_mode)) {
                        r = copy_file(dfd, ddir, n, &st, err);
                } else if (mknodat(ddir, n, st.st_mode, st.st_rdev) < 0) {
                        r = carrel_error_errno(err, errno, "tmpcopyup: mknod %s", n);
                }
                if (r == 0 && fchownat(ddir, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM &&
                    errno != EINVAL)
                        r = carrel_error_errno(err, errno, "tmpcopyup: chown %s", n);
        }
        closedir(d);
        return r;
}

int copy_tree(int src_fd, int dst_fd, struct carrel_error *err)
{
        struct stat st;
        _cleanup_close_ int dst = openat(dst_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dst < 0 || fstat(src_fd, &st) < 0)
                return carrel_error_errno(err, errno, "tmpcopyup: cannot open the new tmpfs");
        /* The new tmpfs root takes the mode and owner of the directory it covers. */
        if (fchmod(dst, st.st_mode & 07777) < 0 || (fchown(dst, st.st_uid, st.st_gid) < 0 && errno != EPERM))
                return carrel_error_errno(err, errno, "tmpcopyup: cannot set the mode of the new tmpfs");
        return copy_dir(src_fd, dst_fd, 0, err);
}
