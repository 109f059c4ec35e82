"""Tests for mnist_lab.search (lesson 11): log scales, short runs, studies, the exercise check."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest
import torch

from mnist_lab import search
from mnist_lab.checks import CheckFailed
from mnist_lab.data import Splits

optuna.logging.set_verbosity(optuna.logging.WARNING)

TINY_RUN = search.ShortRun(train_size=60, val_size=40, epochs=3, batch_size=16, hidden=8)


@pytest.fixture(scope="module")
def tiny_data() -> Splits:
    """Separable synthetic 'digits': class c lights up pixels c*78 … c*78+77."""
    gen = torch.Generator().manual_seed(0)

    def pair(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.arange(n) % 10
        x = 0.1 * torch.rand(n, 784, generator=gen)
        for c in range(10):
            x[y == c, c * 78:(c + 1) * 78] += 1.0
        return x, y

    return search.short_run_data(Splits(pair(100), pair(60)), TINY_RUN)


def stand_in(trial: optuna.Trial) -> float:
    """A cheap objective over the default space, for tests of the study helpers."""
    lr = trial.suggest_float("lr", *search.SearchSpace().lr, log=True)
    trial.suggest_float("weight_decay", *search.SearchSpace().weight_decay, log=True)
    return -abs(math.log10(lr / 0.1))


def test_sample_log_uniform_covers_decades_evenly():
    samples = search.sample_log_uniform(1e-4, 1.0, 40_000, torch.Generator().manual_seed(0))
    shares = np.histogram(samples.numpy(), bins=10.0 ** np.arange(-4, 1))[0] / len(samples)
    assert np.allclose(shares, 0.25, atol=0.01)
    assert samples.min() >= 1e-4 and samples.max() <= 1.0


def test_sample_log_uniform_same_seed_same_samples():
    a = search.sample_log_uniform(1e-3, 1.0, 50, torch.Generator().manual_seed(3))
    b = search.sample_log_uniform(1e-3, 1.0, 50, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@pytest.mark.parametrize("low, high", [(0.0, 1.0), (1.0, 0.1), (-1e-3, 1e-1), (1e-3, math.inf)])
def test_bad_ranges_raise_value_error(low, high):
    with pytest.raises(ValueError, match="0 < low < high"):
        search.SearchSpace(lr=(low, high))
    with pytest.raises(ValueError, match="0 < low < high"):
        search.sample_log_uniform(low, high, 5)


def test_log_grid_has_constant_ratio_and_exact_ends():
    grid = search.log_grid(3e-5, 0.7, 6)
    ratios = grid[1:] / grid[:-1]
    assert torch.allclose(ratios, ratios[0].expand(5), rtol=1e-12)
    assert grid[0].item() == 3e-5 and grid[-1].item() == 0.7


def test_refine_range_is_a_factor_each_side_clipped_to_the_old_range():
    assert search.refine_range(0.3, 3.0) == pytest.approx((0.1, 0.9))
    assert search.refine_range(0.5, 3.0, (1e-3, 1.0)) == pytest.approx((0.5 / 3, 1.0))


def test_refine_range_rejects_a_factor_of_one_or_less():
    with pytest.raises(ValueError, match="factor > 1"):
        search.refine_range(0.1, 1.0)


def test_search_space_refine_stays_inside_the_old_space():
    space = search.SearchSpace(lr=(1e-3, 1.0), weight_decay=(1e-5, 1e-1))
    fine = space.refine(0.5, 1e-5, factor=3.0, wd_factor=10.0)
    assert fine.lr == pytest.approx((0.5 / 3, 1.0))
    assert fine.weight_decay == pytest.approx((1e-5, 1e-4))


def test_short_run_needs_a_validation_split(tiny_data):
    with pytest.raises(ValueError, match="validation split"):
        search.short_run_data(Splits(tiny_data.train), TINY_RUN)


def test_short_run_data_takes_balanced_subsets(tiny_data):
    assert len(tiny_data.train[1]) == 60 and len(tiny_data.val[1]) == 40
    assert torch.bincount(tiny_data.train[1]).tolist() == [6] * 10


def test_train_short_run_is_reproducible_and_learns(tiny_data):
    first = search.train_short_run(tiny_data, 0.1, 1e-4, TINY_RUN)
    assert first == search.train_short_run(tiny_data, 0.1, 1e-4, TINY_RUN)
    assert first > 0.5  # separable classes: far above chance after 3 epochs


def test_train_short_run_scores_a_diverged_run_as_chance(tiny_data):
    assert search.train_short_run(tiny_data, 1e6, 0.0, TINY_RUN) == search.CHANCE


def test_grid_study_tries_exactly_the_grid():
    space = search.SearchSpace()
    study = search.grid_study(stand_in, space, points_per_axis=3)
    table = search.trials_table(study)
    tried = set(zip(table["lr"].tolist(), table["weight_decay"].tolist()))
    expected = {(a, b) for a in search.log_grid(*space.lr, 3).tolist()
                for b in search.log_grid(*space.weight_decay, 3).tolist()}
    assert tried == expected and len(table["lr"]) == 9


def test_random_study_same_seed_same_trials():
    a = search.trials_table(search.random_study(stand_in, 6, seed=4))
    b = search.trials_table(search.random_study(stand_in, 6, seed=4))
    assert np.array_equal(a["lr"], b["lr"]) and np.array_equal(a["value"], b["value"])


def test_pruned_trials_are_marked_pruned(tiny_data):
    objective = search.make_objective(tiny_data, search.SearchSpace(lr=(1e-5, 1.0)), TINY_RUN)
    pruner = optuna.pruners.ThresholdPruner(lower=0.15)  # prunes trials stuck at chance
    study = search.run_study(objective, optuna.samplers.RandomSampler(seed=0), 8, pruner)
    table = search.trials_table(study)
    states = [t.state for t in study.trials]
    assert table["pruned"].tolist() == [s == optuna.trial.TrialState.PRUNED for s in states]
    assert table["pruned"].any() and not table["pruned"].all()
    assert np.all(table["epochs"][table["pruned"]] < 3)
    assert np.all(table["epochs"][~table["pruned"]] == 3)


def test_trials_table_keeps_first_epoch_and_final_scores(tiny_data):
    objective = search.make_objective(tiny_data, search.SearchSpace(), TINY_RUN)
    study = search.random_study(objective, 2, seed=0)
    table = search.trials_table(study)
    for i, trial in enumerate(study.trials):
        assert table["first"][i] == trial.intermediate_values[1]
        assert table["value"][i] == trial.value == trial.intermediate_values[TINY_RUN.epochs]


def test_best_so_far_is_the_running_maximum_ignoring_nan():
    assert search.best_so_far([0.2, np.nan, 0.5, 0.3]).tolist() == [0.2, 0.2, 0.5, 0.5]


def test_check_log_uniform_sampler_accepts_other_correct_methods():
    def tens_power(low, high, n, generator):  # 10 ** uniform exponent, in float32
        u = torch.rand(n, generator=generator)
        return 10 ** (math.log10(low) + u * (math.log10(high) - math.log10(low)))

    def numpy_list(low, high, n, generator):
        u = torch.rand(n, generator=generator).numpy()
        return list(np.exp(np.log(low) + u * np.log(high / low)))

    for sampler in (tens_power, numpy_list, search.sample_log_uniform):
        assert search.check_log_uniform_sampler(sampler, 3e-5, 0.7, quiet=True)


def test_check_log_uniform_sampler_rejects_linear_uniform_sampling():
    def linear(low, high, n, generator):
        return low + (high - low) * torch.rand(n, generator=generator)

    with pytest.raises(CheckFailed, match="not log-uniform"):
        search.check_log_uniform_sampler(linear, 1e-4, 1.0, quiet=True)


def test_check_log_uniform_sampler_rejects_ignoring_the_generator():
    def unseeded(low, high, n, generator):
        return search.sample_log_uniform(low, high, n)  # the global RNG, not `generator`

    with pytest.raises(CheckFailed, match="same seed"):
        search.check_log_uniform_sampler(unseeded, 1e-4, 1.0, quiet=True)


def test_check_log_uniform_sampler_rejects_out_of_range_values():
    def too_wide(low, high, n, generator):
        return search.sample_log_uniform(low / 10, high, n, generator)

    with pytest.raises(CheckFailed, match="outside"):
        search.check_log_uniform_sampler(too_wide, 1e-4, 1.0, quiet=True)
