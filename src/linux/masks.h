#pragma once

#include "linux/context.h"

/* linux.maskedPaths: a verified /dev/null over files, an empty read-only
 * tmpfs over directories. linux.readonlyPaths: read-only bind over itself.
 * Paths that do not exist are skipped. */
int masks_apply(struct init_ctx *ctx, struct carrel_error *err);
