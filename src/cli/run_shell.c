/* `carrel run --rootfs DIR [flags] [--] CMD [ARGS...]`: a virtual server
 * without writing config.json. The spec is built in memory from the default
 * spec, a profile and the flags, kept as the bundle under
 * --root/.bundles/<id>, and run like any other container. */
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "carrel/spec.h"
#include "carrel/state.h"
#include "cgroup/cgroup.h"
#include "cli/cli.h"
#include "core/container.h"
#include "linux/net.h"
#include "spec/shell.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/log.h"
#include "util/sys.h"

extern const char carrel_profile_server_json[];
extern const char carrel_profile_minimal_json[];

enum { S_ROOTFS = 256, S_NAME, S_HOSTNAME, S_PROFILE, S_MEMORY, S_SWAP, S_CPUS, S_PIDS, S_IO, S_NET, S_BIND, S_TMPFS,
       S_RO, S_USER, S_ENV, S_WORKDIR, S_CAPADD, S_CAPDROP, S_SECCOMP, S_USERNS, S_DETACH, S_TTY, S_NOTTY, S_DRY,
       S_INIT, S_STOPSIG, S_KEEP };

struct shell_cli {
        struct shell_opts o;
        const char *profile;
        bool detach, keep, dry_run, tty_set;
};

static int push(const char **v, size_t *n, const char *arg)
{
        if (*n >= SHELL_MAX_REPEAT)
                return -E2BIG;
        v[(*n)++] = arg;
        return 0;
}

static int on_opt(int c, const char *arg, void *data)
{
        struct shell_cli *x = data;
        struct shell_opts *o = &x->o;
        switch (c) {
        case S_ROOTFS: o->rootfs = arg; break;
        case S_NAME: o->name = arg; break;
        case S_HOSTNAME: o->hostname = arg; break;
        case S_PROFILE: x->profile = arg; break;
        case S_MEMORY: o->memory = arg; break;
        case S_SWAP: o->memory_swap = arg; break;
        case S_CPUS: o->cpus = arg; break;
        case S_PIDS: o->pids = arg; break;
        case S_IO: o->io_weight = arg; break;
        case S_NET: o->net = arg; break;
        case S_BIND: return push(o->binds, &o->n_binds, arg);
        case S_TMPFS: return push(o->tmpfs, &o->n_tmpfs, arg);
        case S_RO: o->read_only = true; break;
        case S_USER: o->user = arg; break;
        case 'e':
        case S_ENV: return push(o->env, &o->n_env, arg);
        case S_WORKDIR: o->workdir = arg; break;
        case S_CAPADD: return push(o->cap_add, &o->n_cap_add, arg);
        case S_CAPDROP: return push(o->cap_drop, &o->n_cap_drop, arg);
        case S_SECCOMP: o->seccomp = arg; break;
        case S_USERNS: o->userns = arg; break;
        case 'd':
        case S_DETACH: x->detach = true; break;
        case 't':
        case S_TTY: o->tty = x->tty_set = true; break;
        case S_NOTTY: o->tty = false; x->tty_set = true; break;
        case S_DRY: x->dry_run = true; break;
        case S_INIT: o->boot_init = true; break;
        case S_STOPSIG: o->stop_signal = arg; break;
        case S_KEEP: x->keep = true; break;
        default: return -EINVAL;
        }
        return 0;
}

/* --init: the signal that shuts the guest's /sbin/init down (as LXC picks
 * them): systemd halts on SIGRTMIN+3, busybox init powers off on SIGUSR2,
 * sysvinit takes SIGPWR. /sbin/init is resolved inside the rootfs. */
static int init_stop_signal(const char *rootfs, const char **ret, struct carrel_error *err)
{
        _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = root < 0 ? -1 : sys_openat2(root, "sbin/init", O_PATH | O_CLOEXEC, 0, RESOLVE_IN_ROOT);
        if (fd < 0)
                return carrel_error_errno(err, errno, "--init: %s has no /sbin/init", rootfs);
        char link[64], target[PATH_MAX];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
        *ret = strcmp(base, "systemd") == 0 ? "SIGRTMIN+3" : strcmp(base, "busybox") == 0 ? "SIGUSR2" : "SIGPWR";
        return 0;
}

/* --init on a writable root: a rootfs without /etc/machine-id gets one
 * (the container_uuid the guest also sees), so its first boot needs no
 * first-boot wizard on a console it may not have. The rootfs is hostile:
 * etc is resolved inside it, and nothing is followed or replaced. */
static void write_machine_id(const char *rootfs, const char *id_hex)
{
        _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int etc = root < 0 ? -1 : sys_openat2(root, "etc", O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                                                              RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        _cleanup_close_ int fd = etc < 0 ? -1 : openat(etc, "machine-id", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                                                          O_CLOEXEC, 0444);
        char line[40];
        snprintf(line, sizeof line, "%.32s\n", id_hex);
        if (fd >= 0 && write_all(fd, line, strlen(line)) < 0)
                log_warning("--init: cannot write %s/etc/machine-id", rootfs);
}

static int load_profile(const char *name, json_t **ret, struct carrel_error *err)
{
        json_error_t jerr;
        const char *text = NULL;
        if (!name || strcmp(name, "default") == 0) {
                *ret = json_object();
                return 0;
        }
        if (strcmp(name, "server") == 0)
                text = carrel_profile_server_json;
        else if (strcmp(name, "minimal") == 0)
                text = carrel_profile_minimal_json;
        *ret = text ? json_loads(text, 0, &jerr) : json_load_file(name, 0, &jerr);
        if (!*ret)
                return carrel_error_set(err, EINVAL, "--profile %s: %s%s", name,
                                        text || strchr(name, '/') || strstr(name, ".json") ? jerr.text
                                                                                          : "no such profile",
                                        text || strchr(name, '/') || strstr(name, ".json") ? ""
                                                                                          : " (default, server, minimal or a FILE)");
        return 0;
}

/* Limits that came from a profile, not from a flag, are best effort: a host
 * without the controller in any cgroup hierarchy runs without them, with a
 * warning. Limits asked for with a flag are never dropped. */
static void drop_unavailable_profile_limits(json_t *spec, const struct shell_opts *o)
{
        json_t *res = json_object_get(json_object_get(spec, "linux"), "resources");
        if (!res)
                return;
        json_t *drivers = cgroup_drivers_json();
        static const struct {
                const char *key, *controller, *v1;
        } map[] = { { "memory", "memory", "memory" }, { "pids", "pids", "pids" }, { "cpu", "cpu", "cpu" },
                    { "blockIO", "io", "blkio" } };
        bool by_flag[] = { o->memory || o->memory_swap, o->pids != NULL, o->cpus != NULL, o->io_weight != NULL };
        for (size_t i = 0; i < sizeof map / sizeof *map; i++)
                if (json_object_get(res, map[i].key) && !by_flag[i] && !json_object_get(drivers, map[i].controller) &&
                    !json_object_get(drivers, map[i].v1)) {
                        log_warning("the profile's %s limit is left out: this host has no %s controller in any cgroup "
                                    "hierarchy", map[i].key, map[i].controller);
                        json_object_del(res, map[i].key);
                }
        json_decref(drivers);
}

static int build_spec(struct shell_cli *x, char **ret, struct carrel_error *err)
{
        /* An unprivileged caller gets `spec --rootless`'s base: a user
         * namespace that maps it to root. */
        _cleanup_free_ char *base = spec_default_json(geteuid() != 0, getuid(), getgid());
        json_t *spec = base ? json_loads(base, 0, NULL) : NULL, *profile = NULL;
        if (!spec)
                return carrel_error_set(err, ENOMEM, "out of memory");
        /* chroot-like: writable unless --read-only or the profile says otherwise */
        json_object_set_new(json_object_get(spec, "root"), "readonly", json_false());
        int r = load_profile(x->profile, &profile, err);
        if (r == 0)
                r = shell_merge_profile(spec, profile, err);
        if (r == 0)
                r = shell_apply_flags(spec, &x->o, err);
        if (r == 0)
                drop_unavailable_profile_limits(spec, &x->o);
        json_decref(profile);
        if (r == 0 && !(*ret = json_dumps(spec, JSON_INDENT(4) | JSON_PRESERVE_ORDER)))
                r = carrel_error_set(err, ENOMEM, "out of memory");
        json_decref(spec);
        return r;
}

static int write_bundle(const char *root, const char *id, const char *json, char *bundle, size_t size,
                        struct carrel_error *err)
{
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/.bundles", root);
        int made = mkdir_parents(dir, 0700);
        if (made < 0)
                return carrel_error_errno(err, -made, "cannot create %s", dir);
        snprintf(bundle, size, "%.3800s/%.199s", dir, id);
        if (mkdir(bundle, 0700) < 0)
                return errno == EEXIST ? carrel_error_set(err, EEXIST, "container \"%s\" already exists", id)
                                       : carrel_error_errno(err, errno, "cannot create %s", bundle);
        _cleanup_close_ int fd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
        int r = fd < 0 ? -errno : write_file_atomic(fd, "config.json", json, strlen(json), 0600);
        if (r < 0) {
                rmdir(bundle);
                return carrel_error_set(err, -r, "cannot write %s/config.json: %s", bundle, strerror(-r));
        }
        return 0;
}

/* --init in the foreground: a guest init that ends other than by powering
 * off says so, instead of leaving a bare exit status. */
static void explain_init_exit(int status, bool tty)
{
        if (status == 0)
                return;
        if (status > 128 && status < 128 + 65)
                log_warning("the guest's /sbin/init was killed by signal %d (%s)%s", status - 128,
                            strsignal(status - 128), tty ? "" : "; its console is shown with -t");
        else
                log_warning("the guest's /sbin/init exited with status %d%s", status,
                            tty ? " (its last console lines are above)" : "; run it with -t to see its console");
}

struct saved_stdio {
        int out, err;
};

static void restore_stdio(struct saved_stdio *saved);

/* run -d: the container's stdin is /dev/null and its stdout and stderr go to
 * console.log in its bundle (printed by `carrel logs`), so the caller's
 * stdio (a pipe in name=$(carrel run -d ...)) is not held open. */
static int detach_stdio(const char *bundle, struct saved_stdio *saved, struct carrel_error *err)
{
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/" SHELL_LOG_FILE, bundle);
        _cleanup_close_ int log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
        _cleanup_close_ int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (log < 0 || null < 0)
                return carrel_error_errno(err, errno, "run -d: cannot open %s", log < 0 ? path : "/dev/null");
        fflush(stdout);
        fflush(stderr);
        saved->out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        saved->err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (saved->out < 0 || saved->err < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(log, STDOUT_FILENO) < 0 ||
            dup2(log, STDERR_FILENO) < 0) {
                int e = errno;
                restore_stdio(saved);
                return carrel_error_errno(err, e, "run -d: cannot redirect the output to %s", path);
        }
        return 0;
}

static void restore_stdio(struct saved_stdio *saved)
{
        if (saved->out >= 0)
                dup2(saved->out, STDOUT_FILENO);
        if (saved->err >= 0)
                dup2(saved->err, STDERR_FILENO);
        close_fdp(&saved->out);
        close_fdp(&saved->err);
}

int cmd_run_shell(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = {
                { "rootfs", required_argument, NULL, S_ROOTFS }, { "name", required_argument, NULL, S_NAME },
                { "hostname", required_argument, NULL, S_HOSTNAME }, { "profile", required_argument, NULL, S_PROFILE },
                { "memory", required_argument, NULL, S_MEMORY }, { "memory-swap", required_argument, NULL, S_SWAP },
                { "cpus", required_argument, NULL, S_CPUS }, { "pids", required_argument, NULL, S_PIDS },
                { "io-weight", required_argument, NULL, S_IO }, { "net", required_argument, NULL, S_NET },
                { "bind", required_argument, NULL, S_BIND }, { "tmpfs", required_argument, NULL, S_TMPFS },
                { "read-only", no_argument, NULL, S_RO }, { "user", required_argument, NULL, S_USER },
                { "env", required_argument, NULL, S_ENV }, { "workdir", required_argument, NULL, S_WORKDIR },
                { "cap-add", required_argument, NULL, S_CAPADD }, { "cap-drop", required_argument, NULL, S_CAPDROP },
                { "seccomp", required_argument, NULL, S_SECCOMP }, { "userns", required_argument, NULL, S_USERNS },
                { "detach", no_argument, NULL, S_DETACH }, { "tty", no_argument, NULL, S_TTY },
                { "no-tty", no_argument, NULL, S_NOTTY }, { "dry-run", no_argument, NULL, S_DRY },
                { "init", no_argument, NULL, S_INIT }, { "stop-signal", required_argument, NULL, S_STOPSIG },
                { "keep", no_argument, NULL, S_KEEP },
                { "help", no_argument, NULL, 'h' }, { 0 },
        };
        struct shell_cli x = { 0 };
        x.o.tty = isatty(STDIN_FILENO);
        int r = parse_verb_options("run", argc, argv, "+e:dt", opts, on_opt, &x, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if (optind >= argc && !x.o.boot_init)
                return carrel_error_set(err, EINVAL, "run --rootfs: no command (carrel run --rootfs DIR -- CMD [ARGS...])");
        if (x.detach && x.keep)
                return carrel_error_set(err, EINVAL, "run: --detach and --keep cannot be used together");
        if (x.o.name && !container_id_valid(x.o.name))
                return carrel_error_set(err, EINVAL, "--name: invalid name \"%s\" (1 to 200 letters, digits, _ - . +; "
                                        "not . or ..)", x.o.name);
        struct net_config net;
        if (x.o.net && strncmp(x.o.net, "veth", 4) == 0 && (r = net_config_parse(x.o.net, &net, err)) < 0) {
                carrel_error_prefix(err, "--net");
                return r;
        }
        x.o.args = argv + optind;
        x.o.n_args = (size_t) (argc - optind);
        /* -d: no terminal, unless asked for with -t, or for a guest's init,
         * whose console a keeper then holds for `carrel console`. */
        if (x.detach && !x.tty_set)
                x.o.tty = x.o.boot_init;
        if (geteuid() != 0 && x.o.userns)
                return carrel_error_set(err, EPERM, "--userns %s: carrel runs unprivileged (uid %u), which always "
                                        "maps the caller to root in a user namespace of its own; drop --userns",
                                        x.o.userns, (unsigned) geteuid());
        char rootfs[PATH_MAX];
        if (!realpath(x.o.rootfs, rootfs))
                return carrel_error_errno(err, errno, "--rootfs %s", x.o.rootfs);
        x.o.rootfs = rootfs;
        if (x.o.boot_init && !x.o.stop_signal && (r = init_stop_signal(rootfs, &x.o.stop_signal, err)) < 0)
                return r;
        char uuid_env[64];
        if (x.o.boot_init) {
                /* A guest init runs in a user namespace of its own unless told
                 * otherwise (an unprivileged caller always has one). */
                if (!x.o.userns && geteuid() == 0)
                        x.o.userns = "auto";
                /* systemd takes its machine id from container_uuid when /etc/machine-id is missing or empty. */
                unsigned char u[16];
                if (getrandom(u, sizeof u, 0) != sizeof u)
                        return carrel_error_errno(err, errno, "getrandom");
                u[6] = (unsigned char) ((u[6] & 0x0f) | 0x40);
                u[8] = (unsigned char) ((u[8] & 0x3f) | 0x80);
                int n = snprintf(uuid_env, sizeof uuid_env, "container_uuid=");
                for (size_t i = 0; i < sizeof u; i++)
                        n += snprintf(uuid_env + n, sizeof uuid_env - (size_t) n, "%02x", u[i]);
                if ((r = push(x.o.env, &x.o.n_env, uuid_env)) < 0)
                        return carrel_error_set(err, -r, "--env: too many");
        }
        char id[256];
        if (x.o.name) {
                snprintf(id, sizeof id, "%s", x.o.name);
        } else {
                unsigned char rnd[4];
                if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
                        return carrel_error_errno(err, errno, "getrandom");
                snprintf(id, sizeof id, "vs-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
        }
        if (!x.o.name)
                x.o.name = id; /* the hostname defaults to the name */
        _cleanup_free_ char *json = NULL;
        if ((r = build_spec(&x, &json, err)) < 0)
                return r;
        if (x.dry_run) {
                puts(json);
                return 0;
        }
        if (x.o.boot_init && !x.o.read_only)
                write_machine_id(rootfs, uuid_env + strlen("container_uuid="));
        char bundle[PATH_MAX];
        if ((r = write_bundle(cli->root, id, json, bundle, sizeof bundle, err)) < 0)
                return r;
        char log[PATH_MAX + 16];
        snprintf(log, sizeof log, "%s/" SHELL_LOG_FILE, bundle);
        struct create_opts co = { .root = cli->root, .id = id, .bundle = bundle, .detach = x.detach,
                                 .keep = x.keep, .console_keeper_log = x.detach && x.o.tty ? log : NULL };
        int status = 0;
        for (;;) {
                struct saved_stdio saved;
                if (x.detach && (r = detach_stdio(bundle, &saved, err)) < 0) {
                        state_bundle_remove(cli->root, id);
                        return r;
                }
                r = container_run(&co, &status, err);
                if (x.detach)
                        restore_stdio(&saved);
                if (r < 0)
                        state_bundle_remove(cli->root, id); /* when it failed before its state existed */
                if (r < 0 || x.detach || !x.o.boot_init)
                        break;
                /* reboot(2) in a pid namespace kills its init with SIGINT for
                 * power-off and halt, SIGHUP for restart. */
                if (status == 128 + SIGINT)
                        status = 0;
                if (status != 128 + SIGHUP || x.keep) {
                        explain_init_exit(status, x.o.tty);
                        break;
                }
                log_warning("%s: the guest rebooted: booting it again", id);
                if ((r = write_bundle(cli->root, id, json, bundle, sizeof bundle, err)) < 0)
                        return r;
        }
        if (r == 0 && x.detach)
                printf("%s\n", id);
        return r < 0 ? r : status;
}
