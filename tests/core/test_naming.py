"""Names people can read: variables, a library function's locals, expressions instead of counters, and the
index of fancy indexing written as the learner wrote it."""
# ruff: noqa: N803, N806 - X, W1, H… are the names of the maths

from __future__ import annotations

import linecache
import os
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from support import HAS_TORCH, REPO, SAMPLES

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.core.formulas import tidy
from graphstep.core.naming import LIMIT, index_parts, term
from graphstep.core.ops import OPS
from graphstep.render.dot import to_dot
from graphstep.tui.inspector import _index

THIS_FILE = os.path.basename(__file__)
# what the old automatic names looked like: an op, a kind or "const" followed by the node's number
COUNTER = re.compile(rf"^(?:{'|'.join(map(re.escape, OPS))}|param|input|const)\d+$")


def line_of(text: str) -> int:
    """The line of this file holding ``text``."""
    return next(n for n, line in enumerate(Path(__file__).read_text().splitlines(), start=1) if text in line)


def names(graph) -> list[str]:
    return [graph.name_of(n) for n in graph.order]


def op_named(graph, name: str) -> str:
    return graph.node(name).op


# ───────────────────────────── realistic computations ─────────────────────────────

def classifier():
    """Softmax cross-entropy through graphstep's own nn.cross_entropy."""
    rng = np.random.default_rng(0)
    X = gs.input(rng.standard_normal((12, 5)), name="X")
    y = rng.integers(0, 3, 12)
    W = gs.param(rng.standard_normal((5, 3)) * 0.1, name="W")
    b = gs.param(np.zeros(3), name="b")
    logits = X @ W + b
    loss = gs.nn.cross_entropy(logits, y)
    return loss


def bce_mlp():
    """An MLP with a hand-written binary cross-entropy and an L2 penalty: long expressions on one line."""
    rng = np.random.default_rng(1)
    X = gs.input(rng.standard_normal((8, 4)), name="X")
    y = gs.input((rng.random((8, 1)) > 0.5).astype(float), name="y")
    W1 = gs.param(rng.standard_normal((4, 6)), name="W1")
    b1 = gs.param(np.zeros(6), name="b1")
    W2 = gs.param(rng.standard_normal((6, 1)), name="W2")
    H = np.tanh(X @ W1 + b1)
    p = gs.nn.sigmoid(H @ W2)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.01 * np.sum(W1 ** 2)
    return loss


def layer(h, W, b):
    z = h @ W + b
    a = np.tanh(z)
    return a


def with_helper():
    """A user's own helper: its locals name what it makes, the caller's variable names what it returns."""
    rng = np.random.default_rng(2)
    X = gs.input(rng.standard_normal((5, 3)), name="X")
    W1 = gs.param(rng.standard_normal((3, 3)), name="W1")
    W2 = gs.param(rng.standard_normal((3, 3)), name="W2")
    b = gs.param(np.zeros(3), name="b")
    H1 = layer(X, W1, b)
    H2 = layer(H1, W2, b)
    both = np.exp(H1).sum() + np.exp(H2).sum()
    return both + gnp.sqrt(H2 ** 2 + 1.0).sum() - (-H1).T.sum()


def manual_softmax():
    """Cross-entropy written out, as in CS231n: the index shows as logp[arange(12), y]."""
    rng = np.random.default_rng(3)
    X = gs.input(rng.standard_normal((12, 5)), name="X")
    y = np.arange(12) % 3
    W = gs.param(rng.standard_normal((5, 3)) * 0.1, name="W")
    z = X @ W
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    picked = logp[np.arange(12), y]
    return -np.mean(picked)


COMPUTATIONS = [classifier, bce_mlp, with_helper, manual_softmax]
SAMPLE_FILES = sorted(p for p in SAMPLES.glob("*.py") if HAS_TORCH or not p.name.startswith("torch_"))


pytestmark = pytest.mark.loads_torch  # the module's graphs include samples/torch_*.py


def traced_samples():
    return [gs.trace(gs.load(str(path))) for path in SAMPLE_FILES]


@pytest.fixture(scope="module")
def graphs():
    return [gs.trace(fn) for fn in COMPUTATIONS] + traced_samples()


# ───────────────────────────── properties of every name ─────────────────────────────


def test_no_name_is_an_internal_counter(graphs):
    for graph in graphs:
        counters = [name for name in names(graph) if COUNTER.match(name.split("#")[0])]
        assert counters == [], (graph.name, counters)


def test_no_doubled_parentheses_in_names_or_formulas(graphs):
    for graph in graphs:
        assert not [name for name in names(graph) if "((" in name], graph.name
        formulas = [graph.forward_formula(n) for n in graph.op_nodes]
        formulas += [f for n in graph.op_nodes for f in graph.backward_formulas(n)]
        # ((1−y)*log(1−p)) is an operand in parentheses; softmax((X@W)) would be a pair wrapping a pair
        assert [f for f in formulas if tidy(f) != f] == [], graph.name


def test_names_are_unique_and_short(graphs):
    for graph in graphs:
        own = [graph.name_of(n) for n in graph.order if not graph.is_scalar_const(n)]
        assert len(own) == len(set(own)), graph.name
        # automatic names keep within the limit (a #2 suffix and an op→variable fallback aside)
        long = [name for name in own if len(name.split("#")[0]) > LIMIT + 8]
        assert long == [], (graph.name, long)


def test_names_are_stable():
    for fn in COMPUTATIONS:
        assert names(gs.trace(fn)) == names(gs.trace(fn))


# ───────────────────────────── library functions and helpers ─────────────────────────────


def test_cross_entropy_names_its_steps_by_its_locals_and_only_the_result_loss():
    graph = gs.trace(classifier)
    assert op_named(graph, "logp") == "log_softmax"
    assert op_named(graph, "picked") == "getitem"
    assert op_named(graph, "loss") == "negative"
    assert [graph.name_of(n) for n in graph.op_nodes if graph.node(n).op == "log_softmax"] == ["logp"]
    assert not any(name.startswith("loss") for name in names(graph) if graph.node(name).op != "negative")
    # the nodes nn.cross_entropy made still point at the user's line
    for name in ("logp", "picked", "loss"):
        assert graph.node(name).source.endswith(f"{THIS_FILE}:{line_of('loss = gs.nn.cross_entropy(')}"), name


def test_a_helper_names_its_intermediates_and_the_caller_names_the_result():
    graph = gs.trace(with_helper)
    assert op_named(graph, "H1") == "tanh" and op_named(graph, "H2") == "tanh"
    assert op_named(graph, "z") == "add" and op_named(graph, "z#2") == "add"
    assert "a" not in graph.ids  # the returned node takes the caller's variable, not the helper's
    assert graph.node(graph.ids["z"]).inputs[0] == graph.ids["X@W1"]


def test_expressions_use_the_symbols_of_the_maths():
    graph = gs.trace(with_helper)
    for name, op in [("exp(H1)", "exp"), ("exp(H2)", "exp"), ("H2²", "power"), ("H2²+1", "add"),
                     ("√(H2²+1)", "sqrt"), ("−H1", "negative"), ("(−H1)ᵀ", "transpose"), ("Σexp(H1)", "sum")]:
        assert op_named(graph, name) == op, name
    mlp = gs.trace(gs.load(str(REPO / "samples" / "mlp.py")))
    assert op_named(mlp, "(Z2−y)²") == "power"


def test_a_long_expression_elides_its_longest_operand_then_names_the_variable_it_feeds():
    graph = gs.trace(bce_mlp)
    assert op_named(graph, "log(1−p)") == "log"  # the operand's own parentheses are the call's
    assert op_named(graph, "(1−y)*log(1−p)") == "multiply"
    assert op_named(graph, "y*log(p)+…") == "add"
    assert op_named(graph, "mean→loss") == "mean"  # mean(y*log(p)+…) is too long, and says nothing more
    assert op_named(graph, "0.01*ΣW1²") == "multiply"


def test_term_parenthesises_only_composites():
    assert [term(n) for n in ("W1", "h#2", "exp(z)", "W1²", "|x|", "‖r‖", "1e-05", "x[:,0]")] == \
           ["W1", "h#2", "exp(z)", "W1²", "|x|", "‖r‖", "1e-05", "x[:,0]"]
    assert [term(n) for n in ("Z2−y", "X@W1", "−x", "Σx", "√x", "mean→loss")] == \
           ["(Z2−y)", "(X@W1)", "(−x)", "(Σx)", "(√x)", "(mean→loss)"]
    assert tidy("dZ = G − softmax((X@W))·Σ G") == "dZ = G − softmax(X@W)·Σ G"
    assert tidy("((a+b)·(c))") == "((a+b)·(c))"  # only a pair wrapping a pair is doubled


# ───────────────────────────── fancy indexing, readable ─────────────────────────────


def test_the_index_is_written_as_the_user_wrote_it():
    graph = gs.trace(manual_softmax)
    picked = graph.ids["picked"]
    assert graph.forward_formula(picked).startswith("picked = logp[arange(12), y]  (12×3) → (12)")
    assert graph.backward_formulas(picked)[0].startswith("dlogp = scatter G into zeros at [arange(12), y]")
    assert 'label="[arange(12), y]"' in to_dot(graph)


def test_cross_entropys_labels_are_named_after_the_users_array():
    graph = gs.trace(classifier)
    # nn.cross_entropy indexes with labels.astype(int), a new array equal to the user's y
    assert graph.forward_formula(graph.ids["picked"]).startswith("picked = logp[arange(12), y]")


def test_index_parts_recognise_ranges_slices_and_summaries():
    assert index_parts((slice(None), 0)) == (":", "0")
    assert index_parts((slice(1, None), None, Ellipsis, slice(None, None, 2))) == ("1:", "None", "...", "::2")
    assert index_parts((np.arange(7), np.array([2, 0]))) == ("arange(7)", "[2, 0]")
    assert index_parts(np.array([3, 1, 4, 1, 5])) == ("int64 (5)",)
    assert index_parts(np.arange(6) % 2 == 0) == ("mask (6)",)


def test_the_step_table_shows_the_readable_index(tmp_path, capsys):
    from graphstep.cli import main

    path = tmp_path / "fancy.py"
    path.write_text("import numpy as np\nimport graphstep as gs\n\n\n@gs.computation\ndef fancy():\n"
                    "    logits = gs.param(np.arange(12.0).reshape(4, 3), name='logits')\n"
                    "    y = np.array([0, 2, 1, 1])\n"
                    "    picked = logits[np.arange(4), y]\n"
                    "    return -picked.mean()\n")
    assert main(["run", str(path), "--width", "160"]) == 0
    out = capsys.readouterr().out
    assert "picked = logits[arange(4), y]" in out
    assert "array(" not in out


def test_the_inspector_lists_the_index_arrays_values():
    graph = gs.trace(manual_softmax)
    rows = _index(SimpleNamespace(graph=graph), graph.ids["picked"], 80)
    text = [(key, str(value)) for key, value in rows]
    assert text[0] == ("index", "[arange(12), y]")
    assert ("", "arange(12) = [ 0  1  2  3  4  5  6  7  8  9 10 11]") in text
    assert ("", "y = [0 1 2 0 1 2 0 1 2 0 1 2]") in text
    assert _index(SimpleNamespace(graph=graph), graph.ids["logp"], 80) == []  # not an indexing node


# ───────────────────────────── assignments ─────────────────────────────


def test_item_assignment_and_augmented_assignment_name_the_variable():
    def fn():
        x = gs.param(np.ones((3, 2)), name="x")
        margins = x * 2.0
        margins[np.arange(3), np.array([0, 1, 0])] = 0
        total = margins.sum()
        total += x.sum()
        return total

    graph = gs.trace(fn)
    assert [graph.name_of(n) for n in graph.op_nodes if graph.node(n).op == "setitem"] == ["margins#2"]
    assert op_named(graph, "total#2") == "add"


def test_a_one_line_loop_names_each_pass():
    def fn():
        h = gs.param(np.ones(3), name="h0")
        for _ in range(3): h = h * 2.0  # noqa: E701
        return h.sum()

    graph = gs.trace(fn)
    assert [graph.name_of(n) for n in graph.op_nodes if graph.node(n).op == "multiply"] == ["h", "h#2", "h#3"]


def test_a_generator_yielding_layers_names_each_layer():
    def layers(h, Ws):
        for W in Ws:
            h = np.tanh(h @ W)
            yield h

    def fn():
        X = gs.input(np.ones((2, 3)), name="X")
        Ws = [gs.param(np.eye(3) * 0.5, name=f"W{k}") for k in range(2)]
        return sum(h.sum() for h in layers(X, Ws))

    graph = gs.trace(fn)
    assert [graph.name_of(n) for n in graph.op_nodes if graph.node(n).op == "tanh"] == ["h", "h#2"]


def test_an_array_from_the_users_code_is_called_by_its_variable():
    def fn():
        X_data = np.arange(6.0).reshape(3, 2)
        w = gs.param(np.ones(2), name="w")
        return (X_data @ w).sum()

    graph = gs.trace(fn)
    assert graph.node("X_data").kind == "const" and op_named(graph, "X_data@w") == "matmul"


# ───────────────────────────── naming waits until a name is asked for ─────────────────────────────


def test_a_walk_by_the_users_names_names_nothing():
    def double_until(a):
        while a.norm() < 100:
            a = a * 2
        return a

    graph = gs.trace(double_until, np.array(0.37))
    assert gs.Stepper(graph).run().grad("a") == 512.0  # the argument's name needs no naming of the rest
    assert graph._tracer is not None  # still unnamed: a walk needs no names
    assert names(graph)[-3:] == ["2", "a#10", "‖a#10‖"]  # and naming, when asked, gives every name


def test_names_come_from_the_source_as_traced_even_after_an_edit(tmp_path):
    path = tmp_path / "edited.py"
    path.write_text("import graphstep as gs\n\n\n@gs.computation\ndef f():\n"
                    "    w = gs.param([1.0, 2.0], name='w')\n    scaled = w * 3.0\n    return scaled.sum()\n")
    graph = gs.trace(gs.load(str(path)))
    path.write_text(path.read_text().replace("scaled", "renamed"))
    linecache.checkcache(str(path))  # as a reload does
    assert "scaled" in names(graph) and "renamed" not in names(graph)


def test_a_tensor_kept_after_the_trace_knows_its_name():
    kept = []

    def fn():
        w = gs.param(np.ones(3), name="w")
        h = np.tanh(w)
        kept.append(h)
        return h.sum()

    gs.trace(fn)
    assert kept[0].name == "h"
