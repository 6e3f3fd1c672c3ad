#pragma once

#include "linux/context.h"

struct clone_args;

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

/* clone3 for the init. With a user namespace joined by path, as runc does, a
 * helper joins it first and clones the init from there, so every namespace
 * the init creates (pid, mount, ...) belongs to that user namespace; the
 * init is then adopted by us (a subreaper while it lasts) and its pidfd
 * comes from pidfd_open. Returns 0 in the init, its pid in the caller, or -1
 * with errno. */
pid_t ns_clone_init(struct init_ctx *ctx, struct clone_args *args, int *ret_pidfd);
