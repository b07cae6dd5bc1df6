"""Bad input through ``graphstep run`` and ``graphstep export`` processes: the exit code, one message naming
the file (and line), and never a frame of graphstep's own; a closed pipe and ctrl+c end quietly.

Every case is its own process with its own exit code, stdin and stderr.  Most are children forked from a zygote
that has done what the ``graphstep`` script does before ``main`` (tests/processes.py says how that is faithful):
the message of a bad input is made after the imports, by ``main`` and the interpreter's exit, which each child
runs (all of the exit but the freeing of the heap).  What only a started process shows keeps the real console
script: a closed pipe and ctrl+c, and one case of each command and each kind of ending (``REAL``, and a refused
option) whose real output must equal its forked child's byte for byte."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import textwrap
from pathlib import Path

import pytest
from processes import COMMAND, WAIT, run, run_real

HEADER = "import numpy as np\nimport graphstep as gs\n\n\n"


def computation(body: str = "", returns: str = "return (x * x).sum()") -> str:
    return ("@gs.computation\ndef f():\n    x = gs.param(np.ones(3), name='x')\n"
            + textwrap.indent(textwrap.dedent(body), "    ") + f"    {returns}\n")


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    source: str | bytes | None  # None: FILE is a directory
    code: int
    said: str
    line: str | None = None  # text of the line the message must name (None: the file alone)
    commands: tuple[str, ...] = ("run",)  # export loads the file as run does: one case of each kind runs both
    traceback: bool = False  # the user's own exception: their trimmed traceback is shown

    @property
    def file(self) -> str:
        return f"{self.name}.py"


CASES = [
    Case("exit_at_top", "import sys\nsys.exit(5)\n" + computation(), 2, "your file called sys.exit(5)",
         "sys.exit(5)", commands=("run", "export")),
    Case("exit_in_computation", computation("import sys\nsys.exit(5)\n"), 2, "your file called sys.exit(5)",
         "sys.exit(5)"),
    Case("raise_system_exit", computation("raise SystemExit(4)\n"), 2, "raised SystemExit(4)", "SystemExit(4)"),
    Case("raise_keyboard_interrupt", computation("raise KeyboardInterrupt\n"), 2, "raised KeyboardInterrupt",
         "raise KeyboardInterrupt"),
    Case("base_exception", "class Stop(BaseException):\n    pass\n\n\n" + computation("raise Stop('halt')\n"), 2,
         "Stop: halt", "raise Stop", traceback=True, commands=("run", "export")),
    Case("user_value_error", computation("raise ValueError('bad data')\n"), 2, "ValueError: bad data",
         "raise ValueError", traceback=True),
    Case("reads_input", computation("n = input('how many? ')\n"), 2, "reads standard input", "input("),
    Case("reads_stdin", "import sys\n\n\n" + computation("data = sys.stdin.read()\n"), 2, "reads standard input",
         "sys.stdin.read()", commands=("run", "export")),
    Case("returns_float", computation(returns="return 1.5"), 2, "returned float", "return 1.5"),
    Case("returns_nothing", computation(returns="y = x * 2"), 2, "has no return statement", "def f",
         commands=("run", "export")),
    Case("takes_argument", "@gs.computation\ndef f(a):\n    return gs.param(a)\n", 2, "takes an argument (a)",
         "def f"),
    Case("param_at_top", "W = gs.param(np.ones(3))\n\n\n" + computation(), 2, "must be called inside a computation",
         "W = gs.param"),
    Case("folder", None, 2, "is a directory", commands=("run", "export")),
    Case("missing", "", 2, "no such file"),
    Case("not_utf8", (HEADER + "# caf").encode() + b"\xe9\n" + computation().encode(), 2, "byte 0xe9",
         "# caf"),
    Case("syntax", "def f(:\n    pass\n", 2, "syntax error", "def f(", commands=("run", "export")),
    Case("empty_param_mean", computation(returns="return gs.param(np.ones(0), name='e').mean()"), 0,
         "input e (0) is empty"),
]


BY_NAME = {case.name: case for case in CASES}
# A real process per command and per way a bad input ends, compared with its forked child: an error as the file
# loads, the user's traceback, their BaseException, reading stdin, a wrong return, a warning with exit 0
REAL = [("exit_at_top", "export"), ("base_exception", "run"), ("raise_keyboard_interrupt", "run"),
        ("reads_stdin", "run"), ("returns_float", "run"), ("empty_param_mean", "run")]


def argv(case: Case, command: str) -> list[str]:
    return [command, case.file] + (["-o", f"{case.name}.svg"] if command == "export" else [])


def write(folder: Path, case: Case) -> None:
    """The case's FILE in ``folder`` (none for ``missing``, a directory for ``folder``)."""
    path = folder / case.file
    if case.source is None:
        path.mkdir()
    elif isinstance(case.source, bytes):
        path.write_bytes(case.source)
    elif case.name != "missing":
        path.write_text((HEADER if "gs." in case.source else "") + case.source)


def same_process_output(real: subprocess.CompletedProcess, forked: subprocess.CompletedProcess) -> None:
    assert (real.returncode, real.stdout, real.stderr) == (forked.returncode, forked.stdout, forked.stderr)


def assert_no_graphstep_frames(text: str, traceback: bool, file: str) -> None:
    for line in text.splitlines():
        assert "graphstep/" not in line and "Exception ignored" not in line, line
        if line.lstrip().startswith("File "):
            assert traceback and (f'"{file}"' in line or f'/{file}"' in line), line  # only the user's own frames
    assert traceback or "Traceback" not in text


@pytest.mark.parametrize(("case", "command"), [(c, cmd) for c in CASES for cmd in c.commands],
                         ids=[f"{c.name}-{cmd}" for c in CASES for cmd in c.commands])
def test_bad_input_gives_one_clear_message(tmp_path, case, command):
    write(tmp_path, case)
    done = run(argv(case, command), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == case.code, output
    assert case.said in output, output
    assert "RuntimeWarning" not in output, output  # a NaN is graphstep's to say (empty_param_mean), not NumPy's
    assert_no_graphstep_frames(output, case.traceback, case.file)
    if case.code == 2:
        message = [line for line in done.stderr.splitlines() if line.startswith("graphstep: ")]
        assert len(message) == 1, done.stderr
        assert case.file in message[0]
        if case.line is not None:
            source = (tmp_path / case.file).read_bytes().decode("utf-8", "replace").splitlines()
            number = next(n for n, text in enumerate(source, start=1) if case.line in text)
            assert f"{case.file}:{number}:" in message[0], message[0]


@pytest.mark.parametrize(("name", "command"), REAL, ids=[f"{name}-{command}" for name, command in REAL])
def test_the_console_script_ends_as_its_forked_child(tmp_path, name, command):
    """The real ``graphstep`` process of this case gives what the forked one gives (and so passes its checks)."""
    case = BY_NAME[name]
    write(tmp_path, case)
    real = run_real(argv(case, command), tmp_path)
    same_process_output(real, run(argv(case, command), tmp_path))


@pytest.mark.parametrize(("args", "said"), [
    (["run", "FILE", "--grad-norm-limit", "nan"], "--grad-norm-limit: must be a finite number ≥ 0, not 'nan'"),
    (["run", "FILE", "--grad-norm-limit", "-1"], "--grad-norm-limit: must be a finite number ≥ 0, not '-1'"),
    (["run", "FILE", "--grad-norm-limit", "inf"], "--grad-norm-limit: must be a finite number ≥ 0, not 'inf'"),
    (["FILE", "--reseed", "-1"], "--reseed: must be a whole number ≥ 0, not '-1'"),
])
def test_bad_options_are_refused_before_running_the_file(tmp_path, args, said):
    path = tmp_path / "fine.py"
    path.write_text(HEADER + computation())
    args = [str(path) if a == "FILE" else a for a in args]
    done = run(args, tmp_path)
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    if said.endswith("'nan'"):  # one refusal by the real console script too
        same_process_output(run_real(args, tmp_path), done)


LONG = {  # output far longer than a pipe holds (64 KB)
    "table": computation("for _ in range(1500):\n    x = x * 1.0001\n"),
    "their prints": computation("for i in range(100_000):\n    print('line', i)\n"),
}


@pytest.mark.parametrize("body", LONG.values(), ids=LONG.keys())
def test_a_closed_pipe_ends_quietly(tmp_path, body):
    """``graphstep run FILE | head -1``: no BrokenPipeError, no 'Exception ignored', not even from their print."""
    path = tmp_path / "long.py"
    path.write_text(HEADER + body)
    process = subprocess.Popen(COMMAND + ["run", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline()
    process.stdout.close()  # the reader goes away, as head does
    err = process.stderr.read()
    assert process.wait(WAIT) in (0, 141)
    assert err == "", err


def as_in_a_terminal() -> None:
    """ctrl+c reaches the command, as in a terminal, even when the tests run where it is ignored (a job a
    script started in the background inherits SIGINT ignored, and Python then installs no handler for it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(process: subprocess.Popen, times: int = 1) -> tuple[int, str]:
    """ctrl+c ``times``; a command that does not end is killed, not left looping after the test failed."""
    try:
        for _ in range(times):
            process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=WAIT)
    finally:
        process.kill()
        process.wait()
    return process.returncode, err


def test_ctrl_c_while_the_file_runs_exits_130_without_a_traceback(tmp_path):
    path = tmp_path / "forever.py"
    path.write_text(HEADER + computation("print('ready', flush=True)\nwhile True:\n    pass\n"))
    process = subprocess.Popen(COMMAND + ["run", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=as_in_a_terminal)
    assert process.stdout.readline() == "ready\n"  # inside the loop now
    code, err = interrupt(process)
    assert code == 130 and "interrupted" in err, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_two_ctrl_c_during_a_long_check_exit_130_without_a_traceback(tmp_path):
    path = tmp_path / "deep.py"
    path.write_text(HEADER + computation("for k in range(1500):\n    x = x * gs.param(np.ones(3), name=f'w{k}')\n"))
    process = subprocess.Popen(COMMAND + ["run", str(path), "--check-all"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=as_in_a_terminal)
    for line in process.stdout:
        if line.startswith("grad x"):  # the table is out: the check comes next
            break
    code, err = interrupt(process, times=2)
    assert code == 130 and "interrupted" in err, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
