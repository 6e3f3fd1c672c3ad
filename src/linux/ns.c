#include "linux/ns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

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
