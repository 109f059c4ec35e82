"""What one per-sample training step does, and which networks the fast engines can train.

`StepRule` names the ingredients of a step (activations, LayerNorm, loss, optimiser, learning
rate) for the 784→H→C family; both engines branch on it. The numba kernels branch on small
integer codes instead of strings: the codes are the positions in the tuples below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from mnist_lab.models import MLP

HIDDEN_ACTIVATIONS = ("sigmoid", "leaky_relu")
OUTPUT_ACTIVATIONS = ("sigmoid", "leaky_relu", "none")  # "none": logits, for the "ce" loss
LOSSES = ("mse", "bce", "ce")  # "ce": softmax + cross-entropy on the logits
OPTIMIZERS = ("sgd", "adam")
ADAM_BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults
ADAM_EPS = 1e-8

# Codes the kernels branch on (numba compiles one kernel for every configuration).
SIGMOID, LEAKY_RELU, IDENTITY = (OUTPUT_ACTIVATIONS.index(a) for a in OUTPUT_ACTIVATIONS)
MSE, BCE, CE = (LOSSES.index(loss) for loss in LOSSES)


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
            ("hidden_activation", self.hidden_activation, HIDDEN_ACTIVATIONS),
            ("output_activation", self.output_activation, OUTPUT_ACTIVATIONS),
            ("loss", self.loss, LOSSES),
            ("optimizer", self.optimizer, OPTIMIZERS),
        ):
            if value not in allowed:
                raise ValueError(f"the fast path supports {name} in {allowed}, got {value!r}")
        if self.loss == "bce" and self.output_activation != "sigmoid":
            raise ValueError("BCE needs outputs in [0, 1]: use output_activation='sigmoid'")
        if self.loss == "ce" and self.output_activation != "none":
            raise ValueError("'ce' applies softmax to logits itself: use output_activation='none'")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr}")

    def codes(self) -> tuple[int, int, int, int, int]:
        """(hidden activation, output activation, LayerNorm, loss, Adam) as the kernels' ints."""
        return (OUTPUT_ACTIVATIONS.index(self.hidden_activation),
                OUTPUT_ACTIVATIONS.index(self.output_activation),
                int(self.layer_norm), LOSSES.index(self.loss), OPTIMIZERS.index(self.optimizer))


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


def layers(model: MLP) -> tuple[nn.Linear, nn.LayerNorm | None, nn.Linear]:
    """(first Linear, LayerNorm or None, output Linear) of a one-hidden-layer MLP."""
    block = model.hidden[0]
    norm = block.norm if model.cfg.norm == "layer" else None
    return block.linear, norm, model.out
