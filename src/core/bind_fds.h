/* Bind mounts the runtime makes for the container's init: cloned with
 * open_tree(2) in the runtime's mount namespace, with their attributes set,
 * and handed over as detached trees, which the init attaches with
 * move_mount(2). Used for idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP
 * needs the initial user namespace) and, in a new user namespace, for every
 * bind mount, whose source the container's root may not be able to reach
 * (as runc does with its mount fds). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "carrel/spec.h"

/* Write "container host size" lines to /proc/PID/FILE (uid_map, gid_map);
 * in launch.c. */
int write_idmap(pid_t pid, const char *file, const struct spec_idmap *m, size_t n, struct carrel_error *err);

/* Whether mounts[i] is made by the runtime (bind_fds_send) rather than the init. */
bool bind_fd_wanted(const struct spec_mount *m, bool userns);

/* Make every wanted bind mount and send each, before SYNC_GO, as a
 * SYNC_MOUNT message with its index in `code`. init_pid: for idmap without
 * mappings, whose user namespace gives them. */
int bind_fds_send(const struct spec *s, const char *bundle, bool userns, pid_t init_pid, int sync_fd,
                  struct carrel_error *err);
