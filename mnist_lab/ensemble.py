"""Ensembles: average or vote over several models, snapshots, weight averaging (lesson 16).

- `mean_std`: results over several seeds, reported as mean ± std.
- `mean_probs` / `average_probs`: the ensemble's probabilities are the mean of its members'.
- `majority_vote` / `vote`: each member votes for its argmax; the most votes win. A tie goes to
  the smallest class index among the tied classes (torch.argmax returns the first maximum), so
  the answer never depends on the order of the members.
- `Snapshots`: a `fit` callback that keeps a copy of the model every `every` steps, e.g. at the
  end of each cycle of the "cyclic" schedule, where the learning rate is lowest.
- `EMA`: a `fit` callback that keeps an exponential moving average of the weights with
  torch.optim.swa_utils (Polyak averaging).
- `train_stacked`: K models of one architecture trained as ONE batched computation. Their
  parameters are stacked into tensors with a leading K axis (`torch.func.stack_module_state`), the
  forward pass is `torch.vmap` of `torch.func.functional_call`, and one optimiser steps the
  stacked tensors. Adam and SGD update each number on its own, so this is K independent runs.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from mnist_lab.data import minibatches
from mnist_lab.device import get_device, seed_everything
from mnist_lab.losses import make_loss
from mnist_lab.metrics import EVAL_BATCH_SIZE, model_outputs, predict_proba
from mnist_lab.numerics import TrainingDiverged, check_finite, flush_denormals
from mnist_lab.optim import make_optimizer, set_lr
from mnist_lab.schedules import lr_at
from mnist_lab.train import Callback, TrainConfig, TrainState
from mnist_lab.train_checks import check_xy, num_outputs, split_data

# ---- combining predictions -------------------------------------------------------------------


def mean_probs(probs: Sequence[torch.Tensor]) -> torch.Tensor:
    """The mean (N, C) of K members' probabilities, each (N, C) (lesson 16)."""
    probs = _same_shapes(probs, "probability tensors")
    return torch.stack(list(probs)).mean(dim=0)  # (K, N, C) → (N, C)


def majority_vote(preds: Sequence[torch.Tensor], num_classes: int | None = None) -> torch.Tensor:
    """The class (N,) most members predict; preds: K tensors (N,) or one (K, N) (lesson 16).

    Ties go to the smallest class index among the tied classes. num_classes defaults to the
    largest predicted class + 1.
    """
    preds = _same_shapes(preds, "prediction tensors")
    stacked = torch.stack(list(preds)).long()  # (K, N)
    if stacked.ndim != 2:
        raise ValueError(
            f"each prediction tensor must be (N,) class indices, got {tuple(stacked.shape[1:])}"
        )
    if num_classes is None:
        num_classes = int(stacked.max()) + 1
    votes = F.one_hot(stacked, num_classes).sum(dim=0)  # (N, C): how many members chose each
    return votes.argmax(dim=1)  # the first maximum, i.e. the smallest tied class


def average_probs(
    models: Sequence[nn.Module], x: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE
) -> torch.Tensor:
    """The ensemble's probabilities (N, C): the mean of each model's predict_proba (lesson 16)."""
    _check_models(models)
    return mean_probs([predict_proba(m, x, batch_size) for m in models])


def vote(
    models: Sequence[nn.Module], x: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE
) -> torch.Tensor:
    """The ensemble's majority-vote class (N,); ties go to the smallest class (lesson 16)."""
    _check_models(models)
    outputs = _same_shapes([model_outputs(m, x, batch_size) for m in models], "model outputs")
    return majority_vote([out.argmax(dim=1) for out in outputs], num_classes=outputs[0].shape[1])


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """The mean and the sample standard deviation (n − 1) of results over seeds (lesson 16).

    One value gives a std of 0.0: a single run says nothing about the spread.
    """
    values = [float(v) for v in values]
    if not values:
        raise ValueError("need at least one result to average, got none")
    mean = sum(values) / len(values)
    if len(values) == 1:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _same_shapes(tensors: Sequence[torch.Tensor], what: str) -> Sequence[torch.Tensor]:
    if isinstance(tensors, torch.Tensor):
        tensors = list(tensors.unbind(0))  # one (K, ...) tensor: K members
    if len(tensors) == 0:
        raise ValueError(f"need at least one of the members' {what}, got none")
    shapes = [tuple(t.shape) for t in tensors]
    if len(set(shapes)) > 1:
        raise ValueError(
            f"the members' {what} must all have one shape, got {shapes}: did the models see the "
            "same inputs and have the same number of outputs?"
        )
    return tensors


def _check_models(models: Sequence[nn.Module]) -> None:
    if isinstance(models, nn.Module) or len(models) == 0:
        raise TypeError("models must be a non-empty list of nn.Module, e.g. [model_a, model_b]")


# ---- snapshots and weight averaging (callbacks for fit) ---------------------------------------


class Snapshots(Callback):
    """Keep a copy of the model every `every` optimiser steps in `.models` (lesson 16).

    With ScheduleConfig("cyclic", cycle_steps=c), every=c takes one snapshot at the end of each
    cycle, where the learning rate is lowest: a snapshot ensemble from one run.
    """

    def __init__(self, every: int) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1 step, got {every}")
        self.every = every
        self.models: list[nn.Module] = []

    def on_train_begin(self, state: TrainState) -> None:
        self.models = []

    def on_step_end(self, state: TrainState) -> None:
        if state.step % self.every == 0:
            snapshot = copy.deepcopy(state.model)
            snapshot.eval()
            self.models.append(snapshot)


class EMA(Callback):
    """An exponential moving average of the weights, updated after every step (lesson 16).

    avg ← decay·avg + (1 − decay)·weights, with torch.optim.swa_utils.AveragedModel; the first
    update copies the weights. `.model` is the averaged nn.Module, ready to evaluate. Only
    parameters are averaged: a model with BatchNorm needs its statistics recomputed for the
    averaged weights (torch.optim.swa_utils.update_bn), so the course's nets use none.
    """

    def __init__(self, decay: float = 0.99) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), e.g. 0.99 or 0.999, got {decay}")
        self.decay = decay
        self.averaged: AveragedModel | None = None

    @property
    def model(self) -> nn.Module:
        """The averaged weights as a plain module (the wrapped copy inside AveragedModel)."""
        if self.averaged is None:
            raise RuntimeError("EMA has no average yet: pass it to fit(..., callbacks=[ema]) first")
        return self.averaged.module

    def on_train_begin(self, state: TrainState) -> None:
        multi_avg_fn = get_ema_multi_avg_fn(self.decay)
        self.averaged = AveragedModel(state.model, multi_avg_fn=multi_avg_fn)

    def on_step_end(self, state: TrainState) -> None:
        self.averaged.update_parameters(state.model)


# ---- K models as one batched computation -----------------------------------------------------


def stack_parameters(models: Sequence[nn.Module]) -> dict[str, torch.Tensor]:
    """The members' parameters stacked: name → leaf tensor (K, *shape) (lesson 16).

    The models must share one architecture and hold no buffers (BatchNorm's running statistics
    would be updated in place inside vmap).
    """
    _check_models(models)
    first = dict(models[0].named_parameters())
    for k, model in enumerate(models):
        if type(model) is not type(models[0]):
            raise ValueError(
                f"model {k} is a {type(model).__name__} and model 0 a {type(models[0]).__name__}: "
                "stacked training needs models of one architecture"
            )
        params = dict(model.named_parameters())
        if params.keys() != first.keys():
            raise ValueError(
                f"model {k} has parameters {sorted(params)} but model 0 has {sorted(first)}: "
                "stacked training needs models of one architecture"
            )
        for name, p in params.items():
            if p.shape != first[name].shape:
                raise ValueError(
                    f"model {k}'s parameter {name!r} has shape {tuple(p.shape)}, model 0's "
                    f"{tuple(first[name].shape)}: stacked training needs models of one "
                    "architecture (the same MLPConfig)"
                )
        if any(True for _ in model.buffers()):
            raise ValueError(
                f"model {k} has buffers (BatchNorm's running statistics?): stacked training "
                "supports parameters only; use MLPConfig(norm='layer') or norm='none'"
            )
    params, _ = stack_module_state(list(models))  # new leaves: (K, *shape), requires_grad
    return params


def unstack_parameters(params: dict[str, torch.Tensor], models: Sequence[nn.Module]) -> None:
    """Copy member k's slice params[name][k] into models[k], in place (lesson 16)."""
    with torch.no_grad():
        for k, model in enumerate(models):
            for name, p in model.named_parameters():
                p.copy_(params[name][k])


def stacked_forward(
    params: dict[str, torch.Tensor], template: nn.Module, x: torch.Tensor
) -> torch.Tensor:
    """All K members' outputs (K, B, C) for one shared input batch x (B, ...) (lesson 16)."""

    def one_member(member_params: dict[str, torch.Tensor], xb: torch.Tensor) -> torch.Tensor:
        return functional_call(template, member_params, (xb,))

    # in_dims: params batched along dim 0 (the K axis), x shared by every member
    return torch.vmap(one_member, in_dims=(0, None), randomness="different")(params, x)


def train_stacked(
    models: Sequence[nn.Module], data: Any, config: TrainConfig | None = None
) -> list[nn.Module]:
    """Train K models of one architecture together, as one batched computation (lesson 16).

    Every member sees the same mini-batches in the same order as `fit(model, data, config)`
    would give it, so the result equals K separate `fit` runs up to float rounding (members
    differ by their initial weights). data: an (x, y) pair, or a Splits (only .train is used).
    The models are trained in place and returned. Not supported, because they are per-model
    or need validation data: clip_grad_norm, switch_to_sgd_epoch, early_stopping, restore_best,
    plateau schedules.
    """
    config = config or TrainConfig()
    _check_stacked_config(config)
    device = get_device(config.device)
    generator = seed_everything(config.seed)  # the batch order fit would use
    models = list(models)
    for model in models:
        model.to(device).train()
    (x, y), _ = split_data(data, device)  # the same input checks as fit
    check_xy(x, y, "train")
    params = stack_parameters(models)
    template = copy.deepcopy(models[0]).to("meta")  # structure only; weights come from params
    loss_fn = make_loss(config.loss, config.class_weights, num_outputs(models[0], x))
    optimizer = make_optimizer(params.values(), config.optim)  # elementwise: K independent runs
    total_steps = config.epochs * math.ceil(len(x) / config.batch_size)
    step, loss_sum = 0, torch.zeros((), device=device)
    with flush_denormals(device.type == "cpu"):
        for _ in range(config.epochs):
            for idx in minibatches(len(x), config.batch_size, shuffle=config.shuffle,
                                   generator=generator, device=device):
                xb, yb = x.index_select(0, idx), y.index_select(0, idx)  # (B, 784), (B,)
                set_lr(optimizer, lr_at(config.schedule, config.optim.base_lr, step, total_steps))
                out = stacked_forward(params, template, xb)  # (K, B, C)
                # the sum of the K members' mean losses: member k's gradient is its own
                loss = torch.vmap(loss_fn, in_dims=(0, None))(out, yb).sum()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                step += 1
                loss_sum += loss.detach()  # stays on the device: no host sync per step
                if step % config.check_every == 0 or step == total_steps:
                    _check_finite(loss_sum, step)  # one host sync every check_every steps
                    loss_sum.zero_()
    unstack_parameters(params, models)
    return models


def _check_finite(loss_sum: torch.Tensor, step: int) -> None:
    """Stop at the first check after a NaN/inf loss instead of training on through it."""
    check_finite(loss_sum, lambda: TrainingDiverged(
        f"stacked training diverged by step {step}: a member's loss became "
        f"{float(loss_sum)}; try a lower learning rate, or fit() the members one by one to "
        "see which one (fit's error lists the likely causes)"
    ))


def _check_stacked_config(config: TrainConfig) -> None:
    unsupported = {
        "optim.clip_grad_norm": config.optim.clip_grad_norm,  # one global norm per member
        "optim.switch_to_sgd_epoch": config.optim.switch_to_sgd_epoch,
        "early_stopping": config.early_stopping,
        "schedule.plateau_patience": config.schedule.plateau_patience,
    }
    set_ = [name for name, value in unsupported.items() if value is not None]
    if config.restore_best:
        set_.append("restore_best")
    if set_:
        raise ValueError(
            f"train_stacked does not support {', '.join(set_)}: train those models one by one "
            "with mnist_lab.train.fit"
        )


def ema_update(avg: torch.Tensor, new: torch.Tensor, decay: float) -> torch.Tensor:
    """One step of an exponential moving average, decay · avg + (1 − decay) · new, as a new
    tensor: what torch.optim.swa_utils.get_ema_multi_avg_fn does to every parameter (lesson 16)."""
    return torch.lerp(avg, new, 1 - decay)
