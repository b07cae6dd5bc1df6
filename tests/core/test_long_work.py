"""Long work can be seen and stopped: the gradient check samples (and says what it checked), reports
progress, stops on a cancel event; per-sample gradients too; the CLI shows progress on a terminal."""

from __future__ import annotations

import dataclasses
import functools
import io
import re
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import graphstep as gs
from graphstep.analysis.gradcheck import BUDGET, ENTRIES
from graphstep.cli.main import main
from graphstep.cli.progress import StatusLine
from graphstep.core.ops import OPS
from graphstep.core.work import Cancelled

HEADER = "import numpy as np\nimport graphstep as gs\nfrom graphstep import numpy as gnp\n\n\n"


def traced(tmp_path: Path, body: str, name: str = "work.py") -> gs.Graph:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body))
    return gs.trace(gs.load(str(path)))


def chain_file(layers: int, width: int) -> str:
    """A residual chain like benchmarks/graphs/chain.py: four params per layer, ten nodes per layer."""
    return f"""\
        @gs.computation
        def chain():
            rng = np.random.default_rng(0)
            h = gs.input(rng.standard_normal((2, {width})), name="X")
            for k in range({layers}):
                W1 = gs.param(rng.standard_normal(({width}, {width})) * 0.3, name=f"W1_{{k}}")
                b1 = gs.param(np.zeros({width}), name=f"b1_{{k}}")
                W2 = gs.param(rng.standard_normal(({width}, {width})) * 0.1, name=f"W2_{{k}}")
                b2 = gs.param(np.zeros({width}), name=f"b2_{{k}}")
                h = h + (gnp.tanh(h @ W1 + b1) @ W2 + b2)
            return gnp.mean(h ** 2)
        """


BIG = """\
    @gs.computation
    def big():
        rng = np.random.default_rng(0)
        X = gs.input(rng.standard_normal((5, 20)), name="X")
        W = gs.param(rng.standard_normal((20, 10)), name="W")
        b = gs.param(np.zeros(10), name="b")
        return gnp.sum(gnp.tanh(X @ W + b) ** 2)
    """


@pytest.fixture
def big(tmp_path) -> gs.Graph:
    return traced(tmp_path, BIG)


# ───────────────────────────── what the check checks ─────────────────────────────


def test_a_sample_of_each_param_is_checked_and_the_report_says_so(big):
    report = gs.gradcheck(big)
    W, b = report.results
    assert (W.checked, W.size, b.checked, b.size) == (ENTRIES, 200, 10, 10)
    assert len(set(W.entries)) == ENTRIES and all(0 <= k < 200 for k in W.entries)
    assert f"({ENTRIES} of 200 entries)" in str(W)
    assert report.sampled and report.ok
    assert f"checked {ENTRIES + 10} of 210 entries" in report.coverage() and "seeded" in report.coverage()


def test_the_sample_is_seeded(big):
    first, again, other = (gs.gradcheck(big, seed=s).results[0].entries for s in (0, 0, 1))
    assert first == again and first != other


def test_every_entry_on_request(big):
    report = gs.gradcheck(big, entries="all")
    assert [(r.checked, r.size) for r in report.results] == [(200, 200), (10, 10)]
    assert not report.sampled and report.coverage() == "checked every entry (210)"


def test_a_mismatch_names_its_worst_entry(tmp_path, monkeypatch):
    wrong = dataclasses.replace(OPS["tanh"], vjp=(lambda g, out, x: g * (1.0 - out),))  # forgot the square
    monkeypatch.setitem(OPS, "tanh", wrong)
    W = gs.gradcheck(traced(tmp_path, BIG), entries="all").results[0]
    assert not W.ok and len(W.worst) == 2 and f"at W[{W.worst[0]}, {W.worst[1]}]" in str(W)


FLOAT32 = """\
    @gs.computation
    def cancel():
        rng = np.random.default_rng(0)
        X = gs.input(rng.standard_normal((32, 8)).astype(np.float32), name="X")
        W = gs.param(rng.standard_normal((8, 4)).astype(np.float32), name="W")
        y = gnp.tanh(X @ W)
        return gnp.sum(y ** 2) - gnp.sum((y * 0.999) ** 2)  # big terms that cancel: float32 rounding shows
    """


def test_a_float32_gradient_is_checked_to_float32_precision(tmp_path, monkeypatch):
    graph = traced(tmp_path, FLOAT32)
    assert gs.Stepper(graph).run().grad("W").dtype == np.float32
    (W,) = gs.gradcheck(graph, entries="all").results
    assert W.ok and W.rel_error > 1e-6  # float32's rounding, not a wrong rule
    wrong = dataclasses.replace(OPS["tanh"], vjp=(lambda g, out, x: g * (1.0 - out),))  # forgot the square
    monkeypatch.setitem(OPS, "tanh", wrong)
    assert not gs.gradcheck(traced(tmp_path, FLOAT32, "wrong.py"), entries="all").ok


def test_a_graph_too_big_to_check_whole_is_checked_within_the_budget(tmp_path):
    graph = traced(tmp_path, chain_file(layers=30, width=3))
    unlimited = gs.gradcheck(graph, budget=None)
    assert not unlimited.skipped and all(r.checked == r.size for r in unlimited.results)  # 9 and 3 entries ≤ 24
    fewer = gs.gradcheck(graph, budget=60_000)  # fewer entries of each param
    assert not fewer.skipped and max(r.checked for r in fewer.results) < 9
    some = gs.gradcheck(graph, budget=5_000)  # not even one each: a seeded sample of params
    assert some.skipped and all(r.checked == 1 for r in some.results)
    assert len(some.results) + len(some.skipped) == len(graph.params)
    assert f"{len(some.skipped)} of {len(graph.params)} params not checked" in some.coverage()
    assert some.ok and fewer.ok and unlimited.ok


# ───────────────────────────── progress and cancel ─────────────────────────────


def test_progress_counts_every_entry(big):
    calls = []
    gs.gradcheck(big, progress=lambda done, total, what: calls.append((done, total, what)))
    assert [done for done, _, _ in calls] == list(range(1, ENTRIES + 11))
    assert {total for _, total, _ in calls} == {ENTRIES + 10}
    assert {what for _, _, what in calls} == {"W", "b"}


def test_cancel_stops_the_check_between_entries(big):
    cancel, seen = threading.Event(), []

    def progress(done, total, what):
        seen.append(done)
        if done == 5:
            cancel.set()

    with pytest.raises(Cancelled, match="stopped after 5 of 34"):
        gs.gradcheck(big, progress=progress, cancel=cancel)
    assert seen == [1, 2, 3, 4, 5]


def test_a_cancel_set_before_the_start_checks_nothing(big):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        gs.gradcheck(big, progress=lambda *a: pytest.fail("checked an entry"), cancel=cancel)


def test_per_sample_gradients_report_progress_and_stop(big):
    calls = []
    gs.per_sample_gradients(big, "W", progress=lambda done, total, what: calls.append((done, total)))
    assert [done for done, _ in calls] == list(range(1, 6)) and calls[-1] == (5, 5)
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        gs.per_sample_gradients(big, "W", progress=lambda done, total, what: cancel.set(), cancel=cancel)


# ───────────────────────────── the command line ─────────────────────────────


def test_run_check_on_a_large_graph_says_what_it_sampled(tmp_path, capsys, monkeypatch):
    import graphstep.cli.run as run_module

    budget = BUDGET // 20  # the same message from a budget that binds 20 times sooner (0.4 s, not 6)
    monkeypatch.setattr(run_module, "gradcheck", functools.partial(run_module.gradcheck, budget=budget))
    path = tmp_path / "large.py"
    path.write_text(HEADER + textwrap.dedent(chain_file(layers=100, width=6)))  # 1,000 nodes, 400 params
    assert main(["run", str(path), "--check"]) == 0
    out = capsys.readouterr().out
    per = re.search(r"at most (\d+) per param", out)  # 24, or fewer to stay within the budget
    assert per and 1 <= int(per[1]) <= ENTRIES and f"({per[1]} of 36 entries)" in out
    assert re.search(r"checked [\d,]+ of 8,400 entries \(a seeded random sample", out)
    assert "--check-all checks every entry" in out and "gradient check passed" in out


def test_run_check_all_checks_every_entry(tmp_path, capsys):
    path = tmp_path / "small.py"
    path.write_text(HEADER + textwrap.dedent(BIG))
    assert main(["run", str(path), "--check-all"]) == 0
    out = capsys.readouterr().out
    assert "checked every entry (210)" in out and "of 200 entries" not in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True



def test_no_progress_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    with StatusLine("gradient check", stream=stream, delay=0, interval=0.001) as line:
        line(1, 4, "W")
    assert stream.getvalue() == ""


def test_no_progress_for_work_under_a_second():
    stream = Terminal()
    with StatusLine("gradient check", stream=stream) as line:
        line(1, 4, "W")  # its delay (1 s) has not passed
    assert stream.getvalue() == ""
