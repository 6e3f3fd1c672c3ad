/* exec: run one more process in a running container. */
#pragma once

#include <stdbool.h>

#include "carrel/error.h"

struct exec_opts {
        const char *root, *id;
        const char *process_file;  /* --process: a runtime-spec process object */
        char **args;               /* else: the command */
        int n_args;
        const char *cwd, *user, *additional_gids;
        char **env, **caps;
        int n_env, n_caps;
        bool no_new_privs, tty, detach, ignore_paused;
        const char *pid_file, *console_socket;
        const char *pidfd_socket; /* or NULL: gets the exec'd process's pidfd */
        const char *sub_cgroups[16]; /* --cgroup: cgroups below the container's ([CONTROLLER:]PATH) */
        int n_sub_cgroups;
        const char *apparmor, *process_label; /* --apparmor, --process-label, or NULL */
        int preserve_fds;
};

/* Without --detach, *ret_status is the process's exit code (128+N for signal N). */
int container_exec(const struct exec_opts *o, int *ret_status, struct carrel_error *err);
