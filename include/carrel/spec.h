/* The typed form of an OCI config.json. Decoding and validation are pure:
 * no syscalls, and every error names its JSON path. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "carrel/error.h"

typedef struct json_t json_t;

enum ns_type {
        NS_PID,
        NS_NET,
        NS_IPC,
        NS_UTS,
        NS_MNT,
        NS_USER,
        NS_CGROUP,
        NS_TIME,
        NS__COUNT,
};

struct spec_namespace {
        bool present;     /* listed in linux.namespaces */
        const char *path; /* join this one; NULL = create a new one */
};

/* The kernel takes at most this many lines in uid_map and gid_map. */
#define SPEC_IDMAP_MAX 340

struct spec_idmap {
        uint32_t container_id, host_id, size;
};

struct spec_rlimit {
        int resource;
        uint64_t soft, hard;
};

/* Linux capability sets as bit masks (bit n = capability n). */
struct spec_caps {
        uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct spec_mount {
        const char *destination, *type, *source;
        const char **options; /* raw, for diagnostics */
        size_t n_options;
        /* derived from options */
        unsigned long flags;       /* MS_* for the legacy call (MS_BIND, MS_REC, ...) */
        uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* */
        bool attr_recursive;       /* an r* option (rro, rnosuid, ...) was used */
        unsigned long propagation; /* MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE (| MS_REC) */
        bool bind, rbind, tmpcopyup;
        bool has_idmap;            /* uidMappings/gidMappings given (idmapped mounts) */
        bool idmap, idmap_recursive; /* idmap / ridmap (also implied by the mappings) */
        struct spec_idmap *uid_maps, *gid_maps; /* mounts[].uidMappings/gidMappings; none = the container's */
        size_t n_uid_maps, n_gid_maps;
        char *data;                /* comma-joined fs options (mode=755,size=...) */
};

struct spec_device {
        const char *path;
        char type; /* 'c', 'b', 'u' or 'p' */
        int64_t major, minor;
        bool has_mode, has_uid, has_gid;
        uint32_t mode, uid, gid;
};

/* linux.netDevices: the host interface `host` moves into the container's
 * network namespace as `name` (the same name when not given). */
struct spec_net_device {
        const char *host;
        const char *name;
};

struct spec_sysctl {
        const char *key, *value;
};

struct spec_time_offset {
        const char *clock; /* "monotonic" or "boottime" */
        int64_t secs;
        uint32_t nanosecs;
};

struct spec_device_rule {
        bool allow;
        char type;            /* 'a', 'c' or 'b' */
        int64_t major, minor; /* -1 = any */
        char access[4];       /* subset of "rwm" */
};

struct spec_throttle {
        int64_t major, minor;
        uint64_t rate;
};

struct spec_weight_device {
        int64_t major, minor;
        bool has_weight;
        uint16_t weight;
        bool has_leaf_weight; /* cgroup v1 only */
        uint16_t leaf_weight;
};

struct spec_net_prio {
        const char *name;
        uint32_t priority;
};

struct spec_hugepage {
        const char *page_size; /* "2MB" */
        uint64_t limit;
};

struct spec_rdma {
        const char *device;
        bool has_handles, has_objects;
        uint32_t handles, objects;
};

struct spec_kv {
        const char *key, *value;
};

/* linux.resources. Each has_* says the field was given. */
struct spec_resources {
        struct spec_device_rule *devices;
        size_t n_devices;
        bool has_devices;

        bool has_memory_limit, has_memory_reservation, has_memory_swap, has_swappiness;
        int64_t memory_limit, memory_reservation, memory_swap;
        uint64_t swappiness;
        bool disable_oom_killer, check_before_update, has_kernel_memory;

        bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_burst, has_cpu_idle, has_cpu_realtime;
        uint64_t cpu_shares, cpu_period, cpu_burst;
        int64_t cpu_quota, cpu_idle;
        const char *cpus, *mems;

        bool has_pids_limit;
        int64_t pids_limit;

        bool has_blkio_weight;
        uint16_t blkio_weight;
        struct spec_weight_device *weight_devices;
        size_t n_weight_devices;
        struct spec_throttle *throttle[4]; /* read bps, write bps, read iops, write iops */
        size_t n_throttle[4];

        struct spec_hugepage *hugepages;
        size_t n_hugepages;
        struct spec_rdma *rdma;
        size_t n_rdma;
        struct spec_kv *unified;
        size_t n_unified;
        bool has_network;

        /* Fields only cgroup v1 can serve. */
        int64_t cpu_rt_runtime;
        uint64_t cpu_rt_period;
        bool has_cpu_rt_runtime, has_cpu_rt_period;
        bool has_kernel_tcp;
        int64_t kernel_tcp, kernel_memory;
        bool has_blkio_leaf_weight;
        uint16_t blkio_leaf_weight;
        bool has_net_classid;
        uint32_t net_classid;
        struct spec_net_prio *net_prios;
        size_t n_net_prios;
};

enum hook_phase {
        HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER, HOOK_START_CONTAINER, HOOK_POSTSTART,
        HOOK_POSTSTOP, HOOK__COUNT,
};

struct spec_hook {
        const char *path;
        const char **args, **env;
        size_t n_args, n_env;
        bool has_timeout;
        int timeout; /* seconds */
};

struct spec_hooks {
        struct spec_hook *list;
        size_t n;
};

enum spec_seccomp_action {
        SECCOMP_KILL, SECCOMP_KILL_PROCESS, SECCOMP_KILL_THREAD, SECCOMP_TRAP, SECCOMP_ERRNO,
        SECCOMP_TRACE, SECCOMP_ALLOW, SECCOMP_LOG, SECCOMP_NOTIFY,
};

enum spec_seccomp_op { SECCOMP_OP_NE, SECCOMP_OP_LT, SECCOMP_OP_LE, SECCOMP_OP_EQ, SECCOMP_OP_GE, SECCOMP_OP_GT,
                       SECCOMP_OP_MASKED_EQ };

struct spec_seccomp_arg {
        uint32_t index;
        uint64_t value, value_two;
        int op; /* enum spec_seccomp_op */
};

struct spec_seccomp_rule {
        const char **names;
        size_t n_names;
        int action; /* enum spec_seccomp_action */
        bool has_errno_ret;
        uint32_t errno_ret;
        struct spec_seccomp_arg *args;
        size_t n_args;
};

struct spec_seccomp {
        int default_action;
        bool has_default_errno_ret;
        uint32_t default_errno_ret;
        const char **architectures, **flags;
        size_t n_architectures, n_flags;
        const char *listener_path, *listener_metadata;
        struct spec_seccomp_rule *rules;
        size_t n_rules;
};

/* process.scheduler: the sched_setattr(2) arguments. */
struct spec_scheduler {
        uint32_t policy; /* SCHED_* */
        int32_t nice;
        uint32_t priority;
        uint64_t flags;  /* SCHED_FLAG_* */
        uint64_t runtime, deadline, period;
};

struct spec_process {
        bool terminal;
        bool has_console_size;
        uint32_t console_height, console_width;
        const char **args;
        size_t n_args;
        const char **env;
        size_t n_env;
        const char *cwd;
        uint32_t uid, gid;
        uint32_t *additional_gids;
        size_t n_additional_gids;
        bool has_umask;
        uint32_t umask;
        bool has_caps;
        struct spec_caps caps;
        struct spec_rlimit *rlimits;
        size_t n_rlimits;
        bool no_new_privileges;
        bool has_oom_score_adj;
        int oom_score_adj;
        const char *apparmor_profile, *selinux_label;
        bool has_scheduler;
        struct spec_scheduler scheduler;
        bool has_io_priority;
        int io_class, io_level;        /* IOPRIO_CLASS_*, 0..7 */
        const char *cpus_initial, *cpus_final; /* execCPUAffinity: CPU lists ("0-3,7") or NULL */
};

struct spec {
        json_t *json; /* owns every borrowed string below */
        json_t *process_json; /* owns the strings of a process read by spec_decode_process */
        void *arena;  /* owns every allocated array below */

        const char *oci_version;
        const char *root_path;
        bool root_readonly;
        const char *hostname, *domainname;
        bool has_hostname, has_domainname;

        bool has_process;
        struct spec_process process;

        struct spec_mount *mounts;
        size_t n_mounts;

        json_t *annotations; /* borrowed object, or NULL */

        struct spec_namespace ns[NS__COUNT];
        struct spec_idmap *uid_mappings, *gid_mappings;
        size_t n_uid_mappings, n_gid_mappings;
        struct spec_device *devices;
        size_t n_devices;
        const char **masked_paths, **readonly_paths;
        size_t n_masked_paths, n_readonly_paths;
        struct spec_sysctl *sysctl;
        size_t n_sysctl;
        struct spec_time_offset *time_offsets;
        size_t n_time_offsets;
        struct spec_net_device *net_devices; /* linux.netDevices */
        size_t n_net_devices;
        unsigned long rootfs_propagation; /* 0 = default */
        const char *mount_label;
        const char *cgroups_path;
        struct spec_seccomp *seccomp; /* NULL = no filter */
        struct spec_hooks hooks[HOOK__COUNT];
        struct spec_resources *resources; /* NULL = none given */

        /* linux.memoryPolicy: set_mempolicy(2) mode | flags over the node list. */
        bool has_memory_policy;
        int mempolicy_mode;
        unsigned mempolicy_flags;
        const char *mempolicy_nodes; /* "0-3,7", or NULL */
#define MEMPOLICY_NODE_WORDS 16      /* node ids below 1024 */

        /* linux.personality: personality(2) domain | flags (has_personality below). */
        unsigned long personality;

        /* Parts owned by later milestones: recorded so they are refused, not ignored. */
        bool has_intel_rdt, has_personality;

        /* What the decoder dropped instead of refusing (a capability that cannot be
         * granted, ...): one message each, for the caller to log as warnings. */
        const char **warnings;
        size_t n_warnings;
};

/* Decode config.json text. `origin` names the file in error messages. */
int spec_decode(const char *text, size_t len, const char *origin, struct spec **ret, struct carrel_error *err);
int spec_load_file(const char *path, struct spec **ret, struct carrel_error *err);
void spec_free(struct spec *s);

/* Memory owned by the spec, freed with it. */
void *spec_alloc(struct spec *s, size_t size);

/* Append a warning (copied into the spec's memory). */
void spec_warn(struct spec *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drop capabilities above `last_cap` (this kernel's /proc/sys/kernel/cap_last_cap)
 * from every set of s->process, with a warning naming them. */
void spec_caps_fit_kernel(struct spec *s, int last_cap);

/* Replace s->process with the process object in `text` (exec --process FILE). */
int spec_decode_process(struct spec *s, const char *text, size_t len, const char *origin, struct carrel_error *err);

/* Read a whole regular file (at most 64 MiB) into a NUL-terminated buffer. */
int read_config_file(const char *path, char **ret, size_t *ret_len, struct carrel_error *err);
/* The same, but a FIFO (a pipe, /dev/fd/N) is read to its end too, waiting
 * at most fifo_timeout_ms for data: a FIFO nobody writes is an error. */
int read_config_source(const char *path, int fifo_timeout_ms, char **ret, size_t *ret_len, struct carrel_error *err);
static inline void spec_freep(struct spec **s)
{
        spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

/* Semantic checks that need the whole spec (hostname needs a UTS namespace, ...).
 * `origin` names the file in messages. Pure. */
int spec_validate(const struct spec *s, const char *origin, struct carrel_error *err);

/* The annotation org.carrel.userns: "auto" (an allocated id range and an
 * idmapped rootfs), "private" (an allocated range, the rootfs as it is), or NULL. */
const char *spec_userns_mode(const struct spec *s);

/* The default config.json, as `carrel spec` writes it. Caller frees. */
char *spec_default_json(bool rootless, uid_t uid, gid_t gid);

struct dctx;

/* linux.resources (decode_resources.c); also used alone by `update --resources`. */
int decode_resources(struct dctx *c, json_t *v, void *base);
int spec_decode_resources(struct spec *s, const char *text, size_t len, const char *origin, struct carrel_error *err);

/* linux.seccomp (decode_seccomp.c), called by the main decoder. */
int decode_seccomp(struct dctx *c, json_t *v, void *base);
const char *seccomp_action_name(int action);

const char *hook_phase_name(enum hook_phase p); /* the JSON key: "createRuntime", ... */

/* The names process.scheduler, process.ioPriority, linux.memoryPolicy and
 * linux.personality accept (for `features`): entry i, or NULL past the end. */
enum placement_names {
        NAMES_SCHED_POLICY, NAMES_SCHED_FLAG, NAMES_IOPRIO_CLASS, NAMES_MPOL_MODE, NAMES_MPOL_FLAG,
        NAMES_PERSONALITY_DOMAIN, NAMES_PERSONALITY_FLAG,
};
const char *spec_placement_name(enum placement_names table, size_t i);

/* Name tables shared by decoder, features and tests. */
const char *ns_type_name(enum ns_type t);
int ns_type_from_name(const char *name); /* -1 if unknown */
int ns_clone_flag(enum ns_type t);
int rlimit_from_name(const char *name);  /* -1 if unknown */
int cap_from_name_str(const char *name); /* -1 if unknown; accepts "CAP_X" */
int signal_from_name(const char *s);
/* "CAP_CHOWN, CAP_KILL" for the bits of mask, into buf. */
void cap_mask_names(uint64_t mask, char *buf, size_t size);     /* "TERM", "SIGKILL", "RTMIN+3" or a number; -1 if unknown */

/* Annotations carrel reads (a bundle can set them too):
 *   org.carrel.init: "reaper" makes pid 1 a small init that reaps zombies and
 *     forwards signals to the workload (the server profile sets it);
 *   org.carrel.stop-signal: what `kill` sends when no signal is given. */
#define CARREL_INIT_ANNOTATION "org.carrel.init"
#define CARREL_STOP_SIGNAL_ANNOTATION "org.carrel.stop-signal"
bool spec_init_reaper(const struct spec *s);
