/* A stand-in for systemd's D-Bus manager, for testing the systemd cgroup
 * driver on a host without systemd as PID 1. It serves what carrel calls
 * (StartTransientUnit, StopUnit, ResetFailedUnit, SetUnitProperties,
 * Subscribe, the ControlGroup property) on the bus it is started on, does
 * what systemd would to the cgroup (make the scope's directory below
 * $FAKE_SD_ROOT, move the PIDs in, remove it on stop), sends JobRemoved,
 * and logs every call with its properties to $FAKE_SD_LOG:
 *   start carrel-x.scope Slice=system.slice Delegate=1 PIDs=123 MemoryMax=67108864 AllowedCPUs=0x03
 * Usage: DBUS_STARTER_ADDRESS=... fake-systemd (runs until killed). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "cgroup/systemd_props.h"

#define MAX_UNITS 64
static char units[MAX_UNITS][2400]; /* "<unit>\t<cgroup dir>" of the running scopes */
static unsigned job_id;
static FILE *logf;

static char *unit_dir(const char *unit)
{
        size_t n = strlen(unit);
        for (int i = 0; i < MAX_UNITS; i++)
                if (strncmp(units[i], unit, n) == 0 && units[i][n] == '\t')
                        return units[i];
        return NULL;
}

static int mkdir_p(char *path)
{
        for (char *p = path + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        mkdir(path, 0755);
                        *p = '/';
                }
        return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

static int finish_job(sd_bus_message *call, const char *unit)
{
        char job[64];
        snprintf(job, sizeof job, "/org/freedesktop/systemd1/job/%u", ++job_id);
        int r = sd_bus_reply_method_return(call, "o", job);
        if (r >= 0)
                r = sd_bus_emit_signal(sd_bus_message_get_bus(call), "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss", job_id, job, unit,
                                       "done");
        return r;
}

/* Log the a(sv) at the read position; Slice and PIDs into the out params. */
static int read_props(sd_bus_message *m, char *slice, size_t slice_size, unsigned *pids, size_t *n_pids)
{
        int r = sd_bus_message_enter_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', "sv")) > 0) {
                const char *name, *contents;
                char type;
                if ((r = sd_bus_message_read(m, "s", &name)) < 0 ||
                    (r = sd_bus_message_peek_type(m, &type, &contents)) < 0 ||
                    (r = sd_bus_message_enter_container(m, 'v', contents)) < 0)
                        return r;
                fprintf(logf, " %s=", name);
                if (strcmp(contents, "s") == 0) {
                        const char *s;
                        sd_bus_message_read(m, "s", &s);
                        fprintf(logf, "%s", s);
                        if (strcmp(name, "Slice") == 0)
                                snprintf(slice, slice_size, "%s", s);
                } else if (strcmp(contents, "b") == 0) {
                        int b;
                        sd_bus_message_read(m, "b", &b);
                        fprintf(logf, "%d", b);
                } else if (strcmp(contents, "t") == 0) {
                        uint64_t t;
                        sd_bus_message_read(m, "t", &t);
                        fprintf(logf, t == UINT64_MAX ? "infinity" : "%llu", (unsigned long long) t);
                } else if (strcmp(contents, "au") == 0) {
                        const void *p;
                        size_t sz;
                        sd_bus_message_read_array(m, 'u', &p, &sz);
                        for (size_t i = 0; i < sz / 4; i++) {
                                fprintf(logf, "%s%u", i ? "," : "", ((const uint32_t *) p)[i]);
                                if (pids && *n_pids < 16)
                                        pids[(*n_pids)++] = ((const uint32_t *) p)[i];
                        }
                } else if (strcmp(contents, "ay") == 0) {
                        const void *p;
                        size_t sz;
                        sd_bus_message_read_array(m, 'y', &p, &sz);
                        fprintf(logf, "0x");
                        for (size_t i = 0; i < sz; i++)
                                fprintf(logf, "%02x", ((const uint8_t *) p)[i]);
                } else {
                        fprintf(logf, "(%s)", contents);
                        sd_bus_message_skip(m, contents);
                }
                sd_bus_message_exit_container(m);
                sd_bus_message_exit_container(m);
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int start_unit(sd_bus_message *m, void *data, sd_bus_error *e)
{
        const char *unit, *mode;
        char slice[256] = "system.slice", path[1024], dir[2048];
        unsigned pids[16];
        size_t n = 0;
        int r = sd_bus_message_read(m, "ss", &unit, &mode);
        if (r < 0)
                return r;
        fprintf(logf, "start %s mode=%s", unit, mode);
        r = read_props(m, slice, sizeof slice, pids, &n);
        fprintf(logf, "\n");
        fflush(logf);
        if (r < 0)
                return r;
        if (unit_dir(unit))
                return sd_bus_error_setf(e, "org.freedesktop.systemd1.UnitExists", "Unit %s already exists.", unit);
        struct carrel_error err = { 0 };
        if (systemd_slice_path(slice, path, sizeof path, &err) < 0)
                return sd_bus_error_setf(e, SD_BUS_ERROR_INVALID_ARGS, "%s", err.msg);
        snprintf(dir, sizeof dir, "%s%s/%s", getenv("FAKE_SD_ROOT"), path, unit);
        if ((r = mkdir_p(dir)) < 0)
                return sd_bus_error_set_errnof(e, -r, "mkdir %s", dir);
        for (size_t i = 0; i < n; i++) {
                char procs[2100], pid[16];
                snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
                snprintf(pid, sizeof pid, "%u", pids[i]);
                int fd = open(procs, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
                        return sd_bus_error_set_errnof(e, errno, "cannot move %s into %s", pid, dir);
                close(fd);
        }
        for (int i = 0; i < MAX_UNITS; i++)
                if (!units[i][0]) {
                        snprintf(units[i], sizeof units[i], "%s\t%s", unit, dir);
                        break;
                }
        return finish_job(m, unit);
}

static int stop_unit(sd_bus_message *m, void *data, sd_bus_error *e)
{
        const char *unit, *mode;
        int r = sd_bus_message_read(m, "ss", &unit, &mode);
        if (r < 0)
                return r;
        fprintf(logf, "stop %s mode=%s\n", unit, mode);
        fflush(logf);
        char *u = unit_dir(unit);
        if (!u)
                return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", unit);
        if (rmdir(strchr(u, '\t') + 1) < 0 && errno != ENOENT)
                return sd_bus_error_set_errnof(e, errno, "rmdir %s", strchr(u, '\t') + 1);
        u[0] = '\0';
        return finish_job(m, unit);
}

static int reset_failed(sd_bus_message *m, void *data, sd_bus_error *e)
{
        const char *unit;
        int r = sd_bus_message_read(m, "s", &unit);
        if (r < 0)
                return r;
        fprintf(logf, "reset-failed %s\n", unit);
        fflush(logf);
        return sd_bus_reply_method_return(m, "");
}

static int set_props(sd_bus_message *m, void *data, sd_bus_error *e)
{
        const char *unit;
        int runtime;
        int r = sd_bus_message_read(m, "sb", &unit, &runtime);
        if (r < 0)
                return r;
        fprintf(logf, "set %s runtime=%d", unit, runtime);
        r = read_props(m, NULL, 0, NULL, NULL);
        fprintf(logf, "\n");
        fflush(logf);
        if (r < 0)
                return r;
        if (!unit_dir(unit))
                return sd_bus_error_setf(e, "org.freedesktop.systemd1.NoSuchUnit", "Unit %s not loaded.", unit);
        return sd_bus_reply_method_return(m, "");
}

static int subscribe(sd_bus_message *m, void *data, sd_bus_error *e)
{
        return sd_bus_reply_method_return(m, "");
}

static int control_group(sd_bus *bus, const char *path, const char *iface, const char *prop, sd_bus_message *reply,
                         void *data, sd_bus_error *e)
{
        const char *cg = getenv("FAKE_SD_CGROUP");
        return sd_bus_message_append(reply, "s", cg ? cg : "/");
}

static const sd_bus_vtable manager[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("StartTransientUnit", "ssa(sv)a(sa(sv))", "o", start_unit, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("StopUnit", "ss", "o", stop_unit, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ResetFailedUnit", "s", "", reset_failed, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("SetUnitProperties", "sba(sv)", "", set_props, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Subscribe", "", "", subscribe, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("ControlGroup", "s", control_group, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
        SD_BUS_VTABLE_END,
};

int main(void)
{
        const char *log = getenv("FAKE_SD_LOG"), *addr = getenv("FAKE_SD_BUS");
        if (!log || !addr || !getenv("FAKE_SD_ROOT")) {
                fprintf(stderr, "fake-systemd: set FAKE_SD_LOG, FAKE_SD_BUS and FAKE_SD_ROOT\n");
                return 2;
        }
        logf = fopen(log, "a");
        sd_bus *bus = NULL;
        int r = -errno;
        if (!logf || (r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, addr)) < 0 ||
            (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0 ||
            (r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                                          manager, NULL)) < 0 ||
            (r = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0)) < 0) {
                fprintf(stderr, "fake-systemd: cannot serve on %s: %s\n", addr, strerror(-r));
                return 1;
        }
        for (;;) {
                if ((r = sd_bus_process(bus, NULL)) < 0)
                        return 1;
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        return 1;
        }
}
