"""Sanity checks before a long run: the training recipe of lesson 08.

- `expected_initial_loss` / `initial_loss`: an untrained network should score a known loss
  (log C for softmax over C classes); a very different value means a bug or a bad init.
- `numerical_gradient` / `gradient_check`: central finite differences against autograd.
- `lr_range_test` / `suggest_lr`: raise the learning rate exponentially over a few hundred
  mini-batch steps and pick the rate where the loss falls fastest.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from mnist_lab.data import minibatches
from mnist_lab.device import seed_everything
from mnist_lab.losses import LOSSES, make_loss
from mnist_lab.optim import OptimConfig, make_optimizer, set_lr
from mnist_lab.train_checks import num_outputs

# ---- 1 · the initial loss -------------------------------------------------------------------


def expected_initial_loss(loss: str, num_classes: int = 10) -> float:
    """The loss an untrained network should score, before any step (lesson 08).

    cross_entropy: softmax of near-equal logits gives 1/C to every class, so −log(1/C) = log C.
    mse / bce: sigmoid outputs start near 0.5, so each output costs (0.5 − t)² = 0.25 under MSE
    and −log 0.5 = log 2 under BCE, whatever the number of classes.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    return {"cross_entropy": math.log(num_classes), "mse": 0.25, "bce": math.log(2.0)}[loss]


@torch.no_grad()
def initial_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str) -> float:
    """The mean `loss` of `model` on (x, y) as it is now, in eval mode (lesson 08)."""
    was_training = model.training
    model.eval()
    try:
        out = model(x)  # (N, C)
        return make_loss(loss, num_classes=out.shape[1])(out, y).item()
    finally:
        model.train(was_training)


# ---- 2 · gradient checking ------------------------------------------------------------------


def numerical_gradient(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """∂f/∂x by central differences (f(x + eps·eᵢ) − f(x − eps·eᵢ)) / 2·eps (lesson 08).

    f maps a tensor shaped like x to a scalar. One pair of calls per entry of x, so keep x small.
    Use float64: in float32 the round-off of f swamps the difference for any eps.
    """
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    x = x.detach().clone()
    grad = torch.zeros_like(x)
    flat, flat_grad = x.view(-1), grad.view(-1)  # views: writing to flat moves x
    with torch.no_grad():
        for i in range(flat.numel()):
            old = flat[i].item()
            flat[i] = old + eps
            up = float(f(x))
            flat[i] = old - eps
            down = float(f(x))
            flat[i] = old
            flat_grad[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a − b| / max(|a| + |b|, 1e-12), entry by entry: 0 for equal tensors (lesson 08)."""
    a, b = a.detach().cpu().double(), b.detach().cpu().double()  # MPS has no float64
    return ((a - b).abs() / (a.abs() + b.abs()).clamp(min=1e-12)).max().item()


def gradient_check(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6
) -> float:
    """The relative error between autograd's gradient of f at x and finite differences (lesson 08).

    In float64, about 1e-7 or less means the backward pass is right; 1e-2 or more means a bug.
    """
    leaf = x.detach().clone().requires_grad_(True)
    (analytic,) = torch.autograd.grad(f(leaf), leaf)
    return relative_error(analytic, numerical_gradient(f, x, eps))


# ---- 3 · the learning-rate range test -------------------------------------------------------


@dataclass(frozen=True)
class RangeTestConfig:
    """An LR range test: `steps` mini-batches with the LR rising from lr_min to lr_max."""

    lr_min: float = 1e-6
    lr_max: float = 1.0
    steps: int = 200
    batch_size: int = 64
    loss: str = "cross_entropy"
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(weight_decay=1e-4))
    stop_factor: float = 4.0  # stop once the loss exceeds this × the best loss so far
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.lr_min < self.lr_max:
            raise ValueError(f"need 0 < lr_min < lr_max, got {self.lr_min}, {self.lr_max}")
        if self.steps < 10 or self.batch_size < 1:
            raise ValueError("steps must be >= 10 and batch_size >= 1")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {LOSSES}")
        if not self.stop_factor > 1:
            raise ValueError(f"stop_factor must be > 1, got {self.stop_factor}")


@dataclass
class RangeTestResult:
    """The learning rate and the mini-batch loss of every step taken (lesson 08)."""

    lrs: list[float]
    losses: list[float]
    stopped_early: bool  # the loss blew up (or became NaN) before lr_max


def lr_at_step(cfg: RangeTestConfig, step: int) -> float:
    """The LR of step `step` (from 0): exponential from lr_min to lr_max over cfg.steps."""
    return cfg.lr_min * (cfg.lr_max / cfg.lr_min) ** (step / (cfg.steps - 1))


def lr_range_test(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: RangeTestConfig | None = None
) -> RangeTestResult:
    """Train `model` in place with an exponentially rising LR, recording the loss (lesson 08).

    x: float (N, D) on the model's device, y: int64 (N,). Stops early once the loss passes
    cfg.stop_factor × its best value or stops being finite. Use a fresh model afterwards: this
    one has seen huge learning rates.
    """
    cfg = cfg or RangeTestConfig()
    if len(x) != len(y) or len(x) < cfg.batch_size:
        raise ValueError(f"need as many labels as inputs and >= batch_size of them, got "
                         f"{len(x)} inputs, {len(y)} labels, batch_size {cfg.batch_size}")
    generator = seed_everything(cfg.seed)
    optimizer = make_optimizer(model.parameters(), cfg.optim)
    loss_fn = make_loss(cfg.loss, num_classes=num_outputs(model, x))
    model.train()
    lrs: list[float] = []
    losses: list[float] = []
    batches = iter(())
    best = math.inf
    for step in range(cfg.steps):
        idx = next(batches, None)
        if idx is None or len(idx) < cfg.batch_size:  # a fresh epoch; drop a short last batch
            batches = minibatches(len(x), cfg.batch_size, generator=generator, device=x.device)
            idx = next(batches)
        lr = lr_at_step(cfg, step)
        set_lr(optimizer, lr)
        loss = loss_fn(model(x[idx]), y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        value = loss.item()  # one sync per step: a range test is short
        lrs.append(lr)
        losses.append(value)
        best = min(best, value)
        if not math.isfinite(value) or value > cfg.stop_factor * best:
            return RangeTestResult(lrs, losses, stopped_early=True)
    return RangeTestResult(lrs, losses, stopped_early=False)


def smooth_losses(losses: list[float], beta: float = 0.9) -> np.ndarray:
    """Exponential moving average with bias correction: the trend under mini-batch noise."""
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    out, avg = np.empty(len(losses)), 0.0
    for i, value in enumerate(losses):
        avg = beta * avg + (1 - beta) * value
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def suggest_lr(result: RangeTestResult, beta: float = 0.9) -> float:
    """The LR where the smoothed loss falls fastest per step of log(LR), before its minimum.

    The minimum itself is too late: there the LR is already close to blowing up (lesson 08).
    """
    finite = [i for i, v in enumerate(result.losses) if math.isfinite(v)]
    if len(finite) < 10:
        raise ValueError("the range test has fewer than 10 finite losses: lower lr_min")
    n = finite[-1] + 1  # stop before the first non-finite loss
    smooth = smooth_losses(result.losses[:n], beta)
    lowest = int(np.argmin(smooth))
    if lowest < 2:
        raise ValueError("the loss never fell during the range test: lower lr_min or add steps")
    slope = np.gradient(smooth[: lowest + 1], np.log(result.lrs[: lowest + 1]))
    return float(result.lrs[int(np.argmin(slope))])
