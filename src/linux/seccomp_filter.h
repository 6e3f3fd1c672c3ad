/* linux.seccomp with libseccomp: build the filter as data (in the parent,
 * before clone, so errors come early and nothing is loaded), then load it
 * in the init and hand a notify fd to the listener. */
#pragma once

#include "linux/context.h"

/* Build an unloaded filter. Unknown syscall and architecture names are
 * skipped with a debug line, as the runtime-spec allows. *ret is a
 * scmp_filter_ctx; release it with seccomp_filter_free. */
int seccomp_filter_build(const struct spec_seccomp *sc, void **ret, struct carrel_error *err);
void seccomp_filter_free(void *filter);

/* The compiled filter for `s->seccomp`: from the cache under `cache_dir`
 * when a previous run compiled the same JSON with the same libseccomp,
 * otherwise built with libseccomp, exported and cached. libseccomp's
 * compiler costs milliseconds per start; the cache makes it a file read. */
struct seccomp_program {
        void *insns;         /* struct sock_filter[] */
        unsigned short len;  /* instructions */
        unsigned int flags;  /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};
int seccomp_program_get(const struct spec *s, const char *cache_dir, struct seccomp_program *ret,
                        struct carrel_error *err);
void seccomp_program_free(struct seccomp_program *p);

/* Connect to linux.seccomp.listenerPath (before pivot_root). */
int seccomp_listener_connect(struct init_ctx *ctx, struct carrel_error *err);

/* Load ctx->seccomp (seccomp(2) directly); with a listener, send it the notify fd and the state. */
int seccomp_filter_load(struct init_ctx *ctx, struct carrel_error *err);
