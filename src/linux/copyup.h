#pragma once

#include "carrel/error.h"

/* Copy the contents of directory `src_fd` (any fd, O_PATH is fine) into
 * directory `dst_fd`, keeping modes, owners and symlinks. Used for tmpcopyup. */
int copy_tree(int src_fd, int dst_fd, struct carrel_error *err);
