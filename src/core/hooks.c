#include "core/hooks.h"

#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
        int in[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
                return carrel_error_errno(err, errno, "%s: socketpair", what);
        const char *argv0[] = { h->path, NULL };
        const char *const *argv = h->n_args ? h->args : argv0;
        const char *envp0[] = { NULL };
        const char *const *envp = h->n_env ? h->env : envp0;
        int pidfd = -1;
        struct clone_args args = { .flags = CLONE_PIDFD, .pidfd = (uint64_t) (uintptr_t) &pidfd,
                                   .exit_signal = SIGCHLD };
        pid_t pid = sys_clone3(&args);
        if (pid == 0) {
                if (dup2(in[0], STDIN_FILENO) < 0)
                        _exit(127);
                fd_cloexec_from(3);
                execve(h->path, (char *const *) argv, (char *const *) envp);
                dprintf(STDERR_FILENO, "carrel: %s: exec %s: %s\n", what, h->path, strerror(errno));
                _exit(127);
        }
        close(in[0]);
        if (pid < 0) {
                close(in[1]);
                return carrel_error_errno(err, errno, "%s: cannot start %s", what, h->path);
        }
        _cleanup_close_ int pfd = pidfd;
        /* A hook that does not read its stdin must not block us: the socket buffer holds the state. */
        send(in[1], state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT);
        close(in[1]);

        struct pollfd p = { .fd = pfd, .events = POLLIN };
        int timeout_ms = h->has_timeout ? h->timeout * 1000 : -1;
        int n;
        do
                n = poll(&p, 1, timeout_ms);
        while (n < 0 && errno == EINTR);
        bool timed_out = n == 0;
        if (timed_out)
                sys_pidfd_send_signal(pfd, SIGKILL, NULL, 0);
        siginfo_t si = { 0 };
        waitid(P_PIDFD, (id_t) pfd, &si, WEXITED);
        if (timed_out)
                return carrel_error_set(err, ETIMEDOUT, "%s (%s) timed out after %d s", what, h->path, h->timeout);
        if (si.si_code != CLD_EXITED)
                return carrel_error_set(err, ECANCELED, "%s (%s) was killed by signal %d", what, h->path, si.si_status);
        if (si.si_status != 0)
                return carrel_error_set(err, ECANCELED, "%s (%s) failed with exit status %d", what, h->path,
                                        si.si_status);
        return 0;
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
