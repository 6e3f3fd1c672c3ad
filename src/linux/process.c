#include "linux/process.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/lsm.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/proc.h"
#include "util/sys.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

int procfs_open_private(struct init_ctx *ctx, struct carrel_error *err)
{
        _cleanup_close_ int fs = sys_fsopen("proc", FSOPEN_CLOEXEC);
        if (fs < 0)
                return -errno; /* quiet: the caller falls back */
        if (sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        _cleanup_close_ int mnt = sys_fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                                                     MOUNT_ATTR_NOEXEC);
        if (mnt < 0)
                return -errno;
        if (!proc_fd_is_procfs_root(mnt))
                return carrel_error_set(err, EPERM, "the private procfs is not a procfs");
        ctx->proc_fd = TAKE_FD(mnt);
        return 0;
}

int procfs_open_container(struct init_ctx *ctx, struct carrel_error *err)
{
        int fd = sys_openat2(AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                             RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return carrel_error_errno(err, errno, "cannot open /proc in the container");
        if (!proc_fd_is_procfs_root(fd)) {
                close(fd);
                return carrel_error_set(err, EPERM, "/proc in the container is not a real procfs");
        }
        ctx->proc_fd = fd;
        return 0;
}

static const char *spec_path_env(const struct spec_process *p)
{
        for (size_t i = 0; i < p->n_env; i++)
                if (strncmp(p->env[i], "PATH=", 5) == 0)
                        return p->env[i] + 5;
        return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static int check_exec(const char *path)
{
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (access(path, X_OK) < 0)
                return -errno;
        return 0;
}

int process_find_executable(struct init_ctx *ctx, struct carrel_error *err)
{
        const char *arg0 = ctx->spec->process.args[0];
        if (strchr(arg0, '/')) {
                int r = check_exec(arg0);
                if (r == -ENOENT)
                        return carrel_error_set(err, ENOENT, "exec: \"%s\": no such file or directory", arg0);
                if (r < 0)
                        return carrel_error_set(err, -r, "exec: \"%s\": %s", arg0,
                                                r == -EACCES ? "permission denied" : strerror(-r));
                snprintf(ctx->exec_path, sizeof ctx->exec_path, "%s", arg0);
                return 0;
        }
        const char *path = spec_path_env(&ctx->spec->process);
        int first_err = -ENOENT;
        while (*path) {
                const char *end = strchrnul(path, ':');
                char cand[PATH_MAX];
                int dlen = (int) (end - path);
                snprintf(cand, sizeof cand, "%.*s/%s", dlen ? dlen : 1, dlen ? path : ".", arg0);
                int r = check_exec(cand);
                if (r == 0) {
                        snprintf(ctx->exec_path, sizeof ctx->exec_path, "%s", cand);
                        return 0;
                }
                if (r == -EACCES && first_err == -ENOENT)
                        first_err = r;
                path = *end ? end + 1 : end;
        }
        if (first_err == -EACCES)
                return carrel_error_set(err, EACCES, "exec: \"%s\": permission denied", arg0);
        return carrel_error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
}

int process_prepare(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec_process *p = &ctx->spec->process;
        umask(p->has_umask ? p->umask : 0022);
        /* CVE-2024-21626: a cwd through /proc/self/fd could reach a host fd. */
        if (strncmp(p->cwd, "/proc/self/fd", 13) == 0 || strncmp(p->cwd, "/proc/thread-self/fd", 20) == 0)
                return carrel_error_set(err, EPERM, "process.cwd: %s points into the fd table", p->cwd);
        if (chdir(p->cwd) < 0)
                return carrel_error_errno(err, errno, "process.cwd: cannot enter %s", p->cwd);
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/')
                return carrel_error_set(err, EPERM, "process.cwd: %s leads outside the container root", p->cwd);
        if (!ctx->no_new_keyring) {
                char name[128];
                snprintf(name, sizeof name, "_ses.%.100s", ctx->id);
                int r = lsm_apply_keycreate(ctx, err); /* the keyring gets the process's label, as runc */
                if (r < 0)
                        return r;
                if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 && errno != ENOSYS &&
                    errno != EACCES && errno != EPERM && errno != EDQUOT)
                        return carrel_error_errno(err, errno, "cannot create a session keyring");
        }
        if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return carrel_error_errno(err, errno, "cannot set no_new_privs");
        return 0;
}

int process_exec(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec_process *p = &ctx->spec->process;
        int r = fd_cloexec_from(3 + ctx->preserve_fds);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot mark fds close-on-exec: %s", strerror(-r));
        /* Preserved fds must survive exec even if the caller made them CLOEXEC. */
        for (int fd = 3; fd < 3 + ctx->preserve_fds; fd++) {
                int fl = fcntl(fd, F_GETFD);
                if (fl >= 0)
                        fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
        }
        execve(ctx->exec_path, (char *const *) p->args, (char *const *) p->env);
        return carrel_error_errno(err, errno, "exec: \"%s\"", p->args[0]);
}
