#include "linux/reaper.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void reaper_set_cmdline(char **argv, const char *title)
{
        if (!argv || !argv[0])
                return;
        char *start = argv[0], *end = argv[0];
        for (char **a = argv; *a; a++)
                if (*a + strlen(*a) + 1 > end)
                        end = *a + strlen(*a) + 1;
        size_t size = (size_t) (end - start);
        if (size < 2)
                return;
        memset(start, 0, size);
        snprintf(start, size - 1, "%s", title);
        /* A non-NUL last byte makes the kernel read the title up to its first
         * NUL (the setproctitle case), not the whole area with its NULs. */
        end[-1] = ' ';
}

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
