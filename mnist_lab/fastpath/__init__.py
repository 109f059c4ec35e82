"""Fast training with ONE sample per optimiser step, the book's protocol (lesson 01, part 7).

The book updates the weights after every single image: 180,000 tiny steps for 3 epochs. In eager
PyTorch each step is ~15 small ops at ~5 µs of dispatch each, plus autograd's bookkeeping, so the
arithmetic (a 200×784 matrix-vector product) is lost in overhead. Two engines compute the same
steps as the plain autograd loop `mnist_lab.book.train_autograd`, for the 784→H→C family:
hidden activation sigmoid | leaky_relu, optional LayerNorm after it, output activation
sigmoid | leaky_relu | none, loss mse | bce | ce (softmax cross-entropy on logits), optimiser
sgd | adam (`rule.py`).

- "numba" (CPU, `numba_engine.py` with the building blocks of `kernels.py`): compiled kernels
  that run a whole chunk of steps without returning to Python, visiting only the lit pixels.
- "torch" (any device, `torch_engine.py`): forward, backward and update written out with plain
  tensor ops and no autograd; used on CUDA and MPS.

Both are checked against autograd in tests/test_fastpath.py: after 1,000 steps the weights agree
to 1e-5 in float32 and to 1e-10 in float64 (the kernels run in either precision). This module
chooses the engine and checks the inputs once; the engines trust what they are given.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from mnist_lab.fastpath.numba_engine import compile_kernels, train_numba
from mnist_lab.fastpath.rule import LOSSES, OPTIMIZERS, StepRule, step_rule
from mnist_lab.fastpath.torch_engine import train_torch
from mnist_lab.models import MLP
from mnist_lab.numerics import TrainingDiverged, flush_denormals

__all__ = [
    "ENGINES", "LOSSES", "OPTIMIZERS", "StepRule", "TrainingDiverged", "compile_kernels",
    "resolve_engine", "step_rule", "train_per_sample",
]

ENGINES = ("auto", "numba", "torch")
_TRAINERS = {"numba": train_numba, "torch": train_torch}


def resolve_engine(engine: str, device: torch.device | str) -> str:
    """'auto' → 'numba' on the CPU, else 'torch'; checks that the others can run on `device`."""
    device = torch.device(device)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "auto":
        return "numba" if device.type == "cpu" else "torch"
    if engine == "numba" and device.type != "cpu":
        raise ValueError(f"engine='numba' runs on the CPU; got device {device}. Use engine='torch'")
    return engine


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
    `progress(steps_done)` is called every 10,000 steps. Raises TrainingDiverged on NaN/inf.
    loss="ce" needs a model with output_activation="none" (logits). (lesson 01)
    """
    rule = step_rule(model, loss, optimizer, lr)
    steps = _count_steps(len(x), epochs, steps)
    device = _check_data(model, x, labels)
    if record_every < 1:
        raise ValueError(f"record_every must be at least 1, got {record_every}")
    train = _TRAINERS[resolve_engine(engine, device)]
    with flush_denormals(flush_denormal):
        return train(model, x, labels, rule, steps, record_every, progress)


def _count_steps(n: int, epochs: int | None, steps: int | None) -> int:
    if epochs is not None and steps is not None:
        raise ValueError("give epochs or steps, not both")
    total = steps if steps is not None else n * (1 if epochs is None else epochs)
    if total < 0:
        raise ValueError(f"the number of steps must not be negative, got {total}")
    return total


def _check_data(model: MLP, x: torch.Tensor, labels: torch.Tensor) -> torch.device:
    """Raise a clear error unless x and labels fit the model; return the device they share."""
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
    return device
