"""The user's code runs where it cannot hurt graphstep: exits, interrupts, stdin and endless loops.

Loading a file and tracing its computation run the user's code under one guard
(``graph.run_user_code``): whatever it raises ends as a GraphstepError naming their
file and line, reading stdin fails at once, a real ctrl+c stays a KeyboardInterrupt,
and another thread can stop an endless loop (``interrupt_thread``).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import textwrap
import threading
import time
import types
from pathlib import Path

import pytest
from support import line_of

import graphstep as gs
from graphstep.core.loader import Cancelled, interrupt_thread, load_and_trace, read_source
from graphstep.errors import GraphstepError, LoadError, UserCodeError

HEADER = "import numpy as np\nimport graphstep as gs\n\n\n"
JOIN = 30  # seconds a worker thread may take before the test fails instead of hanging


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def computation(body: str) -> str:
    """A computation whose body (indented four spaces) runs after making a param x."""
    return ("@gs.computation\ndef f():\n    x = gs.param(np.ones(3), name=\"x\")\n"
            + textwrap.indent(textwrap.dedent(body), "    ") + "    return (x * x).sum()\n")


@pytest.fixture(autouse=True)
def untouched():
    """Every test leaves stdin and the ctrl+c handler as it found them."""
    stdin, handler = sys.stdin, signal.getsignal(signal.SIGINT)
    yield
    assert sys.stdin is stdin
    assert signal.getsignal(signal.SIGINT) is handler


def in_thread(fn) -> tuple[threading.Thread, dict]:
    """Run ``fn`` in a daemon thread: a test that fails cannot hang the suite."""
    box: dict = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as err:  # noqa: BLE001 - the test looks at whatever came out
            box["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def traced_error(path: Path) -> GraphstepError:
    with pytest.raises(GraphstepError) as info:
        load_and_trace(str(path))
    return info.value


# ───────────────────────────── exits and interrupts ─────────────────────────────


@pytest.mark.parametrize(("body", "said"), [
    ("import sys\nsys.exit(5)\n", "your file called sys.exit(5)"),
    ("raise SystemExit(3)\n", "your file raised SystemExit(3)"),
    ("import sys\nsys.exit()\n", "your file called sys.exit()"),
    ("raise KeyboardInterrupt\n", "your file raised KeyboardInterrupt"),
])
def test_an_exit_in_the_computation_names_its_line(tmp_path, body, said):
    path = write(tmp_path, "exits.py", computation(body))
    err = traced_error(path)
    assert isinstance(err, UserCodeError) and said in err.message
    assert err.source.endswith(f"exits.py:{line_of(path, body.splitlines()[-1])}")


def test_an_exit_at_the_top_of_the_file_names_its_line(tmp_path):
    path = write(tmp_path, "top.py", "import sys\nsys.exit(5)\n" + computation(""))
    err = traced_error(path)
    assert "sys.exit(5)" in err.message and err.source.endswith(f"top.py:{line_of(path, 'sys.exit')}")
    assert "__main__" in err.hint


def test_a_base_exception_of_the_users_is_their_error(tmp_path):
    path = write(tmp_path, "stop.py", "class Stop(BaseException):\n    pass\n\n\n" + computation("raise Stop('no')\n"))
    err = traced_error(path)
    assert isinstance(err, UserCodeError) and err.message == "Stop: no"
    assert err.source.endswith(f"stop.py:{line_of(path, 'raise Stop')}")
    assert "graphstep/" not in err.traceback_text  # their frames only


def test_a_file_that_traces_at_its_top_level_still_names_the_line(tmp_path):
    path = write(tmp_path, "nested.py", computation("import sys\nsys.exit(7)\n") + "\ngraph = gs.trace(f)\n")
    err = traced_error(path)
    assert "sys.exit(7)" in err.message and err.source.endswith(f"nested.py:{line_of(path, 'sys.exit(7)')}")


@pytest.fixture
def ctrl_c_handled_by_python():
    """Python's own SIGINT handler, as in a terminal, even where the tests run with SIGINT ignored (a job a script
    started in the background)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_a_real_ctrl_c_stays_an_interrupt(tmp_path, ctrl_c_handled_by_python):
    """The signal arrives while the user's code runs: graphstep stops (exit 130), it is not the file's error."""
    path = write(tmp_path, "pressed.py", computation("""\
        import os, signal
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10_000_000):  # the signal lands within a few bytecodes
            pass
        raise AssertionError("no SIGINT arrived")
        """))
    with pytest.raises(KeyboardInterrupt):
        load_and_trace(str(path))


def test_with_ctrl_c_ignored_an_interrupt_raised_is_the_files(tmp_path):
    """Started with SIGINT ignored (nohup, a background job), no ctrl+c can arrive: the file raised it."""
    path = write(tmp_path, "raised.py", computation("raise KeyboardInterrupt\n"))
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        err = traced_error(path)
    finally:
        signal.signal(signal.SIGINT, before)
    assert err.message == "your file raised KeyboardInterrupt"


def test_an_interrupt_raised_off_the_main_thread_is_the_files(tmp_path):
    path = write(tmp_path, "raised.py", computation("raise KeyboardInterrupt\n"))
    thread, box = in_thread(lambda: load_and_trace(str(path)))
    thread.join(JOIN)
    assert not thread.is_alive()
    assert isinstance(box.get("error"), UserCodeError) and "raised KeyboardInterrupt" in box["error"].message


# ───────────────────────────── standard input ─────────────────────────────


@pytest.mark.parametrize("read", ["s = input('n? ')", "s = sys.stdin.read()", "s = sys.stdin.readline()",
                                  "s = [line for line in sys.stdin]", "s = sys.stdin.buffer.read()"])
def test_reading_stdin_is_refused_at_once(tmp_path, read):
    path = write(tmp_path, "reads.py", "import sys\n\n" + computation(read + "\n"))
    thread, box = in_thread(lambda: load_and_trace(str(path)))  # a hang fails the join, not the suite
    thread.join(JOIN)
    assert not thread.is_alive(), "reading stdin waited"
    err = box.get("error")
    assert isinstance(err, GraphstepError) and "reads standard input" in err.message
    assert err.source.endswith(f"reads.py:{line_of(path, read)}")


def test_stdin_is_back_after_the_trace(tmp_path):
    seen = types.SimpleNamespace()
    sys.modules["graphstep_test_probe"] = seen
    try:
        path = write(tmp_path, "probe.py", "import sys\nimport graphstep_test_probe as probe\n\n\n"
                     + computation("probe.stdin = sys.stdin\n"))
        load_and_trace(str(path))
    finally:
        del sys.modules["graphstep_test_probe"]
    assert seen.stdin is not sys.stdin and not seen.stdin.isatty()  # replaced while it ran, restored after


# ───────────────────────────── stopping from another thread ─────────────────────────────


@pytest.mark.parametrize("loop", ["while True:\n    pass\n",
                                  "while True:\n    try:\n        pass\n    except Exception:\n        pass\n"])
def test_an_endless_loop_is_stopped_from_another_thread(tmp_path, loop):
    probe = types.SimpleNamespace(started=threading.Event())
    sys.modules["graphstep_test_probe"] = probe
    try:
        path = write(tmp_path, "spin.py", "import graphstep_test_probe as probe\n\n\n"
                     + computation("probe.started.set()\n" + loop))
        thread, box = in_thread(lambda: load_and_trace(str(path)))
        assert probe.started.wait(JOIN), "the computation never started"
        assert interrupt_thread(thread)
        thread.join(JOIN)
    finally:
        del sys.modules["graphstep_test_probe"]
    assert not thread.is_alive(), "interrupt_thread did not stop the loop"
    err = box.get("error")
    assert isinstance(err, Cancelled), box
    assert "stopped while your file was running" in err.message
    file, line = err.source.rsplit(":", 1)
    assert file.endswith("spin.py") and int(line) >= line_of(path, "while True")  # the line the loop had reached


def test_a_stop_reaches_load_and_trace_between_the_file_and_its_computation(tmp_path, monkeypatch):
    """One guard holds from loading to the end of tracing: no instant in between where a stop is lost."""
    started = threading.Event()

    def busy_trace(fn, reseed=None):  # graphstep's own work after the file ran, before the computation
        started.set()
        while True:
            pass

    monkeypatch.setattr("graphstep.core.loader.trace", busy_trace)
    path = write(tmp_path, "between.py", computation(""))
    thread, box = in_thread(lambda: load_and_trace(str(path)))
    assert started.wait(JOIN)
    assert interrupt_thread(thread)
    thread.join(JOIN)
    assert not thread.is_alive() and isinstance(box.get("error"), Cancelled), box


def test_interrupting_a_thread_that_runs_no_user_code_does_nothing(tmp_path):
    path = write(tmp_path, "fine.py", computation(""))
    thread, box = in_thread(lambda: load_and_trace(str(path)))
    thread.join(JOIN)
    assert isinstance(box.get("result"), gs.Graph)
    assert not interrupt_thread(thread)
    assert not interrupt_thread(threading.current_thread())


def test_a_stop_asked_for_late_leaves_nothing_behind(tmp_path):
    """A stop that arrives as the trace finishes is dropped with it: the thread carries on unharmed."""
    path = write(tmp_path, "quick.py", computation(""))
    after = threading.Event()

    def trace_then_carry_on():
        for _ in range(50):
            with contextlib.suppress(Cancelled):
                load_and_trace(str(path))
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 0.05:  # bytecodes for a stray stop to land on
            pass
        after.set()

    thread, box = in_thread(trace_then_carry_on)
    while thread.is_alive() and not after.is_set():
        interrupt_thread(thread)
    thread.join(JOIN)
    assert "error" not in box, box.get("error")
    assert after.is_set()


# ───────────────────────────── weak messages ─────────────────────────────


def test_a_param_outside_a_computation_names_its_line(tmp_path):
    path = write(tmp_path, "module_param.py", "W = gs.param(np.ones(3), name='W')\n\n\n" + computation(""))
    err = traced_error(path)
    assert "must be called inside a computation" in err.message
    assert err.source.endswith(f"module_param.py:{line_of(path, 'W = gs.param')}")


@pytest.mark.parametrize(("returned", "said", "at"), [
    ("return 1.5", "returned float, not a traced tensor", "return 1.5"),
    ("return None", "returned None", "return None"),
    ("y = x * 2", "has no return statement", "def f"),
])
def test_a_computation_returning_no_tensor_names_the_line(tmp_path, returned, said, at):
    path = write(tmp_path, "returns.py", f"@gs.computation\ndef f():\n    x = gs.param(np.ones(3), name='x')\n"
                                         f"    {returned}\n")
    err = traced_error(path)
    assert said in err.message and err.source.endswith(f"returns.py:{line_of(path, at)}")


def test_a_computation_taking_an_argument_names_its_def(tmp_path):
    path = write(tmp_path, "takes.py", "@gs.computation\ndef f(a, b=2):\n    return gs.param(a)\n")
    err = traced_error(path)
    assert "takes an argument (a)" in err.message and err.source.endswith(f"takes.py:{line_of(path, 'def f')}")


def test_a_directory_is_not_a_missing_file(tmp_path):
    (tmp_path / "folder.py").mkdir()
    with pytest.raises(LoadError, match="is a directory"):
        gs.load(str(tmp_path / "folder.py"))


def test_a_byte_python_cannot_read_is_named_with_its_line(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(HEADER.encode() + b"# caf\xe9\n" + computation("").encode())
    with pytest.raises(LoadError) as info:
        gs.load(str(path))
    err = info.value
    assert "byte 0xe9" in err.message and "no encoding" in err.message and "coding" in err.hint
    assert err.source.endswith("latin.py:5")
    assert read_source(str(path)).splitlines()[4] == "# caf\ufffd"  # for display: never a UnicodeDecodeError


def test_a_declared_encoding_is_read_as_python_reads_it(tmp_path):
    path = tmp_path / "declared.py"
    latin = b"# -*- coding: latin-1 -*-\n" + HEADER.encode() + b"NAME = 'caf\xe9'\n"
    path.write_bytes(latin + computation("").encode())
    fn = gs.load(str(path))
    assert sys.modules[fn.__module__].NAME == "café"
    assert "NAME = 'café'" in read_source(str(path))


def test_loading_writes_nothing_beside_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as for a user without PYTHONDONTWRITEBYTECODE
    path = write(tmp_path, "clean.py", computation(""))
    load_and_trace(str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.py"]  # no __pycache__
