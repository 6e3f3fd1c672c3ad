#include "core/sync.h"

#include "util/fd.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int fd, enum sync_type type, const struct carrel_error *detail)
{
        return sync_send_fd(fd, type, detail, -1);
}

int sync_send_fd(int fd, enum sync_type type, const struct carrel_error *detail, int pass_fd)
{
        struct sync_msg m = { .type = type };
        size_t len = offsetof(struct sync_msg, msg);
        if (detail) {
                m.code = detail->code;
                size_t n = strnlen(detail->msg, sizeof m.msg - 1);
                memcpy(m.msg, detail->msg, n);
                len += n + 1;
        }
        return send_with_fd(fd, &m, len, pass_fd);
}

int sync_recv(int fd, struct sync_msg *ret)
{
        int extra = -1;
        int r = sync_recv_fd(fd, ret, &extra);
        if (extra >= 0)
                close(extra);
        return r;
}

int sync_recv_fd(int fd, struct sync_msg *ret, int *ret_fd)
{
        memset(ret, 0, sizeof *ret);
        *ret_fd = -1;
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        for (;;) {
                struct iovec iov = { .iov_base = ret, .iov_len = sizeof *ret - 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                                     .msg_controllen = sizeof u.buf };
                ssize_t r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
                struct cmsghdr *cm = r > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
                if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
                        memcpy(ret_fd, CMSG_DATA(cm), sizeof(int));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -EPIPE;
                if ((size_t) r < offsetof(struct sync_msg, msg))
                        return -EBADMSG;
                return 0;
        }
}
