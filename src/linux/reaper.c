#include "linux/reaper.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

_Noreturn void reaper_run(pid_t workload)
{
        /* Without a pid namespace orphans would go to the host's reaper. */
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        prctl(PR_SET_NAME, "carrel-init", 0, 0, 0);
        /* Blocked (the caller did it before the fork) signals reach even a
         * pid 1 that has no handlers. */
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        /* Stop and the terminal signals go to the workload too. */
                        kill(workload, sig);
                        continue;
                }
                int status;
                pid_t pid;
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                        if (pid == workload)
                                _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
                if (pid < 0 && errno == ECHILD)
                        _exit(1); /* cannot happen: the workload is our child until we reap it */
        }
}
