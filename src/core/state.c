#include "carrel/state.h"
#include "cgroup/cgroup.h"

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

/* Unlink every file in the directory `dirfd`, state.json last and only if
 * all the others went. -errno of the first failure. */
static int remove_files(int dirfd)
{
        int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int r = 0;
        bool has_state = false;
        rewinddir(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (strcmp(de->d_name, "state.json") == 0) {
                        has_state = true;
                        continue;
                }
                if (unlinkat(dirfd, de->d_name, 0) < 0 && errno != ENOENT && r == 0)
                        r = -errno;
        }
        closedir(d);
        /* Kept while anything else is left: the container stays listed, and a
         * second delete --force still knows every piece. */
        if (r == 0 && has_state && unlinkat(dirfd, "state.json", 0) < 0 && errno != ENOENT)
                r = -errno;
        return r;
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
        int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || lock_dir(fd, true) < 0) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                unlinkat(rootfd, id, AT_REMOVEDIR);
                return carrel_error_errno(err, e, "cannot lock the state directory for %s", id);
        }
        /* A delete --force may have removed the directory before we locked it. */
        struct stat a, b;
        if (fstat(fd, &a) < 0 || fstatat(rootfd, id, &b, AT_SYMLINK_NOFOLLOW) < 0 || a.st_ino != b.st_ino ||
            a.st_dev != b.st_dev) {
                close(fd);
                return carrel_error_set(err, EEXIST, "container \"%s\" was deleted while being created", id);
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

int state_bundle_remove(const char *root, const char *id)
{
        char path[4400];
        if (!container_id_valid(id) || snprintf(path, sizeof path, "%s/.bundles/%s", root, id) >= (int) sizeof path)
                return 0;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        int r = remove_files(fd);
        if (rmdir(path) < 0 && errno != ENOENT)
                return r < 0 ? r : -errno;
        return 0;
}

int state_dir_remove(const char *root, const char *id, int dirfd)
{
        int r = state_bundle_remove(root, id);
        int r2 = remove_files(dirfd);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", root, id);
        if (rmdir(path) < 0 && errno != ENOENT)
                return -errno;
        return r < 0 ? r : r2;
}

int state_dir_remove_orphan(const char *root, const char *id, struct carrel_error *err)
{
        char path[4096];
        if (!container_id_valid(id) || snprintf(path, sizeof path, "%s/%s", root, id) >= (int) sizeof path)
                return 0;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno != ENOENT)
                return carrel_error_errno(err, errno, "cannot remove %s", path);
        if (fd >= 0) {
                int r = lock_dir(fd, true);
                if (r < 0)
                        return carrel_error_set(err, -r, "cannot lock %s: %s", path, strerror(-r));
                /* Created meanwhile (we waited for its lock): not an orphan. */
                if (faccessat(fd, "state.json", F_OK, 0) == 0)
                        return carrel_error_set(err, EBUSY, "container \"%s\" was created meanwhile", id);
                if ((r = remove_files(fd)) < 0 || (rmdir(path) < 0 && (r = -errno) != -ENOENT))
                        return carrel_error_set(err, -r, "delete --force: could not remove %s: %s", path,
                                                strerror(-r));
        }
        char bundle[4400];
        snprintf(bundle, sizeof bundle, "%s/.bundles/%s", root, id);
        int r = state_bundle_remove(root, id);
        if (r < 0)
                return carrel_error_set(err, -r, "delete --force: could not remove the bundle %s: %s", bundle,
                                        strerror(-r));
        return 0;
}

json_t *state_to_json(const struct container_state *st, enum container_status status)
{
        /* runc's order: ociVersion, id, pid, status, bundle, rootfs, created, owner */
        json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s}", "ociVersion", CARREL_OCI_VERSION, "id", st->id,
                              "pid", (json_int_t) (status == STATUS_STOPPED ? 0 : st->pid), "status",
                              status_name(status), "bundle", st->bundle, "rootfs", st->rootfs, "created", st->created,
                              "owner", "");
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
        json_object_set_new(o, "cgroup_shared", json_boolean(st->cgroup_shared));
        json_object_set_new(o, "cgroup_made_v1", json_integer(st->cgroup_made_v1));
        json_object_set_new(o, "net_host_if", json_string(st->net_host_if));
        json_object_set_new(o, "userns_slot", json_integer(st->userns_slot));
        json_object_set_new(o, "creating", json_boolean(st->creating));
        json_object_set_new(o, "init_exe_dev", json_integer((json_int_t) st->exe_dev));
        json_object_set_new(o, "init_exe_ino", json_integer((json_int_t) st->exe_ino));
        json_object_set_new(o, "init_reaper", json_boolean(st->reaper));
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
        ret->cgroup_shared = json_is_true(json_object_get(o, "cgroup_shared"));
        ret->cgroup_made_v1 = (unsigned) json_integer_value(json_object_get(o, "cgroup_made_v1"));
        copy_str(ret->net_host_if, sizeof ret->net_host_if, json_object_get(o, "net_host_if"));
        json_t *slot = json_object_get(o, "userns_slot");
        ret->userns_slot = json_is_integer(slot) ? (int) json_integer_value(slot) : -1;
        ret->creating = json_is_true(json_object_get(o, "creating"));
        ret->exe_dev = (uint64_t) json_integer_value(json_object_get(o, "init_exe_dev"));
        ret->exe_ino = (uint64_t) json_integer_value(json_object_get(o, "init_exe_ino"));
        ret->reaper = json_is_true(json_object_get(o, "init_reaper"));
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

/* Has the init exec'd the workload? 1 yes, 0 no, -1 cannot tell. The answer
 * comes from the process, not from files a killed command may have left. */
static int init_execd(const struct container_state *st)
{
        if (!st->exe_ino)
                return -1;
        char path[64];
        struct stat s;
        snprintf(path, sizeof path, "/proc/%d/exe", (int) st->pid);
        if (stat(path, &s) < 0)
                return -1;
        if ((uint64_t) s.st_dev != st->exe_dev || (uint64_t) s.st_ino != st->exe_ino)
                return 1;
        if (!st->reaper)
                return 0;
        /* The reaper init never execs: it renames itself once it has forked the workload. */
        char comm[32];
        snprintf(path, sizeof path, "/proc/%d/comm", (int) st->pid);
        if (read_file_at(AT_FDCWD, path, comm, sizeof comm) < 0)
                return -1;
        comm[strcspn(comm, "\n")] = '\0';
        return strcmp(comm, STATE_REAPER_COMM) == 0;
}

enum container_status state_status(int dirfd, const struct container_state *st)
{
        /* A create that died before it finished: nothing can start it; delete removes it. */
        if (st->creating || !init_alive(st))
                return STATUS_STOPPED;
        int execd = init_execd(st);
        if (execd == 0 || (execd < 0 && faccessat(dirfd, "exec.fifo", F_OK, 0) == 0))
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
