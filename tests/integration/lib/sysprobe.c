/* sysprobe NAME...: make each named system call with zero arguments and
 * print "NAME=ERRNO" (or "NAME=0" when it succeeded). Built statically by
 * the seccomp tests and bound into the container, so the syscalls come
 * from inside it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
        const char *name;
        long nr;
} calls[] = {
        { "kexec_load", SYS_kexec_load },       { "init_module", SYS_init_module },
        { "finit_module", SYS_finit_module },   { "bpf", SYS_bpf },
        { "perf_event_open", SYS_perf_event_open }, { "keyctl", SYS_keyctl },
        { "add_key", SYS_add_key },             { "open_by_handle_at", SYS_open_by_handle_at },
        { "mount", SYS_mount },                 { "umount2", SYS_umount2 },
        { "pivot_root", SYS_pivot_root },       { "unshare", SYS_unshare },
        { "setns", SYS_setns },                 { "swapon", SYS_swapon },
        { "acct", SYS_acct },                   { "settimeofday", SYS_settimeofday },
        { "iopl", SYS_iopl },                   { "userfaultfd", SYS_userfaultfd },
        { "io_uring_setup", SYS_io_uring_setup }, { "syslog", SYS_syslog },
        { "getpid", SYS_getpid },               { "uname", SYS_uname },
};

int main(int argc, char **argv)
{
        for (int i = 1; i < argc; i++)
                for (size_t j = 0; j < sizeof calls / sizeof *calls; j++)
                        if (strcmp(argv[i], calls[j].name) == 0) {
                                errno = 0;
                                long r = syscall(calls[j].nr, 0, 0, 0, 0, 0, 0);
                                printf("%s=%d\n", argv[i], r < 0 ? errno : 0);
                        }
        return 0;
}
