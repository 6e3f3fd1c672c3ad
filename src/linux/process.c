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
#include "linux/placement.h"
#include "util/chase.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/proc.h"
#include "util/sys.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

static bool cwd_in_fd_table(const char *cwd)
{
        return strncmp(cwd, "/proc/self/fd", 13) == 0 || strncmp(cwd, "/proc/thread-self/fd", 20) == 0;
}

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

int process_make_cwd(struct init_ctx *ctx, struct carrel_error *err)
{
        const char *cwd = ctx->spec->process.cwd;
        if (cwd_in_fd_table(cwd))
                return carrel_error_set(err, EPERM, "process.cwd: %s points into the fd table", cwd);
        _cleanup_close_ int fd = -1;
        int r = chase(ctx->rootfs_fd, cwd, CHASE_MKDIR, &fd, err);
        if (r < 0)
                carrel_error_prefix(err, "process.cwd");
        return r;
}

/* HOME, when process.env lacks it: the user's home in the container's
 * /etc/passwd, or "/" without an entry (as runc). Read as root, before the
 * user switch and the seccomp filter. */
static int set_home(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec_process *p = &ctx->spec->process;
        for (size_t i = 0; i < p->n_env; i++)
                if (strncmp(p->env[i], "HOME=", 5) == 0)
                        return 0;
        _cleanup_free_ char *home = NULL, *line = NULL;
        /* O_NONBLOCK: a FIFO planted as /etc/passwd must not hang us. */
        int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;
        FILE *f = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "r") : NULL;
        if (!f && fd >= 0)
                close(fd);
        size_t cap = 0;
        while (f && !home && getline(&line, &cap, f) > 0) {
                /* name:password:uid:gid:gecos:dir:shell */
                char *field[7] = { 0 }, *q = line;
                line[strcspn(line, "\n")] = '\0';
                for (int i = 0; i < 7 && q; i++) {
                        field[i] = q;
                        q = strchr(q, ':');
                        if (q)
                                *q++ = '\0';
                }
                char *end;
                if (!field[5] || !*field[2] || strtoul(field[2], &end, 10) != p->uid || *end)
                        continue;
                home = strdup(*field[5] ? field[5] : "/");
        }
        if (f)
                fclose(f);
        const char **env = calloc(p->n_env + 2, sizeof *env);
        char *kv = NULL;
        if (!env || asprintf(&kv, "HOME=%s", home ? home : "/") < 0) {
                free(env);
                return carrel_error_set(err, ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < p->n_env; i++)
                env[i] = p->env[i];
        env[p->n_env] = kv;
        ctx->env = env; /* lives until exec */
        return 0;
}

static int enter_cwd(const char *cwd, struct carrel_error *err)
{
        if (chdir(cwd) < 0)
                return carrel_error_errno(err, errno, "process.cwd: cannot enter %s", cwd);
        char buf[PATH_MAX];
        if (!getcwd(buf, sizeof buf) || buf[0] != '/')
                return carrel_error_set(err, EPERM, "process.cwd: %s leads outside the container root", cwd);
        return 0;
}

int process_setup(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec_process *p = &ctx->spec->process;
        umask(p->has_umask ? p->umask : 0022);
        /* CVE-2024-21626: a cwd through /proc/self/fd could reach a host fd. */
        if (cwd_in_fd_table(p->cwd))
                return carrel_error_set(err, EPERM, "process.cwd: %s points into the fd table", p->cwd);
        /* As root first (runc does too): a directory only the container
         * user may enter is tried again after the user switch. */
        ctx->cwd_retry = chdir(p->cwd) < 0 && errno == EACCES;
        int r;
        if (!ctx->cwd_retry && (r = enter_cwd(p->cwd, err)) < 0)
                return r;
        if ((r = set_home(ctx, err)) < 0)
                return r;
        if ((r = placement_apply(ctx, err)) < 0)
                return r;
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
        return 0;
}

int process_prepare(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec_process *p = &ctx->spec->process;
        int r;
        if (ctx->cwd_retry && (r = enter_cwd(p->cwd, err)) < 0)
                return r;
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
        execve(ctx->exec_path, (char *const *) p->args, (char *const *) (ctx->env ? ctx->env : p->env));
        return carrel_error_errno(err, errno, "exec: \"%s\"", p->args[0]);
}
