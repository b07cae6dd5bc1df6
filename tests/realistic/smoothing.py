"""Denoising a signal and an image with smoothness penalties (Tikhonov regularization).

The 1-D penalty uses ``np.diff``; the image's uses ``np.roll`` (periodic
boundaries); the cleaned signal and image are the params themselves.
"""

import numpy as np

import graphstep as gs


@gs.computation
def smoothing():
    rng = gs.rng(33)
    t = np.linspace(0, 2 * np.pi, 16)
    noisy = np.sin(t) + 0.2 * rng.standard_normal(16)
    image = np.outer(np.hanning(5), np.hanning(6)) + 0.1 * rng.standard_normal((5, 6))
    signal = gs.param(noisy.copy(), name="signal")
    img = gs.param(image.copy(), name="img")
    y, Y = gs.input(noisy, name="y"), gs.input(image, name="Y")
    lam = 2.0

    loss_1d = np.sum((signal - y) ** 2) + lam * np.sum(np.diff(signal) ** 2)
    dx = np.roll(img, -1, axis=1) - img
    dy = np.roll(img, -1, axis=0) - img
    loss_2d = np.sum((img - Y) ** 2) + lam * np.sum(dx ** 2 + dy ** 2)
    return loss_1d + loss_2d
