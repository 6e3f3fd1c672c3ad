/* Option parsing shared by the verbs. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "carrel/state.h"
#include "cli/cli.h"

const char *long_option_inexact(char **argv, int optind_after, const char *optarg_, const char *name)
{
        /* The option word is the last one consumed, or the one before when its
         * argument was a separate word. getopt_long has not permuted them yet. */
        int i = optind_after - 1;
        if (optarg_ && i > 0 && optarg_ == argv[i])
                i--;
        const char *word = argv[i];
        if (strncmp(word, "--", 2) != 0)
                return NULL;
        size_t len = strcspn(word + 2, "=");
        return strlen(name) == len && strncmp(word + 2, name, len) == 0 ? NULL : word;
}

int parse_verb_options(const char *verb, int argc, char **argv, const char *shortopts,
                       const struct option *longopts, int (*on_opt)(int c, const char *arg, void *data), void *data,
                       struct carrel_error *err)
{
        /* A leading '+' stops at the first argument (exec: the command's own options follow). */
        char shorts[64];
        bool stop = shortopts[0] == '+';
        snprintf(shorts, sizeof shorts, "%s:h%s", stop ? "+" : "", shortopts + stop);
        opterr = 0;
        int c, idx = -1;
        while ((c = getopt_long(argc, argv, shorts, longopts, &idx)) != -1) {
                char name[64];
                const char *inexact = idx >= 0 ? long_option_inexact(argv, optind, optarg, longopts[idx].name) : NULL;
                if (inexact)
                        return carrel_error_set(err, EINVAL, "%s: unknown option %.*s (options are never abbreviated; "
                                                "see carrel %s --help)", verb, (int) strcspn(inexact, "="), inexact, verb);
                if (idx >= 0)
                        snprintf(name, sizeof name, "--%s", longopts[idx].name);
                else
                        snprintf(name, sizeof name, "-%c", c);
                idx = -1;
                if (c == 'h') {
                        command_help(verb);
                        return 1;
                }
                if (c == '?' || c == ':')
                        return carrel_error_set(err, EINVAL, "%s: %s option %s (see carrel %s --help)", verb,
                                                c == '?' ? "unknown" : "missing argument for", argv[optind - 1],
                                                verb);
                int r = on_opt(c, optarg, data);
                if (r == -ENOTSUP)
                        return carrel_error_set(err, ENOTSUP, "%s: %s is not supported by carrel (see carrel-%s(1))",
                                                verb, name, verb);
                if (r < 0)
                        return carrel_error_set(err, -r, "%s: invalid value \"%s\" for %s", verb, optarg ? optarg : "",
                                                name);
        }
        return 0;
}

int expect_args(const char *verb, int argc, int min, int max, struct carrel_error *err)
{
        int n = argc - optind;
        if (n < min)
                return carrel_error_set(err, EINVAL, "%s: missing argument (usage: carrel %s %s)", verb, verb,
                                        command_find(verb)->usage);
        if (n > max)
                return carrel_error_set(err, EINVAL, "%s: too many arguments (usage: carrel %s %s)", verb, verb,
                                        command_find(verb)->usage);
        return 0;
}


int init_exited(const char *root, const char *id, int timeout_ms)
{
        struct carrel_error ignore = { 0 };
        struct container_state st;
        int dirfd = -1;
        if (state_dir_open(root, id, false, &dirfd, &ignore) < 0)
                return 1;
        int r = state_read(dirfd, id, &st, &ignore);
        close(dirfd); /* never hold the lock while waiting: run needs it to clean up */
        if (r < 0)
                return 1;
        int pidfd = state_pidfd(&st);
        state_release(&st);
        if (pidfd < 0)
                return 1;
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        r = poll(&p, 1, timeout_ms);
        close(pidfd);
        return r != 0;
}
