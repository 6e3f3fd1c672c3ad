#pragma once

#include "linux/context.h"

/* A private procfs instance (fsopen/fsmount, never attached to a path),
 * checked to be a real procfs root, in ctx->proc_fd. When the kernel refuses
 * a new instance (a user namespace without its own pid namespace), the
 * container's own /proc is used after it is verified. */
int procfs_open_private(struct init_ctx *ctx, struct carrel_error *err);
int procfs_open_container(struct init_ctx *ctx, struct carrel_error *err);

/* Find process.args[0] in the container's PATH (from process.env) and keep
 * the result in ctx->exec_path. Run after pivot_root and the user switch. */
int process_find_executable(struct init_ctx *ctx, struct carrel_error *err);

/* Create a missing process.cwd in the rootfs (mode 0755, as runc). Before pivot_root. */
int process_make_cwd(struct init_ctx *ctx, struct carrel_error *err);

/* As root, before the seccomp filter and the user switch: umask, cwd
 * (checked to lie inside the root), HOME from /etc/passwd, session keyring. */
int process_setup(struct init_ctx *ctx, struct carrel_error *err);

/* After the user switch: the cwd again if root could not enter it, no_new_privs. */
int process_prepare(struct init_ctx *ctx, struct carrel_error *err);

/* Mark fds from 3 + preserve_fds close-on-exec and exec the workload. Returns only on error. */
int process_exec(struct init_ctx *ctx, struct carrel_error *err);
