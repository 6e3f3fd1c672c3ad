/* Commands that act on a running container's cgroup: pause, resume, ps,
 * update, events. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "carrel/error.h"
#include "carrel/spec.h"

int container_pause(const char *root, const char *id, bool pause, struct carrel_error *err);
/* The pids of the container's processes (its cgroup and every cgroup below
 * it); none for a stopped one. *ret is malloc'd. */
int container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct carrel_error *err);
/* `s` holds the new linux.resources (s->resources). */
int container_update(const char *root, const char *id, struct spec *s, struct carrel_error *err);
/* One stats event with `stats_once`, else a stream every `interval_ms` (stats and OOM) until the container stops. */
int container_events(const char *root, const char *id, bool stats_once, int interval_ms, struct carrel_error *err);
