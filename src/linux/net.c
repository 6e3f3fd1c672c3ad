#include "linux/net.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "linux/netlink_msg.h"
#include "util/cleanup.h"

int net_config_parse(const char *text, struct net_config *ret, struct carrel_error *err)
{
        memset(ret, 0, sizeof *ret);
        if (strncmp(text, "veth", 4) != 0 || (text[4] && text[4] != ':' && text[4] != ','))
                return carrel_error_set(err, EINVAL, "network \"%s\": expected veth[:ADDR/PREFIX][,gw=ADDR][,bridge=NAME]",
                                        text);
        ret->veth = true;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", text + 4 + (text[4] == ':'));
        char *save = NULL;
        bool first = text[4] == ':';
        for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save), first = false) {
                if (first && !strchr(item, '=')) {
                        char *slash = strchr(item, '/');
                        if (!slash)
                                return carrel_error_set(err, EINVAL, "network \"%s\": the address needs a /PREFIX", text);
                        *slash = '\0';
                        char *end;
                        ret->prefix = (unsigned) strtoul(slash + 1, &end, 10);
                        ret->family = strchr(item, ':') ? AF_INET6 : AF_INET;
                        if (*end || inet_pton(ret->family, item, ret->addr) != 1 ||
                            ret->prefix > (ret->family == AF_INET ? 32U : 128U))
                                return carrel_error_set(err, EINVAL, "network \"%s\": invalid address", text);
                } else if (strncmp(item, "gw=", 3) == 0) {
                        if (!ret->family || inet_pton(ret->family, item + 3, ret->gw) != 1)
                                return carrel_error_set(err, EINVAL, "network \"%s\": invalid gateway (it needs an "
                                                        "address of the same family)", text);
                        ret->has_gw = true;
                } else if (strncmp(item, "bridge=", 7) == 0) {
                        if (!item[7] || strlen(item + 7) >= sizeof ret->bridge || strchr(item + 7, '/'))
                                return carrel_error_set(err, EINVAL, "network \"%s\": invalid bridge name", text);
                        snprintf(ret->bridge, sizeof ret->bridge, "%s", item + 7);
                } else {
                        return carrel_error_set(err, EINVAL, "network \"%s\": unknown option \"%s\"", text, item);
                }
        }
        return 0;
}

int net_config_from_spec(const struct spec *s, struct net_config *ret, struct carrel_error *err)
{
        memset(ret, 0, sizeof *ret);
        json_t *v = s->annotations ? json_object_get(s->annotations, NET_ANNOTATION) : NULL;
        if (!v)
                return 0;
        int r = net_config_parse(json_string_value(v), ret, err);
        if (r < 0)
                carrel_error_prefix(err, "config.json: annotations.%s", NET_ANNOTATION);
        else if (!s->ns[NS_NET].present || s->ns[NS_NET].path)
                return carrel_error_set(err, EINVAL, "config.json: annotations.%s: needs a new network namespace",
                                        NET_ANNOTATION);
        return r;
}

void net_host_ifname(const char *root, const char *id, char buf[16])
{
        /* FNV-1a of root, a NUL and id: the same id under two roots differs */
        uint64_t h = 1469598103934665603ULL;
        for (const char *p = root ? root : ""; *p; p++)
                h = (h ^ (unsigned char) *p) * 1099511628211ULL;
        h = (h ^ 0) * 1099511628211ULL;
        for (const char *p = id; *p; p++)
                h = (h ^ (unsigned char) *p) * 1099511628211ULL;
        snprintf(buf, 16, "cv%012llx", (unsigned long long) (h & 0xffffffffffffULL));
}

bool net_host_peer(const struct net_config *c, unsigned char out[16])
{
        if (!c->family || c->bridge[0])
                return false;
        unsigned bits = c->family == AF_INET ? 32 : 128, bytes = bits / 8;
        if (c->has_gw) {
                memcpy(out, c->gw, bytes);
                return true;
        }
        if (c->prefix >= bits)
                return false; /* a /32 or /128 has no other address */
        memcpy(out, c->addr, bytes);
        if (c->prefix == bits - 1) {
                out[bytes - 1] ^= 1; /* RFC 3021: the other one of the pair */
                return true;
        }
        /* the subnet's first host address, or its second when that is the container's */
        for (unsigned i = c->prefix; i < bits; i++)
                out[i / 8] &= (unsigned char) ~(0x80u >> (i % 8));
        out[bytes - 1] |= 1;
        if (memcmp(out, c->addr, bytes) == 0)
                out[bytes - 1] ^= 3;
        return true;
}

/* Send one request and wait for its ACK. */
static int talk(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
        if (n < 0)
                return -errno;
        return mnl_cb_run(buf, (size_t) n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), NULL, NULL) < 0 ? -errno : 0;
}

static struct mnl_socket *open_rtnl(void)
{
        struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                mnl_socket_close(nl);
                return NULL;
        }
        return nl;
}

int net_veth_create(const struct net_config *c, const char *host_if, pid_t pid, struct carrel_error *err)
{
        char buf[NL_BUF_SIZE];
        uint32_t seq = (uint32_t) time(NULL);
        struct mnl_socket *nl = open_rtnl();
        if (!nl)
                return carrel_error_errno(err, errno, "cannot open a netlink socket");
        unsigned master = 0;
        int r = 0;
        if (c->bridge[0] && !(master = if_nametoindex(c->bridge)))
                r = carrel_error_set(err, ENODEV, "network: no bridge named \"%s\"", c->bridge);
        if (r == 0 && (r = talk(nl, nlmsg_veth_create(buf, ++seq, host_if, "eth0", pid))) < 0)
                r = carrel_error_set(err, -r, "network: cannot create the veth pair %s: %s", host_if, strerror(-r));
        else if (r == 0 && (r = talk(nl, nlmsg_link_up(buf, ++seq, host_if, master))) < 0) {
                r = carrel_error_set(err, -r, "network: cannot bring %s up%s%s: %s", host_if,
                                     master ? " in bridge " : "", c->bridge, strerror(-r));
                talk(nl, nlmsg_link_del(buf, ++seq, host_if));
        }
        unsigned char peer[16];
        if (r == 0 && net_host_peer(c, peer) &&
            (r = talk(nl, nlmsg_addr_add(buf, ++seq, if_nametoindex(host_if), c->family, peer, c->prefix))) < 0) {
                r = carrel_error_set(err, -r, "network: cannot give %s the peer address of the container: %s",
                                     host_if, strerror(-r));
                talk(nl, nlmsg_link_del(buf, ++seq, host_if));
        }
        mnl_socket_close(nl);
        return r;
}

int net_container_setup(const struct net_config *c, struct carrel_error *err)
{
        char buf[NL_BUF_SIZE];
        uint32_t seq = (uint32_t) time(NULL);
        struct mnl_socket *nl = open_rtnl();
        if (!nl)
                return carrel_error_errno(err, errno, "cannot open a netlink socket in the container");
        unsigned idx = if_nametoindex("eth0");
        int r = idx ? 0 : carrel_error_errno(err, errno, "network: no eth0 in the container");
        if (r == 0 && c->family && (r = talk(nl, nlmsg_addr_add(buf, ++seq, idx, c->family, c->addr, c->prefix))) < 0)
                r = carrel_error_set(err, -r, "network: cannot set the address of eth0: %s", strerror(-r));
        if (r == 0 && (r = talk(nl, nlmsg_link_up(buf, ++seq, "eth0", 0))) < 0)
                r = carrel_error_set(err, -r, "network: cannot bring eth0 up: %s", strerror(-r));
        if (r == 0 && c->has_gw && (r = talk(nl, nlmsg_route_default(buf, ++seq, c->family, c->gw))) < 0)
                r = carrel_error_set(err, -r, "network: cannot add the default route: %s", strerror(-r));
        mnl_socket_close(nl);
        return r;
}

int net_veth_delete(const char *host_if)
{
        char buf[NL_BUF_SIZE];
        struct mnl_socket *nl = open_rtnl();
        if (!nl)
                return -errno;
        int r = talk(nl, nlmsg_link_del(buf, 1, host_if));
        mnl_socket_close(nl);
        /* Gone already (it goes with the container's network namespace): fine. */
        return r == -ENODEV ? 0 : r;
}

/* ---- linux.netDevices ---- */

struct addr_list {
        struct nl_addr a[64];
        size_t n;
};

static int collect_addr(const struct nlmsghdr *nlh, void *data)
{
        struct addr_list *l = data;
        struct nl_addr a;
        if (nlmsg_addr_parse(nlh, &a) == 0 && nl_addr_transferable(&a) && l->n < ARRAY_SIZE(l->a))
                l->a[l->n++] = a;
        return MNL_CB_OK;
}

/* The host's permanent, global addresses, before the move drops them. */
static int dump_addrs(struct mnl_socket *nl, struct addr_list *ret)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        uint32_t seq = (uint32_t) time(NULL);
        struct nlmsghdr *nlh = nlmsg_addr_dump(buf, seq);
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
                if (n < 0)
                        return -errno;
                int r = mnl_cb_run(buf, (size_t) n, seq, mnl_socket_get_portid(nl), collect_addr, ret);
                if (r <= MNL_CB_STOP)
                        return r < 0 ? -errno : 0;
        }
}

/* Inside the container's network namespace: its addresses back, and up. */
static int configure_moved(const struct spec_net_device *d, unsigned old_index, const struct addr_list *addrs,
                           struct carrel_error *err)
{
        struct mnl_socket *nl = open_rtnl();
        if (!nl)
                return carrel_error_errno(err, errno, "cannot open a netlink socket in the container");
        char name[IF_NAMESIZE] = "";
        /* A "%d" name is the kernel's pick: the ifindex survives the move into a fresh namespace. */
        unsigned idx = strchr(d->name, '%') ? (if_indextoname(old_index, name) ? old_index : 0)
                                            : if_nametoindex(d->name);
        if (!name[0])
                snprintf(name, sizeof name, "%s", d->name);
        char buf[NL_BUF_SIZE];
        uint32_t seq = (uint32_t) time(NULL);
        int r = idx ? 0 : carrel_error_set(err, ENODEV, "linux.netDevices.%s: not found in the container after the "
                                           "move", d->host);
        for (size_t i = 0; r == 0 && i < addrs->n; i++) {
                const struct nl_addr *a = &addrs->a[i];
                if (a->ifindex != old_index)
                        continue;
                r = talk(nl, nlmsg_addr_add(buf, ++seq, idx, a->family, a->addr, a->prefix));
                if (r < 0 && r != -EEXIST)
                        r = carrel_error_set(err, -r, "linux.netDevices.%s: cannot restore an address on %s: %s",
                                             d->host, name, strerror(-r));
                else
                        r = 0;
        }
        if (r == 0 && (r = talk(nl, nlmsg_link_up(buf, ++seq, name, 0))) < 0)
                r = carrel_error_set(err, -r, "linux.netDevices.%s: cannot bring %s up: %s", d->host, name,
                                     strerror(-r));
        mnl_socket_close(nl);
        return r;
}

int net_devices_move(const struct spec *s, pid_t pid, struct carrel_error *err)
{
        if (!s->n_net_devices)
                return 0;
        char path[64];
        if (!s->ns[NS_NET].path)
                snprintf(path, sizeof path, "/proc/%d/ns/net", (int) pid);
        const char *ns_path = s->ns[NS_NET].path ? s->ns[NS_NET].path : path;
        _cleanup_close_ int target = open(ns_path, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (target < 0 || self < 0)
                return carrel_error_errno(err, errno, "linux.netDevices: cannot open the network namespaces");
        /* The kernel moves a device under its old name and renames it after:
         * check the new names first, so a taken one leaves the device here. */
        if (setns(target, CLONE_NEWNET) < 0)
                return carrel_error_errno(err, errno, "linux.netDevices: cannot enter the container's network "
                                          "namespace");
        int taken = -1;
        for (size_t i = 0; taken < 0 && i < s->n_net_devices; i++)
                if (!strchr(s->net_devices[i].name, '%') && if_nametoindex(s->net_devices[i].name))
                        taken = (int) i;
        if (setns(self, CLONE_NEWNET) < 0)
                return carrel_error_errno(err, errno, "linux.netDevices: cannot return to the host's network namespace");
        if (taken >= 0)
                return carrel_error_set(err, EEXIST, "linux.netDevices.%s: cannot move it into the container as %s: "
                                        "the name is taken there", s->net_devices[taken].host,
                                        s->net_devices[taken].name);
        struct mnl_socket *nl = open_rtnl();
        if (!nl)
                return carrel_error_errno(err, errno, "cannot open a netlink socket");
        static struct addr_list addrs; /* one container per process: no need for the stack */
        addrs.n = 0;
        unsigned idx[64] = { 0 };
        int r = s->n_net_devices > ARRAY_SIZE(idx) ? carrel_error_set(err, E2BIG, "linux.netDevices: too many") : 0;
        if (r == 0 && (r = dump_addrs(nl, &addrs)) < 0)
                r = carrel_error_set(err, -r, "linux.netDevices: cannot read the host's addresses: %s", strerror(-r));
        char buf[NL_BUF_SIZE];
        uint32_t seq = (uint32_t) time(NULL) + 1000;
        for (size_t i = 0; r == 0 && i < s->n_net_devices; i++) {
                const struct spec_net_device *d = &s->net_devices[i];
                if (!(idx[i] = if_nametoindex(d->host))) {
                        r = carrel_error_set(err, ENODEV, "linux.netDevices.%s: no such network device on the host",
                                             d->host);
                        break;
                }
                if ((r = talk(nl, nlmsg_link_move(buf, ++seq, idx[i], d->name, target))) < 0)
                        r = carrel_error_set(err, -r, "linux.netDevices.%s: cannot move it into the container as "
                                             "%s: %s", d->host, d->name, strerror(-r));
        }
        mnl_socket_close(nl);
        if (r < 0)
                return r; /* moved ones go back with the namespace: the kernel's job */
        if (setns(target, CLONE_NEWNET) < 0)
                return carrel_error_errno(err, errno, "linux.netDevices: cannot enter the container's network "
                                          "namespace");
        for (size_t i = 0; r == 0 && i < s->n_net_devices; i++)
                r = configure_moved(&s->net_devices[i], idx[i], &addrs, err);
        if (setns(self, CLONE_NEWNET) < 0 && r == 0)
                r = carrel_error_errno(err, errno, "linux.netDevices: cannot return to the host's network namespace");
        return r;
}
