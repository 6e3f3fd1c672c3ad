/* logs: what a `run --rootfs -d` container wrote to its stdout and stderr. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "carrel/state.h"
#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/fd.h"

static int copy_out(int fd, struct carrel_error *err)
{
        char buf[65536];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0)
                        return carrel_error_errno(err, errno, "logs: cannot read the log");
                if (n == 0)
                        return 0;
                if (write_all(STDOUT_FILENO, buf, (size_t) n) < 0)
                        return carrel_error_errno(err, errno, "logs: cannot write to stdout");
        }
}

static int on_follow(int c, const char *arg, void *data)
{
        (void) arg;
        *(bool *) data = c == 'f';
        return c == 'f' ? 0 : -EINVAL;
}

int cmd_logs(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = { { "follow", no_argument, NULL, 'f' },
                                              { "help", no_argument, NULL, 'h' }, { 0 } };
        bool follow = false;
        int r = parse_verb_options("logs", argc, argv, "f", opts, on_follow, &follow, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("logs", argc, 1, 1, err)) < 0)
                return r;
        const char *id = argv[optind];
        if (!container_id_valid(id))
                return carrel_error_set(err, EINVAL, "logs: invalid container id \"%s\"", id);
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%.3800s/.bundles/%s/" SHELL_LOG_FILE, cli->root, id);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return carrel_error_set(err, ENOENT, "logs: \"%s\" has no log (only run --rootfs -d keeps one)", id);
        if (fd < 0)
                return carrel_error_errno(err, errno, "logs: cannot open %s", path);
        if ((r = copy_out(fd, err)) < 0 || !follow)
                return r;
        for (bool last = false; !last;) {
                last = init_exited(cli->root, id, 0); /* one more read after it stopped */
                if (!last)
                        usleep(200 * 1000);
                if ((r = copy_out(fd, err)) < 0)
                        return r;
        }
        return 0;
}
