"""PyTorch programs of the kinds learners write, each stepped by graphstep and compared with torch's own ``.grad``
(run by plain Python, without graphstep) and with ``--check``'s reference."""

from __future__ import annotations

import numpy as np
import pytest
from torch_support import PROGRAMS, assert_grads_equal, needs_torch, torch_grads

import graphstep as gs
from graphstep.pytorch import load, reference_gradients

pytestmark = needs_torch

CASES = {  # program, .backward() call, its params
    "logistic_regression": (1, ["w", "b"]),
    "conv_net": (1, ["model.conv.weight", "model.conv.bias", "model.fc.weight", "model.fc.bias"]),
    "attention": (1, ["Wq", "Wk", "Wv"]),
    "rnn_cell": (1, ["cell.weight_ih", "cell.weight_hh", "cell.bias_ih", "cell.bias_hh", "head.weight",
                     "head.bias"]),
    "sgd_loop": (3, ["model.0.weight", "model.0.bias", "model.2.weight", "model.2.bias"]),
}


@pytest.mark.parametrize("name", CASES)
def test_program_gradients_equal_torchs_own(name):
    backward, params = CASES[name]
    path = PROGRAMS / f"{name}.py"
    st = gs.Stepper(gs.trace(load(str(path), backward=backward))).run()
    expected = torch_grads(path, params, backward=backward)
    assert_grads_equal(st, expected)
    reference = reference_gradients(str(path), backward=backward)  # what --check compares with
    assert reference.keys() == expected.keys()
    for key, grad in expected.items():
        np.testing.assert_array_equal(reference[key], grad, err_msg=key)


def test_sgd_loop_backward_picks_the_call():
    path = str(PROGRAMS / "sgd_loop.py")
    losses = [gs.Stepper(gs.trace(load(path, backward=k))).run() for k in (1, 3)]
    first, third = (float(st.value(st.graph.output)) for st in losses)
    assert third < first  # two SGD steps later, the loss is lower
    assert losses[1].graph.notes[0].startswith("recorded up to the 3rd .backward() call, at ")


def test_attention_transpose_is_one_swap_of_the_last_axes():
    graph = gs.trace(load(str(PROGRAMS / "attention.py")))
    (swap,) = [graph.node(n) for n in graph.order if graph.node(n).op == "transpose"]
    assert swap.params["axes"] == (0, 2, 1) and swap.shape == (2, 4, 5)


def test_rnn_cell_steps_fold_as_repeats():
    graph = gs.trace(load(str(PROGRAMS / "rnn_cell.py")))
    groups = [g for g in graph.grouping.groups if g.label == "scope cell: RNNCell"]
    assert len(groups) == 4
    assert any(len(rep) >= 3 for rep in graph.grouping.repeats)  # later iterations do the same ops


def test_conv_net_is_im2col_under_the_call():
    graph = gs.trace(load(str(PROGRAMS / "conv_net.py")))
    labels = {g.label for g in graph.grouping.groups}
    assert {"scope model: ConvNet", "scope model.conv: Conv2d", "scope F.max_pool2d", "scope model.fc: Linear",
            "scope F.cross_entropy"} <= labels
    assert "patches" in {graph.node(n).name for n in graph.order}
