"""One transformer block as picoGPT writes it (jaymody/picoGPT, ``gpt2.py``), in plain NumPy.

Pre-norm residual block: x + mha(layer_norm(x)), then x + ffn(layer_norm(x)), with
GELU's tanh approximation, a causal mask from ``np.triu`` applied with
``np.where``, heads cut with ``np.split`` and joined with ``np.hstack``.
"""

import numpy as np

import graphstep as gs

N_SEQ, N_EMBD, N_HEAD = 4, 6, 2


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def softmax(x):
    exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)


def layer_norm(x, g, b, eps: float = 1e-5):
    mean = np.mean(x, axis=-1, keepdims=True)
    variance = np.var(x, axis=-1, keepdims=True)
    x = (x - mean) / np.sqrt(variance + eps)
    return g * x + b


def linear(x, w, b):
    return x @ w + b


def ffn(x, c_fc, c_proj):
    a = gelu(linear(x, **c_fc))
    return linear(a, **c_proj)


def attention(q, k, v, mask):
    scores = q @ k.T / np.sqrt(q.shape[-1])
    scores = np.where(mask, -1e10, scores)
    return softmax(scores) @ v


def mha(x, c_attn, c_proj, n_head):
    x = linear(x, **c_attn)
    qkv = np.split(x, 3, axis=-1)
    qkv_heads = list(map(lambda x: np.split(x, n_head, axis=-1), qkv))
    causal_mask = np.triu(np.ones((x.shape[0], x.shape[0]), dtype=bool), k=1)
    out_heads = [attention(q, k, v, causal_mask) for q, k, v in zip(*qkv_heads)]
    x = np.hstack(out_heads)
    return linear(x, **c_proj)


def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + mha(layer_norm(x, **ln_1), **attn, n_head=n_head)
    x = x + ffn(layer_norm(x, **ln_2), **mlp)
    return x


@gs.computation
def picogpt_block():
    rng = gs.rng(17)

    def p(name, shape, scale=0.3):
        return gs.param(scale * rng.standard_normal(shape), name=name)

    x = gs.input(rng.standard_normal((N_SEQ, N_EMBD)), name="x")
    target = gs.input(rng.standard_normal((N_SEQ, N_EMBD)), name="target")
    attn = {"c_attn": {"w": p("attn_w", (N_EMBD, 3 * N_EMBD)), "b": p("attn_b", 3 * N_EMBD, 0.1)},
            "c_proj": {"w": p("proj_w", (N_EMBD, N_EMBD)), "b": p("proj_b", N_EMBD, 0.1)}}
    mlp = {"c_fc": {"w": p("fc_w", (N_EMBD, 4 * N_EMBD)), "b": p("fc_b", 4 * N_EMBD, 0.1)},
           "c_proj": {"w": p("mlp_proj_w", (4 * N_EMBD, N_EMBD)), "b": p("mlp_proj_b", N_EMBD, 0.1)}}
    ln_1 = {"g": p("ln1_g", N_EMBD, 0.1) + 1, "b": p("ln1_b", N_EMBD, 0.1)}
    ln_2 = {"g": p("ln2_g", N_EMBD, 0.1) + 1, "b": p("ln2_b", N_EMBD, 0.1)}

    y = transformer_block(x, mlp, attn, ln_1, ln_2, n_head=N_HEAD)
    return np.mean((y - target) ** 2)
