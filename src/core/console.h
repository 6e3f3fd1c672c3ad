/* The runtime's side of process.terminal: where the pty master goes. */
#pragma once

#include <stdbool.h>

#include "carrel/error.h"

struct console {
        int send_fd; /* given to the container side: the master is sent here */
        int recv_fd; /* ours, when we proxy the terminal ourselves; else -1 */
};

/* --console-socket PATH: connect to it. Without one, and only when we stay
 * in the foreground, make a socketpair and proxy ourselves. */
int console_open(const char *socket_path, bool foreground, struct console *ret, struct carrel_error *err);
void console_close(struct console *c);

/* Receive the pty master sent by the container side. */
int console_recv_master(struct console *c, int *ret_master, struct carrel_error *err);

/* --pidfd-socket PATH: send `pidfd` (the init's, or the exec'd process's)
 * over SCM_RIGHTS, with "pidfd" as the payload, as runc does. */
int pidfd_socket_send(const char *socket_path, int pidfd, struct carrel_error *err);
