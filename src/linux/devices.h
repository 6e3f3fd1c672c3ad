#pragma once

#include "linux/context.h"

/* Create the default device nodes and links in the rootfs's /dev, then the
 * spec's linux.devices. In a user namespace nodes are bind mounts of the
 * host's. Everything is created relative to a /dev fd resolved in the root. */
int devices_setup(struct init_ctx *ctx, struct carrel_error *err);
