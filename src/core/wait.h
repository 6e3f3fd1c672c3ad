#pragma once

#include "carrel/error.h"

/* Wait until the process behind `pidfd` (our child) exits, forwarding
 * INT, TERM, HUP, QUIT, USR1, USR2 to it. With a pty `master` (else -1),
 * also proxy the caller's terminal: raw mode, stdin to the master, the
 * master to stdout, SIGWINCH as a window-size change, termios restored at
 * the end. *ret_status is the exit code, or 128+N when signal N killed it. */
int wait_forwarding(int pidfd, int master, int *ret_status, struct carrel_error *err);
