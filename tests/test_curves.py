"""mnist_lab.curves: the early-stopping rule fit applies and the generalisation gap."""

import pytest
import torch

from mnist_lab.curves import epochs_since_best, generalisation_gap, should_stop
from mnist_lab.data import Splits
from mnist_lab.models import MLP
from mnist_lab.train import TrainConfig, fit


def test_a_new_best_on_the_latest_epoch_counts_zero():
    assert epochs_since_best([0.5, 0.6, 0.7]) == 0


def test_epochs_count_from_the_first_epoch_that_reached_the_best():
    assert epochs_since_best([0.9, 0.93, 0.92, 0.93]) == 2  # the later tie is not a new best


def test_losses_are_best_when_lowest():
    assert epochs_since_best([1.0, 0.4, 0.5, 0.6], mode="min") == 2


def test_should_stop_after_patience_epochs_without_a_new_best():
    assert should_stop([0.90, 0.93, 0.92, 0.93], 2)
    assert not should_stop([0.90, 0.93, 0.92], 2)


def test_should_stop_rejects_a_patience_below_one():
    with pytest.raises(ValueError, match="patience"):
        should_stop([0.5], 0)


def test_an_empty_curve_is_an_error_not_a_stop():
    with pytest.raises(ValueError, match="empty"):
        epochs_since_best([])


def test_an_unknown_mode_is_named():
    with pytest.raises(ValueError, match="'max' or 'min'"):
        epochs_since_best([0.5], mode="best")


def test_fit_stops_exactly_where_should_stop_first_says_so():
    torch.manual_seed(0)
    x, y = torch.rand(64, 784), torch.randint(0, 10, (64,))
    model = MLP(sizes=(784, 8, 10), hidden_activation="relu", output_activation="none")
    splits = Splits((x[:48], y[:48]), (x[48:], y[48:]), (x[48:], y[48:]))
    history = fit(model, splits, TrainConfig(epochs=40, batch_size=16, loss="cross_entropy",
                                             early_stopping=2, progress=False, seed=0))
    curve = history.val_acc
    first_stop = next(n for n in range(1, len(curve) + 1) if should_stop(curve[:n], 2))
    assert len(curve) == first_stop < 40


def test_generalisation_gap_averages_the_last_epochs():
    gap = generalisation_gap([0.5, 0.9, 1.0, 1.0], [0.5, 0.8, 0.9, 0.7], last=2)
    assert gap == pytest.approx(0.2)


def test_generalisation_gap_uses_every_epoch_when_there_are_fewer_than_last():
    assert generalisation_gap([0.8, 0.9], [0.7, 0.9], last=3) == pytest.approx(0.05)


def test_generalisation_gap_is_negative_when_validation_is_ahead():
    assert generalisation_gap([0.7], [0.75]) == pytest.approx(-0.05)


def test_generalisation_gap_rejects_curves_of_different_lengths():
    with pytest.raises(ValueError, match="same"):
        generalisation_gap([0.9, 0.95], [0.9])
