/* start, kill, delete: one container id and a lifecycle step. */
#include <string.h>
#include <stdbool.h>
#include <stddef.h>

#include "carrel/spec.h"
#include "cli/cli.h"
#include "core/container.h"

static const struct option help_only[] = { { "help", no_argument, NULL, 'h' }, { 0 } };

static int no_opt(int c, const char *arg, void *data)
{
        return -EINVAL;
}

int cmd_start(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        int r = parse_verb_options("start", argc, argv, "", help_only, no_opt, NULL, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("start", argc, 1, 1, err)) < 0)
                return r;
        return container_start(cli->root, argv[optind], err);
}

static int on_flag(int c, const char *arg, void *data)
{
        *(bool *) data = true;
        return 0;
}

int cmd_kill(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' },
                                              { 0 } };
        bool all = false;
        int r = parse_verb_options("kill", argc, argv, "a", opts, on_flag, &all, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("kill", argc, 1, 2, err)) < 0)
                return r;
        /* No signal: the container's stop signal (org.carrel.stop-signal), else TERM. */
        const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
        /* Signal 0 only checks that the container is alive, as kill(2). */
        int sig = !name ? -1 : strcmp(name, "0") == 0 ? 0 : signal_from_name(name);
        if (name && sig < 0)
                return carrel_error_set(err, EINVAL, "kill: unknown signal \"%s\"", name);
        return container_kill(cli->root, argv[optind], sig, all, err);
}

int cmd_delete(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
                                              { "help", no_argument, NULL, 'h' }, { 0 } };
        bool force = false;
        int r = parse_verb_options("delete", argc, argv, "f", opts, on_flag, &force, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("delete", argc, 1, 1, err)) < 0)
                return r;
        return container_delete(cli->root, argv[optind], force, err);
}
