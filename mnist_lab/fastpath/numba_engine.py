"""The numba engine: whole chunks of per-sample steps compiled, without returning to Python.

`_train_chunk` runs steps first..last-1 of the book's protocol (sample = step mod N): forward
through the lit pixels, loss, backward, and an SGD or Adam update of every parameter in place,
with the building blocks of `kernels.py`. `train_numba` hands it the model's parameters as
NumPy views (no copies), with W1 stored column-major while it runs: the Linear layer's weight
becomes the transposed view of a (D, H) array that the kernel updates in place, so "skip pixel
k" skips one contiguous row. Afterwards the weight is made contiguous again.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import numpy as np
import torch

from mnist_lab.fastpath.kernels import (
    _activate,
    _activation_backward,
    _adam,
    _as,
    _dot,
    _first_layer,
    _layer_norm,
    _layer_norm_backward,
    _lit_pixels,
    _loss_and_grad,
    _njit,
    _sgd,
)
from mnist_lab.fastpath.rule import ADAM_BETAS, ADAM_EPS, StepRule, layers
from mnist_lab.models import MLP
from mnist_lab.numerics import lr_too_high

CHUNK_STEPS = 10_000  # steps per kernel call; progress is reported between chunks


@_njit
def _sgd_update(params, x, idx, nnz, da1, g_ln_w, g_ln_b, h2, da2, neg_lr, use_ln):
    """SGD on every parameter; W1's gradient is da1 ⊗ x, so only lit pixels' rows change."""
    w1t, b1, ln_w, ln_b, w2, b2 = params
    one = _as(1.0, b1)
    for u in range(nnz):  # a dark pixel's gradient row is exactly 0: skip it
        _sgd(w1t[idx[u]], da1, x[idx[u]], neg_lr)
    _sgd(b1, da1, one, neg_lr)
    if use_ln:
        _sgd(ln_w, g_ln_w, one, neg_lr)
        _sgd(ln_b, g_ln_b, one, neg_lr)
    for c in range(w2.shape[0]):
        _sgd(w2[c], h2, da2[c], neg_lr)
    _sgd(b2, da2, one, neg_lr)


@_njit
def _adam_update(params, adam_m, adam_v, seen, x, idx, nnz, da1, g_ln_w, g_ln_b, h2, da2, hp,
                 use_ln):
    """Adam on every parameter. Adam moves weights whose gradient is 0 too (m decays slowly), so
    every pixel's row is updated, except pixels never lit so far: their m = v = 0 and gradient 0
    make the update exactly 0."""
    w1t, b1, ln_w, ln_b, w2, b2 = params
    m_w1t, m_b1, m_ln_w, m_ln_b, m_w2, m_b2 = adam_m
    v_w1t, v_b1, v_ln_w, v_ln_b, v_w2, v_b2 = adam_v
    one = _as(1.0, b1)
    for u in range(nnz):
        seen[idx[u]] = True
    for k in range(w1t.shape[0]):
        if seen[k]:
            _adam(w1t[k], da1, x[k], m_w1t[k], v_w1t[k], hp)
    _adam(b1, da1, one, m_b1, v_b1, hp)
    if use_ln:
        _adam(ln_w, g_ln_w, one, m_ln_w, v_ln_w, hp)
        _adam(ln_b, g_ln_b, one, m_ln_b, v_ln_b, hp)
    for c in range(w2.shape[0]):
        _adam(w2[c], h2, da2[c], m_w2[c], v_w2[c], hp)
    _adam(b2, da2, one, m_b2, v_b2, hp)


@_njit(nogil=True)  # independent runs train side by side in threads (book.rows_over_seeds)
def _train_chunk(x, labels, first, last, params, adam_m, adam_v, seen, codes, hyper, losses,
                 record_every):
    """Run steps first..last-1 (sample = step mod N) in place; return -1, or the step whose loss
    was not finite (its update is not applied)."""
    w1t, b1, ln_w, ln_b, w2, b2 = params
    hidden_kind, out_kind, use_ln, loss_kind, use_adam = codes
    lr, slope, ln_eps, beta1, beta2, eps = hyper  # float64, cast to b1's precision below
    slope_, ln_eps_, neg_lr = _as(slope, b1), _as(ln_eps, b1), _as(-lr, b1)
    idx = np.empty(w1t.shape[0], np.int64)  # the lit pixels of the current image
    a1, h1 = np.empty_like(b1), np.empty_like(b1)  # (H,) hidden layer before/after activation
    xhat, h2 = np.empty_like(b1), np.empty_like(b1)  # (H,) normalised; LayerNorm's output
    dh2, da1, g_ln_w = np.empty_like(b1), np.empty_like(b1), np.empty_like(b1)
    a2, o, da2 = np.empty_like(b2), np.empty_like(b2), np.empty_like(b2)  # (C,)
    acc = np.empty(16, b1.dtype)
    rstd = _as(1.0, b1)
    for step in range(first, last):
        i = step % x.shape[0]
        xi = x[i]
        # forward: (D,) → (H,) → (C,)
        nnz = _lit_pixels(xi, idx)
        _first_layer(w1t, b1, xi, idx, nnz, a1)
        _activate(a1, h1, hidden_kind, slope_)
        if use_ln:
            rstd = _layer_norm(h1, ln_w, ln_b, ln_eps_, xhat, h2)
        else:
            h2[:] = h1
        for c in range(w2.shape[0]):
            a2[c] = _dot(w2[c], h2, acc) + b2[c]
        _activate(a2, o, out_kind, slope_)
        loss = _loss_and_grad(o, labels[i], loss_kind, da2)  # da2 holds d loss / d o for now
        if not np.isfinite(loss):
            return step
        if (step + 1) % record_every == 0:
            losses[(step + 1) // record_every - 1] = loss
        # backward: d o → d a2 → d h2 → d h1 → d a1 (weight gradients are outer products)
        _activation_backward(a2, o, da2, out_kind, slope_)  # in place: now d loss / d a2
        dh2[:] = 0
        for c in range(w2.shape[0]):
            for j in range(dh2.size):
                dh2[j] += w2[c, j] * da2[c]
        if use_ln:
            _layer_norm_backward(dh2, ln_w, xhat, rstd, da1, g_ln_w)
        else:
            da1[:] = dh2
        _activation_backward(a1, h1, da1, hidden_kind, slope_)  # in place: d h1 → d a1
        if use_adam:
            t = step + 1
            hp = (_as(-(lr / (1.0 - beta1**t)), b1),  # bias corrections in float64, as torch
                  _as(math.sqrt(1.0 - beta2**t), b1),
                  _as(1.0 - beta1, b1), _as(beta2, b1), _as(1.0 - beta2, b1), _as(eps, b1))
            _adam_update(params, adam_m, adam_v, seen, xi, idx, nnz, da1, g_ln_w, dh2, h2, da2,
                         hp, use_ln)
        else:
            _sgd_update(params, xi, idx, nnz, da1, g_ln_w, dh2, h2, da2, neg_lr, use_ln)
    return -1


@contextlib.contextmanager
def _column_major(weight: torch.Tensor) -> Iterator[np.ndarray]:
    """Make weight (H, D) the transposed view of a (D, H) array while the kernel runs; yield it."""
    w_t = np.ascontiguousarray(weight.detach().numpy().T)  # (D, H)
    weight.data = torch.from_numpy(w_t).T  # (H, D) view sharing memory with w_t
    try:
        yield w_t
    finally:
        weight.data = weight.data.contiguous()  # the usual layout again for everyone else


def _numpy(t: torch.Tensor | None, dtype) -> np.ndarray:
    """The array behind a parameter (shares memory), or an empty one standing for 'absent'."""
    return np.zeros(0, dtype) if t is None else t.detach().numpy()


def train_numba(model: MLP, x: torch.Tensor, labels: torch.Tensor, rule: StepRule, steps: int,
                record_every: int, progress: Callable[[int], None] | None) -> torch.Tensor:
    """Train `model` in place for `steps` steps with the kernels; return the recorded losses."""
    lin1, norm, lin2 = layers(model)
    dtype = lin1.weight.dtype
    if dtype not in (torch.float32, torch.float64) or x.dtype != dtype:
        raise ValueError(f"the numba engine needs float32 (or float64) weights and inputs of the "
                         f"same type; got {dtype} and {x.dtype}. Use model.float(), x.float()")
    x_np = np.ascontiguousarray(x.detach().numpy())
    y_np = np.ascontiguousarray(labels.numpy())
    losses = np.zeros(steps // record_every, x_np.dtype)
    codes = rule.codes()
    hyper = (float(rule.lr), float(rule.negative_slope), float(rule.ln_eps),
             ADAM_BETAS[0], ADAM_BETAS[1], ADAM_EPS)
    with _column_major(lin1.weight) as w1t:
        ln_w, ln_b = (norm.weight, norm.bias) if norm is not None else (None, None)
        params = (w1t, _numpy(lin1.bias, w1t.dtype), _numpy(ln_w, w1t.dtype),
                  _numpy(ln_b, w1t.dtype), _numpy(lin2.weight, w1t.dtype),
                  _numpy(lin2.bias, w1t.dtype))
        adam = rule.optimizer == "adam"
        adam_m = tuple(np.zeros(p.shape if adam else (0,) * p.ndim, p.dtype) for p in params)
        adam_v = tuple(np.zeros_like(m) for m in adam_m)
        seen = np.zeros(w1t.shape[0], np.bool_)  # pixels lit at least once so far
        for first in range(0, steps, CHUNK_STEPS):
            last = min(first + CHUNK_STEPS, steps)
            bad = _train_chunk(x_np, y_np, first, last, params, adam_m, adam_v, seen, codes,
                               hyper, losses, record_every)
            if bad >= 0:
                raise lr_too_high(bad + 1, rule.lr)
            if progress is not None:
                progress(last)
    return torch.from_numpy(losses)


def compile_kernels(dtype: torch.dtype = torch.float32) -> None:
    """Compile the kernels for `dtype` now (or load them from numba's cache), e.g. before timing."""
    model = MLP(sizes=(4, 3, 2)).to(dtype)
    x = torch.tensor([[0.0, 0.5, 0.0, 1.0]], dtype=dtype)
    rule = StepRule(optimizer="adam", lr=1e-3)
    train_numba(model, x, torch.tensor([1]), rule, steps=10, record_every=10, progress=None)
