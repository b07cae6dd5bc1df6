"""CS231n's ``conv_forward_naive``: loops that write each output entry into ``np.zeros``.

``out`` is a plain ndarray, so ``out[n, f, i, j] = <traced scalar>`` makes NumPy
store ``float(...)`` of it: unless graphstep refuses, the convolution silently
leaves the graph and the filters' gradient is missing its data term.
"""

import numpy as np

import graphstep as gs


def conv_forward_naive(x, w, b, stride=1, pad=1):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


@gs.computation
def naive_conv():
    rng = gs.rng(40)
    x = gs.input(rng.standard_normal((1, 1, 3, 3)), name="x")
    w = gs.param(rng.standard_normal((2, 1, 2, 2)) * 0.5, name="w")
    b = gs.param(np.zeros(2), name="b")
    W_fc = gs.param(rng.standard_normal((8, 1)) * 0.5, name="W_fc")

    out = conv_forward_naive(x, w, b, stride=2, pad=1)        # (1, 2, 2, 2)
    score = out.reshape(1, -1) @ W_fc
    return np.sum(score ** 2) + 1e-3 * np.sum(w ** 2)
