/* chase() keeps every lookup inside the root, even through hostile symlinks. */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/chase.h"
#include "tap.h"

static char base[PATH_MAX];

static void sh(const char *fmt, const char *arg)
{
        char cmd[PATH_MAX * 2];
        snprintf(cmd, sizeof cmd, fmt, arg, arg, arg, arg);
        if (system(cmd) != 0)
                printf("# command failed: %s\n", cmd);
}

static bool same_file(int fd, const char *path)
{
        struct stat a, b;
        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int main(void)
{
        snprintf(base, sizeof base, "%s/carrel-chase-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(base))
                return 1;
        /* root/ holds: etc/ (real), escape -> /, up -> ../.., abs -> /etc, loop -> loop */
        sh("mkdir -p %s/root/etc %s/outside && touch %s/outside/secret && ln -s / %s/root/escape", base);
        sh("ln -s ../../.. %s/root/up && ln -s /etc %s/root/abs && ln -s loop %s/root/loop", base);
        char root_path[PATH_MAX + 64], want[PATH_MAX + 64];
        snprintf(root_path, sizeof root_path, "%s/root", base);
        int root = open(root_path, O_PATH | O_DIRECTORY);
        struct carrel_error err = { 0 };
        int fd = -1;

        ok(chase(root, "/escape", 0, &fd, &err) == 0 && same_file(fd, root_path), "an absolute symlink to / stays at the root");
        close(fd);
        ok(chase(root, "/up", 0, &fd, &err) == 0 && same_file(fd, root_path), "../.. stays at the root");
        close(fd);
        snprintf(want, sizeof want, "%s/root/etc", base);
        ok(chase(root, "/abs", 0, &fd, &err) == 0 && same_file(fd, want), "/etc resolves to the root's etc");
        close(fd);
        carrel_error_clear(&err);
        ok(chase(root, "/up/outside/secret", 0, &fd, &err) == -ENOENT, "the outside file is not reachable: %s", err.msg);
        carrel_error_clear(&err);
        ok(chase(root, "/loop", 0, &fd, &err) == -ELOOP, "a symlink loop fails with ELOOP");

        carrel_error_clear(&err);
        ok(chase(root, "/escape/new/dir", CHASE_MKDIR, &fd, &err) == 0, "mkdir through a symlink to / (%s)", err.msg);
        close(fd);
        snprintf(want, sizeof want, "%s/root/new/dir", base);
        struct stat st;
        ok(stat(want, &st) == 0 && S_ISDIR(st.st_mode), "the directory was made inside the root");
        ok(stat("/new/dir", &st) != 0, "nothing was made on the host");

        ok(chase(root, "/abs/file", CHASE_MKFILE, &fd, &err) == 0, "a file through a symlink to /etc");
        close(fd);
        snprintf(want, sizeof want, "%s/root/etc/file", base);
        ok(stat(want, &st) == 0 && S_ISREG(st.st_mode), "the file was made in the root's etc");

        carrel_error_clear(&err);
        ok(chase(root, "/abs", CHASE_NOFOLLOW, &fd, &err) == 0, "NOFOLLOW opens the link itself");
        ok(fstat(fd, &st) == 0 && S_ISLNK(st.st_mode), "and it is a symlink, so callers can refuse it");
        close(fd);

        /* A dangling link: its target is created inside the root, never on the host. */
        sh("ln -s /carrel-dangling-target/sub %s/root/dangling", base);
        carrel_error_clear(&err);
        ok(chase(root, "/dangling", CHASE_MKDIR, &fd, &err) == 0, "a dangling symlink's target is created (%s)",
           err.msg);
        close(fd);
        snprintf(want, sizeof want, "%s/root/carrel-dangling-target/sub", base);
        ok(stat(want, &st) == 0 && S_ISDIR(st.st_mode), "inside the root");
        ok(stat("/carrel-dangling-target", &st) != 0, "and not on the host");

        sh("rm -rf %s", base);
        return tap_done();
}
