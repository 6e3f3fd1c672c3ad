#include "linux/netlink_msg.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <errno.h>
#include <string.h>

static struct nlmsghdr *header(void *buf, uint32_t seq, uint16_t type, uint16_t flags)
{
        memset(buf, 0, NL_BUF_SIZE);
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        nlh->nlmsg_seq = seq;
        return nlh;
}

struct nlmsghdr *nlmsg_veth_create(void *buf, uint32_t seq, const char *host, const char *peer, pid_t peer_pid)
{
        struct nlmsghdr *nlh = header(buf, seq, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, host);
        struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        struct nlattr *p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        /* The peer's attributes follow its own ifinfomsg. */
        struct ifinfomsg *pifi = mnl_nlmsg_get_payload_tail(nlh);
        nlh->nlmsg_len += MNL_ALIGN(sizeof *pifi);
        memset(pifi, 0, sizeof *pifi);
        pifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
        mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t) peer_pid);
        mnl_attr_nest_end(nlh, p);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, info);
        return nlh;
}

struct nlmsghdr *nlmsg_link_up(void *buf, uint32_t seq, const char *name, unsigned master)
{
        struct nlmsghdr *nlh = header(buf, seq, RTM_NEWLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        if (master)
                mnl_attr_put_u32(nlh, IFLA_MASTER, master);
        return nlh;
}

struct nlmsghdr *nlmsg_link_del(void *buf, uint32_t seq, const char *name)
{
        struct nlmsghdr *nlh = header(buf, seq, RTM_DELLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        return nlh;
}

struct nlmsghdr *nlmsg_addr_add(void *buf, uint32_t seq, unsigned ifindex, int family, const void *addr,
                                unsigned prefix)
{
        struct nlmsghdr *nlh = header(buf, seq, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = (uint8_t) family;
        ifa->ifa_prefixlen = (uint8_t) prefix;
        ifa->ifa_index = ifindex;
        size_t len = family == AF_INET ? 4 : 16;
        mnl_attr_put(nlh, IFA_LOCAL, len, addr);
        mnl_attr_put(nlh, IFA_ADDRESS, len, addr);
        return nlh;
}

struct nlmsghdr *nlmsg_route_default(void *buf, uint32_t seq, int family, const void *gw)
{
        struct nlmsghdr *nlh = header(buf, seq, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        rtm->rtm_family = (uint8_t) family;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_BOOT;
        rtm->rtm_scope = RT_SCOPE_UNIVERSE;
        rtm->rtm_type = RTN_UNICAST;
        mnl_attr_put(nlh, RTA_GATEWAY, family == AF_INET ? 4 : 16, gw);
        return nlh;
}

struct nlmsghdr *nlmsg_link_move(void *buf, uint32_t seq, unsigned ifindex, const char *name, int netns_fd)
{
        struct nlmsghdr *nlh = header(buf, seq, RTM_NEWLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = (int) ifindex;
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t) netns_fd);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        return nlh;
}

struct nlmsghdr *nlmsg_addr_dump(void *buf, uint32_t seq)
{
        struct nlmsghdr *nlh = header(buf, seq, RTM_GETADDR, NLM_F_DUMP);
        nlh->nlmsg_flags &= (uint16_t) ~NLM_F_ACK;
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = AF_UNSPEC;
        return nlh;
}

int nlmsg_addr_parse(const struct nlmsghdr *nlh, struct nl_addr *ret)
{
        if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
                return -EINVAL;
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        struct nl_addr a = { .ifindex = ifa->ifa_index, .family = ifa->ifa_family, .prefix = ifa->ifa_prefixlen,
                             .scope = ifa->ifa_scope, .flags = ifa->ifa_flags };
        size_t len = a.family == AF_INET ? 4 : a.family == AF_INET6 ? 16 : 0;
        bool have = false;
        const struct nlattr *attr;
        mnl_attr_for_each(attr, nlh, sizeof *ifa) {
                uint16_t type = mnl_attr_get_type(attr);
                if (type == IFA_FLAGS && mnl_attr_get_payload_len(attr) == 4)
                        a.flags = mnl_attr_get_u32(attr);
                /* IFA_LOCAL is the interface's own address; IFA_ADDRESS is
                 * the peer's on point-to-point links (IPv6 has only it). */
                else if ((type == IFA_LOCAL || (type == IFA_ADDRESS && !have)) && len &&
                         mnl_attr_get_payload_len(attr) == len) {
                        memcpy(a.addr, mnl_attr_get_payload(attr), len);
                        have = true;
                }
        }
        if (!have)
                return -EINVAL;
        *ret = a;
        return 0;
}

bool nl_addr_transferable(const struct nl_addr *a)
{
        return (a->flags & IFA_F_PERMANENT) && a->scope == RT_SCOPE_UNIVERSE;
}
