/* The cgroup v2 driver: the container's cgroup on the unified hierarchy
 * (all of it on a pure v2 host; tracking, kill and the controllers it
 * offers on a hybrid one). */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fd.h"

long long cgroup_keyed_value(int dirfd, const char *file, const char *key)
{
        char buf[4096];
        if (read_file_at(dirfd, file, buf, sizeof buf) < 0)
                return -1;
        size_t klen = strlen(key);
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
                        return atoll(line + klen + 1);
        return -1;
}

/* Whether every controller of `enable` ("+a +b") is in the directory's
 * cgroup.subtree_control already. */
static bool all_enabled(int dirfd, const char *enable)
{
        char have[512], want[128];
        if (read_file_at(dirfd, "cgroup.subtree_control", have, sizeof have) < 0)
                return false;
        snprintf(want, sizeof want, "%s", enable);
        char *save = NULL;
        for (char *w = strtok_r(want, " +", &save); w; w = strtok_r(NULL, " +", &save)) {
                size_t n = strlen(w);
                bool found = false;
                for (char *p = strstr(have, w); p && !found; p = strstr(p + 1, w))
                        found = (p == have || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]);
                if (!found)
                        return false;
        }
        return true;
}

/* mkdir -p below the hierarchy root, enabling `ctrls` in every parent on
 * the way. `self` is the caller's own cgroup: carrel never writes into it,
 * except the root of a pure v2 host (self == NULL there), where enabling
 * controllers is the only way to use them. */
int cgroup_v2_make(int root_fd, const char *path, unsigned ctrls, const char *self, bool *ret_created,
                   struct carrel_error *err)
{
        char enable[128] = "";
        for (unsigned bit = 1; bit <= CG_MISC; bit <<= 1)
                if (ctrls & bit) {
                        strcat(enable, enable[0] ? " +" : "+");
                        strcat(enable, cgroup_controller_name(bit));
                }
        _cleanup_close_ int cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        char buf[PATH_MAX], here[PATH_MAX] = "/";
        snprintf(buf, sizeof buf, "%s", path);
        char *save = NULL;
        *ret_created = false;
        for (char *comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                if (enable[0] && !all_enabled(cur, enable)) {
                        if (self && strcmp(here, self) == 0)
                                return carrel_error_set(err, EPERM, "cannot enable the controllers %s below %s: that "
                                                        "is the cgroup carrel itself runs in, which it never writes "
                                                        "into", enable, here);
                        int r = write_file_at(cur, "cgroup.subtree_control", enable);
                        if (r < 0)
                                return carrel_error_set(err, -r, "cannot enable the controllers %s below %s: %s",
                                                        enable, path, strerror(-r));
                }
                bool made = mkdirat(cur, comp, 0755) == 0;
                if (!made && errno != EEXIST)
                        return carrel_error_errno(err, errno, "cannot create the cgroup %s", path);
                int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (next < 0)
                        return carrel_error_errno(err, errno, "cannot open the cgroup %s", path);
                close(cur);
                cur = next;
                snprintf(here + strlen(here), sizeof here - strlen(here), "%s%s", strcmp(here, "/") ? "/" : "", comp);
                *ret_created = made; /* what counts is the last component */
        }
        return TAKE_FD(cur);
}

bool cgroup_v2_populated(int fd)
{
        return cgroup_keyed_value(fd, "cgroup.events", "populated") > 0;
}

bool cgroup_v2_frozen(int fd)
{
        return fd >= 0 && cgroup_keyed_value(fd, "cgroup.events", "frozen") == 1;
}

/* Poll cgroup.events until `key` has `want`, for up to `ms`. */
static int wait_event(int fd, const char *key, long long want, int ms)
{
        _cleanup_close_ int ev = openat(fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                if (cgroup_keyed_value(fd, "cgroup.events", key) == want)
                        return 0;
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
                if (spent >= ms)
                        return -ETIMEDOUT;
                /* cgroup.events signals changes with POLLPRI; re-check every 50 ms anyway. */
                struct pollfd p = { .fd = ev, .events = POLLPRI };
                poll(&p, ev >= 0 ? 1 : 0, 50);
                if (ev >= 0)
                        pread(ev, (char[256]) { 0 }, 255, 0);
        }
}

int cgroup_v2_wait_empty(int fd, int ms)
{
        return wait_event(fd, "populated", 0, ms);
}

int cgroup_v2_freeze(const struct cgroup *cg, bool frozen, struct carrel_error *err)
{
        int r = write_file_at(cg->fd, "cgroup.freeze", frozen ? "1" : "0");
        if (r < 0)
                return carrel_error_set(err, -r, "cannot write cgroup.freeze in %s: %s", cg->path, strerror(-r));
        if (wait_event(cg->fd, "frozen", frozen ? 1 : 0, 10000) < 0)
                return carrel_error_set(err, ETIMEDOUT, "the cgroup %s did not %s within 10 s", cg->path,
                                        frozen ? "freeze" : "thaw");
        return 0;
}

int cgroup_read_pids(int dirfd, pid_t **ret, size_t *ret_n)
{
        _cleanup_fclose_ FILE *f = NULL;
        int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !(f = fdopen(fd, "r"))) {
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        size_t n = 0, cap = 16;
        pid_t *v = malloc(cap * sizeof *v);
        int pid;
        while (v && fscanf(f, "%d", &pid) == 1) {
                if (n == cap) {
                        pid_t *nv = realloc(v, (cap *= 2) * sizeof *v);
                        if (!nv) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                v[n++] = pid;
        }
        if (!v)
                return -ENOMEM;
        *ret = v;
        *ret_n = n;
        return 0;
}

/* Remove every cgroup below `dirfd`, deepest first (made by the workload,
 * or for exec --cgroup); they are empty once the subtree is dead. */
void cgroup_remove_children(int dirfd, int depth)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                        _cleanup_close_ int child = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        if (child >= 0 && depth < 64)
                                cgroup_remove_children(child, depth + 1);
                        unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
                }
        closedir(d);
}
