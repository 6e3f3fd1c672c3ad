/* Facts about processes read from procfs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) and
 * state letter. Returns 0, or -ESRCH when the process is gone. */
int proc_stat(pid_t pid, uint64_t *ret_start, char *ret_state);

/* True when `fd` is the root of a real procfs mount. */
bool proc_fd_is_procfs_root(int fd);

/* Rootless: carrel runs as a uid other than 0, or as root of a user
 * namespace other than the initial one (rootless podman runs its runtime
 * so), where it may not make cgroups nor keep state in /run. */
bool proc_rootless(void);
