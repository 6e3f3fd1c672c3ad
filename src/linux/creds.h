#pragma once

#include "linux/context.h"

/* Drop the bounding set, switch to process.user (groups, gid, uid) keeping
 * only the spec's capabilities, then set effective/permitted/inheritable and
 * raise ambient. Inheritable and ambient stay empty unless the spec asks. */
int creds_apply(struct init_ctx *ctx, struct carrel_error *err);
