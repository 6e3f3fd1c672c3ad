#include "cgroup/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/cgroup2fs.h"
#include "util/fd.h"
#include "util/sys.h"

int cgroup_path_for(const char *cgroups_path, const char *id, char *buf, size_t size, struct carrel_error *err)
{
        int n;
        if (!cgroups_path)
                n = snprintf(buf, size, "/carrel/%s", id);
        else if (strchr(cgroups_path, ':') && cgroups_path[0] != '/')
                return carrel_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\" is a systemd slice:prefix:name path; "
                                        "the systemd cgroup driver is not supported (use a plain path)", cgroups_path);
        else if (cgroups_path[0] == '/')
                n = snprintf(buf, size, "%s", cgroups_path);
        else
                n = snprintf(buf, size, "/carrel/%s", cgroups_path);
        if (n < 0 || (size_t) n >= size)
                return carrel_error_set(err, ENAMETOOLONG, "linux.cgroupsPath: too long");
        /* No "..", no empty components beyond slashes, nothing that leaves the hierarchy. */
        for (const char *p = buf; *p; p++)
                if (p[0] == '.' && p[1] == '.' && (p == buf || p[-1] == '/') && (p[2] == '/' || !p[2]))
                        return carrel_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\" contains \"..\"", buf);
        if (strcmp(buf, "/") == 0)
                return carrel_error_set(err, EINVAL, "linux.cgroupsPath: the root cgroup cannot hold a container");
        return 0;
}

static int read_controllers(int dirfd, unsigned *ret)
{
        char buf[512];
        ssize_t n = read_file_at(dirfd, "cgroup.controllers", buf, sizeof buf);
        if (n < 0)
                return (int) n;
        *ret = 0;
        char *save = NULL;
        for (char *w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                for (unsigned bit = 1; bit <= CG_MISC; bit <<= 1)
                        if (strcmp(w, cgroup_controller_name(bit)) == 0)
                                *ret |= bit;
        return 0;
}

static long long keyed_value(int dirfd, const char *file, const char *key)
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

/* mkdir -p below the hierarchy root, enabling `ctrls` in every parent on the way. */
static int make_path(int root_fd, const char *path, unsigned ctrls, bool *ret_created, struct carrel_error *err)
{
        char enable[128] = "";
        for (unsigned bit = 1; bit <= CG_MISC; bit <<= 1)
                if (ctrls & bit) {
                        strcat(enable, enable[0] ? " +" : "+");
                        strcat(enable, cgroup_controller_name(bit));
                }
        _cleanup_close_ int cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        char buf[PATH_MAX];
        snprintf(buf, sizeof buf, "%s", path);
        char *save = NULL;
        *ret_created = false;
        for (char *comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                if (enable[0]) {
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
                *ret_created = made; /* what counts is the last component */
        }
        return TAKE_FD(cur);
}

int cgroup_create(const struct spec *s, const char *id, struct cgroup *ret, struct carrel_error *err)
{
        bool hybrid = false;
        int r;
        *ret = (struct cgroup) CGROUP_INIT;
        if (cgroup2_mount(ret->mount, sizeof ret->mount, &hybrid) < 0) {
                if (s->resources && cgroup_controllers_needed(s->resources))
                        return carrel_error_set(err, ENOTSUP, "linux.resources: this host has no cgroup2 hierarchy");
                return 0; /* nothing to track with: run without a cgroup */
        }
        if ((r = cgroup_path_for(s->cgroups_path, id, ret->path, sizeof ret->path, err)) < 0)
                return r;
        _cleanup_close_ int root = open(ret->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return carrel_error_errno(err, errno, "cannot open %s", ret->mount);
        unsigned need = s->resources ? cgroup_controllers_needed(s->resources) : 0, have = 0;
        read_controllers(root, &have);
        for (unsigned bit = 1; bit <= CG_MISC; bit <<= 1)
                if ((need & bit) && !(have & bit))
                        return carrel_error_set(err, ENOTSUP,
                                                "linux.resources needs the cgroup v2 \"%s\" controller, which %s does not "
                                                "offer%s", cgroup_controller_name(bit), ret->mount,
                                                hybrid ? " (this is a hybrid cgroup host: boot with "
                                                         "systemd.unified_cgroup_hierarchy=1 or cgroup_no_v1=all "
                                                         "for a pure cgroup v2 host)" : "");
        int fd = make_path(root, ret->path, need, &ret->created, err);
        if (fd < 0)
                return fd;
        /* Never adopt a cgroup that holds processes: another container's
         * (the same id under another --root) would die with this one. */
        if (!ret->created && keyed_value(fd, "cgroup.events", "populated") > 0) {
                close(fd);
                return carrel_error_set(err, EBUSY, "the cgroup %s is not empty: another container (or process) "
                                        "uses it; set linux.cgroupsPath", ret->path);
        }
        ret->fd = fd;
        if (s->resources && (r = cgroup_resources_apply(fd, s->resources, false, err)) < 0) {
                cgroup_destroy(ret, NULL);
                return r;
        }
        return 0;
}

int cgroup_open(const char *mount, const char *path, struct cgroup *ret)
{
        *ret = (struct cgroup) CGROUP_INIT;
        snprintf(ret->mount, sizeof ret->mount, "%s", mount);
        snprintf(ret->path, sizeof ret->path, "%s", path);
        char full[PATH_MAX + 64];
        snprintf(full, sizeof full, "%s%s", mount, path);
        ret->fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        return ret->fd < 0 ? -errno : 0;
}

void cgroup_close(struct cgroup *cg)
{
        if (cg->fd >= 0)
                close(cg->fd);
        cg->fd = -1;
}

int cgroup_enter(const struct cgroup *cg, pid_t pid, struct carrel_error *err)
{
        char buf[32];
        snprintf(buf, sizeof buf, "%d", (int) pid);
        int r = write_file_at(cg->fd, "cgroup.procs", buf);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot move the init into %s: %s", cg->path, strerror(-r));
        return 0;
}

/* The value of `key` in a "key value" file such as cgroup.events, or -1. */
bool cgroup_frozen(const struct cgroup *cg)
{
        return cg->fd >= 0 && keyed_value(cg->fd, "cgroup.events", "frozen") == 1;
}

/* Poll cgroup.events until `key` has `want`, for up to `ms`. */
static int wait_event(const struct cgroup *cg, const char *key, long long want, int ms)
{
        _cleanup_close_ int ev = openat(cg->fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                if (keyed_value(cg->fd, "cgroup.events", key) == want)
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

int cgroup_freeze(const struct cgroup *cg, bool frozen, struct carrel_error *err)
{
        if (cg->fd < 0)
                return carrel_error_set(err, ENOTSUP, "the container has no cgroup to freeze");
        int r = write_file_at(cg->fd, "cgroup.freeze", frozen ? "1" : "0");
        if (r < 0)
                return carrel_error_set(err, -r, "cannot write cgroup.freeze in %s: %s", cg->path, strerror(-r));
        if (wait_event(cg, "frozen", frozen ? 1 : 0, 10000) < 0)
                return carrel_error_set(err, ETIMEDOUT, "the cgroup %s did not %s within 10 s", cg->path,
                                        frozen ? "freeze" : "thaw");
        return 0;
}

int cgroup_pids(const struct cgroup *cg, pid_t **ret, size_t *ret_n)
{
        _cleanup_fclose_ FILE *f = NULL;
        int fd = openat(cg->fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
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

int cgroup_signal_all(const struct cgroup *cg, int sig, struct carrel_error *err)
{
        if (sig == SIGKILL && write_file_at(cg->fd, "cgroup.kill", "1") == 0)
                return 0;
        pid_t *pids;
        size_t n;
        int r = cgroup_pids(cg, &pids, &n);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot read the processes of %s: %s", cg->path, strerror(-r));
        for (size_t i = 0; i < n; i++) {
                int pfd = sys_pidfd_open(pids[i], 0);
                if (pfd >= 0) {
                        sys_pidfd_send_signal(pfd, sig, NULL, 0);
                        close(pfd);
                }
        }
        free(pids);
        return 0;
}

/* Remove every cgroup below `dirfd`, deepest first (made by the workload,
 * or for exec --cgroup); they are empty once the subtree is dead. */
static void remove_children(int dirfd, int depth)
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
                                remove_children(child, depth + 1);
                        unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
                }
        closedir(d);
}

int cgroup_destroy(struct cgroup *cg, struct carrel_error *err)
{
        if (cg->fd < 0)
                return 0;
        int r = 0;
        if (keyed_value(cg->fd, "cgroup.events", "populated") != 0) {
                /* A frozen cgroup must thaw for its processes to die. */
                write_file_at(cg->fd, "cgroup.freeze", "0");
                cgroup_signal_all(cg, SIGKILL, NULL);
                if (wait_event(cg, "populated", 0, 10000) < 0)
                        r = carrel_error_set(err, EBUSY, "processes in %s did not die", cg->path);
        }
        if (r == 0 && cg->created) {
                char full[PATH_MAX + 64];
                snprintf(full, sizeof full, "%s%s", cg->mount, cg->path);
                remove_children(cg->fd, 0);
                if (rmdir(full) < 0 && errno != ENOENT)
                        r = carrel_error_errno(err, errno, "cannot remove the cgroup %s", full);
        }
        cgroup_close(cg);
        return r;
}
