/* exec --cgroup: move an opened container cgroup down to an existing
 * sub-cgroup, as runc's "[CONTROLLER[,CONTROLLER]:]PATH" takes it. A plain
 * PATH goes down in every hierarchy where PATH exists (and must exist in
 * one); "cpu,memory:PATH" only in the v1 hierarchies of those controllers;
 * "unified:PATH" (or ":PATH") only in the cgroup2 one. PATH is resolved
 * beneath the container's cgroup: no "..", no symlinks, no other mount. */
#include "cgroup/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/sys.h"

static int open_below(int fd, const char *path)
{
        return sys_openat2(fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
                           RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
}

/* Whether `name` is one of the comma-separated controllers in `list`. */
static bool in_list(const char *list, const char *name, size_t len)
{
        for (const char *p = list; *p;) {
                const char *end = strchrnul(p, ',');
                if ((size_t) (end - p) == len && strncmp(p, name, len) == 0)
                        return true;
                p = *end ? end + 1 : end;
        }
        return false;
}

/* Whether the v1 hierarchy `h` serves one of the controllers in `want`. */
static bool wanted(const struct cgroup_v1 *h, const char *want)
{
        for (const char *p = want; *p;) {
                const char *end = strchrnul(p, ',');
                if (end > p && in_list(h->ctrls, p, (size_t) (end - p)))
                        return true;
                p = *end ? end + 1 : end;
        }
        return false;
}

/* Whether every controller named in `want` is served by some hierarchy of `cg`. */
static const char *unknown_controller(const struct cgroup *cg, const char *want, char *buf, size_t size)
{
        for (const char *p = want; *p;) {
                const char *end = strchrnul(p, ',');
                size_t len = (size_t) (end - p);
                bool found = len == 7 && strncmp(p, "unified", 7) == 0 && cg->fd >= 0;
                for (size_t i = 0; !found && i < cg->n_v1; i++)
                        found = in_list(cg->v1[i].ctrls, p, len);
                if (!found) {
                        snprintf(buf, size, "%.*s", (int) (len < 64 ? len : 64), p);
                        return buf;
                }
                p = *end ? end + 1 : end;
        }
        return NULL;
}

int cgroup_descend(struct cgroup *cg, const char *arg, struct carrel_error *err)
{
        const char *colon = strchr(arg, ':');
        char want[256] = "";
        const char *path = arg;
        if (colon) {
                snprintf(want, sizeof want, "%.*s", (int) (colon - arg), arg);
                path = colon + 1;
        }
        while (*path == '/')
                path++;
        if (!*path)
                return 0;
        char bad[72];
        if (want[0] && unknown_controller(cg, want, bad, sizeof bad))
                return carrel_error_set(err, ENOENT, "--cgroup %s: the container has no cgroup for the \"%s\" "
                                        "controller", arg, bad);
        bool only_unified = colon && (!want[0] || strcmp(want, "unified") == 0);
        bool plain = !colon;
        int moved = 0;
        if (cg->fd >= 0 && (plain || only_unified || in_list(want, "unified", 7))) {
                int fd = open_below(cg->fd, path);
                if (fd < 0 && !plain)
                        return carrel_error_errno(err, errno, "--cgroup %s: no cgroup %s below %s", arg, path, cg->path);
                if (fd >= 0) {
                        close(cg->fd);
                        cg->fd = fd;
                        moved++;
                }
        }
        for (size_t i = 0; i < cg->n_v1 && !only_unified; i++) {
                struct cgroup_v1 *h = &cg->v1[i];
                if (h->fd < 0 || (!plain && !wanted(h, want)))
                        continue;
                int fd = open_below(h->fd, path);
                if (fd < 0 && !plain)
                        return carrel_error_errno(err, errno, "--cgroup %s: no cgroup %s below %s%s", arg, path,
                                                  h->mount, cg->path);
                if (fd >= 0) {
                        close(h->fd);
                        h->fd = fd;
                        moved++;
                }
        }
        if (!moved)
                return carrel_error_set(err, ENOENT, "--cgroup %s: no cgroup %s below the container's %s", arg, path,
                                        cg->path);
        /* Messages name where it went; with several places, the plain form's path. */
        size_t len = strlen(cg->path);
        snprintf(cg->path + len, sizeof cg->path - len, "/%s", path);
        return 0;
}
