"""Optimisers: a config, a builder, and update rules written out by hand (lessons 04 and 15).

`OptimConfig` + `make_optimizer` build the torch optimiser that `fit` uses. The step functions
(`sgd_step`, `adam_step`, `rmsprop_step`, `adagrad_step`, `adadelta_step`) are pure reference
versions for the exercises: they take tensors and return new ones, changing nothing in place,
and the tests check them against torch.optim over several steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import torch

OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamw")
# The learning rate each optimiser is usually run with; used when OptimConfig.lr is None.
DEFAULT_LR = {
    "sgd": 0.1,
    "adagrad": 0.01,
    "rmsprop": 0.001,
    "adadelta": 1.0,  # Adadelta's lr only rescales its own step size
    "adam": 0.001,
    "adamw": 0.001,
}


@dataclass(frozen=True)
class OptimConfig:
    """Which optimiser and its settings; the default is Adam at lr 1e-3 (lesson 04)."""

    name: str = "adam"
    lr: float | None = None  # None: DEFAULT_LR[name]
    momentum: float = 0.0  # sgd and rmsprop
    nesterov: bool = False  # sgd only; needs momentum > 0
    weight_decay: float = 0.0  # L2 penalty (decoupled for adamw)
    betas: tuple[float, float] = (0.9, 0.999)  # adam and adamw
    eps: float | None = None  # None: torch's default for the optimiser
    clip_grad_norm: float | None = None  # clip the global gradient norm to this (5–15 is usual)
    switch_to_sgd_epoch: int | None = None  # Adam → SGD at the end of this epoch (1-based)
    sgd_lr: float = 0.01  # the SGD phase's learning rate after the switch
    sgd_momentum: float = 0.9
    fused: bool | None = None  # None: torch's fused Adam kernel where the device has one

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ValueError(f"unknown optimiser {self.name!r}; choose one of {OPTIMIZERS}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if not 0.0 <= self.momentum < 1.0 or not 0.0 <= self.sgd_momentum < 1.0:
            raise ValueError("momentum and sgd_momentum must be in [0, 1), e.g. 0.9")
        if self.nesterov and (self.name != "sgd" or self.momentum == 0):
            raise ValueError("nesterov=True needs name='sgd' and momentum > 0 (e.g. 0.9)")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.clip_grad_norm is not None and not self.clip_grad_norm > 0:
            raise ValueError(f"clip_grad_norm must be > 0 or None, got {self.clip_grad_norm}")
        if self.switch_to_sgd_epoch is not None:
            if self.switch_to_sgd_epoch < 1:
                raise ValueError("switch_to_sgd_epoch counts epochs from 1; None: no switch")
            if self.name == "sgd":
                raise ValueError(
                    "switch_to_sgd_epoch switches an adaptive optimiser to SGD; "
                    "name is already 'sgd'"
                )

    @property
    def base_lr(self) -> float:
        """The learning rate in use: `lr`, or the usual one for this optimiser."""
        return self.lr if self.lr is not None else DEFAULT_LR[self.name]

    def sgd_phase(self) -> OptimConfig:
        """The config for the SGD phase after an Adam → SGD switch (lesson 15)."""
        return replace(
            self,
            name="sgd",
            lr=self.sgd_lr,
            momentum=self.sgd_momentum,
            nesterov=False,
            eps=None,
            switch_to_sgd_epoch=None,
        )


def make_optimizer(
    params: Iterable[torch.nn.Parameter], cfg: OptimConfig | None = None
) -> torch.optim.Optimizer:
    """Build the torch optimiser that `cfg` describes (lesson 04)."""
    cfg = cfg or OptimConfig()
    params = list(params)
    extra = {} if cfg.eps is None else {"eps": cfg.eps}
    lr, wd = cfg.base_lr, cfg.weight_decay
    if cfg.name == "sgd":
        return torch.optim.SGD(
            params, lr=lr, momentum=cfg.momentum, nesterov=cfg.nesterov, weight_decay=wd
        )
    if cfg.name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd, **extra)
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=cfg.momentum, weight_decay=wd, **extra)
    if cfg.name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, weight_decay=wd, **extra)
    # Fused Adam does the whole update in one kernel: ~40% faster per mini-batch step on CPU.
    fused = cfg.fused if cfg.fused is not None else _has_fused_adam(params)
    adam = torch.optim.Adam if cfg.name == "adam" else torch.optim.AdamW
    return adam(params, lr=lr, betas=cfg.betas, weight_decay=wd, fused=fused or None, **extra)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Use learning rate `lr` from the next step on, in every parameter group (lesson 10).

    Schedules, range tests and fit's loop all change the rate this way, between steps.
    """
    for group in optimizer.param_groups:
        group["lr"] = lr


def _has_fused_adam(params: list[torch.nn.Parameter]) -> bool:
    """Fused Adam exists for floating-point parameters on CPU and CUDA (torch >= 2.4)."""
    return bool(params) and all(
        p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params
    )


# ---- Reference update rules (exercises). Each returns new tensors and changes nothing. ----


def sgd_step(
    param: torch.Tensor,
    grad: torch.Tensor,
    velocity: torch.Tensor | None,
    lr: float,
    momentum: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step with optional momentum and Nesterov; returns (param, velocity) (lesson 04).

    velocity: the running sum of past gradients (zeros, or None, before the first step).
    """
    g = grad + weight_decay * param  # L2 penalty's gradient
    v = g if velocity is None else momentum * velocity + g
    direction = g + momentum * v if nesterov else v  # Nesterov looks one step ahead
    return param - lr * direction, v


def adam_step(
    param: torch.Tensor,
    grad: torch.Tensor,
    m: torch.Tensor,
    v: torch.Tensor,
    t: int,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One Adam step; returns (param, m, v). t counts steps from 1 (lesson 04).

    m is a running mean of gradients (momentum), v of squared gradients (a per-parameter scale).
    decoupled=True is AdamW: weight decay shrinks the weights directly instead of the gradient.
    """
    b1, b2 = betas
    if decoupled:
        param = param * (1.0 - lr * weight_decay)
    else:
        grad = grad + weight_decay * param
    m = b1 * m + (1.0 - b1) * grad
    v = b2 * v + (1.0 - b2) * grad**2
    m_hat = m / (1.0 - b1**t)  # early averages are biased towards their zero start
    v_hat = v / (1.0 - b2**t)
    return param - lr * m_hat / (v_hat.sqrt() + eps), m, v


def rmsprop_step(
    param: torch.Tensor,
    grad: torch.Tensor,
    square_avg: torch.Tensor,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One RMSprop step: divide by a running RMS of the gradient; returns (param, square_avg)."""
    g = grad + weight_decay * param
    square_avg = alpha * square_avg + (1.0 - alpha) * g**2
    return param - lr * g / (square_avg.sqrt() + eps), square_avg


def adagrad_step(
    param: torch.Tensor,
    grad: torch.Tensor,
    sum_sq: torch.Tensor,
    lr: float = 1e-2,
    eps: float = 1e-10,
    weight_decay: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One Adagrad step: divide by the root of all squared gradients so far; (param, sum_sq)."""
    g = grad + weight_decay * param
    sum_sq = sum_sq + g**2  # only grows, so the effective step only shrinks
    return param - lr * g / (sum_sq.sqrt() + eps), sum_sq


def adadelta_step(
    param: torch.Tensor,
    grad: torch.Tensor,
    square_avg: torch.Tensor,
    delta_avg: torch.Tensor,
    lr: float = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One Adadelta step; returns (param, square_avg, delta_avg).

    The step is RMS(past updates) / RMS(gradients) · g, so its units match the parameter's.
    """
    g = grad + weight_decay * param
    square_avg = rho * square_avg + (1.0 - rho) * g**2
    delta = torch.sqrt(delta_avg + eps) / torch.sqrt(square_avg + eps) * g
    delta_avg = rho * delta_avg + (1.0 - rho) * delta**2
    return param - lr * delta, square_avg, delta_avg


def steps_in_a_row(step: Callable[..., tuple], states: int = 1, count_steps: bool = False
                   ) -> Callable[..., tuple]:
    """`step` run once per gradient, its state carried over: what an optimiser does in training.

    Returns `run(param, grads, **settings)`: it starts from zero state (`states` tensors shaped
    like `param`), calls `step(param, grad, *state, **settings)` for each `grad` in `grads`
    (a tensor (k, ...) or a list), passing the step number t = 1, 2, ... after the state when
    `count_steps` is set (Adam's bias correction), and returns `(param, *state)` after the last
    step. The exercises of lessons 04 and 15 compare a student's step with ours this way, so a
    state returned in the wrong form shows up even when one step looks right.
    """

    def run(param: torch.Tensor, grads: Iterable[torch.Tensor], **settings) -> tuple:
        state = [torch.zeros_like(param) for _ in range(states)]
        for t, grad in enumerate(grads, start=1):
            extra = (t,) if count_steps else ()
            param, *state = step(param, grad, *state, *extra, **settings)
        return (param, *state)

    return run


def l2_penalty(params: Iterable[torch.Tensor], weight_decay: float) -> torch.Tensor:
    """(weight_decay / 2) · Σ p² over every entry of every tensor (lesson 13).

    Its gradient is weight_decay · p, exactly what the optimisers' `weight_decay` adds.
    """
    return 0.5 * weight_decay * sum((p**2).sum() for p in params)
