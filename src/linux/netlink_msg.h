/* Netlink messages as data: each builder writes one request into `buf` and
 * returns its header. Pure (no sockets), so unit tests can parse them back. */
#pragma once

#include <libmnl/libmnl.h>
#include <netinet/in.h>
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
