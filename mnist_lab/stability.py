"""Numerical stability: initial weight scales and gradient clipping, written out (lesson 14).

`init_std` gives the standard deviation each scheme of `mnist_lab.models.init_weights` draws
its weights with, so a lesson can reason about variances before building a network.
`clip_grad_norm` is the pure reference for the clipping `fit` does with
`OptimConfig(clip_grad_norm=...)`: it returns new tensors and changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from mnist_lab.device import widest_float
from mnist_lab.models import INITS


def init_std(scheme: str, fan_in: int, fan_out: int, scale: float = 1.0) -> float:
    """The std of a Linear layer's initial weights under `scheme` (lesson 14).

    default: PyTorch's uniform(±1/√fan_in), std 1/√(3·fan_in); normal: `scale` (0.02 is the
    classic "0.02·randn"); scaled: scale/√fan_in; xavier: √(2/(fan_in+fan_out)), which keeps
    the variance of signals and gradients for tanh-like layers; kaiming: √(2/fan_in), the factor
    2 making up for the half of its inputs a ReLU zeroes.
    """
    if scheme not in INITS:
        raise ValueError(f"unknown init {scheme!r}; choose one of {INITS}")
    if fan_in < 1 or fan_out < 1:
        raise ValueError(f"fan_in and fan_out must be >= 1, got {fan_in} and {fan_out}")
    if scheme == "default":
        return 1.0 / math.sqrt(3 * fan_in)
    if scheme == "normal":
        return scale
    if scheme == "scaled":
        return scale / math.sqrt(fan_in)
    if scheme == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    return math.sqrt(2.0 / fan_in)  # kaiming


def global_norm(grads: Sequence[torch.Tensor]) -> torch.Tensor:
    """√(sum of every squared entry of every tensor): the norm of all gradients as one vector."""
    if len(grads) == 0:
        raise ValueError("grads is empty: pass a list with at least one gradient tensor")
    wide = widest_float(grads[0].device)
    return torch.sqrt(sum((g.to(wide) ** 2).sum() for g in grads)).to(grads[0].dtype)


def clip_grad_norm(
    grads: Sequence[torch.Tensor], max_norm: float, eps: float = 1e-6
) -> list[torch.Tensor]:
    """The gradients rescaled so that their global norm is at most `max_norm` (lesson 14).

    Every tensor is multiplied by the same factor, max_norm / (norm + eps), but only when that
    factor is below 1: the direction of the step is kept, only its length is bounded. Same rule
    as torch.nn.utils.clip_grad_norm_, without changing anything in place.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0 (5 to 15 is usual), got {max_norm}")
    factor = torch.clamp(max_norm / (global_norm(grads) + eps), max=1.0)  # 0-d
    return [g * factor.to(g.dtype) for g in grads]
