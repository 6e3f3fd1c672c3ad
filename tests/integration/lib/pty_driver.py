#!/usr/bin/env python3
"""pty_driver.py ROWS COLS -- CMD...: run CMD on a new pty, as a person's
terminal would, and report what it did to that terminal.

CMD gets the pty as its controlling terminal and stdio. Once CMD has printed
"ready", the driver checks that the terminal was put in raw mode (no ICANON,
no ECHO), then resizes it to ROWS x COLS (the kernel sends SIGWINCH). After
CMD exits it checks that the terminal's modes are back as they were. Prints:
  raw=0|1  restored=0|1  status=N  and the output, each line as out:LINE
"""
import fcntl
import os
import select
import struct
import sys
import termios
import time

rows, cols = int(sys.argv[1]), int(sys.argv[2])
cmd = sys.argv[sys.argv.index("--") + 1:]
master, slave = os.openpty()
fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
before = termios.tcgetattr(slave)
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.execvp(cmd[0], cmd)

out, raw, resized = b"", None, False
deadline = time.monotonic() + 20
status = None
while time.monotonic() < deadline:
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        try:
            data = os.read(master, 4096)
        except OSError:
            data = b""
        out += data
    if raw is None and b"ready" in out:
        lflag = termios.tcgetattr(slave)[3]
        raw = int(not (lflag & (termios.ICANON | termios.ECHO)))
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
# what is still buffered
while select.select([master], [], [], 0.2)[0]:
    try:
        data = os.read(master, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
after = termios.tcgetattr(slave)
print("raw=%d" % (raw or 0))
print("restored=%d" % int(after[:4] == before[:4]))
print("status=%s" % status)
for line in out.decode(errors="replace").replace("\r", "").splitlines():
    print("out:" + line)
