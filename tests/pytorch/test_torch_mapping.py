"""Every kind of mapped torch function, recorded and stepped by graphstep, against torch's own autograd: one line per
case, the inputs float64 (and float32 where it says so), as tinygrad's op tests compare with torch."""

from __future__ import annotations

import numpy as np
import pytest
from torch_support import needs_torch

import graphstep as gs
from graphstep.pytorch import computation

pytestmark = needs_torch

# The names CASES' functions use, bound by ``torch_names`` when a test runs: collecting this file imports no torch.
torch = F = nn = IDX = LABELS = MASK = None


@pytest.fixture(autouse=True, scope="module")
def torch_names():
    """torch, imported when the first test here runs, and the index tensors of the cases."""
    global torch, F, nn, IDX, LABELS, MASK
    import torch
    import torch.nn.functional as F
    from torch import nn

    IDX = torch.tensor([2, 0, 1, 1])
    LABELS = torch.tensor([0, 2, 1, 2])
    MASK = torch.tensor([[True, False, True], [False, True, True], [True, True, False], [False, False, True]])


def check(fn, *shapes, dtype=None, positive=False, seed=0):
    """``fn`` of params shaped ``shapes`` (float64 unless ``dtype``): graphstep's gradient of ``fn(...).sum()``
    equals torch's."""
    dtype = torch.float64 if dtype is None else dtype
    gen = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, dtype=dtype, generator=gen).abs().add(0.5) if positive else
              torch.randn(s, dtype=dtype, generator=gen) for s in shapes]
    params = [p.requires_grad_() for p in params]
    names = [f"p{k}" for k in range(len(params))]

    def loss(*ps):
        return fn(*ps).sum()

    st = gs.Stepper(gs.trace(computation(loss, *params))).run()
    expected = torch.autograd.grad(loss(*params), params, allow_unused=True)
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    for param, name, grad in zip(params, names, expected):
        mine = st.grad(st.graph.name_of(st.graph.params[list(st.graph.params)[names.index(name)]])) \
            if len(st.graph.params) == len(params) else None
        theirs = np.zeros(param.shape) if grad is None else grad.numpy()
        assert mine is not None and mine.dtype == theirs.dtype
        np.testing.assert_allclose(mine, theirs, rtol=tol, atol=tol * max(1.0, float(np.abs(theirs).max())))


CASES = {
    "operators": (lambda a, b: (a + b) * a - b / (a.abs() + 1) + a ** 2 - 2 ** b + 1 - a, (4, 3), (4, 3)),
    "broadcasting": (lambda a, b: a * b + b - a / 2, (4, 3), (3,)),
    "unary": (lambda a: a.exp() + a.sin() + torch.cos(a) + a.tanh() + torch.sigmoid(a) + a.relu() + a.sinh()
              + a.atan() + torch.expm1(a) + a.square() + a.neg(), (5,)),
    "logs and roots": (lambda a: a.log() + a.sqrt() + torch.log1p(a) + a.log2() + a.rsqrt() + a.reciprocal(), (5,),
                       {"positive": True}),
    "pow, max, min": (lambda a, b: torch.pow(a.abs() + 1, b) + torch.maximum(a, b) + torch.minimum(a, b), (4,), (4,)),
    "clamp, where": (lambda a: a.clamp(-0.5, 0.5) + torch.where(a > 0, a, a * 3) + a.masked_fill(a < 0, 2.0), (6,)),
    "sum mean": (lambda a: a.sum(0).sum() + a.mean(dim=1, keepdim=True).T.sum() + a.sum((0, 1)), (4, 3)),
    "var std": (lambda a: a.var() + a.std(1) .sum() + a.var(0, unbiased=False).sum() + a.std(correction=0), (4, 3)),
    "max min norm": (lambda a: a.max() + a.max(dim=1).values.sum() + a.amin(0).sum() + a.norm() + a.norm(dim=1).sum()
                     + torch.linalg.vector_norm(a, 1), (4, 3)),
    "prod cumsum logsumexp": (lambda a: a.prod(1).sum() + a.cumsum(0).sum() + torch.logsumexp(a, dim=1).sum(),
                              (3, 4)),
    "softmax": (lambda a: (F.softmax(a, dim=1) * torch.arange(4.0, dtype=a.dtype)).sum()
                + a.log_softmax(0).sum() * 0.1, (3, 4)),
    "matmul": (lambda a, b: a @ b + torch.mm(a, b) + torch.matmul(a, b), (3, 4), (4, 2)),
    "batched matmul": (lambda a, b: torch.bmm(a, b).sum() + (a @ b.transpose(-2, -1).mT).sum(), (2, 3, 4),
                       (2, 4, 5)),
    "dot outer einsum": (lambda a, b: torch.dot(a, b) + torch.outer(a, b).sum() + torch.einsum("i,j->", a, b), (4,),
                         (4,)),
    "diagonals": (lambda a: a.trace() + a.diagonal().sum() + a.tril().sum() + torch.triu(a, 1).sum(), (4, 4)),
    "shapes": (lambda a: a.reshape(2, 6).T.sum(1)[:2] @ a.view(12)[:2] + a.flatten().sum() + a.unsqueeze(0).squeeze(0)
               .permute(1, 0).t().sum() + a.transpose(0, 1).contiguous().sum(), (4, 3)),
    "expand": (lambda a: (a.expand(4, 3) * torch.arange(12.0, dtype=a.dtype).reshape(4, 3)).sum(), (1, 3)),
    "cat stack split": (lambda a, b: torch.cat([a, b], 0).sum(0) + torch.stack((a, b)).mean(0).sum(0)
                        + sum(p.sum() for p in a.split(2, dim=0)) + sum(c.sum() for c in b.chunk(3, 1)), (4, 3),
                        (4, 3)),
    "unbind and iteration": (lambda a: sum(row * k for k, row in enumerate(a)) + sum(a.unbind(1)), (3, 3)),
    "indexing": (lambda a: a[IDX] .sum() + a[:, 1:].sum() + a[MASK].sum() + a[..., 0].sum()
                 + a[IDX, torch.tensor([0, 1, 2, 0])].sum(), (4, 3)),
    "gather index_select": (lambda a: a.gather(1, IDX[:, None].clamp(max=2)).sum()
                            + a.index_select(0, torch.tensor([3, 3, 0])).sum(), (4, 3)),
    "flip roll repeat": (lambda a: a.flip(0).roll(1, 1).sum() + a.repeat(2, 1).sum() + a.repeat_interleave(2, 0)
                         .sum() + a.tile((1, 2)).sum(), (4, 3)),
    "in place": (lambda a: (lambda h: (h.add_(1), h.mul_(a), h.clamp_(max=2.0), h)[-1])(a * 2), (5,)),
    "setitem": (lambda a, b: (lambda h: (h.__setitem__(slice(0, 2), b[:2] * 3), h)[-1])(a * 1), (4,), (4,)),
    "activations": (lambda a: F.leaky_relu(a, 0.1) + F.elu(a) + F.silu(a) + F.softplus(a) + F.softplus(a, beta=2)
                    + F.logsigmoid(a) + F.relu6(a * 4) + F.hardtanh(a) + F.gelu(a, approximate="tanh")
                    + F.softsign(a), (6,)),
    "normalize": (lambda a: F.normalize(a, dim=1), (3, 4)),
    "linear": (lambda x, w, b: F.linear(x, w, b), (5, 3), (2, 3), (2,)),
    "bilinear": (lambda x, y, w: F.bilinear(x, y, w), (4, 3), (4, 2), (5, 3, 2)),
    "cross entropy": (lambda z: F.cross_entropy(z, LABELS) + F.cross_entropy(z, LABELS, label_smoothing=0.1)
                      + F.cross_entropy(z, torch.tensor([0, -100, 1, 2])), (4, 3)),
    "cross entropy, weighted and soft": (lambda z, t: F.cross_entropy(z, LABELS, weight=torch.tensor(
        [1.0, 2.0, 0.5], dtype=z.dtype)) + F.cross_entropy(z, t.softmax(1)), (4, 3), (4, 3)),
    "nll": (lambda z: F.nll_loss(z.log_softmax(1), LABELS, reduction="sum"), (4, 3)),
    "mse l1": (lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b, reduction="sum"), (4, 3), (4, 3)),
    "bce": (lambda z, t: F.binary_cross_entropy(torch.sigmoid(z), t.sigmoid())
            + F.binary_cross_entropy_with_logits(z, t.sigmoid(), pos_weight=torch.tensor(2.0, dtype=z.dtype)),
            (6,), (6,)),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), (2, 3, 5, 5), (4, 3, 3, 3), (4,)),
    "conv1d": (lambda x, w: F.conv1d(x, w, padding="same", dilation=2), (2, 3, 7), (4, 3, 3)),
    "pools": (lambda x: F.max_pool2d(x, 2) .sum() + F.avg_pool2d(x, 3, stride=1, padding=1).sum(), (2, 3, 4, 4)),
    "layer norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), (3, 4), (4,), (4,)),
    "batch norm": (lambda x, w, b: F.batch_norm(x, torch.zeros(3, dtype=x.dtype), torch.ones(3, dtype=x.dtype), w, b,
                                                training=True), (5, 3, 2, 2), (3,), (3,)),
    "attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (2, 4, 3), (2, 4, 3),
                  (2, 4, 3)),
    "embedding": (lambda w: F.embedding(torch.tensor([[1, 3], [0, 1]]), w), (4, 3)),
    "pad": (lambda x: F.pad(x, (1, 2, 0, 1), value=0.5) * torch.arange(6.0, dtype=x.dtype), (2, 3, 3)),
    "rnn cell": (lambda x, h, wi, wh, bi, bh: torch.rnn_tanh_cell(x, h, wi, wh, bi, bh), (2, 3), (2, 4), (4, 3),
                 (4, 4), (4,), (4,)),
}


@pytest.mark.parametrize("name", CASES)
def test_mapped_functions_give_torchs_gradient(name):
    fn, *shapes = CASES[name]
    options = shapes.pop() if isinstance(shapes[-1], dict) else {}
    check(fn, *shapes, **options)


@pytest.mark.parametrize("name", ["operators", "matmul", "cross entropy", "conv2d", "layer norm"])
def test_float32_stays_float32(name):
    fn, *shapes = CASES[name]
    check(fn, *shapes, dtype=torch.float32)


def test_modules_map_through_their_functions():
    torch.manual_seed(0)
    for module, shape in [(nn.BatchNorm1d(3), (4, 3)), (nn.LayerNorm(3), (4, 3)), (nn.Conv1d(2, 3, 2), (2, 2, 5)),
                          (nn.AvgPool2d(2), (1, 2, 4, 4)), (nn.Softmax(dim=1), (2, 3)), (nn.Sigmoid(), (3,)),
                          (nn.Embedding(5, 2), None)]:
        x = torch.tensor([[0, 4], [2, 2]]) if shape is None else torch.randn(shape)
        params = list(module.parameters())
        if not params:
            x.requires_grad_()
        st = gs.Stepper(gs.trace(computation(lambda m, x: m(x).pow(2).sum(), module, x))).run()
        leaves = params or [x]
        expected = torch.autograd.grad(module(x).pow(2).sum(), leaves)
        for got, want in zip(st.grads().values(), expected):
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6, err_msg=type(module).__name__)


def test_every_mapped_name_is_in_the_readme():
    from support import REPO

    from graphstep.pytorch.mapping import ROWS, TABLE

    text = (REPO / "README.md").read_text()
    section = text[text.index("## PyTorch scripts"):text.index("## Command line")]
    for names in ROWS.values():
        for name in names:
            short = name.rpartition(".")[2]
            if not short.startswith("__"):
                assert (short in section) or (name in section), name
    assert len(TABLE) > 250
