#pragma once

#include "carrel/error.h"

/* Wait until the process behind `pidfd` (our child) exits, forwarding
 * INT, TERM, HUP, QUIT, USR1, USR2 and WINCH to it. *ret_status is its exit
 * code, or 128+N when signal N killed it. */
int wait_forwarding(int pidfd, int *ret_status, struct carrel_error *err);
