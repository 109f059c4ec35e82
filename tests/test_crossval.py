"""k-fold cross-validation: the folds, and one score per fold."""

import pytest
import torch

from mnist_lab.crossval import cross_validate, kfold_indices
from mnist_lab.models import MLP
from mnist_lab.train import TrainConfig


def test_every_index_is_in_exactly_one_validation_fold():
    folds = kfold_indices(103, 5)
    val = torch.cat([v for _, v in folds])
    assert torch.equal(val.sort().values, torch.arange(103))


def test_train_and_validation_parts_are_disjoint_and_complete():
    for train, val in kfold_indices(50, 4):
        assert len(set(train.tolist()) & set(val.tolist())) == 0
        assert len(train) + len(val) == 50


def test_fold_sizes_differ_by_at_most_one():
    sizes = [len(v) for _, v in kfold_indices(103, 5)]
    assert max(sizes) - min(sizes) <= 1


def test_folds_are_seeded():
    a, b, c = kfold_indices(40, 5, seed=1), kfold_indices(40, 5, seed=1), kfold_indices(40, 5, 2)
    assert all(torch.equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(torch.equal(x[1], z[1]) for x, z in zip(a, c))


def test_kfold_rejects_k_below_two():
    with pytest.raises(ValueError, match="k must be between 2"):
        kfold_indices(10, 1)


def test_cross_validate_returns_one_accuracy_per_fold():
    g = torch.Generator().manual_seed(0)
    centres = torch.rand(10, 784, generator=g)
    y = torch.arange(200) % 10
    x = (centres[y] + 0.2 * torch.randn(200, 784, generator=g)).clamp(0, 1)
    config = TrainConfig(epochs=5, batch_size=32, loss="cross_entropy", progress=False)

    def make_model():
        return MLP(sizes=(784, 32, 10), hidden_activation="leaky_relu", output_activation="none")

    scores = cross_validate(make_model, x, y, k=4, config=config)
    assert len(scores) == 4 and all(0.5 < s <= 1.0 for s in scores)  # chance: 0.1
