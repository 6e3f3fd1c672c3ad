/* How the workload runs: personality, memory policy, I/O priority,
 * scheduler and CPU affinity, each applied with its own syscall and each
 * error naming its spec field. */
#pragma once

#include "linux/context.h"

/* linux.personality, linux.memoryPolicy, process.ioPriority and
 * process.scheduler, for the calling process (inherited across execve). Run
 * as the container's root, before the seccomp filter. */
int placement_apply(struct init_ctx *ctx, struct carrel_error *err);

/* process.execCPUAffinity.initial for the runtime's own process (exec, before
 * it joins the container), .final for the exec'd process once it is in the
 * container's cgroup. No-ops when not given. */
int placement_affinity(const char *cpus, const char *which, struct carrel_error *err);
