/* ps: the processes of a container. As runc: --format json prints their
 * pids; the table is the host's ps(1), run with the options given after the
 * id (default -ef), keeping its header and the lines of the container's
 * processes (found by the header's PID column). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/manage.h"
#include "util/cleanup.h"
#include "util/fd.h"

static int on_format(int c, const char *arg, void *data)
{
        if (c != 'f' || (strcmp(arg, "json") != 0 && strcmp(arg, "table") != 0))
                return -EINVAL;
        *(bool *) data = strcmp(arg, "json") == 0;
        return 0;
}

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

/* The whitespace-separated field `index` of `line` as a number, or -1. */
static long field_number(const char *line, int index)
{
        const char *p = line;
        for (int i = 0;; i++) {
                p += strspn(p, " \t");
                if (!*p || *p == '\n')
                        return -1;
                if (i == index) {
                        char *end;
                        long v = strtol(p, &end, 10);
                        return end != p && (*end == ' ' || *end == '\t' || *end == '\n' || !*end) ? v : -1;
                }
                p += strcspn(p, " \t\n");
        }
}

/* The index of the header's PID column, or -1. */
static int pid_column(const char *header)
{
        const char *p = header;
        for (int i = 0;; i++) {
                p += strspn(p, " \t");
                if (!*p || *p == '\n')
                        return -1;
                size_t len = strcspn(p, " \t\n");
                if (len == 3 && strncmp(p, "PID", 3) == 0)
                        return i;
                p += len;
        }
}

/* Without ps(1): carrel's own table. */
static void own_table(const pid_t *pids, size_t n)
{
        printf("%-8s %s\n", "PID", "CMD");
        for (size_t i = 0; i < n; i++) {
                char path[64], cmd[1024];
                snprintf(path, sizeof path, "/proc/%d/cmdline", (int) pids[i]);
                ssize_t len = read_file_at(AT_FDCWD, path, cmd, sizeof cmd);
                for (ssize_t j = 0; j + 1 < len; j++)
                        if (cmd[j] == '\0')
                                cmd[j] = ' ';
                printf("%-8d %s\n", (int) pids[i], len > 0 ? cmd : "?");
        }
}

static int host_ps(char **opts, int n_opts, const pid_t *pids, size_t n, struct carrel_error *err)
{
        char *args[64] = { "ps" };
        int k = 1;
        if (n_opts == 0)
                args[k++] = "-ef";
        for (int i = 0; i < n_opts && k < 63; i++)
                args[k++] = opts[i];
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return carrel_error_errno(err, errno, "ps: pipe");
        fflush(stdout);
        pid_t child = fork();
        if (child < 0)
                return carrel_error_errno(err, errno, "ps: fork");
        if (child == 0) {
                dup2(fds[1], STDOUT_FILENO);
                execvp("ps", args);
                _exit(127);
        }
        close(fds[1]);
        _cleanup_fclose_ FILE *f = fdopen(fds[0], "r");
        if (!f) {
                close(fds[0]);
                return carrel_error_errno(err, errno, "ps: fdopen");
        }
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        int column = -1;
        bool first = true;
        while (getline(&line, &cap, f) > 0) {
                if (first) {
                        first = false;
                        if ((column = pid_column(line)) < 0)
                                break;
                        fputs(line, stdout);
                        continue;
                }
                if (has_pid(pids, n, field_number(line, column)))
                        fputs(line, stdout);
        }
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && first) {
                own_table(pids, n);
                return 0;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return carrel_error_set(err, EIO, "ps: ps(1) failed (exit %d)",
                                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        if (column < 0)
                return carrel_error_set(err, EIO, "ps: no PID column in the header of ps(1)");
        return 0;
}

int cmd_ps(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                              { "help", no_argument, NULL, 'h' }, { 0 } };
        bool json = false;
        /* "+": what follows the id are ps(1)'s options, not carrel's */
        int r = parse_verb_options("ps", argc, argv, "+f:", opts, on_format, &json, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("ps", argc, 1, argc, err)) < 0)
                return r;
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if ((r = container_pids(cli->root, argv[optind], &pids, &n, err)) < 0)
                return r;
        if (!json)
                return host_ps(argv + optind + 1, argc - optind - 1, pids, n, err);
        printf("[");
        for (size_t i = 0; i < n; i++)
                printf("%s%d", i ? "," : "", (int) pids[i]);
        printf("]\n");
        return 0;
}
