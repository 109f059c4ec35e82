"""The network: a configurable multi-layer perceptron (lessons 01, 03, 05, 14).

Models compute outputs and nothing else: training lives in `mnist_lab.train`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "none")
NORMS = ("none", "layer", "batch")
INITS = ("default", "normal", "scaled", "xavier", "kaiming")


@dataclass(frozen=True)
class MLPConfig:
    """Shape and ingredients of an MLP; defaults are the book's baseline (784→200→10, sigmoid)."""

    sizes: tuple[int, ...] = (784, 200, 10)
    hidden_activation: str = "sigmoid"
    output_activation: str = "sigmoid"  # the book squashes outputs too; "none" gives logits
    negative_slope: float = 0.02  # LeakyReLU slope, the book's value
    norm: str = "none"  # "layer" or "batch", placed after each hidden activation (book's order)
    dropout: float = 0.0
    init: str = "default"  # PyTorch default; see `init_weights`
    init_scale: float = 1.0  # used by init="scaled" (scale/sqrt(fan_in)) and init="normal" (std)
    residual: bool = False  # skip connections around equal-width hidden layers

    def __post_init__(self) -> None:
        if len(self.sizes) < 2:
            raise ValueError(f"sizes needs at least input and output, got {self.sizes}")
        for name, value, allowed in (
            ("hidden_activation", self.hidden_activation, ACTIVATIONS),
            ("output_activation", self.output_activation, ACTIVATIONS),
            ("norm", self.norm, NORMS),
            ("init", self.init, INITS),
        ):
            if value not in allowed:
                raise ValueError(f"{name}={value!r} is not one of {allowed}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


def make_activation(name: str, negative_slope: float = 0.02) -> nn.Module:
    """The activation module for a name in ACTIVATIONS."""
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    if name == "none":
        return nn.Identity()
    raise ValueError(f"unknown activation {name!r}; choose one of {ACTIVATIONS}")


class HiddenBlock(nn.Module):
    """Linear → activation → norm → dropout, with an optional skip connection."""

    def __init__(self, n_in: int, n_out: int, cfg: MLPConfig) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.act = make_activation(cfg.hidden_activation, cfg.negative_slope)
        if cfg.norm == "layer":
            self.norm: nn.Module = nn.LayerNorm(n_out)
        elif cfg.norm == "batch":
            self.norm = nn.BatchNorm1d(n_out)
        else:
            self.norm = nn.Identity()
        self.drop = nn.Dropout(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        # A residual block adds its input back, turning a product of Jacobians into a sum.
        self.residual = cfg.residual and n_in == n_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.norm(self.act(self.linear(x))))
        return x + h if self.residual else h


class MLP(nn.Module):
    """A multi-layer perceptron; `MLP()` is the book's baseline classifier."""

    def __init__(self, cfg: MLPConfig | None = None, **overrides) -> None:
        super().__init__()
        if cfg is None:
            cfg = MLPConfig(**overrides)
        elif overrides:
            cfg = MLPConfig(**{**cfg.__dict__, **overrides})
        self.cfg = cfg
        sizes = cfg.sizes
        self.hidden = nn.ModuleList(
            HiddenBlock(a, b, cfg) for a, b in zip(sizes[:-2], sizes[1:-1])
        )
        self.out = nn.Linear(sizes[-2], sizes[-1])
        self.out_act = make_activation(cfg.output_activation, cfg.negative_slope)
        init_weights(self, cfg.init, cfg.init_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)  # (B, 28, 28) → (B, 784)
        for block in self.hidden:
            x = block(x)
        return self.out_act(self.out(x))

    def linears(self) -> list[nn.Linear]:
        """The Linear layers, input side first."""
        return [b.linear for b in self.hidden] + [self.out]


def init_weights(model: nn.Module, scheme: str = "default", scale: float = 1.0) -> None:
    """Re-initialise every Linear layer of `model` in place (lesson 14).

    default: PyTorch's uniform(±1/sqrt(fan_in)); normal: N(0, scale²) (scale=0.02 is the
    classic "0.02·randn"); scaled: N(0, 1)·scale/sqrt(fan_in); xavier: Glorot normal;
    kaiming: He normal for ReLU-family layers. Biases start at zero except for "default".
    """
    if scheme not in INITS:
        raise ValueError(f"unknown init {scheme!r}; choose one of {INITS}")
    if scheme == "default":
        return
    for m in model.modules():
        if not isinstance(m, nn.Linear):
            continue
        fan_in = m.weight.shape[1]
        with torch.no_grad():
            if scheme == "normal":
                m.weight.normal_(0.0, scale)
            elif scheme == "scaled":
                m.weight.normal_(0.0, scale / math.sqrt(fan_in))
            elif scheme == "xavier":
                nn.init.xavier_normal_(m.weight)
            elif scheme == "kaiming":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            m.bias.zero_()


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def dropout_with_mask(x: torch.Tensor, mask: torch.Tensor, p: float, training: bool = True
                      ) -> torch.Tensor:
    """Inverted dropout with a given keep-mask (True = kept): x · mask / (1 − p) in training,
    x itself in evaluation (lesson 13). nn.Dropout draws the mask as torch.rand(x.shape) >= p."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    return x * mask / (1 - p) if training else x
