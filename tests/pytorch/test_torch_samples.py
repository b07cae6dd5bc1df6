"""The PyTorch samples: each one's gradients equal torch's own ``.grad`` for the same script, and the closed form
of its seed where it has one (seeds/004)."""

from __future__ import annotations

import numpy as np
import pytest
from support import SAMPLES, line_of
from torch_support import assert_grads_equal, needs_torch, torch_grads

import graphstep as gs

pytestmark = needs_torch

SAMPLE_PARAMS = {
    "torch_double": ["x"],
    "torch_myfunc": ["a"],
    "torch_mlp": ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"],
    "torch_linreg": ["w", "b"],
}


def walk(name: str, backward: int = 1) -> gs.Stepper:
    from graphstep.pytorch import load

    return gs.Stepper(gs.trace(load(str(SAMPLES / f"{name}.py"), backward=backward))).run()


@pytest.mark.parametrize("name", SAMPLE_PARAMS)
def test_sample_gradients_equal_torchs_own(name):
    st = walk(name)
    assert_grads_equal(st, torch_grads(SAMPLES / f"{name}.py", SAMPLE_PARAMS[name]))


def test_double_gradient_is_two_everywhere_and_stays_float32():
    st = walk("torch_double")
    assert st.grad("x").dtype == np.float32
    np.testing.assert_array_equal(st.grad("x"), [2, 2, 2, 2])
    made = line_of(SAMPLES / "torch_double.py", "x = torch.arange")
    assert st.graph.node("x").source.endswith(f"torch_double.py:{made}")  # the line that made x, not its first use
    assert "seed dy given" in st.seed_note  # y.backward(torch.ones(4)): the gradient argument is the seed


def test_myfunc_gradient_is_f_over_a_and_the_while_loop_folds():
    st = walk("torch_myfunc")
    a, f = st.graph.leaf_values[st.graph.params["a"]], st.value(st.graph.output)
    np.testing.assert_allclose(st.grad("a"), f / a, rtol=1e-6)
    (repeat,) = st.graph.grouping.repeats
    assert repeat.label == "while a.norm() < 100: a = a * 2" and len(repeat) >= 3


def test_linreg_third_backward_follows_two_sgd_steps():
    first, third = walk("torch_linreg"), walk("torch_linreg", backward=3)
    assert not np.allclose(first.graph.leaf_values[first.graph.params["w"]],
                           third.graph.leaf_values[third.graph.params["w"]])  # the SGD steps moved w
    assert_grads_equal(third, torch_grads(SAMPLES / "torch_linreg.py", ["w", "b"], backward=3))


def test_mlp_leaves_groups_and_names():
    graph = gs.trace(gs.load(str(SAMPLES / "torch_mlp.py")))
    assert list(graph.params) == ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"]
    assert list(graph.inputs) == ["X"]
    assert graph.name_of(graph.output) == "loss"
    labels = [g.label for g in graph.grouping.groups]
    assert labels == ["scope net: Sequential", "scope net.0: Linear", "scope net.1: ReLU", "scope net.2: Linear",
                      "scope loss_fn: CrossEntropyLoss"]
    names = {graph.node(n).name for n in graph.order}
    assert {"net.0", "net.1", "logits", "logp", "picked"} <= names  # a layer's output reads as the layer
    assert graph.node("picked").index_text == ("arange(8)", "y")  # the labels by the script's name for them
    relu = graph.node("net.1")
    called = line_of(SAMPLES / "torch_mlp.py", "logits = net(X)")
    assert relu.op == "relu" and relu.source.endswith(f"torch_mlp.py:{called}")  # the user's line, not torch's
    assert graph.grouping.breadcrumb(graph.id("net.1")) == "net: Sequential ▸ 1: ReLU"  # as the issue reads it


def test_mlp_step_shows_the_numpy_formula():
    st = gs.Stepper(gs.trace(gs.load(str(SAMPLES / "torch_mlp.py"))))
    formulas = [st.step().formula for _ in range(3)]
    assert formulas[1] == "X@… = X·net.0.weightᵀ  (8×4)·(4×16) → (8×16)"
    assert formulas[2] == "net.0 = (X@…) + net.0.bias  (8×16)+(16) → (8×16)"


def test_gs_load_gives_the_same_graph_as_the_front_end():
    from graphstep.pytorch import load

    a = gs.trace(gs.load(str(SAMPLES / "torch_mlp.py")))
    b = gs.trace(load(str(SAMPLES / "torch_mlp.py")))
    def facts(graph):
        nodes = map(graph.node, graph.order)
        return [(n.kind, n.op, n.name, n.shape, n.dtype, n.inputs, n.source, n.scope) for n in nodes]

    assert facts(a) == facts(b)
