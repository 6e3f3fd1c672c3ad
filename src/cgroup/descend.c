/* exec --cgroup: move an opened container cgroup down to an existing
 * sub-cgroup, as runc's "[CONTROLLER[,CONTROLLER]:]PATH" takes it. A plain
 * PATH goes down in every hierarchy (on a hybrid host, in the cgroup2 one
 * only where it exists there); "cpu,memory:PATH" only in the v1
 * hierarchies of those controllers; "unified:PATH" (or ":PATH") only in the
 * cgroup2 one. PATH is resolved
 * beneath the container's cgroup: no "..", no symlinks, no other mount. */
#include "cgroup/cgroup.h"

#include <ctype.h>
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

/* A message in the words runc uses, with the path that is missing. */
static int missing(struct carrel_error *err, const char *arg, const char *mount, const char *base, const char *path)
{
        char reason[64];
        snprintf(reason, sizeof reason, "%s", strerror(ENOENT));
        reason[0] = (char) tolower((unsigned char) reason[0]);
        return carrel_error_set(err, ENOENT, "--cgroup %s: adding pid to cgroups: %s%s/%s/cgroup.procs: %s", arg, mount,
                                base, path, reason);
}

/* Whether a component of `path` is "..". */
static bool climbs(const char *path)
{
        for (const char *p = path; *p;) {
                const char *end = strchrnul(p, '/');
                if (end - p == 2 && p[0] == '.' && p[1] == '.')
                        return true;
                p = *end ? end + 1 : end;
        }
        return false;
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
        char bad[72];
        if (want[0] && unknown_controller(cg, want, bad, sizeof bad))
                return carrel_error_set(err, ENOENT, "--cgroup %s: unknown controller \"%s\" (the container has no "
                                        "cgroup for it)", arg, bad);
        while (*path == '/')
                path++;
        if (!*path)
                return 0;
        if (climbs(path))
                return carrel_error_set(err, EINVAL, "--cgroup %s: %s is not a sub cgroup path", arg, path);
        bool only_unified = colon && (!want[0] || strcmp(want, "unified") == 0);
        bool plain = !colon;
        /* A plain path must be in every v1 hierarchy, and in the cgroup2 one
         * unless that is a hybrid host's extra (then where it exists). */
        if (cg->fd >= 0 && (plain || only_unified || in_list(want, "unified", 7))) {
                int fd = open_below(cg->fd, path);
                if (fd < 0 && (!plain || !cg->n_v1))
                        return missing(err, arg, cg->mount, cg->path, path);
                if (fd >= 0) {
                        close(cg->fd);
                        cg->fd = fd;
                }
        }
        for (size_t i = 0; i < cg->n_v1 && !only_unified; i++) {
                struct cgroup_v1 *h = &cg->v1[i];
                if (h->fd < 0 || (!plain && !wanted(h, want)))
                        continue;
                int fd = open_below(h->fd, path);
                if (fd < 0)
                        return missing(err, arg, h->mount, cg->path, path);
                close(h->fd);
                h->fd = fd;
        }
        /* Messages name where it went. */
        size_t len = strlen(cg->path);
        snprintf(cg->path + len, sizeof cg->path - len, "/%s", path);
        return 0;
}
