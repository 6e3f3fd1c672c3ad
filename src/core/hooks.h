/* OCI hooks: each runs with the state JSON on stdin, only its own env, and
 * its timeout. Where and in which namespace each phase runs is decided by
 * the callers (launch.c, init.c, container.c), following the runtime-spec. */
#pragma once

#include <sys/types.h>

#include "carrel/spec.h"

typedef struct json_t json_t;

/* The runtime-spec state object, serialized, for a hook's stdin. */
char *hook_state_json(const char *id, const char *status, pid_t pid, const char *bundle, json_t *annotations);

/* Run every hook of `phase` in order; stop at the first failure (non-zero
 * exit, a signal, or its timeout) and describe it in err. */
int hooks_run(const struct spec *s, enum hook_phase phase, const char *state_json, struct carrel_error *err);

static inline bool hooks_any(const struct spec *s, enum hook_phase phase)
{
        return s->hooks[phase].n > 0;
}
