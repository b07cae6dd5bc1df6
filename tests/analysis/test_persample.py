"""Per-sample gradients: their mean is the batch gradient when the loss averages over the batch (seeds/000)."""
# ruff: noqa: N803, N806 - X, W1, H… are the names of the maths

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import SAMPLES, sample

import graphstep as gs
from graphstep import numpy as gnp
from graphstep.analysis.persample import batch_size, cut_index, per_sample_gradients
from graphstep.cli import main
from graphstep.core.ops import OPS
from graphstep.errors import GraphstepError


def leaf(graph: gs.Graph, name: str) -> np.ndarray:
    return graph.leaf_values[graph.ids[name]]


@pytest.mark.parametrize("param", ["beta0", "beta1"])
def test_regression_per_sample_gradients_average_to_the_batch_gradient(param):
    graph = sample("regression")
    result = per_sample_gradients(graph, param)
    X, y, b0, b1 = (leaf(graph, k) for k in ("X", "y", "beta0", "beta1"))
    r = y - (b0 + X @ b1)  # (10×1)
    # one sample: loss_i = (y_i − ŷ_i)², so dβ0_i = −2 r_i and dβ1_i = −2 r_i x_iᵀ
    expected = -2 * r[:, 0] if param == "beta0" else (-2 * r[:, :, None] * X[:, :, None])
    assert result.n == 10 and result.grads.shape == (10, *np.shape(leaf(graph, param)))
    np.testing.assert_allclose(result.grads, expected.reshape(result.grads.shape), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.mean, result.batch, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.batch, gs.Stepper(graph).run().grad(param), rtol=0, atol=0)
    assert result.ok and result.kind == "mean" and result.max_abs_diff < 1e-12
    assert np.isclose(result.ratio, 1.0)
    assert result.rows_of == ("X", "y")


@pytest.mark.parametrize("param", ["W1", "b1", "W2"])
def test_mlp_per_sample_gradients_follow_the_G_recursion_for_one_row(param):
    graph = sample("mlp")
    result = per_sample_gradients(graph, param)
    X, y, W1, b1, W2 = (leaf(graph, k) for k in ("X", "y", "W1", "b1", "W2"))
    for i in range(8):  # seeds/002 with a batch of one: m = 1
        x = X[i:i + 1]
        H = np.tanh(x @ W1 + b1)
        G2 = 2 * (H @ W2 - y[i:i + 1])
        G1 = (G2 @ W2.T) * (1 - H ** 2)
        expected = {"W1": x.T @ G1, "b1": G1.sum(axis=0), "W2": H.T @ G2}[param]
        np.testing.assert_allclose(result.grads[i], expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.mean, result.batch, rtol=0, atol=1e-12)
    assert result.ok


def test_a_sum_loss_gives_n_times_the_mean():
    rng = np.random.default_rng(4)
    X_data, y_data = rng.standard_normal((6, 3)), rng.standard_normal((6, 1))

    def summed():
        X, y = gs.input(X_data, name="X"), gs.input(y_data, name="y")
        w = gs.param(np.full((3, 1), 0.5), name="w")
        return gnp.sum((X @ w - y) ** 2)

    result = per_sample_gradients(gs.trace(summed), "w")
    w = np.full((3, 1), 0.5)
    np.testing.assert_allclose(result.batch, 2 * X_data.T @ (X_data @ w - y_data))
    np.testing.assert_allclose(result.n * result.mean, result.batch, rtol=1e-12)
    assert not result.ok and result.kind == "sum" and np.isclose(result.ratio, 6.0)
    assert "batch = 6 × mean" in str(result) and "sum of the per-sample gradients" in str(result)


def test_least_squares_sums_over_samples():
    result = per_sample_gradients(sample("least_squares"), "theta")
    assert result.kind == "sum" and np.isclose(result.ratio, result.n)


def test_samples_that_interact_are_neither_mean_nor_sum():
    data = np.array([[1.0], [2.0], [4.0]])

    def centred():
        x = gs.input(data, name="x")
        w = gs.param(np.array(1.5), name="w")
        z = x * w
        return gnp.mean((z - gnp.mean(z)) ** 2)  # a batch statistic: one sample alone has variance 0

    result = per_sample_gradients(gs.trace(centred), "w")
    np.testing.assert_array_equal(result.grads, np.zeros(3))
    # d/dw var(w·x) = 2 w var(x)
    np.testing.assert_allclose(result.batch, 2 * 1.5 * np.var(data))
    assert result.kind == "other" and "samples interact" in str(result)


def test_table_lines():
    result = per_sample_gradients(sample("regression"), "beta1")
    lines = result.lines()
    assert lines[0] == "per-sample gradients of beta1 (5×1), n = 10 (rows of X, y)"
    assert any(line.strip().startswith("sample 0 ") for line in lines)
    assert any("…" in line and "3 more" in line for line in lines)  # 10 rows: the middle is elided
    assert any(line.strip().startswith("sample 9 ") for line in lines)
    assert any(line.strip().startswith("mean of per-sample") for line in lines)
    assert any(line.strip().startswith("batch gradient") for line in lines)
    assert lines[-1].startswith("✓ the batch gradient is the mean")
    assert str(result) == "\n".join(lines)


# ───────────────────────────── the batch size ─────────────────────────────


def _graph_with_inputs(*shapes):
    def fn():
        xs = [gs.input(np.ones(s), name=f"x{i}") for i, s in enumerate(shapes)]
        w = gs.param(np.ones(()), name="w")
        return sum((x.sum() for x in xs), w * 0.0)

    return gs.trace(fn)


def test_batch_size_is_the_shared_leading_dimension_or_the_most_common_one():
    assert batch_size(_graph_with_inputs((5, 2), (5,))) == 5
    assert batch_size(_graph_with_inputs((4, 3), (4, 1), (3, 3), ())) == 4
    assert batch_size(_graph_with_inputs((1, 3), (1,))) == 1
    with pytest.raises(GraphstepError, match="no batch to split"):
        batch_size(_graph_with_inputs((), ()))  # scalars only: no leading axis
    with pytest.raises(GraphstepError, match="no batch to split"):
        per_sample_gradients(sample("myfunc"), "a")


def test_batch_size_can_be_given():
    result = per_sample_gradients(_graph_with_inputs((4, 3), (3, 3)), "w", n=3)
    assert result.n == 3 and result.rows_of == ("x1",)


# ───────────────────────────── errors ─────────────────────────────


def test_a_reshape_fixed_to_the_batch_names_its_node_and_line():
    path = SAMPLES.parent / "tests" / "analysis" / "test_persample.py"

    def reshaped():
        X = gs.input(np.arange(12.0).reshape(4, 3), name="X")
        w = gs.param(np.ones(12), name="w")
        flat = gnp.reshape(X, (12,))  # fixed to a batch of 4
        return gnp.sum(flat * w)

    with pytest.raises(GraphstepError) as err:
        per_sample_gradients(gs.trace(reshaped), "w")
    text = err.value.summary()
    line = next(n for n, t in enumerate(path.read_text().splitlines(), start=1) if "flat = gnp.reshape" in t)
    assert f"test_persample.py:{line}" in text and "flat (reshape" in text and "sample 0" in text
    assert "depend on the batch size" in text


def test_bad_params_and_outputs_are_refused():
    with pytest.raises(GraphstepError, match="'X' is not a param") as err:
        per_sample_gradients(sample("mlp"), "X")
    assert "W1, b1, W2" in err.value.summary()
    with pytest.raises(GraphstepError, match="need a scalar loss"):
        per_sample_gradients(sample("double"), "x")


def test_constants_with_a_batch_axis_are_noted():
    def with_const():
        X = gs.input(np.ones((3, 2)), name="X")
        c = gs.const(np.ones((3, 1)), name="c")
        w = gs.param(np.ones((2, 1)), name="w")
        return gnp.mean(X @ w * c)

    result = per_sample_gradients(gs.trace(with_const), "w")
    assert any("constant c (3×1)" in note for note in result.notes)
    assert any(line.startswith("note: constant c") for line in result.lines())


# ───────────────────────────── classification, as learners write it ─────────────────────────────

N_CLS, D_CLS, C_CLS = 10, 5, 4
RNG = np.random.default_rng(9)
X_CLS = RNG.standard_normal((N_CLS, D_CLS))
Y_CLS = RNG.integers(0, C_CLS, size=N_CLS)
Y_CLS[:C_CLS] = np.arange(C_CLS)  # every class appears
W_CLS = RNG.standard_normal((D_CLS, C_CLS)) * 0.5
B_CLS = RNG.standard_normal(C_CLS) * 0.1
ONEHOT = np.eye(C_CLS)[Y_CLS]


def softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_ce_grads(param: str) -> np.ndarray:
    """One sample's softmax cross-entropy: dW = xᵀ(p − onehot), db = p − onehot (batch of one)."""
    out = []
    for r in range(N_CLS):
        x = X_CLS[r:r + 1]
        delta = softmax_rows(x @ W_CLS + B_CLS) - ONEHOT[r:r + 1]  # (1×C)
        out.append(x.T @ delta if param == "W" else delta[0])
    return np.stack(out)


def assert_per_sample(result, expected: np.ndarray) -> None:
    """Each sample's gradient is the closed form's, and their mean is the batch gradient."""
    assert result.grads.shape == expected.shape
    np.testing.assert_allclose(result.grads, expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(result.mean, result.batch, rtol=0, atol=1e-12)
    assert result.ok and result.kind == "mean" and result.interaction is None


def linear_logits():
    X = gs.input(X_CLS, name="X")
    W = gs.param(W_CLS, name="W")
    b = gs.param(B_CLS, name="b")
    return X @ W + b


def ce_integer_labels():
    scores = linear_logits()
    return gs.nn.cross_entropy(scores, Y_CLS)


def ce_one_hot_labels():
    scores = linear_logits()
    return gs.nn.cross_entropy(scores, ONEHOT)


def ce_labels_as_input():
    scores = linear_logits()
    y = gs.input(Y_CLS, name="y")
    accuracy = np.mean(np.argmax(scores, axis=1) == y)  # a plain value beside the loss: nothing recorded
    assert 0 <= accuracy <= 1
    return gs.nn.cross_entropy(scores, y)


def ce_one_hot_as_input():
    scores = linear_logits()
    return gs.nn.cross_entropy(scores, gs.input(ONEHOT, name="Y"))


def ce_by_hand():
    scores = linear_logits()
    N = scores.shape[0]
    shifted = scores - np.max(scores)  # one max over the whole batch: softmax does not see the shift
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    return -np.mean(np.log(probs)[np.arange(N), Y_CLS])


def ce_by_hand_range_and_sum():
    scores = linear_logits()
    num_train = X_CLS.shape[0]
    logp = gs.nn.log_softmax(scores)
    loss = -np.sum(logp[range(num_train), Y_CLS])
    loss /= num_train  # the batch size as a number: one sample alone divides by 1
    return loss


def ce_gather_along_axis():
    scores = linear_logits()
    logp = gs.nn.log_softmax(scores)
    picked = logp[np.arange(N_CLS)[:, None], Y_CLS[:, None]]  # (N×1), as take_along_axis gives it
    return -picked.mean()


def ce_boolean_mask():
    scores = linear_logits()
    logp = gs.nn.log_softmax(scores)
    return -np.sum(logp[ONEHOT.astype(bool)]) / N_CLS


@pytest.mark.parametrize("fn", [ce_integer_labels, ce_one_hot_labels, ce_labels_as_input, ce_one_hot_as_input,
                                ce_by_hand, ce_by_hand_range_and_sum, ce_gather_along_axis, ce_boolean_mask])
@pytest.mark.parametrize("param", ["W", "b"])
def test_softmax_cross_entropy_per_sample_is_x_times_p_minus_onehot(fn, param):
    assert_per_sample(per_sample_gradients(gs.trace(fn), param), softmax_ce_grads(param))


def test_the_index_that_runs_along_the_batch_is_cut_and_the_graph_is_left_alone():
    graph = gs.trace(ce_labels_as_input)
    picked = next(n for n in graph.op_nodes if graph.node(n).op == "getitem")
    index = graph.program[picked][2]["index"]
    result = per_sample_gradients(graph, "W")
    assert graph.program[picked][2]["index"] is index  # the traced params are not touched
    np.testing.assert_array_equal(index[0], np.arange(N_CLS))
    np.testing.assert_array_equal(gs.Stepper(graph).run().grad("W"), result.batch)
    assert result.rows_of == ("X", "y")
    assert any("its index runs along the batch, cut to each sample" in note for note in result.notes)


def test_a_division_by_the_batch_size_as_a_number_is_named_in_a_note():
    result = per_sample_gradients(gs.trace(ce_by_hand_range_and_sum), "W")
    path = Path(__file__)
    line = next(k for k, t in enumerate(path.read_text().splitlines(), start=1) if "loss /= num_train" in t)
    assert any(f"test_persample.py:{line}) divides by the batch size {N_CLS} written as a number" in note
               for note in result.notes)


def test_a_number_that_only_looks_like_one_over_the_batch_size_is_kept():
    def decayed():  # 0.1 = 1/N by chance: set to 1 it would break the mean, so it stays as written
        X = gs.input(X_CLS, name="X")
        W = gs.param(W_CLS, name="W")
        b = gs.param(B_CLS, name="b")
        return gs.nn.cross_entropy(X @ W + b, Y_CLS) + 0.1 * np.sum(W ** 2)

    assert N_CLS == 10
    result = per_sample_gradients(gs.trace(decayed), "W")
    assert_per_sample(result, softmax_ce_grads("W") + 0.2 * W_CLS)
    assert not any("divides by the batch size" in note for note in result.notes)


def svm_grads(reg: float) -> np.ndarray:
    """One sample's hinge loss Σ_{j≠y} max(0, s_j − s_y + 1): dW = xᵀc, c_j = [m_j > 0], c_y = −Σ_{j≠y} c_j."""
    out = []
    for r in range(N_CLS):
        x, y = X_CLS[r:r + 1], Y_CLS[r]
        s = x @ W_CLS
        c = (s - s[0, y] + 1 > 0).astype(float)
        c[0, y] = 0.0
        c[0, y] = -c.sum()
        out.append(x.T @ c + 2 * reg * W_CLS)
    return np.stack(out)


def svm_without_assignment():
    X = gs.input(X_CLS, name="X")
    W = gs.param(W_CLS, name="W")
    scores = X @ W
    correct = scores[np.arange(N_CLS), Y_CLS]
    margins = np.maximum(0, scores - correct[:, None] + 1)
    return np.mean(np.sum(margins, axis=1) - 1)  # the correct class's margin is exactly 1


def svm_cs231n(W_data=W_CLS, reg=0.05):
    X = gs.input(X_CLS, name="X")
    W = gs.param(W_data, name="W")
    num_train = X.shape[0]
    scores = X.dot(W)
    correct_class_scores = scores[np.arange(num_train), Y_CLS]
    margins = np.maximum(0, scores - correct_class_scores[:, np.newaxis] + 1)
    margins[np.arange(num_train), Y_CLS] = 0
    loss = np.sum(margins) / num_train
    loss += reg * np.sum(W * W)
    return loss


def test_hinge_loss_per_sample():
    assert_per_sample(per_sample_gradients(gs.trace(svm_without_assignment), "W"), svm_grads(0.0))


@pytest.mark.skipif("setitem" not in OPS, reason="item assignment is not an op yet")
def test_cs231n_svm_loss_with_item_assignment_and_regularization():
    result = per_sample_gradients(gs.trace(svm_cs231n), "W")
    assert_per_sample(result, svm_grads(0.05))
    assert sum("its index runs along the batch" in note for note in result.notes) == 2  # getitem and setitem


def test_binary_cross_entropy_with_sigmoid():
    y_data = (X_CLS[:, :1] + 0.3 * RNG.standard_normal((N_CLS, 1)) > 0).astype(float)
    w_data, b_data = RNG.standard_normal((D_CLS, 1)) * 0.5, np.array([0.1])

    def bce():
        X = gs.input(X_CLS, name="X")
        w, b = gs.param(w_data, name="w"), gs.param(b_data, name="b")
        p = gs.nn.sigmoid(X @ w + b)
        return -np.mean(y_data * np.log(p) + (1 - y_data) * np.log(1 - p))

    def bce_one_over_m():  # as a deep-learning course writes it, with the batch size as a number
        X = gs.input(X_CLS, name="X")
        w, b = gs.param(w_data, name="w"), gs.param(b_data, name="b")
        A = gs.nn.sigmoid(X @ w + b)
        m = X.shape[0]
        return -1 / m * np.sum(y_data * np.log(A) + (1 - y_data) * np.log(1 - A))

    p = 1 / (1 + np.exp(-(X_CLS @ w_data + b_data)))  # (N×1)
    for fn in (bce, bce_one_over_m):
        graph = gs.trace(fn)
        assert_per_sample(per_sample_gradients(graph, "w"), (X_CLS * (p - y_data))[:, :, None])  # dw = x (p − y)
        assert_per_sample(per_sample_gradients(graph, "b"), p - y_data)


def test_a_flatten_to_the_batch_size_is_reshaped_per_sample():
    images = RNG.standard_normal((N_CLS, 2, 3))
    w_data = RNG.standard_normal((6, C_CLS)) * 0.5

    def flattened():
        X = gs.input(images, name="X")
        W = gs.param(w_data, name="W")
        return gs.nn.cross_entropy(X.reshape(N_CLS, -1) @ W, Y_CLS)

    def one_column_per_sample():  # im2col's layout: the batch is the last axis
        X = gs.input(images, name="X")
        W = gs.param(w_data, name="W")
        cols = X.transpose(1, 2, 0).reshape(6, N_CLS)
        return gs.nn.cross_entropy((W.T @ cols).T, Y_CLS)

    flat = images.reshape(N_CLS, -1)
    delta = softmax_rows(flat @ w_data) - ONEHOT
    for fn in (flattened, one_column_per_sample):
        assert_per_sample(per_sample_gradients(gs.trace(fn), "W"), flat[:, :, None] * delta[:, None, :])


def test_cut_index_rebases_selectors_and_keeps_their_partners_positions():
    y = np.array([2, 0, 1, 1])
    index = cut_index((np.arange(4), y), (4, 3), (1, 3), 4, 2)
    assert [a.tolist() for a in index] == [[0], [1]]
    mask = np.array([True, False, True, True])
    assert [a.tolist() for a in cut_index(mask, (4, 3), (1, 3), 4, 2)] == [[0]]
    assert [a.tolist() for a in cut_index(mask, (4, 3), (1, 3), 4, 1)] == [[]]  # sample 1 is not selected
    tokens = np.array([5, 1, 1, 0])  # E[tokens]: E has no batch axis, the tokens run along it
    assert [a.tolist() for a in cut_index(tokens, (7, 2), (7, 2), 4, 3)] == [[0]]
    assert cut_index((slice(None), None), (4, 3), (1, 3), 4, 1) is None  # correct[:, None]


# ───────────────────────────── when the samples interact ─────────────────────────────


def line_of(text: str) -> int:
    return next(k for k, t in enumerate(Path(__file__).read_text().splitlines(), start=1) if text in t)


def test_batch_norm_before_the_loss_names_the_batch_statistic():
    def batchnorm_net():
        h = linear_logits()
        mu = np.mean(h, axis=0, keepdims=True)
        var = np.var(h, axis=0, keepdims=True)  # a statistic of the whole batch
        h_hat = (h - mu) / np.sqrt(var + 1e-5)
        return gs.nn.cross_entropy(h_hat, Y_CLS)

    result = per_sample_gradients(gs.trace(batchnorm_net), "W")
    # one sample alone normalizes to 0 whatever W is: its gradient is 0, the batch's is not
    np.testing.assert_allclose(result.grads, 0.0, atol=1e-12)
    assert np.abs(result.batch).max() > 1e-3
    assert result.kind == "other" and not result.ok
    found = result.interaction
    assert (found.name, found.op) == ("var", "var")
    assert found.source == f"tests/analysis/test_persample.py:{line_of('var = np.var(h, axis=0')}"
    assert "neither the mean nor the sum" in found.reason
    text = str(result)
    assert "the samples interact in the loss" in text and f"samples first interact at var (var, {found.source})" in text


def test_a_softmax_over_the_batch_axis_is_named():
    def softmax_over_batch():
        probs = gs.nn.softmax(linear_logits(), axis=0)  # the learner's bug: axis 0 is the batch
        return -np.mean(np.log(probs[np.arange(N_CLS), Y_CLS]))

    found = per_sample_gradients(gs.trace(softmax_over_batch), "W").interaction
    assert found.op == "softmax" and found.source.endswith(f":{line_of('axis=0)  # the learner')}")
    assert "softmax mixes values along the batch axis 0" in found.reason


def test_a_statistic_flowing_back_into_the_rows_is_named_at_its_reduction():
    def centred():
        h = linear_logits()
        h = h - np.mean(h, axis=0)  # centred with the batch mean
        return gs.nn.cross_entropy(h * h, Y_CLS)

    found = per_sample_gradients(gs.trace(centred), "W").interaction
    assert found.op == "subtract"
    line = line_of('centred with the batch mean')
    assert f"(mean, tests/analysis/test_persample.py:{line}), a statistic" in found.reason


def test_scores_indexed_by_the_labels_alone_pair_every_sample_with_every_label():
    def wrong_pick():
        scores = linear_logits()
        return -np.mean(gs.nn.log_softmax(scores)[:, Y_CLS])  # meant [np.arange(N), y]

    found = per_sample_gradients(gs.trace(wrong_pick), "W").interaction
    assert found.op == "getitem"
    assert f"is ({N_CLS}×{N_CLS}) for the batch but (1×1) for one sample: it pairs samples" in found.reason


def test_a_max_over_the_batch_and_a_root_of_a_mean_are_named():
    def worst_sample():
        logp = gs.nn.log_softmax(linear_logits())
        return np.max(-logp[np.arange(N_CLS), Y_CLS])

    def root_mean_square():
        err = linear_logits() - ONEHOT
        return np.sqrt(np.mean(err ** 2))

    found = per_sample_gradients(gs.trace(worst_sample), "W").interaction
    assert found.op == "max" and "neither the mean nor the sum" in found.reason
    found = per_sample_gradients(gs.trace(root_mean_square), "W").interaction
    assert found.op == "sqrt" and "already combines the batch" in found.reason


def test_a_param_with_a_row_per_sample_is_broadcast_against_one_sample():
    ratings = RNG.integers(1, 6, size=(5, 6)).astype(float)

    def factorization():
        R = gs.input(ratings, name="R")
        U = gs.param(RNG.standard_normal((5, 2)), name="U")  # one row per user: the batch, but a param
        V = gs.param(RNG.standard_normal((6, 2)), name="V")
        err = R - U @ V.T
        return np.mean(err ** 2)

    result = per_sample_gradients(gs.trace(factorization), "V")
    assert result.kind == "other"
    found = result.interaction
    assert found.op == "subtract" and found.source.endswith(f":{line_of('err = R - U @ V.T')}")
    assert found.reason.startswith("it broadcasts one sample's R against all of ")
    assert "(5×6), whose axis 0 has the batch's length but is not cut per sample" in found.reason


def test_a_loss_on_one_fixed_sample_names_the_index():
    def first_only():
        logp = gs.nn.log_softmax(linear_logits())
        per_sample = -logp[np.arange(N_CLS), Y_CLS]
        return per_sample[0]  # sample 0 alone

    with pytest.raises(GraphstepError) as err:
        per_sample_gradients(gs.trace(first_only), "W")
    text = err.value.summary()
    assert f"test_persample.py:{line_of('return per_sample[0]')}" in text
    assert "(getitem) has no one-sample version: its index takes sample 0 alone along the batch axis 0" in text


# ───────────────────────────── the command line ─────────────────────────────


CLI_FILE = """\
import numpy as np
import graphstep as gs

N, D, C = 9, 4, 3


@gs.computation
def classifier():
    rng = np.random.default_rng(1)
    X = gs.input(rng.standard_normal((N, D)), name="X")
    y = rng.integers(0, C, size=N)
    W = gs.param(rng.standard_normal((D, C)), name="W")
    scores = X @ W
    {loss}
"""


def test_cli_per_sample_of_cross_entropy_passes(tmp_path, capsys):
    path = tmp_path / "classifier.py"
    path.write_text(CLI_FILE.format(loss="return gs.nn.cross_entropy(scores, y)"))
    assert main(["run", str(path), "--per-sample", "W"]) == 0
    out = capsys.readouterr().out
    assert "per-sample gradients of W (4×3), n = 9 (rows of X)" in out
    assert "✓ the batch gradient is the mean of the per-sample gradients" in out


def test_cli_per_sample_of_batch_norm_exits_1_naming_the_statistic(tmp_path, capsys):
    path = tmp_path / "classifier.py"
    loss = ("scores = (scores - scores.mean(axis=0)) / np.sqrt(scores.var(axis=0) + 1e-5)\n"
            "    return gs.nn.cross_entropy(scores, y)")
    path.write_text(CLI_FILE.format(loss=loss))
    assert main(["run", str(path), "--per-sample", "W"]) == 1
    out = capsys.readouterr().out
    assert "✗ the batch gradient is neither the mean nor the sum" in out
    found = next(line for line in out.splitlines() if "samples first interact at" in line)
    assert "(subtract, " in found and "classifier.py:14): it combines each sample's row with " in found
    assert "(mean, " in found and "classifier.py:14), a statistic of the whole batch" in found
