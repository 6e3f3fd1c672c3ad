/* carrel: global flags and the command table. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include "carrel/version.h"
#include "cli/cli.h"
#include "util/log.h"
#include "util/proc.h"
#include "core/sealed_exe.h"
#include "cgroup/cgroup.h"

#include <seccomp.h>

static int cmd_help(struct cli *cli, int argc, char **argv, struct carrel_error *err);

static const struct command commands[] = {
        { "create", cmd_create, "create a container from a bundle; it waits for start",
          "[--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--pidfd-socket SOCK] [--preserve-fds N] [--no-pivot] "
          "[--no-new-keyring] ID" },
        { "start", cmd_start, "start the process of a created container", "ID" },
        { "run", cmd_run, "create and start a container",
          "[--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--pidfd-socket SOCK] [--preserve-fds N] [--no-pivot] "
          "[--no-new-keyring] [--detach | --keep] ID" },
        { "exec", cmd_exec, "run another process in a running container",
          "[--process FILE | ID COMMAND [ARG...]] [--detach] [--pid-file FILE] [--cwd DIR] [--env K=V]... "
          "[--user UID[:GID]] [--additional-gids G[,G...]]... [--cap CAP]... [--no-new-privs] [--preserve-fds N] "
          "[--ignore-paused] [--console-socket SOCK] [--pidfd-socket SOCK] [--cgroup [CTRL:]PATH]... ID [COMMAND [ARG...]]",
          255 },
        { "state", cmd_state, "print the state of a container as JSON", "ID" },
        { "kill", cmd_kill, "send a signal to the container's init, or stop it (no SIGNAL)",
          "[--all] [--timeout SECONDS] ID [SIGNAL]" },
        { "delete", cmd_delete, "delete a container and everything carrel made for it", "[--force] ID" },
        { "list", cmd_list, "list containers", "[--format table|json] [--quiet]" },
        { "pause", cmd_pause, "freeze every process of a container (cgroup.freeze)", "ID" },
        { "resume", cmd_resume, "thaw a paused container", "ID" },
        { "ps", cmd_ps, "list the processes of a container", "[--format table|json] ID [PS-OPTION...]" },
        { "update", cmd_update, "change the resource limits of a running container",
          "[--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N] [--cpu-quota N] "
          "[--cpu-period N] [--cpu-share N] [--cpuset-cpus L] [--cpuset-mems L] [--pids-limit N] "
          "[--blkio-weight N] [--cpu-rt-period N] [--cpu-rt-runtime N] ID" },
        { "events", cmd_events, "print stats and OOM events as JSON", "[--stats] [--interval D] ID" },
        { "spec", cmd_spec, "write a default config.json", "[--bundle DIR] [--rootless]" },
        { "features", cmd_features, "print the features JSON of this runtime", "" },
        { "logs", cmd_logs, "print the output of a run --rootfs -d container", "[--follow] ID" },
        { "console", cmd_console, "attach to the console of a run --rootfs -d server (--init or -t)", "ID" },
        { "help", cmd_help, "show the help of carrel, or of one command", "[COMMAND]" },
};

static const char *const option_help[] = {
        "create", "  -b, --bundle DIR        bundle directory (default: the current directory)\n"
                  "      --pid-file FILE     write the init's pid to FILE\n"
                  "      --console-socket S  unix socket that receives the pty master (process.terminal)\n"
                  "      --pidfd-socket S    unix socket that receives a pidfd of the init\n"
                  "      --preserve-fds N    pass N extra fds (from fd 3) to the container\n"
                  "      --no-pivot          use MS_MOVE and chroot instead of pivot_root\n"
                  "      --no-new-keyring    keep the caller's session keyring\n",
        "run", "  -b, --bundle DIR        bundle directory (default: the current directory)\n"
               "      --pid-file FILE     write the init's pid to FILE\n"
               "      --console-socket S  unix socket that receives the pty master (process.terminal)\n"
               "      --pidfd-socket S    unix socket that receives a pidfd of the init\n"
               "      --preserve-fds N    pass N extra fds (from fd 3) to the container\n"
               "      --no-pivot          use MS_MOVE and chroot instead of pivot_root\n"
               "      --no-new-keyring    keep the caller's session keyring\n"
               "  -d, --detach            return once the process runs; do not wait for it\n"
               "      --keep              keep the container (stopped) after it exits, until delete\n"
               "      --no-subreaper      accepted for runc compatibility (carrel is never a subreaper)\n"
               "\nOne-line mode, no bundle: carrel run --rootfs DIR [flags] [--] COMMAND [ARG...]\n"
               "      --rootfs DIR (the root filesystem; the spec is built from a profile and the flags)\n"
               "      --name N --hostname H --profile default|server|minimal|FILE --dry-run\n"
               "      --memory SIZE --memory-swap SIZE --cpus N --pids N --io-weight N\n"
               "      --net none|host|netns:PATH|veth[:ADDR/PREFIX][,gw=ADDR][,bridge=NAME]\n"
               "      --bind SRC:DST[:ro] --tmpfs DST[:OPTS] --read-only --user UID[:GID]\n"
               "      --env K=V --workdir DIR --cap-add CAP --cap-drop CAP\n"
               "      --seccomp default|unconfined|FILE --userns host|auto|private\n"
               "      --init (boot the rootfs's /sbin/init, no COMMAND) --stop-signal SIG\n"
               "      -d/--detach (prints the name; output to carrel logs NAME; with --init or -t,\n"
               "      a console for carrel console NAME) --keep -t/--tty --no-tty\n",
        "exec", "  -p, --process FILE      a runtime-spec process object (instead of COMMAND)\n"
                "  -d, --detach            return once the process runs\n"
                "      --pid-file FILE     write the new process's pid to FILE\n"
                "      --cwd DIR           working directory inside the container\n"
                "  -e, --env K=V           set an environment variable (repeatable)\n"
                "  -u, --user UID[:GID]    run as this user\n"
                "  -g, --additional-gids G supplementary groups (comma-separated; repeatable)\n"
                "  -c, --cap CAP           add a capability (ambient too if inheritable; repeatable)\n"
                "      --no-new-privs      set no_new_privs\n"
                "      --preserve-fds N    pass N extra fds (from fd 3)\n"
                "      --ignore-paused     exec even if the container is paused\n"
                "  -t, --tty               allocate a pty (proxied, or sent to --console-socket)\n"
                "      --console-socket S  unix socket that receives the pty master\n"
                "      --pidfd-socket S    unix socket that receives a pidfd of the new process\n"
                "      --cgroup [CTRL[,CTRL]:]PATH  run it in an existing cgroup below the container's\n"
                "                          (all hierarchies, or those of CTRL; repeatable)\n"
                "      --apparmor PROFILE  AppArmor profile for the process (default: the container's)\n"
                "      --process-label L   SELinux label for the process (default: the container's)\n",
        "kill", "  -a, --all               signal every process of the container\n"
                "      --timeout SECONDS   without SIGNAL: how long to wait (default 10)\n"
                "\nWith SIGNAL, sends it and returns (as runc). Without SIGNAL, stops the container:\n"
                "sends its stop signal (--stop-signal or what --init found; TERM if it has none),\n"
                "waits up to --timeout seconds for the init to exit, then sends KILL to every process.\n",
        "delete", "  -f, --force             kill the container first if it is running\n",
        "list", "  -f, --format F          table (default) or json\n"
                "  -q, --quiet             print only the ids\n",
        "ps", "  -f, --format F          table (default) or json (a bare array of host pids)\n",
        "update", "  -r, --resources FILE    linux.resources JSON from FILE, or - for stdin\n"
                  "      --memory N          memory limit in bytes (k, m, g suffixes)\n"
                  "      --memory-swap N     memory plus swap limit (-1: unlimited)\n"
                  "      --memory-reservation N  memory.low\n"
                  "      --cpu-quota N / --cpu-period N  cpu.max\n"
                  "      --cpu-share N       converted to cpu.weight\n"
                  "      --cpuset-cpus L / --cpuset-mems L\n"
                  "      --pids-limit N      pids.max (negative: unlimited)\n"
                  "      --blkio-weight N    10..1000, converted to io.weight\n"
                  "      --cpu-rt-period N / --cpu-rt-runtime N  real-time CPU time (cgroup v1 cpu only)\n",
        "events", "      --stats             print one stats event and exit\n"
                  "      --interval D        time between stats events (default 5s)\n",
        "logs", "  -f, --follow            keep printing new output until the container stops\n",
        "console", "\nAttaches the caller's terminal to the console of a server started with\n"
                   "carrel run --rootfs DIR -d --init (or -d -t COMMAND): raw mode, the window\n"
                   "size follows. Press Ctrl-] three times within 1s to detach; the server keeps\n"
                   "running. One client at a time. The output also goes to carrel logs ID.\n",
        "spec", "  -b, --bundle DIR        where to write config.json (default: .)\n"
                "      --rootless          a spec for a user namespace mapped to the caller\n",
        NULL,
};

const struct command *command_find(const char *name)
{
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

int command_help(const char *name)
{
        const struct command *c = command_find(name);
        if (!c)
                return 1;
        /* runc's layout (NAME, USAGE, OPTIONS), under the name carrel was called by */
        printf("NAME:\n   %s %s - %s\n\nUSAGE:\n   %s [global options] %s %s\n", program_invocation_short_name,
               c->name, c->summary, program_invocation_short_name, c->name, c->usage);
        const char *notes = "";
        printf("\nOPTIONS:\n");
        for (size_t i = 0; option_help[i]; i += 2)
                if (strcmp(option_help[i], name) == 0) {
                        /* the options, then (after a blank line) notes */
                        const char *text = option_help[i + 1], *blank = strstr(text, "\n\n");
                        notes = blank ? blank + 1 : "";
                        printf("%.*s", (int) (blank ? blank + 1 - text : (long) strlen(text)), text);
                }
        printf("  -h, --help              show this help\n%s\nSee carrel%s%s(1).\n", notes,
               strcmp(c->name, "help") == 0 ? "" : "-", strcmp(c->name, "help") == 0 ? "" : c->name);
        return 0;
}

static void usage(FILE *f)
{
        const char *me = program_invocation_short_name;
        fprintf(f, "NAME:\n   %s - Open Container Initiative runtime\n\n"
                   "carrel is a daemonless OCI container runtime: it creates and runs containers\n"
                   "from bundles as the runtime-spec describes them, and driven by engines as runc is.\n\n"
                   "USAGE:\n   %s [global options] command [command options] [arguments...]\n\nCOMMANDS:\n",
                me, me);
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f, "\nGLOBAL OPTIONS:\n"
                   "  --root DIR            state directory (default /run/carrel; unprivileged:\n"
                   "                        $XDG_RUNTIME_DIR/carrel, else /run/user/UID/carrel)\n"
                   "  --log FILE            also write errors and debug lines to FILE\n"
                   "  --log-format FORMAT   text (default) or json\n"
                   "  --debug               debug output\n"
                   "  --systemd-cgroup      cgroups through systemd (a transient scope per container)\n"
                   "  --rootless VALUE      accepted for runc compatibility\n"
                   "  --criu PATH           accepted for runc compatibility (no checkpoint/restore)\n"
                   "  -v, --version         print the version\n"
                   "  -h, --help            show this help\n\n"
                   "Run 'carrel COMMAND --help' for the options of a command. See carrel(1).\n");
}

static int cmd_help(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        (void) cli;
        if (argc > 2)
                return carrel_error_set(err, EINVAL, "help: too many arguments (usage: carrel help [COMMAND])");
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
                return command_help("help");
        if (argc < 2 || strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (!command_find(argv[1]))
                return carrel_error_set(err, EINVAL, "help: unknown command \"%s\" (see carrel help)", argv[1]);
        return command_help(argv[1]);
}

static void version(void)
{
        const struct scmp_version *sv = seccomp_version();
        /* Under another name (installed as runc for an engine), the commit
         * line still says what this is: podman and docker show it. */
        printf("%s version %s\ncommit: carrel-%s\nspec: %s\n", program_invocation_short_name, carrel_version,
               carrel_commit, CARREL_OCI_VERSION);
        if (sv)
                printf("libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
}

/* runc's choice: /run/carrel for root, $XDG_RUNTIME_DIR/carrel (else
 * /run/user/UID/carrel) for an unprivileged caller, and for root of a user
 * namespace (rootless podman's) that has XDG_RUNTIME_DIR set and is not
 * USER=root. */
static const char *default_root(char *buf, size_t size)
{
        if (!proc_rootless())
                return "/run/carrel";
        const char *xdg = getenv("XDG_RUNTIME_DIR"), *user = getenv("USER");
        if (xdg && xdg[0] == '/' && (geteuid() != 0 || !user || strcmp(user, "root") != 0))
                snprintf(buf, size, "%s/carrel", xdg);
        else if (geteuid() != 0)
                snprintf(buf, size, "/run/user/%u/carrel", (unsigned) geteuid());
        else
                return "/run/carrel";
        return buf;
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_ROOTLESS, OPT_CGMANAGER, OPT_CRIU };

/* A closed stdin, stdout or stderr gets a stand-in before anything is opened,
 * so no file carrel opens becomes fd 1 and receives its output. The stand-in
 * for stdout is read-only: writing the output fails (EBADF) as on the closed
 * fd, and the command reports it. */
static void guard_std_fds(void)
{
        for (int fd = 0; fd <= 2; fd++) {
                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                int nul = open("/dev/null", fd == 0 || fd == 1 ? O_RDONLY : O_WRONLY);
                if (nul >= 0 && nul != fd) {
                        dup2(nul, fd);
                        close(nul);
                }
        }
}

int main(int argc, char **argv, char **envp)
{
        guard_std_fds();
        sealed_exe_init(argv, envp);
        static const struct option global[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "log", required_argument, NULL, OPT_LOG },
                { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
                { "debug", no_argument, NULL, OPT_DEBUG },
                { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
                { "rootless", optional_argument, NULL, OPT_ROOTLESS },
                { "cgroup-manager", required_argument, NULL, OPT_CGMANAGER },
                /* runc's path to criu: only checkpoint/restore use it, which carrel lacks */
                { "criu", required_argument, NULL, OPT_CRIU },
                { "version", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        char rootless_root[PATH_MAX];
        struct cli cli = { .root = default_root(rootless_root, sizeof rootless_root) };
        const char *log_path = NULL;
        enum log_format fmt = LOG_FORMAT_TEXT;
        int c, idx = -1;
        while ((c = getopt_long(argc, argv, "+vh", global, &idx)) != -1) {
                const char *inexact = idx >= 0 ? long_option_inexact(argv, optind, optarg, global[idx].name) : NULL;
                idx = -1;
                if (inexact) {
                        fprintf(stderr, "carrel: unknown option %.*s (options are never abbreviated; see carrel --help)\n",
                                (int) strcspn(inexact, "="), inexact);
                        return 1;
                }
                switch (c) {
                case OPT_ROOT: cli.root = optarg; break;
                case OPT_LOG: log_path = optarg; break;
                case OPT_LOG_FORMAT:
                        if (strcmp(optarg, "json") == 0)
                                fmt = LOG_FORMAT_JSON;
                        else if (strcmp(optarg, "text") != 0) {
                                fprintf(stderr, "carrel: --log-format: unknown format \"%s\" (text or json)\n", optarg);
                                return 1;
                        }
                        break;
                case OPT_DEBUG: cli.debug = true; break;
                case OPT_SYSTEMD: cli.systemd_cgroup = true; break;
                case OPT_CGMANAGER: /* crun's spelling */
                        cli.systemd_cgroup = strcmp(optarg, "systemd") == 0;
                        break;
                case OPT_ROOTLESS:
                case OPT_CRIU: break;
                case 'v': version(); return 0;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 1;
                }
        }
        cgroup_use_systemd(cli.systemd_cgroup);
        if (log_setup(log_path, fmt, cli.debug) < 0) {
                fprintf(stderr, "carrel: cannot open the log file %s\n", log_path);
                return 1;
        }
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        const struct command *cmd = command_find(argv[optind]);
        struct carrel_error err = { 0 };
        if (!cmd) {
                bool help = false;
                for (int i = optind + 1; i < argc; i++)
                        help |= strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0;
                if (help) /* runc's words for `foo -h` */
                        carrel_error_set(&err, EINVAL, "No help topic for '%s'", argv[optind]);
                carrel_error_set(&err, EINVAL, "unknown command \"%s\" (see carrel --help)", argv[optind]);
                log_error(err.msg);
                return 1;
        }
        argc -= optind;
        argv += optind;
        optind = 0; /* reset getopt for the verb */
        int r = cmd->run(&cli, argc, argv, &err);
        /* Output that could not be written is an error, never a silent exit 0. */
        errno = 0;
        if (r >= 0 && (fflush(stdout) == EOF || ferror(stdout))) {
                carrel_error_set(&err, errno ? errno : EIO, "%s: cannot write the output to stdout: %s", argv[0],
                                 strerror(errno ? errno : EIO));
                r = -EIO;
        }
        if (r < 0 && geteuid() != 0 && (err.code == EPERM || err.code == EACCES)) {
                char msg[CARREL_ERROR_MAX + 96];
                snprintf(msg, sizeof msg, "carrel must run as root (or see ROOTLESS in carrel(1)): %s", err.msg);
                log_error(msg);
                return 1;
        }
        if (r < 0) {
                log_error(err.msg[0] ? err.msg : "unknown error");
                return cmd->error_status ? cmd->error_status : 1;
        }
        return r;
}
