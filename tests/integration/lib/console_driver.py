#!/usr/bin/env python3
"""console_driver.py STEP... -- CMD...: run CMD on a new pty, as a person's
terminal would, and play the steps against it, in order:
  send:TEXT     type TEXT (Python escapes: \\r, \\x1d, ...)
  expect:REGEX  wait (up to 20 s) until the output since the last expect
                matches REGEX (bytes, re.S)
  size:ROWSxCOLS resize the terminal (the kernel sends SIGWINCH)
  raw           check that CMD put the terminal in raw mode
  sleep:SECS    wait, reading what CMD prints
  exit          wait (up to 20 s) for CMD to exit
Prints raw=, restored= (termios back as before), status= (when CMD exited),
and every output line as out:LINE. Exits 1, naming the step, when a step
fails; CMD is then killed.
"""
import fcntl
import os
import re
import select
import signal
import struct
import sys
import termios
import time

split = sys.argv.index("--")
steps, cmd = sys.argv[1:split], sys.argv[split + 1:]
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

out, mark, status, raw = b"", 0, None, None


def pump(timeout):
    """Read what CMD printed; note its exit. False once it exited."""
    global out, status
    if select.select([master], [], [], timeout)[0]:
        try:
            out += os.read(master, 4096)
        except OSError:
            pass
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
    return status is None


def report(failed=None):
    global out
    while select.select([master], [], [], 0.2)[0]:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    print("raw=%d" % (raw or 0))
    print("restored=%d" % int(termios.tcgetattr(slave)[:4] == before[:4]))
    print("status=%s" % status)
    for line in out.decode(errors="replace").replace("\r", "").splitlines():
        print("out:" + line)
    if failed:
        print("failed step: " + failed)
        if status is None:
            os.kill(pid, signal.SIGKILL)
        sys.exit(1)


for step in steps:
    kind, _, arg = step.partition(":")
    deadline = time.monotonic() + 20
    if kind == "send":
        os.write(master, arg.encode().decode("unicode_escape").encode("latin-1"))
        pump(0.05)
    elif kind == "expect":
        rx = re.compile(arg.encode(), re.S)
        while not rx.search(out, mark) and pump(0.1) and time.monotonic() < deadline:
            pass
        m = rx.search(out, mark)
        if not m:
            report(step)
        mark = m.end()
    elif kind == "size":
        rows, cols = (int(v) for v in arg.split("x"))
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    elif kind == "sleep":
        end = time.monotonic() + float(arg)
        while time.monotonic() < end and pump(0.05):
            pass
    elif kind == "raw":
        lflag = termios.tcgetattr(slave)[3]
        raw = int(not (lflag & (termios.ICANON | termios.ECHO)))
    elif kind == "exit":
        while pump(0.1) and time.monotonic() < deadline:
            pass
        if status is None:
            report(step)
    else:
        report("unknown step " + step)
report()
