/* Cgroup delegation to a container with a user namespace: its root owns its
 * own cgroup (the directory and cgroup.procs, cgroup.threads,
 * cgroup.subtree_control), as the kernel's cgroup-v2 delegation model and
 * systemd's container interface describe, so an init such as systemd can
 * make sub-cgroups and move its processes within that subtree and nowhere
 * else. Without a user namespace nothing changes: root inside is root
 * outside, and the mount's read-only flag is what keeps it out. */
#include "cgroup/cgroup.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int host_root(const struct spec_idmap *m, size_t n, uint32_t *ret)
{
        for (size_t i = 0; i < n; i++)
                if (m[i].container_id == 0 && m[i].size > 0) {
                        *ret = m[i].host_id;
                        return 0;
                }
        return -ENOENT;
}

int cgroup_delegate_to_userns(const struct cgroup *cg, const struct spec *s, struct carrel_error *err)
{
        int cgfd = cg->created ? cg->fd : -1;
        uint32_t uid, gid;
        if (cgfd < 0 || !s->ns[NS_USER].present || s->ns[NS_USER].path ||
            host_root(s->uid_mappings, s->n_uid_mappings, &uid) < 0 ||
            host_root(s->gid_mappings, s->n_gid_mappings, &gid) < 0)
                return 0;
        static const char *const files[] = { "", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control" };
        for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
                int flags = files[i][0] ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;
                if (fchownat(cgfd, files[i], uid, gid, flags) < 0 && errno != ENOENT)
                        return carrel_error_errno(err, errno, "cannot delegate the container's cgroup to its user "
                                                  "namespace (chown %s to %u:%u)", files[i][0] ? files[i] : ".",
                                                  uid, gid);
        }
        return 0;
}
