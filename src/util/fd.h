#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Mark every fd from `first` up close-on-exec. Returns 0 or -errno. */
int fd_cloexec_from(int first);

/* write(2) until done; 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);

/* Read a whole small file at `path` (relative to dirfd) into buf, NUL-terminated.
 * Returns the length or -errno. */
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size);

/* Write a whole string to `path` relative to dirfd (O_WRONLY, no create). */
int write_file_at(int dirfd, const char *path, const char *data);

/* Write a whole file atomically: a temporary file in the same dir, then rename. */
int write_file_atomic(int dirfd, const char *name, const char *data, size_t len, mode_t mode);
