/* How the process runs: process.scheduler, process.ioPriority,
 * process.execCPUAffinity, linux.memoryPolicy and linux.personality. */
#include "decode.h"

#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/personality.h>

#include "util/cleanup.h"
#include "util/idlist.h"

#define F(key, kind, type, member) { key, kind, offsetof(type, member), -1, 0, NULL, NULL }
#define FH(key, kind, type, member, has) { key, kind, offsetof(type, member), offsetof(type, has), 0, NULL, NULL }
#define FV(key, type, member, count) { key, F_STRV, offsetof(type, member), -1, offsetof(type, count), NULL, NULL }

struct name_value {
        const char *name;
        unsigned long value;
};

/* The value named `name` in `table`, or -1. */
static long lookup(const char *name, const struct name_value *table, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(table[i].name, name) == 0)
                        return (long) table[i].value;
        return -1;
}

/* The value `name` of the field `key`, or an error naming both. */
static long lookup_key(struct dctx *c, const char *key, const char *name, const struct name_value *table, size_t n)
{
        long v = lookup(name, table, n);
        if (v < 0) {
                dctx_push_key(c, key);
                dctx_fail(c, "unknown value \"%s\"", name);
        }
        return v;
}

/* OR of the values of the flag names in `v[0..n)`, the list at `key`. */
static int flag_mask(struct dctx *c, const char *key, const char **v, size_t n, const struct name_value *table,
                     size_t n_table, unsigned long *ret)
{
        *ret = 0;
        for (size_t i = 0; i < n; i++) {
                long f = lookup(v[i], table, n_table);
                if (f < 0) {
                        dctx_push_key(c, key);
                        dctx_push_index(c, i);
                        return dctx_fail(c, "unknown flag \"%s\"", v[i]);
                }
                *ret |= (unsigned long) f;
        }
        return 0;
}

static int missing(struct dctx *c, const char *key)
{
        dctx_push_key(c, key);
        return dctx_fail(c, "is required");
}

/* ---- process.scheduler ---- */

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

static const struct name_value sched_policies[] = {
        { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
        { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_IDLE", SCHED_IDLE }, { "SCHED_DEADLINE", SCHED_DEADLINE },
};

static const struct name_value sched_flags[] = {
        { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
        { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
        { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
        { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

struct sched_raw {
        const char *policy;
        int nice, priority;
        bool has_nice;
        const char **flags;
        size_t n_flags;
        uint64_t runtime, deadline, period;
};

static const struct field sched_fields[] = {
        F("policy", F_STRING, struct sched_raw, policy),
        FH("nice", F_I32, struct sched_raw, nice, has_nice),
        F("priority", F_I32, struct sched_raw, priority),
        FV("flags", struct sched_raw, flags, n_flags),
        F("runtime", F_U64, struct sched_raw, runtime),
        F("deadline", F_U64, struct sched_raw, deadline),
        F("period", F_U64, struct sched_raw, period),
        FIELD_END,
};

int decode_scheduler(struct dctx *c, json_t *v, void *base)
{
        struct spec_process *p = base;
        struct sched_raw raw = { 0 };
        int r = decode_object(c, v, sched_fields, &raw);
        if (r < 0)
                return r;
        if (!raw.policy)
                return missing(c, "policy");
        if (strcmp(raw.policy, "SCHED_ISO") == 0) {
                dctx_push_key(c, "policy");
                return dctx_fail(c, "SCHED_ISO is not implemented by Linux");
        }
        long policy = lookup_key(c, "policy", raw.policy, sched_policies, ARRAY_SIZE(sched_policies));
        if (policy < 0)
                return -EINVAL;
        if (raw.has_nice && (raw.nice < -20 || raw.nice > 19)) {
                dctx_push_key(c, "nice");
                return dctx_fail(c, "%d is out of range (-20..19)", raw.nice);
        }
        if (raw.priority < 0) {
                dctx_push_key(c, "priority");
                return dctx_fail(c, "%d is negative", raw.priority);
        }
        unsigned long flags;
        if ((r = flag_mask(c, "flags", raw.flags, raw.n_flags, sched_flags, ARRAY_SIZE(sched_flags), &flags)) < 0)
                return r;
        p->scheduler = (struct spec_scheduler) { .policy = (uint32_t) policy, .nice = raw.nice,
                                                 .priority = (uint32_t) raw.priority, .flags = flags,
                                                 .runtime = raw.runtime, .deadline = raw.deadline,
                                                 .period = raw.period };
        return 0;
}

/* ---- process.ioPriority ---- */

static const struct name_value io_classes[] = {
        { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 },
};

struct ioprio_raw {
        const char *class;
        int priority;
};

static const struct field ioprio_fields[] = {
        F("class", F_STRING, struct ioprio_raw, class),
        F("priority", F_I32, struct ioprio_raw, priority),
        FIELD_END,
};

int decode_io_priority(struct dctx *c, json_t *v, void *base)
{
        struct spec_process *p = base;
        struct ioprio_raw raw = { 0 };
        int r = decode_object(c, v, ioprio_fields, &raw);
        if (r < 0)
                return r;
        if (!raw.class)
                return missing(c, "class");
        long class = lookup_key(c, "class", raw.class, io_classes, ARRAY_SIZE(io_classes));
        if (class < 0)
                return -EINVAL;
        if (raw.priority < 0 || raw.priority > 7) {
                dctx_push_key(c, "priority");
                return dctx_fail(c, "%d is out of range (0..7)", raw.priority);
        }
        p->io_class = (int) class;
        p->io_level = raw.priority;
        return 0;
}

/* ---- process.execCPUAffinity ---- */

static int check_list(struct dctx *c, const char *key, const char *list, size_t n_words, const char *what)
{
        if (!list)
                return 0;
        uint64_t bits[n_words];
        int r = idlist_parse(list, bits, n_words);
        if (r >= 0)
                return 0;
        dctx_push_key(c, key);
        return dctx_fail(c, r == -ERANGE ? "\"%s\" names a %s beyond the highest one Linux supports"
                                         : "\"%s\" is not a %s list (like 0-3,7)", list, what);
}

static const struct field affinity_fields[] = {
        F("initial", F_STRING, struct spec_process, cpus_initial),
        F("final", F_STRING, struct spec_process, cpus_final),
        FIELD_END,
};

int decode_exec_cpu_affinity(struct dctx *c, json_t *v, void *base)
{
        struct spec_process *p = base;
        int r = decode_object(c, v, affinity_fields, p);
        if (r < 0 || (r = check_list(c, "initial", p->cpus_initial, CPU_SETSIZE / 64, "CPU")) < 0 ||
            (r = check_list(c, "final", p->cpus_final, CPU_SETSIZE / 64, "CPU")) < 0)
                return r;
        return 0;
}

/* ---- linux.memoryPolicy ---- */

static const struct name_value mpol_modes[] = {
        { "MPOL_DEFAULT", 0 },        { "MPOL_PREFERRED", 1 },      { "MPOL_BIND", 2 },
        { "MPOL_INTERLEAVE", 3 },     { "MPOL_LOCAL", 4 },          { "MPOL_PREFERRED_MANY", 5 },
        { "MPOL_WEIGHTED_INTERLEAVE", 6 },
};

static const struct name_value mpol_flags[] = {
        { "MPOL_F_NUMA_BALANCING", 1 << 13 },
        { "MPOL_F_RELATIVE_NODES", 1 << 14 },
        { "MPOL_F_STATIC_NODES", 1 << 15 },
};

struct mpol_raw {
        const char *mode, *nodes;
        const char **flags;
        size_t n_flags;
};

static const struct field mpol_fields[] = {
        F("mode", F_STRING, struct mpol_raw, mode),
        F("nodes", F_STRING, struct mpol_raw, nodes),
        FV("flags", struct mpol_raw, flags, n_flags),
        FIELD_END,
};

int decode_memory_policy(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        struct mpol_raw raw = { 0 };
        int r = decode_object(c, v, mpol_fields, &raw);
        if (r < 0)
                return r;
        if (!raw.mode)
                return missing(c, "mode");
        long mode = lookup_key(c, "mode", raw.mode, mpol_modes, ARRAY_SIZE(mpol_modes));
        if (mode < 0)
                return -EINVAL;
        if (raw.nodes && !*raw.nodes)
                raw.nodes = NULL;
        if ((r = check_list(c, "nodes", raw.nodes, MEMPOLICY_NODE_WORDS, "NUMA node")) < 0)
                return r;
        bool local = mode == 0 || mode == 4;
        if (local && raw.nodes) {
                dctx_push_key(c, "nodes");
                return dctx_fail(c, "must be empty for %s", raw.mode);
        }
        if (!local && mode != 1 && !raw.nodes)
                return missing(c, "nodes");
        unsigned long flags;
        if ((r = flag_mask(c, "flags", raw.flags, raw.n_flags, mpol_flags, ARRAY_SIZE(mpol_flags), &flags)) < 0)
                return r;
        s->mempolicy_mode = (int) mode;
        s->mempolicy_flags = (unsigned) flags;
        s->mempolicy_nodes = raw.nodes;
        return 0;
}

/* ---- linux.personality ---- */

static const struct name_value domains[] = { { "LINUX", PER_LINUX }, { "LINUX32", PER_LINUX32 } };

static const struct name_value personality_flags[] = {
        { "UNAME26", UNAME26 },
        { "ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE },
        { "FDPIC_FUNCPTRS", FDPIC_FUNCPTRS },
        { "MMAP_PAGE_ZERO", MMAP_PAGE_ZERO },
        { "ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT },
        { "READ_IMPLIES_EXEC", READ_IMPLIES_EXEC },
        { "ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT },
        { "SHORT_INODE", SHORT_INODE },
        { "WHOLE_SECONDS", WHOLE_SECONDS },
        { "STICKY_TIMEOUTS", STICKY_TIMEOUTS },
        { "ADDR_LIMIT_3GB", ADDR_LIMIT_3GB },
};

struct personality_raw {
        const char *domain;
        const char **flags;
        size_t n_flags;
};

static const struct field personality_fields[] = {
        F("domain", F_STRING, struct personality_raw, domain),
        FV("flags", struct personality_raw, flags, n_flags),
        FIELD_END,
};

int decode_personality(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        struct personality_raw raw = { 0 };
        int r = decode_object(c, v, personality_fields, &raw);
        if (r < 0)
                return r;
        if (!raw.domain)
                return missing(c, "domain");
        long domain = lookup_key(c, "domain", raw.domain, domains, ARRAY_SIZE(domains));
        if (domain < 0)
                return -EINVAL;
        unsigned long flags;
        if ((r = flag_mask(c, "flags", raw.flags, raw.n_flags, personality_flags, ARRAY_SIZE(personality_flags),
                           &flags)) < 0)
                return r;
        s->personality = (unsigned long) domain | flags;
        return 0;
}

/* ---- the name tables, for `features` ---- */

const char *spec_placement_name(enum placement_names table, size_t i)
{
        static const struct {
                const struct name_value *v;
                size_t n;
        } tables[] = {
                [NAMES_SCHED_POLICY] = { sched_policies, ARRAY_SIZE(sched_policies) },
                [NAMES_SCHED_FLAG] = { sched_flags, ARRAY_SIZE(sched_flags) },
                [NAMES_IOPRIO_CLASS] = { io_classes, ARRAY_SIZE(io_classes) },
                [NAMES_MPOL_MODE] = { mpol_modes, ARRAY_SIZE(mpol_modes) },
                [NAMES_MPOL_FLAG] = { mpol_flags, ARRAY_SIZE(mpol_flags) },
                [NAMES_PERSONALITY_DOMAIN] = { domains, ARRAY_SIZE(domains) },
                [NAMES_PERSONALITY_FLAG] = { personality_flags, ARRAY_SIZE(personality_flags) },
        };
        if ((size_t) table >= ARRAY_SIZE(tables) || i >= tables[table].n)
                return NULL;
        return tables[table].v[i].name;
}
