#include "spec/shell.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "carrel/spec.h"

int parse_size(const char *s, long long *ret)
{
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 0)
                return -EINVAL;
        double mul = 1;
        switch (*end ? (char) (*end | 0x20) : 0) {
        case 0: break;
        case 'k': mul = 1024.0; break;
        case 'm': mul = 1024.0 * 1024; break;
        case 'g': mul = 1024.0 * 1024 * 1024; break;
        case 't': mul = 1024.0 * 1024 * 1024 * 1024; break;
        default: return -EINVAL;
        }
        if (*end && end[1] && strcasecmp(end + 1, "b") != 0 && strcasecmp(end + 1, "ib") != 0)
                return -EINVAL;
        *ret = (long long) (v * mul);
        return 0;
}

int shell_merge_profile(json_t *spec, json_t *profile, struct carrel_error *err)
{
        if (!json_is_object(profile))
                return carrel_error_set(err, EINVAL, "profile: expected an object");
        const char *key;
        json_t *val;
        json_object_foreach(profile, key, val) {
                size_t len = strlen(key);
                if (strcmp(key, "comment") == 0)
                        continue;
                if (len > 1 && key[len - 1] == '+') {
                        char base[256];
                        snprintf(base, sizeof base, "%.*s", (int) (len - 1), key);
                        json_t *cur = json_object_get(spec, base);
                        if (!json_is_array(val))
                                return carrel_error_set(err, EINVAL, "profile: %s: expected an array", key);
                        if (!cur) {
                                cur = json_array();
                                json_object_set_new(spec, base, cur);
                        } else if (!json_is_array(cur)) {
                                return carrel_error_set(err, EINVAL, "profile: %s: %s is not an array", key, base);
                        }
                        json_array_extend(cur, val);
                        continue;
                }
                json_t *cur = json_object_get(spec, key);
                if (json_is_object(cur) && json_is_object(val)) {
                        int r = shell_merge_profile(cur, val, err);
                        if (r < 0)
                                return r;
                } else {
                        json_object_set(spec, key, val);
                }
        }
        return 0;
}

/* spec.a.b.c, creating objects on the way. */
static json_t *path_obj(json_t *spec, const char *a, const char *b, const char *c)
{
        const char *keys[] = { a, b, c };
        json_t *cur = spec;
        for (size_t i = 0; i < 3 && keys[i]; i++) {
                json_t *next = json_object_get(cur, keys[i]);
                if (!json_is_object(next)) {
                        next = json_object();
                        json_object_set_new(cur, keys[i], next);
                }
                cur = next;
        }
        return cur;
}

static int flag_err(struct carrel_error *err, const char *flag, const char *value, const char *why)
{
        return carrel_error_set(err, EINVAL, "%s: %s \"%s\"", flag, why, value);
}

static void set_annotation(json_t *spec, const char *key, const char *value)
{
        json_t *ann = json_object_get(spec, "annotations");
        if (!json_is_object(ann)) {
                ann = json_object();
                json_object_set_new(spec, "annotations", ann);
        }
        json_object_set_new(ann, key, json_string(value));
}

static int apply_limits(json_t *spec, const struct shell_opts *o, struct carrel_error *err)
{
        long long v;
        if (o->memory) {
                if (parse_size(o->memory, &v) < 0)
                        return flag_err(err, "--memory", o->memory, "invalid size");
                json_object_set_new(path_obj(spec, "linux", "resources", "memory"), "limit", json_integer(v));
        }
        if (o->memory_swap) {
                if (strcmp(o->memory_swap, "-1") == 0)
                        v = -1;
                else if (parse_size(o->memory_swap, &v) < 0)
                        return flag_err(err, "--memory-swap", o->memory_swap, "invalid size");
                json_object_set_new(path_obj(spec, "linux", "resources", "memory"), "swap", json_integer(v));
        }
        if (o->cpus) {
                char *end;
                double cpus = strtod(o->cpus, &end);
                if (*end || cpus <= 0 || cpus > 4096)
                        return flag_err(err, "--cpus", o->cpus, "invalid number of CPUs");
                json_t *cpu = path_obj(spec, "linux", "resources", "cpu");
                json_object_set_new(cpu, "quota", json_integer((json_int_t) (cpus * 100000)));
                json_object_set_new(cpu, "period", json_integer(100000));
        }
        if (o->pids) {
                char *end;
                long long n = strtoll(o->pids, &end, 10);
                if (*end || !*o->pids)
                        return flag_err(err, "--pids", o->pids, "invalid number");
                json_object_set_new(path_obj(spec, "linux", "resources", "pids"), "limit", json_integer(n));
        }
        if (o->io_weight) {
                char *end;
                long w = strtol(o->io_weight, &end, 10);
                if (*end || w < 10 || w > 1000)
                        return flag_err(err, "--io-weight", o->io_weight, "must be 10..1000, got");
                json_object_set_new(path_obj(spec, "linux", "resources", "blockIO"), "weight", json_integer(w));
        }
        return 0;
}

static void drop_namespace(json_t *spec, const char *type)
{
        json_t *ns = json_object_get(json_object_get(spec, "linux"), "namespaces");
        for (size_t i = json_array_size(ns); i-- > 0;)
                if (strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type")) ?: "", type) == 0)
                        json_array_remove(ns, i);
}

static int apply_net(json_t *spec, const char *net, struct carrel_error *err)
{
        if (!net || strcmp(net, "none") == 0)
                return 0; /* the spec's own network namespace: loopback only */
        if (strcmp(net, "host") == 0) {
                drop_namespace(spec, "network");
                return 0;
        }
        if (strncmp(net, "netns:", 6) == 0 && net[6] == '/') {
                drop_namespace(spec, "network");
                json_array_append_new(json_object_get(json_object_get(spec, "linux"), "namespaces"),
                                      json_pack("{s:s,s:s}", "type", "network", "path", net + 6));
                return 0;
        }
        if (strncmp(net, "veth", 4) == 0) {
                /* Checked by the runtime when it reads the annotation; here only carried. */
                set_annotation(spec, "org.carrel.net", net);
                return 0;
        }
        return flag_err(err, "--net", net, "expected none, host, netns:PATH or veth[:ADDR/PREFIX][,gw=ADDR][,bridge=NAME], got");
}

static int apply_mounts(json_t *spec, const struct shell_opts *o, struct carrel_error *err)
{
        json_t *mounts = json_object_get(spec, "mounts");
        for (size_t i = 0; i < o->n_binds; i++) {
                char buf[4096];
                snprintf(buf, sizeof buf, "%s", o->binds[i]);
                char *dst = strchr(buf, ':');
                if (!dst || buf[0] != '/' || dst[1] != '/')
                        return flag_err(err, "--bind", o->binds[i], "expected /SRC:/DST[:ro], got");
                *dst++ = '\0';
                char *mode = strchr(dst, ':');
                if (mode)
                        *mode++ = '\0';
                if (mode && strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
                        return flag_err(err, "--bind", o->binds[i], "the mode must be ro or rw in");
                json_t *opts = json_pack("[s,s]", "rbind", "rprivate");
                if (mode && strcmp(mode, "ro") == 0)
                        json_array_append_new(opts, json_string("ro"));
                json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:o}", "destination", dst, "type", "bind",
                                                        "source", buf, "options", opts));
        }
        for (size_t i = 0; i < o->n_tmpfs; i++) {
                char buf[4096];
                snprintf(buf, sizeof buf, "%s", o->tmpfs[i]);
                char *extra = strchr(buf, ':');
                if (extra)
                        *extra++ = '\0';
                if (buf[0] != '/')
                        return flag_err(err, "--tmpfs", o->tmpfs[i], "expected /DST[:OPTIONS], got");
                json_t *opts = json_pack("[s,s]", "nosuid", "nodev");
                char *save = NULL;
                for (char *opt = extra ? strtok_r(extra, ",", &save) : NULL; opt; opt = strtok_r(NULL, ",", &save))
                        json_array_append_new(opts, json_string(opt));
                json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:o}", "destination", buf, "type", "tmpfs",
                                                        "source", "tmpfs", "options", opts));
        }
        return 0;
}

static json_t *cap_set(json_t *caps, const char *set)
{
        json_t *a = json_object_get(caps, set);
        if (!json_is_array(a)) {
                a = json_array();
                json_object_set_new(caps, set, a);
        }
        return a;
}

static int apply_caps(json_t *spec, const struct shell_opts *o, struct carrel_error *err)
{
        static const char *const sets[] = { "bounding", "effective", "permitted" };
        json_t *caps = path_obj(spec, "process", "capabilities", NULL);
        for (size_t i = 0; i < o->n_cap_drop; i++) {
                bool all = strcasecmp(o->cap_drop[i], "ALL") == 0;
                char name[64];
                snprintf(name, sizeof name, "%s%s", strncasecmp(o->cap_drop[i], "CAP_", 4) ? "CAP_" : "", o->cap_drop[i]);
                if (!all && cap_from_name_str(name) < 0)
                        return flag_err(err, "--cap-drop", o->cap_drop[i], "unknown capability");
                for (size_t s = 0; s < 3; s++) {
                        json_t *a = cap_set(caps, sets[s]);
                        for (size_t j = json_array_size(a); j-- > 0;)
                                if (all || strcasecmp(json_string_value(json_array_get(a, j)), name) == 0)
                                        json_array_remove(a, j);
                }
        }
        for (size_t i = 0; i < o->n_cap_add; i++) {
                char name[64];
                snprintf(name, sizeof name, "%s%s", strncasecmp(o->cap_add[i], "CAP_", 4) ? "CAP_" : "", o->cap_add[i]);
                for (char *p = name; *p; p++)
                        *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
                if (cap_from_name_str(name) < 0)
                        return flag_err(err, "--cap-add", o->cap_add[i], "unknown capability");
                for (size_t s = 0; s < 3; s++)
                        json_array_append_new(cap_set(caps, sets[s]), json_string(name));
        }
        return 0;
}

/* --init: the rootfs's own /sbin/init is pid 1 (it reaps, so no reaper),
 * and stops on the signal its kind expects. CAP_SYS_BOOT lets it end the
 * container with reboot(2), which in a pid namespace only kills that
 * namespace's init: so a pid namespace is required. */
static bool has_own_namespace(json_t *spec, const char *type)
{
        json_t *ns = json_object_get(json_object_get(spec, "linux"), "namespaces");
        for (size_t i = 0; i < json_array_size(ns); i++) {
                json_t *e = json_array_get(ns, i);
                if (strcmp(json_string_value(json_object_get(e, "type")) ?: "", type) == 0 && !json_object_get(e, "path"))
                        return true;
        }
        return false;
}

static int apply_boot(json_t *spec, const struct shell_opts *o, struct carrel_error *err)
{
        if (o->stop_signal && signal_from_name(o->stop_signal) < 0)
                return flag_err(err, "--stop-signal", o->stop_signal, "unknown signal");
        if (o->stop_signal)
                set_annotation(spec, CARREL_STOP_SIGNAL_ANNOTATION, o->stop_signal);
        if (!o->boot_init)
                return 0;
        if (o->n_args)
                return carrel_error_set(err, EINVAL, "--init boots the rootfs's /sbin/init: give no command");
        if (!has_own_namespace(spec, "pid"))
                return carrel_error_set(err, EINVAL, "--init needs a pid namespace of its own (the profile has none)");
        json_t *proc = path_obj(spec, "process", NULL, NULL);
        json_object_set_new(proc, "args", json_pack("[s]", "/sbin/init"));
        json_t *ann = json_object_get(spec, "annotations");
        if (json_is_object(ann))
                json_object_del(ann, CARREL_INIT_ANNOTATION);
        static const char *const sets[] = { "bounding", "effective", "permitted" };
        json_t *caps = path_obj(spec, "process", "capabilities", NULL);
        for (size_t s = 0; s < 3; s++)
                json_array_append_new(cap_set(caps, sets[s]), json_string("CAP_SYS_BOOT"));
        return 0;
}

static int apply_process(json_t *spec, const struct shell_opts *o, struct carrel_error *err)
{
        json_t *proc = path_obj(spec, "process", NULL, NULL);
        json_t *args = json_array();
        for (size_t i = 0; i < o->n_args; i++)
                json_array_append_new(args, json_string(o->args[i]));
        json_object_set_new(proc, "args", args);
        json_object_set_new(proc, "terminal", json_boolean(o->tty));
        if (o->workdir) {
                if (o->workdir[0] != '/')
                        return flag_err(err, "--workdir", o->workdir, "must be absolute, got");
                json_object_set_new(proc, "cwd", json_string(o->workdir));
        }
        if (o->user) {
                char *end;
                errno = 0;
                unsigned long uid = strtoul(o->user, &end, 10), gid = 0;
                if (end == o->user || (*end && *end != ':') || o->user[0] == '-')
                        return flag_err(err, "--user", o->user, "expected UID[:GID], got");
                if (*end == ':') {
                        const char *g = end + 1;
                        gid = strtoul(g, &end, 10);
                        if (end == g || *end || *g == '-')
                                return flag_err(err, "--user", o->user, "expected UID[:GID], got");
                }
                /* 4294967295 is (uid_t)-1: "no change" to setresuid, which would leave the workload root. */
                if (errno || uid >= UINT32_MAX || gid >= UINT32_MAX)
                        return flag_err(err, "--user", o->user, "ids must be 0..4294967294, got");
                json_object_set_new(proc, "user", json_pack("{s:I,s:I}", "uid", (json_int_t) uid, "gid", (json_int_t) gid));
        }
        json_t *env = json_object_get(proc, "env");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(proc, "env", env);
        }
        for (size_t i = 0; i < o->n_env; i++) {
                const char *eq = strchr(o->env[i], '=');
                if (!eq || eq == o->env[i])
                        return flag_err(err, "--env", o->env[i], "expected KEY=VALUE, got");
                size_t klen = (size_t) (eq - o->env[i]) + 1, j;
                for (j = 0; j < json_array_size(env); j++)
                        if (strncmp(json_string_value(json_array_get(env, j)), o->env[i], klen) == 0)
                                break;
                if (j < json_array_size(env))
                        json_array_set_new(env, j, json_string(o->env[i]));
                else
                        json_array_append_new(env, json_string(o->env[i]));
        }
        return 0;
}


static void ensure_tmpfs(json_t *mounts, const char *dst, const char *mode, const char *size, bool noexec)
{
        for (size_t i = 0; i < json_array_size(mounts); i++)
                if (strcmp(json_string_value(json_object_get(json_array_get(mounts, i), "destination")) ?: "", dst) == 0)
                        return;
        json_t *opts = json_pack("[s,s,s,s]", "nosuid", "nodev", mode, size);
        if (noexec)
                json_array_append_new(opts, json_string("noexec"));
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:o}", "destination", dst, "type", "tmpfs", "source",
                                                "tmpfs", "options", opts));
}

/* The seccomp rules that keep mount(2), unshare(2), setns(2) and clone(2)
 * with namespace flags out. A guest in a user namespace of its own may use
 * them, as Docker's profile allows them with CAP_SYS_ADMIN: every mount and
 * namespace it makes is owned by that user namespace, and what could reach
 * the host (bpf, keyrings, kernel modules, the clock...) stays denied. */
static void open_namespaces_in_seccomp(json_t *spec)
{
        json_t *rules = json_object_get(json_object_get(json_object_get(spec, "linux"), "seccomp"), "syscalls");
        for (size_t i = json_array_size(rules); i-- > 0;) {
                json_t *rule = json_array_get(rules, i), *names = json_object_get(rule, "names");
                const char *action = json_string_value(json_object_get(rule, "action")) ?: "";
                bool ns_rule = false, only_clone = json_array_size(names) == 1;
                for (size_t j = 0; j < json_array_size(names); j++) {
                        const char *n = json_string_value(json_array_get(names, j)) ?: "";
                        ns_rule |= strcmp(n, "mount") == 0 || strcmp(n, "unshare") == 0;
                        only_clone &= strcmp(n, "clone") == 0;
                }
                if (ns_rule && strcmp(action, "SCMP_ACT_ALLOW") != 0)
                        json_array_remove(rules, i);
                else if (only_clone && strcmp(action, "SCMP_ACT_ALLOW") == 0)
                        json_object_del(rule, "args");
        }
        json_t *ns = json_array();
        json_array_append_new(ns, json_string("mount"));
        json_array_append_new(ns, json_string("umount2"));
        json_array_append_new(ns, json_string("pivot_root"));
        json_array_append_new(ns, json_string("unshare"));
        json_array_append_new(ns, json_string("setns"));
        json_array_append_new(ns, json_string("move_mount"));
        json_array_append_new(ns, json_string("open_tree"));
        json_array_append_new(ns, json_string("fsopen"));
        json_array_append_new(ns, json_string("fsconfig"));
        json_array_append_new(ns, json_string("fsmount"));
        json_array_append_new(ns, json_string("mount_setattr"));
        if (json_is_array(rules))
                json_array_append_new(rules, json_pack("{s:o,s:s}", "names", ns, "action", "SCMP_ACT_ALLOW"));
}

/* --init: what a guest's own init needs of its container (systemd's
 * "container interface"): tmpfs on /run, /run/lock and /tmp, and
 * container=carrel in its environment (systemd writes /run/systemd/container
 * from it). In a user namespace of its own, the guest also gets the
 * capabilities systemd-nspawn gives one, CAP_SYS_ADMIN among them, a
 * writable cgroup2 mount of its own (delegated) cgroup, and seccomp lets it
 * mount and make namespaces for its services (PrivateTmp= and friends). All
 * of that is owned by the guest's user namespace, so none of it reaches the
 * host. Without one (--userns host) nothing is loosened. */
static void apply_guest(json_t *spec, const struct shell_opts *o)
{
        if (!o->boot_init)
                return;
        json_t *mounts = json_object_get(spec, "mounts");
        ensure_tmpfs(mounts, "/run", "mode=755", "size=64m", false);
        ensure_tmpfs(mounts, "/run/lock", "mode=1777", "size=5m", true);
        ensure_tmpfs(mounts, "/tmp", "mode=1777", "size=256m", false);
        json_t *env = json_object_get(json_object_get(spec, "process"), "env");
        bool has_container = false;
        for (size_t i = 0; i < json_array_size(env); i++)
                has_container |= strncmp(json_string_value(json_array_get(env, i)) ?: "", "container=", 10) == 0;
        if (!has_container && json_is_array(env))
                json_array_append_new(env, json_string("container=carrel"));
        if (!has_own_namespace(spec, "user"))
                return;
        for (size_t i = 0; i < json_array_size(mounts); i++) {
                json_t *m = json_array_get(mounts, i), *opts = json_object_get(m, "options");
                if (strcmp(json_string_value(json_object_get(m, "destination")) ?: "", "/sys/fs/cgroup") != 0 ||
                    !has_own_namespace(spec, "cgroup"))
                        continue;
                for (size_t j = json_array_size(opts); j-- > 0;)
                        if (strcmp(json_string_value(json_array_get(opts, j)) ?: "", "ro") == 0)
                                json_array_remove(opts, j);
                json_array_append_new(opts, json_string("rw"));
        }
        static const char *const guest_caps[] = {
                "CAP_AUDIT_CONTROL", "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH",
                "CAP_FOWNER", "CAP_FSETID", "CAP_IPC_OWNER", "CAP_KILL", "CAP_LEASE", "CAP_LINUX_IMMUTABLE",
                "CAP_MKNOD", "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_RAW",
                "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_ADMIN",
                "CAP_SYS_CHROOT", "CAP_SYS_NICE", "CAP_SYS_PTRACE", "CAP_SYS_RESOURCE", "CAP_SYS_TTY_CONFIG",
        };
        static const char *const sets[] = { "bounding", "effective", "permitted" };
        json_t *caps = path_obj(spec, "process", "capabilities", NULL);
        for (size_t s = 0; s < 3; s++) {
                json_t *a = json_array();
                for (size_t i = 0; i < sizeof guest_caps / sizeof *guest_caps; i++)
                        json_array_append_new(a, json_string(guest_caps[i]));
                json_object_set_new(caps, sets[s], a);
        }
        if (!o->seccomp || strcmp(o->seccomp, "default") == 0)
                open_namespaces_in_seccomp(spec); /* never a profile the user gave */
}

static int apply_seccomp(json_t *spec, const struct shell_opts *o, struct carrel_error *err)
{
        if (o->seccomp && strcmp(o->seccomp, "unconfined") == 0)
                json_object_del(json_object_get(spec, "linux"), "seccomp");
        else if (o->seccomp && strcmp(o->seccomp, "default") != 0) {
                json_error_t jerr;
                json_t *sc = json_load_file(o->seccomp, 0, &jerr);
                if (!sc)
                        return carrel_error_set(err, EINVAL, "--seccomp %s: %s (line %d)", o->seccomp, jerr.text,
                                                jerr.line);
                json_object_set_new(path_obj(spec, "linux", NULL, NULL), "seccomp", sc);
        }
        return 0;
}

static int apply_userns(json_t *spec, const struct shell_opts *o, struct carrel_error *err)
{
        if (o->userns && (strcmp(o->userns, "auto") == 0 || strcmp(o->userns, "private") == 0)) {
                set_annotation(spec, "org.carrel.userns", o->userns);
                drop_namespace(spec, "user");
                json_array_append_new(json_object_get(json_object_get(spec, "linux"), "namespaces"),
                                      json_pack("{s:s}", "type", "user"));
                /* sysfs needs a network namespace owned by the new user namespace */
                if (o->net && (strcmp(o->net, "host") == 0 || strncmp(o->net, "netns:", 6) == 0))
                        return carrel_error_set(err, EINVAL, "--userns %s needs a network namespace of its own "
                                                "(--net none or veth)", o->userns);
        } else if (o->userns && strcmp(o->userns, "host") != 0) {
                return flag_err(err, "--userns", o->userns, "expected host, auto or private, got");
        }
        return 0;
}

int shell_apply_flags(json_t *spec, const struct shell_opts *o, struct carrel_error *err)
{
        int r;
        json_object_set_new(path_obj(spec, "root", NULL, NULL), "path", json_string(o->rootfs));
        if (o->read_only)
                json_object_set_new(json_object_get(spec, "root"), "readonly", json_true());
        if (o->hostname || o->name)
                json_object_set_new(spec, "hostname", json_string(o->hostname ? o->hostname : o->name));
        if ((r = apply_process(spec, o, err)) < 0 || (r = apply_limits(spec, o, err)) < 0 ||
            (r = apply_net(spec, o->net, err)) < 0 || (r = apply_mounts(spec, o, err)) < 0 ||
            (r = apply_seccomp(spec, o, err)) < 0 || (r = apply_userns(spec, o, err)) < 0)
                return r;
        apply_guest(spec, o); /* before the caps: --cap-add and --cap-drop apply to the guest's set too */
        if ((r = apply_caps(spec, o, err)) < 0 || (r = apply_boot(spec, o, err)) < 0)
                return r;
        return 0;
}
