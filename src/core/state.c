#include "carrel/state.h"
#include "cgroup/cgroup.h"
#include "core/keeper.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fd.h"
#include "util/proc.h"
#include "util/sys.h"
#include "carrel/version.h"

const char *status_name(enum container_status s)
{
        static const char *const names[] = { "creating", "created", "running", "stopped", "paused" };
        return names[s];
}

bool container_id_valid(const char *id)
{
        size_t n = strlen(id);
        if (n == 0 || n > 200 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
                return false;
        for (const char *p = id; *p; p++) {
                bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                          *p == '_' || *p == '-' || *p == '.' || *p == '+';
                if (!ok)
                        return false;
        }
        return true;
}

static int lock_dir(int fd, bool exclusive)
{
        while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}

int state_dir_create(const char *root, const char *id, int *ret_dirfd, struct carrel_error *err)
{
        if (!container_id_valid(id))
                return carrel_error_set(err, EINVAL, "invalid container id \"%s\" (letters, digits, _ - . + only)", id);
        int r = mkdir_parents(root, 0700);
        if (r < 0)
                return carrel_error_errno(err, -r, "cannot create the state root %s%s", root,
                                          proc_rootless() && (r == -EACCES || r == -EPERM)
                                                  ? " (unprivileged: set XDG_RUNTIME_DIR or --root to a directory you own)"
                                                  : "");
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return carrel_error_errno(err, errno, "cannot open the state root %s", root);
        if (mkdirat(rootfd, id, 0700) < 0) {
                if (errno == EEXIST)
                        return carrel_error_set(err, EEXIST, "container \"%s\" already exists", id);
                return carrel_error_errno(err, errno, "cannot create the state directory for %s", id);
        }
        int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || lock_dir(fd, true) < 0) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                unlinkat(rootfd, id, AT_REMOVEDIR);
                return carrel_error_errno(err, e, "cannot lock the state directory for %s", id);
        }
        *ret_dirfd = fd;
        return 0;
}

int state_dir_open(const char *root, const char *id, bool exclusive, int *ret_dirfd, struct carrel_error *err)
{
        if (!container_id_valid(id))
                return carrel_error_set(err, ENOENT, "container \"%s\" does not exist", id);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, id);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return carrel_error_set(err, ENOENT, "container \"%s\" does not exist", id);
                return carrel_error_errno(err, errno, "cannot open %s", path);
        }
        int r = lock_dir(fd, exclusive);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot lock %s: %s", path, strerror(-r));
        /* It may have been deleted while we waited for the lock. */
        if (faccessat(fd, "state.json", F_OK, 0) < 0)
                return carrel_error_set(err, ENOENT, "container \"%s\" does not exist", id);
        *ret_dirfd = TAKE_FD(fd);
        return 0;
}

void state_bundle_remove(const char *root, const char *id)
{
        char path[4400];
        static const char *const files[] = { "config.json", "console.log" /* run --rootfs -d */ };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                snprintf(path, sizeof path, "%s/.bundles/%s/%s", root, id, files[i]);
                unlink(path);
        }
        snprintf(path, sizeof path, "%s/.bundles/%s", root, id);
        rmdir(path);
}

int state_dir_remove(const char *root, const char *id, int dirfd)
{
        state_bundle_remove(root, id);
        static const char *const files[] = { "state.json", "exec.fifo", ".state.json.tmp", KEEPER_SOCKET, KEEPER_PID_FILE };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++)
                unlinkat(dirfd, files[i], 0);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, id);
        return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
}

json_t *state_to_json(const struct container_state *st, enum container_status status)
{
        json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "ociVersion", CARREL_OCI_VERSION, "id", st->id,
                              "status", status_name(status), "pid",
                              (json_int_t) (status == STATUS_STOPPED ? 0 : st->pid), "bundle", st->bundle, "rootfs",
                              st->rootfs, "created", st->created, "owner", "");
        if (o)
                json_object_set_new(o, "annotations", st->annotations ? json_incref(st->annotations) : json_object());
        return o;
}

int state_write(int dirfd, const struct container_state *st, struct carrel_error *err)
{
        json_t *o = state_to_json(st, STATUS_CREATED);
        if (!o)
                return carrel_error_set(err, ENOMEM, "out of memory");
        json_object_set_new(o, "init_start_time", json_integer((json_int_t) st->start_time));
        json_object_set_new(o, "init_pid_namespace", json_boolean(st->has_pidns));
        json_object_set_new(o, "init_pid", json_integer(st->pid));
        json_object_set_new(o, "hooks_poststart", json_boolean(st->has_poststart));
        json_object_set_new(o, "hooks_poststop", json_boolean(st->has_poststop));
        json_object_set_new(o, "cgroup_mount", json_string(st->cgroup_mount));
        json_object_set_new(o, "cgroup_path", json_string(st->cgroup_path));
        json_object_set_new(o, "cgroup_created", json_boolean(st->cgroup_created));
        json_object_set_new(o, "cgroup_made_v1", json_integer(st->cgroup_made_v1));
        json_object_set_new(o, "net_host_if", json_string(st->net_host_if));
        json_object_set_new(o, "userns_slot", json_integer(st->userns_slot));
        json_object_del(o, "status");
        char *text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!text)
                return carrel_error_set(err, ENOMEM, "out of memory");
        int r = write_file_atomic(dirfd, "state.json", text, strlen(text), 0600);
        free(text);
        if (r < 0)
                return carrel_error_set(err, -r, "cannot write state.json: %s", strerror(-r));
        return 0;
}

static void copy_str(char *dst, size_t size, json_t *v)
{
        snprintf(dst, size, "%s", json_is_string(v) ? json_string_value(v) : "");
}

int state_read(int dirfd, const char *id, struct container_state *ret, struct carrel_error *err)
{
        char buf[65536];
        ssize_t n = read_file_at(dirfd, "state.json", buf, sizeof buf);
        if (n < 0)
                return carrel_error_set(err, n == -ENOENT ? ENOENT : (int) -n, "container \"%s\" does not exist", id);
        json_t *o = json_loadb(buf, (size_t) n, 0, NULL);
        if (!o)
                return carrel_error_set(err, EIO, "state of container \"%s\" is corrupt", id);
        memset(ret, 0, sizeof *ret);
        copy_str(ret->id, sizeof ret->id, json_object_get(o, "id"));
        copy_str(ret->bundle, sizeof ret->bundle, json_object_get(o, "bundle"));
        copy_str(ret->rootfs, sizeof ret->rootfs, json_object_get(o, "rootfs"));
        copy_str(ret->created, sizeof ret->created, json_object_get(o, "created"));
        ret->pid = (pid_t) json_integer_value(json_object_get(o, "init_pid"));
        ret->start_time = (uint64_t) json_integer_value(json_object_get(o, "init_start_time"));
        ret->has_pidns = json_is_true(json_object_get(o, "init_pid_namespace"));
        ret->has_poststart = json_is_true(json_object_get(o, "hooks_poststart"));
        ret->has_poststop = json_is_true(json_object_get(o, "hooks_poststop"));
        copy_str(ret->cgroup_mount, sizeof ret->cgroup_mount, json_object_get(o, "cgroup_mount"));
        copy_str(ret->cgroup_path, sizeof ret->cgroup_path, json_object_get(o, "cgroup_path"));
        ret->cgroup_created = json_is_true(json_object_get(o, "cgroup_created"));
        ret->cgroup_made_v1 = (unsigned) json_integer_value(json_object_get(o, "cgroup_made_v1"));
        copy_str(ret->net_host_if, sizeof ret->net_host_if, json_object_get(o, "net_host_if"));
        json_t *slot = json_object_get(o, "userns_slot");
        ret->userns_slot = json_is_integer(slot) ? (int) json_integer_value(slot) : -1;
        json_t *a = json_object_get(o, "annotations");
        ret->annotations = json_is_object(a) ? json_incref(a) : NULL;
        json_decref(o);
        return 0;
}

void state_release(struct container_state *st)
{
        json_decref(st->annotations);
        st->annotations = NULL;
}

static bool init_alive(const struct container_state *st)
{
        uint64_t start;
        char state;
        if (st->pid <= 0 || proc_stat(st->pid, &start, &state) < 0)
                return false;
        return start == st->start_time && state != 'Z' && state != 'X';
}

enum container_status state_status(int dirfd, const struct container_state *st)
{
        if (!init_alive(st))
                return STATUS_STOPPED;
        if (faccessat(dirfd, "exec.fifo", F_OK, 0) == 0)
                return STATUS_CREATED;
        if (st->cgroup_path[0]) {
                struct cgroup cg;
                bool frozen = cgroup_open(st->cgroup_mount, st->cgroup_path, &cg) == 0 && cgroup_frozen(&cg);
                cgroup_close(&cg);
                if (frozen)
                        return STATUS_PAUSED;
        }
        return STATUS_RUNNING;
}

int state_pidfd(const struct container_state *st)
{
        if (st->pid <= 0)
                return -ESRCH;
        int fd = sys_pidfd_open(st->pid, 0);
        if (fd < 0)
                return -errno;
        /* Checked after the pidfd is open: the pidfd now pins this very process. */
        if (!init_alive(st)) {
                close(fd);
                return -ESRCH;
        }
        return fd;
}
