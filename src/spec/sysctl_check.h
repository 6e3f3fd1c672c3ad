#pragma once

#include <stdbool.h>
#include <stddef.h>

/* True when `key`=`value` may be set in a container with the given new
 * namespaces; otherwise false with the reason in `why`. Pure. */
bool sysctl_allowed(const char *key, const char *value, bool netns, bool ipcns, bool utsns, char *why, size_t len);
