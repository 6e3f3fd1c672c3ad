/* The console keeper of a detached one-line server (`run --rootfs -d` with
 * a terminal: -t or --init). carrel itself exits once the server runs; this
 * small process, forked before it does and only for such servers, holds the
 * pty master, appends what the console prints to the server's console.log
 * (`carrel logs`), and relays it to one `carrel console` client at a time
 * over a SOCK_SEQPACKET socket in the container's state dir. It exits when
 * the container's init does; `delete` kills it (its pid is in console.pid).
 *
 * The protocol: the keeper greets each client with one message, KEEPER_OK
 * or KEEPER_BUSY (another client is attached). Then each message from the
 * keeper is console output; each message from the client is KEEPER_INPUT
 * followed by bytes for the console, or KEEPER_WINSIZE followed by a
 * struct winsize. */
#pragma once

#include "carrel/error.h"

#define KEEPER_SOCKET "console.sock"
#define KEEPER_PID_FILE "console.pid"

enum { KEEPER_OK = '+', KEEPER_BUSY = '-', KEEPER_INPUT = 'i', KEEPER_WINSIZE = 'w' };

/* Fork the keeper for the container whose state dir is `dirfd`, with the pty
 * `master`, the init's `pidfd` and the log at `log_path`. It is listening
 * and its pid is recorded when this returns. The caller keeps its fds. */
int keeper_spawn(int dirfd, const char *log_path, int master, int pidfd, struct carrel_error *err);

/* Connect to the keeper of the container whose state dir is `dirfd` and
 * read its greeting: the socket, -ENOENT when it has no keeper, -EBUSY
 * when another client is attached. */
int keeper_connect(int dirfd, struct carrel_error *err);

/* delete: kill the keeper recorded in `dirfd`, if any is still alive, wait
 * for it to be gone, and remove its socket and pid file. */
void keeper_stop(int dirfd);
