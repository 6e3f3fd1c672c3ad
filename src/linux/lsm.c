#include "linux/lsm.h"

#include <stdio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/log.h"

#define SELINUX_MAGIC 0xf97cff8c

static bool apparmor_enabled(void)
{
        char c = 0;
        FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");
        if (f) {
                if (fread(&c, 1, 1, f) != 1)
                        c = 0;
                fclose(f);
        }
        return c == 'Y' && access("/sys/kernel/security/apparmor", F_OK) == 0;
}

static bool selinux_enabled(void)
{
        struct statfs sf;
        return statfs("/sys/fs/selinux", &sf) == 0 && (unsigned long) sf.f_type == SELINUX_MAGIC;
}

static int check(const char *field, const char *label, const char *lsm, bool enabled, struct carrel_error *err)
{
        if (!label || !*label)
                return 0;
        if (enabled)
                return carrel_error_set(err, ENOTSUP, "%s: %s is enabled on this host, and carrel cannot apply "
                                        "\"%s\" yet", field, lsm, label);
        log_debug("%s \"%s\" ignored: %s is not enabled on this host", field, label, lsm);
        return 0;
}

int lsm_labels_check(const struct spec *s, struct carrel_error *err)
{
        const char *aa = s->process.apparmor_profile, *se = s->process.selinux_label, *ml = s->mount_label;
        bool selinux = ((se && *se) || (ml && *ml)) && selinux_enabled();
        int r = check("process.apparmorProfile", aa, "AppArmor", aa && *aa && apparmor_enabled(), err);
        if (r == 0)
                r = check("process.selinuxLabel", se, "SELinux", selinux, err);
        if (r == 0)
                r = check("linux.mountLabel", ml, "SELinux", selinux, err);
        return r;
}
