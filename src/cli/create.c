/* create and run: they share every option. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/container.h"

enum { O_PID_FILE = 256, O_CONSOLE, O_PIDFD, O_PRESERVE, O_NO_PIVOT, O_NO_KEYRING, O_KEEP, O_NO_SUBREAPER };

static const struct option create_options[] = {
        { "bundle", required_argument, NULL, 'b' },
        { "pid-file", required_argument, NULL, O_PID_FILE },
        { "console-socket", required_argument, NULL, O_CONSOLE },
        { "pidfd-socket", required_argument, NULL, O_PIDFD },
        { "preserve-fds", required_argument, NULL, O_PRESERVE },
        { "no-pivot", no_argument, NULL, O_NO_PIVOT },
        { "no-new-keyring", no_argument, NULL, O_NO_KEYRING },
        { "detach", no_argument, NULL, 'd' },
        { "keep", no_argument, NULL, O_KEEP },
        /* carrel never becomes a subreaper: accepted, nothing to turn off */
        { "no-subreaper", no_argument, NULL, O_NO_SUBREAPER },
        { "help", no_argument, NULL, 'h' },
        { 0 },
};

static int on_opt(int c, const char *arg, void *data)
{
        struct create_opts *o = data;
        char *end;
        switch (c) {
        case 'b': o->bundle = arg; break;
        case O_PID_FILE: o->pid_file = arg; break;
        case O_CONSOLE: o->console_socket = arg; break;
        case O_PIDFD: o->pidfd_socket = arg; break;
        case O_PRESERVE:
                o->preserve_fds = (int) strtol(arg, &end, 10);
                if (*end || o->preserve_fds < 0 || o->preserve_fds > 4096)
                        return -EINVAL;
                break;
        case O_NO_PIVOT: o->no_pivot = true; break;
        case O_NO_KEYRING: o->no_new_keyring = true; break;
        case 'd': o->detach = true; break;
        case O_KEEP: o->keep = true; break;
        case O_NO_SUBREAPER: break;
        default: return -EINVAL;
        }
        return 0;
}

static int parse(const char *verb, struct cli *cli, int argc, char **argv, struct create_opts *o,
                 struct carrel_error *err)
{
        *o = (struct create_opts) { .root = cli->root, .bundle = ".", .systemd_cgroup = cli->systemd_cgroup };
        int r = parse_verb_options(verb, argc, argv, strcmp(verb, "run") == 0 ? "b:d" : "b:", create_options, on_opt,
                                   o, err);
        if (r != 0)
                return r;
        if ((r = expect_args(verb, argc, 1, 1, err)) < 0)
                return r;
        o->id = argv[optind];
        return 0;
}

int cmd_create(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        struct create_opts o;
        int r = parse("create", cli, argc, argv, &o, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if (o.detach || o.keep)
                return carrel_error_set(err, EINVAL, "create: --%s is an option of run", o.keep ? "keep" : "detach");
        return container_create(&o, err);
}

int cmd_run(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        /* --rootfs before the command means the one-line mode without a bundle. */
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strcmp(argv[i], "--rootfs") == 0 || strncmp(argv[i], "--rootfs=", 9) == 0)
                        return cmd_run_shell(cli, argc, argv, err);
        struct create_opts o;
        int r = parse("run", cli, argc, argv, &o, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if (o.detach && o.keep)
                return carrel_error_set(err, EINVAL, "run: --detach and --keep cannot be used together");
        int status = 0;
        r = container_run(&o, &status, err);
        return r < 0 ? r : status;
}
