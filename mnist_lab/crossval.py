"""k-fold cross-validation for small data sets (lesson 09).

With little data a single validation split is noisy: which images land in it changes the
score. k-fold splits the data into k folds, trains k models, each validated on one fold and
trained on the other k − 1, and reports the mean ± std of the k scores.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from mnist_lab import metrics
from mnist_lab.train import TrainConfig, fit


def kfold_indices(
    n: int, k: int, seed: int = 0, device: str | torch.device | None = None
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """k seeded (train_idx, val_idx) pairs; every index is in exactly one val fold (lesson 09).

    Fold sizes differ by at most one. Indices are sorted within each part.
    """
    if not 2 <= k <= n:
        raise ValueError(f"k must be between 2 and n={n}, got {k}")
    gen = torch.Generator().manual_seed(seed)  # on the CPU: the same folds on every device
    order = torch.randperm(n, generator=gen)
    folds = torch.tensor_split(order, k)  # k nearly equal parts of a random order
    pairs = []
    for i, val in enumerate(folds):
        train = torch.cat([f for j, f in enumerate(folds) if j != i])
        pairs.append((train.sort().values.to(device), val.sort().values.to(device)))
    return pairs


def cross_validate(
    make_model: Callable[[], nn.Module],
    x: torch.Tensor,
    y: torch.Tensor,
    k: int = 5,
    config: TrainConfig | None = None,
    seed: int = 0,
) -> list[float]:
    """Validation accuracy of each of k models, one per fold (lesson 09).

    make_model() must return a fresh, untrained model each call. Training uses `config`
    (default TrainConfig()) on the other k − 1 folds.
    """
    config = config or TrainConfig(progress=False)
    scores = []
    for train, val in kfold_indices(len(x), k, seed, device=x.device):
        model = make_model()
        fit(model, (x[train], y[train]), config)
        scores.append(metrics.accuracy(model, x[val], y[val]))
    return scores
