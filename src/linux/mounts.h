#pragma once

#include "linux/context.h"

/* Make / a slave (or the requested propagation), bind the rootfs onto itself
 * and open ctx->rootfs_fd on it. */
int rootfs_prepare(struct init_ctx *ctx, struct carrel_error *err);

/* Mount spec->mounts in order, every destination resolved inside the rootfs. */
int mounts_apply(struct init_ctx *ctx, struct carrel_error *err);

/* What waits until every mount, device and mask is in: a read-only /dev
 * (options "ro" on the /dev mount) becomes read-only. */
int mounts_finish(struct init_ctx *ctx, struct carrel_error *err);

/* Mount a new filesystem of `type` with options `data` and attributes on the
 * directory `target_fd`. Used for spec mounts and for masking. */
int mount_fs_at(int target_fd, const char *type, const char *source, const char *data, uint64_t attr,
                struct carrel_error *err);

/* Bind the host path `source` (or the tree at source_fd when source is NULL)
 * onto target_fd. */
int mount_bind_at(int source_fd, int target_fd, bool recursive, uint64_t attr_set, uint64_t attr_clr,
                  bool attr_recursive, struct carrel_error *err);

/* The next option of comma-separated mount data at *cursor (modified in
 * place), or NULL at the end. A comma inside double quotes does not split
 * (context="system_u:object_r:t:s0:c1,c2"); the quotes are removed. */
char *mount_data_next(char **cursor);
