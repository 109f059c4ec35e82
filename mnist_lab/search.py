"""Hyperparameter search: short seeded runs, log-scale ranges, grid and random studies (lesson 11).

    data = short_run_data(load_splits(val_size=10_000))     # 5,000 train / 2,000 val images
    objective = make_objective(data, SearchSpace())         # one trial = one short run
    grid = grid_study(objective, SearchSpace(), 3)          # 3 × 3 = 9 trials
    rand = random_study(objective, 9, seed=0)
    table = trials_table(rand)                              # plain arrays for plotting

The searching itself is Optuna's (samplers, pruners, storage); this module only supplies the
objective, a short training run with `mnist_lab.train.fit` on a fixed seeded subset, and turns
studies into plain arrays. Every trial starts from the same initial weights and sees the same
batches, so two trials differ only in their hyperparameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import optuna
import torch

from mnist_lab.data import Splits, stratified_subset
from mnist_lab.device import seed_everything
from mnist_lab.models import MLP, MLPConfig
from mnist_lab.optim import OptimConfig
from mnist_lab.train import Callback, TrainConfig, TrainingDiverged, fit

CHANCE = 0.1  # the score of a run that diverged: no better than guessing one of 10 digits


def _check_range(name: str, low: float, high: float) -> None:
    if not (0 < low < high and math.isfinite(high)):
        raise ValueError(
            f"{name} range must satisfy 0 < low < high for log-scale search, got "
            f"({low!r}, {high!r}); e.g. (1e-4, 1e-1)"
        )


@dataclass(frozen=True)
class SearchSpace:
    """The (low, high) ranges searched for the learning rate and weight decay, log scale."""

    lr: tuple[float, float] = (1e-3, 1.0)
    weight_decay: tuple[float, float] = (1e-6, 1e-1)

    def __post_init__(self) -> None:
        _check_range("lr", *self.lr)
        _check_range("weight_decay", *self.weight_decay)

    def refine(self, lr: float, weight_decay: float, factor: float = 3.0,
               wd_factor: float | None = None) -> SearchSpace:
        """A narrower space around (lr, weight_decay): × and ÷ `factor`, kept inside this one."""
        return SearchSpace(
            refine_range(lr, factor, self.lr),
            refine_range(weight_decay, wd_factor or factor, self.weight_decay),
        )


@dataclass(frozen=True)
class ShortRun:
    """A tiny training run that scores one trial: small subset, few epochs (lesson 11)."""

    train_size: int = 5_000
    val_size: int = 2_000
    epochs: int = 2
    batch_size: int = 256
    hidden: int = 100
    optimizer: str = "sgd"
    momentum: float = 0.9
    seed: int = 0  # the same initial weights and batch order for every trial
    device: str | None = None

    def __post_init__(self) -> None:
        for name in ("train_size", "val_size", "epochs", "batch_size", "hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"ShortRun.{name} must be >= 1, got {getattr(self, name)}")


# ---- log scales ------------------------------------------------------------------------------


def sample_log_uniform(low: float, high: float, n: int,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """n samples, float64, spread evenly over the decades between low and high (lesson 11)."""
    _check_range("sample", low, high)
    u = torch.rand(n, generator=generator, dtype=torch.float64)  # uniform in [0, 1)
    return torch.exp(math.log(low) + u * (math.log(high) - math.log(low)))


def log_grid(low: float, high: float, n: int) -> torch.Tensor:
    """n points from low to high (both included), equally spaced on a log scale (lesson 11)."""
    _check_range("grid", low, high)
    if n < 1:
        raise ValueError(f"a grid needs n >= 1 points, got {n}")
    points = torch.logspace(math.log10(low), math.log10(high), n, dtype=torch.float64)
    points[0] = low  # exact ends: 10**log10(x) can round just outside the range
    if n > 1:
        points[-1] = high
    return points


def refine_range(best: float, factor: float,
                 within: tuple[float, float] | None = None) -> tuple[float, float]:
    """(best / factor, best × factor), clipped to `within`: the next, finer range (lesson 11)."""
    if not (best > 0 and factor > 1):
        raise ValueError(f"need best > 0 and factor > 1, got best={best!r}, factor={factor!r}")
    low, high = best / factor, best * factor
    if within is not None:
        low, high = max(low, within[0]), min(high, within[1])
    return low, high


# ---- the objective ---------------------------------------------------------------------------


def short_run_data(splits: Splits, run: ShortRun | None = None) -> Splits:
    """Balanced seeded subsets of splits.train and splits.val, sized for short runs."""
    run = run or ShortRun()
    if splits.val is None:
        raise ValueError("short runs are scored on a validation split: use "
                         "mnist_lab.data.load_splits(val_size=10_000)")
    parts = []
    for (x, y), n in ((splits.train, run.train_size), (splits.val, run.val_size)):
        keep = stratified_subset(y, n, seed=run.seed)
        parts.append((x[keep], y[keep]))
    return Splits(parts[0], parts[1])


class _ReportToTrial(Callback):
    """Hand each epoch's validation accuracy to an Optuna trial; stop if it says prune."""

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial

    def on_epoch_end(self, state) -> None:
        self.trial.report(state.history.val_acc[-1], step=state.epoch)
        if self.trial.should_prune():
            state.stop = True


def train_short_run(data: Splits, lr: float, weight_decay: float,
                    run: ShortRun | None = None, trial: optuna.Trial | None = None) -> float:
    """Train a fresh 784→hidden→10 net briefly; return its last validation accuracy (lesson 11).

    With a `trial`, each epoch's accuracy is reported to it, and the run raises
    optuna.TrialPruned when the trial's pruner says so. A run that diverges scores CHANCE.
    """
    run = run or ShortRun()
    seed_everything(run.seed)  # the same initial weights for every trial
    model = MLP(MLPConfig(sizes=(784, run.hidden, 10), hidden_activation="relu",
                          output_activation="none"))
    optim = OptimConfig(run.optimizer, lr=lr, weight_decay=weight_decay,
                        momentum=run.momentum if run.optimizer in ("sgd", "rmsprop") else 0.0)
    config = TrainConfig(epochs=run.epochs, batch_size=run.batch_size, loss="cross_entropy",
                         optim=optim, seed=run.seed, device=run.device, progress=False,
                         log_every=10_000)
    callbacks = [] if trial is None else [_ReportToTrial(trial)]
    try:
        history = fit(model, data, config, callbacks=callbacks)
    except TrainingDiverged:
        return CHANCE
    if trial is not None and history.stopped_epoch is not None:
        raise optuna.TrialPruned(f"pruned after epoch {history.stopped_epoch}")
    return history.val_acc[-1]


def make_objective(data: Splits, space: SearchSpace | None = None,
                   run: ShortRun | None = None) -> Callable[[optuna.Trial], float]:
    """An Optuna objective: suggest lr and weight_decay (log scale), score a short run."""
    space = space or SearchSpace()

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", *space.lr, log=True)
        wd = trial.suggest_float("weight_decay", *space.weight_decay, log=True)
        return train_short_run(data, lr, wd, run, trial)

    return objective


# ---- studies ---------------------------------------------------------------------------------


def run_study(objective: Callable[[optuna.Trial], float], sampler: optuna.samplers.BaseSampler,
              n_trials: int, pruner: optuna.pruners.BasePruner | None = None,
              study_name: str | None = None) -> optuna.Study:
    """A fresh in-memory study that maximises the objective for n_trials (lesson 11)."""
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    study = optuna.create_study(direction="maximize", sampler=sampler,
                                pruner=pruner or optuna.pruners.NopPruner(),
                                study_name=study_name)
    study.optimize(objective, n_trials=n_trials)
    return study


def grid_study(objective: Callable[[optuna.Trial], float], space: SearchSpace,
               points_per_axis: int = 3, seed: int = 0) -> optuna.Study:
    """Every point of a log grid, points_per_axis² trials in all (in a seeded order)."""
    grid = {"lr": log_grid(*space.lr, points_per_axis).tolist(),
            "weight_decay": log_grid(*space.weight_decay, points_per_axis).tolist()}
    sampler = optuna.samplers.GridSampler(grid, seed=seed)
    return run_study(objective, sampler, points_per_axis**2)


def random_study(objective: Callable[[optuna.Trial], float], n_trials: int,
                 seed: int = 0) -> optuna.Study:
    """n_trials points drawn by a seeded RandomSampler (log-uniform where suggested so)."""
    return run_study(objective, optuna.samplers.RandomSampler(seed=seed), n_trials)


def trials_table(study: optuna.Study) -> dict[str, np.ndarray]:
    """The study's trials as arrays: lr, weight_decay, value, first, pruned, epochs.

    `value` is a finished trial's score, or a pruned trial's last reported one; `first` the
    score it reported after its first epoch; `epochs` how many epochs it reported. Trials that
    reported nothing have NaN scores and 0 epochs.
    """
    trials = study.get_trials(deepcopy=False)
    pruned = optuna.trial.TrialState.PRUNED

    def first(t: optuna.trial.FrozenTrial) -> float:
        steps = t.intermediate_values
        return steps[min(steps)] if steps else float("nan")

    def score(t: optuna.trial.FrozenTrial) -> float:
        if t.value is not None:
            return t.value
        if t.intermediate_values:
            return t.intermediate_values[max(t.intermediate_values)]
        return float("nan")

    return {
        "lr": np.array([t.params["lr"] for t in trials]),
        "weight_decay": np.array([t.params["weight_decay"] for t in trials]),
        "value": np.array([score(t) for t in trials]),
        "first": np.array([first(t) for t in trials]),
        "pruned": np.array([t.state == pruned for t in trials]),
        "epochs": np.array([len(t.intermediate_values) for t in trials]),
    }


def best_so_far(values: np.ndarray) -> np.ndarray:
    """The running maximum of trial scores: what the search has found after each trial."""
    return np.maximum.accumulate(np.nan_to_num(np.asarray(values, dtype=float), nan=-np.inf))


# ---- exercise check --------------------------------------------------------------------------


def check_log_uniform_sampler(sampler: Callable, low: float, high: float, n: int = 20_000,
                              seed: int = 0, max_ks: float = 0.02, quiet: bool = False) -> bool:
    """Check sampler(low, high, n, generator): n values in [low, high], log-uniform, seeded.

    Any correct method passes (exp of a uniform, 10 ** uniform, float32 or float64): the check
    compares distributions, not values. Raises mnist_lab.checks.CheckFailed saying what is wrong.
    """
    from mnist_lab.checks import CheckFailed  # the exercise checks' error type

    def draw(s: int) -> torch.Tensor:
        out = sampler(low, high, n, torch.Generator().manual_seed(s))
        if out is None:
            raise CheckFailed("sample_log_uniform returned None — did you forget a `return`?")
        return torch.as_tensor(np.asarray(out, dtype=np.float64)).flatten()

    where = f"sample_log_uniform({low:g}, {high:g}, {n}, generator)"
    first = draw(seed)
    if first.shape != (n,):
        raise CheckFailed(f"{where} gave {first.numel()} values, expected {n}.")
    slack = 1e-5 * (high - low)  # float32 rounding at the ends is fine
    if not (first.min() >= low - slack and first.max() <= high + slack):
        raise CheckFailed(f"{where} gave values from {first.min():.3g} to {first.max():.3g}, "
                          f"outside [{low:g}, {high:g}].")
    if not torch.equal(first, draw(seed)):
        raise CheckFailed(f"{where} differs between two generators with the same seed: draw "
                          "the random numbers from `generator` (torch.rand(n, generator=...)).")
    if n > 1 and torch.equal(first, draw(seed + 1)):
        raise CheckFailed(f"{where} ignores the generator's seed: pass `generator` to torch.rand.")
    if n >= 100:  # where each sample sits between log(low) and log(high): uniform in [0, 1]
        z = ((first.clamp(low, high).log() - math.log(low)) / math.log(high / low)).sort().values
        ecdf = torch.arange(1, n + 1, dtype=torch.float64) / n
        ks = float(torch.maximum(ecdf - z, z - (ecdf - 1 / n)).abs().max())
        if ks > max_ks:
            raise CheckFailed(
                f"{where} is not log-uniform: the share of samples below a point differs by up to"
                f" {ks:.0%} from the log-uniform share (e.g. the median should be "
                f"{math.sqrt(low * high):.3g}, yours is {float(first.median()):.3g}). Hint: draw "
                "u uniformly in [log(low), log(high)] and return exp(u); not uniform in "
                "[low, high].")
    if not quiet:
        print(f"✓ {where}: in range, log-uniform, reproducible with the generator.")
    return True
