#include "linux/seccomp_filter.h"
#include "linux/seccomp_enosys.h"

#include <ctype.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "carrel/version.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/log.h"

static uint32_t action_value(int action, bool has_errno, uint32_t errno_ret)
{
        uint32_t e = has_errno ? errno_ret : EPERM;
        switch (action) {
        case SECCOMP_KILL:
        case SECCOMP_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
        case SECCOMP_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
        case SECCOMP_TRAP: return SCMP_ACT_TRAP;
        case SECCOMP_ERRNO: return SCMP_ACT_ERRNO(e);
        case SECCOMP_TRACE: return SCMP_ACT_TRACE(e);
        case SECCOMP_LOG: return SCMP_ACT_LOG;
        case SECCOMP_NOTIFY: return SCMP_ACT_NOTIFY;
        default: return SCMP_ACT_ALLOW;
        }
}

static const enum scmp_compare ops[] = {
        [SECCOMP_OP_NE] = SCMP_CMP_NE, [SECCOMP_OP_LT] = SCMP_CMP_LT, [SECCOMP_OP_LE] = SCMP_CMP_LE,
        [SECCOMP_OP_EQ] = SCMP_CMP_EQ, [SECCOMP_OP_GE] = SCMP_CMP_GE, [SECCOMP_OP_GT] = SCMP_CMP_GT,
        [SECCOMP_OP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static int add_arch(scmp_filter_ctx f, const char *name, struct carrel_error *err)
{
        char lower[64];
        const char *n = strncmp(name, "SCMP_ARCH_", 10) == 0 ? name + 10 : name;
        size_t i = 0;
        for (; n[i] && i < sizeof lower - 1; i++)
                lower[i] = (char) tolower((unsigned char) n[i]);
        lower[i] = '\0';
        uint32_t arch = seccomp_arch_resolve_name(lower);
        if (!arch) {
                log_debug("seccomp: skipping unknown architecture %s", name);
                return 0;
        }
        /* Only the ABIs this machine can run: each one added grows the filter. */
        static const struct {
                uint32_t native, other;
        } runnable[] = {
                { SCMP_ARCH_X86_64, SCMP_ARCH_X86 }, { SCMP_ARCH_X86_64, SCMP_ARCH_X32 },
                { SCMP_ARCH_AARCH64, SCMP_ARCH_ARM },
        };
        uint32_t native = seccomp_arch_native();
        bool ok = arch == native;
        for (size_t i = 0; i < sizeof runnable / sizeof *runnable; i++)
                ok |= runnable[i].native == native && runnable[i].other == arch;
        if (!ok) {
                log_debug("seccomp: architecture %s cannot run here; skipped", name);
                return 0;
        }
        int r = seccomp_arch_add(f, arch);
        if (r < 0 && r != -EEXIST)
                return carrel_error_set(err, -r, "config.json: linux.seccomp.architectures: cannot add %s: %s", name, strerror(-r));
        return 0;
}

static bool args_share_index(const struct spec_seccomp_rule *rule)
{
        for (size_t i = 0; i < rule->n_args; i++)
                for (size_t j = i + 1; j < rule->n_args; j++)
                        if (rule->args[i].index == rule->args[j].index)
                                return true;
        return false;
}

static struct scmp_arg_cmp to_cmp(const struct spec_seccomp_arg *a)
{
        return (struct scmp_arg_cmp) { .arg = a->index, .op = ops[a->op], .datum_a = a->value, .datum_b = a->value_two };
}

static int add_rule(scmp_filter_ctx f, uint32_t default_action, const struct spec_seccomp_rule *rule, size_t idx,
                    struct carrel_error *err)
{
        uint32_t action = action_value(rule->action, rule->has_errno_ret, rule->errno_ret);
        if (action == default_action)
                return 0; /* libseccomp refuses a rule that repeats the default */
        struct scmp_arg_cmp cmp[6];
        for (size_t n = 0; n < rule->n_names; n++) {
                int nr = seccomp_syscall_resolve_name(rule->names[n]);
                if (nr == __NR_SCMP_ERROR) {
                        log_debug("seccomp: skipping unknown syscall %s", rule->names[n]);
                        continue;
                }
                int r = 0;
                if (args_share_index(rule)) {
                        /* Two conditions on one argument: libseccomp wants one rule each (OR). */
                        for (size_t a = 0; a < rule->n_args && r == 0; a++) {
                                cmp[0] = to_cmp(&rule->args[a]);
                                r = seccomp_rule_add_array(f, action, nr, 1, cmp);
                        }
                } else {
                        for (size_t a = 0; a < rule->n_args; a++)
                                cmp[a] = to_cmp(&rule->args[a]);
                        r = seccomp_rule_add_array(f, action, nr, (unsigned) rule->n_args, cmp);
                }
                if (r < 0)
                        return carrel_error_set(err, -r, "config.json: linux.seccomp.syscalls[%zu]: cannot add a rule for %s: %s", idx,
                                                rule->names[n], strerror(-r));
        }
        return 0;
}

static int set_flags(scmp_filter_ctx f, const struct spec_seccomp *sc, struct carrel_error *err)
{
        /* no_new_privs is process.noNewPrivileges' business, not libseccomp's. */
        int r = seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 0);
        for (size_t i = 0; r == 0 && i < sc->n_flags; i++) {
                const char *fl = sc->flags[i];
                if (strcmp(fl, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
                        r = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
                else if (strcmp(fl, "SECCOMP_FILTER_FLAG_LOG") == 0)
                        r = seccomp_attr_set(f, SCMP_FLTATR_CTL_LOG, 1);
                else if (strcmp(fl, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
                        r = seccomp_attr_set(f, SCMP_FLTATR_CTL_SSB, 1);
                else
                        log_debug("seccomp: flag %s is not supported by this libseccomp; skipped", fl);
                if (r == -EOPNOTSUPP || r == -EINVAL) {
                        log_debug("seccomp: flag %s is not supported by this kernel; skipped", fl);
                        r = 0;
                }
        }
        if (r < 0)
                return carrel_error_set(err, -r, "config.json: linux.seccomp.flags: %s", strerror(-r));
        return 0;
}

int seccomp_filter_build(const struct spec_seccomp *sc, void **ret, struct carrel_error *err)
{
        uint32_t def = action_value(sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret);
        scmp_filter_ctx f = seccomp_init(def);
        if (!f)
                return carrel_error_set(err, EINVAL, "config.json: linux.seccomp.defaultAction: libseccomp refused %s",
                                        seccomp_action_name(sc->default_action));
        int r = set_flags(f, sc, err);
        for (size_t i = 0; r == 0 && i < sc->n_architectures; i++)
                r = add_arch(f, sc->architectures[i], err);
        for (size_t i = 0; r == 0 && i < sc->n_rules; i++)
                r = add_rule(f, def, &sc->rules[i], i, err);
        if (r < 0) {
                seccomp_release(f);
                return r;
        }
        *ret = f;
        return 0;
}

void seccomp_filter_free(void *filter)
{
        if (filter)
                seccomp_release(filter);
}

int seccomp_listener_connect(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec_seccomp *sc = ctx->spec->seccomp;
        if (!sc || !sc->listener_path)
                return 0;
        int fd = unix_connect(sc->listener_path);
        if (fd < 0)
                return carrel_error_errno(err, -fd, "config.json: linux.seccomp.listenerPath: cannot connect to %s",
                                          sc->listener_path);
        ctx->listener_fd = fd;
        return 0;
}

/* The runtime-spec's containerProcessState, with the notify fd as SCM_RIGHTS. */
static int send_notify_fd(struct init_ctx *ctx, int notify_fd, struct carrel_error *err)
{
        const struct spec *s = ctx->spec;
        json_t *state = json_pack("{s:s,s:s,s:s,s:i,s:s}", "ociVersion", CARREL_OCI_VERSION, "id", ctx->id, "status",
                                  "creating", "pid", (json_int_t) ctx->host_pid, "bundle", ctx->bundle);
        json_object_set_new(state, "annotations", s->annotations ? json_incref(s->annotations) : json_object());
        json_t *msg = json_pack("{s:s,s:[s],s:i,s:s,s:o}", "ociVersion", CARREL_OCI_VERSION, "fds", "seccompFd", "pid",
                                (json_int_t) ctx->host_pid, "metadata",
                                s->seccomp->listener_metadata ? s->seccomp->listener_metadata : "", "state", state);
        _cleanup_free_ char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
        json_decref(msg);
        if (!text)
                return carrel_error_set(err, ENOMEM, "out of memory");
        int r = send_with_fd(ctx->listener_fd, text, strlen(text), notify_fd);
        if (r < 0)
                return carrel_error_set(err, -r, "config.json: linux.seccomp.listenerPath: cannot send the notify fd: %s",
                                        strerror(-r));
        return 0;
}

int seccomp_filter_load(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct seccomp_program *p = ctx->seccomp;
        if (!p)
                return 0;
        struct sock_fprog prog = { .len = p->len, .filter = p->insns };
        unsigned flags = p->flags | (ctx->listener_fd >= 0 ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
        int r = (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (r < 0)
                return carrel_error_errno(err, errno, "cannot load the seccomp filter");
        if (ctx->listener_fd >= 0) {
                int nfd = r;
                r = send_notify_fd(ctx, nfd, err);
                close(nfd);
                close(ctx->listener_fd);
                ctx->listener_fd = -1;
                if (r < 0)
                        return r;
        }
        return 0;
}

static unsigned spec_flags(const struct spec_seccomp *sc)
{
        unsigned flags = 0;
        for (size_t i = 0; i < sc->n_flags; i++) {
                if (strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_TSYNC") == 0)
                        flags |= SECCOMP_FILTER_FLAG_TSYNC;
                else if (strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
                        flags |= SECCOMP_FILTER_FLAG_LOG;
                else if (strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
                        flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
                else if (strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
                        flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
#endif
        }
        return flags;
}

/* The cache key: everything the compiled program depends on. */
static char *cache_key(const struct spec *s)
{
        json_t *sc = json_object_get(json_object_get(s->json, "linux"), "seccomp");
        _cleanup_free_ char *canon = json_dumps(sc, JSON_COMPACT | JSON_SORT_KEYS);
        const struct scmp_version *v = seccomp_version();
        char *key = NULL;
        if (canon && asprintf(&key, "carrel-bpf-2 libseccomp %u.%u.%u arch %u\n%s", v->major, v->minor, v->micro,
                              seccomp_arch_native(), canon) < 0)
                key = NULL;
        return key;
}

static uint64_t fnv1a(const char *s)
{
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

/* File: key, NUL, then the instructions. Only used when the stored key matches byte for byte. */
static int cache_read(int dirfd, const char *name, const char *key, struct seccomp_program *ret)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > (1 << 22))
                return -ENOENT;
        _cleanup_free_ char *buf = malloc((size_t) st.st_size);
        if (!buf || read(fd, buf, (size_t) st.st_size) != st.st_size)
                return -EIO;
        size_t klen = strlen(key) + 1;
        size_t plen = (size_t) st.st_size - klen;
        if ((size_t) st.st_size <= klen || memcmp(buf, key, klen) != 0 || plen % sizeof(struct sock_filter) ||
            plen / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -ESTALE;
        ret->insns = malloc(plen);
        if (!ret->insns)
                return -ENOMEM;
        memcpy(ret->insns, buf + klen, plen);
        ret->len = (unsigned short) (plen / sizeof(struct sock_filter));
        return 0;
}

static int export_program(void *filter, struct seccomp_program *ret, struct carrel_error *err)
{
        _cleanup_close_ int mfd = memfd_create("carrel-bpf", MFD_CLOEXEC);
        if (mfd < 0)
                return carrel_error_errno(err, errno, "memfd_create");
        int r = seccomp_export_bpf(filter, mfd);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot compile the seccomp filter: %s", strerror(-r));
        off_t size = lseek(mfd, 0, SEEK_END);
        if (size <= 0 || size % (off_t) sizeof(struct sock_filter) ||
            size / (off_t) sizeof(struct sock_filter) > BPF_MAXINSNS)
                return carrel_error_set(err, E2BIG, "the seccomp filter is too large (%lld bytes)", (long long) size);
        ret->insns = malloc((size_t) size);
        if (!ret->insns || pread(mfd, ret->insns, (size_t) size, 0) != size)
                return carrel_error_set(err, EIO, "cannot read the compiled seccomp filter");
        ret->len = (unsigned short) (size / (off_t) sizeof(struct sock_filter));
        return 0;
}

static void cache_write(int dirfd, const char *name, const char *key, const struct seccomp_program *p)
{
        size_t klen = strlen(key) + 1, plen = p->len * sizeof(struct sock_filter);
        _cleanup_free_ char *buf = malloc(klen + plen);
        if (!buf)
                return;
        memcpy(buf, key, klen);
        memcpy(buf + klen, p->insns, plen);
        write_file_atomic(dirfd, name, buf, klen + plen, 0600);
}

int seccomp_program_get(const struct spec *s, const char *cache_dir, struct seccomp_program *ret,
                        struct carrel_error *err)
{
        *ret = (struct seccomp_program) { .flags = spec_flags(s->seccomp) };
        _cleanup_free_ char *key = cache_key(s);
        if (!key)
                return carrel_error_set(err, ENOMEM, "out of memory");
        char name[32];
        snprintf(name, sizeof name, "%016llx.bpf", (unsigned long long) fnv1a(key));
        _cleanup_close_ int dirfd = -1;
        if (cache_dir) {
                if (mkdir(cache_dir, 0700) < 0 && errno != EEXIST)
                        log_debug("seccomp cache %s: %s", cache_dir, strerror(errno));
                dirfd = open(cache_dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (dirfd >= 0 && cache_read(dirfd, name, key, ret) == 0)
                        return 0;
        }
        void *filter;
        int r = seccomp_filter_build(s->seccomp, &filter, err);
        if (r < 0)
                return r;
        r = export_program(filter, ret, err);
        const struct spec_seccomp *sc = s->seccomp;
        if (r == 0 && (r = seccomp_enosys_prepend(filter, sc, action_value(sc->default_action,
                                                                          sc->has_default_errno_ret,
                                                                          sc->default_errno_ret), ret)) < 0)
                r = carrel_error_set(err, -r, "cannot compile the seccomp filter: %s", strerror(-r));
        seccomp_release(filter);
        if (r < 0) {
                seccomp_program_free(ret);
                return r;
        }
        if (dirfd >= 0)
                cache_write(dirfd, name, key, ret);
        return 0;
}

void seccomp_program_free(struct seccomp_program *p)
{
        free(p->insns);
        p->insns = NULL;
        p->len = 0;
}
