/* The cgroup v1 driver: the container's cgroup in each legacy hierarchy
 * (cpu, memory, pids, ... and name=systemd), all under the same path. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fd.h"

static const char *const names[CG1__COUNT] = {
        [CG1_CPU] = "cpu", [CG1_CPUACCT] = "cpuacct", [CG1_CPUSET] = "cpuset", [CG1_MEMORY] = "memory",
        [CG1_DEVICES] = "devices", [CG1_FREEZER] = "freezer", [CG1_BLKIO] = "blkio", [CG1_PIDS] = "pids",
        [CG1_HUGETLB] = "hugetlb", [CG1_NET_CLS] = "net_cls", [CG1_NET_PRIO] = "net_prio",
        [CG1_PERF_EVENT] = "perf_event", [CG1_RDMA] = "rdma", [CG1_MISC] = "misc", [CG1_NAMED] = "name=",
};

const char *cgroup_v1_name(int c)
{
        return c >= 0 && c < CG1__COUNT ? names[c] : "?";
}

/* A new cpuset cgroup starts with no CPUs and no memory nodes: nothing can
 * run in it until it has its parent's. */
static int cpuset_inherit(int parent, int child, const char *path, struct carrel_error *err)
{
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                char mine[4096], theirs[4096];
                if (read_file_at(child, files[i], mine, sizeof mine) < 0)
                        continue; /* not a cpuset hierarchy after all */
                if (mine[strspn(mine, " \n")] != '\0')
                        continue;
                if (read_file_at(parent, files[i], theirs, sizeof theirs) < 0)
                        return carrel_error_errno(err, errno, "cannot read %s above %s", files[i], path);
                int r = write_file_at(child, files[i], theirs);
                if (r < 0)
                        return carrel_error_set(err, -r, "cannot copy %s into %s: %s", files[i], path, strerror(-r));
        }
        return 0;
}

int cgroup_v1_make(struct cgroup_v1 *h, const char *path, struct carrel_error *err)
{
        _cleanup_close_ int cur = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return carrel_error_errno(err, errno, "cannot open %s", h->mount);
        bool cpuset = (h->mask & (1U << CG1_CPUSET)) != 0;
        char buf[PATH_MAX];
        snprintf(buf, sizeof buf, "%s", path);
        char *save = NULL;
        h->made = false;
        for (char *comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
                bool made = mkdirat(cur, comp, 0755) == 0;
                if (!made && errno != EEXIST)
                        return carrel_error_errno(err, errno, "cannot create the cgroup %s%s", h->mount, path);
                int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (next < 0)
                        return carrel_error_errno(err, errno, "cannot open the cgroup %s%s", h->mount, path);
                int r = cpuset ? cpuset_inherit(cur, next, path, err) : 0;
                close(cur);
                cur = next;
                if (r < 0)
                        return r;
                h->made = made; /* what counts is the last component */
        }
        h->fd = TAKE_FD(cur);
        return 0;
}

bool cgroup_v1_frozen(const struct cgroup_v1 *freezer)
{
        char buf[32];
        return read_file_at(freezer->fd, "freezer.state", buf, sizeof buf) > 0 && strncmp(buf, "FROZEN", 6) == 0;
}

/* Write freezer.state and wait until it reads back: FREEZING can stall on
 * a task that is busy in the kernel, so the request is repeated, as the
 * kernel documentation advises. */
int cgroup_v1_freeze(const struct cgroup_v1 *freezer, const char *path, bool frozen, struct carrel_error *err)
{
        const char *want = frozen ? "FROZEN" : "THAWED";
        for (int i = 0; i < 1000; i++) {
                int r = write_file_at(freezer->fd, "freezer.state", want);
                if (r < 0)
                        return carrel_error_set(err, -r, "cannot write freezer.state in %s%s: %s", freezer->mount,
                                                path, strerror(-r));
                char buf[32];
                if (read_file_at(freezer->fd, "freezer.state", buf, sizeof buf) > 0 &&
                    strncmp(buf, want, strlen(want)) == 0)
                        return 0;
                nanosleep(&(struct timespec) { 0, 10 * 1000000L }, NULL);
        }
        if (frozen)
                write_file_at(freezer->fd, "freezer.state", "THAWED");
        return carrel_error_set(err, ETIMEDOUT, "the cgroup %s%s did not %s within 10 s", freezer->mount, path,
                                frozen ? "freeze" : "thaw");
}
