/* Waiting for a child of ours while passing signals on to it, and, when it
 * has a pty of ours, proxying the caller's terminal to it. */
#include "core/wait.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fd.h"
#include "util/sys.h"
#include "util/term.h"

static void copy_winsize(int from, int to)
{
        struct winsize ws;
        if (ioctl(from, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
                ioctl(to, TIOCSWINSZ, &ws);
}

/* Move what is readable from `in` to `out`. Returns false at EOF or error. */
static bool pump(int in, int out)
{
        char buf[16384];
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        return write_all(out, buf, (size_t) n) == 0;
}

int wait_forwarding(int pidfd, int master, int *ret_status, struct carrel_error *err)
{
        static const int forward[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
        _cleanup_close_ int sfd = signals_to_fd(forward, ARRAY_SIZE(forward));
        if (sfd < 0)
                return carrel_error_errno(err, -sfd, "signalfd");

        struct termios saved;
        bool restore = false;
        int in = -1;
        if (master >= 0) {
                in = STDIN_FILENO;
                if ((restore = term_make_raw(STDIN_FILENO, &saved)))
                        copy_winsize(STDIN_FILENO, master);
        }
        int r = 0;
        /* The pty hangs up whenever no one in the container holds its slave
         * open, as when an init closes and reopens /dev/console: that is no
         * end. The master is left out of the poll (which would report the
         * hangup at once, again and again) for a while, then read again. */
        bool hung_up = false;
        for (;;) {
                struct pollfd p[4] = { { .fd = pidfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN },
                                       { .fd = hung_up ? -1 : master, .events = POLLIN }, { .fd = in, .events = POLLIN } };
                int n = poll(p, 4, hung_up ? 100 : -1);
                if (n == 0)
                        hung_up = false;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = carrel_error_errno(err, errno, "poll");
                        break;
                }
                if (p[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof si) == sizeof si) {
                                if (si.ssi_signo == SIGWINCH && master >= 0)
                                        copy_winsize(STDIN_FILENO, master);
                                else
                                        sys_pidfd_send_signal(pidfd, (int) si.ssi_signo, NULL, 0);
                        }
                }
                if ((p[2].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(master, STDOUT_FILENO))
                        hung_up = true; /* no holder of the slave now; maybe again later */
                if ((p[3].revents & (POLLIN | POLLHUP | POLLERR)) && !pump(in, master))
                        in = -1;
                if (p[0].revents & POLLIN) {
                        if (master >= 0) {
                                fcntl(master, F_SETFL, O_NONBLOCK);
                                while (pump(master, STDOUT_FILENO) && errno != EAGAIN) {
                                }
                        }
                        siginfo_t si = { 0 };
                        if (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0)
                                r = carrel_error_errno(err, errno, "waitid");
                        else
                                *ret_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
                        break;
                }
        }
        if (restore)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        return r;
}
