/* Netlink requests as data, and the veth configuration parser. */
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdbool.h>
#include <string.h>

#include "linux/net.h"
#include "linux/netlink_msg.h"
#include "tap.h"

static const struct nlattr *find(const struct nlmsghdr *nlh, size_t off, uint16_t type)
{
        const struct nlattr *a;
        mnl_attr_for_each(a, nlh, off) if (mnl_attr_get_type(a) == type) return a;
        return NULL;
}

static const struct nlattr *find_nested(const struct nlattr *nest, uint16_t type)
{
        const struct nlattr *a;
        mnl_attr_for_each_nested(a, nest) if (mnl_attr_get_type(a) == type) return a;
        return NULL;
}

int main(void)
{
        char buf[NL_BUF_SIZE];
        struct nlmsghdr *nlh = nlmsg_veth_create(buf, 7, "cvabc", "eth0", 4242);
        ok(nlh->nlmsg_type == RTM_NEWLINK && nlh->nlmsg_seq == 7, "veth: RTM_NEWLINK with the sequence");
        ok((nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK)) == (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK),
           "veth: create, exclusive, acked");
        const struct nlattr *name = find(nlh, sizeof(struct ifinfomsg), IFLA_IFNAME);
        ok(name && strcmp(mnl_attr_get_str(name), "cvabc") == 0, "veth: the host end's name");
        const struct nlattr *info = find(nlh, sizeof(struct ifinfomsg), IFLA_LINKINFO);
        const struct nlattr *kind = info ? find_nested(info, IFLA_INFO_KIND) : NULL;
        ok(kind && strcmp(mnl_attr_get_str(kind), "veth") == 0, "veth: kind veth");
        const struct nlattr *data = info ? find_nested(info, IFLA_INFO_DATA) : NULL;
        const struct nlattr *peer = data ? find_nested(data, VETH_INFO_PEER) : NULL;
        ok(peer != NULL, "veth: a peer");
        if (peer) {
                /* the peer's attributes follow its ifinfomsg */
                const char *p = (const char *) mnl_attr_get_payload(peer) + MNL_ALIGN(sizeof(struct ifinfomsg));
                const char *end = (const char *) peer + peer->nla_len;
                bool saw_name = false, saw_pid = false;
                while (p < end) {
                        const struct nlattr *a = (const struct nlattr *) p;
                        if (mnl_attr_get_type(a) == IFLA_IFNAME)
                                saw_name = strcmp(mnl_attr_get_str(a), "eth0") == 0;
                        if (mnl_attr_get_type(a) == IFLA_NET_NS_PID)
                                saw_pid = mnl_attr_get_u32(a) == 4242;
                        p += MNL_ALIGN(a->nla_len);
                }
                ok(saw_name && saw_pid, "veth: the peer is eth0 in the netns of pid 4242");
        }

        nlh = nlmsg_link_up(buf, 8, "cvabc", 5);
        struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *master = find(nlh, sizeof *ifi, IFLA_MASTER);
        ok((ifi->ifi_flags & IFF_UP) && (ifi->ifi_change & IFF_UP), "link up: IFF_UP set and changed");
        ok(master && mnl_attr_get_u32(master) == 5, "link up: joins bridge 5");
        nlh = nlmsg_link_up(buf, 9, "eth0", 0);
        ok(find(nlh, sizeof *ifi, IFLA_MASTER) == NULL, "link up without a bridge has no IFLA_MASTER");

        unsigned char a4[4];
        inet_pton(AF_INET, "192.0.2.7", a4);
        nlh = nlmsg_addr_add(buf, 10, 3, AF_INET, a4, 24);
        struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *local = find(nlh, sizeof *ifa, IFA_LOCAL);
        ok(nlh->nlmsg_type == RTM_NEWADDR && ifa->ifa_index == 3 && ifa->ifa_prefixlen == 24, "address: index and prefix");
        ok(local && mnl_attr_get_payload_len(local) == 4 && memcmp(mnl_attr_get_payload(local), a4, 4) == 0,
           "address: IFA_LOCAL is 192.0.2.7");

        nlh = nlmsg_route_default(buf, 11, AF_INET, a4);
        struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
        ok(nlh->nlmsg_type == RTM_NEWROUTE && rtm->rtm_dst_len == 0 && rtm->rtm_table == RT_TABLE_MAIN,
           "route: a default route in the main table");
        ok(find(nlh, sizeof *rtm, RTA_GATEWAY) != NULL, "route: with a gateway");

        nlh = nlmsg_link_del(buf, 12, "cvabc");
        ok(nlh->nlmsg_type == RTM_DELLINK, "delete: RTM_DELLINK");

        struct net_config c;
        struct carrel_error err = { 0 };
        ok(net_config_parse("veth:192.0.2.2/24,gw=192.0.2.1,bridge=br0", &c, &err) == 0 && c.veth &&
                   c.family == AF_INET && c.prefix == 24 && c.has_gw && strcmp(c.bridge, "br0") == 0,
           "config: address, gateway, bridge");
        ok(net_config_parse("veth", &c, &err) == 0 && c.veth && !c.family, "config: a bare veth");
        ok(net_config_parse("veth:fd00::2/64", &c, &err) == 0 && c.family == AF_INET6, "config: IPv6");
        carrel_error_clear(&err);
        ok(net_config_parse("veth:192.0.2.2", &c, &err) < 0 && strstr(err.msg, "/PREFIX"), "config: a missing prefix");
        carrel_error_clear(&err);
        ok(net_config_parse("veth:192.0.2.2/24,gw=fd00::1", &c, &err) < 0, "config: a gateway of another family");
        carrel_error_clear(&err);
        ok(net_config_parse("veth,bridge=a/b", &c, &err) < 0, "config: a bridge name with a slash");
        carrel_error_clear(&err);
        ok(net_config_parse("macvlan", &c, &err) < 0, "config: not veth");

        /* the host end's peer address without a bridge */
        unsigned char hp[16];
        char text[64];
#define PEER(spec) (net_config_parse(spec, &c, &err) == 0 && net_host_peer(&c, hp) && \
                    inet_ntop(c.family, hp, text, sizeof text))
        ok(PEER("veth:192.0.2.10/24") && strcmp(text, "192.0.2.1") == 0, "peer: the subnet's first address");
        ok(PEER("veth:192.0.2.1/24") && strcmp(text, "192.0.2.2") == 0, "peer: the second when the container has the first");
        ok(PEER("veth:10.1.2.5/30") && strcmp(text, "10.1.2.6") == 0, "peer: a /30");
        ok(PEER("veth:10.1.2.4/31") && strcmp(text, "10.1.2.5") == 0, "peer: the other address of a /31");
        ok(PEER("veth:192.0.2.10/24,gw=192.0.2.254") && strcmp(text, "192.0.2.254") == 0, "peer: the gateway");
        ok(PEER("veth:fd00::10/64") && strcmp(text, "fd00::1") == 0, "peer: IPv6");
        ok(net_config_parse("veth:192.0.2.10/32", &c, &err) == 0 && !net_host_peer(&c, hp), "peer: none for a /32");
        ok(net_config_parse("veth:192.0.2.10/24,bridge=br0", &c, &err) == 0 && !net_host_peer(&c, hp),
           "peer: none with a bridge");
#undef PEER

        /* linux.netDevices: the move, and the addresses it carries over */
        nlh = nlmsg_link_move(buf, 13, 7, "ext0", 42);
        ifi = mnl_nlmsg_get_payload(nlh);
        ok(nlh->nlmsg_type == RTM_NEWLINK && ifi->ifi_index == 7, "move: RTM_NEWLINK on ifindex 7");
        const struct nlattr *nsfd = find(nlh, sizeof *ifi, IFLA_NET_NS_FD);
        const struct nlattr *newname = find(nlh, sizeof *ifi, IFLA_IFNAME);
        ok(nsfd && mnl_attr_get_u32(nsfd) == 42 && newname && strcmp(mnl_attr_get_str(newname), "ext0") == 0,
           "move: into the namespace fd 42, renamed ext0");
        nlh = nlmsg_addr_dump(buf, 14);
        ok(nlh->nlmsg_type == RTM_GETADDR && (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP, "addresses: a dump");

        /* an RTM_NEWADDR as the kernel sends it: IFA_ADDRESS, then IFA_LOCAL */
        memset(buf, 0, sizeof buf);
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_NEWADDR;
        struct ifaddrmsg *am = mnl_nlmsg_put_extra_header(nlh, sizeof *am);
        *am = (struct ifaddrmsg) { .ifa_family = AF_INET, .ifa_prefixlen = 24, .ifa_flags = IFA_F_PERMANENT,
                                    .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = 7 };
        unsigned char peer_addr[4] = { 192, 0, 2, 1 }, own[4] = { 192, 0, 2, 50 };
        mnl_attr_put(nlh, IFA_ADDRESS, 4, peer_addr);
        mnl_attr_put(nlh, IFA_LOCAL, 4, own);
        struct nl_addr a;
        ok(nlmsg_addr_parse(nlh, &a) == 0 && a.ifindex == 7 && a.prefix == 24 && memcmp(a.addr, own, 4) == 0,
           "address: parsed, IFA_LOCAL wins over the peer's IFA_ADDRESS");
        ok(nl_addr_transferable(&a), "address: permanent and global moves");
        a.scope = RT_SCOPE_LINK;
        ok(!nl_addr_transferable(&a), "address: link scope stays");
        a.scope = RT_SCOPE_UNIVERSE;
        a.flags = 0;
        ok(!nl_addr_transferable(&a), "address: a dynamic one stays");
        mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE);
        ok(nlmsg_addr_parse(nlh, &a) == 0 && (a.flags & IFA_F_NOPREFIXROUTE), "address: IFA_FLAGS has all the flags");
        nlh->nlmsg_type = RTM_NEWLINK;
        ok(nlmsg_addr_parse(nlh, &a) < 0, "address: not an RTM_NEWADDR");

        char ifname[16];
        net_host_ifname("/run/carrel", "some-container-id", ifname);
        ok(strlen(ifname) == 14 && strncmp(ifname, "cv", 2) == 0, "host name fits IFNAMSIZ: %s", ifname);
        char again[16];
        net_host_ifname("/run/carrel", "some-container-id", again);
        ok(strcmp(ifname, again) == 0, "and is stable for an id");
        net_host_ifname("/tmp/other-root", "some-container-id", again);
        ok(strcmp(ifname, again) != 0, "and differs under another --root");
        return tap_done();
}
