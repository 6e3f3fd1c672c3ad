/* ENOSYS for syscalls newer than a seccomp profile (seccomp_enosys.c). */
#pragma once

#include <stdint.h>

#include "linux/seccomp_filter.h"

/* Put the stub in front of `p`, compiled from `filter` (a scmp_filter_ctx
 * built from `sc` with `default_action`). 0, or -errno. */
int seccomp_enosys_prepend(void *filter, const struct spec_seccomp *sc, uint32_t default_action,
                           struct seccomp_program *p);
