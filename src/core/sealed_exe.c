#include "core/sealed_exe.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#define CAP_SYS_PTRACE_BIT (1ULL << 19)
#define SEALED_ENV "_CARREL_SEALED_EXE"

static char **saved_argv, **saved_envp;

void sealed_exe_init(char **argv, char **envp)
{
        saved_argv = argv;
        saved_envp = envp;
}

char **sealed_exe_argv(void)
{
        return saved_argv;
}

bool sealed_exe_active(void)
{
        return getenv(SEALED_ENV) != NULL;
}

int sealed_exe_if_needed(const struct spec *s, struct carrel_error *err)
{
        const struct spec_caps *c = &s->process.caps;
        bool ptrace = (c->bounding | c->effective | c->permitted | c->ambient) & CAP_SYS_PTRACE_BIT;
        bool own_userns = s->ns[NS_USER].present && !s->ns[NS_USER].path;
        if (!ptrace || own_userns || sealed_exe_active() || !saved_argv)
                return 0;
        _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (self < 0 || fstat(self, &st) < 0)
                return carrel_error_errno(err, errno, "cannot open /proc/self/exe");
        _cleanup_close_ int mfd = memfd_create("carrel", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return carrel_error_errno(err, errno, "memfd_create");
        for (off_t off = 0; off < st.st_size;) {
                ssize_t n = sendfile(mfd, self, &off, (size_t) (st.st_size - off));
                if (n <= 0)
                        return carrel_error_errno(err, n < 0 ? errno : EIO, "cannot copy the carrel binary");
        }
        if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return carrel_error_errno(err, errno, "cannot seal the copy of the carrel binary");
        setenv(SEALED_ENV, "1", 1);
        extern char **environ;
        fexecve(mfd, saved_argv, environ);
        unsetenv(SEALED_ENV);
        return carrel_error_errno(err, errno, "cannot re-exec from the sealed copy");
}
