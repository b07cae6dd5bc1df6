"""Errors that teach: a Tensor attribute graphstep lacks, and NumPy functions it cannot trace, each said with
what to use instead and the user's line, in one message and exit code 2 from the command line."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pytest

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.cli import main
from graphstep.core.ops import METHODS, NUMPY
from graphstep.core.tracer import VALUE_ONLY
from graphstep.errors import GraphstepError, TensorAttributeError, UnsupportedError

THIS_FILE = os.path.basename(__file__)
X0 = np.array([1.0, 2.0, 4.0])
A0 = np.array([[2.0, 1.0], [1.0, 3.0]])


def line_of(text: str, path: Path = Path(__file__)) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


def error_of(fn, *arrays) -> GraphstepError:
    with pytest.raises(GraphstepError) as info:
        gs.trace(fn, *arrays)
    return info.value


# ───────────────────────────── a Tensor attribute graphstep lacks ─────────────────────────────


def test_a_missing_method_names_the_tensor_the_attribute_and_the_line():
    def fn(t):
        return t.foo()  # the line the message points at

    err = error_of(fn, X0)
    assert isinstance(err, TensorAttributeError) and isinstance(err, AttributeError)
    message = str(err)
    assert "graphstep's Tensor has no attribute 'foo'" in message
    assert f"{THIS_FILE}:{line_of('return t.foo()')}" in message
    assert "(node t)" in message


def test_hasattr_and_getattr_with_a_default_still_work():
    seen = {}

    def fn(t):
        seen.update(has_foo=hasattr(t, "foo"), has_sum=hasattr(t, "sum"), foo=getattr(t, "foo", "default"))
        return t.sum()

    gs.trace(fn, X0)
    assert seen == {"has_foo": False, "has_sum": True, "foo": "default"}


@pytest.mark.parametrize("attr", ["numpy", "detach", "data"])
def test_pytorch_habits_point_at_value(attr):
    err = error_of(lambda t: getattr(t, attr)(), X0)
    assert f"has no attribute '{attr}'" in str(err) and "t.value is the raw ndarray" in err.hint


def test_grad_and_backward_point_at_the_stepper():
    assert "st.grad(" in error_of(lambda t: t.grad, X0).hint
    assert "gs.Stepper" in error_of(lambda t: t.sum().backward(), X0).hint


def test_an_ndarray_method_graphstep_does_not_trace_says_so():
    assert hasattr(np.ndarray, "partition") and "partition" not in METHODS  # the premise of this test
    err = error_of(lambda t: t.partition(1), X0)
    assert "ndarray.partition is not in graphstep's op table" in err.hint
    assert "t.value.partition(...)" in err.hint


def test_a_traced_function_without_a_method_is_named():
    assert "exp" in NUMPY and not hasattr(np.ndarray, "exp")
    assert "np.exp(t) is traced" in error_of(lambda t: t.exp(), X0).hint


def test_a_misspelt_method_gets_the_close_matches():
    err = error_of(lambda t: t.meen(), X0)
    assert "did you mean t.mean?" in err.hint


def test_private_and_dunder_probes_stay_plain_attribute_errors():
    seen = {}

    def fn(t):
        for probe in ("__array_interface__", "_repr_html_"):
            try:
                getattr(t, probe)
            except AttributeError as err:
                seen[probe] = type(err)
        return t.sum()

    gs.trace(fn, X0)
    assert seen == {"__array_interface__": AttributeError, "_repr_html_": AttributeError}


# ───────────────────────────── NumPy functions graphstep cannot trace ─────────────────────────────


MISSING_LINALG = "eig"  # numpy.linalg.det is traced now; eig returns a pair and has no rule here


def test_a_missing_linalg_function_is_named_by_its_full_numpy_name():
    assert f"linalg.{MISSING_LINALG}" not in NUMPY
    for fn in (lambda A: np.linalg.eig(A), lambda A: gnp.linalg.eig(A)):
        err = error_of(fn, A0)
        assert isinstance(err, UnsupportedError)
        assert str(err).splitlines()[0].endswith("numpy.linalg.eig is not in graphstep's op table, so it cannot "
                                                 "be traced")
        assert "numpy.eig " not in str(err)
        assert "in numpy.linalg: " in err.hint and "solve" in err.hint  # what linalg does trace


def test_every_missing_function_on_the_line_is_listed():
    def fn(A):
        return np.linalg.eig(A)[0] + np.frexp(A)[0] + np.exp(A) + np.argmax(A) + np.zeros(2)

    err = error_of(fn, A0)
    first = str(err).splitlines()[0]
    assert first.endswith(f"{THIS_FILE}:{line_of('return np.linalg.eig(A)[0] + np.frexp')}: numpy.linalg.eig and "
                          "numpy.frexp are not in graphstep's op table, so they cannot be traced")


def test_a_statement_over_several_lines_is_read_whole():
    def fn(A):
        return (np.exp(A)
                + np.linalg.eig(A)[0]
                + np.ediff1d(A))

    err = error_of(fn, A0)
    assert "numpy.linalg.eig and numpy.ediff1d are not in graphstep's op table" in str(err)


def test_a_name_numpy_does_not_have_gets_the_one_it_has():
    err = error_of(lambda A: gnp.det(A), A0)
    assert "numpy.det: NumPy has no such function; did you mean numpy.linalg.det?" in err.hint


def test_the_list_of_traced_functions_stays_readable():
    err = error_of(lambda t: np.frexp(t), X0)
    lines = err.hint.splitlines()
    assert all(len(line) <= 130 for line in lines), max(lines, key=len)
    assert f"graphstep traces {len(NUMPY)} NumPy functions" in err.hint
    shown = sum(line.count(",") + 1 for line in lines if ": " in line and "…" in line)
    assert shown < len(NUMPY) // 2  # grouped and cut short, not every name on one line
    assert "elementwise: " in err.hint and "reductions: " in err.hint


def test_value_only_and_passthrough_functions_are_not_listed():
    assert "argmax" in VALUE_ONLY

    def fn(A):
        return np.argmax(A) + np.zeros(2) + np.frexp(A)[0]

    assert str(error_of(fn, A0)).splitlines()[0].endswith("numpy.frexp is not in graphstep's op table, so it "
                                                          "cannot be traced")


# ───────────────────────────── through the command line ─────────────────────────────


def run_file(tmp_path: Path, body: str, capsys) -> tuple[int, str, Path]:
    path = tmp_path / "user.py"
    path.write_text("import numpy as np\nimport graphstep as gs\n\n\n" + textwrap.dedent(body))
    code = main(["run", str(path)])
    return code, capsys.readouterr().err, path


def assert_one_clear_message(err: str) -> None:
    assert "Traceback" not in err
    assert err.startswith("graphstep: ") and err.count("graphstep: ") == 1


def test_cli_missing_method_exits_2_with_one_message(tmp_path, capsys):
    code, err, path = run_file(tmp_path, """\
        @gs.computation
        def bad():
            w = gs.param(np.ones(3), name="w")
            z = w * 2
            return z.cumfoo()
        """, capsys)
    assert code == 2
    assert_one_clear_message(err)
    assert f"user.py:{line_of('z.cumfoo()', path)}: graphstep's Tensor has no attribute 'cumfoo'" in err
    assert "did you mean t.cumprod" in err


def test_cli_missing_functions_exit_2_with_one_message(tmp_path, capsys):
    code, err, path = run_file(tmp_path, """\
        @gs.computation
        def bad():
            A = gs.param(np.eye(2) * 2, name="A")
            return (np.linalg.eig(A)[0] + np.frexp(A)[0]).sum()
        """, capsys)
    assert code == 2
    assert_one_clear_message(err)
    assert (f"user.py:{line_of('np.linalg.eig', path)}: numpy.linalg.eig and numpy.frexp are not in graphstep's "
            "op table") in err
