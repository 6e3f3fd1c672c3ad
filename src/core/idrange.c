#include "core/idrange.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fd.h"

int idrange_parse_pool(const char *text, uint32_t *ret_start, uint32_t *ret_count)
{
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                unsigned long start, count;
                char name[33];
                if (sscanf(line, "%32[^:\n]:%lu:%lu", name, &start, &count) == 3 && strcmp(name, "carrel") == 0 &&
                    start > 0 && count >= IDRANGE_SIZE && start + count <= UINT32_MAX) {
                        *ret_start = (uint32_t) start;
                        *ret_count = (uint32_t) count;
                        return 0;
                }
        }
        return -ENOENT;
}

static void pool(const char *file, uint32_t *start, uint32_t *count)
{
        char buf[65536];
        if (read_file_at(AT_FDCWD, file, buf, sizeof buf) < 0 || idrange_parse_pool(buf, start, count) < 0) {
                *start = IDRANGE_DEFAULT_START;
                *count = IDRANGE_DEFAULT_COUNT;
        }
}

/* The owner id in a slot file ("" when empty); -errno if unreadable. */
static int slot_owner(int dfd, const char *name, char *buf, size_t size)
{
        ssize_t n = read_file_at(dfd, name, buf, size);
        return n < 0 ? (int) n : 0;
}

static bool slot_reusable(const char *root, int dfd, const char *name, const char *id)
{
        char owner[256], path[PATH_MAX];
        if (slot_owner(dfd, name, owner, sizeof owner) < 0)
                return false;
        if (owner[0] == '\0' || strcmp(owner, id) == 0)
                return true;
        /* The owner's state directory exists from before its slot until after it is freed. */
        if (strchr(owner, '/') || snprintf(path, sizeof path, "%s/%s", root, owner) >= (int) sizeof path)
                return false;
        struct stat st;
        return stat(path, &st) < 0 && errno == ENOENT;
}

int idrange_alloc(const char *root, const char *id, struct id_range *ret, struct carrel_error *err)
{
        uint32_t us, uc, gs, gc;
        pool("/etc/subuid", &us, &uc);
        pool("/etc/subgid", &gs, &gc);
        uint32_t slots = (uc < gc ? uc : gc) / IDRANGE_SIZE;
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/.userns", root);
        int made = mkdir_parents(dir, 0700);
        if (made < 0)
                return carrel_error_errno(err, -made, "cannot create %s", dir);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || flock(dfd, LOCK_EX) < 0)
                return carrel_error_errno(err, errno, "cannot lock %s", dir);
        /* Probe from a slot picked by the id's hash, not from 0: with N ranges
         * taken, a scan from 0 costs N failed creates (start-up grew with N). */
        uint32_t h = 2166136261U;
        for (const char *p = id; *p; p++)
                h = (h ^ (unsigned char) *p) * 16777619U;
        for (uint32_t k = 0; k < slots; k++) {
                uint32_t s = (h + k) % slots;
                char name[16];
                snprintf(name, sizeof name, "%u", s);
                int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd < 0 && errno == EEXIST) {
                        if (!slot_reusable(root, dfd, name, id))
                                continue;
                        fd = openat(dfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
                }
                if (fd < 0)
                        return carrel_error_errno(err, errno, "cannot reserve id range %u", s);
                int r = write_all(fd, id, strlen(id));
                close(fd);
                if (r < 0) {
                        unlinkat(dfd, name, 0);
                        return carrel_error_set(err, -r, "cannot reserve id range %u: %s", s, strerror(-r));
                }
                *ret = (struct id_range) { (int) s, us + s * IDRANGE_SIZE, gs + s * IDRANGE_SIZE };
                return 0;
        }
        return carrel_error_set(err, ENOSPC, "--userns: all %u id ranges of the pool are in use", slots);
}

int idrange_free(const char *root, int slot)
{
        if (slot < 0)
                return 0;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/.userns/%d", root, slot);
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int idrange_free_owner(const char *root, const char *id)
{
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/.userns", root);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (flock(dfd, LOCK_EX) < 0)
                return -errno;
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                char owner[256];
                /* Under the lock an empty slot is one whose create was killed while writing it. */
                if (de->d_name[0] == '.' || slot_owner(dfd, de->d_name, owner, sizeof owner) < 0 ||
                    (owner[0] && strcmp(owner, id) != 0))
                        continue;
                if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT && r == 0)
                        r = -errno;
        }
        closedir(d);
        return r;
}
