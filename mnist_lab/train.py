"""The training loop: `fit` a model to the data, epoch by epoch (lessons 07 and 08).

The heart of it is `train_one_epoch`, one mini-batch at a time:

    for idx in minibatches:                 # slices of a seeded randperm, on the device
        out = model(x[idx])                 # forward
        loss = loss_fn(out, y[idx])         # how wrong
        optimizer.zero_grad()
        loss.backward()                     # gradients
        optimizer.step()                    # update

Everything else is bookkeeping around those lines: the learning-rate schedule, a running loss
kept on the device (read once per epoch, not once per step, so the CPU never waits for the GPU),
a NaN check every few steps, evaluation on the validation split, early stopping with the best
weights restored, switching from Adam to SGD part-way, and callbacks for monitoring.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from mnist_lab.data import minibatches
from mnist_lab.device import get_device, seed_everything
from mnist_lab.losses import LOSSES, LossFn, make_loss
from mnist_lab.metrics import EVAL_BATCH_SIZE, evaluate, model_outputs
from mnist_lab.optim import OptimConfig, make_optimizer
from mnist_lab.progress import progress
from mnist_lab.schedules import ReduceOnPlateau, ScheduleConfig, lr_at

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
    stopped_epoch: int | None = None  # the epoch where early stopping ended training, if it did
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
    stop: bool = False  # a callback may set this to end training after the epoch


class Callback:
    """Base class for callbacks: override the hooks you need (lesson 07)."""

    def on_train_begin(self, state: TrainState) -> None:
        """Called once, before the first step."""

    def on_step_end(self, state: TrainState) -> None:
        """Called after every optimiser step; keep it cheap (no .item())."""

    def on_epoch_end(self, state: TrainState) -> None:
        """Called after each epoch's evaluation; state.history has the epoch's numbers."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or inf; the message says where and what to try (lessons 07 and 13)."""


def train_one_epoch(
    state: TrainState,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: LossFn,
    generator: torch.Generator,
    callbacks: Sequence[Callback] = (),
) -> tuple[float, float]:
    """One pass over (x, y) in mini-batches; returns (mean loss, accuracy) (lesson 08).

    Both are running averages over the epoch's batches, taken while the weights change.
    """
    model, cfg = state.model, state.config
    model.train()  # nn.Module.train(): dropout and batch norm in training mode
    loss_sum = torch.zeros((), device=x.device)  # summed on the device: no .item() per step
    correct = torch.zeros((), dtype=torch.long, device=x.device)
    logged, logged_steps, checked = [], [], state.step
    batches = minibatches(
        len(x), cfg.batch_size, shuffle=cfg.shuffle, generator=generator, device=x.device
    )  # index tensors: slices of a seeded randperm, on the data's device
    for idx in batches:
        # = x[idx], y[idx]; index_select copies whole rows, about twice as fast on the CPU
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)  # (B, 784), (B,)
        _set_lr(state)
        out = model(xb)  # (B, C)
        loss = loss_fn(out, yb)
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.optim.clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.clip_grad_norm)
        state.optimizer.step()

        state.step += 1
        state.loss = loss.detach()
        loss_sum += state.loss * len(idx)
        correct += (out.argmax(dim=1) == yb).sum()
        if state.step % cfg.log_every == 0:
            logged.append(state.loss)  # a 0-d tensor; read at the end of the epoch
            logged_steps.append(state.step)
        for callback in callbacks:
            callback.on_step_end(state)
        if state.step % cfg.check_every == 0:
            _check_finite(loss_sum, state, x, since=checked)
            checked = state.step
    _check_finite(loss_sum, state, x, since=checked)
    state.history.steps += logged_steps
    state.history.step_losses += torch.stack(logged).tolist() if logged else []
    return loss_sum.item() / len(x), correct.item() / len(x)


def _set_lr(state: TrainState) -> None:
    """Put the scheduled learning rate for the coming step into the optimiser."""
    cfg = state.config
    state.lr = lr_at(cfg.schedule, state.base_lr * state.lr_scale, state.step, state.total_steps)
    for group in state.optimizer.param_groups:
        group["lr"] = state.lr


def fit(
    model: nn.Module,
    data: Any,
    config: TrainConfig | None = None,
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train `model` on data.train, evaluating on data.val after each epoch (lesson 07).

    data: a `mnist_lab.data.Splits` (uses .train and .val; .test is never touched), or an
    (x, y) pair to train on without validation. Data and model move to config.device. Returns
    the History; the model is trained in place.
    """
    config = config or TrainConfig()
    device = get_device(config.device)
    generator = seed_everything(config.seed)  # a CPU generator for the batch order
    model.to(device)
    (x, y), val = split_data(data, device)
    num_classes = _check_setup(model, x, y, val, config)
    loss_fn = make_loss(config.loss, config.class_weights, num_classes)
    optim_cfg = config.optim
    history = History()
    state = TrainState(
        model,
        make_optimizer(model.parameters(), optim_cfg),
        config,
        history,
        total_steps=config.epochs * math.ceil(len(x) / config.batch_size),
        base_lr=optim_cfg.base_lr,
    )
    plateau = _make_plateau(config)
    best_weights = None
    for callback in callbacks:
        callback.on_train_begin(state)
    bar = progress(range(1, config.epochs + 1), desc="epochs", enabled=config.progress)
    with flush_denormals(device):
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
            if epoch == optim_cfg.switch_to_sgd_epoch and epoch < config.epochs:
                optim_cfg = optim_cfg.sgd_phase()  # Adam → SGD: fresh optimiser, no Adam state
                state.optimizer = make_optimizer(model.parameters(), optim_cfg)
                state.base_lr = optim_cfg.base_lr
                history.extras["switched_to_sgd_epoch"] = epoch
    bar.close()
    if best_weights is not None:
        model.load_state_dict(best_weights)
    return history


# ---- fit's helpers ----


def split_data(data: Any, device: torch.device) -> tuple[tuple, tuple | None]:
    """(x, y) for training and (x, y) or None for validation, on `device` (lesson 07)."""
    train, val = (data, None) if isinstance(data, tuple) else (data.train, data.val)
    if train is None or len(train) != 2:
        raise TypeError("data must be a Splits with a .train (x, y) pair, or an (x, y) pair")
    train = tuple(t.to(device) for t in train)
    val = None if val is None else tuple(t.to(device) for t in val)
    return train, val


def check_xy(x: torch.Tensor, y: torch.Tensor, split: str) -> None:
    """Raise a clear error unless x is float and y holds as many int64 labels (lesson 07)."""
    if not x.is_floating_point():
        raise TypeError(f"{split} x is {x.dtype}; scale pixels to float first (data.scale)")
    if y.dtype != torch.int64 or y.ndim != 1:
        raise TypeError(
            f"{split} y must be int64 class labels of shape (N,), got {y.dtype} {tuple(y.shape)};"
            " pass labels, not one-hot vectors (the loss one-hot encodes them itself)"
        )
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"{split} has {len(x)} inputs and {len(y)} labels; need as many, > 0")


def _check_setup(model: nn.Module, x, y, val, config: TrainConfig) -> int:
    """Raise clear errors for mistakes that would otherwise fail deep in torch, or silently.

    Returns the number of classes (the model's output width)."""
    check_xy(x, y, "train")
    if val is not None:
        check_xy(*val, "val")
    watches_val = (
        config.early_stopping is not None
        or config.restore_best
        or config.schedule.plateau_patience is not None
    )
    if val is None and watches_val:
        raise ValueError(
            "early_stopping, restore_best and plateau_patience watch the validation split, and "
            "data has none: use mnist_lab.data.load_splits(val_size=10_000)"
        )
    n_out = num_outputs(model, x)
    if int(y.min()) < 0 or int(y.max()) >= n_out:
        raise ValueError(f"labels must be in 0..{n_out - 1} for a model with {n_out} outputs")
    out_act = getattr(getattr(model, "cfg", None), "output_activation", None)
    if config.loss == "bce" and out_act not in (None, "sigmoid"):
        raise ValueError(
            f"loss='bce' needs outputs in [0, 1], but the model's output_activation is "
            f"{out_act!r}: use loss='cross_entropy' for logits, or output_activation='sigmoid'"
        )
    if config.loss == "cross_entropy" and out_act not in (None, "none"):
        warnings.warn(
            f"loss='cross_entropy' applies softmax itself, but the model already squashes its "
            f"outputs with {out_act!r}; use MLP(output_activation='none') for logits",
            stacklevel=3,
        )
    return n_out


def num_outputs(model: nn.Module, x: torch.Tensor) -> int:
    """Number of classes the model predicts: the width of its output for one sample."""
    return model_outputs(model, x[:1]).shape[1]


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
    is_best = _is_new_best(history, config.monitor)
    if is_best:
        history.best_epoch = state.epoch
    if plateau is not None:
        state.lr_scale = plateau.step(_monitored(history, config.monitor))
    patience = config.early_stopping
    if patience is not None and state.epoch - history.best_epoch >= patience:
        state.stop = True  # no new best for `patience` epochs
    return is_best


def _copy_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the state dict; state_dict() alone holds references to the live tensors."""
    return {name: t.detach().clone() for name, t in model.state_dict().items()}


def _monitored(history: History, monitor: str) -> float:
    return history.val_acc[-1] if monitor == "val_acc" else history.val_loss[-1]


def _is_new_best(history: History, monitor: str) -> bool:
    """Whether the latest epoch beats every earlier one on the monitored metric."""
    values = history.val_acc if monitor == "val_acc" else history.val_loss
    if len(values) == 1:
        return True
    earlier = values[:-1]
    return values[-1] > max(earlier) if monitor == "val_acc" else values[-1] < min(earlier)


def _postfix(history: History) -> dict[str, str]:
    shown = {"loss": f"{history.train_loss[-1]:.4f}"}
    if history.val_acc:
        shown["val_acc"] = f"{history.val_acc[-1]:.4f}"
    return shown


@contextmanager
def flush_denormals(device: torch.device) -> Iterator[None]:
    """Treat denormal floats as zero while training on the CPU.

    Adam's running averages decay towards zero through denormal numbers (below ~1e-38), which
    CPUs handle in slow microcode: flushing them cut a per-sample Adam step of the book's combined
    network from 112 to 80 µs on the course's CPU. Values that small change no result. GPUs are
    unaffected.
    torch's default (off) is put back afterwards.
    """
    flushing = device.type == "cpu" and torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if flushing:
            torch.set_flush_denormal(False)


def _check_finite(loss_sum: torch.Tensor, state: TrainState, x: torch.Tensor, since: int) -> None:
    """Raise TrainingDiverged if a loss since step `since` was NaN or inf (one host sync)."""
    if bool(torch.isfinite(loss_sum)):
        return
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
    raise TrainingDiverged(
        f"Training diverged: the loss became {float(loss_sum)} at {where} of epoch {state.epoch}"
        f" (steps count from 1), learning rate {lr:g}.\nLikely causes, in order:"
        + "".join(f"\n  - {cause}" for cause in causes)
    )


# ---- Built-in callbacks (lesson 07) ----


def _weight_matrices(model: nn.Module) -> dict[str, nn.Parameter]:
    """The trainable weight matrices by name (biases and norm gains left out)."""
    return {name: p for name, p in model.named_parameters() if p.ndim > 1 and p.requires_grad}


class _PerLayerRecorder(Callback):
    """Samples one number per weight matrix every `every` steps; at each epoch end the numbers
    go to history.extras[key] = {layer name: [values]} and extras[key + "_steps"] = [steps]."""

    key = ""

    def __init__(self, every: int = 10) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.every = every
        self._steps: list[int] = []
        self._rows: list[torch.Tensor] = []  # each (n_layers,), on the device

    def _record(self, state: TrainState, values: list[torch.Tensor]) -> None:
        self._steps.append(state.step)
        self._rows.append(torch.stack(values))

    def on_epoch_end(self, state: TrainState) -> None:
        if not self._rows:
            return
        names = list(_weight_matrices(state.model))
        columns = torch.stack(self._rows).T.tolist()  # (n_layers, n_samples): one host sync
        per_layer = state.history.extras.setdefault(self.key, {})
        for name, values in zip(names, columns):
            per_layer.setdefault(name, []).extend(values)
        state.history.extras.setdefault(self.key + "_steps", []).extend(self._steps)
        self._steps, self._rows = [], []


class UpdateRatio(_PerLayerRecorder):
    """‖weights after − before‖ / ‖before‖ of one step, per layer; healthy is about 1e-3.

    Well below 1e-3 learning is slow (LR too low); well above it is unstable (LR too high).
    Costs one copy of the weights every `every` steps. Recorded under extras["update_ratio"].
    """

    key = "update_ratio"

    def __init__(self, every: int = 10) -> None:
        super().__init__(every)
        self._before: list[torch.Tensor] | None = None

    def on_train_begin(self, state: TrainState) -> None:
        self._before = None
        self._snapshot_if_next_step_is_sampled(state)

    def on_step_end(self, state: TrainState) -> None:
        if self._before is not None:  # the step just taken started from these weights
            weights = _weight_matrices(state.model).values()
            ratios = [(w.detach() - b).norm() / b.norm() for w, b in zip(weights, self._before)]
            self._record(state, ratios)
            self._before = None
        self._snapshot_if_next_step_is_sampled(state)

    def _snapshot_if_next_step_is_sampled(self, state: TrainState) -> None:
        if (state.step + 1) % self.every == 0:
            self._before = [w.detach().clone() for w in _weight_matrices(state.model).values()]


class GradNorms(_PerLayerRecorder):
    """The gradient norm of each weight matrix every `every` steps; extras["grad_norm"].

    Norms that shrink towards the input layer show vanishing gradients (lesson 13). With
    OptimConfig.clip_grad_norm these are the norms after clipping.
    """

    key = "grad_norm"

    def on_step_end(self, state: TrainState) -> None:
        if state.step % self.every == 0:
            weights = _weight_matrices(state.model).values()
            self._record(state, [_norm_of_grad(w) for w in weights])


def _norm_of_grad(weight: nn.Parameter) -> torch.Tensor:
    """‖∂loss/∂weight‖, or 0 for a layer the loss did not reach."""
    return weight.grad.norm() if weight.grad is not None else weight.new_zeros(())
