/* state and list: read-only views of the state directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "carrel/state.h"
#include "cli/cli.h"
#include "util/cleanup.h"

static const struct option help_only[] = { { "help", no_argument, NULL, 'h' }, { 0 } };

static int no_opt(int c, const char *arg, void *data)
{
        return -EINVAL;
}

static void print_json(json_t *o)
{
        char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text)
                puts(text);
        free(text);
}

int cmd_state(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        int r = parse_verb_options("state", argc, argv, "", help_only, no_opt, NULL, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("state", argc, 1, 1, err)) < 0)
                return r;
        _cleanup_close_ int dirfd = -1;
        if ((r = state_dir_open(cli->root, argv[optind], false, &dirfd, err)) < 0)
                return r;
        struct container_state st;
        if ((r = state_read(dirfd, argv[optind], &st, err)) < 0)
                return r;
        json_t *o = state_to_json(&st, state_status(dirfd, &st));
        state_release(&st);
        if (!o)
                return carrel_error_set(err, ENOMEM, "out of memory");
        print_json(o);
        json_decref(o);
        return 0;
}

struct list_opts {
        bool json, quiet;
};

static int on_list_opt(int c, const char *arg, void *data)
{
        struct list_opts *o = data;
        if (c == 'q')
                o->quiet = true;
        else if (c == 'f' && strcmp(arg, "json") == 0)
                o->json = true;
        else if (c == 'f' && strcmp(arg, "table") == 0)
                o->json = false;
        else
                return -EINVAL;
        return 0;
}

static int cmp_id(const void *a, const void *b)
{
        json_t *const *x = a, *const *y = b;
        return strcmp(json_string_value(json_object_get(*x, "id")), json_string_value(json_object_get(*y, "id")));
}

/* In id order, as runc lists them (readdir order is the filesystem's). */
static void sort_by_id(json_t *all)
{
        size_t n = json_array_size(all);
        json_t **v = calloc(n ? n : 1, sizeof *v);
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                v[i] = json_incref(json_array_get(all, i));
        qsort(v, n, sizeof *v, cmp_id);
        json_array_clear(all);
        for (size_t i = 0; i < n; i++)
                json_array_append_new(all, v[i]);
        free(v);
}

int cmd_list(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                              { "quiet", no_argument, NULL, 'q' },
                                              { "help", no_argument, NULL, 'h' }, { 0 } };
        struct list_opts o = { 0 };
        int r = parse_verb_options("list", argc, argv, "f:q", opts, on_list_opt, &o, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("list", argc, 0, 0, err)) < 0)
                return r;
        json_t *all = json_array();
        DIR *d = opendir(cli->root);
        if (d) {
                struct dirent *de;
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.' || !container_id_valid(de->d_name))
                                continue;
                        _cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        struct container_state st;
                        if (fd < 0 || state_read(fd, de->d_name, &st, NULL) < 0)
                                continue; /* being created or deleted */
                        /* A create still at work holds the lock: "creating", not a dead create's "stopped". */
                        enum container_status status = state_status(fd, &st);
                        if (st.creating && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
                                status = STATUS_CREATING;
                        json_t *c = state_to_json(&st, status);
                        state_release(&st);
                        if (!c)
                                continue;
                        /* as runc lists them: the state directory's owner by name, no empty annotations */
                        struct stat sb;
                        struct passwd *pw = fstat(fd, &sb) == 0 ? getpwuid(sb.st_uid) : NULL;
                        char uid[16];
                        snprintf(uid, sizeof uid, "#%u", (unsigned) sb.st_uid);
                        json_object_set_new(c, "owner", json_string(pw ? pw->pw_name : uid));
                        if (json_object_size(json_object_get(c, "annotations")) == 0)
                                json_object_del(c, "annotations");
                        json_array_append_new(all, c);
                }
                closedir(d);
        } else if (errno != ENOENT) {
                json_decref(all);
                return carrel_error_errno(err, errno, "cannot read %s", cli->root);
        }
        sort_by_id(all);
        size_t i;
        json_t *c;
        if (o.json) {
                char *text = json_dumps(all, JSON_COMPACT | JSON_PRESERVE_ORDER); /* one line, as runc */
                if (text)
                        puts(text);
                free(text);
        } else if (o.quiet) {
                json_array_foreach(all, i, c) puts(json_string_value(json_object_get(c, "id")));
        } else {
                printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
                json_array_foreach(all, i, c) {
                        printf("%-20s %-8lld %-10s %-40s %-30s %s\n", json_string_value(json_object_get(c, "id")),
                               (long long) json_integer_value(json_object_get(c, "pid")),
                               json_string_value(json_object_get(c, "status")),
                               json_string_value(json_object_get(c, "bundle")),
                               json_string_value(json_object_get(c, "created")),
                               json_string_value(json_object_get(c, "owner")));
                }
        }
        json_decref(all);
        return 0;
}
