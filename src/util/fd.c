#include "util/fd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/sys.h"

int fd_cloexec_from(int first)
{
        if (sys_close_range((unsigned) first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
                return 0;
        /* Kernels before 5.11: walk /proc/self/fd. */
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -errno;
        struct dirent *de;
        while ((de = readdir(d))) {
                int fd = atoi(de->d_name);
                if (de->d_name[0] < '0' || de->d_name[0] > '9' || fd < first || fd == dirfd(d))
                        continue;
                int fl = fcntl(fd, F_GETFD);
                if (fl >= 0)
                        fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
        }
        closedir(d);
        return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t got = 0;
        while (got + 1 < size) {
                ssize_t n = read(fd, buf + got, size - 1 - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        buf[got] = '\0';
        return (ssize_t) got;
}

int write_file_at(int dirfd, const char *path, const char *data)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return write_all(fd, data, strlen(data));
}

int write_file_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode)
{
        char tmp[256];
        snprintf(tmp, sizeof tmp, ".%s.tmp", name);
        _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        int r = write_all(fd, data, len);
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                r = -errno;
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        return 0;
}

void fd_fill_preserved(int n)
{
        for (int fd = 3; fd < 3 + n; fd++) {
                if (fcntl(fd, F_GETFD) >= 0)
                        continue;
                int nul = open("/dev/null", O_RDWR);
                if (nul >= 0 && nul != fd) {
                        dup2(nul, fd);
                        close(nul);
                }
        }
}

int write_pid_file(const char *path, pid_t pid)
{
        char tmp[4096], buf[32];
        snprintf(tmp, sizeof tmp, "%s.carrel-tmp", path);
        int n = snprintf(buf, sizeof buf, "%d", (int) pid);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        int r = write_all(fd, buf, (size_t) n);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}

int send_with_fd(int sock, const void *payload, size_t len, int pass_fd)
{
        struct iovec iov = { .iov_base = (void *) payload, .iov_len = len };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u = { 0 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (pass_fd >= 0) {
                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof u.buf;
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
        }
        for (;;) {
                ssize_t r = sendmsg(sock, &mh, MSG_NOSIGNAL);
                if (r < 0 && errno == EINTR)
                        continue;
                return r < 0 ? -errno : 0;
        }
}

int mkdir_parents(const char *path, mode_t mode)
{
        if (mkdir(path, mode) == 0 || errno == EEXIST)
                return 0;
        if (errno != ENOENT)
                return -errno;
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof buf, "%s", path) >= (int) sizeof buf)
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return mkdir(buf, mode) < 0 && errno != EEXIST ? -errno : 0;
}

int unix_connect(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        return TAKE_FD(fd);
}
