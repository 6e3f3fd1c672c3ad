#include "util/cgroup2fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "util/cleanup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool is_cgroup2(const char *path)
{
        struct statfs sfs;
        return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

int cgroup2_mount(char *buf, size_t size, bool *ret_hybrid)
{
        static const char *const places[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        for (size_t i = 0; i < ARRAY_SIZE(places); i++)
                if (is_cgroup2(places[i])) {
                        snprintf(buf, size, "%s", places[i]);
                        if (ret_hybrid)
                                *ret_hybrid = i == 1;
                        return 0;
                }
        return -ENOENT;
}

int cgroup2_self_path(char *buf, size_t size)
{
        FILE *f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return -errno;
        char line[4096];
        int r = -ENOENT;
        while (fgets(line, sizeof line, f)) {
                if (strncmp(line, "0::", 3) != 0)
                        continue;
                line[strcspn(line, "\n")] = '\0';
                r = snprintf(buf, size, "%s", line + 3) < (int) size ? 0 : -ENAMETOOLONG;
                break;
        }
        fclose(f);
        return r;
}
