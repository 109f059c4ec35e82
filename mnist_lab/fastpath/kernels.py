"""The numba engine's building blocks: one sample's forward, backward and update, in place.

Each function works on 1-d NumPy arrays and is compiled by numba (`_njit`); `numba_engine.py`
chains them into a training step. They follow torch's formulas and rounding order, so that the
weights after 1,000 steps agree with autograd's to 1e-5 in float32 (tests/test_fastpath.py).
MNIST images are ~80% black pixels, and a black pixel (x_k = 0) adds nothing to W1·x and gets a
zero gradient, so the first layer visits only the lit pixels: the same arithmetic minus the
additions of exact zeros. W1 is used transposed, W1ᵀ (D, H), so that pixel k's weights are one
contiguous row.
"""

from __future__ import annotations

import numba
import numba.extending
import numpy as np

from mnist_lab.fastpath.rule import BCE, CE, IDENTITY, MSE, SIGMOID


def _njit(fn=None, *, nogil: bool = False):
    """Compile with numba. cache=True pays the compile once per machine; fastmath stays off so
    results follow IEEE rules as torch's do; error_model="numpy" lets x / 0 give inf like torch
    (numba's default raises, and that check stops the loops vectorising). nogil=True lets the
    compiled function run without Python's lock, so that threads can run it side by side."""
    if fn is None:  # used as @_njit(nogil=True)
        return lambda f: _njit(f, nogil=nogil)
    return numba.njit(cache=True, error_model="numpy", nogil=nogil)(fn)


def _as(value, like):
    """`value` as a scalar of the float type of array `like`, so kernels work in float32 or 64."""
    return like.dtype.type(value)


@numba.extending.overload(_as)
def _as_compiled(value, like):
    float_type = like.dtype  # a numba type; calling it converts

    def impl(value, like):
        return float_type(value)

    return impl


@_njit
def _lit_pixels(x, idx):
    """Write the indices of the non-zero entries of x (D,) into idx; return how many."""
    n = 0
    for k in range(x.size):
        idx[n] = k  # branch-free: the slot is kept only when x[k] != 0
        n += x[k] != 0
    return n


@_njit
def _first_layer(w1t, b1, x, idx, nnz, a1):
    """a1 = W1 x + b1 over the lit pixels only; W1ᵀ (D, H) holds pixel k's H weights in row k."""
    a1[:] = b1
    for t in range(nnz):
        k = idx[t]
        xk = x[k]
        row = w1t[k]
        for j in range(a1.size):
            a1[j] += row[j] * xk


@_njit
def _dot(w, h, acc):
    """w · h with 16 partial sums (acc is scratch), so the loop vectorises; fixed order."""
    acc[:] = 0
    n16 = h.size - h.size % 16
    for j in range(0, n16, 16):
        for u in range(16):
            acc[u] += w[j + u] * h[j + u]
    for j in range(n16, h.size):
        acc[0] += w[j] * h[j]
    total = acc[0]
    for u in range(1, 16):
        total += acc[u]
    return total


@_njit
def _activate(a, out, kind, slope):
    """out = activation(a), elementwise, in a's precision as torch computes it."""
    one = _as(1.0, a)
    if kind == SIGMOID:
        for j in range(a.size):
            out[j] = one / (one + np.exp(-a[j]))
    elif kind == IDENTITY:
        out[:] = a
    else:
        for j in range(a.size):
            out[j] = a[j] if a[j] > 0 else a[j] * slope


@_njit
def _activation_backward(a, out, grad, kind, slope):
    """grad *= activation'(a), in place; the sigmoid's uses its output: (1 - out) * out."""
    one = _as(1.0, a)
    if kind == SIGMOID:
        for j in range(grad.size):
            grad[j] = grad[j] * (one - out[j]) * out[j]
    elif kind == IDENTITY:
        return  # the derivative is 1
    else:
        for j in range(grad.size):
            if not a[j] > 0:
                grad[j] = grad[j] * slope


@_njit
def _loss_and_grad(o, label, kind, grad):
    """Loss of one sample and d loss / d o into grad, with torch's formulas. MSE and BCE are
    means over the C outputs (BCE clamps log at -100 and the denominator o(1 - o) at 1e-12);
    CE is softmax + cross-entropy on the logits o."""
    if kind == CE:
        return _cross_entropy_and_grad(o, label, grad)
    one, zero, n = _as(1.0, o), _as(0.0, o), _as(o.size, o)
    total = zero
    if kind == MSE:
        norm = _as(2.0 / o.size, o)
        for i in range(o.size):
            d = o[i] - (one if i == label else zero)
            total += d * d
            grad[i] = norm * d
    elif kind == BCE:
        floor, tiny = _as(-100.0, o), _as(1e-12, o)
        for i in range(o.size):
            t = one if i == label else zero
            log_o, log_1mo = np.log(o[i]), np.log1p(-o[i])
            if log_o < floor:  # written as comparisons so that a NaN stays NaN
                log_o = floor
            if log_1mo < floor:
                log_1mo = floor
            total += (t - one) * log_1mo - t * log_o
            denom = (one - o[i]) * o[i]
            if denom < tiny:
                denom = tiny
            grad[i] = (o[i] - t) / denom / n
    return total / n


@_njit
def _cross_entropy_and_grad(o, label, grad):
    """-log softmax(o)[label] as F.cross_entropy computes it (shifted by the max, so no
    overflow); grad = softmax(o) - one_hot(label). A NaN or inf in o gives a NaN loss."""
    zero = _as(0.0, o)
    top = o[0]
    for i in range(1, o.size):
        if o[i] > top:
            top = o[i]
    total = zero
    for i in range(o.size):
        total += np.exp(o[i] - top)
    log_total = np.log(total)
    for i in range(o.size):
        grad[i] = np.exp(o[i] - top - log_total)  # softmax, from log_softmax as torch does
    grad[label] -= _as(1.0, o)
    return -(o[label] - top - log_total)


@_njit
def _layer_norm(h, weight, bias, eps, xhat, out):
    """out = (h - mean) / sqrt(var + eps) * weight + bias over the H features; returns 1/std."""
    n = _as(h.size, h)
    mean = _as(0.0, h)
    for j in range(h.size):
        mean += h[j]
    mean /= n
    var = _as(0.0, h)
    for j in range(h.size):
        d = h[j] - mean
        var += d * d
    var /= n
    rstd = _as(1.0, h) / np.sqrt(var + eps)
    for j in range(h.size):
        xhat[j] = (h[j] - mean) * rstd
        out[j] = xhat[j] * weight[j] + bias[j]
    return rstd


@_njit
def _layer_norm_backward(dout, weight, xhat, rstd, dh, grad_weight):
    """dh = d loss / d h through LayerNorm; grad_weight = dout * xhat (the bias's is dout)."""
    n = _as(dout.size, dout)
    s1, s2 = _as(0.0, dout), _as(0.0, dout)
    for j in range(dout.size):
        g = dout[j] * weight[j]
        s1 += g
        s2 += g * xhat[j]
        grad_weight[j] = dout[j] * xhat[j]
    m1, m2 = s1 / n, s2 / n
    for j in range(dout.size):
        dh[j] = rstd * (dout[j] * weight[j] - m1 - xhat[j] * m2)


@_njit
def _sgd(p, grad, scale, neg_lr):
    """p += -lr * (grad * scale) as torch.optim.SGD; grad * scale is a row of an outer product."""
    for i in range(p.size):
        p[i] += neg_lr * (grad[i] * scale)


@_njit
def _adam(p, grad, scale, m, v, hp):
    """torch.optim.Adam on one row, in torch's rounding order; the gradient is grad * scale.

    m.lerp_(g, 1 - β1); v = v·β2 + (1 - β2)·g²; p += -step_size · m / (sqrt(v) / bc2_sqrt + eps)
    with hp = (-step_size, bc2_sqrt, 1 - β1, β2, 1 - β2, eps) in p's precision.
    """
    step_size, bc2_sqrt, b1c, beta2, b2c, eps = hp
    if bc2_sqrt == 1:  # true from step ~16,600 on in float32: x / 1 == x, so skip the division
        for i in range(p.size):
            g = grad[i] * scale
            m[i] += b1c * (g - m[i])
            v[i] = v[i] * beta2 + b2c * g * g
            p[i] += step_size * m[i] / (np.sqrt(v[i]) + eps)
    else:
        for i in range(p.size):
            g = grad[i] * scale
            m[i] += b1c * (g - m[i])
            v[i] = v[i] * beta2 + b2c * g * g
            p[i] += step_size * m[i] / (np.sqrt(v[i]) / bc2_sqrt + eps)
