/* The console keeper: see keeper.h. */
#include "core/keeper.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fd.h"
#include "util/proc.h"
#include "util/sys.h"

/* The socket's address, through the dir fd: short whatever --root is. */
static int socket_addr(int dirfd, struct sockaddr_un *ret)
{
        *ret = (struct sockaddr_un) { .sun_family = AF_UNIX };
        snprintf(ret->sun_path, sizeof ret->sun_path, "/proc/self/fd/%d/" KEEPER_SOCKET, dirfd);
        return (int) sizeof *ret;
}

/* Close every fd from 3 up except the `n` in `keep` (ascending). */
static void close_all_but(const int *keep, size_t n)
{
        unsigned int from = 3;
        for (size_t i = 0; i < n; i++) {
                if (keep[i] > (int) from)
                        sys_close_range(from, (unsigned int) keep[i] - 1, 0);
                if (keep[i] >= (int) from)
                        from = (unsigned int) keep[i] + 1;
        }
        sys_close_range(from, ~0U, 0);
}

static int cmp_int(const void *a, const void *b)
{
        return *(const int *) a - *(const int *) b;
}

struct keeper {
        int listen, master, pidfd, log, dirfd, client;
};

static void drop_client(struct keeper *k)
{
        close(k->client);
        k->client = -1;
}

/* Console output: to the log, and to the attached client if any. */
static bool relay_output(struct keeper *k)
{
        char buf[16384];
        ssize_t n = read(k->master, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false; /* EIO: no holder of the slave right now */
        if (k->log >= 0 && write_all(k->log, buf, (size_t) n) < 0) {
                close(k->log);
                k->log = -1;
        }
        if (k->client >= 0 && send(k->client, buf, (size_t) n, MSG_NOSIGNAL) != n)
                drop_client(k);
        return true;
}

static void client_message(struct keeper *k)
{
        char buf[16384];
        ssize_t n = recv(k->client, buf, sizeof buf, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                drop_client(k);
                return;
        }
        if (buf[0] == KEEPER_INPUT && n > 1)
                (void) write_all(k->master, buf + 1, (size_t) n - 1); /* input the guest does not read is dropped */
        else if (buf[0] == KEEPER_WINSIZE && n == 1 + (ssize_t) sizeof(struct winsize))
                ioctl(k->master, TIOCSWINSZ, buf + 1);
}

static void accept_client(struct keeper *k)
{
        int fd = accept4(k->listen, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return;
        char greeting = k->client >= 0 ? KEEPER_BUSY : KEEPER_OK;
        if (send(fd, &greeting, 1, MSG_NOSIGNAL) != 1 || greeting == KEEPER_BUSY) {
                close(fd);
                return;
        }
        /* A client that stops reading is dropped, not waited for. */
        struct timeval tv = { .tv_sec = 2 };
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        k->client = fd;
}

static _Noreturn void keeper_main(struct keeper *k)
{
        setsid();
        prctl(PR_SET_NAME, "carrel-console");
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; i < 3; i++)
                dup2(null, i);
        int keep[] = { k->listen, k->master, k->pidfd, k->log, k->dirfd };
        qsort(keep, ARRAY_SIZE(keep), sizeof *keep, cmp_int);
        close_all_but(keep, ARRAY_SIZE(keep));
        if (chdir("/") < 0)
                _exit(1);
        fcntl(k->master, F_SETFL, fcntl(k->master, F_GETFL) | O_NONBLOCK);
        /* The pty hangs up whenever no one in the container holds its slave
         * (an init reopening /dev/console): the master is then left out of
         * the poll for a while, as in wait.c. */
        bool hung_up = false;
        for (;;) {
                struct pollfd p[4] = { { .fd = k->pidfd, .events = POLLIN }, { .fd = k->listen, .events = POLLIN },
                                       { .fd = hung_up ? -1 : k->master, .events = POLLIN },
                                       { .fd = k->client, .events = POLLIN } };
                int n = poll(p, 4, hung_up ? 100 : -1);
                if (n == 0)
                        hung_up = false;
                if (n < 0 && errno != EINTR)
                        break;
                if (n <= 0)
                        continue;
                if ((p[2].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_output(k))
                        hung_up = true;
                if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
                        client_message(k);
                if (p[1].revents & POLLIN)
                        accept_client(k);
                if (p[0].revents & POLLIN) {
                        do
                                errno = 0;
                        while (relay_output(k) && errno != EAGAIN);
                        break;
                }
        }
        unlinkat(k->dirfd, KEEPER_SOCKET, 0);
        unlinkat(k->dirfd, KEEPER_PID_FILE, 0);
        _exit(0);
}

int keeper_spawn(int dirfd, const char *log_path, int master, int pidfd, struct carrel_error *err)
{
        /* An fd of its own for the dir: the caller's holds the state lock,
         * which must not outlive carrel. */
        _cleanup_close_ int dir = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (dir < 0 || log < 0 || sock < 0)
                return carrel_error_errno(err, errno, "console keeper: cannot open %s",
                                          dir < 0 ? "the state dir" : log < 0 ? log_path : "a socket");
        struct sockaddr_un sa;
        socklen_t len = (socklen_t) socket_addr(dir, &sa);
        unlinkat(dir, KEEPER_SOCKET, 0);
        if (bind(sock, (struct sockaddr *) &sa, len) < 0 || listen(sock, 4) < 0)
                return carrel_error_errno(err, errno, "console keeper: cannot listen on " KEEPER_SOCKET " in the state dir");
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                unlinkat(dir, KEEPER_SOCKET, 0);
                return carrel_error_errno(err, e, "console keeper: fork");
        }
        if (pid == 0) {
                struct keeper k = { .listen = sock, .master = master, .pidfd = pidfd, .log = log, .dirfd = dir,
                                    .client = -1 };
                keeper_main(&k);
        }
        uint64_t start = 0;
        char line[64];
        int r = proc_stat(pid, &start, NULL);
        snprintf(line, sizeof line, "%d %" PRIu64 "\n", (int) pid, start);
        if (r == 0)
                r = write_file_atomic(dir, KEEPER_PID_FILE, line, strlen(line), 0600);
        if (r < 0) {
                kill(pid, SIGKILL);
                unlinkat(dir, KEEPER_SOCKET, 0);
                return carrel_error_set(err, -r, "console keeper: cannot record its pid: %s", strerror(-r));
        }
        return 0;
}

int keeper_connect(int dirfd, struct carrel_error *err)
{
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return carrel_error_errno(err, errno, "socket");
        struct sockaddr_un sa;
        socklen_t len = (socklen_t) socket_addr(dirfd, &sa);
        if (connect(sock, (struct sockaddr *) &sa, len) < 0)
                return errno == ENOENT || errno == ECONNREFUSED ? -ENOENT
                                                                : carrel_error_errno(err, errno, "cannot connect to its console");
        char greeting = 0;
        if (recv(sock, &greeting, 1, 0) != 1)
                return -ENOENT; /* it exited meanwhile */
        if (greeting == KEEPER_BUSY)
                return -EBUSY;
        return TAKE_FD(sock);
}

void keeper_stop(int dirfd)
{
        char line[64];
        int pid = 0;
        uint64_t recorded = 0, start = 0;
        if (read_file_at(dirfd, KEEPER_PID_FILE, line, sizeof line) > 0 &&
            sscanf(line, "%d %" SCNu64, &pid, &recorded) == 2 && pid > 0) {
                _cleanup_close_ int pidfd = sys_pidfd_open(pid, 0);
                /* Checked with the pidfd open: the pid is not someone else's now. */
                if (pidfd >= 0 && proc_stat(pid, &start, NULL) == 0 && start == recorded &&
                    sys_pidfd_send_signal(pidfd, SIGKILL, NULL, 0) == 0) {
                        struct pollfd p = { .fd = pidfd, .events = POLLIN };
                        poll(&p, 1, 5000);
                }
        }
        unlinkat(dirfd, KEEPER_SOCKET, 0);
        unlinkat(dirfd, KEEPER_PID_FILE, 0);
}
