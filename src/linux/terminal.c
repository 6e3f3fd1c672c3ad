#include "linux/terminal.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "linux/mounts.h"
#include "util/chase.h"
#include "util/cleanup.h"
#include "util/fd.h"

static int send_master(int sock, int master, const char *name, struct carrel_error *err)
{
        int r = send_with_fd(sock, name, strlen(name), master);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot send the pty master to the console socket: %s", strerror(-r));
        return 0;
}

int terminal_setup(struct init_ctx *ctx, int root_fd, bool console, struct carrel_error *err)
{
        _cleanup_close_ int master = -1;
        int r = chase_open(root_fd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, &master, err);
        if (r < 0) {
                carrel_error_prefix(err, "process.terminal needs a devpts mounted on /dev/pts");
                return r;
        }
        int unlock = 0, n;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
                return carrel_error_errno(err, errno, "cannot set up the pty");
        _cleanup_close_ int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
                return carrel_error_errno(err, errno, "TIOCGPTPEER");
        /* As runc: no "\n" -> "\r\n" on output, so what the workload writes
         * reaches the caller as written. */
        struct termios t;
        if (tcgetattr(peer, &t) < 0)
                return carrel_error_errno(err, errno, "cannot read the pty's modes");
        t.c_oflag &= ~(tcflag_t) ONLCR;
        if (tcsetattr(peer, TCSANOW, &t) < 0)
                return carrel_error_errno(err, errno, "cannot clear ONLCR on the pty");
        const struct spec_process *p = &ctx->spec->process;
        if (p->has_console_size) {
                struct winsize ws = { .ws_row = (unsigned short) p->console_height,
                                      .ws_col = (unsigned short) p->console_width };
                if (ioctl(peer, TIOCSWINSZ, &ws) < 0)
                        return carrel_error_errno(err, errno, "cannot apply process.consoleSize");
        }
        if (console) {
                /* CVE-2025-52565: /dev/console is the peer we hold, bound onto a file we
                 * just made in the container's /dev; whatever the rootfs had there
                 * (a symlink to a host file, say) is removed first, never followed. */
                _cleanup_close_ int dev = -1, devfd = -1, target = -1;
                if ((r = chase(root_fd, "/dev", CHASE_MKDIR, &dev, err)) < 0)
                        return r;
                devfd = openat(dev, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (devfd < 0)
                        return carrel_error_errno(err, errno, "cannot open /dev in the container");
                struct stat st;
                if (fstatat(devfd, "console", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
                    unlinkat(devfd, "console", S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
                        return carrel_error_errno(err, errno, "cannot replace /dev/console");
                int f = openat(devfd, "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (f < 0)
                        return carrel_error_errno(err, errno, "cannot create /dev/console");
                close(f);
                target = openat(devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (target < 0)
                        return carrel_error_errno(err, errno, "cannot open /dev/console");
                if ((r = mount_bind_at(peer, target, false, 0, 0, false, err)) < 0)
                        return r;
        }
        char name[32];
        snprintf(name, sizeof name, "/dev/pts/%d", n);
        if ((r = send_master(ctx->console_fd, master, name, err)) < 0)
                return r;
        close(ctx->console_fd);
        ctx->console_fd = -1;
        ctx->pty_peer = TAKE_FD(peer);
        return 0;
}

int terminal_attach(struct init_ctx *ctx, struct carrel_error *err)
{
        if (ctx->pty_peer < 0)
                return 0;
        if (setsid() < 0)
                return carrel_error_errno(err, errno, "setsid");
        if (ioctl(ctx->pty_peer, TIOCSCTTY, 0) < 0)
                return carrel_error_errno(err, errno, "cannot make the pty the controlling terminal");
        for (int fd = 0; fd < 3; fd++)
                if (dup2(ctx->pty_peer, fd) < 0)
                        return carrel_error_errno(err, errno, "cannot connect the pty to fd %d", fd);
        close(ctx->pty_peer);
        ctx->pty_peer = -1;
        return 0;
}

void stdio_give_to(uid_t uid)
{
        struct stat null;
        bool have_null = stat("/dev/null", &null) == 0;
        for (int fd = 0; fd < 3; fd++) {
                struct stat st;
                if (fstat(fd, &st) < 0 || st.st_uid == uid)
                        continue;
                if (have_null && S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev)
                        continue;
                /* EPERM or EINVAL (an id this namespace cannot map): left as it is, as runc */
                (void) !fchown(fd, uid, (gid_t) -1);
        }
}
