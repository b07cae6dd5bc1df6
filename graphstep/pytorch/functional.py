"""Provides PyTorch's composite functions written with graphstep's ops: ``F.linear`` is ``x @ Wᵀ + b``,
``F.cross_entropy`` is log-softmax, pick the label's entry, mean — each a step a learner can watch.

Each takes torch's result first (unused but by the pooling and split helpers), then the call's arguments as the
recorder converted them: float tensors as graphstep ``Tensor`` mirrors, integer and boolean tensors as NumPy
arrays.  Like ``graphstep.nn``, this module names what it computes (``logp``, ``patches``): its assignments name
the nodes, and the call's result takes the name of the user's variable.
"""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as gnp
from ..core.tracer import Tensor, apply


class Unmappable(Exception):  # noqa: N818 - a reason, not graphstep's failure
    """Arguments outside what graphstep records (``F.conv2d(groups=2)``): the call is listed as unmapped."""


def _refuse_legacy(size_average, reduce) -> None:
    if size_average is not None or reduce is not None:
        raise Unmappable("size_average= and reduce= (deprecated): use reduction=")


def _reduce(per, reduction: str, weights=None):
    """A loss's entries reduced as ``reduction`` says: "mean" (weighted: Σ w·loss / Σ w), "sum" or "none"."""
    if reduction == "none":
        return per
    if reduction == "sum":
        return gnp.sum(per)
    if reduction != "mean":
        raise Unmappable(f"reduction={reduction!r}")
    if weights is None:
        return gnp.mean(per)
    return gnp.sum(per) / float(np.sum(weights))


def _single(v) -> int:
    return int(v) if isinstance(v, (int, np.integer)) else int(v[0])


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else (int(v[0]), int(v[1]))


# ───────────────────────────── layers ─────────────────────────────


def linear(result, input, weight, bias=None):  # noqa: A002 - torch's names
    """``nn.Linear``: input · weightᵀ + bias (weight is out × in, as torch stores it)."""
    if bias is None:
        return input @ weight.T
    return input @ weight.T + bias


def bilinear(result, input1, input2, weight, bias=None):
    """x₁ᵀ·W·x₂ + b for each output feature."""
    if bias is None:
        return gnp.einsum("...i,oij,...j->...o", input1, weight, input2)
    return gnp.einsum("...i,oij,...j->...o", input1, weight, input2) + bias


def embedding(result, input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False, sparse=False):
    """``nn.Embedding``: the rows of weight picked by the indices."""
    if max_norm is not None or scale_grad_by_freq:
        raise Unmappable("max_norm= or scale_grad_by_freq=")
    if padding_idx is not None and np.any(input == padding_idx % weight.shape[0]):
        raise Unmappable("padding_idx= (its row gets no gradient in PyTorch)")
    return weight[input]


def rnn_cell(result, input, hx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002
    """``nn.RNNCell``: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)."""
    return gnp.tanh(_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh))


def rnn_relu_cell(result, input, hx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002
    """``nn.RNNCell(nonlinearity="relu")``: h' = relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)."""
    return apply("relu", _affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh))


def _affine(x, w, b):
    return x @ w.T if b is None else x @ w.T + b


def _windows(size: int, kernel: int, stride: int, dilation: int) -> np.ndarray:
    """Which input positions each output position reads: (outputs × kernel) indices."""
    count = (size - dilation * (kernel - 1) - 1) // stride + 1
    if count < 1:
        raise Unmappable("a kernel larger than its padded input")
    return (np.arange(count) * stride)[:, None] + np.arange(kernel) * dilation


def _padding(padding, kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[int, ...]:
    if padding == "valid":
        return (0,) * len(kernel)
    if padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
    return (int(padding),) * len(kernel) if isinstance(padding, (int, np.integer)) else tuple(int(p) for p in padding)


def conv2d(result, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """``nn.Conv2d`` as im2col: every kernel-sized window of the (padded) input, then one einsum with the kernels."""
    if groups != 1:
        raise Unmappable("groups > 1")
    unbatched = input.ndim == 3
    x = input[None] if unbatched else input
    (sh, sw), (dh, dw) = _pair(stride), _pair(dilation)
    kh, kw = weight.shape[-2:]
    ph, pw = _padding(padding, (kh, kw), (dh, dw))
    if ph or pw:
        x = gnp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    rows, cols = _windows(x.shape[2], kh, sh, dh), _windows(x.shape[3], kw, sw, dw)
    patches = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (N, C, out h, out w, kh, kw)
    out = gnp.einsum("ncijkl,ockl->noij", patches, weight)
    if bias is not None:
        out = out + gnp.reshape(bias, (-1, 1, 1))
    return out[0] if unbatched else out


def conv1d(result, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """``nn.Conv1d`` as im2col: every kernel-sized window of the (padded) input, then one einsum with the kernels."""
    if groups != 1:
        raise Unmappable("groups > 1")
    unbatched = input.ndim == 2
    x = input[None] if unbatched else input
    stride, dilation = _single(stride), _single(dilation)
    k = weight.shape[-1]
    (p,) = _padding(padding, (k,), (dilation,))
    if p:
        x = gnp.pad(x, ((0, 0), (0, 0), (p, p)))
    patches = x[:, :, _windows(x.shape[2], k, stride, dilation)]  # (N, C, out length, k)
    out = gnp.einsum("ncik,ock->noi", patches, weight)
    if bias is not None:
        out = out + gnp.reshape(bias, (-1, 1))
    return out[0] if unbatched else out


def _pool_patches(input, kernel_size, stride, padding, dilation, fill: float):  # noqa: A002
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(stride if stride is not None and stride != [] else kernel_size)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    x = input[None] if input.ndim == 3 else input
    if ph or pw:
        x = gnp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    rows, cols = _windows(x.shape[2], kh, sh, dh), _windows(x.shape[3], kw, sw, dw)
    return x[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (N, C, out h, out w, kh, kw)


def max_pool2d(result, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """``nn.MaxPool2d``: the largest entry of each window (ties share the gradient; PyTorch picks one)."""
    if ceil_mode:
        raise Unmappable("ceil_mode=True")
    windows = _pool_patches(input, kernel_size, stride, padding, dilation, -np.inf)
    pooled = gnp.max(windows, axis=(-2, -1))
    pooled = pooled[0] if input.ndim == 3 else pooled
    return (pooled, None) if return_indices else pooled


def avg_pool2d(result, input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    """``nn.AvgPool2d``: the mean of each window (padding counts as zeros, PyTorch's default)."""
    if ceil_mode or divisor_override is not None or (padding and not count_include_pad):
        raise Unmappable("ceil_mode=, divisor_override= or count_include_pad=False")
    windows = _pool_patches(input, kernel_size, stride, padding, 1, 0.0)
    pooled = gnp.mean(windows, axis=(-2, -1))
    return pooled[0] if input.ndim == 3 else pooled


def _normalized(x, axes: tuple[int, ...], eps: float):
    """(x − mean) / √(var + ε) over ``axes``, the variance biased (÷ n), as both norms compute it."""
    mean = gnp.mean(x, axis=axes, keepdims=True)
    var = gnp.var(x, axis=axes, keepdims=True)
    return (x - mean) / gnp.sqrt(var + eps)


def batch_norm(result, input, running_mean, running_var, weight=None, bias=None, training=False,  # noqa: A002
               momentum=0.1, eps=1e-5):
    """``nn.BatchNorm``: in training, each channel normalised by its batch statistics; in eval, by the running
    ones (constants here)."""
    channel = (1, -1) + (1,) * (input.ndim - 2)  # (C,) broadcast against (N, C, …)
    if training:
        x_hat = _normalized(input, (0, *range(2, input.ndim)), eps)
    else:
        mean, var = np.reshape(running_mean, channel), np.reshape(running_var, channel)
        x_hat = (input - mean.astype(input.dtype)) / np.sqrt(var + eps).astype(input.dtype)
    if weight is not None:
        x_hat = x_hat * gnp.reshape(weight, channel)
    return x_hat if bias is None else x_hat + gnp.reshape(bias, channel)


def layer_norm(result, input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """``nn.LayerNorm``: each sample normalised over its last ``len(normalized_shape)`` axes."""
    k = len(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else 1
    x_hat = _normalized(input, tuple(range(input.ndim - k, input.ndim)), eps)
    if weight is not None:
        x_hat = x_hat * weight
    return x_hat if bias is None else x_hat + bias


def scaled_dot_product_attention(result, query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False):
    """softmax(Q·Kᵀ / √d + mask) · V."""
    if dropout_p or enable_gqa:
        raise Unmappable("dropout_p > 0 or enable_gqa=True")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ gnp.swapaxes(key, -2, -1)) * scale
    if is_causal:
        L, S = query.shape[-2], key.shape[-2]
        scores = gnp.where(np.tril(np.ones((L, S), dtype=bool)), scores, -np.inf)
    if attn_mask is not None:
        boolean = isinstance(attn_mask, np.ndarray) and attn_mask.dtype == np.bool_
        scores = gnp.where(attn_mask, scores, -np.inf) if boolean else scores + attn_mask
    weights = apply("softmax", scores, axis=-1)
    return weights @ value


def pad(result, input, pad, mode="constant", value=None):  # noqa: A002
    """``F.pad``: torch lists (before, after) pairs from the last axis backwards; NumPy from the first."""
    if mode != "constant":
        raise Unmappable(f"mode={mode!r}")
    pairs = [(int(pad[i]), int(pad[i + 1])) for i in range(0, len(pad), 2)]
    width = [(0, 0)] * (input.ndim - len(pairs)) + pairs[::-1]
    if any(a < 0 or b < 0 for a, b in width):
        raise Unmappable("negative padding (cropping)")
    return gnp.pad(input, width, constant_values=0.0 if value is None else value)


# ───────────────────────────── activations ─────────────────────────────


def leaky_relu(result, input, negative_slope=0.01, inplace=False):  # noqa: A002
    """x where x > 0, else slope·x."""
    return gnp.where(input.value > 0, input, negative_slope * input)


def elu(result, input, alpha=1.0, inplace=False):  # noqa: A002
    """x where x > 0, else α·(eˣ − 1)."""
    return gnp.where(input.value > 0, input, alpha * gnp.expm1(input))


def silu(result, input, inplace=False):  # noqa: A002
    """x·σ(x)."""
    return input * apply("sigmoid", input)


def gelu(result, input, approximate="none"):  # noqa: A002
    """The tanh form ½x(1 + tanh(√(2/π)(x + 0.044715x³))); the exact form needs erf, which graphstep lacks."""
    if approximate != "tanh":
        raise Unmappable("the exact GELU needs erf, which graphstep's op table lacks: use approximate='tanh'")
    inner = math.sqrt(2.0 / math.pi) * (input + 0.044715 * input ** 3)
    return 0.5 * input * (1.0 + gnp.tanh(inner))


def softplus(result, input, beta=1.0, threshold=20.0):  # noqa: A002
    """log(1 + e^(βx)) / β."""
    if beta == 1:
        return apply("softplus", input)
    return apply("softplus", beta * input) / beta


def softsign(result, input):  # noqa: A002
    """x / (1 + |x|)."""
    return input / (1.0 + abs(input))


def normalize(result, input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002
    """x / max(‖x‖, ε) along ``dim``."""
    if p != 2:
        raise Unmappable(f"p={p!r} (graphstep records the 2-norm)")
    norm = gnp.clip(gnp.linalg.norm(input, axis=int(dim), keepdims=True), eps, None)
    return input / norm


def logsumexp(result, input, dim, keepdim=False):  # noqa: A002
    """log Σ eˣ, shifted by the (constant) largest entry so nothing overflows; its gradient is the softmax."""
    axes = tuple(dim) if isinstance(dim, (tuple, list)) else (int(dim),)
    shift = np.max(input.value, axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0).astype(input.dtype)
    total = gnp.log(gnp.sum(gnp.exp(input - shift), axis=axes, keepdims=True)) + shift
    return total if keepdim else gnp.squeeze(total, axis=axes)


# ───────────────────────────── losses ─────────────────────────────


def cross_entropy(result, input, target, weight=None, size_average=None, ignore_index=-100,  # noqa: A002
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits: log-softmax, the label's entry, the (weighted) mean of the negatives."""
    _refuse_legacy(size_average, reduce)
    logits, target = _classes_last(input, target)
    logp = apply("log_softmax", logits, axis=-1)
    return _nll(logp, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(result, input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
             reduction="mean"):
    """Negative log-likelihood of log-probabilities: the label's entry, the (weighted) mean of the negatives."""
    _refuse_legacy(size_average, reduce)
    logp, target = _classes_last(input, target)
    return _nll(logp, target, weight, ignore_index, reduction, 0.0)


def _classes_last(scores, target):
    """(N, C, d₁, …) scores with (N, d₁, …) targets as rows of C classes: (N·d₁·…, C) and (N·d₁·…)."""
    if scores.ndim <= 2:
        return scores, target
    moved = gnp.moveaxis(scores, 1, -1)
    rows = gnp.reshape(moved, (-1, scores.shape[1]))
    return rows, (gnp.reshape(gnp.moveaxis(target, 1, -1), (-1, scores.shape[1])) if isinstance(target, Tensor)
                  else np.reshape(target, -1))


def _nll(logp, target, weight, ignore_index, reduction, smoothing):
    if isinstance(target, Tensor):  # class probabilities (soft labels)
        if weight is not None:
            raise Unmappable("weight= with class probabilities")
        classes = logp.shape[-1]
        if smoothing:
            target = (1.0 - smoothing) * target + smoothing / classes
        return _reduce(-gnp.sum(target * logp, axis=-1), reduction)
    if logp.ndim == 1:
        picked = logp[int(target)]
        return _reduce(-picked, reduction) if reduction != "none" else -picked
    labels = target if target.dtype == np.int64 else np.asarray(target).astype(np.int64)
    kept = labels != ignore_index
    safe = labels if kept.all() else np.where(kept, labels, 0)  # the labels themselves: the step names them
    picked = logp[np.arange(len(labels)), safe]
    nll = -picked
    if smoothing:
        nll = (1.0 - smoothing) * nll - smoothing * gnp.mean(logp, axis=-1)
    weights = None
    if weight is not None:
        weights = _raw(weight)[safe] * kept
        nll = nll * weights.astype(logp.dtype)
    elif not kept.all():
        weights = kept
        nll = nll * kept.astype(logp.dtype)
    return _reduce(nll, reduction, weights)


def _raw(x):
    if isinstance(x, Tensor):
        if x.tracer.depends_on_param(x.node):
            raise Unmappable("class weights that need a gradient")
        return x.value
    return np.asarray(x)


def mse_loss(result, input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """The mean of (input − target)²."""
    _refuse_legacy(size_average, reduce)
    if weight is not None:
        raise Unmappable("weight=")
    return _reduce((input - target) ** 2, reduction)


def l1_loss(result, input, target, size_average=None, reduce=None, reduction="mean", weight=None):  # noqa: A002
    """The mean of |input − target|."""
    _refuse_legacy(size_average, reduce)
    if weight is not None:
        raise Unmappable("weight=")
    return _reduce(abs(input - target), reduction)


def binary_cross_entropy(result, input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """−(y·log p + (1 − y)·log(1 − p)) of probabilities p (PyTorch also floors each log at −100)."""
    _refuse_legacy(size_average, reduce)
    per = -(target * gnp.log(input) + (1.0 - target) * gnp.log(1.0 - input))
    return _reduce(per if weight is None else per * weight, reduction)


def binary_cross_entropy_with_logits(result, input, target, weight=None, size_average=None,  # noqa: A002
                                     reduce=None, reduction="mean", pos_weight=None):
    """−(y·log σ(x) + (1 − y)·log σ(−x)) of logits x: the stable form, never log 0."""
    _refuse_legacy(size_average, reduce)
    positive = apply("log_sigmoid", input)
    negative = apply("log_sigmoid", -input)
    if pos_weight is not None:
        positive = positive * pos_weight
    per = -(target * positive + (1.0 - target) * negative)
    return _reduce(per if weight is None else per * weight, reduction)
