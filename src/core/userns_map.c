#include "core/userns_map.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fd.h"

extern char **environ;

int write_idmap(pid_t pid, const char *file, const struct spec_idmap *m, size_t n, struct carrel_error *err)
{
        char path[64], buf[4096] = "";
        size_t len = 0;
        for (size_t i = 0; i < n && len < sizeof buf; i++)
                len += (size_t) snprintf(buf + len, sizeof buf - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
                                         m[i].size);
        if (len >= sizeof buf)
                return carrel_error_set(err, E2BIG, "%s: too many mappings", file);
        snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, len) != (ssize_t) len)
                return carrel_error_errno(err, errno, "cannot write %s", file);
        return 0;
}

/* newuidmap PID C H N ... (the setuid helper from the uidmap package). */
static int write_helper(const char *helper, pid_t pid, const char *key, const struct spec_idmap *m, size_t n,
                        struct carrel_error *err)
{
        enum { MAX = 64 };
        if (n > MAX)
                return carrel_error_set(err, E2BIG, "linux.%s: more than %d mappings", key, MAX);
        char nums[1 + 3 * MAX][16];
        char *argv[2 + 3 * MAX + 1];
        size_t a = 0;
        argv[a++] = (char *) helper;
        snprintf(nums[0], sizeof nums[0], "%d", (int) pid);
        argv[a++] = nums[0];
        for (size_t i = 0; i < n; i++) {
                unsigned v[3] = { m[i].container_id, m[i].host_id, m[i].size };
                for (int k = 0; k < 3; k++) {
                        snprintf(nums[1 + 3 * i + k], sizeof nums[0], "%u", v[k]);
                        argv[a++] = nums[1 + 3 * i + k];
                }
        }
        argv[a] = NULL;
        pid_t child;
        int r = posix_spawnp(&child, helper, NULL, NULL, argv, environ);
        if (r == ENOENT)
                return carrel_error_set(err, ENOENT, "linux.%s maps more than the caller's own id, which needs %s "
                                        "(Debian package uidmap) and an entry for uid %u in /etc/sub%s; it is not "
                                        "installed", key, helper, (unsigned) getuid(), key[0] == 'u' ? "uid" : "gid");
        if (r != 0)
                return carrel_error_set(err, r, "cannot run %s: %s", helper, strerror(r));
        int status;
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        return carrel_error_errno(err, errno, "waitpid %s", helper);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return carrel_error_set(err, EPERM, "%s refused linux.%s (see its message above): the ranges must be "
                                        "the caller's own id or lie in its entries in /etc/sub%s", helper, key,
                                        key[0] == 'u' ? "uid" : "gid");
        return 0;
}

static bool own_id_only(const struct spec_idmap *m, size_t n, unsigned id)
{
        return n == 1 && m[0].size == 1 && m[0].host_id == id;
}

int userns_write_maps(pid_t pid, const struct spec *s, struct carrel_error *err)
{
        int r;
        if (geteuid() == 0)
                return (r = write_idmap(pid, "uid_map", s->uid_mappings, s->n_uid_mappings, err)) < 0
                               ? r
                               : write_idmap(pid, "gid_map", s->gid_mappings, s->n_gid_mappings, err);
        if (own_id_only(s->uid_mappings, s->n_uid_mappings, geteuid()))
                r = write_idmap(pid, "uid_map", s->uid_mappings, s->n_uid_mappings, err);
        else
                r = write_helper("newuidmap", pid, "uidMappings", s->uid_mappings, s->n_uid_mappings, err);
        if (r < 0)
                return r;
        if (!own_id_only(s->gid_mappings, s->n_gid_mappings, getegid()))
                return write_helper("newgidmap", pid, "gidMappings", s->gid_mappings, s->n_gid_mappings, err);
        /* The kernel lets an unprivileged writer map its own gid only once
         * setgroups(2) is denied in the namespace. */
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/setgroups", (int) pid);
        if ((r = write_file_at(AT_FDCWD, path, "deny")) < 0)
                return carrel_error_set(err, -r, "cannot write %s: %s", path, strerror(-r));
        return write_idmap(pid, "gid_map", s->gid_mappings, s->n_gid_mappings, err);
}
