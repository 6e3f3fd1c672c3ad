#pragma once

#include "linux/context.h"

/* Open and check every namespace the spec joins by path (parent side,
 * before clone). Fills ctx->ns_fds. */
int ns_open_joined(struct init_ctx *ctx, struct carrel_error *err);

/* clone3 flags for the namespaces the spec creates. */
uint64_t ns_clone_flags(const struct spec *s);

/* Child side: join the opened namespaces (setns), user first. */
int ns_join(struct init_ctx *ctx, struct carrel_error *err);

/* A new time namespace with linux.timeOffsets, entered by this process. */
int ns_time_setup(struct init_ctx *ctx, struct carrel_error *err);

/* hostname, domainname, and loopback up in a new network namespace. */
int ns_uts_net_setup(struct init_ctx *ctx, struct carrel_error *err);
