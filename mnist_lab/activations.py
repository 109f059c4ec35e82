"""Activation functions and their slopes, written out by hand (lessons 01 and 03).

These are reference versions for the exercises: students re-implement them and compare with
these, and the tests compare these with torch. The models use torch's own modules (`nn.Sigmoid`,
`nn.LeakyReLU`, ...), which are faster. Every function works elementwise on a tensor of any shape.
"""

from __future__ import annotations

import torch


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1 / (1 + e^-x), squashing any number into (0, 1) (lesson 01)."""
    return 1.0 / (1.0 + torch.exp(-x))  # exp(-x) = inf for x << 0 gives 1/inf = 0, no NaN


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """d sigmoid / dx = s·(1 − s); at most 0.25, so deep sigmoid nets vanish (lesson 03)."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = 2·sigmoid(2x) − 1: a sigmoid stretched to (−1, 1) and centred on 0 (lesson 03)."""
    # (e^x − e^-x)/(e^x + e^-x) overflows to inf/inf = NaN for |x| > 88; this form does not.
    return 2.0 * sigmoid(2.0 * x) - 1.0


def tanh_grad(x: torch.Tensor) -> torch.Tensor:
    """d tanh / dx = 1 − tanh² (lesson 03)."""
    return 1.0 - tanh(x) ** 2


def relu(x: torch.Tensor) -> torch.Tensor:
    """max(0, x) (lesson 03)."""
    return torch.where(x > 0, x, torch.zeros_like(x))


def relu_grad(x: torch.Tensor) -> torch.Tensor:
    """1 where x > 0, else 0: the 'dead' region passes no gradient (torch also uses 0 at x = 0)."""
    return (x > 0).to(x.dtype)


def leaky_relu(x: torch.Tensor, slope: float = 0.02) -> torch.Tensor:
    """x for x > 0, slope·x otherwise; the book's slope is 0.02 (lesson 03)."""
    return torch.where(x > 0, x, slope * x)


def leaky_relu_grad(x: torch.Tensor, slope: float = 0.02) -> torch.Tensor:
    """1 where x > 0, else `slope`: a small gradient survives where ReLU's dies (lesson 03)."""
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, slope))
