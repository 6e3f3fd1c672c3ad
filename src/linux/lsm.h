/* LSM labels in the spec (process.apparmorProfile, process.selinuxLabel,
 * linux.mountLabel): checked by the runtime, applied by the init and by
 * exec'd processes at the last moment before execve. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "carrel/spec.h"
#include "linux/context.h"

enum lsm { LSM_APPARMOR, LSM_SELINUX };

/* Before the init or an exec'd process is made: a label for an LSM this host
 * has not enabled is ignored with a debug line (as runc and crun) and cleared
 * from `s`; an AppArmor profile that is not loaded fails with its name. */
int lsm_labels_check(struct spec *s, struct carrel_error *err);

/* In the init and in an exec'd process, after the credentials and before the
 * last seccomp filter: the exec labels (AppArmor profile, SELinux process
 * label) written to the process's attr files under ctx->proc_fd. */
int lsm_apply_exec(const struct init_ctx *ctx, struct carrel_error *err);

/* The SELinux label for a session keyring about to be made (attr/keycreate). */
int lsm_apply_keycreate(const struct init_ctx *ctx, struct carrel_error *err);

/* Pure: the attr file for `lsm`'s `attr` relative to a procfs root.
 * AppArmor has its own directory (attr/apparmor/, kernel 5.8+) unless
 * `legacy`; SELinux always uses the shared attr/ files. */
void lsm_attr_path(enum lsm lsm, const char *attr, bool legacy, char *buf, size_t size);

/* Write `value` in one write(2) to `path` below dirfd, resolved without
 * crossing a mount or following a magic link. 0 or -errno. */
int lsm_attr_write(int dirfd, const char *path, const char *value);

/* Pure: mount data `data` (may be NULL or empty) with the SELinux context
 * option for `label` appended: context="label". 0, -EINVAL for a label with
 * a double quote, or -ENAMETOOLONG when it does not fit `size`. */
int lsm_mount_data(const char *data, const char *label, char *buf, size_t size);

/* The fs types that get linux.mountLabel as their context= option. */
bool lsm_mount_labelled(const char *type);
