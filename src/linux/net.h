/* Container networking with libmnl (no `ip` commands): a veth pair whose
 * container end is eth0 with an address and a default route, and whose host
 * end (named after the container id) can join a bridge. The configuration
 * travels in the annotation "org.carrel.net", so bundles can use it too:
 *   veth[:ADDR/PREFIX][,gw=ADDR][,bridge=NAME]
 * Without a bridge, the host end gets a peer address (net_host_peer). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>

#include "carrel/error.h"
#include "carrel/spec.h"

#define NET_ANNOTATION "org.carrel.net"

struct net_config {
        bool veth;
        int family;             /* AF_INET or AF_INET6 when an address is given, else 0 */
        unsigned char addr[16], gw[16];
        unsigned prefix;
        bool has_gw;
        char bridge[16];
};

/* Parse the annotation value (pure). */
int net_config_parse(const char *text, struct net_config *ret, struct carrel_error *err);

/* The spec's network config (from its annotation), if any. 0 with ret->veth false when none. */
int net_config_from_spec(const struct spec *s, struct net_config *ret, struct carrel_error *err);

/* Without a bridge, the host end of the pair gets an address of the
 * container's subnet, so the host reaches the container directly: the
 * gateway when one is given, else the subnet's first host address (its
 * second when the container has the first; the other address of a /31).
 * false for a bridge, no address, or a /32 (/128) without gw (pure). */
bool net_host_peer(const struct net_config *c, unsigned char out[16]);

/* Host side name for a container id: "cv" + 12 hex digits of a hash (pure). */
void net_host_ifname(const char *root, const char *id, char buf[16]);

/* Parent: make the pair with the peer (eth0) in the netns of `pid`, bring the host end up (in the bridge). */
int net_veth_create(const struct net_config *c, const char *host_if, pid_t pid, struct carrel_error *err);

/* Child, inside the new netns: address, link up and the default route on eth0. */
int net_container_setup(const struct net_config *c, struct carrel_error *err);

/* Remove the host end (and so the pair); quiet if it is gone already. */
int net_veth_delete(const char *host_if); /* -errno; 0 when removed or already gone */

/* Parent: move the linux.netDevices into the network namespace of `pid` (or
 * the one the spec joins) under their new names, with their permanent global
 * addresses, and bring them up. They are never moved back: when the
 * namespace goes, the kernel returns physical devices and destroys virtual
 * ones (runtime-spec). */
int net_devices_move(const struct spec *s, pid_t pid, struct carrel_error *err);
