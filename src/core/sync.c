#include "core/sync.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

int sync_send(int fd, enum sync_type type, const struct carrel_error *detail)
{
        struct sync_msg m = { .type = type };
        size_t len = offsetof(struct sync_msg, msg);
        if (detail) {
                m.code = detail->code;
                size_t n = strnlen(detail->msg, sizeof m.msg - 1);
                memcpy(m.msg, detail->msg, n);
                len += n + 1;
        }
        for (;;) {
                ssize_t r = send(fd, &m, len, MSG_NOSIGNAL);
                if (r < 0 && errno == EINTR)
                        continue;
                return r < 0 ? -errno : 0;
        }
}

int sync_recv(int fd, struct sync_msg *ret)
{
        memset(ret, 0, sizeof *ret);
        for (;;) {
                ssize_t r = recv(fd, ret, sizeof *ret - 1, 0);
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
