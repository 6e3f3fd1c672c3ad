/* fd-first path resolution inside a root that may be hostile. Every lookup
 * goes through openat2(RESOLVE_IN_ROOT), so ".." and symlinks (absolute or
 * relative) can never leave `root_fd`. */
#pragma once

#include "carrel/error.h"

enum {
        CHASE_MKDIR = 1 << 0,  /* create missing directories, the last one too */
        CHASE_MKFILE = 1 << 1, /* create missing parents as dirs and the last one as an empty file */
        CHASE_NOFOLLOW = 1 << 2, /* the last component must not be a symlink */
};

/* Open `path` (absolute or relative, always taken from root_fd) as an O_PATH
 * fd in *ret_fd. Returns 0 or -errno. `err` may be NULL for a quiet probe. */
int chase(int root_fd, const char *path, unsigned flags, int *ret_fd, struct carrel_error *err);

/* Open `path` inside root_fd with `oflags` (a real open, for reading or writing). */
int chase_open(int root_fd, const char *path, int oflags, int *ret_fd, struct carrel_error *err);
