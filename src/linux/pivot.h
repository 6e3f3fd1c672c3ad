#pragma once

#include "linux/context.h"

/* Make the rootfs the root: pivot_root (or MS_MOVE and chroot with
 * --no-pivot), then rootfsPropagation and root.readonly. */
int rootfs_enter(struct init_ctx *ctx, struct carrel_error *err);
