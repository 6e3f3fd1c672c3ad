#include "linux/ns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/sys.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int ns_open_joined(struct init_ctx *ctx, struct carrel_error *err)
{
        for (int t = 0; t < NS__COUNT; t++) {
                ctx->ns_fds[t] = -1;
                const char *path = ctx->spec->ns[t].path;
                if (!path)
                        continue;
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return carrel_error_errno(err, errno, "linux.namespaces: %s namespace %s",
                                                  ns_type_name(t), path);
                ctx->ns_fds[t] = fd;
                int kind = ioctl(fd, NS_GET_NSTYPE);
                if (kind < 0)
                        return carrel_error_set(err, EINVAL, "linux.namespaces: %s is not a namespace file", path);
                if (kind != ns_clone_flag(t))
                        return carrel_error_set(err, EINVAL, "linux.namespaces: %s is not a %s namespace", path,
                                                ns_type_name(t));
        }
        return 0;
}

uint64_t ns_clone_flags(const struct spec *s)
{
        uint64_t flags = 0;
        for (int t = 0; t < NS__COUNT; t++)
                if (s->ns[t].present && !s->ns[t].path && t != NS_TIME)
                        flags |= (uint64_t) ns_clone_flag(t);
        return flags;
}

pid_t ns_clone_init(struct init_ctx *ctx, struct clone_args *args, int *ret_pidfd)
{
        int userns = ctx->ns_fds[NS_USER];
        if (userns < 0) {
                args->pidfd = (uint64_t) (uintptr_t) ret_pidfd;
                return sys_clone3(args);
        }
        /* p: the helper's answer; q: held open by us until the init is ours
         * (before that, its parent-death signal would follow the helper). */
        int p[2], q[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        if (pipe2(q, O_CLOEXEC) < 0) {
                close(p[0]);
                close(p[1]);
                return -1;
        }
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        pid_t helper = fork();
        if (helper == 0) {
                close(p[0]);
                int32_t res;
                if (setns(userns, CLONE_NEWUSER) < 0) {
                        res = -errno;
                } else {
                        struct clone_args a = *args;
                        a.flags &= ~(uint64_t) CLONE_PIDFD;
                        a.pidfd = 0;
                        pid_t pid = sys_clone3(&a);
                        if (pid == 0) {
                                /* The init, already in the user namespace. */
                                close(p[1]);
                                close(q[1]);
                                char c;
                                while (read(q[0], &c, 1) < 0 && errno == EINTR) {
                                }
                                close(q[0]);
                                close(userns);
                                ctx->ns_fds[NS_USER] = -1;
                                ctx->userns_joined = true;
                                return 0;
                        }
                        res = pid < 0 ? -errno : pid;
                }
                if (write(p[1], &res, sizeof res) != sizeof res)
                        _exit(1);
                _exit(0);
        }
        int32_t res = helper < 0 ? -errno : -EPROTO;
        close(p[1]);
        close(q[0]);
        if (helper > 0) {
                while (read(p[0], &res, sizeof res) < 0 && errno == EINTR) {
                }
                while (waitpid(helper, NULL, 0) < 0 && errno == EINTR) {
                }
        }
        close(p[0]);
        close(q[1]); /* the init goes on */
        /* The init is ours now (or was never made): stop adopting. */
        prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        if (res <= 0) {
                errno = res ? -res : EPROTO;
                return -1;
        }
        *ret_pidfd = sys_pidfd_open(res, 0);
        if (*ret_pidfd < 0) {
                int e = errno;
                kill(res, SIGKILL);
                errno = e;
                return -1;
        }
        return res;
}

int ns_join(struct init_ctx *ctx, struct carrel_error *err)
{
        static const enum ns_type order[] = { NS_USER, NS_IPC, NS_UTS, NS_NET, NS_CGROUP, NS_TIME, NS_MNT };
        for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
                int t = order[i];
                if (ctx->ns_fds[t] < 0)
                        continue;
                if (setns(ctx->ns_fds[t], ns_clone_flag(t)) < 0)
                        return carrel_error_errno(err, errno, "cannot join the %s namespace %s", ns_type_name(t),
                                                  ctx->spec->ns[t].path);
        }
        return 0;
}

int ns_time_setup(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec *s = ctx->spec;
        if (!s->ns[NS_TIME].present || s->ns[NS_TIME].path)
                return 0;
        if (unshare(CLONE_NEWTIME) < 0)
                return carrel_error_errno(err, errno, "cannot create a time namespace");
        if (s->n_time_offsets) {
                char buf[256] = "";
                for (size_t i = 0; i < s->n_time_offsets; i++) {
                        size_t len = strlen(buf);
                        snprintf(buf + len, sizeof buf - len, "%s %lld %u\n", s->time_offsets[i].clock,
                                 (long long) s->time_offsets[i].secs, s->time_offsets[i].nanosecs);
                }
                /* After the uid switch in a user namespace our /proc/self files belong to
                 * an unmapped root; being dumpable for this one write makes them ours. */
                int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
                prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
                _cleanup_close_ int fd = openat(ctx->proc_fd, "self/timens_offsets", O_WRONLY | O_CLOEXEC);
                bool ok = fd >= 0 && write(fd, buf, strlen(buf)) == (ssize_t) strlen(buf);
                int e = errno;
                prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
                if (!ok)
                        return carrel_error_errno(err, e, "cannot write linux.timeOffsets");
        }
        _cleanup_close_ int ns = openat(ctx->proc_fd, "self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
        if (ns < 0 || setns(ns, CLONE_NEWTIME) < 0)
                return carrel_error_errno(err, errno, "cannot enter the new time namespace");
        return 0;
}

static int loopback_up(struct carrel_error *err)
{
        _cleanup_close_ int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sk < 0)
                return carrel_error_errno(err, errno, "cannot open a socket for loopback");
        struct ifreq ifr = { 0 };
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(sk, SIOCGIFFLAGS, &ifr) < 0)
                return carrel_error_errno(err, errno, "cannot read the loopback flags");
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)
                return carrel_error_errno(err, errno, "cannot bring loopback up");
        return 0;
}

int ns_uts_net_setup(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec *s = ctx->spec;
        /* Never an empty one: without a uts namespace of its own that would
         * blank the host's. */
        if (s->has_hostname && *s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                return carrel_error_errno(err, errno, "cannot set the hostname");
        if (s->has_domainname && *s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
                return carrel_error_errno(err, errno, "cannot set the domainname");
        if (s->ns[NS_NET].present && !s->ns[NS_NET].path) {
                int r = loopback_up(err);
                if (r == 0 && ctx->net.veth)
                        r = net_container_setup(&ctx->net, err);
                return r;
        }
        return 0;
}
