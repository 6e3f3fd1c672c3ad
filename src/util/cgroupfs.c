#include "util/cgroupfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"

/* The v1 controllers the kernel knows; anything else in the options is a
 * mount flag. */
static const char *const v1_names[] = { "cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer",
                                        "net_cls", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc" };

static bool is_controller(const char *opt)
{
        if (strncmp(opt, "name=", 5) == 0)
                return true;
        for (size_t i = 0; i < ARRAY_SIZE(v1_names); i++)
                if (strcmp(opt, v1_names[i]) == 0)
                        return true;
        return false;
}

/* "rw,nosuid,cpu,cpuacct" -> "cpu,cpuacct". */
static void controllers_of(const char *superopts, char *buf, size_t size)
{
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%.1000s", superopts);
        buf[0] = '\0';
        char *save = NULL;
        for (char *o = strtok_r(tmp, ",", &save); o; o = strtok_r(NULL, ",", &save))
                if (is_controller(o) && strlen(buf) + strlen(o) + 2 < size) {
                        if (buf[0])
                                strcat(buf, ",");
                        strcat(buf, o);
                }
}

int cgroupfs_hierarchies(struct cgroupfs_hier *out, size_t max)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        char line[4096];
        char devs[CGROUPFS_MAX][32];
        size_t n = 0;
        while (n < max && n < CGROUPFS_MAX && fgets(line, sizeof line, f)) {
                char dev[32], root[1024], mnt[1024], type[64], superopts[1024];
                const char *dash = strstr(line, " - ");
                if (!dash || sscanf(line, "%*s %*s %31s %1023s %1023s", dev, root, mnt) != 3 ||
                    sscanf(dash + 3, "%63s %*s %1023s", type, superopts) != 2)
                        continue;
                bool v2 = strcmp(type, "cgroup2") == 0;
                /* (`root` is not checked: in a cgroup namespace it reads relative to the namespace's root.) */
                if ((!v2 && strcmp(type, "cgroup") != 0) || strlen(mnt) >= sizeof out->mount)
                        continue;
                bool seen = false;
                for (size_t i = 0; i < n; i++)
                        seen |= strcmp(devs[i], dev) == 0;
                if (seen)
                        continue;
                struct cgroupfs_hier *h = &out[n];
                *h = (struct cgroupfs_hier) { .v2 = v2 };
                snprintf(h->mount, sizeof h->mount, "%s", mnt);
                if (!v2) {
                        controllers_of(superopts, h->ctrls, sizeof h->ctrls);
                        if (!h->ctrls[0])
                                continue;
                }
                snprintf(devs[n], sizeof devs[n], "%s", dev);
                n++;
        }
        return (int) n;
}

bool cgroupfs_carries(const struct cgroupfs_hier *h, const char *name)
{
        size_t len = strlen(name);
        for (const char *p = h->ctrls; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
                if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0'))
                        return true;
        return false;
}

/* Whether the comma lists a and b hold the same names. */
static bool same_set(const struct cgroupfs_hier *h, const char *list)
{
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", list);
        size_t n = 0;
        char *save = NULL;
        for (char *w = strtok_r(tmp, ",", &save); w; w = strtok_r(NULL, ",", &save), n++)
                if (!cgroupfs_carries(h, w))
                        return false;
        size_t m = h->ctrls[0] ? 1 : 0;
        for (const char *p = h->ctrls; *p; p++)
                m += *p == ',';
        return n == m && n > 0;
}

int cgroupfs_self_path(const struct cgroupfs_hier *h, char *buf, size_t size)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -errno;
        char line[4096];
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
                if (!b)
                        continue;
                *b = '\0';
                bool match = h->v2 ? strcmp(line, "0") == 0 && a[1] == '\0' : same_set(h, a + 1);
                if (match)
                        return snprintf(buf, size, "%s", b + 1) < (int) size ? 0 : -ENAMETOOLONG;
        }
        return -ENOENT;
}
