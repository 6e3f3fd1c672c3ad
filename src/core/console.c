#include "core/console.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fd.h"

int console_open(const char *socket_path, bool foreground, struct console *ret, struct carrel_error *err)
{
        *ret = (struct console) { .send_fd = -1, .recv_fd = -1 };
        if (socket_path) {
                int fd = unix_connect(socket_path);
                if (fd < 0)
                        return carrel_error_errno(err, -fd, "--console-socket: cannot connect to %s", socket_path);
                ret->send_fd = fd;
                return 0;
        }
        if (!foreground)
                return carrel_error_set(err, EINVAL, "process.terminal is true: --console-socket is required "
                                        "unless the command stays in the foreground");
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return carrel_error_errno(err, errno, "socketpair");
        ret->recv_fd = sp[0];
        ret->send_fd = sp[1];
        return 0;
}

void console_close(struct console *c)
{
        if (c->send_fd >= 0)
                close(c->send_fd);
        if (c->recv_fd >= 0)
                close(c->recv_fd);
        c->send_fd = c->recv_fd = -1;
}

int console_recv_master(struct console *c, int *ret_master, struct carrel_error *err)
{
        char name[64];
        struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
        if (recvmsg(c->recv_fd, &mh, MSG_CMSG_CLOEXEC) < 0)
                return carrel_error_errno(err, errno, "cannot receive the pty master");
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        if (!cm || cm->cmsg_type != SCM_RIGHTS)
                return carrel_error_set(err, EPROTO, "no pty master was sent");
        memcpy(ret_master, CMSG_DATA(cm), sizeof(int));
        return 0;
}

int pidfd_socket_send(const char *socket_path, int pidfd, struct carrel_error *err)
{
        _cleanup_close_ int sock = unix_connect(socket_path);
        if (sock < 0)
                return carrel_error_errno(err, -sock, "--pidfd-socket: cannot connect to %s", socket_path);
        int r = send_with_fd(sock, "pidfd", 5, pidfd);
        if (r < 0)
                return carrel_error_errno(err, -r, "--pidfd-socket: cannot send the pidfd to %s", socket_path);
        return 0;
}
