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

/* Fds 3..3+n-1 that the caller promised with --preserve-fds must exist:
 * otherwise one of ours could land there and leak into the container. Any
 * missing one becomes /dev/null. */
void fd_fill_preserved(int n);

/* sendmsg `payload` with `pass_fd` as SCM_RIGHTS (when >= 0), MSG_NOSIGNAL. 0 or -errno. */
int send_with_fd(int sock, const void *payload, size_t len, int pass_fd);

/* Write `pid` in decimal to `path` atomically (a temporary file, then rename). */
int write_pid_file(const char *path, pid_t pid);

/* mkdir -p: create `path` and any missing parents with `mode`. 0 or -errno. */
int mkdir_parents(const char *path, mode_t mode);

/* A SOCK_STREAM connection to the AF_UNIX socket at `path`: the fd (CLOEXEC)
 * or -errno (-ENAMETOOLONG for a path that does not fit sun_path). */
int unix_connect(const char *path);
