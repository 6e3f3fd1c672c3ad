/* start, kill, delete: one container id and a lifecycle step. */
#include <string.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "carrel/spec.h"
#include "cli/cli.h"
#include "core/container.h"
#include "util/log.h"

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

struct kill_opts {
        bool all;
        int timeout; /* seconds */
};

static int on_kill(int c, const char *arg, void *data)
{
        struct kill_opts *o = data;
        if (c == 'a') {
                o->all = true;
                return 0;
        }
        char *end;
        long t = strtol(arg, &end, 10);
        if (*end || end == arg || t < 0 || t > 86400)
                return -EINVAL;
        o->timeout = (int) t;
        return 0;
}

int cmd_kill(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        enum { K_TIMEOUT = 256 };
        static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
                                              { "timeout", required_argument, NULL, K_TIMEOUT },
                                              { "help", no_argument, NULL, 'h' }, { 0 } };
        struct kill_opts o = { .timeout = 10 };
        int r = parse_verb_options("kill", argc, argv, "a", opts, on_kill, &o, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("kill", argc, 1, 2, err)) < 0)
                return r;
        /* No signal: stop it. The container's stop signal (org.carrel.stop-signal,
         * else TERM), then KILL to every process once --timeout has passed. */
        const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
        /* Signal 0 only checks that the container is alive, as kill(2). */
        int sig = !name ? -1 : strcmp(name, "0") == 0 ? 0 : signal_from_name(name);
        if (name && sig < 0)
                return carrel_error_set(err, EINVAL, "kill: unknown signal \"%s\"", name);
        if ((r = container_kill(cli->root, argv[optind], sig, o.all, err)) < 0 || name)
                return r;
        if (init_exited(cli->root, argv[optind], o.timeout * 1000))
                return 0;
        log_warning("kill: %s did not stop within %d s: sending KILL", argv[optind], o.timeout);
        r = container_kill(cli->root, argv[optind], SIGKILL, true, err);
        return r == -ESRCH ? 0 : r;
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
