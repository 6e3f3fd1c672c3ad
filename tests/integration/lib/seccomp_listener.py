#!/usr/bin/env python3
"""seccomp_listener.py SOCK OUTDIR MODE [TIMEOUT] -- a linux.seccomp.listenerPath agent.

Listens on SOCK (bound under a temporary name, then renamed), accepts ONE
connection and reads the runtime's message: a JSON payload plus the seccomp
notify fd (SCM_RIGHTS).  Writes OUTDIR/payload.json, OUTDIR/fdlink (readlink
of the received fd) and OUTDIR/nfds.  Then answers every notification until
no process uses the filter any more (or TIMEOUT s, default 15), appending
"nr=<syscall nr> pid=<pid>" to OUTDIR/notifs:
  MODE eperm  -> the syscall fails with EPERM (not executed)
  MODE fake   -> the syscall "succeeds" with return value 0 (not executed)
  MODE none   -> do not read notifications at all
"""
import errno
import fcntl
import os
import select
import socket
import struct
import sys
import time

sock_path, outdir, mode = sys.argv[1:4]
deadline = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 15.0)

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif)      (80 bytes)
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp) (24 bytes)
NOTIF_FMT = "<QIIiIQ6Q"  # id, pid, flags, data.nr, data.arch, data.instruction_pointer, data.args[6]
RESP_FMT = "<QqiI"  # id, val, error, flags


def write(name, text):
    with open(os.path.join(outdir, name + ".tmp"), "w") as f:
        f.write(text)
    os.rename(os.path.join(outdir, name + ".tmp"), os.path.join(outdir, name))


srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path + ".tmp")
srv.listen(1)
os.rename(sock_path + ".tmp", sock_path)
srv.settimeout(max(0.1, deadline - time.monotonic()))
conn, _ = srv.accept()
conn.settimeout(max(0.1, deadline - time.monotonic()))
payload, fds = b"", []
while True:  # the runtime closes its end after the one message
    data, got, _flags, _addr = socket.recv_fds(conn, 65536, 4)
    fds += got
    if not data:
        break
    payload += data
conn.close()
write("nfds", "%d\n" % len(fds))
write("fdlink", (os.readlink("/proc/self/fd/%d" % fds[0]) if fds else "") + "\n")
write("payload.json", payload.decode(errors="replace"))
if not fds or mode == "none":
    time.sleep(max(0, deadline - time.monotonic()) if mode == "none" else 0)
    sys.exit(0)

nfd = fds[0]
poller = select.poll()
poller.register(nfd, select.POLLIN)
while time.monotonic() < deadline:
    ev = poller.poll(100)
    if not ev:
        continue
    _fd, bits = ev[0]
    if not bits & select.POLLIN:
        break  # POLLHUP: no process is left that uses the filter
    buf = bytearray(struct.calcsize(NOTIF_FMT))
    try:
        fcntl.ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, buf, True)
    except OSError as e:
        if e.errno in (errno.EINTR, errno.ENOENT):
            continue
        raise
    nid, pid, _fl, nr, _arch, _ip, *_args = struct.unpack(NOTIF_FMT, bytes(buf))
    with open(os.path.join(outdir, "notifs"), "a") as f:
        f.write("nr=%d pid=%d\n" % (nr, pid))
    if mode == "eperm":
        resp = struct.pack(RESP_FMT, nid, 0, -errno.EPERM, 0)
    else:
        resp = struct.pack(RESP_FMT, nid, 0, 0, 0)
    try:
        fcntl.ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, bytearray(resp), True)
    except OSError as e:
        if e.errno != errno.ENOENT:  # the target died meanwhile
            raise
