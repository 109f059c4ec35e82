"""Callbacks for `fit`: code that watches or steers training without changing the loop (lesson 08).

A callback overrides the hooks it needs; `fit` calls them with its `TrainState`. Watching:
`UpdateRatio` and `GradNorms` record one number per weight matrix every few steps. Steering:
`SwitchOptimizer` swaps the optimiser at the end of an epoch (lesson 15), and any callback (or a
UI's Stop button) ends training by setting `state.stop = True`, which `fit` reads after every
step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from mnist_lab.optim import OptimConfig, make_optimizer

if TYPE_CHECKING:  # only for annotations: train.py imports this module
    from mnist_lab.train import TrainState


class Callback:
    """Base class for callbacks: override the hooks you need (lesson 08)."""

    def on_train_begin(self, state: TrainState) -> None:
        """Called once, before the first step."""

    def on_step_end(self, state: TrainState) -> None:
        """Called after every optimiser step; keep it cheap (no .item(): it waits for a GPU)."""

    def on_epoch_end(self, state: TrainState) -> None:
        """Called after each epoch's evaluation; state.history has the epoch's numbers."""


class SwitchOptimizer(Callback):
    """Continue with a fresh optimiser built from `to` after epoch `at_epoch` (lesson 15).

    The classic use is Adam → SGD with momentum: Adam's fast start, then SGD's finish. Nothing
    of the old optimiser's state (Adam's running averages) is carried over. Records the epoch in
    history.extras[f"switched_to_{to.name}_epoch"]. `OptimConfig(switch_to_sgd_epoch=k)` adds
    `SwitchOptimizer(k, config.sgd_phase())` to fit's callbacks for you.
    """

    def __init__(self, at_epoch: int, to: OptimConfig) -> None:
        if at_epoch < 1:
            raise ValueError(f"at_epoch counts epochs from 1, got {at_epoch}")
        self.at_epoch, self.to = at_epoch, to

    def on_epoch_end(self, state: TrainState) -> None:
        last_epoch = state.epoch == state.config.epochs
        if state.epoch != self.at_epoch or last_epoch or state.stop:
            return  # not yet, or training ends anyway: no step would use the new optimiser
        state.optimizer = make_optimizer(state.model.parameters(), self.to)
        state.base_lr = self.to.base_lr
        state.history.extras[f"switched_to_{self.to.name}_epoch"] = state.epoch


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

    Norms that shrink towards the input layer show vanishing gradients (lesson 14). With
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
