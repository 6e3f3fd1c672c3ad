/* CVE-2019-5736, the rest of the defence. Until they exec the workload, the
 * container's init and exec'd processes are this binary; they are
 * non-dumpable, which keeps /proc/<pid>/exe out of reach of anything in the
 * container without CAP_SYS_PTRACE. A container granted CAP_SYS_PTRACE (and
 * no user namespace of its own) could still open it, so for such a spec
 * carrel first re-executes itself from a sealed memfd copy: the file behind
 * /proc/<pid>/exe is then that copy, which nobody can write. It costs a
 * copy and an exec, paid only by those specs. */
#pragma once

#include <stdbool.h>

#include "carrel/error.h"
#include "carrel/spec.h"

/* Remember argv and envp for a re-exec (called from main). */
void sealed_exe_init(char **argv, char **envp);

/* The argv main() got (its strings are the process's command line). */
char **sealed_exe_argv(void);

/* True when the running binary is already a sealed copy. */
bool sealed_exe_active(void);

/* When `s` lets the container ptrace and it has no user namespace of its
 * own, re-exec from a sealed memfd (does not return on success). */
int sealed_exe_if_needed(const struct spec *s, struct carrel_error *err);
