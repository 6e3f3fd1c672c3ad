/* Per-process tunables: rlimits, oom_score_adj and sysctl. */
#pragma once

#include "linux/context.h"

/* process.rlimits and process.oomScoreAdj. */
int limits_apply(struct init_ctx *ctx, struct carrel_error *err);

/* linux.sysctl, written through the private procfs (ctx->proc_fd). */
int sysctl_apply(struct init_ctx *ctx, struct carrel_error *err);
