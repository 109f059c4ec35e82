"""The training loop: `fit` a model to the data, epoch by epoch (lessons 08 and 09).

The heart of it is `train_one_epoch`, one mini-batch at a time:

    for idx in minibatches:                 # slices of a seeded randperm, on the device
        out = model(x[idx])                 # forward
        loss = loss_fn(out, y[idx])         # how wrong
        optimizer.zero_grad()
        loss.backward()                     # gradients
        optimizer.step()                    # update

Everything else is bookkeeping around those lines: the learning-rate schedule, a running loss
kept on the device (read once per epoch, not once per step, so the CPU never waits for a GPU),
a NaN check every `check_every` steps, evaluation on the validation split, early stopping with
the best weights restored, and callbacks (`mnist_lab.callbacks`) that watch or steer training:
recorders, the Adam → SGD switch, a Stop flag read after every step.

The per-step part of the loop never reads a tensor's value on the host (no .item(), float() or
bool() of a tensor): on a GPU each such read waits for all queued work, and the CPU could
otherwise run ahead, queueing the next steps' kernels. tests/test_train.py counts the reads.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from mnist_lab.callbacks import Callback, GradNorms, SwitchOptimizer, UpdateRatio
from mnist_lab.curves import epochs_since_best, should_stop
from mnist_lab.data import minibatches
from mnist_lab.device import get_device, seed_everything
from mnist_lab.losses import LOSSES, LossFn, make_loss
from mnist_lab.metrics import EVAL_BATCH_SIZE, evaluate
from mnist_lab.numerics import TrainingDiverged, check_finite, flush_denormals
from mnist_lab.optim import OptimConfig, make_optimizer, set_lr
from mnist_lab.progress import finish_early, progress
from mnist_lab.schedules import ReduceOnPlateau, ScheduleConfig, lr_at
from mnist_lab.train_checks import check_setup, check_xy, num_outputs, split_data

# Re-exported: lessons, tests and other modules import these from mnist_lab.train.
__all__ = [
    "Callback", "GradNorms", "History", "SwitchOptimizer", "TrainConfig", "TrainState",
    "TrainingDiverged", "UpdateRatio", "check_xy", "fit", "num_outputs", "split_data",
    "train_one_epoch",
]

MONITORS = ("val_acc", "val_loss")


@dataclass(frozen=True)
class TrainConfig:
    """How to train; the defaults (3 epochs, batch 128, BCE, Adam 1e-3) suit the book's nets."""

    epochs: int = 3
    batch_size: int = 128
    shuffle: bool = True  # a fresh seeded order every epoch; False keeps the file order
    loss: str = "bce"  # "mse" | "bce" | "cross_entropy" (logits), see losses.make_loss
    class_weights: tuple[float, ...] | None = None  # one per class, for imbalanced data
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    log_every: int = 10  # keep the loss of every 10th step, like the book
    monitor: str = "val_acc"  # what early stopping, restore_best and plateaus watch
    early_stopping: int | None = None  # patience: stop after this many epochs without a new best
    restore_best: bool = False  # end with the weights of the best epoch, not the last
    seed: int = 0  # seeds the batch order, dropout, and Python/NumPy/torch RNGs
    device: str | None = None  # None: mnist_lab.device.get_device()
    progress: bool = True  # an epoch bar (off under CI or MNIST_LAB_PROGRESS=0)
    eval_batch_size: int = EVAL_BATCH_SIZE
    check_every: int = 50  # look for a NaN/inf loss every this many steps (one host sync)

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "log_every", "eval_batch_size", "check_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {LOSSES}")
        if self.monitor not in MONITORS:
            raise ValueError(f"monitor must be one of {MONITORS}, got {self.monitor!r}")
        if self.early_stopping is not None and self.early_stopping < 1:
            raise ValueError(
                f"early_stopping is a patience in epochs (>= 1) or None, got {self.early_stopping}"
            )


@dataclass
class History:
    """What happened during `fit`: the loss every `log_every` steps and numbers per epoch.

    Epochs count from 1. The per-epoch lists have one entry per epoch trained (the val_ lists
    stay empty without a validation split). `seconds` times the training part of each epoch,
    not the evaluation. `extras` is where callbacks store what they record.
    """

    steps: list[int] = field(default_factory=list)  # step numbers (from 1) of step_losses
    step_losses: list[float] = field(default_factory=list)  # that step's mini-batch loss
    train_loss: list[float] = field(default_factory=list)  # running mean over the epoch
    train_acc: list[float] = field(default_factory=list)  # running, while the weights change
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)  # the learning rate of the epoch's last step
    seconds: list[float] = field(default_factory=list)
    stopped_epoch: int | None = None  # the epoch where training was stopped early, if it was
    best_epoch: int | None = None  # the epoch with the best monitored value (needs val data)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        """Number of epochs trained."""
        return len(self.train_loss)


@dataclass
class TrainState:
    """The loop's moving parts, as callbacks see them."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    config: TrainConfig
    history: History
    total_steps: int  # epochs × batches per epoch, the schedule's horizon
    base_lr: float  # the optimiser's LR before schedule and plateau scaling
    lr_scale: float = 1.0  # reduce-on-plateau's multiplier
    lr: float = 0.0  # the LR of the latest step
    epoch: int = 0  # the current epoch, from 1
    step: int = 0  # optimiser steps taken so far
    loss: torch.Tensor | None = None  # the latest mini-batch loss, detached, on the device
    # Set it to end training after the current step: a callback, or a UI's Stop button from
    # another thread. fit reads it after every step (a plain bool: no host sync).
    stop: bool = False


def train_one_epoch(
    state: TrainState,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: LossFn,
    generator: torch.Generator,
    callbacks: Sequence[Callback] = (),
) -> tuple[float, float]:
    """One pass over (x, y) in mini-batches; returns (mean loss, accuracy) (lesson 09).

    Both are running averages over the epoch's batches, taken while the weights change. If
    state.stop is set, the epoch ends after the current step and the averages cover the
    batches trained.
    """
    model, cfg = state.model, state.config
    model.train()  # nn.Module.train(): dropout and batch norm in training mode
    loss_sum = torch.zeros((), device=x.device)  # summed on the device: no .item() per step
    correct = torch.zeros((), dtype=torch.long, device=x.device)
    logged, logged_steps, checked, seen = [], [], state.step, 0
    batches = minibatches(
        len(x), cfg.batch_size, shuffle=cfg.shuffle, generator=generator, device=x.device
    )  # index tensors: slices of a seeded randperm, on the data's device
    for idx in batches:
        # = x[idx], y[idx]; index_select copies whole rows, about twice as fast on the CPU
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)  # (B, 784), (B,)
        state.lr = lr_at(cfg.schedule, state.base_lr * state.lr_scale, state.step,
                         state.total_steps)  # plain Python numbers: no tensor, no sync
        set_lr(state.optimizer, state.lr)
        out = model(xb)  # (B, C)
        loss = loss_fn(out, yb)
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.optim.clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.clip_grad_norm)
        state.optimizer.step()

        state.step += 1
        seen += len(idx)  # len() of a tensor is its shape: no sync
        state.loss = loss.detach()
        loss_sum += state.loss * len(idx)
        correct += (out.argmax(dim=1) == yb).sum()
        if state.step % cfg.log_every == 0:
            logged.append(state.loss)  # a 0-d tensor; read at the end of the epoch
            logged_steps.append(state.step)
        for callback in callbacks:
            callback.on_step_end(state)
        if state.step % cfg.check_every == 0:
            _check_finite(loss_sum, state, x, since=checked)  # one sync every check_every steps
            checked = state.step
        if state.stop:  # a callback or a Stop button: end within this step, not this epoch
            break
    if checked < state.step:
        _check_finite(loss_sum, state, x, since=checked)
    state.history.steps += logged_steps
    state.history.step_losses += torch.stack(logged).tolist() if logged else []
    return loss_sum.item() / seen, correct.item() / seen


def fit(
    model: nn.Module,
    data: Any,
    config: TrainConfig | None = None,
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train `model` on data.train, evaluating on data.val after each epoch (lesson 08).

    data: a `mnist_lab.data.Splits` (uses .train and .val; .test is never touched), or an
    (x, y) pair to train on without validation. Data and model move to config.device. Returns
    the History; the model is trained in place. Setting `state.stop = True` (a callback, a UI)
    ends training after the current step; the cut-short epoch is still evaluated and recorded.
    """
    config = config or TrainConfig()
    device = get_device(config.device)
    generator = seed_everything(config.seed)  # a CPU generator for the batch order
    model.to(device)
    (x, y), val = split_data(data, device)
    num_classes = check_setup(model, x, y, val, config)
    loss_fn = make_loss(config.loss, config.class_weights, num_classes)
    history = History()
    state = TrainState(
        model,
        make_optimizer(model.parameters(), config.optim),
        config,
        history,
        total_steps=config.epochs * math.ceil(len(x) / config.batch_size),
        base_lr=config.optim.base_lr,
    )
    callbacks = [*callbacks, *_configured_callbacks(config)]
    plateau = _make_plateau(config)
    best_weights = None
    for callback in callbacks:
        callback.on_train_begin(state)
    bar = progress(range(1, config.epochs + 1), desc="epochs", enabled=config.progress)
    with flush_denormals(device.type == "cpu"):
        for epoch in bar:
            state.epoch = epoch
            start = time.perf_counter()
            train_loss, train_acc = train_one_epoch(state, x, y, loss_fn, generator, callbacks)
            history.seconds.append(time.perf_counter() - start)
            history.train_loss.append(train_loss)
            history.train_acc.append(train_acc)
            history.lr.append(state.lr)
            if val is not None:  # val_loss/val_acc, best epoch, plateau, early stopping
                is_best = _validate(state, val, loss_fn, plateau)
                if is_best and config.restore_best:
                    best_weights = _copy_weights(model)
            for callback in callbacks:
                callback.on_epoch_end(state)
            bar.set_postfix(_postfix(history))
            if state.stop:
                history.stopped_epoch = epoch
                break
    if history.stopped_epoch is None:
        bar.close()
    else:  # stopped on purpose (early stopping, a Stop button): the bar ends full, not red
        finish_early(bar, done=history.stopped_epoch)
    if best_weights is not None:
        model.load_state_dict(best_weights)
    return history


# ---- fit's helpers ----


def _configured_callbacks(config: TrainConfig) -> list[Callback]:
    """Callbacks that settings in the config stand for: OptimConfig(switch_to_sgd_epoch=k)."""
    switch = config.optim.switch_to_sgd_epoch
    return [] if switch is None else [SwitchOptimizer(switch, config.optim.sgd_phase())]


def _make_plateau(config: TrainConfig) -> ReduceOnPlateau | None:
    patience = config.schedule.plateau_patience
    if patience is None:
        return None
    mode = "max" if config.monitor == "val_acc" else "min"
    return ReduceOnPlateau(config.schedule.plateau_factor, patience, mode)


def _validate(
    state: TrainState, val: tuple, loss_fn: LossFn, plateau: ReduceOnPlateau | None
) -> bool:
    """Evaluate on the validation split and act on it; True if this epoch is the best so far."""
    config, history = state.config, state.history
    scores = evaluate(state.model, *val, loss_fn, batch_size=config.eval_batch_size)
    history.val_loss.append(scores["loss"])
    history.val_acc.append(scores["acc"])
    mode, values = _monitored_curve(history, config.monitor)
    is_best = epochs_since_best(values, mode) == 0
    if is_best:
        history.best_epoch = state.epoch
    if plateau is not None:
        state.lr_scale = plateau.step(values[-1])
    patience = config.early_stopping
    if patience is not None and should_stop(values, patience, mode):
        state.stop = True  # no new best for `patience` epochs
    return is_best


def _copy_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the state dict; state_dict() alone holds references to the live tensors."""
    return {name: t.detach().clone() for name, t in model.state_dict().items()}


def _monitored_curve(history: History, monitor: str) -> tuple[str, list[float]]:
    """(mode, values): the monitored validation curve and whether higher ("max") is better."""
    return ("max", history.val_acc) if monitor == "val_acc" else ("min", history.val_loss)


def _postfix(history: History) -> dict[str, str]:
    shown = {"loss": f"{history.train_loss[-1]:.4f}"}
    if history.val_acc:
        shown["val_acc"] = f"{history.val_acc[-1]:.4f}"
    return shown


def _check_finite(loss_sum: torch.Tensor, state: TrainState, x: torch.Tensor, since: int) -> None:
    """Raise TrainingDiverged if a loss since step `since` was NaN or inf (one host sync)."""
    check_finite(loss_sum, lambda: _diagnose(loss_sum, state, x, since))


def _diagnose(loss_sum: torch.Tensor, state: TrainState, x: torch.Tensor, since: int):
    """The divergence error of fit: where it happened and the likely causes, most likely first."""
    lr, clip = state.lr, state.config.optim.clip_grad_norm
    causes = []
    n_bad = int((~torch.isfinite(x)).sum())
    if n_bad:
        causes.append(f"the training inputs contain {n_bad} NaN/inf values: clean or drop them")
    largest = float(x.nan_to_num(0.0, 0.0, 0.0).abs().max())
    if largest > 10:
        causes.append(f"inputs are not scaled (max |x| = {largest:g}): divide pixels by 255")
    causes.append(f"the learning rate {lr:g} is too high: try {lr / 10:g}")
    if clip is None:
        causes.append("no gradient clipping: try OptimConfig(clip_grad_norm=5.0)")
    causes.append("a bad initialisation (weights too large): check MLPConfig.init/init_scale")
    if since + 1 == state.step:
        where = f"step {state.step}"
    else:  # the loss is checked every check_every steps
        where = f"a step between {since + 1} and {state.step} (check_every=1 finds which)"
    return TrainingDiverged(
        f"Training diverged: the loss became {float(loss_sum)} at {where} of epoch {state.epoch}"
        f" (steps count from 1), learning rate {lr:g}.\nLikely causes, in order:"
        + "".join(f"\n  - {cause}" for cause in causes),
        step=state.step if since + 1 == state.step else None,
    )
