/* console: attach the caller's terminal to the console of a detached
 * one-line server (run --rootfs -d with -t or --init), through its console
 * keeper (core/keeper.h). Ctrl-] three times within a second detaches, as
 * systemd-nspawn's; the server keeps running. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "carrel/state.h"
#include "cli/cli.h"
#include "core/keeper.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/term.h"

#define DETACH_KEY 0x1d /* Ctrl-] */
#define DETACH_PRESSES 3

/* The detach sequence, seen across reads: how many Ctrl-] are held back,
 * and when the first of them came. */
struct escape {
        int held;
        struct timespec first;
};

static double since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double) (now.tv_sec - t->tv_sec) + (double) (now.tv_nsec - t->tv_nsec) / 1e9;
}

static int send_input(int sock, const char *data, size_t n)
{
        char msg[1 + 4096];
        while (n > 0) {
                size_t chunk = n < sizeof msg - 1 ? n : sizeof msg - 1;
                msg[0] = KEEPER_INPUT;
                memcpy(msg + 1, data, chunk);
                if (send(sock, msg, chunk + 1, MSG_NOSIGNAL) < 0)
                        return -errno;
                data += chunk;
                n -= chunk;
        }
        return 0;
}

/* Held-back Ctrl-] that turned out not to be the sequence go to the console. */
static int flush_held(int sock, struct escape *e)
{
        char keys[DETACH_PRESSES];
        memset(keys, DETACH_KEY, sizeof keys);
        int n = e->held;
        e->held = 0;
        return n ? send_input(sock, keys, (size_t) n) : 0;
}

/* Input from the caller: to the console, except the detach sequence.
 * Returns 1 when it was typed, 0, or -errno. */
static int handle_input(int sock, const char *buf, size_t n, struct escape *e)
{
        size_t from = 0;
        for (size_t i = 0; i < n; i++) {
                if (buf[i] != DETACH_KEY)
                        continue;
                int r = 0;
                if (i > from && (r = flush_held(sock, e)) == 0)
                        r = send_input(sock, buf + from, i - from);
                from = i + 1;
                if (r == 0 && e->held && since(&e->first) > 1.0)
                        r = flush_held(sock, e);
                if (r < 0)
                        return r;
                if (e->held++ == 0)
                        clock_gettime(CLOCK_MONOTONIC, &e->first);
                if (e->held == DETACH_PRESSES)
                        return 1;
        }
        if (from < n) {
                int r = flush_held(sock, e);
                if (r == 0)
                        r = send_input(sock, buf + from, n - from);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void send_winsize(int sock)
{
        struct winsize ws;
        char msg[1 + sizeof ws];
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || !ws.ws_row || !ws.ws_col)
                return;
        msg[0] = KEEPER_WINSIZE;
        memcpy(msg + 1, &ws, sizeof ws);
        send(sock, msg, sizeof msg, MSG_NOSIGNAL);
}

/* Relay until the sequence, a signal, or the console's end. Returns 1 when
 * the caller detached, 0 when the console closed (the server stopped). */
static int relay(int sock, int sfd, struct carrel_error *err)
{
        struct escape e = { 0 };
        int in = STDIN_FILENO;
        for (;;) {
                struct pollfd p[3] = { { .fd = sock, .events = POLLIN }, { .fd = in, .events = POLLIN },
                                       { .fd = sfd, .events = POLLIN } };
                int n = poll(p, 3, e.held ? 1000 : -1);
                if (n < 0 && errno != EINTR)
                        return carrel_error_errno(err, errno, "poll");
                if (e.held && since(&e.first) > 1.0 && flush_held(sock, &e) < 0)
                        return 0;
                if (n <= 0)
                        continue;
                char buf[16384];
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t r = recv(sock, buf, sizeof buf, 0);
                        if (r <= 0 && !(r < 0 && errno == EINTR))
                                return 0;
                        if (r > 0 && write_all(STDOUT_FILENO, buf, (size_t) r) < 0)
                                return 1;
                }
                if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t r = read(in, buf, sizeof buf);
                        if (r <= 0 && !(r < 0 && errno == EINTR))
                                in = -1; /* stdin at its end: keep showing the console */
                        else if (r > 0 && (r = handle_input(sock, buf, (size_t) r, &e)) != 0)
                                return r < 0 ? 0 : 1;
                }
                if (p[2].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof si) == sizeof si && si.ssi_signo != SIGWINCH)
                                return 1;
                        send_winsize(sock);
                }
        }
}

static int no_option(int c, const char *arg, void *data)
{
        (void) c, (void) arg, (void) data;
        return -EINVAL;
}

int cmd_console(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
        int r = parse_verb_options("console", argc, argv, "", opts, no_option, NULL, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("console", argc, 1, 1, err)) < 0)
                return r;
        const char *id = argv[optind];
        _cleanup_close_ int dirfd = -1;
        if ((r = state_dir_open(cli->root, id, false, &dirfd, err)) < 0)
                return r;
        /* Only the state lock's holder may read the state; the keeper needs none. */
        _cleanup_close_ int sock = keeper_connect(dirfd, err);
        close_fdp(&dirfd);
        if (sock == -ENOENT)
                return carrel_error_set(err, ENOENT, "container \"%s\" has no console to attach to (only a running "
                                        "run --rootfs -d with --init or -t keeps one)", id);
        if (sock == -EBUSY)
                return carrel_error_set(err, EBUSY, "the console of \"%s\" is in use: another carrel console is "
                                        "attached", id);
        if (sock < 0)
                return sock;

        static const int sigs[] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT };
        _cleanup_close_ int sfd = signals_to_fd(sigs, sizeof sigs / sizeof *sigs);
        if (sfd < 0)
                return carrel_error_errno(err, -sfd, "signalfd");

        struct termios saved;
        bool restore = term_make_raw(STDIN_FILENO, &saved);
        if (restore) {
                fprintf(stderr, "Connected to the console of %s. Press Ctrl-] three times within 1s to detach.\r\n",
                        id);
                send_winsize(sock);
        }
        r = relay(sock, sfd, err);
        if (restore)
                tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        if (r < 0)
                return r;
        fprintf(stderr, r ? "\r\nDetached from the console of %s; it keeps running.\r\n"
                          : "\r\nThe console of %s closed: the container stopped.\r\n",
                id);
        return 0;
}
