#!/usr/bin/env python3
"""console_recv.py SOCK OUT INFO [TIMEOUT] -- a --console-socket receiver.

Listens on the unix socket SOCK (bound under a temporary name and renamed,
so a client never sees a socket that is not listening yet), accepts ONE
connection, receives the pty master (SCM_RIGHTS) and the payload (the pty
name), writes "name=<payload>\nrdev=<maj>:<min>\n" to INFO, then copies
everything read from the master to OUT until the pty has no more slaves
(EIO) or TIMEOUT seconds (default 20) pass.
"""
import os
import socket
import sys
import time

sock_path, out_path, info_path = sys.argv[1:4]
deadline = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 20.0)

srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
tmp = sock_path + ".tmp"
srv.bind(tmp)
srv.listen(1)
os.rename(tmp, sock_path)
srv.settimeout(max(0.1, deadline - time.monotonic()))
conn, _ = srv.accept()
conn.settimeout(max(0.1, deadline - time.monotonic()))
msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
conn.close()
if len(fds) != 1:
    with open(info_path + ".tmp", "w") as f:
        f.write("error=got %d fds\n" % len(fds))
    os.rename(info_path + ".tmp", info_path)
    sys.exit(1)
master = fds[0]
st = os.fstat(master)
with open(info_path + ".tmp", "w") as f:
    f.write("name=%s\nrdev=%d:%d\n" % (msg.decode(errors="replace"), os.major(st.st_rdev), os.minor(st.st_rdev)))
os.rename(info_path + ".tmp", info_path)

os.set_blocking(master, False)
with open(out_path, "ab", buffering=0) as out:
    import select
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if not r:
            continue
        try:
            data = os.read(master, 65536)
        except BlockingIOError:
            continue
        except OSError:  # EIO: every slave is closed
            break
        if not data:
            break
        out.write(data)
