#include "linux/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fd.h"
#include "util/log.h"
#include "util/sys.h"

#define SELINUX_MAGIC 0xf97cff8c

static bool apparmor_enabled(void)
{
        char c[4] = { 0 };
        return read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", c, sizeof c) > 0 && c[0] == 'Y' &&
               access("/sys/kernel/security/apparmor", F_OK) == 0;
}

static bool selinux_enabled(void)
{
        struct statfs sf;
        return statfs("/sys/fs/selinux", &sf) == 0 && (unsigned long) sf.f_type == SELINUX_MAGIC;
}

/* A loaded profile is a line "NAME (MODE)" of apparmor's profiles file.
 * Where securityfs cannot be read, the write at exec time decides. */
static int apparmor_profile_check(const char *name, struct carrel_error *err)
{
        /* "unconfined", stacks (a//&b) and namespaced names (:ns:b) are not lines there. */
        if (strcmp(name, "unconfined") == 0 || strstr(name, "//") || name[0] == ':')
                return 0;
        _cleanup_fclose_ FILE *f = fopen("/sys/kernel/security/apparmor/profiles", "re");
        if (!f)
                return 0;
        char line[4096];
        size_t n = strlen(name);
        while (fgets(line, sizeof line, f))
                if (strncmp(line, name, n) == 0 && strncmp(line + n, " (", 2) == 0)
                        return 0;
        return carrel_error_set(err, ENOENT, "process.apparmorProfile: the AppArmor profile \"%s\" is not loaded",
                                name);
}

static void ignore(const char *field, const char **label, const char *lsm)
{
        log_debug("%s \"%s\" ignored: %s is not enabled on this host", field, *label, lsm);
        *label = NULL;
}

int lsm_labels_check(struct spec *s, struct carrel_error *err)
{
        struct spec_process *p = &s->process;
        if (p->apparmor_profile && !*p->apparmor_profile)
                p->apparmor_profile = NULL;
        if (p->selinux_label && !*p->selinux_label)
                p->selinux_label = NULL;
        if (s->mount_label && !*s->mount_label)
                s->mount_label = NULL;
        if (p->apparmor_profile) {
                if (!apparmor_enabled())
                        ignore("process.apparmorProfile", &p->apparmor_profile, "AppArmor");
                else if (strchr(p->apparmor_profile, '\n'))
                        return carrel_error_set(err, EINVAL, "process.apparmorProfile: \"%s\" is not a profile name",
                                                p->apparmor_profile);
                else if (apparmor_profile_check(p->apparmor_profile, err) < 0)
                        return -err->code;
        }
        if ((p->selinux_label || s->mount_label) && !selinux_enabled()) {
                if (p->selinux_label)
                        ignore("process.selinuxLabel", &p->selinux_label, "SELinux");
                if (s->mount_label)
                        ignore("linux.mountLabel", &s->mount_label, "SELinux");
        }
        return 0;
}

void lsm_attr_path(enum lsm lsm, const char *attr, bool legacy, char *buf, size_t size)
{
        bool own_dir = lsm == LSM_APPARMOR && !legacy;
        snprintf(buf, size, "thread-self/attr/%s%s", own_dir ? "apparmor/" : "", attr);
}

int lsm_attr_write(int dirfd, const char *path, const char *value)
{
        _cleanup_close_ int fd = sys_openat2(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY, 0,
                                            RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return -errno;
        /* procfs takes an attr in a single write. */
        ssize_t n = write(fd, value, strlen(value));
        if (n < 0)
                return -errno;
        return (size_t) n == strlen(value) ? 0 : -EIO;
}

static int apparmor_exec(int proc_fd, const char *profile, struct carrel_error *err)
{
        char path[64], cmd[4096];
        if ((size_t) snprintf(cmd, sizeof cmd, "exec %s", profile) >= sizeof cmd)
                return carrel_error_set(err, ENAMETOOLONG, "process.apparmorProfile: the name is too long");
        lsm_attr_path(LSM_APPARMOR, "exec", false, path, sizeof path);
        int r = lsm_attr_write(proc_fd, path, cmd);
        if (r == -ENOENT && faccessat(proc_fd, path, F_OK, 0) < 0) { /* before 5.8: attr/exec */
                lsm_attr_path(LSM_APPARMOR, "exec", true, path, sizeof path);
                r = lsm_attr_write(proc_fd, path, cmd);
        }
        if (r == -ENOENT)
                return carrel_error_set(err, ENOENT, "process.apparmorProfile: the AppArmor profile \"%s\" is not loaded",
                                        profile);
        if (r < 0)
                return carrel_error_set(err, -r, "process.apparmorProfile: cannot apply the AppArmor profile \"%s\": %s",
                                        profile, strerror(-r));
        return 0;
}

static int selinux_write(int proc_fd, const char *attr, const char *label, struct carrel_error *err)
{
        char path[64];
        lsm_attr_path(LSM_SELINUX, attr, true, path, sizeof path);
        int r = lsm_attr_write(proc_fd, path, label);
        if (r < 0)
                return carrel_error_set(err, -r, "process.selinuxLabel: cannot set the SELinux %s label \"%s\": %s",
                                        attr, label, strerror(-r));
        return 0;
}

int lsm_apply_exec(const struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec_process *p = &ctx->spec->process;
        int r;
        if (p->apparmor_profile) {
                if ((r = apparmor_exec(ctx->proc_fd, p->apparmor_profile, err)) < 0)
                        return r;
                log_debug("AppArmor profile \"%s\" on exec", p->apparmor_profile);
        }
        if (p->selinux_label) {
                if ((r = selinux_write(ctx->proc_fd, "exec", p->selinux_label, err)) < 0)
                        return r;
                log_debug("SELinux label \"%s\" on exec", p->selinux_label);
        }
        return 0;
}

int lsm_apply_keycreate(const struct init_ctx *ctx, struct carrel_error *err)
{
        const char *label = ctx->spec->process.selinux_label;
        return label ? selinux_write(ctx->proc_fd, "keycreate", label, err) : 0;
}

int lsm_mount_data(const char *data, const char *label, char *buf, size_t size)
{
        if (strchr(label, '"'))
                return -EINVAL;
        bool first = !data || !*data;
        int n = snprintf(buf, size, "%s%scontext=\"%s\"", first ? "" : data, first ? "" : ",", label);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

bool lsm_mount_labelled(const char *type)
{
        return type && (strcmp(type, "tmpfs") == 0 || strcmp(type, "mqueue") == 0 || strcmp(type, "devpts") == 0);
}
