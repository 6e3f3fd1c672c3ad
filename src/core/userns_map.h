/* Writing a user namespace's uid_map and gid_map, as root or unprivileged. */
#pragma once

#include <sys/types.h>

#include "carrel/error.h"
#include "carrel/spec.h"

/* Write linux.uidMappings and linux.gidMappings for the user namespace of
 * `pid`. Root writes them itself. An unprivileged caller writes a map of
 * its own id alone itself (with setgroups denied, as the kernel requires for
 * gid_map), and hands any other map to newuidmap/newgidmap, which check it
 * against /etc/subuid and /etc/subgid. */
int userns_write_maps(pid_t pid, const struct spec *s, struct carrel_error *err);

/* Write /proc/<pid>/<file> ("uid_map", "gid_map") from `m` directly. */
int write_idmap(pid_t pid, const char *file, const struct spec_idmap *m, size_t n, struct carrel_error *err);
