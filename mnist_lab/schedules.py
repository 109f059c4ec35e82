"""Learning-rate schedules as pure functions of the step, and reduce-on-plateau (lesson 10).

`lr_at(cfg, base_lr, step, total_steps)` gives the learning rate of any step, so a schedule can be
plotted before training. `fit` calls it before every optimiser step. Steps count from 0.

| name      | learning rate over the run                                                        |
|-----------|-----------------------------------------------------------------------------------|
| constant  | base_lr                                                                           |
| step      | multiplied by `gamma` (0.1) at each step index in `milestones`                    |
| cosine    | half a cosine from base_lr down to base_lr·min_lr_factor                          |
| linear    | a straight line from base_lr down to base_lr·min_lr_factor                        |
| onecycle  | up from base_lr to base_lr·max_lr_factor over the first `pct_start` of the run,   |
|           | then down to base_lr·min_lr_factor (both halves cosine-shaped)                    |
| cyclic    | cosine from base_lr to base_lr·min_lr_factor, restarting every `cycle_steps`      |
|           | (SGDR; each cycle's end is a snapshot for a snapshot ensemble, lesson 16)         |

Warm-up multiplies any of them by a linear ramp over the first `warmup_steps` steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SCHEDULES = ("constant", "step", "cosine", "linear", "onecycle", "cyclic")


@dataclass(frozen=True)
class ScheduleConfig:
    """How the learning rate changes over training; the default keeps it constant (lesson 10)."""

    name: str = "constant"
    warmup_steps: int = 0
    milestones: tuple[int, ...] = ()  # "step": step indices where the LR is multiplied by gamma
    gamma: float = 0.1
    min_lr_factor: float = 0.0  # where cosine, linear, cyclic and onecycle end, × base_lr
    cycle_steps: int | None = None  # "cyclic": length of one cycle in steps
    max_lr_factor: float = 10.0  # "onecycle": the peak, × base_lr
    pct_start: float = 0.3  # "onecycle": the share of the run spent rising
    plateau_patience: int | None = None  # fit: epochs without improvement before LR × factor
    plateau_factor: float = 0.5  # on a plateau: 0.5 halves the LR, 0.2 divides it by 5

    def __post_init__(self) -> None:
        if self.name not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.name!r}; choose one of {SCHEDULES}")
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {self.warmup_steps}")
        if list(self.milestones) != sorted(self.milestones) or any(m < 0 for m in self.milestones):
            raise ValueError(f"milestones must be increasing step indices, got {self.milestones}")
        if not 0.0 < self.gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1], e.g. 0.1, got {self.gamma}")
        if not 0.0 <= self.min_lr_factor <= 1.0:
            raise ValueError(f"min_lr_factor must be in [0, 1], got {self.min_lr_factor}")
        if self.name == "cyclic" and (self.cycle_steps is None or self.cycle_steps < 1):
            raise ValueError("the cyclic schedule needs cycle_steps >= 1, e.g. the steps per epoch")
        if self.max_lr_factor < 1.0:
            raise ValueError(f"max_lr_factor must be >= 1, got {self.max_lr_factor}")
        if not 0.0 < self.pct_start < 1.0:
            raise ValueError(f"pct_start must be in (0, 1), got {self.pct_start}")
        if self.plateau_patience is not None and self.plateau_patience < 0:
            raise ValueError(f"plateau_patience must be >= 0 or None, got {self.plateau_patience}")
        if not 0.0 < self.plateau_factor < 1.0:
            raise ValueError(f"plateau_factor must be in (0, 1), got {self.plateau_factor}")


def _cosine(t: float, start: float, end: float) -> float:
    """Half a cosine from `start` (t = 0) to `end` (t = 1)."""
    return end + (start - end) * (1.0 + math.cos(math.pi * t)) / 2.0


def _factor(cfg: ScheduleConfig, step: int, total_steps: int) -> float:
    """The schedule's multiplier of base_lr at `step`, before warm-up."""
    t = min(step / total_steps, 1.0)  # progress through the run, 0 → 1
    if cfg.name == "constant":
        return 1.0
    if cfg.name == "step":
        return cfg.gamma ** sum(step >= m for m in cfg.milestones)
    if cfg.name == "cosine":
        return _cosine(t, 1.0, cfg.min_lr_factor)
    if cfg.name == "linear":
        return 1.0 - (1.0 - cfg.min_lr_factor) * t
    if cfg.name == "cyclic":
        return _cosine((step % cfg.cycle_steps) / cfg.cycle_steps, 1.0, cfg.min_lr_factor)
    # onecycle: rise from 1 to the peak, then anneal to min_lr_factor
    peak = cfg.max_lr_factor
    if t < cfg.pct_start:
        return _cosine(t / cfg.pct_start, 1.0, peak)
    return _cosine((t - cfg.pct_start) / (1.0 - cfg.pct_start), peak, cfg.min_lr_factor)


def lr_at(cfg: ScheduleConfig, base_lr: float, step: int, total_steps: int) -> float:
    """The learning rate for optimiser step `step` (from 0) of `total_steps` (lesson 10)."""
    if total_steps < 1 or step < 0:
        raise ValueError(f"need total_steps >= 1 and step >= 0, got {step=} {total_steps=}")
    lr = base_lr * _factor(cfg, step, total_steps)
    if step < cfg.warmup_steps:
        lr *= (step + 1) / cfg.warmup_steps  # warm-up: a linear ramp up to the schedule
    return lr


class ReduceOnPlateau:
    """Divide the LR by 1/factor (2–5) when a validation metric stops improving (lesson 10).

    Call `step(metric)` once per epoch; it returns `scale`, the multiplier for the learning rate.
    mode="max" for accuracy, "min" for loss. After `patience` epochs without an improvement of
    more than `min_delta`, the scale is multiplied by `factor` and the count starts again.
    """

    def __init__(
        self, factor: float = 0.5, patience: int = 2, mode: str = "max", min_delta: float = 0.0
    ) -> None:
        if not 0.0 < factor < 1.0:
            raise ValueError(f"factor must be in (0, 1), e.g. 0.5 halves the LR; got {factor}")
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' (accuracy) or 'min' (loss), got {mode!r}")
        if patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience}")
        self.factor, self.patience, self.mode, self.min_delta = factor, patience, mode, min_delta
        self.scale = 1.0
        self.best: float | None = None
        self.bad_epochs = 0

    def improved(self, metric: float) -> bool:
        """Whether `metric` beats the best so far by more than min_delta."""
        if self.best is None:
            return True
        if self.mode == "max":
            return metric > self.best + self.min_delta
        return metric < self.best - self.min_delta

    def step(self, metric: float) -> float:
        """Record one epoch's metric; return the current LR scale."""
        if self.improved(metric):
            self.best, self.bad_epochs = metric, 0
        else:
            self.bad_epochs += 1
            if self.bad_epochs > self.patience:
                self.scale *= self.factor
                self.bad_epochs = 0
        return self.scale
