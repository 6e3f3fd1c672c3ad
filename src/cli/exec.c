/* exec: options and the command after the id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/exec.h"

enum { O_PID_FILE = 256, O_CWD, O_NNP, O_PRESERVE, O_IGNORE_PAUSED, O_CONSOLE, O_PIDFD, O_CGROUP, O_LABEL, O_APPARMOR };

#define MAX_REPEAT 256

struct exec_cli {
        struct exec_opts o;
        char *env[MAX_REPEAT], *caps[MAX_REPEAT];
        char gids[4096]; /* every --additional-gids, comma-joined */
};

static int on_opt(int c, const char *arg, void *data)
{
        struct exec_cli *x = data;
        struct exec_opts *o = &x->o;
        char *end;
        switch (c) {
        case 'p': o->process_file = arg; break;
        case 't': o->tty = true; break;
        case 'd': o->detach = true; break;
        case O_PID_FILE: o->pid_file = arg; break;
        case O_CWD: o->cwd = arg; break;
        case 'u': o->user = arg; break;
        case 'g': {
                /* repeatable, as in runc, and each may be a comma-separated list */
                size_t len = strlen(x->gids);
                if (len + strlen(arg) + 2 > sizeof x->gids)
                        return -E2BIG;
                snprintf(x->gids + len, sizeof x->gids - len, "%s%s", len ? "," : "", arg);
                o->additional_gids = x->gids;
                break;
        }
        case O_NNP: o->no_new_privs = true; break;
        case O_IGNORE_PAUSED: o->ignore_paused = true; break;
        case O_CONSOLE: o->console_socket = arg; break;
        case O_PIDFD: o->pidfd_socket = arg; break;
        case O_CGROUP:
                if (o->n_sub_cgroups == (int) (sizeof o->sub_cgroups / sizeof *o->sub_cgroups))
                        return -E2BIG;
                o->sub_cgroups[o->n_sub_cgroups++] = arg;
                break;
        case O_LABEL: o->process_label = arg; break;
        case O_APPARMOR: o->apparmor = arg; break;
        case O_PRESERVE:
                o->preserve_fds = (int) strtol(arg, &end, 10);
                if (*end || o->preserve_fds < 0 || o->preserve_fds > 4096)
                        return -EINVAL;
                break;
        case 'e':
                if (o->n_env >= MAX_REPEAT)
                        return -E2BIG;
                x->env[o->n_env++] = (char *) arg;
                break;
        case 'c':
                if (o->n_caps >= MAX_REPEAT)
                        return -E2BIG;
                x->caps[o->n_caps++] = (char *) arg;
                break;
        default: return -EINVAL;
        }
        return 0;
}

int cmd_exec(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = {
                { "process", required_argument, NULL, 'p' },   { "tty", no_argument, NULL, 't' },
                { "detach", no_argument, NULL, 'd' },          { "pid-file", required_argument, NULL, O_PID_FILE },
                { "cwd", required_argument, NULL, O_CWD },     { "env", required_argument, NULL, 'e' },
                { "user", required_argument, NULL, 'u' },      { "additional-gids", required_argument, NULL, 'g' },
                { "cap", required_argument, NULL, 'c' },       { "no-new-privs", no_argument, NULL, O_NNP },
                { "preserve-fds", required_argument, NULL, O_PRESERVE },
                { "ignore-paused", no_argument, NULL, O_IGNORE_PAUSED },
                { "console-socket", required_argument, NULL, O_CONSOLE },
                { "pidfd-socket", required_argument, NULL, O_PIDFD },
                { "cgroup", required_argument, NULL, O_CGROUP },
                { "process-label", required_argument, NULL, O_LABEL },
                { "apparmor", required_argument, NULL, O_APPARMOR },
                { "help", no_argument, NULL, 'h' },            { 0 },
        };
        struct exec_cli x = { .o = { .root = cli->root } };
        int r = parse_verb_options("exec", argc, argv, "+p:tde:u:g:c:", opts, on_opt, &x, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("exec", argc, 1, argc, err)) < 0)
                return r;
        x.o.id = argv[optind];
        x.o.args = argv + optind + 1; /* argv is NULL-terminated */
        x.o.n_args = argc - optind - 1;
        x.o.env = x.env;
        x.o.caps = x.caps;
        if (x.o.process_file && x.o.n_args)
                return carrel_error_set(err, EINVAL, "exec: give either --process or a command, not both");
        int status = 0;
        r = container_exec(&x.o, &status, err);
        return r < 0 ? r : status;
}
