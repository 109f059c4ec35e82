"""A 784-200-10 network written out by hand: forward, backward, SGD (lesson 07, by hand).

No autograd and no nn.Module: the parameters are four plain tensors, the forward pass keeps what
the backward pass needs, and the backward pass applies the chain rule layer by layer:

    z1 = x W1ᵀ + b1          (B, 200)   hidden pre-activations
    h  = act(z1)             (B, 200)   sigmoid or LeakyReLU
    z2 = h W2ᵀ + b2          (B, 10)    logits
    L  = mean over the batch of −log softmax(z2)[label]

    dz2 = (softmax(z2) − onehot(label)) / B          the softmax-CE gradient, p − y
    dW2 = dz2ᵀ h,   db2 = Σ_batch dz2
    dh  = dz2 W2,   dz1 = dh · act'(z1)
    dW1 = dz1ᵀ x,   db1 = Σ_batch dz1

The weights have nn.Linear's layout, (out, in), so `params_from_mlp` can copy an `MLP`'s weights
and the tests can compare every gradient with autograd's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from mnist_lab.data import minibatches
from mnist_lab.device import get_device, seed_everything
from mnist_lab.losses import cross_entropy

HIDDEN_ACTIVATIONS = ("sigmoid", "leaky_relu")
PARAM_NAMES = ("W1", "b1", "W2", "b2")

Params = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Cache:
    """What the forward pass keeps for the backward pass."""

    x: torch.Tensor  # (B, 784) the inputs
    z1: torch.Tensor  # (B, H) hidden pre-activations
    h: torch.Tensor  # (B, H) hidden activations
    logits: torch.Tensor  # (B, C)


def _check_activation(activation: str) -> None:
    if activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"activation={activation!r} is not one of {HIDDEN_ACTIVATIONS}")


def init_params(
    sizes: tuple[int, int, int] = (784, 200, 10),
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> Params:
    """W1, b1, W2, b2 drawn like nn.Linear's default: uniform(±1/√fan_in), made on `device`."""
    device = get_device(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    n_in, n_hidden, n_out = sizes
    params = {}
    for name, (fan_out, fan_in) in (("1", (n_hidden, n_in)), ("2", (n_out, n_hidden))):
        bound = 1.0 / math.sqrt(fan_in)
        for kind, shape in (("W", (fan_out, fan_in)), ("b", (fan_out,))):
            u = torch.rand(shape, generator=gen, device=device, dtype=dtype)
            params[kind + name] = (2.0 * u - 1.0) * bound
    return params


def params_from_mlp(model: nn.Module) -> Params:
    """Copies of a 784-H-10 `MLP`'s weights as W1, b1, W2, b2 (same layout as nn.Linear)."""
    if len(model.linears()) != 2:
        raise ValueError(f"the network by hand has one hidden layer; this MLP has "
                         f"{len(model.linears()) - 1}")
    first, last = model.linears()
    return {name: t.detach().clone() for name, t in
            zip(PARAM_NAMES, (first.weight, first.bias, last.weight, last.bias))}


def activate(z: torch.Tensor, activation: str = "leaky_relu", slope: float = 0.02) -> torch.Tensor:
    """The hidden activation: sigmoid(z), or LeakyReLU with the book's slope 0.02."""
    _check_activation(activation)
    if activation == "sigmoid":
        return torch.sigmoid(z)
    return torch.where(z > 0, z, slope * z)


def activation_grad(z: torch.Tensor, h: torch.Tensor, activation: str = "leaky_relu",
                    slope: float = 0.02) -> torch.Tensor:
    """d act / d z, elementwise: h(1 − h) for the sigmoid, 1 or `slope` for LeakyReLU."""
    _check_activation(activation)
    if activation == "sigmoid":
        return h * (1.0 - h)
    return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, slope))


def forward(params: Params, x: torch.Tensor, activation: str = "leaky_relu") -> Cache:
    """The forward pass for a batch x (B, 784); the logits are `cache.logits`."""
    z1 = x @ params["W1"].T + params["b1"]  # (B, H)
    h = activate(z1, activation)
    logits = h @ params["W2"].T + params["b2"]  # (B, C)
    return Cache(x, z1, h, logits)


def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy, mean over the batch (lesson 02's, stable through log-sum-exp)."""
    return cross_entropy(logits, labels)


def backward(params: Params, cache: Cache, labels: torch.Tensor,
             activation: str = "leaky_relu") -> Params:
    """The gradients of `loss(cache.logits, labels)` with respect to W1, b1, W2, b2."""
    batch = len(labels)
    probs = torch.softmax(cache.logits, dim=1)  # (B, C)
    dz2 = probs.clone()
    dz2[torch.arange(batch, device=labels.device), labels] -= 1.0  # p − y
    dz2 /= batch  # the loss is a mean over the batch
    dh = dz2 @ params["W2"]  # (B, H)
    dz1 = dh * activation_grad(cache.z1, cache.h, activation)
    return {"W1": dz1.T @ cache.x, "b1": dz1.sum(0), "W2": dz2.T @ cache.h, "b2": dz2.sum(0)}


def sgd_step(params: Params, grads: Params, lr: float) -> None:
    """Plain SGD, in place: p ← p − lr · grad."""
    for name in PARAM_NAMES:
        params[name] -= lr * grads[name]


def train(
    params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int = 1,
    batch_size: int = 64,
    lr: float = 0.1,
    activation: str = "leaky_relu",
    seed: int = 0,
) -> list[float]:
    """Mini-batch SGD in place; returns every step's loss.

    The batches come from the same seeded shuffle as `mnist_lab.train.fit(..., seed=seed)`, so with
    the same starting weights the two runs see the same batches in the same order.
    """
    if epochs < 1 or batch_size < 1 or not lr > 0:
        raise ValueError(f"need epochs >= 1, batch_size >= 1 and lr > 0; got {epochs}, "
                         f"{batch_size}, {lr}")
    generator = seed_everything(seed)
    losses = []
    for _ in range(epochs):
        for idx in minibatches(len(x), batch_size, shuffle=True, generator=generator,
                               device=x.device):
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            cache = forward(params, xb, activation)
            losses.append(loss(cache.logits, yb).detach())
            sgd_step(params, backward(params, cache, yb, activation), lr)
    return torch.stack(losses).tolist()


def train_per_sample(params: Params, x: torch.Tensor, y: torch.Tensor, *, lr: float = 0.01,
                     activation: str = "leaky_relu") -> None:
    """The book's protocol (lesson 02): one image per SGD step, in file order, one pass; in place.

    Each step is a few tiny operations (a 200×784 matrix times one vector), which lose more to
    handing work between CPU threads than they gain, so the loop runs on one thread.
    """
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for i in range(len(x)):
            xb, yb = x[i : i + 1], y[i : i + 1]  # a batch of one
            cache = forward(params, xb, activation)
            sgd_step(params, backward(params, cache, yb, activation), lr)
    finally:
        torch.set_num_threads(threads)


@torch.no_grad()
def accuracy(params: Params, x: torch.Tensor, y: torch.Tensor,
             activation: str = "leaky_relu") -> float:
    """Fraction of x classified right."""
    return (forward(params, x, activation).logits.argmax(1) == y).float().mean().item()


def autograd_grads(params: Params, x: torch.Tensor, labels: torch.Tensor,
                   activation: str = "leaky_relu") -> Params:
    """The same gradients from autograd, to check `backward` against."""
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    value = loss(forward(leaves, x, activation).logits, labels)
    grads = torch.autograd.grad(value, [leaves[k] for k in PARAM_NAMES])
    return dict(zip(PARAM_NAMES, grads))


def finite_difference(params: Params, x: torch.Tensor, labels: torch.Tensor, name: str,
                      index: tuple[int, ...], activation: str = "leaky_relu",
                      eps: float = 1e-6) -> float:
    """(L(θ + eps) − L(θ − eps)) / 2eps for one entry of one parameter; use float64."""
    def loss_at(delta: float) -> float:
        shifted = dict(params)
        shifted[name] = params[name].clone()
        shifted[name][index] += delta
        return loss(forward(shifted, x, activation).logits, labels).item()

    return (loss_at(eps) - loss_at(-eps)) / (2 * eps)
