/* process.terminal: a pty from the container's own devpts. The master goes
 * to the console socket (SCM_RIGHTS, with the pty name as payload); the
 * peer, taken with TIOCGPTPEER and never by path, becomes /dev/console (for
 * the init) and the process's stdio and controlling terminal. */
#pragma once

#include "linux/context.h"

/* Open the pty inside `root_fd` (the rootfs before pivot_root, or "/" for
 * exec), bind the peer over /dev/console when `console` is set, send the
 * master to ctx->console_fd, keep the peer in ctx->pty_peer. */
int terminal_setup(struct init_ctx *ctx, int root_fd, bool console, struct carrel_error *err);

/* New session, the peer as controlling terminal and as fds 0, 1 and 2. */
int terminal_attach(struct init_ctx *ctx, struct carrel_error *err);

/* As runc: fds 0-2 (a pty, a pipe, a file, not /dev/null) become the
 * process user's, so that a user that is not root can use its console and
 * reopen /dev/stdout; the group stays (devpts gives a pty its tty group). */
void stdio_give_to(uid_t uid);
