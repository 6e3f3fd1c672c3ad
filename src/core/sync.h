/* Parent <-> container init messages over one SOCK_SEQPACKET socketpair. */
#pragma once

#include <stdint.h>

#include "carrel/error.h"

enum sync_type {
        SYNC_GO = 1, /* parent -> child: id maps are written, go on */
        SYNC_READY,  /* child -> parent: set up, waiting for start */
        SYNC_START,  /* parent -> child (run): exec now */
        SYNC_ERROR,  /* child -> parent: code and message */
        SYNC_HOOKS,  /* child -> parent: mounts are ready, run prestart and createRuntime, then GO */
        SYNC_MOUNT,  /* parent -> child, before GO: mounts[code] made by the parent (its fd attached) */
};

struct sync_msg {
        uint32_t type;
        int32_t code;
        char msg[CARREL_ERROR_MAX];
};

int sync_send(int fd, enum sync_type type, const struct carrel_error *detail);

/* The same, with one fd passed along (SCM_RIGHTS). */
int sync_send_fd(int fd, enum sync_type type, const struct carrel_error *detail, int pass_fd);

/* Receive one message. Returns 0, or -EPIPE when the peer closed the socket
 * (for the parent after SYNC_START: the exec succeeded). */
int sync_recv(int fd, struct sync_msg *ret);

/* The same; *ret_fd is the fd that came with it, or -1. */
int sync_recv_fd(int fd, struct sync_msg *ret, int *ret_fd);
