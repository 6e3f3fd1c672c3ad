/* Cgroup delegation to a container with a user namespace: its root owns its
 * own cgroup (the directory and cgroup.procs, cgroup.threads,
 * cgroup.subtree_control), as the kernel's cgroup-v2 delegation model and
 * systemd's container interface describe, so an init such as systemd can
 * make sub-cgroups and move its processes within that subtree and nowhere
 * else. Without a user namespace nothing changes: root inside is root
 * outside, and the mount's read-only flag is what keeps it out. */
#pragma once

#include "carrel/error.h"
#include "carrel/spec.h"

/* `cgfd` is the container's cgroup directory (created by carrel). */
int cgroup_delegate_to_userns(const struct spec *s, int cgfd, struct carrel_error *err);
