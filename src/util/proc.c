#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/fd.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

int proc_stat(pid_t pid, uint64_t *ret_start, char *ret_state)
{
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        ssize_t n = read_file_at(AT_FDCWD, path, buf, sizeof buf);
        if (n < 0)
                return n == -ENOENT ? -ESRCH : (int) n;
        /* comm may hold spaces and parens: parse after the last ')'. */
        char *p = strrchr(buf, ')');
        if (!p || p[1] != ' ')
                return -EIO;
        p += 2;
        char state = *p;
        /* field 3 is the state; the start time is field 22 */
        for (int field = 3; field < 22; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EIO;
                p++;
        }
        if (ret_start)
                *ret_start = strtoull(p, NULL, 10);
        if (ret_state)
                *ret_state = state;
        return 0;
}

bool proc_fd_is_procfs_root(int fd)
{
        struct statfs sfs;
        struct stat st;
        if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
                return false;
        /* The root of every procfs instance has inode 1. */
        return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == 1;
}

bool proc_rootless(void)
{
        if (geteuid() != 0)
                return true;
        /* The initial user namespace maps all of 0..4294967294 onto itself. */
        FILE *f = fopen("/proc/self/uid_map", "re");
        if (!f)
                return false;
        unsigned long long in, out, n;
        int fields = fscanf(f, "%llu %llu %llu", &in, &out, &n);
        fclose(f);
        return !(fields == 3 && in == 0 && out == 0 && n == 4294967295ULL);
}
