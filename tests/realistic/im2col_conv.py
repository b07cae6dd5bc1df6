"""Two convolution layers computed with im2col, as in CS231n's ``im2col.py``.

The column indices are plain integer arrays built with ``np.arange``,
``np.repeat`` and ``np.tile``; the padded input is fancy-indexed
``x_padded[:, k, i, j]`` (entries repeat: backward must add them up), and the
convolution is one matmul with the reshaped filters.
"""

import numpy as np

import graphstep as gs


def get_im2col_indices(x_shape, field_height, field_width, padding=1, stride=1):
    N, C, H, W = x_shape
    out_height = (H + 2 * padding - field_height) // stride + 1
    out_width = (W + 2 * padding - field_width) // stride + 1
    i0 = np.repeat(np.arange(field_height), field_width)
    i0 = np.tile(i0, C)
    i1 = stride * np.repeat(np.arange(out_height), out_width)
    j0 = np.tile(np.arange(field_width), field_height * C)
    j1 = stride * np.tile(np.arange(out_width), out_height)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    k = np.repeat(np.arange(C), field_height * field_width).reshape(-1, 1)
    return k, i, j


def im2col_indices(x, field_height, field_width, padding=1, stride=1):
    p = padding
    x_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
    k, i, j = get_im2col_indices(x.shape, field_height, field_width, padding, stride)
    cols = x_padded[:, k, i, j]
    C = x.shape[1]
    cols = cols.transpose(1, 2, 0).reshape(field_height * field_width * C, -1)
    return cols


def conv_forward(x, W, b, stride=1, padding=1):
    N, C, H, Wd = x.shape
    F, _, HH, WW = W.shape
    h_out = (H + 2 * padding - HH) // stride + 1
    w_out = (Wd + 2 * padding - WW) // stride + 1
    x_cols = im2col_indices(x, HH, WW, padding=padding, stride=stride)
    out = W.reshape(F, -1) @ x_cols + b.reshape(-1, 1)
    out = out.reshape(F, h_out, w_out, N)
    return out.transpose(3, 0, 1, 2)


@gs.computation
def im2col_conv():
    rng = gs.rng(6)
    x = gs.input(rng.standard_normal((2, 2, 5, 5)), name="x")
    W1 = gs.param(rng.standard_normal((3, 2, 3, 3)) * 0.3, name="W1")
    b1 = gs.param(0.1 * rng.standard_normal(3), name="b1")
    W2 = gs.param(rng.standard_normal((2, 3, 3, 3)) * 0.3, name="W2")
    b2 = gs.param(np.zeros(2), name="b2")
    target = gs.input(rng.standard_normal((2, 2, 3, 3)), name="target")

    h = conv_forward(x, W1, b1, stride=1, padding=1)          # (2, 3, 5, 5)
    h = np.tanh(h)
    out = conv_forward(h, W2, b2, stride=2, padding=1)        # (2, 2, 3, 3)
    loss = 0.5 * np.sum((out - target) ** 2) / x.shape[0]
    return loss
