/* The lifecycle: create, start, run, kill, delete. */
#pragma once

#include <stdbool.h>

#include "carrel/error.h"

struct create_opts {
        const char *root;
        const char *id;
        const char *bundle;         /* default "." */
        const char *pid_file;       /* or NULL */
        const char *console_socket; /* or NULL */
        const char *pidfd_socket;   /* or NULL: gets the init's pidfd */
        int preserve_fds;
        bool no_pivot, no_new_keyring;
        bool systemd_cgroup;
        bool detach; /* run only */
        bool keep;   /* run only: keep the stopped container (no delete on exit) */
        /* run --detach with process.terminal and no console socket: a keeper
         * process holds the pty master (core/keeper.h) and appends its output
         * to this file (run --rootfs -d's console.log). */
        const char *console_keeper_log;
};

int container_create(const struct create_opts *o, struct carrel_error *err);
/* Foreground run: *ret_status is the container's exit code (128+N for signal N). */
int container_run(const struct create_opts *o, int *ret_status, struct carrel_error *err);
int container_start(const char *root, const char *id, struct carrel_error *err);
/* sig < 0: the container's stop signal; 0: only check that it is alive. */
int container_kill(const char *root, const char *id, int sig, bool all, struct carrel_error *err);
int container_delete(const char *root, const char *id, bool force, struct carrel_error *err);
