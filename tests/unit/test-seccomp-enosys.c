/* The ENOSYS stub: a syscall above the highest one a profile names fails
 * with ENOSYS, one below it that the profile does not allow gets the
 * default action, and an allowed one runs. The compiled program is loaded
 * in a child (no_new_privs), as the init loads it. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "carrel/spec.h"
#include "linux/seccomp_filter.h"
#include "spec_check.h"
#include "tap.h"

/* A profile that allows what a child needs to report back, plus getpid. */
static const char *profile(const char *default_action)
{
        static char text[2048];
        snprintf(text, sizeof text,
                 "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"/\"}, \"process\": {\"cwd\": \"/\", \"args\": [\"x\"]},"
                 " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"seccomp\": {\"defaultAction\": \"%s\","
                 " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
                 " \"syscalls\": [{\"names\": [\"write\", \"exit\", \"exit_group\", \"getpid\", \"openat\"],"
                 " \"action\": \"SCMP_ACT_ALLOW\"}]}}}",
                 default_action);
        return text;
}

/* In a child with the program loaded: errno of syscall `nr` (0 when it worked). */
static int errno_of(const struct seccomp_program *p, long nr)
{
        int fds[2];
        if (pipe(fds) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                struct sock_fprog prog = { .len = p->len, .filter = p->insns };
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                        _exit(2);
                int e = syscall(nr, 0, 0, 0) < 0 ? errno : 0;
                if (write(fds[1], &e, sizeof e) != sizeof e)
                        _exit(3);
                _exit(0);
        }
        close(fds[1]);
        int e = -1;
        if (read(fds[0], &e, sizeof e) != sizeof e)
                e = -1;
        close(fds[0]);
        waitpid(pid, NULL, 0);
        return e;
}

int main(void)
{
        struct carrel_error err = { 0 };
        struct spec *s = spec_check_text(profile("SCMP_ACT_ERRNO"), &err);
        ok(s != NULL, "the profile decodes (%s)", err.msg);
        struct seccomp_program p = { 0 };
        ok(s && seccomp_program_get(s, NULL, &p, &err) == 0, "it compiles (%s)", err.msg);
        ok(errno_of(&p, SYS_getpid) == 0, "an allowed call runs");
        ok(errno_of(&p, SYS_getppid) == EPERM, "a known call the profile leaves out: the default action (EPERM)");
        ok(errno_of(&p, 1000) == ENOSYS, "a number above the highest one the profile names: ENOSYS");
        ok(errno_of(&p, SYS_clone3) == ENOSYS, "clone3, newer than the profile: ENOSYS, so libc falls back");
        seccomp_program_free(&p);
        spec_free(s);
        /* a default that allows: no stub, the unknown call is allowed (and fails in the kernel) */
        s = spec_check_text(profile("SCMP_ACT_ALLOW"), &err);
        ok(s && seccomp_program_get(s, NULL, &p, &err) == 0, "an allowing profile compiles (%s)", err.msg);
        ok(errno_of(&p, 1000) == ENOSYS && errno_of(&p, SYS_getppid) == 0, "with an allowing default nothing changes");
        seccomp_program_free(&p);
        spec_free(s);
        return tap_done();
}
