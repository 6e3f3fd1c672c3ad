#include "core/manage.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carrel/state.h"
#include "cgroup/cgroup.h"
#include "cgroup/devices_bpf.h"
#include "util/cleanup.h"
#include "util/fd.h"

/* The state and the opened cgroup of a live container. */
static int open_live(const char *root, const char *id, bool exclusive, int *ret_dirfd, struct container_state *st,
                     struct cgroup *cg, struct carrel_error *err)
{
        int r = state_dir_open(root, id, exclusive, ret_dirfd, err);
        if (r < 0)
                return r;
        if ((r = state_read(*ret_dirfd, id, st, err)) < 0)
                return r;
        state_release(st);
        if (state_status(*ret_dirfd, st) == STATUS_STOPPED)
                return carrel_error_set(err, ESRCH, "container \"%s\": container not running", id);
        if (!st->cgroup_path[0] || cgroup_open(st->cgroup_mount, st->cgroup_path, cg) < 0)
                return carrel_error_set(err, ENOTSUP, "container \"%s\" has no cgroup", id);
        return 0;
}

int container_pause(const char *root, const char *id, bool pause, struct carrel_error *err)
{
        _cleanup_close_ int dirfd = -1;
        struct container_state st;
        struct cgroup cg = CGROUP_INIT;
        int r = open_live(root, id, true, &dirfd, &st, &cg, err);
        if (r == 0 && !pause && !cgroup_frozen(&cg))
                r = carrel_error_set(err, EINVAL, "container \"%s\" is not paused", id);
        if (r == 0)
                r = cgroup_freeze(&cg, pause, err);
        cgroup_close(&cg);
        return r;
}

int container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct carrel_error *err)
{
        _cleanup_close_ int dirfd = -1;
        struct container_state st;
        struct cgroup cg = CGROUP_INIT;
        *ret = NULL;
        *ret_n = 0;
        int r = state_dir_open(root, id, false, &dirfd, err);
        if (r < 0 || (r = state_read(dirfd, id, &st, err)) < 0)
                return r;
        state_release(&st);
        /* a stopped container has none (runc prints just the header) */
        if (state_status(dirfd, &st) == STATUS_STOPPED || !st.cgroup_path[0] ||
            cgroup_open(st.cgroup_mount, st.cgroup_path, &cg) < 0) {
                *ret = calloc(1, sizeof **ret);
                return *ret ? 0 : carrel_error_set(err, ENOMEM, "out of memory");
        }
        if ((r = cgroup_pids(&cg, ret, ret_n)) < 0)
                r = carrel_error_set(err, -r, "cannot read the processes of \"%s\"", id);
        cgroup_close(&cg);
        return r;
}

int container_update(const char *root, const char *id, struct spec *s, struct carrel_error *err)
{
        _cleanup_close_ int dirfd = -1;
        struct container_state st;
        struct cgroup cg = CGROUP_INIT;
        int r = open_live(root, id, true, &dirfd, &st, &cg, err);
        if (r == 0 && s->resources)
                r = cgroup_update(&cg, s->resources, err);
        if (r == 0 && s->resources && s->resources->has_devices) {
                /* The container's own linux.devices stay allowed: read them from the bundle. */
                char cfg[PATH_MAX + 16];
                struct spec *full = NULL;
                snprintf(cfg, sizeof cfg, "%s/config.json", st.bundle);
                if (spec_load_file(cfg, &full, NULL) == 0) {
                        s->devices = full->devices;
                        s->n_devices = full->n_devices;
                }
                struct spec_device_rule *rules = NULL;
                size_t n;
                if (devices_rules_for(s, &rules, &n) < 0)
                        r = carrel_error_set(err, ENOMEM, "out of memory");
                else
                        r = cgroup_devices_apply(&cg, rules, n, err);
                free(rules);
                s->devices = NULL;
                s->n_devices = 0;
                spec_free(full);
        }
        cgroup_close(&cg);
        return r;
}

static void emit(const char *type, const char *id, json_t *data)
{
        json_t *o = json_pack("{s:s,s:s}", "type", type, "id", id);
        if (data)
                json_object_set_new(o, "data", data);
        char *text = json_dumps(o, JSON_COMPACT);
        if (text) {
                puts(text);
                fflush(stdout);
        }
        free(text);
        json_decref(o);
}

int container_events(const char *root, const char *id, bool stats_once, int interval_ms, struct carrel_error *err)
{
        _cleanup_close_ int dirfd = -1;
        struct container_state st;
        struct cgroup cg = CGROUP_INIT;
        int r = open_live(root, id, false, &dirfd, &st, &cg, err);
        if (r < 0) {
                cgroup_close(&cg);
                return r;
        }
        /* Do not hold the lock while streaming. */
        close(dirfd);
        dirfd = -1;
        if (stats_once) {
                emit("stats", id, cgroup_stats(&cg));
                cgroup_close(&cg);
                return 0;
        }
        long long ooms = cgroup_oom_count(&cg);
        for (;;) {
                emit("stats", id, cgroup_stats(&cg));
                long long now = cgroup_oom_count(&cg);
                if (now > ooms)
                        emit("oom", id, NULL);
                ooms = now;
                struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };
                nanosleep(&ts, NULL);
                if (!cgroup_populated(&cg))
                        break;
        }
        cgroup_close(&cg);
        return 0;
}
