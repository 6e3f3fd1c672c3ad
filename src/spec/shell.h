/* `carrel run --rootfs DIR [flags] -- CMD`: a config.json built in memory
 * from the default spec, a profile and the flags. Pure: no syscalls. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "carrel/error.h"

typedef struct json_t json_t;

#define SHELL_MAX_REPEAT 64

struct shell_opts {
        const char *rootfs; /* absolute */
        const char *name, *hostname;
        const char *memory, *memory_swap, *cpus, *pids, *io_weight;
        const char *net, *user, *workdir, *seccomp, *userns;
        const char *binds[SHELL_MAX_REPEAT], *tmpfs[SHELL_MAX_REPEAT], *env[SHELL_MAX_REPEAT];
        const char *cap_add[SHELL_MAX_REPEAT], *cap_drop[SHELL_MAX_REPEAT];
        size_t n_binds, n_tmpfs, n_env, n_cap_add, n_cap_drop;
        bool read_only, tty;
        bool boot_init;          /* --init: boot the rootfs's /sbin/init */
        const char *stop_signal; /* --stop-signal, or what --init found */
        char **args;
        size_t n_args;
};

/* Merge a profile into a spec: objects merge key by key, other values
 * replace, and a key ending in '+' ("mounts+") appends to that array.
 * "comment" keys are dropped. */
int shell_merge_profile(json_t *spec, json_t *profile, struct carrel_error *err);

/* Apply the flags to `spec` (already merged with its profile). Errors name the flag. */
int shell_apply_flags(json_t *spec, const struct shell_opts *o, struct carrel_error *err);

/* "256m", "1G", "1024" -> bytes. */
int parse_size(const char *s, long long *ret);
