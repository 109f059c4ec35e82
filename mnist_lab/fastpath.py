"""Fast training with ONE sample per optimiser step, the book's protocol (lesson 01, part 7).

The book updates the weights after every single image: 180,000 tiny steps for 3 epochs. In eager
PyTorch each step is ~15 small ops at ~5 µs of dispatch each, plus autograd's bookkeeping, so the
arithmetic (a 200×784 matrix-vector product) is lost in overhead. Two engines here compute the
same steps as the plain autograd loop `mnist_lab.book.train_autograd`, for the 784→H→C family:
hidden activation sigmoid | leaky_relu, optional LayerNorm after it, output activation
sigmoid | leaky_relu, loss mse | bce, optimiser sgd | adam.

- "numba" (CPU): compiled kernels that run a whole chunk of steps without returning to Python.
  MNIST images are ~80% black pixels, and a black pixel (x_k = 0) adds nothing to W1·x and gets a
  zero gradient, so the kernels visit only the lit pixels. That is the same arithmetic minus the
  additions of exact zeros: the result differs from the dense one only in the order of the float
  sums. To make "skip pixel k" skip contiguous memory, W1 (H, D) is stored column-major while the
  kernel runs: the Linear layer's weight becomes the transposed view of a (D, H) array that the
  kernel updates in place. Afterwards the weight is made contiguous again.
- "torch" (any device): forward, backward and update written out with plain tensor ops and no
  autograd; used on CUDA/MPS, or when numba is not installed.

Both are checked against autograd in tests/test_fastpath.py: after 1,000 steps the weights agree
to 1e-5 in float32 and to 1e-10 in float64 (the kernels run in either precision).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mnist_lab.models import MLP

try:
    import numba
    import numba.extending
except ImportError:  # the torch engine still works without it
    numba = None

ENGINES = ("auto", "numba", "torch")
LOSSES = ("mse", "bce")
OPTIMIZERS = ("sgd", "adam")
FAST_ACTIVATIONS = ("sigmoid", "leaky_relu")
ADAM_BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults
ADAM_EPS = 1e-8
CHUNK_STEPS = 10_000  # steps per kernel call; progress is reported between chunks

# Codes the kernels branch on (numba compiles one kernel for every configuration).
SIGMOID, LEAKY_RELU = 0, 1
MSE, BCE = 0, 1


class NonFiniteLossError(FloatingPointError):
    """Training stopped because the loss became NaN or infinite (lesson 01)."""

    def __init__(self, step: int, lr: float, exact: bool = True) -> None:
        self.step = step  # 1-based: step 1 is the first update
        where = f"at step {step:,}" if exact else f"by step {step:,} (not checked every step)"
        super().__init__(
            f"The loss became NaN or infinite {where}: training diverged. The usual cause is a "
            f"learning rate that is too high (lr={lr:g}); try one 3-10x smaller."
        )


@dataclass(frozen=True)
class StepRule:
    """What one training step does: the network's ingredients, loss and optimiser (lesson 01)."""

    hidden_activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    layer_norm: bool = False
    negative_slope: float = 0.02
    ln_eps: float = 1e-5
    loss: str = "mse"
    optimizer: str = "sgd"
    lr: float = 0.01

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("hidden_activation", self.hidden_activation, FAST_ACTIVATIONS),
            ("output_activation", self.output_activation, FAST_ACTIVATIONS),
            ("loss", self.loss, LOSSES),
            ("optimizer", self.optimizer, OPTIMIZERS),
        ):
            if value not in allowed:
                raise ValueError(f"the fast path supports {name} in {allowed}, got {value!r}")
        if self.loss == "bce" and self.output_activation != "sigmoid":
            raise ValueError("BCE needs outputs in [0, 1]: use output_activation='sigmoid'")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}")


def step_rule(model: MLP, loss: str, optimizer: str, lr: float) -> StepRule:
    """The StepRule of an MLP 784→H→C, or a ValueError saying why the fast path cannot train it."""
    if not isinstance(model, MLP):
        raise ValueError(f"the fast path trains mnist_lab.models.MLP, got {type(model).__name__}")
    cfg = model.cfg
    if len(cfg.sizes) != 3:
        raise ValueError(f"the fast path needs exactly one hidden layer, got sizes={cfg.sizes}")
    if cfg.norm not in ("none", "layer"):
        raise ValueError(f"the fast path supports norm 'none' or 'layer', got {cfg.norm!r}")
    if cfg.dropout:
        raise ValueError("the fast path does not do dropout; use the autograd engine")
    eps = model.hidden[0].norm.eps if cfg.norm == "layer" else 1e-5
    return StepRule(cfg.hidden_activation, cfg.output_activation, cfg.norm == "layer",
                    cfg.negative_slope, eps, loss, optimizer, lr)


def numba_available() -> bool:
    """True when numba is installed, so the compiled CPU engine can run."""
    return numba is not None


def resolve_engine(engine: str, device: torch.device | str) -> str:
    """'auto' → 'numba' on the CPU when numba is installed, else 'torch'; checks the others."""
    device = torch.device(device)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "auto":
        return "numba" if numba is not None and device.type == "cpu" else "torch"
    if engine == "numba" and numba is None:
        raise RuntimeError("engine='numba' needs numba: `pip install numba`, or use engine='torch'")
    if engine == "numba" and device.type != "cpu":
        raise ValueError(f"engine='numba' runs on the CPU; got device {device}. Use engine='torch'")
    return engine


@contextlib.contextmanager
def flush_denormals(enabled: bool = True) -> Iterator[bool]:
    """Flush denormal floats to zero on this thread inside the block; yields whether supported.

    torch.set_flush_denormal sets the FTZ/DAZ bits of the calling thread's MXCSR register, and
    numba code called from this thread runs under them too (numba's own worker threads would
    not: the kernels are single-threaded). Adam needs it. While a pixel stays dark its gradient is
    0, so its first moment shrinks, m ← m + 0.1·(0 − m), until 0.1·m is too small to change m;
    without flushing that happens deep among the denormals (below 1.2e-38), and from then on
    every Adam step on that row computes with denormals, which x86 CPUs handle on a slow path.
    With FTZ/DAZ the tiny products become 0 and m stops at ~1e-37, a normal number; no float32
    weight can tell the difference. Measured on the course's 2-core AMD EPYC: such a row's update
    takes 2x as long unflushed; a whole Adam row of the book's table trains ~10% faster flushed
    (~25% in its third epoch, as more rows stall). The previous setting is restored on exit.
    """
    was = _denormals_flushed()
    supported = torch.set_flush_denormal(enabled)
    try:
        yield supported
    finally:
        torch.set_flush_denormal(was)


def _denormals_flushed() -> bool:
    tiny = np.array([1e-39], dtype=np.float32)  # a denormal: below the smallest normal, 1.2e-38
    return bool(tiny[0] * np.float32(1.0) == 0.0)  # with FTZ/DAZ on it reads (or rounds) as 0


def train_per_sample(
    model: MLP,
    x: torch.Tensor,
    labels: torch.Tensor,
    *,
    loss: str = "mse",
    optimizer: str = "sgd",
    lr: float = 0.01,
    epochs: int | None = None,
    steps: int | None = None,
    engine: str = "auto",
    record_every: int = 10,
    flush_denormal: bool = True,
    progress: Callable[[int], None] | None = None,
) -> torch.Tensor:
    """Train `model` in place, one sample per step in file order; return the recorded losses.

    x: float (N, D) inputs on the model's device; labels: int64 (N,), targets are one-hot.
    Runs `steps` steps (default `epochs` × N, one epoch if neither is given); sample i of step s
    is s mod N. The loss of the step's sample (before its update) is recorded every
    `record_every` steps, as in the book. The optimiser starts fresh on each call.
    `progress(steps_done)` is called between chunks. Raises NonFiniteLossError on NaN/inf.
    (lesson 01)
    """
    rule = step_rule(model, loss, optimizer, lr)
    steps = _count_steps(len(x), epochs, steps)
    _check_data(model, x, labels)
    if record_every < 1:
        raise ValueError(f"record_every must be at least 1, got {record_every}")
    device = next(model.parameters()).device
    engine = resolve_engine(engine, device)
    with flush_denormals(flush_denormal):
        if engine == "numba":
            return _train_numba(model, x, labels, rule, steps, record_every, progress)
        return _train_torch(model, x, labels, rule, steps, record_every, progress)


def _count_steps(n: int, epochs: int | None, steps: int | None) -> int:
    if epochs is not None and steps is not None:
        raise ValueError("give epochs or steps, not both")
    total = steps if steps is not None else n * (1 if epochs is None else epochs)
    if total < 0:
        raise ValueError(f"the number of steps must not be negative, got {total}")
    return total


def _check_data(model: MLP, x: torch.Tensor, labels: torch.Tensor) -> None:
    n_in, n_out = model.cfg.sizes[0], model.cfg.sizes[-1]
    if x.ndim != 2 or x.shape[1] != n_in or not x.is_floating_point():
        raise ValueError(f"x must be float (N, {n_in}); got {x.dtype} {tuple(x.shape)}. "
                         "Flatten and scale the images first (mnist_lab.data.scale)")
    if labels.shape != (len(x),) or labels.dtype != torch.int64:
        raise ValueError(f"labels must be int64 ({len(x)},); got {labels.dtype} "
                         f"{tuple(labels.shape)}")
    if len(x) == 0:
        raise ValueError("x is empty: there are no samples to train on")
    if labels.min() < 0 or labels.max() >= n_out:
        raise ValueError(f"labels must lie in [0, {n_out}); got [{labels.min()}, {labels.max()}]")
    device = next(model.parameters()).device
    if x.device != device or labels.device != device:
        raise ValueError(f"model is on {device} but x/labels are on {x.device}/{labels.device}")


def _layers(model: MLP):
    """(first Linear, LayerNorm or None, output Linear) of a one-hidden-layer MLP."""
    block = model.hidden[0]
    norm = block.norm if model.cfg.norm == "layer" else None
    return block.linear, norm, model.out


# --------------------------------------------------------------------------------------------
# The numba engine
# --------------------------------------------------------------------------------------------


def _njit(fn):
    """Compile with numba if installed. cache=True pays the compile once per machine; fastmath
    stays off so results follow IEEE rules as torch's do; error_model="numpy" lets x / 0 give
    inf like torch (numba's default raises, and that check stops the loops vectorising)."""
    return numba.njit(cache=True, error_model="numpy")(fn) if numba is not None else fn


def _as(value, like):
    """`value` as a scalar of the float type of array `like`, so kernels work in float32 or 64."""
    return like.dtype.type(value)


if numba is not None:

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
    else:
        for j in range(grad.size):
            if not a[j] > 0:
                grad[j] = grad[j] * slope


@_njit
def _loss_and_grad(o, label, kind, grad):
    """Loss of one sample, mean over the C outputs, and d loss / d o into grad; torch's formulas
    (BCE clamps log at -100 and the denominator o(1 - o) at 1e-12)."""
    one, zero, n = _as(1.0, o), _as(0.0, o), _as(o.size, o)
    total = zero
    if kind == MSE:
        norm = _as(2.0 / o.size, o)
        for i in range(o.size):
            d = o[i] - (one if i == label else zero)
            total += d * d
            grad[i] = norm * d
    else:
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


@_njit
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


def _train_numba(model, x, labels, rule, steps, record_every, progress) -> torch.Tensor:
    lin1, norm, lin2 = _layers(model)
    dtype = lin1.weight.dtype
    if dtype not in (torch.float32, torch.float64) or x.dtype != dtype:
        raise ValueError(f"the numba engine needs float32 (or float64) weights and inputs of the "
                         f"same type; got {dtype} and {x.dtype}. Use model.float(), x.float()")
    x_np = np.ascontiguousarray(x.detach().numpy())
    y_np = np.ascontiguousarray(labels.numpy())
    losses = np.zeros(steps // record_every, x_np.dtype)
    codes = (FAST_ACTIVATIONS.index(rule.hidden_activation),
             FAST_ACTIVATIONS.index(rule.output_activation),
             int(rule.layer_norm), LOSSES.index(rule.loss), OPTIMIZERS.index(rule.optimizer))
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
                raise NonFiniteLossError(bad + 1, rule.lr)
            if progress is not None:
                progress(last)
    return torch.from_numpy(losses)


def compile_kernels(dtype: torch.dtype = torch.float32) -> None:
    """Compile the numba kernels for `dtype` now (or load them from numba's cache)."""
    if numba is None:
        return
    model = MLP(sizes=(4, 3, 2)).to(dtype)
    x = torch.tensor([[0.0, 0.5, 0.0, 1.0]], dtype=dtype)
    train_per_sample(model, x, torch.tensor([1]), optimizer="adam", lr=1e-3, steps=10,
                     engine="numba")


# --------------------------------------------------------------------------------------------
# The torch engine: the same step written with plain tensor ops (no autograd), any device
# --------------------------------------------------------------------------------------------


def _act(a: torch.Tensor, kind: str, slope: float) -> torch.Tensor:
    return torch.sigmoid(a) if kind == "sigmoid" else F.leaky_relu(a, slope)


def _act_backward(a: torch.Tensor, out: torch.Tensor, grad: torch.Tensor, kind: str,
                  slope: float) -> torch.Tensor:
    """grad · activation'(a); the sigmoid's derivative is out · (1 - out)."""
    if kind == "sigmoid":
        return grad * (1 - out) * out
    return torch.where(a > 0, grad, grad * slope)


def _loss_value(o: torch.Tensor, t: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "mse":
        return (o - t).square().mean()
    return F.binary_cross_entropy(o, t)


def _loss_grad(o: torch.Tensor, t: torch.Tensor, kind: str) -> torch.Tensor:
    """d loss / d o of the mean over the C outputs (torch's BCE clamps o(1 - o) at 1e-12)."""
    if kind == "mse":
        return (2.0 / o.numel()) * (o - t)
    return (o - t) / ((1 - o) * o).clamp_min(1e-12) / o.numel()


class _TorchNet:
    """The MLP's parameters with forward, backward and update written out by hand, for one
    sample: x (D,) → a1, h1 (H,) → [LayerNorm] h2 (H,) → a2, o (C,)."""

    def __init__(self, model: MLP, rule: StepRule) -> None:
        lin1, norm, lin2 = _layers(model)
        self.rule, self.has_ln = rule, norm is not None
        self.w1, self.b1, self.w2, self.b2 = (
            p.detach() for p in (lin1.weight, lin1.bias, lin2.weight, lin2.bias))
        self.ln_w, self.ln_b = (norm.weight.detach(), norm.bias.detach()) if norm else (None, None)
        self.params = [p for p in (self.w1, self.b1, self.ln_w, self.ln_b, self.w2, self.b2)
                       if p is not None]  # in the order of model.parameters()
        self.adam = _TorchAdam(self.params, rule.lr) if rule.optimizer == "adam" else None

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        r = self.rule
        a1 = torch.addmv(self.b1, self.w1, x)  # (H,)
        h1 = _act(a1, r.hidden_activation, r.negative_slope)
        cache = {"x": x, "a1": a1, "h1": h1, "h2": h1}
        if self.has_ln:  # torch's own LayerNorm forward (same rounding), keeping mean and 1/std
            h2, mean, rstd = torch.native_layer_norm(h1, h1.shape, self.ln_w, self.ln_b, r.ln_eps)
            cache |= {"h2": h2, "rstd": rstd, "xhat": (h1 - mean) * rstd}
        a2 = torch.addmv(self.b2, self.w2, cache["h2"])  # (C,)
        return cache | {"a2": a2, "o": _act(a2, r.output_activation, r.negative_slope)}

    def backward(self, c: dict[str, torch.Tensor], t: torch.Tensor) -> list[torch.Tensor]:
        """Gradients of the loss for target t (C,), in the order of self.params."""
        r = self.rule
        da2 = _act_backward(c["a2"], c["o"], _loss_grad(c["o"], t, r.loss),
                            r.output_activation, r.negative_slope)  # (C,)
        dh2 = torch.mv(self.w2.T, da2)  # (H,)
        ln_grads = []
        dh1 = dh2
        if self.has_ln:  # LayerNorm: dh1 = (g - mean(g) - xhat·mean(g·xhat)) / std, g = dh2·w
            g, xhat = dh2 * self.ln_w, c["xhat"]
            dh1 = c["rstd"] * (g - g.mean() - xhat * (g * xhat).mean())
            ln_grads = [dh2 * xhat, dh2]
        da1 = _act_backward(c["a1"], c["h1"], dh1, r.hidden_activation, r.negative_slope)
        return [torch.outer(da1, c["x"]), da1, *ln_grads, torch.outer(da2, c["h2"]), da2]

    def update(self, grads: list[torch.Tensor]) -> None:
        if self.adam is not None:
            self.adam.step(grads)
        else:  # SGD: p -= lr * grad
            torch._foreach_add_(self.params, grads, alpha=-self.rule.lr)


def _train_torch(model, x, labels, rule, steps, record_every, progress) -> torch.Tensor:
    net = _TorchNet(model, rule)
    targets = F.one_hot(labels, model.cfg.sizes[-1]).to(x.dtype)  # (N, C)
    losses = torch.zeros(steps // record_every, dtype=x.dtype, device=x.device)
    checked = 0
    with torch.no_grad():
        for step in range(steps):
            i = step % len(x)
            cache = net.forward(x[i])
            if (step + 1) % record_every == 0:  # stays on the device: no sync per step
                losses[(step + 1) // record_every - 1] = _loss_value(cache["o"], targets[i],
                                                                     rule.loss)
            net.update(net.backward(cache, targets[i]))
            if (step + 1) % 1000 == 0 or step + 1 == steps:  # one sync per 1,000 steps
                checked = _check_finite(losses, checked, step + 1, record_every, cache["o"],
                                        rule.lr)
            if progress is not None and ((step + 1) % CHUNK_STEPS == 0 or step + 1 == steps):
                progress(step + 1)
    return losses.cpu()


def _check_finite(losses: torch.Tensor, checked: int, step: int, record_every: int,
                  output: torch.Tensor, lr: float) -> int:
    """Raise NonFiniteLossError if a loss recorded since `checked` or the last output is not
    finite; return how many recorded losses are now checked."""
    stop = step // record_every
    bad = (~torch.isfinite(losses[checked:stop])).nonzero()
    if len(bad):
        raise NonFiniteLossError((checked + int(bad[0]) + 1) * record_every, lr, exact=False)
    if not torch.isfinite(output).all():
        raise NonFiniteLossError(step, lr, exact=False)
    return stop


class _TorchAdam:
    """torch.optim.Adam (defaults, single-tensor semantics) written with foreach tensor ops."""

    def __init__(self, params: list[torch.Tensor], lr: float) -> None:
        self.params, self.lr, self.t = params, lr, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def step(self, grads: list[torch.Tensor]) -> None:
        beta1, beta2 = ADAM_BETAS
        self.t += 1
        step_size = self.lr / (1 - beta1**self.t)
        bc2_sqrt = (1 - beta2**self.t) ** 0.5
        torch._foreach_lerp_(self.m, grads, 1 - beta1)
        torch._foreach_mul_(self.v, beta2)
        torch._foreach_addcmul_(self.v, grads, grads, 1 - beta2)
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_div_(denom, bc2_sqrt)
        torch._foreach_add_(denom, ADAM_EPS)
        torch._foreach_addcdiv_(self.params, self.m, denom, -step_size)
