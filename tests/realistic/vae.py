"""A variational autoencoder's loss on binary data, with the reparameterization trick.

z = μ + exp(½ log σ²)·ε with ε drawn once; the decoder's probabilities are
clipped before the log (``np.clip``) as tutorials do; the KL term is
−½ Σ (1 + log σ² − μ² − σ²).
"""

import numpy as np

import graphstep as gs

N, D, HIDDEN, LATENT = 4, 6, 5, 2


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@gs.computation
def vae():
    rng = gs.rng(27)
    x = gs.input((rng.random((N, D)) < 0.4).astype(float), name="x")
    eps = rng.standard_normal((N, LATENT))
    W_enc = gs.param(rng.standard_normal((D, HIDDEN)) * 0.4, name="W_enc")
    W_mu = gs.param(rng.standard_normal((HIDDEN, LATENT)) * 0.4, name="W_mu")
    W_logvar = gs.param(rng.standard_normal((HIDDEN, LATENT)) * 0.4, name="W_logvar")
    W_dec = gs.param(rng.standard_normal((LATENT, D)) * 0.4, name="W_dec")
    b_dec = gs.param(np.zeros(D), name="b_dec")

    h = np.tanh(x @ W_enc)
    mu, logvar = h @ W_mu, h @ W_logvar
    z = mu + np.exp(0.5 * logvar) * eps
    p = np.clip(sigmoid(z @ W_dec + b_dec), 1e-7, 1 - 1e-7)
    recon = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p)) / N
    kl = -0.5 * np.sum(1 + logvar - mu ** 2 - np.exp(logvar)) / N
    return recon + kl
