/* The cgroup interface: finds the host's hierarchies, decides which driver
 * serves each controller (the unified hierarchy when it offers it, else its
 * v1 hierarchy), guards the caller's own cgroups, and fans every operation
 * out to the drivers. */
#include "cgroup/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/devices_bpf.h"
#include "cgroup/internal.h"
#include "cgroup/stats.h"
#include "util/proc.h"
#include "util/cgroupfs.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/log.h"
#include "util/sys.h"

int cgroup_path_for(const char *cgroups_path, const char *id, char *buf, size_t size, struct carrel_error *err)
{
        int n;
        if (!cgroups_path)
                n = snprintf(buf, size, "/carrel/%s", id);
        else if (strchr(cgroups_path, ':') && cgroups_path[0] != '/')
                return carrel_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\" is a systemd slice:prefix:name path; "
                                        "the systemd cgroup driver is not supported (use a plain path)", cgroups_path);
        else if (cgroups_path[0] == '/')
                n = snprintf(buf, size, "%s", cgroups_path);
        else
                n = snprintf(buf, size, "/carrel/%s", cgroups_path);
        if (n < 0 || (size_t) n >= size)
                return carrel_error_set(err, ENAMETOOLONG, "linux.cgroupsPath: too long");
        /* No "..", no empty components beyond slashes, nothing that leaves the hierarchy. */
        for (const char *p = buf; *p; p++)
                if (p[0] == '.' && p[1] == '.' && (p == buf || p[-1] == '/') && (p[2] == '/' || !p[2]))
                        return carrel_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\" contains \"..\"", buf);
        if (strcmp(buf, "/") == 0)
                return carrel_error_set(err, EINVAL, "linux.cgroupsPath: the root cgroup cannot hold a container");
        return 0;
}

/* CG_* -> the v1 controller that serves it. */
static int v1_of(unsigned bit)
{
        switch (bit) {
        case CG_CPU: return CG1_CPU;
        case CG_CPUSET: return CG1_CPUSET;
        case CG_MEMORY: return CG1_MEMORY;
        case CG_IO: return CG1_BLKIO;
        case CG_PIDS: return CG1_PIDS;
        case CG_HUGETLB: return CG1_HUGETLB;
        case CG_RDMA: return CG1_RDMA;
        case CG_MISC: return CG1_MISC;
        default: return -1;
        }
}

static unsigned v1_mask_of(const char *ctrls)
{
        struct cgroupfs_hier h = { 0 };
        snprintf(h.ctrls, sizeof h.ctrls, "%s", ctrls);
        unsigned m = 0;
        for (int c = 0; c < CG1_NAMED; c++)
                if (cgroupfs_carries(&h, cgroup_v1_name(c)))
                        m |= 1U << c;
        if (cgroupfs_carries(&h, "name=systemd"))
                m |= 1U << CG1_NAMED;
        return m;
}

static struct cgroup_v1 *v1_for(const struct cgroup *cg, int c)
{
        for (size_t i = 0; i < cg->n_v1; i++)
                if (cg->v1[i].mask & (1U << c))
                        return (struct cgroup_v1 *) &cg->v1[i];
        return NULL;
}

/* The host's hierarchies into `cg` (no cgroup opened yet). `v2mount`, when
 * given, is the cgroup2 mount a container was recorded with. */
static void discover(struct cgroup *cg, const char *v2mount)
{
        struct cgroupfs_hier hs[CGROUPFS_MAX];
        int n = cgroupfs_hierarchies(hs, CGROUPFS_MAX);
        bool have_v2 = v2mount ? v2mount[0] != '\0' : cgroup2_mount(cg->mount, sizeof cg->mount, NULL) == 0;
        if (v2mount)
                snprintf(cg->mount, sizeof cg->mount, "%s", v2mount);
        if (!have_v2)
                cg->mount[0] = '\0';
        if (have_v2) {
                char buf[512];
                _cleanup_close_ int root = open(cg->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (root >= 0 && read_file_at(root, "cgroup.controllers", buf, sizeof buf) >= 0) {
                        char *save = NULL;
                        for (char *w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
                                for (unsigned bit = 1; bit <= CG_MISC; bit <<= 1)
                                        if (strcmp(w, cgroup_controller_name(bit)) == 0)
                                                cg->v2_mask |= bit;
                }
        }
        for (int i = 0; i < n && cg->n_v1 < CGROUP_V1_MAX; i++) {
                unsigned mask = hs[i].v2 ? 0 : v1_mask_of(hs[i].ctrls);
                if (!mask)
                        continue;
                struct cgroup_v1 *h = &cg->v1[cg->n_v1++];
                *h = (struct cgroup_v1) { .mask = mask, .fd = -1 };
                _Static_assert(sizeof h->mount == sizeof hs[i].mount && sizeof h->ctrls == sizeof hs[i].ctrls, "");
                memcpy(h->mount, hs[i].mount, sizeof h->mount);
                memcpy(h->ctrls, hs[i].ctrls, sizeof h->ctrls);
        }
}

/* Which driver serves CG_* `bit`: 2, 1, or 0 for none. */
static int served_by(const struct cgroup *cg, unsigned bit)
{
        if (cg->mount[0] && (cg->v2_mask & bit))
                return 2;
        int c = v1_of(bit);
        return c >= 0 && v1_for(cg, c) ? 1 : 0;
}

/* Whether `path` is `top` or below it. */
static bool within(const char *path, const char *top)
{
        size_t n = strlen(top);
        return strncmp(path, top, n) == 0 && (path[n] == '/' || !path[n]);
}

/* Cgroups that belong to the machine's own control process: never touched. */
static const char *const protected_cgroups[] = { "/process_api" };

/* Never take the caller's own cgroup, nor one above it (killing or limiting
 * it would hit the caller): a relative cgroupsPath goes under /carrel, an
 * absolute one must not be on the caller's way up. */
static int guard(const char *path, const char *self, const char *where, struct carrel_error *err)
{
        if (strcmp(self, "/") != 0 && within(self, path))
                return carrel_error_set(err, EPERM, "linux.cgroupsPath: %s is %s the cgroup carrel itself runs in "
                                        "(%s in %s); choose another path", path, strcmp(self, path) ? "above" : "exactly",
                                        self, where);
        for (size_t i = 0; i < ARRAY_SIZE(protected_cgroups); i++)
                if (within(path, protected_cgroups[i]))
                        return carrel_error_set(err, EPERM, "linux.cgroupsPath: %s is in %s, which belongs to the "
                                                "machine's control process, like the cgroup carrel itself runs in; "
                                                "choose another path", path, protected_cgroups[i]);
        return 0;
}

static int check_paths(const char *path, struct carrel_error *err)
{
        struct cgroupfs_hier hs[CGROUPFS_MAX];
        int n = cgroupfs_hierarchies(hs, CGROUPFS_MAX);
        for (int i = 0; i < n; i++) {
                char self[PATH_MAX];
                int r;
                if (cgroupfs_self_path(&hs[i], self, sizeof self) == 0 &&
                    (r = guard(path, self, hs[i].mount, err)) < 0)
                        return r;
        }
        return 0;
}

/* The controllers the resources need, the unified files aside. */
static unsigned needed_without_unified(const struct spec_resources *r)
{
        struct spec_resources copy = *r;
        copy.n_unified = 0;
        return cgroup_controllers_needed(&copy);
}

/* Every field of `r` must have a driver; the names of v2's own error when
 * the host has only cgroup v2. */
static int check_served(const struct cgroup *cg, const struct spec_resources *r, const char *verb,
                        struct carrel_error *err)
{
        unsigned need = needed_without_unified(r);
        if (r->n_unified)
                need |= cgroup_controllers_needed(r) & ~needed_without_unified(r);
        for (unsigned bit = 1; bit <= CG_MISC; bit <<= 1) {
                if (!(need & bit) || served_by(cg, bit))
                        continue;
                if (!cg->n_v1 && verb)
                        return carrel_error_set(err, ENOTSUP, "%s: the cgroup has no \"%s\" controller", verb,
                                                cgroup_controller_name(bit));
                if (!cg->n_v1)
                        return carrel_error_set(err, ENOTSUP, "linux.resources needs the cgroup v2 \"%s\" controller, "
                                                "which %s does not offer", cgroup_controller_name(bit), cg->mount);
                return carrel_error_set(err, ENOTSUP, "linux.resources needs the \"%s\" controller, which no mounted "
                                        "cgroup hierarchy offers (neither %s nor a v1 hierarchy)",
                                        cgroup_controller_name(bit), cg->mount[0] ? cg->mount : "cgroup2");
        }
        if (r->n_unified && !cg->mount[0])
                return carrel_error_set(err, ENOTSUP, "invalid configuration: linux.resources.unified.%s: cgroup v2 "
                                        "unified resources need a cgroup v2 hierarchy, which this host does not have",
                                        r->unified[0].key);
        /* On a hybrid host, a key of a controller that v1 serves has nowhere to go. */
        for (size_t i = 0; cg->n_v1 && i < r->n_unified; i++) {
                unsigned bit = cgroup_controller_of_file(r->unified[i].key);
                if (bit && served_by(cg, bit) != 2)
                        return carrel_error_set(err, ENOTSUP, "invalid configuration: linux.resources.unified.%s: the "
                                                "\"%s\" controller is on cgroup v1 on this host, not on the cgroup v2 "
                                                "hierarchy %s", r->unified[i].key, cgroup_controller_name(bit),
                                                cg->mount);
        }
        if (r->has_network && cg->n_v1) {
                if (r->has_net_classid && !v1_for(cg, CG1_NET_CLS))
                        return carrel_error_set(err, ENOTSUP, "linux.resources.network.classID needs the cgroup v1 "
                                                "\"net_cls\" controller, which is not mounted");
                if (r->n_net_prios && !v1_for(cg, CG1_NET_PRIO))
                        return carrel_error_set(err, ENOTSUP, "linux.resources.network.priorities needs the cgroup v1 "
                                                "\"net_prio\" controller, which is not mounted");
        }
        return 0;
}

/* Write `r` through the driver of each controller. */
static int apply(const struct cgroup *cg, const struct spec_resources *r, bool update, struct carrel_error *err)
{
        unsigned v2 = 0, v1 = 0;
        for (unsigned bit = 1; bit <= CG_MISC; bit <<= 1)
                *(served_by(cg, bit) == 2 ? &v2 : &v1) |= bit;
        if (!cg->n_v1) /* pure v2: everything goes there, as it always did */
                return cgroup_resources_apply(cg->fd, r, update, err);
        struct spec_resources part;
        int rc;
        if (cg->fd >= 0) {
                cgroup_resources_select(r, v2, true, &part);
                if ((rc = cgroup_resources_apply(cg->fd, &part, update, err)) < 0)
                        return rc;
        }
        int fds[CG1__COUNT];
        for (int c = 0; c < CG1__COUNT; c++) {
                struct cgroup_v1 *h = v1_for(cg, c);
                fds[c] = h ? h->fd : -1;
        }
        cgroup_resources_select(r, v1 | CG_NET, false, &part);
        return cgroup_v1_resources_apply(fds, &part, update, err);
}

static void log_drivers(const struct cgroup *cg)
{
        if (!log_debug_enabled())
                return;
        json_t *d = cgroup_drivers_json();
        char *text = json_dumps(d, JSON_COMPACT);
        log_debug("cgroup %s: drivers %s", cg->path, text ? text : "?");
        free(text);
        json_decref(d);
}

/* Send `sig` to every process listed in the cgroup at `fd` (and below it).
 * 0, or -errno when the list cannot be read. */
static int signal_listed(int fd, int sig)
{
        pid_t *pids;
        size_t n;
        int r = cgroup_read_pids(fd, &pids, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                int pfd = sys_pidfd_open(pids[i], 0);
                if (pfd >= 0) {
                        sys_pidfd_send_signal(pfd, sig, NULL, 0);
                        close(pfd);
                }
        }
        free(pids);
        return 0;
}

/* rmdir answers EBUSY while a killed process is still tearing itself down
 * (cgroup.procs already hides it) or one got in since the kill: kill what
 * is listed and try again, for up to about five seconds. */
static int remove_dir(int fd, const char *mount, const char *path, struct carrel_error *err)
{
        char full[PATH_MAX + 128];
        snprintf(full, sizeof full, "%s%s", mount, path);
        /* a v1 cpu cgroup's real-time budget goes back to its parents */
        long long rt_share = cgroup_v1_rt_share(fd);
        _cleanup_close_ int parent = rt_share > 0 ? openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        long delay_ms = 5;
        for (int spent = 0;; spent += delay_ms, delay_ms = delay_ms < 200 ? delay_ms * 2 : 200) {
                cgroup_remove_children(fd, 0);
                /* a removed cgroup's budget still counts until the kernel
                 * frees it: drop it first */
                if (parent >= 0)
                        write_file_at(fd, "cpu.rt_runtime_us", "0");
                if (rmdir(full) == 0) {
                        if (parent >= 0)
                                cgroup_v1_rt_give_back(parent, rt_share);
                        return 0;
                }
                if (errno == ENOENT)
                        return 0;
                if (errno != EBUSY || spent >= 5000)
                        break;
                signal_listed(fd, SIGKILL);
                nanosleep(&(struct timespec) { 0, delay_ms * 1000000L }, NULL);
        }
        int e = errno;
        pid_t *pids = NULL;
        size_t n = 0;
        if (e == EBUSY && cgroup_read_pids(fd, &pids, &n) == 0 && n) {
                int r = carrel_error_errno(err, e, "cannot remove the cgroup %s: %zu process%s still in it "
                                           "(pid %d)", full, n, n == 1 ? "" : "es", (int) pids[0]);
                free(pids);
                return r;
        }
        free(pids);
        return carrel_error_errno(err, e, "cannot remove the cgroup %s", full);
}

static bool use_systemd;
static bool denied(int r);
static unsigned v1_needed(const struct cgroup *cg, const struct spec_resources *r);

void cgroup_use_systemd(bool on)
{
        use_systemd = on;
}

/* A cgroupsPath of the form slice:prefix:name asks for systemd too. */
static bool wants_systemd(const char *cgroups_path)
{
        return use_systemd || (cgroups_path && cgroups_path[0] != '/' && strchr(cgroups_path, ':'));
}

/* The systemd driver: ask for the scope now; cgroup_enter starts it with
 * the init in it, and fills it through the v2/v1 writers. */
static int create_systemd(const struct spec *s, const char *id, struct cgroup *ret, struct carrel_error *err)
{
        int r;
        if (s->resources && (r = check_served(ret, s->resources, NULL, err)) < 0)
                return r;
        if (!(ret->sd = calloc(1, sizeof *ret->sd)))
                return carrel_error_set(err, ENOMEM, "out of memory");
        if ((r = cgroup_systemd_prepare(ret->sd, s, id, ret->path, sizeof ret->path, err)) < 0 ||
            (r = check_paths(ret->path, err)) < 0) {
                cgroup_close(ret);
                return r;
        }
        ret->sd->pending = true;
        if (s->resources) {
                ret->sd->res = *s->resources;
                ret->sd->has_res = true;
        }
        ret->created = true;
        ret->made_v1 = ret->sd->user ? CG_MADE_SYSTEMD_USER : CG_MADE_SYSTEMD;
        log_debug("cgroup %s: systemd scope %s in %s (%s bus)", ret->path, ret->sd->unit, ret->sd->slice,
                  ret->sd->user ? "user" : "system");
        return 0;
}

/* The scope exists with `pid` in it: open its directories (making the ones
 * systemd left out in v1 hierarchies) and write the limits and device rules. */
static int start_systemd(struct cgroup *cg, pid_t pid, struct carrel_error *err)
{
        struct cgroup_systemd *sd = cg->sd;
        int r = cgroup_systemd_start(sd, sd->has_res ? &sd->res : NULL, pid, err);
        if (r < 0)
                return r;
        sd->pending = false;
        char full[PATH_MAX + 128], buf[32];
        snprintf(buf, sizeof buf, "%d", (int) pid);
        if (cg->mount[0]) {
                snprintf(full, sizeof full, "%s%s", cg->mount, cg->path);
                if ((cg->fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
                        return carrel_error_errno(err, errno, "systemd started %s, but its cgroup %s is not there",
                                                  sd->unit, full);
        }
        /* v1 hierarchies systemd did not delegate (a user instance gets none):
         * made here, or, rootless, left out unless a limit needs them. */
        unsigned need_v1 = v1_needed(cg, sd->has_res ? &sd->res : NULL);
        size_t kept = 0, n_v1 = cg->n_v1;
        for (size_t i = 0; i < n_v1; i++) {
                struct cgroup_v1 h = cg->v1[i];
                struct carrel_error why = { 0 };
                r = cgroup_v1_make(&h, cg->path, &why);
                if (r < 0 && proc_rootless() && denied(r) && !(h.mask & need_v1))
                        continue;
                if (r == 0)
                        cg->made_v1 |= h.made ? h.mask : 0;
                cg->v1[kept++] = h;
                cg->n_v1 = kept; /* what cgroup_destroy cleans up */
                if (r < 0)
                        return carrel_error_set(err, why.code, "%s", why.msg);
                if ((r = write_file_at(h.fd, "cgroup.procs", buf)) < 0)
                        return carrel_error_set(err, -r, "cannot move the init into %s%s: %s", h.mount, cg->path,
                                                strerror(-r));
        }
        cg->n_v1 = kept;
        if (sd->has_res && (r = apply(cg, &sd->res, false, err)) < 0)
                return r;
        if (sd->has_rules) {
                r = cgroup_devices_apply(cg, sd->rules, sd->n_rules, err);
                if (r < 0 && sd->has_res && sd->res.has_devices)
                        return r;
        }
        return 0;
}

/* An unprivileged caller (rootless) may lack the right to make a cgroup in a
 * hierarchy: that one is left out unless a limit needs it. */
static bool denied(int r)
{
        return r == -EACCES || r == -EPERM || r == -EROFS;
}

static int rootless_refused(const char *what, const char *where, const struct carrel_error *why,
                            struct carrel_error *err)
{
        return carrel_error_set(err, EPERM, "linux.resources needs %s, which carrel cannot enforce unprivileged "
                                "(uid %u): %s; run as root, use --systemd-cgroup with a systemd user session, set "
                                "linux.cgroupsPath to a cgroup delegated to uid %u in %s, or drop linux.resources",
                                what, (unsigned) geteuid(), why->msg, (unsigned) geteuid(), where);
}

/* The v1 controllers (CG1_* bits) linux.resources needs on `cg`. */
static unsigned v1_needed(const struct cgroup *cg, const struct spec_resources *r)
{
        if (!r)
                return 0;
        unsigned need = cgroup_controllers_needed(r), m = 0;
        for (unsigned bit = 1; bit <= CG_MISC; bit <<= 1)
                if ((need & bit) && served_by(cg, bit) == 1)
                        m |= 1U << v1_of(bit);
        if (r->has_net_classid)
                m |= 1U << CG1_NET_CLS;
        if (r->n_net_prios)
                m |= 1U << CG1_NET_PRIO;
        if (r->has_devices)
                m |= 1U << CG1_DEVICES;
        return m;
}

int cgroup_create(const struct spec *s, const char *id, struct cgroup *ret, struct carrel_error *err)
{
        int r;
        bool rootless = proc_rootless();
        *ret = (struct cgroup) CGROUP_INIT;
        discover(ret, NULL);
        if (!ret->mount[0] && !ret->n_v1) {
                if (s->resources && cgroup_controllers_needed(s->resources))
                        return carrel_error_set(err, ENOTSUP, "linux.resources: this host has no cgroup hierarchy");
                *ret = (struct cgroup) CGROUP_INIT;
                return 0; /* nothing to track with: run without a cgroup */
        }
        if (wants_systemd(s->cgroups_path))
                return create_systemd(s, id, ret, err);
        if ((r = cgroup_path_for(s->cgroups_path, id, ret->path, sizeof ret->path, err)) < 0 ||
            (r = check_paths(ret->path, err)) < 0 ||
            (s->resources && (r = check_served(ret, s->resources, NULL, err)) < 0))
                goto fail;
        log_drivers(ret);
        unsigned need_v1 = v1_needed(ret, s->resources);
        if (ret->mount[0]) {
                _cleanup_close_ int root = open(ret->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (root < 0) {
                        r = carrel_error_errno(err, errno, "cannot open %s", ret->mount);
                        goto fail;
                }
                unsigned need = s->resources ? cgroup_controllers_needed(s->resources) & ret->v2_mask : 0;
                bool needed = need || (s->resources && s->resources->n_unified);
                char self[PATH_MAX] = "/";
                cgroup2_self_path(self, sizeof self);
                struct carrel_error why = { 0 };
                int fd = cgroup_v2_make(root, ret->path, need, ret->n_v1 ? self : NULL, &ret->created, &why);
                if (fd < 0 && rootless && denied(fd) && !needed) {
                        log_debug("rootless: no cgroup in %s: %s", ret->mount, why.msg);
                        ret->mount[0] = '\0';
                        ret->v2_mask = 0;
                } else if (fd < 0 && rootless && denied(fd)) {
                        r = rootless_refused("the cgroup v2 hierarchy", ret->mount, &why, err);
                        goto fail;
                } else if (fd < 0) {
                        r = carrel_error_set(err, why.code, "%s", why.msg);
                        goto fail;
                } else
                        ret->fd = fd;
                /* A cgroup that holds processes is shared, as runc allows, with a
                 * warning: delete leaves it and what else runs in it. */
                if (fd >= 0 && !ret->created && cgroup_v2_populated(fd))
                        ret->shared = true;
        }
        size_t kept = 0, n_v1 = ret->n_v1;
        for (size_t i = 0; i < n_v1; i++) {
                struct cgroup_v1 *h = &ret->v1[kept];
                char procs[16];
                struct carrel_error why = { 0 };
                if (kept != i)
                        *h = ret->v1[i];
                if ((r = cgroup_v1_make(h, ret->path, &why)) < 0 && rootless && denied(r) && !(h->mask & need_v1)) {
                        log_debug("rootless: no cgroup in %s: %s", h->mount, why.msg);
                        continue;
                }
                ret->n_v1 = ++kept; /* what `fail` cleans up */
                if (r < 0) {
                        r = rootless && denied(r) ? rootless_refused("a cgroup v1 controller", h->mount, &why, err)
                                                  : carrel_error_set(err, why.code, "%s", why.msg);
                        goto fail;
                }
                if (h->made)
                        ret->made_v1 |= h->mask;
                if (!h->made && read_file_at(h->fd, "cgroup.procs", procs, sizeof procs) > 0)
                        ret->shared = true;
        }
        ret->n_v1 = kept;
        /* A frozen cgroup would hold the init before it ran anything (runc refuses it too). */
        if (cgroup_active(ret) && cgroup_frozen(ret)) {
                r = carrel_error_set(err, EBUSY, "container's cgroup unexpectedly frozen: %s (thaw it, or give "
                                     "another linux.cgroupsPath)", ret->path);
                goto fail;
        }
        if (ret->shared) {
                pid_t *pids = NULL;
                size_t n = 0;
                cgroup_pids(ret, &pids, &n);
                free(pids);
                log_warning("container's cgroup is not empty: %zu process(es) found in %s; it is shared, and delete "
                            "leaves it and the others' processes", n, ret->path);
        }
        if (!cgroup_active(ret)) { /* rootless, and no limit needs one */
                *ret = (struct cgroup) CGROUP_INIT;
                return 0;
        }
        if (s->resources && (r = apply(ret, s->resources, false, err)) < 0)
                goto fail;
        return 0;
fail:
        /* Nothing of ours runs in it yet, and what does is someone else's:
         * remove only the directories made here (rmdir fails on a busy one). */
        if (ret->created && ret->fd >= 0)
                remove_dir(ret->fd, ret->mount, ret->path, NULL);
        for (size_t i = 0; i < ret->n_v1; i++)
                if (ret->v1[i].made && ret->v1[i].fd >= 0)
                        remove_dir(ret->v1[i].fd, ret->v1[i].mount, ret->path, NULL);
        cgroup_close(ret);
        *ret = (struct cgroup) CGROUP_INIT;
        return r;
}

void cgroup_plan(const struct spec *s, const char *id, struct cgroup *ret)
{
        *ret = (struct cgroup) CGROUP_INIT;
        if (wants_systemd(s->cgroups_path) || cgroup_path_for(s->cgroups_path, id, ret->path, sizeof ret->path, NULL) < 0) {
                ret->path[0] = '\0';
                return;
        }
        discover(ret, NULL);
        char full[PATH_MAX + 128];
        if (ret->mount[0]) {
                snprintf(full, sizeof full, "%s%s", ret->mount, ret->path);
                ret->created = access(full, F_OK) < 0 && errno == ENOENT;
        }
        for (size_t i = 0; i < ret->n_v1; i++) {
                snprintf(full, sizeof full, "%s%s", ret->v1[i].mount, ret->path);
                if (access(full, F_OK) < 0 && errno == ENOENT)
                        ret->made_v1 |= ret->v1[i].mask;
        }
        ret->n_v1 = 0; /* a plan holds no open hierarchy */
}

int cgroup_open(const char *mount, const char *path, struct cgroup *ret)
{
        *ret = (struct cgroup) CGROUP_INIT;
        discover(ret, mount);
        snprintf(ret->path, sizeof ret->path, "%s", path);
        char full[PATH_MAX + 128];
        size_t len = strlen(path);
        bool scope = len > 6 && strcmp(path + len - 6, ".scope") == 0;
        if (ret->mount[0]) {
                snprintf(full, sizeof full, "%s%s", ret->mount, path);
                ret->fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                /* A systemd scope goes when its last process does; delete still
                 * resets a failed one (cgroup_destroy, with the state's made_v1).
                 * A delete killed half-way may have removed the unified one
                 * and left v1 ones: those are still opened below. */
                if (ret->fd < 0 && errno != ENOENT)
                        return -errno;
        }
        /* The v1 hierarchies it is in (a hierarchy mounted since is left out). */
        size_t kept = 0;
        for (size_t i = 0; i < ret->n_v1; i++) {
                struct cgroup_v1 h = ret->v1[i];
                snprintf(full, sizeof full, "%s%s", h.mount, path);
                h.fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (h.fd >= 0)
                        ret->v1[kept++] = h;
        }
        ret->n_v1 = kept;
        if (ret->fd < 0 && !kept && !scope)
                return -ENOENT;
        return 0;
}

void cgroup_close(struct cgroup *cg)
{
        if (cg->sd) {
                free(cg->sd->rules);
                free(cg->sd);
                cg->sd = NULL;
        }
        if (cg->fd >= 0)
                close(cg->fd);
        cg->fd = -1;
        for (size_t i = 0; i < cg->n_v1; i++) {
                if (cg->v1[i].fd >= 0)
                        close(cg->v1[i].fd);
                cg->v1[i].fd = -1;
        }
}

bool cgroup_active(const struct cgroup *cg)
{
        return cg->fd >= 0 || (cg->n_v1 && cg->v1[0].fd >= 0) || (cg->sd && cg->sd->pending);
}

int cgroup_clone_fd(const struct cgroup *cg)
{
        return cg->fd;
}

bool cgroup_clone_places_fully(const struct cgroup *cg)
{
        return cg->n_v1 == 0 && !(cg->sd && cg->sd->pending);
}

int cgroup_enter(const struct cgroup *cg, pid_t pid, struct carrel_error *err)
{
        if (cg->sd && cg->sd->pending)
                return start_systemd((struct cgroup *) cg, pid, err);
        char buf[32];
        snprintf(buf, sizeof buf, "%d", (int) pid);
        int r = cg->fd >= 0 ? write_file_at(cg->fd, "cgroup.procs", buf) : 0;
        if (r < 0)
                return carrel_error_set(err, -r, "cannot move the init into %s: %s", cg->path, strerror(-r));
        for (size_t i = 0; i < cg->n_v1; i++)
                if ((r = write_file_at(cg->v1[i].fd, "cgroup.procs", buf)) < 0)
                        return carrel_error_set(err, -r, "cannot move the init into %s%s: %s", cg->v1[i].mount,
                                                cg->path, strerror(-r));
        return 0;
}

bool cgroup_frozen(const struct cgroup *cg)
{
        struct cgroup_v1 *freezer = v1_for(cg, CG1_FREEZER);
        return freezer ? cgroup_v1_frozen(freezer) : cgroup_v2_frozen(cg->fd);
}

int cgroup_freeze(const struct cgroup *cg, bool frozen, struct carrel_error *err)
{
        struct cgroup_v1 *freezer = v1_for(cg, CG1_FREEZER);
        if (freezer)
                return cgroup_v1_freeze(freezer, cg->path, frozen, err);
        if (cg->fd < 0)
                return carrel_error_set(err, ENOTSUP, "the container has no cgroup to freeze");
        return cgroup_v2_freeze(cg, frozen, err);
}

/* The directory whose cgroup.procs lists the container's processes. */
static int procs_fd(const struct cgroup *cg)
{
        return cg->fd >= 0 ? cg->fd : cg->n_v1 ? cg->v1[0].fd : -1;
}

bool cgroup_populated(const struct cgroup *cg)
{
        if (cg->fd >= 0)
                return cgroup_v2_populated(cg->fd);
        char buf[16];
        return cg->n_v1 && read_file_at(cg->v1[0].fd, "cgroup.procs", buf, sizeof buf) > 0;
}

int cgroup_pids(const struct cgroup *cg, pid_t **ret, size_t *ret_n)
{
        return cgroup_read_pids(procs_fd(cg), ret, ret_n);
}

static int signal_each(const struct cgroup *cg, int sig, struct carrel_error *err)
{
        int r = signal_listed(procs_fd(cg), sig);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot read the processes of %s: %s", cg->path, strerror(-r));
        return 0;
}

int cgroup_signal_all(const struct cgroup *cg, int sig, struct carrel_error *err)
{
        struct cgroup_v1 *freezer = v1_for(cg, CG1_FREEZER);
        if (sig == SIGKILL && cg->fd >= 0) {
                /* A task frozen by the v1 freezer only dies once thawed. */
                if (freezer && cgroup_v1_frozen(freezer))
                        cgroup_v1_freeze(freezer, cg->path, false, NULL);
                /* Only in a cgroup that goes with the container: on some kernels
                 * a cgroup that has seen cgroup.kill SIGKILLs every child later
                 * cloned into it (CLONE_INTO_CGROUP), and one carrel did not
                 * make stays for the next container. */
                if (cg->created && write_file_at(cg->fd, "cgroup.kill", "1") == 0)
                        return 0;
        }
        if (!freezer)
                return signal_each(cg, sig, err);
        /* v1: freeze so nothing forks past the list, signal, thaw. A paused
         * container stays paused unless the signal is SIGKILL (a frozen task
         * only dies once thawed). */
        bool was = cgroup_v1_frozen(freezer);
        int r = cgroup_v1_freeze(freezer, cg->path, true, err);
        if (r == 0)
                r = signal_each(cg, sig, err);
        if (!was || sig == SIGKILL)
                cgroup_v1_freeze(freezer, cg->path, false, NULL);
        return r;
}

/* Wait until no process is left, for up to `ms`. */
static int wait_empty(const struct cgroup *cg, int ms)
{
        if (cg->fd >= 0)
                return cgroup_v2_wait_empty(cg->fd, ms);
        for (int spent = 0; spent < ms; spent += 20) {
                if (!cgroup_populated(cg))
                        return 0;
                nanosleep(&(struct timespec) { 0, 20 * 1000000L }, NULL);
        }
        return -ETIMEDOUT;
}


/* The systemd unit of a container of the systemd driver: its scope is the
 * last component of the path. */
static const char *unit_of(const struct cgroup *cg, bool *user)
{
        *user = (cg->made_v1 & CG_MADE_SYSTEMD_USER) != 0;
        if (!(cg->made_v1 & (CG_MADE_SYSTEMD | CG_MADE_SYSTEMD_USER)))
                return NULL;
        const char *slash = strrchr(cg->path, '/');
        return slash ? slash + 1 : NULL;
}

int cgroup_destroy(struct cgroup *cg, struct carrel_error *err)
{
        bool user;
        const char *unit = unit_of(cg, &user);
        if (unit && cg->sd && cg->sd->pending) /* never started */
                unit = NULL;
        if (unit && !cgroup_active(cg)) {
                int r = cgroup_systemd_stop(unit, user, err);
                cgroup_close(cg);
                return r;
        }
        if (!cgroup_active(cg))
                return 0;
        int r = 0;
        if (cgroup_populated(cg)) {
                /* A frozen cgroup must thaw for its processes to die. */
                struct cgroup_v1 *freezer = v1_for(cg, CG1_FREEZER);
                if (cg->fd >= 0)
                        write_file_at(cg->fd, "cgroup.freeze", "0");
                if (freezer && freezer->fd >= 0)
                        cgroup_v1_freeze(freezer, cg->path, false, NULL);
                cgroup_signal_all(cg, SIGKILL, NULL);
                if (wait_empty(cg, 10000) < 0)
                        r = carrel_error_set(err, EBUSY, "processes in %s did not die", cg->path);
        }
        /* systemd removes the scope's cgroup (and what carrel made below it). */
        if (r == 0 && unit) {
                char name[256];
                snprintf(name, sizeof name, "%s", unit);
                if (cg->fd >= 0)
                        cgroup_remove_children(cg->fd, 0);
                r = cgroup_systemd_stop(name, user, err);
        }
        /* The v1 ones first, the unified one last: a delete killed half-way
         * leaves what the next one finds from the unified cgroup. */
        int v1_r = 0;
        for (size_t i = 0; r == 0 && i < cg->n_v1; i++)
                if ((cg->v1[i].made || (cg->v1[i].mask & cg->made_v1)) && cg->v1[i].fd >= 0) {
                        /* the others still go; the first error is the one kept */
                        int e = remove_dir(cg->v1[i].fd, cg->v1[i].mount, cg->path, err);
                        if (!v1_r)
                                v1_r = e;
                }
        if (v1_r)
                r = v1_r;
        else if (r == 0 && !unit && cg->created && cg->fd >= 0)
                r = remove_dir(cg->fd, cg->mount, cg->path, err);
        cgroup_close(cg);
        return r;
}

int cgroup_update(const struct cgroup *cg, const struct spec_resources *r, struct carrel_error *err)
{
        int rc = check_served(cg, r, "update", err);
        if (rc < 0)
                return rc;
        /* A systemd scope: the unit's properties too, or systemd would put
         * its own values back (on daemon-reload). */
        size_t len = strlen(cg->path);
        if (len > 6 && strcmp(cg->path + len - 6, ".scope") == 0) {
                const char *unit = strrchr(cg->path, '/') + 1;
                struct carrel_error sd_err = { 0 };
                if (cgroup_systemd_set(unit, proc_rootless(), r, &sd_err) < 0)
                        log_debug("update: %s", sd_err.msg);
        }
        return apply(cg, r, true, err);
}

int cgroup_devices_apply(const struct cgroup *cg, const struct spec_device_rule *rules, size_t n,
                         struct carrel_error *err)
{
        if (cg->sd && cg->sd->pending) {
                free(cg->sd->rules);
                cg->sd->rules = n ? malloc(n * sizeof *rules) : NULL;
                if (n && !cg->sd->rules)
                        return carrel_error_set(err, ENOMEM, "out of memory");
                if (n)
                        memcpy(cg->sd->rules, rules, n * sizeof *rules);
                cg->sd->n_rules = n;
                cg->sd->has_rules = true;
                return 0;
        }
        struct cgroup_v1 *devices = v1_for(cg, CG1_DEVICES);
        if (devices)
                return cgroup_v1_devices_apply(devices->fd, rules, n, err);
        if (cg->fd < 0)
                return carrel_error_set(err, ENOTSUP, "linux.resources.devices: no devices cgroup to enforce them in");
        struct devices_prog prog;
        if (devices_prog_build(rules, n, &prog) < 0)
                return carrel_error_set(err, ENOMEM, "out of memory");
        int r = devices_prog_attach(cg->fd, &prog, err);
        devices_prog_free(&prog);
        return r;
}

json_t *cgroup_stats(const struct cgroup *cg)
{
        if (!cg->n_v1)
                return cgroup_stats_json(cg->fd);
        int fds[CG1__COUNT];
        for (int c = 0; c < CG1__COUNT; c++) {
                struct cgroup_v1 *h = v1_for(cg, c);
                fds[c] = h ? h->fd : -1;
        }
        json_t *o = cgroup_v1_stats_json(fds);
        if (cg->fd >= 0 && (cg->v2_mask & CG_HUGETLB)) {
                json_t *v2 = cgroup_stats_json(cg->fd);
                json_object_set(o, "hugetlb", json_object_get(v2, "hugetlb"));
                json_decref(v2);
        }
        return o;
}

long long cgroup_oom_count(const struct cgroup *cg)
{
        if (served_by(cg, CG_MEMORY) == 2 || !cg->n_v1)
                return cgroup_oom_kills(cg->fd);
        struct cgroup_v1 *memory = v1_for(cg, CG1_MEMORY);
        return memory ? cgroup_v1_oom_kills(memory->fd) : -1;
}

json_t *cgroup_drivers_json(void)
{
        struct cgroup cg = CGROUP_INIT;
        discover(&cg, NULL);
        json_t *o = json_object();
        for (int c = 0; c < CG1__COUNT; c++) {
                const char *name = c == CG1_NAMED ? "name=systemd" : cgroup_v1_name(c);
                unsigned v2bit = 0;
                for (unsigned bit = 1; bit <= CG_MISC; bit <<= 1)
                        if (v1_of(bit) == c)
                                v2bit = bit;
                /* cgroup v2 does cpuacct, devices and freezer in its core and in eBPF. */
                bool v2core = c == CG1_CPUACCT || c == CG1_DEVICES || c == CG1_FREEZER;
                if (v1_for(&cg, c) && !(v2bit && (cg.v2_mask & v2bit)))
                        json_object_set_new(o, name, json_string("v1"));
                else if (cg.mount[0] && ((v2bit && (cg.v2_mask & v2bit)) || v2core))
                        json_object_set_new(o, c == CG1_BLKIO ? "io" : name, json_string("v2"));
        }
        return o;
}
