/* A small pid 1 for a workload that is no init itself (org.carrel.init =
 * "reaper"): the carrel process that set the container up forks, the child
 * execs the workload, and this side stays as pid 1. No second binary and no
 * exec: it is the same non-dumpable process image. */
#pragma once

#include <sys/types.h>

/* Make /proc/self/cmdline read `title` instead of the host's carrel command
 * line (with its host paths): the argv strings are overwritten in place. */
void reaper_set_cmdline(char **argv, const char *title);

/* Reap every child (orphans included), pass every catchable signal on to
 * `workload`, and exit with its status (128+N for signal N) when it ends.
 * Call in the parent after fork(), with every signal blocked since before
 * the fork and every fd from 3 up already closed. */
_Noreturn void reaper_run(pid_t workload);
