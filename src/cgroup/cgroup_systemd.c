/* The systemd cgroup driver: systemd makes the container's cgroup, a
 * transient scope with Delegate=yes, over D-Bus (sd-bus); the system
 * instance for root, the caller's user instance for rootless. The limits
 * systemd has properties for are set on the unit, and all of them are also
 * written into the delegated cgroup by the v2/v1 writers (as runc does), so
 * a field without a property still applies. cgroup.c decides when this
 * driver serves a container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "cgroup/systemd_props.h"
#include "util/log.h"
#include "util/proc.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

struct job_wait {
        const char *job;
        char result[32];
        bool done;
};

static const char *bus_name(bool user)
{
        return user ? "user" : "system";
}

static int bus_open(bool user, sd_bus **ret, struct carrel_error *err)
{
        int r = user ? sd_bus_open_user(ret) : sd_bus_open_system(ret);
        if (r < 0)
                return carrel_error_set(err, EHOSTDOWN, "the systemd cgroup driver found no systemd: cannot connect to "
                                        "the %s bus (%s)%s; run without --systemd-cgroup and with a plain "
                                        "linux.cgroupsPath to use the cgroupfs driver", bus_name(user), strerror(-r),
                                        user ? " (a rootless caller needs a systemd user session: "
                                               "DBUS_SESSION_BUS_ADDRESS or XDG_RUNTIME_DIR/bus)" : "");
        return 0;
}

static int on_job_removed(sd_bus_message *m, void *data, sd_bus_error *e)
{
        struct job_wait *w = data;
        uint32_t id;
        const char *path, *unit, *result;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0 || !w->job || strcmp(path, w->job) != 0)
                return 0;
        snprintf(w->result, sizeof w->result, "%s", result);
        w->done = true;
        return 0;
}

/* Call Manager.`method` (whose reply is a job), and wait for the job. */
static int run_job(sd_bus *bus, sd_bus_message *m, const char *what, struct carrel_error *err)
{
        struct job_wait w = { 0 };
        sd_bus_slot *slot = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
        if (r >= 0)
                sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, ""); /* may be subscribed */
        if (r >= 0 && (r = sd_bus_call(bus, m, 0, &e, &reply)) < 0) {
                r = carrel_error_set(err, -r, "%s: %s", what, e.message ? e.message : strerror(-r));
                goto out;
        }
        if (r >= 0 && (r = sd_bus_message_read(reply, "o", &w.job)) >= 0) {
                struct timespec t0, now;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                while (!w.done) {
                        if ((r = sd_bus_process(bus, NULL)) < 0)
                                break;
                        if (r > 0)
                                continue;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        if (now.tv_sec - t0.tv_sec > 30) {
                                r = carrel_error_set(err, ETIMEDOUT, "%s: systemd did not finish the job %s in 30s",
                                                     what, w.job);
                                goto out;
                        }
                        sd_bus_wait(bus, 1000000);
                }
        }
        if (r < 0)
                r = carrel_error_set(err, -r, "%s: %s", what, strerror(-r));
        else if (strcmp(w.result, "done") != 0)
                r = carrel_error_set(err, EIO, "%s: the systemd job ended \"%s\" (see journalctl)", what, w.result);
out:
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        sd_bus_slot_unref(slot);
        return r < 0 ? r : 0;
}

static int append_props(sd_bus_message *m, const struct sd_props *p)
{
        int r = 0;
        for (size_t i = 0; i < p->n && r >= 0; i++) {
                const struct sd_prop *q = &p->p[i];
                if (q->type == SD_U64) {
                        r = sd_bus_message_append(m, "(sv)", q->name, "t", q->u);
                        continue;
                }
                if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
                    (r = sd_bus_message_append(m, "s", q->name)) < 0 ||
                    (r = sd_bus_message_open_container(m, 'v', "ay")) < 0 ||
                    (r = sd_bus_message_append_array(m, 'y', q->bytes, q->n_bytes)) < 0 ||
                    (r = sd_bus_message_close_container(m)) < 0)
                        return r;
                r = sd_bus_message_close_container(m);
        }
        return r;
}

int cgroup_systemd_prepare(struct cgroup_systemd *sd, const struct spec *s, const char *id, char *path,
                           size_t path_size, struct carrel_error *err)
{
        sd->user = proc_rootless();
        int r = systemd_unit_for(s->cgroups_path, id, sd->user ? "user.slice" : "system.slice", sd->slice,
                                 sizeof sd->slice, sd->unit, sizeof sd->unit, err);
        char slice_path[1024];
        if (r < 0 || (r = systemd_slice_path(sd->slice, slice_path, sizeof slice_path, err)) < 0)
                return r;
        struct sd_props props;
        if ((r = systemd_resource_props(s->resources, &props, err)) < 0)
                return r;
        sd_bus *bus = NULL;
        if ((r = bus_open(sd->user, &bus, err)) < 0)
                return r;
        /* Where the manager's units live: "/" for the system instance,
         * /user.slice/user-UID.slice/user@UID.service for a user's. */
        char *top = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        r = sd_bus_get_property_string(bus, SD_DEST, SD_PATH, SD_MANAGER, "ControlGroup", &e, &top);
        if (r < 0)
                r = carrel_error_set(err, -r, "the systemd cgroup driver: cannot read the %s manager's ControlGroup: %s",
                                     bus_name(sd->user), e.message ? e.message : strerror(-r));
        else if ((size_t) snprintf(path, path_size, "%s%s/%s", strcmp(top, "/") == 0 ? "" : top, slice_path,
                                   sd->unit) >= path_size)
                r = carrel_error_set(err, ENAMETOOLONG, "the scope's cgroup path is too long");
        free(top);
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return r < 0 ? r : 0;
}

int cgroup_systemd_start(const struct cgroup_systemd *sd, const struct spec_resources *res, pid_t pid,
                         struct carrel_error *err)
{
        struct sd_props props;
        int r = systemd_resource_props(res, &props, err);
        if (r < 0)
                return r;
        sd_bus *bus = NULL;
        if ((r = bus_open(sd->user, &bus, err)) < 0)
                return r;
        sd_bus_message *m = NULL;
        char what[600];
        snprintf(what, sizeof what, "cannot start the systemd scope %s in %s", sd->unit, sd->slice);
        char desc[320];
        snprintf(desc, sizeof desc, "carrel container %s", sd->unit);
        if ((r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit")) < 0 ||
            (r = sd_bus_message_append(m, "ss", sd->unit, "fail")) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 ||
            (r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc, "Slice", "s", sd->slice,
                                       "Delegate", "b", 1, "DefaultDependencies", "b", 0, "PIDs", "au", 1,
                                       (uint32_t) pid)) < 0 ||
            (r = append_props(m, &props)) < 0 || (r = sd_bus_message_close_container(m)) < 0 ||
            (r = sd_bus_message_append(m, "a(sa(sv))", 0)) < 0)
                r = carrel_error_set(err, -r, "%s: cannot build the D-Bus message: %s", what, strerror(-r));
        else
                r = run_job(bus, m, what, err);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        return r;
}

int cgroup_systemd_set(const char *unit, bool user, const struct spec_resources *res, struct carrel_error *err)
{
        struct sd_props props;
        int r = systemd_resource_props(res, &props, err);
        if (r < 0 || props.n == 0)
                return r;
        sd_bus *bus = NULL;
        if ((r = bus_open(user, &bus, err)) < 0)
                return r;
        sd_bus_message *m = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        if ((r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "SetUnitProperties")) < 0 ||
            (r = sd_bus_message_append(m, "sb", unit, 1)) < 0 ||
            (r = sd_bus_message_open_container(m, 'a', "(sv)")) < 0 || (r = append_props(m, &props)) < 0 ||
            (r = sd_bus_message_close_container(m)) < 0 || (r = sd_bus_call(bus, m, 0, &e, NULL)) < 0)
                r = carrel_error_set(err, -r, "cannot set the properties of %s: %s", unit,
                                     e.message ? e.message : strerror(-r));
        sd_bus_error_free(&e);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        return r < 0 ? r : 0;
}

int cgroup_systemd_stop(const char *unit, bool user, struct carrel_error *err)
{
        sd_bus *bus = NULL;
        int r = bus_open(user, &bus, err);
        if (r < 0)
                return r;
        sd_bus_message *m = NULL;
        char what[600];
        snprintf(what, sizeof what, "cannot stop the systemd scope %s", unit);
        if ((r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit")) < 0 ||
            (r = sd_bus_message_append(m, "ss", unit, "replace")) < 0)
                r = carrel_error_set(err, -r, "%s: %s", what, strerror(-r));
        else {
                struct carrel_error stop_err = { 0 };
                r = run_job(bus, m, what, &stop_err);
                /* Already gone (the last process left, and systemd stopped it): fine. */
                if (r < 0 && !strstr(stop_err.msg, "not loaded") && !strstr(stop_err.msg, "NoSuchUnit"))
                        carrel_error_set(err, stop_err.code, "%s", stop_err.msg);
                else
                        r = 0;
        }
        /* A scope that failed (say, OOM) stays loaded until reset. */
        sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL, "s", unit);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        return r;
}
