/* Waiting for a child of ours while passing signals on to it. */
#include "core/wait.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/sys.h"

/* Wait for the init to exit, forwarding the usual signals to it. */
int wait_forwarding(int pidfd, int *ret_status, struct carrel_error *err)
{
        static const int forward[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < ARRAY_SIZE(forward); i++)
                sigaddset(&set, forward[i]);
        sigprocmask(SIG_BLOCK, &set, NULL);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        if (sfd < 0)
                return carrel_error_errno(err, errno, "signalfd");
        for (;;) {
                struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return carrel_error_errno(err, errno, "poll");
                }
                if (p[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof si) == sizeof si)
                                sys_pidfd_send_signal(pidfd, (int) si.ssi_signo, NULL, 0);
                }
                if (p[0].revents & POLLIN) {
                        siginfo_t si = { 0 };
                        if (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0)
                                return carrel_error_errno(err, errno, "waitid");
                        *ret_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
                        return 0;
                }
        }
}

