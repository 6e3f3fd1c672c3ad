#pragma once

#include "linux/context.h"

/* The container init, in the child of clone3: builds the container in a fixed
 * order, reports READY (or an error) to the parent, waits for start, execs.
 * Never returns. */
_Noreturn void init_main(struct init_ctx *ctx);
