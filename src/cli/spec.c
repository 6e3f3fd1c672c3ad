/* spec: write a default config.json. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carrel/spec.h"
#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/fd.h"

struct spec_opts {
        const char *bundle;
        bool rootless;
};

static int on_opt(int c, const char *arg, void *data)
{
        struct spec_opts *o = data;
        if (c == 'b')
                o->bundle = arg;
        else if (c == 256)
                o->rootless = true;
        else
                return -EINVAL;
        return 0;
}

int cmd_spec(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
                                              { "rootless", no_argument, NULL, 256 },
                                              { "help", no_argument, NULL, 'h' }, { 0 } };
        struct spec_opts o = { .bundle = "." };
        int r = parse_verb_options("spec", argc, argv, "b:", opts, on_opt, &o, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("spec", argc, 0, 0, err)) < 0)
                return r;
        _cleanup_free_ char *text = spec_default_json(o.rootless, getuid(), getgid());
        if (!text)
                return carrel_error_set(err, ENOMEM, "out of memory");
        _cleanup_close_ int dir = open(o.bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return carrel_error_errno(err, errno, "spec: bundle %s", o.bundle);
        _cleanup_close_ int fd = openat(dir, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST)
                return carrel_error_set(err, EEXIST, "spec: %s/config.json exists; remove it first", o.bundle);
        if (fd < 0)
                return carrel_error_errno(err, errno, "spec: cannot create %s/config.json", o.bundle);
        if ((r = write_all(fd, text, strlen(text))) < 0 || (r = write_all(fd, "\n", 1)) < 0)
                return carrel_error_set(err, -r, "spec: cannot write config.json: %s", strerror(-r));
        return 0;
}
