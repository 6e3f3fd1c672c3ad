#!/usr/bin/env python3
"""pidfd_recv.py SOCK INFO [SIGNAL] -- a --pidfd-socket receiver.

Listens on the unix socket SOCK (bound under a temporary name and renamed,
so a client never sees a socket that is not listening yet), accepts ONE
connection and receives one fd (SCM_RIGHTS). Writes to INFO:
  payload=<the message>  pid=<Pid: from the fd's fdinfo, so a real pidfd>
then, with SIGNAL (a number), sends it through the pidfd
(pidfd_send_signal) and writes sent=SIGNAL.
"""
import os
import signal
import socket
import sys

sock_path, info_path = sys.argv[1:3]
sig = int(sys.argv[3]) if len(sys.argv) > 3 else 0

srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path + ".tmp")
srv.listen(1)
os.rename(sock_path + ".tmp", sock_path)
srv.settimeout(20)
conn, _ = srv.accept()
msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
conn.close()
lines = ["payload=%s" % msg.decode(errors="replace"), "fds=%d" % len(fds)]
if len(fds) == 1:
    with open("/proc/self/fdinfo/%d" % fds[0]) as f:
        for line in f:
            if line.startswith("Pid:"):
                lines.append("pid=%s" % line.split()[1])
    if sig:
        signal.pidfd_send_signal(fds[0], sig)
        lines.append("sent=%d" % sig)
with open(info_path + ".tmp", "w") as f:
    f.write("\n".join(lines) + "\n")
os.rename(info_path + ".tmp", info_path)
