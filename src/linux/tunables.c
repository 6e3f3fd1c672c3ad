#include "linux/tunables.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "spec/sysctl_check.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/sys.h"

int limits_apply(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec_process *p = &ctx->spec->process;
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
                if (setrlimit(p->rlimits[i].resource, &rl) < 0)
                        return carrel_error_errno(err, errno, "config.json: process.rlimits[%zu]: cannot set the limit", i);
        }
        if (p->has_oom_score_adj) {
                char buf[16];
                snprintf(buf, sizeof buf, "%d", p->oom_score_adj);
                int r = write_file_at(ctx->proc_fd, "self/oom_score_adj", buf);
                if (r < 0)
                        return carrel_error_set(err, -r, "process.oomScoreAdj: %s", strerror(-r));
        }
        return 0;
}

int sysctl_apply(struct init_ctx *ctx, struct carrel_error *err)
{
        const struct spec *s = ctx->spec;
        for (size_t i = 0; i < s->n_sysctl; i++) {
                char why[128], path[512];
                const char *key = s->sysctl[i].key, *value = s->sysctl[i].value;
                /* Checked once more here, right before the write. */
                if (!sysctl_allowed(key, value, s->ns[NS_NET].present && !s->ns[NS_NET].path,
                                    s->ns[NS_IPC].present && !s->ns[NS_IPC].path,
                                    s->ns[NS_UTS].present && !s->ns[NS_UTS].path, why, sizeof why))
                        return carrel_error_set(err, EINVAL, "linux.sysctl.%s: %s", key, why);
                int n = snprintf(path, sizeof path, "sys/%s", key);
                for (int j = 4; j < n; j++)
                        if (path[j] == '.')
                                path[j] = '/';
                _cleanup_close_ int fd = sys_openat2(ctx->proc_fd, path, O_WRONLY | O_CLOEXEC, 0,
                                                     RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
                if (fd < 0)
                        return carrel_error_errno(err, errno, "linux.sysctl.%s", key);
                int r = write_all(fd, value, strlen(value));
                if (r < 0)
                        return carrel_error_set(err, -r, "linux.sysctl.%s: cannot write \"%s\": %s", key, value,
                                                strerror(-r));
        }
        return 0;
}
