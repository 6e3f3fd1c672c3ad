#include "core/hooks.h"

#include <ctype.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "carrel/version.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/sys.h"

char *hook_state_json(const char *id, const char *status, pid_t pid, const char *bundle, json_t *annotations)
{
        json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:s}", "ociVersion", CARREL_OCI_VERSION, "id", id, "status", status,
                              "pid", (json_int_t) pid, "bundle", bundle);
        if (!o)
                return NULL;
        json_object_set_new(o, "annotations", annotations ? json_incref(annotations) : json_object());
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return text;
}

/* What a hook printed: passed on to our own stdout/stderr as it comes, and
 * its start kept for the error message, as runc reports it. */
struct hook_output {
        int fd, to;
        char kept[256];
        size_t n;
};

static void pump_output(struct hook_output *o)
{
        char buf[4096];
        ssize_t n = read(o->fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                close(o->fd);
                o->fd = -1;
                return;
        }
        write_all(o->to, buf, (size_t) n);
        size_t room = sizeof o->kept - 1 - o->n, take = (size_t) n < room ? (size_t) n : room;
        memcpy(o->kept + o->n, buf, take);
        o->n += take;
        o->kept[o->n] = '\0';
}

/* Wait for the hook (pfd) while passing its output on. Returns false on timeout. */
static bool wait_hook(int pfd, struct hook_output out[2], int timeout_ms)
{
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        bool exited = false;
        while (!exited) {
                struct pollfd p[3] = { { .fd = pfd, .events = POLLIN }, { .fd = out[0].fd, .events = POLLIN },
                                       { .fd = out[1].fd, .events = POLLIN } };
                int left = -1;
                if (timeout_ms >= 0) {
                        struct timespec now;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                        left = spent >= timeout_ms ? 0 : (int) (timeout_ms - spent);
                }
                int n = poll(p, 3, left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0)
                        return false;
                for (int i = 0; i < 2; i++)
                        if (out[i].fd >= 0 && (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                                pump_output(&out[i]);
                exited = (p[0].revents & POLLIN) != 0;
        }
        /* What is left now; a child the hook left behind may keep the pipes open. */
        for (int i = 0; i < 2; i++)
                if (out[i].fd >= 0) {
                        fcntl(out[i].fd, F_SETFL, O_NONBLOCK);
                        while (out[i].fd >= 0 && out[i].n < sizeof out[i].kept - 1) {
                                size_t before = out[i].n;
                                pump_output(&out[i]);
                                if (out[i].fd >= 0 && out[i].n == before)
                                        break;
                        }
                }
        return true;
}

static void trim_newline(char *s)
{
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
                s[--n] = '\0';
}

static int run_one(const struct spec_hook *h, const char *what, const char *state, struct carrel_error *err)
{
        /* Only a regular file can be a program: a FIFO or device is refused up front. */
        struct stat st;
        if (stat(h->path, &st) < 0)
                return carrel_error_errno(err, errno, "config.json: %s.path: %s", what, h->path);
        if (!S_ISREG(st.st_mode))
                return carrel_error_set(err, EACCES, "config.json: %s.path: %s: not a regular file", what, h->path);
        /* A socket, not a pipe: a hook that exits without reading its stdin must
         * not kill us with SIGPIPE (send with MSG_NOSIGNAL gets EPIPE instead). */
        int in[2], po[2], pe[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
                return carrel_error_errno(err, errno, "%s: socketpair", what);
        if (pipe2(po, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                return carrel_error_errno(err, errno, "%s: pipe", what);
        }
        if (pipe2(pe, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                close(po[0]);
                close(po[1]);
                return carrel_error_errno(err, errno, "%s: pipe", what);
        }
        const char *argv0[] = { h->path, NULL };
        const char *const *argv = h->n_args ? h->args : argv0;
        const char *envp0[] = { NULL };
        const char *const *envp = h->n_env ? h->env : envp0;
        int pidfd = -1;
        struct clone_args args = { .flags = CLONE_PIDFD, .pidfd = (uint64_t) (uintptr_t) &pidfd,
                                   .exit_signal = SIGCHLD };
        pid_t pid = sys_clone3(&args);
        /* startContainer hooks run under the container's seccomp filter, which
         * may refuse clone3 (ENOSYS or EPERM): then fork, and a pidfd after. */
        if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
                pid = fork();
                if (pid > 0 && (pidfd = sys_pidfd_open(pid, 0)) < 0) {
                        int e = errno;
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        pid = -1;
                        errno = e;
                }
        }
        if (pid == 0) {
                if (dup2(in[0], STDIN_FILENO) < 0 || dup2(po[1], STDOUT_FILENO) < 0 || dup2(pe[1], STDERR_FILENO) < 0)
                        _exit(127);
                fd_cloexec_from(3);
                execve(h->path, (char *const *) argv, (char *const *) envp);
                dprintf(STDERR_FILENO, "carrel: %s: exec %s: %s\n", what, h->path, strerror(errno));
                _exit(127);
        }
        close(in[0]);
        close(po[1]);
        close(pe[1]);
        struct hook_output out[2] = { { .fd = po[0], .to = STDOUT_FILENO }, { .fd = pe[0], .to = STDERR_FILENO } };
        if (pid < 0) {
                close(in[1]);
                close(po[0]);
                close(pe[0]);
                return carrel_error_errno(err, errno, "%s: cannot start %s", what, h->path);
        }
        _cleanup_close_ int pfd = pidfd;
        /* A hook that does not read its stdin must not block us: the socket buffer holds the state. */
        send(in[1], state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT);
        close(in[1]);

        bool timed_out = !wait_hook(pfd, out, h->has_timeout ? h->timeout * 1000 : -1);
        if (timed_out)
                sys_pidfd_send_signal(pfd, SIGKILL, NULL, 0);
        for (int i = 0; i < 2; i++)
                if (out[i].fd >= 0)
                        close(out[i].fd);
        siginfo_t si = { 0 };
        waitid(P_PIDFD, (id_t) pfd, &si, WEXITED);
        char why[96];
        if (timed_out)
                snprintf(why, sizeof why, "timed out after %d s", h->timeout);
        else if (si.si_code != CLD_EXITED) {
                /* "killed by signal 31 (bad system call)" */
                char name[40];
                snprintf(name, sizeof name, "%s", strsignal(si.si_status));
                name[0] = (char) tolower((unsigned char) name[0]);
                snprintf(why, sizeof why, "was killed by signal %d (%s)", si.si_status, name);
        }
        else if (si.si_status != 0)
                snprintf(why, sizeof why, "failed with exit status %d", si.si_status);
        else
                return 0;
        trim_newline(out[0].kept);
        trim_newline(out[1].kept);
        return carrel_error_set(err, timed_out ? ETIMEDOUT : ECANCELED, "error running hook %s (%s): it %s%s%s%s%s",
                                what, h->path, why,
                                out[1].n ? "; stderr: " : "", out[1].kept, out[0].n ? "; stdout: " : "", out[0].kept);
}

int hooks_run(const struct spec *s, enum hook_phase phase, const char *state_json, struct carrel_error *err)
{
        const struct spec_hooks *hs = &s->hooks[phase];
        for (size_t i = 0; i < hs->n; i++) {
                char what[64];
                snprintf(what, sizeof what, "hooks.%s[%zu]", hook_phase_name(phase), i);
                int r = run_one(&hs->list[i], what, state_json, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
