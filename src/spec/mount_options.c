/* Mount options: OCI option strings -> mount flags, mount_setattr attributes,
 * propagation and filesystem data. Pure. */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "decode.h"
#include "mount_options.h"
#include "util/cleanup.h"
#include "util/sys.h"

enum opt_kind { O_ATTR, O_ATIME, O_PROP, O_BIND, O_RBIND, O_IGNORE, O_TMPCOPYUP, O_IDMAP };

struct mount_opt {
        const char *name;
        enum opt_kind kind;
        bool clear;        /* the option clears the attribute ("rw", "suid", ...) */
        bool recursive;    /* r* variant: applied to the whole tree with mount_setattr */
        uint64_t attr;     /* MOUNT_ATTR_* */
        unsigned long ms;  /* MS_* (propagation) */
};

#define ATTR(n, a) { n, O_ATTR, false, false, a, 0 }, { "r" n, O_ATTR, false, true, a, 0 }
/* The atime modes are one field (an enum, not bits; relatime is 0). */
#define ATIME(n, a) { n, O_ATIME, false, false, a, 0 }, { "r" n, O_ATIME, false, true, a, 0 }
#define CLEAR(n, a) { n, O_ATTR, true, false, a, 0 }, { "r" n, O_ATTR, true, true, a, 0 }

static const struct mount_opt opts[] = {
        ATTR("ro", MOUNT_ATTR_RDONLY),
        CLEAR("rw", MOUNT_ATTR_RDONLY),
        ATTR("nosuid", MOUNT_ATTR_NOSUID),
        CLEAR("suid", MOUNT_ATTR_NOSUID),
        ATTR("nodev", MOUNT_ATTR_NODEV),
        CLEAR("dev", MOUNT_ATTR_NODEV),
        ATTR("noexec", MOUNT_ATTR_NOEXEC),
        CLEAR("exec", MOUNT_ATTR_NOEXEC),
        ATIME("noatime", MOUNT_ATTR_NOATIME),
        ATIME("relatime", MOUNT_ATTR_RELATIME),
        ATIME("strictatime", MOUNT_ATTR_STRICTATIME),
        ATTR("nodiratime", MOUNT_ATTR_NODIRATIME),
        CLEAR("diratime", MOUNT_ATTR_NODIRATIME),
        ATTR("nosymfollow", MOUNT_ATTR_NOSYMFOLLOW),
        CLEAR("symfollow", MOUNT_ATTR_NOSYMFOLLOW),
        /* "atime" only drops noatime: the kernel's default, relatime. */
        ATIME("atime", MOUNT_ATTR_RELATIME),
        { "private", O_PROP, false, false, 0, MS_PRIVATE },
        { "rprivate", O_PROP, false, false, 0, MS_PRIVATE | MS_REC },
        { "shared", O_PROP, false, false, 0, MS_SHARED },
        { "rshared", O_PROP, false, false, 0, MS_SHARED | MS_REC },
        { "slave", O_PROP, false, false, 0, MS_SLAVE },
        { "rslave", O_PROP, false, false, 0, MS_SLAVE | MS_REC },
        { "unbindable", O_PROP, false, false, 0, MS_UNBINDABLE },
        { "runbindable", O_PROP, false, false, 0, MS_UNBINDABLE | MS_REC },
        { "bind", O_BIND, false, false, 0, 0 },
        { "rbind", O_RBIND, false, false, 0, 0 },
        { "tmpcopyup", O_TMPCOPYUP, false, false, 0, 0 },
        { "idmap", O_IDMAP, false, false, 0, 0 },
        { "ridmap", O_IDMAP, false, true, 0, 0 },
        /* Accepted for runc compatibility; they have no effect on a new mount. */
        { "defaults", O_IGNORE, false, false, 0, 0 },
        { "async", O_IGNORE, false, false, 0, 0 },
        { "remount", O_IGNORE, false, false, 0, 0 },
        { "loud", O_IGNORE, false, false, 0, 0 },
        { "norelatime", O_IGNORE, false, false, 0, 0 },
        { "nostrictatime", O_IGNORE, false, false, 0, 0 },
};

static const struct mount_opt *find_opt(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
                if (strcmp(opts[i].name, name) == 0)
                        return &opts[i];
        return NULL;
}

static void apply_attr(struct spec_mount *m, const struct mount_opt *o)
{
        if (o->clear) {
                m->attr_clr |= o->attr;
                m->attr_set &= ~o->attr;
                return;
        }
        m->attr_set |= o->attr;
        m->attr_clr &= ~o->attr;
}

/* mount_setattr changes the atime mode only with all of MOUNT_ATTR__ATIME in attr_clr. */
static void apply_atime(struct spec_mount *m, const struct mount_opt *o)
{
        m->attr_clr |= MOUNT_ATTR__ATIME;
        m->attr_set = (m->attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | o->attr;
}

int mount_options_parse(struct dctx *c, struct spec_mount *m)
{
        size_t data_len = 0;
        for (size_t i = 0; i < m->n_options; i++)
                data_len += strlen(m->options[i]) + 1;
        char *data = spec_alloc(c->spec, data_len + 1);
        if (!data)
                return carrel_error_set(c->err, ENOMEM, "out of memory");
        data[0] = '\0';

        for (size_t i = 0; i < m->n_options; i++) {
                const char *name = m->options[i];
                if (*name == '\0')
                        continue; /* asks for nothing (buildah run -v writes one; runc ignores it too) */
                const struct mount_opt *o = find_opt(name);
                if (!o) {
                        /* Not a VFS option: pass it to the filesystem. */
                        if (strchr(name, ',')) {
                                dctx_push_index(c, i);
                                return dctx_fail(c, "invalid mount option \"%s\"", name);
                        }
                        if (*data)
                                strcat(data, ",");
                        strcat(data, name);
                        continue;
                }
                switch (o->kind) {
                case O_ATIME:
                case O_ATTR:
                        if (o->kind == O_ATIME)
                                apply_atime(m, o);
                        else
                                apply_attr(m, o);
                        if (o->recursive)
                                m->attr_recursive = true;
                        break;
                case O_PROP:
                        m->propagation = o->ms;
                        break;
                case O_BIND:
                        m->bind = true;
                        break;
                case O_RBIND:
                        m->bind = m->rbind = true;
                        break;
                case O_TMPCOPYUP:
                        m->tmpcopyup = true;
                        break;
                case O_IDMAP:
                        m->idmap = true;
                        m->idmap_recursive |= o->recursive;
                        break;
                case O_IGNORE:
                        break;
                }
        }
        if (m->type && strcmp(m->type, "bind") == 0)
                m->bind = true;
        m->data = data;
        return 0;
}

const char *mount_option_name(size_t i)
{
        return i < ARRAY_SIZE(opts) ? opts[i].name : NULL;
}

unsigned long propagation_from_name(const char *name)
{
        const struct mount_opt *o = find_opt(name);
        return o && o->kind == O_PROP ? o->ms : 0;
}
