#include "linux/placement.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/idlist.h"
#include "util/log.h"

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

/* The first published layout of sched_setattr's argument (SCHED_ATTR_SIZE_VER0). */
struct sched_attr_v0 {
        uint32_t size, sched_policy;
        uint64_t sched_flags;
        int32_t sched_nice;
        uint32_t sched_priority;
        uint64_t sched_runtime, sched_deadline, sched_period;
};

static const char *policy_name(uint32_t p)
{
        static const char *const names[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "?",
                                             "SCHED_IDLE", "SCHED_DEADLINE" };
        return p < sizeof names / sizeof *names ? names[p] : "?";
}

static int apply_scheduler(const struct spec_scheduler *s, struct carrel_error *err)
{
        struct sched_attr_v0 a = { .size = sizeof a, .sched_policy = s->policy, .sched_flags = s->flags,
                                   .sched_nice = s->nice, .sched_priority = s->priority,
                                   .sched_runtime = s->runtime, .sched_deadline = s->deadline,
                                   .sched_period = s->period };
        if (syscall(SYS_sched_setattr, 0, &a, 0) == 0)
                return 0;
        int e = errno;
        if (s->policy == 6)
                return carrel_error_set(err, e, "process.scheduler: the kernel refused %s with runtime %llu, deadline "
                                        "%llu, period %llu (runtime <= deadline <= period, at least 1024 ns, "
                                        "within the available bandwidth): %s", policy_name(s->policy),
                                        (unsigned long long) s->runtime, (unsigned long long) s->deadline,
                                        (unsigned long long) s->period, strerror(e));
        return carrel_error_set(err, e, "process.scheduler: the kernel refused %s with priority %u, nice %d: %s%s",
                                policy_name(s->policy), s->priority, s->nice, strerror(e),
                                e == EINVAL && (s->policy == SCHED_FIFO || s->policy == SCHED_RR)
                                        ? " (SCHED_FIFO and SCHED_RR need a priority of 1..99, the others 0)"
                                : e == EPERM ? " (a real-time policy needs real-time time in the container's cgroup)"
                                             : "");
}

static int apply_memory_policy(const struct spec *s, struct carrel_error *err)
{
        uint64_t nodes[MEMPOLICY_NODE_WORDS] = { 0 };
        if (s->mempolicy_nodes && idlist_parse(s->mempolicy_nodes, nodes, MEMPOLICY_NODE_WORDS) < 0)
                return carrel_error_set(err, EINVAL, "linux.memoryPolicy.nodes: \"%s\" is not a node list",
                                        s->mempolicy_nodes);
        unsigned long maxnode = s->mempolicy_nodes ? MEMPOLICY_NODE_WORDS * 64 + 1 : 0;
        if (syscall(SYS_set_mempolicy, s->mempolicy_mode | (int) s->mempolicy_flags,
                    s->mempolicy_nodes ? nodes : NULL, maxnode) == 0)
                return 0;
        int e = errno;
        return carrel_error_set(err, e, "linux.memoryPolicy: the kernel refused it (nodes \"%s\"): %s%s",
                                s->mempolicy_nodes ? s->mempolicy_nodes : "", strerror(e),
                                e == EINVAL ? " (a node that does not exist, or a flag the mode does not take)" : "");
}

int placement_apply(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec *s = ctx->spec;
        const struct spec_process *p = &s->process;
        int r;
        if (s->has_personality && personality(s->personality) < 0)
                return carrel_error_errno(err, errno, "linux.personality: cannot set 0x%lx", s->personality);
        if (s->has_memory_policy && (r = apply_memory_policy(s, err)) < 0)
                return r;
        if (p->has_io_priority &&
            syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (p->io_class << IOPRIO_CLASS_SHIFT) | p->io_level) < 0)
                return carrel_error_errno(err, errno, "process.ioPriority: cannot set class %d, priority %d",
                                          p->io_class, p->io_level);
        if (p->has_scheduler && (r = apply_scheduler(&p->scheduler, err)) < 0)
                return r;
        if (s->has_personality || s->has_memory_policy || p->has_io_priority || p->has_scheduler)
                log_debug("personality, memory policy, I/O priority and scheduler set");
        return 0;
}

int placement_affinity(const char *cpus, const char *which, struct carrel_error *err)
{
        if (!cpus)
                return 0;
        cpu_set_t set;
        CPU_ZERO(&set);
        if (idlist_parse(cpus, (uint64_t *) (void *) &set, sizeof set / sizeof(uint64_t)) < 0)
                return carrel_error_set(err, EINVAL, "process.execCPUAffinity.%s: \"%s\" is not a CPU list", which,
                                        cpus);
        if (sched_setaffinity(0, sizeof set, &set) < 0)
                return carrel_error_errno(err, errno, "process.execCPUAffinity.%s: cannot run on CPUs %s", which,
                                          cpus);
        return 0;
}
