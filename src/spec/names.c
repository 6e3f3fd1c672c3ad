/* Name tables: namespace types, rlimits and capabilities. */
#include <sched.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "carrel/spec.h"
#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
        const char *name;
        int flag;
} ns_table[NS__COUNT] = {
        [NS_PID] = { "pid", CLONE_NEWPID },
        [NS_NET] = { "network", CLONE_NEWNET },
        [NS_IPC] = { "ipc", CLONE_NEWIPC },
        [NS_UTS] = { "uts", CLONE_NEWUTS },
        [NS_MNT] = { "mount", CLONE_NEWNS },
        [NS_USER] = { "user", CLONE_NEWUSER },
        [NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
        [NS_TIME] = { "time", CLONE_NEWTIME },
};

const char *ns_type_name(enum ns_type t)
{
        return t < NS__COUNT ? ns_table[t].name : "?";
}

int ns_type_from_name(const char *name)
{
        for (int i = 0; i < NS__COUNT; i++)
                if (strcmp(ns_table[i].name, name) == 0)
                        return i;
        return -1;
}

int ns_clone_flag(enum ns_type t)
{
        return t < NS__COUNT ? ns_table[t].flag : 0;
}

static const struct {
        const char *name;
        int resource;
} rlimit_table[] = {
        { "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },
        { "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_DATA", RLIMIT_DATA },
        { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_LOCKS", RLIMIT_LOCKS },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
        { "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
        { "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_RSS", RLIMIT_RSS },
        { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
        { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int rlimit_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_table); i++)
                if (strcmp(rlimit_table[i].name, name) == 0)
                        return rlimit_table[i].resource;
        return -1;
}

/* Capability numbers from include/uapi/linux/capability.h. Kept here so the
 * decoder stays pure and does not depend on the running kernel. */
static const char *const cap_names[] = {
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
        "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
        "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
        "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
        "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
        "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

int cap_from_name_str(const char *name)
{
        if (strncasecmp(name, "CAP_", 4) != 0)
                return -1;
        name += 4;
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                if (strcasecmp(cap_names[i], name) == 0)
                        return (int) i;
        return -1;
}

int cap_last_known(void)
{
        return (int) ARRAY_SIZE(cap_names) - 1;
}

const char *cap_name(int cap)
{
        return cap >= 0 && (size_t) cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : NULL;
}

void cap_mask_names(uint64_t mask, char *buf, size_t size)
{
        size_t len = 0;
        buf[0] = '\0';
        for (int cap = 0; cap < 64 && len < size; cap++) {
                if (!(mask & (1ULL << cap)))
                        continue;
                const char *name = cap_name(cap);
                int n = name ? snprintf(buf + len, size - len, "%sCAP_%s", len ? ", " : "", name)
                             : snprintf(buf + len, size - len, "%scapability %d", len ? ", " : "", cap);
                if (n < 0)
                        break;
                len += (size_t) n;
        }
}

void spec_caps_fit_kernel(struct spec *s, int last_cap)
{
        if (last_cap < 0 || last_cap >= 63)
                return;
        uint64_t beyond = ~((1ULL << (last_cap + 1)) - 1);
        struct spec_caps *c = &s->process.caps;
        uint64_t lost = (c->bounding | c->effective | c->inheritable | c->permitted | c->ambient) & beyond;
        if (!lost)
                return;
        char names[1024];
        cap_mask_names(lost, names, sizeof names);
        spec_warn(s, "process.capabilities: %s dropped: this kernel does not know %s", names,
                  lost & (lost - 1) ? "them" : "it");
        c->bounding &= ~beyond;
        c->effective &= ~beyond;
        c->inheritable &= ~beyond;
        c->permitted &= ~beyond;
        c->ambient &= ~beyond;
}

int signal_from_name(const char *s)
{
        char *end;
        long n = strtol(s, &end, 10);
        if (*s && !*end)
                return n > 0 && n < NSIG ? (int) n : -1;
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        for (int sig = 1; sig < NSIG; sig++) {
                const char *name = sigabbrev_np(sig);
                if (name && strcasecmp(name, s) == 0)
                        return sig;
        }
        if (strncasecmp(s, "RTMIN+", 6) == 0) {
                n = strtol(s + 6, &end, 10);
                if (!*end && n >= 0 && SIGRTMIN + n <= SIGRTMAX)
                        return SIGRTMIN + (int) n;
        }
        return -1;
}
