/* Netlink messages as data: each builder writes one request into `buf` and
 * returns its header. Pure (no sockets), so unit tests can parse them back. */
#pragma once

#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define NL_BUF_SIZE 1024

/* veth pair: `host` stays here, `peer` is created in the network namespace of `peer_pid`. */
struct nlmsghdr *nlmsg_veth_create(void *buf, uint32_t seq, const char *host, const char *peer, pid_t peer_pid);

/* Set a link up, and optionally make it a port of the bridge `master` (ifindex; 0 = none). */
struct nlmsghdr *nlmsg_link_up(void *buf, uint32_t seq, const char *name, unsigned master);

struct nlmsghdr *nlmsg_link_del(void *buf, uint32_t seq, const char *name);

/* IPv4 or IPv6 address `addr` (4 or 16 bytes) with `prefix` on interface `ifindex`. */
struct nlmsghdr *nlmsg_addr_add(void *buf, uint32_t seq, unsigned ifindex, int family, const void *addr,
                                unsigned prefix);

/* Default route through `gw` (4 or 16 bytes). */
struct nlmsghdr *nlmsg_route_default(void *buf, uint32_t seq, int family, const void *gw);

/* Move the link `ifindex` into the network namespace `netns_fd` and rename
 * it `name` there, in one request (a "%d" in the name lets the kernel pick). */
struct nlmsghdr *nlmsg_link_move(void *buf, uint32_t seq, unsigned ifindex, const char *name, int netns_fd);

/* Dump every address of every family. */
struct nlmsghdr *nlmsg_addr_dump(void *buf, uint32_t seq);

/* One address, read from an RTM_NEWADDR message. */
struct nl_addr {
        unsigned ifindex;
        int family;
        unsigned prefix, scope;
        uint32_t flags; /* IFA_F_* (IFA_FLAGS when present) */
        unsigned char addr[16];
};

/* Parse an RTM_NEWADDR message: 0, or -EINVAL when it holds no address. */
int nlmsg_addr_parse(const struct nlmsghdr *nlh, struct nl_addr *ret);

/* What linux.netDevices carries into the container: permanent addresses of
 * global scope (the runtime-spec's rule). */
bool nl_addr_transferable(const struct nl_addr *a);
