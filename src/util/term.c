#include "util/term.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

int signals_to_fd(const int *sigs, size_t n)
{
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < n; i++)
                sigaddset(&set, sigs[i]);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int fd = signalfd(-1, &set, SFD_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

bool term_make_raw(int fd, struct termios *ret_saved)
{
        struct termios saved;
        if (!isatty(fd) || tcgetattr(fd, &saved) < 0)
                return false;
        struct termios raw = saved;
        cfmakeraw(&raw);
        if (tcsetattr(fd, TCSANOW, &raw) < 0)
                return false;
        *ret_saved = saved;
        return true;
}
