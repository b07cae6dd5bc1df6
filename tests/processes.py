"""``graphstep`` processes for the tests: the real console script, and the same program forked from a zygote.

A ``graphstep`` process spends ~0.17 CPU-s on what no bad input changes: the interpreter starts and imports
NumPy and graphstep (~0.13), and at exit frees all of it (~0.035).  Tests that check what one command prints for
one input need their own process (its own exit code, stdin, stdout, stderr, cwd, environment, interpreter
exit), not their own imports.  So each test worker keeps one *zygote*: a Python process that does what the
``graphstep`` script in the venv's bin does before its last line (its folder first on ``sys.path``, ``from
graphstep.cli import main``) and then waits.  For each case it forks a child (~20 CPU-ms for a bad input) that

* takes the case's pipes as its fds 0, 1 and 2 (the zygote never used ``sys.stdin``/``stdout``/``stderr``, so
  nothing is buffered in them), the case's folder as cwd, the test's environment, and ``sys.argv``;
* runs the script's last two lines (``sys.argv[0]`` cut as the script cuts it, ``sys.exit(main())``): ``main``
  sees ``argv=None``, as from the console;
* ends as the interpreter ends (``end`` in ``ZYGOTE``): SystemExit's code (None 0, an int itself, anything else
  printed and 1), an uncaught exception printed by ``sys.excepthook`` and 1 (an uncaught KeyboardInterrupt: killed
  by SIGINT), non-daemon threads joined, atexit handlers run, stdout and stderr flushed ("Exception ignored" and
  120 if stdout cannot be) — then ``os._exit``, skipping only the freeing of every object.

The zygote reaps each child and reports its exit code as ``subprocess`` does (negative: killed by that signal).
What a child does not redo: interpreter start-up (options read from the environment then, PYTHONPATH and
PYTHONHASHSEED, are the zygote's, so the children share a hash seed), the import of graphstep.cli (import-time
behaviour is for real processes), ``__del__`` methods that the heap's teardown would run, and the outermost
frame of a traceback (the zygote's ``<string>``, not the script's file: no traceback should reach it).  The zygote
starts with SIGINT at its default, as from a terminal, so each child has Python's KeyboardInterrupt handler as a
started ``graphstep`` has.  Tests keep the real console script (``COMMAND``, ``run_real``) for what only a started
process shows (ctrl+c, a closed pipe, imports) and for one case of each kind compared byte for byte with its
forked child.
"""

from __future__ import annotations

import atexit
import functools
import json
import locale
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("graphstep")  # the console script pip wrote ([project.scripts])
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "graphstep.cli"]
WAIT = 60  # seconds a process may take before the test fails instead of hanging

# The zygote's program.  Its first lines are the console script's imports; its last two are the script's last
# two lines, which only the forked children reach.  Its stdout and stderr are pipes, as a started process's are
# in these tests: the TextIOWrappers made for them at start-up (which the children inherit) are made for pipes.
ZYGOTE = r'''
import os, re, select, socket, sys, json
script, channel = sys.argv[1], int(sys.argv[2])
sys.path[0] = os.path.dirname(script)  # where a script's imports start: its own folder
from graphstep.cli import main


def serve(channel):
    """Fork a child per request; report each child's exit.  Returns in the child only, with its request."""
    children = {}  # pidfd -> pid: a pidfd becomes readable when its process ends
    while True:
        ready, _, _ = select.select([channel, *children], [], [])
        for fd in ready:
            if fd in children:
                pid = children.pop(fd)
                os.close(fd)
                _, status = os.waitpid(pid, 0)
                channel.send(json.dumps({"ended": pid, "code": os.waitstatus_to_exitcode(status)}).encode())
                continue
            data, fds, _, _ = socket.recv_fds(channel, 1 << 20, 3)
            if not data:  # the tests are done: end what is left, reap it, go
                for pidfd, pid in children.items():
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                sys.exit(0)
            pid = os.fork()
            if pid == 0:
                channel.close()
                for pidfd in children:
                    os.close(pidfd)
                return json.loads(data), fds
            for received in fds:
                os.close(received)
            children[os.pidfd_open(pid)] = pid
            channel.send(json.dumps({"started": pid}).encode())


def end(code):
    """End as ``Py_FinalizeEx`` then ``exit`` would, less the teardown of the heap (freeing every object of the
    imports, 35 CPU-ms in a forked child, writing to every page it shares with the zygote): non-daemon threads
    are joined, atexit handlers run, stdout is flushed ("Exception ignored" and exit 120 if it cannot be)."""
    if "threading" in sys.modules:
        sys.modules["threading"]._shutdown()
    import atexit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not stream.closed:
            try:
                stream.flush()
            except Exception as err:
                if stream is sys.stdout:
                    print(f"Exception ignored in: {stream!r}", file=sys.stderr)
                    sys.excepthook(type(err), err, None)
                code = 120
    if code == "SIGINT":  # as an uncaught KeyboardInterrupt ends a started interpreter: killed by SIGINT
        import signal
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)


request, fds = serve(socket.socket(fileno=channel))
for number, received in enumerate(fds):
    os.dup2(received, number)
    os.close(received)
os.chdir(request["cwd"])
os.environ.clear()
os.environ.update(request["env"])
sys.argv = [script, *request["argv"]]
for name in request["hidden"]:  # a machine without it: importing it raises ImportError
    sys.modules[name] = None
try:  # the script's last two lines, then the exit code as the interpreter makes it of what they raise
    sys.argv[0] = re.sub(r'(-script\.pyw|\.exe)?$', '', sys.argv[0])
    sys.exit(main())
except SystemExit as stop:
    code = 0 if stop.code is None else stop.code
    if not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
except KeyboardInterrupt:
    sys.excepthook(*sys.exc_info())
    code = "SIGINT"
except BaseException:
    sys.excepthook(*sys.exc_info())
    code = 1
end(code)
'''


def _as_in_a_terminal() -> None:
    """SIGINT at its default in the zygote (and so in its children), even where the tests run with it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Zygote:
    """One zygote process and the channel to it: a SOCK_SEQPACKET socket, one JSON message per datagram."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, str(SCRIPT), str(theirs.fileno())], pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_as_in_a_terminal)
        theirs.close()
        self.channel = ours
        self.ended: dict[int, int] = {}  # pid -> exit code, as the zygote reported them

    def fork(self, argv: Sequence[str], cwd: str | Path, env: Mapping[str, str], fds: Sequence[int],
             hidden: Sequence[str]) -> int:
        """A child running ``graphstep ARGV`` with ``fds`` as its stdin, stdout, stderr, and the modules ``hidden``
        unimportable (a module the zygote imported cannot be hidden: graphstep.cli imports no optional one): its
        pid."""
        request = json.dumps({"argv": list(argv), "cwd": str(cwd), "env": dict(env), "hidden": list(hidden)})
        request = request.encode()
        socket.send_fds(self.channel, [request], list(fds))
        while True:
            message = self._receive(WAIT)
            if "started" in message:
                return message["started"]

    def wait(self, pid: int, timeout: float) -> int:
        """The exit code of child ``pid``, once it has ended; TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while pid not in self.ended:
            self._receive(deadline - time.monotonic())
        return self.ended.pop(pid)

    def _receive(self, timeout: float) -> dict:
        if timeout <= 0:
            raise TimeoutError
        self.channel.settimeout(timeout)
        data = self.channel.recv(1 << 16)
        if not data:
            _, err = self.process.communicate(timeout=WAIT)
            raise RuntimeError(f"the zygote ended (exit {self.process.returncode}): {err.decode()}")
        message = json.loads(data)
        if "ended" in message:
            self.ended[message["ended"]] = message["code"]
        return message

    def close(self) -> None:
        """Close the channel: the zygote ends what is left of its children and exits; reap it (its CPU time and
        its children's then count in this process's RUSAGE_CHILDREN)."""
        self.channel.close()
        self.process.communicate(timeout=WAIT)


@functools.cache
def zygote() -> Zygote:
    """This process's zygote, started on first use and closed when the process exits."""
    started = Zygote()
    atexit.register(started.close)
    return started


def _text(data: bytes) -> str:
    """Bytes as ``subprocess`` with ``text=True`` gives them: the locale's encoding, universal newlines."""
    return data.decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")


class Forked:
    """A forked ``graphstep`` process, stdin from /dev/null: a ``subprocess.Popen`` with text pipes for stdout and
    stderr."""

    def __init__(self, argv: Sequence[str], cwd: str | Path, hidden: Sequence[str] = ()) -> None:
        self.args = [*COMMAND, *argv]
        stdin = os.open(os.devnull, os.O_RDONLY)
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        try:
            self.pid = zygote().fork(argv, cwd, os.environ, [stdin, out_write, err_write], hidden)
        finally:
            for fd in (stdin, out_write, err_write):
                os.close(fd)
        self._pipes = {out_read: bytearray(), err_read: bytearray()}
        self.stdout_fd, self.stderr_fd = out_read, err_read
        self.returncode: int | None = None

    def communicate(self, timeout: float = WAIT) -> tuple[str, str]:
        """Everything the child wrote to stdout and stderr, read side by side until both close, and its end."""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for fd in self._pipes:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(self.args, timeout)
                for key, _ in selector.select(left):
                    chunk = os.read(key.fd, 1 << 16)
                    self._pipes[key.fd] += chunk
                    if not chunk:
                        selector.unregister(key.fd)
                        os.close(key.fd)
        self.wait(max(deadline - time.monotonic(), 0.001))
        return _text(bytes(self._pipes[self.stdout_fd])), _text(bytes(self._pipes[self.stderr_fd]))

    def wait(self, timeout: float = WAIT) -> int:
        if self.returncode is None:
            try:
                self.returncode = zygote().wait(self.pid, timeout)
            except TimeoutError:
                raise subprocess.TimeoutExpired(self.args, timeout) from None
        return self.returncode


def run(argv: Sequence[str], cwd: str | Path, timeout: float = WAIT, hidden: Sequence[str] = ()
        ) -> subprocess.CompletedProcess:
    """``graphstep ARGV`` in ``cwd``, forked from this worker's zygote and run to its end (``hidden``: modules it
    cannot import, as on a machine without them): its exit code, stdout and stderr."""
    child = Forked(argv, cwd, hidden)
    out, err = child.communicate(timeout)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def run_real(argv: Sequence[str], cwd: str | Path, timeout: float = WAIT) -> subprocess.CompletedProcess:
    """``graphstep ARGV`` as a user starts it: the console script, a new interpreter."""
    return subprocess.run([*COMMAND, *argv], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, check=False)
