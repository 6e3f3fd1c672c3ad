#include "linux/creds.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/fd.h"

static int last_cap(const struct init_ctx *ctx)
{
        char buf[16];
        if (ctx->proc_fd >= 0 && read_file_at(ctx->proc_fd, "sys/kernel/cap_last_cap", buf, sizeof buf) > 0)
                return atoi(buf);
        /* Probe: PR_CAPBSET_READ fails with EINVAL past the last capability. */
        int c = 0;
        while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
                c++;
        return c;
}

static int capset_masks(uint64_t eff, uint64_t perm, uint64_t inh)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        struct __user_cap_data_struct d[2] = {
                { .effective = (uint32_t) eff, .permitted = (uint32_t) perm, .inheritable = (uint32_t) inh },
                { .effective = (uint32_t) (eff >> 32), .permitted = (uint32_t) (perm >> 32),
                  .inheritable = (uint32_t) (inh >> 32) },
        };
        return (int) syscall(SYS_capset, &h, d);
}

static bool setgroups_denied(void)
{
        char buf[16] = "";
        return read_file_at(AT_FDCWD, "/proc/self/setgroups", buf, sizeof buf) > 0 && strncmp(buf, "deny", 4) == 0;
}

int creds_apply(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec_process *p = &ctx->spec->process;
        const struct spec_caps *c = &p->caps; /* all zero when the spec has no capabilities */
        int last = last_cap(ctx);

        for (int cap = 0; cap <= last; cap++)
                if (!(c->bounding & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                        return carrel_error_errno(err, errno, "cannot drop capability %d from the bounding set", cap);

        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return carrel_error_errno(err, errno, "PR_SET_KEEPCAPS");
        /* A rootless namespace that maps only the caller's gid has setgroups
                 * denied: with no additional gids there is nothing to set (runc). */
        if (setgroups(p->n_additional_gids, (const gid_t *) p->additional_gids) < 0 &&
            !(errno == EPERM && p->n_additional_gids == 0 && setgroups_denied()))
                return carrel_error_errno(err, errno, "cannot set process.user.additionalGids");
        if (setresgid(p->gid, p->gid, p->gid) < 0)
                return carrel_error_errno(err, errno, "cannot set process.user.gid %u", p->gid);
        if (setresuid(p->uid, p->uid, p->uid) < 0)
                return carrel_error_errno(err, errno, "cannot set process.user.uid %u", p->uid);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return carrel_error_errno(err, errno, "PR_SET_KEEPCAPS");

        if (capset_masks(c->effective, c->permitted, c->inheritable) < 0)
                return carrel_error_errno(err, errno, "cannot set the capabilities");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return carrel_error_errno(err, errno, "cannot clear the ambient capabilities");
        for (int cap = 0; cap <= last; cap++)
                if ((c->ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                        return carrel_error_errno(err, errno, "cannot raise ambient capability %d", cap);
        return 0;
}
