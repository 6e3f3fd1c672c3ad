/* The command table and what every verb shares. */
#pragma once

#include <getopt.h>
#include <stdbool.h>

#include "carrel/error.h"

/* run --rootfs -d: the container's output, in its bundle (--root/.bundles/ID). */
#define SHELL_LOG_FILE "console.log"

struct cli {
        const char *root;
        bool debug, systemd_cgroup;
};

struct command {
        const char *name;
        int (*run)(struct cli *cli, int argc, char **argv, struct carrel_error *err);
        const char *summary;
        const char *usage; /* options and arguments, printed by --help */
        int error_status;  /* the exit status of a failure: 1, or runc's 255 for exec */
};

/* Each returns 0, a positive exit status to use as is, or -errno with err set. */
int cmd_create(struct cli *, int, char **, struct carrel_error *);
int cmd_run(struct cli *, int, char **, struct carrel_error *);
int cmd_start(struct cli *, int, char **, struct carrel_error *);
int cmd_run_shell(struct cli *, int, char **, struct carrel_error *);
int cmd_exec(struct cli *, int, char **, struct carrel_error *);
int cmd_state(struct cli *, int, char **, struct carrel_error *);
int cmd_kill(struct cli *, int, char **, struct carrel_error *);
int cmd_delete(struct cli *, int, char **, struct carrel_error *);
int cmd_list(struct cli *, int, char **, struct carrel_error *);
int cmd_pause(struct cli *, int, char **, struct carrel_error *);
int cmd_resume(struct cli *, int, char **, struct carrel_error *);
int cmd_ps(struct cli *, int, char **, struct carrel_error *);
int cmd_update(struct cli *, int, char **, struct carrel_error *);
int cmd_events(struct cli *, int, char **, struct carrel_error *);
int cmd_spec(struct cli *, int, char **, struct carrel_error *);
int cmd_features(struct cli *, int, char **, struct carrel_error *);
int cmd_logs(struct cli *, int, char **, struct carrel_error *);
int cmd_console(struct cli *, int, char **, struct carrel_error *);

const struct command *command_find(const char *name);

/* Print the usage of `cmd` and return 0 (for --help). */
int command_help(const char *name);

/* Parse the options of one verb with getopt_long. On -h/--help prints the
 * usage and returns 1; on an unknown option sets err and returns -EINVAL;
 * otherwise calls `on_opt` for each option and returns 0. optind is left at
 * the first argument. */
int parse_verb_options(const char *verb, int argc, char **argv, const char *shortopts,
                       const struct option *longopts, int (*on_opt)(int c, const char *arg, void *data), void *data,
                       struct carrel_error *err);

/* getopt_long takes any unambiguous prefix of a long option (--root for
 * --rootfs); carrel does not. After getopt_long returned the long option
 * `name`, returns the word the user typed when it is not exactly --name
 * (or --name=...), else NULL. */
const char *long_option_inexact(char **argv, int optind_after, const char *optarg_, const char *name);

/* 1 once the init of container `id` has exited (or the container is gone),
 * 0 while it still runs after `timeout_ms`. Holds no lock while it waits. */
int init_exited(const char *root, const char *id, int timeout_ms);

/* Exactly `n` positional arguments (min..max) remain, else a usage error. */
int expect_args(const char *verb, int argc, int min, int max, struct carrel_error *err);

/* "TERM", "SIGTERM", "15" -> 15; -1 if unknown. */
