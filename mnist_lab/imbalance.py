"""Class imbalance: make a data set lopsided, then rebalance it (lesson 18).

Every function works on index tensors, never on a Python loop over samples: it returns the
indices to take (`x[idx], y[idx]`), drawn with a seeded generator, on the labels' device.

- `make_imbalanced` keeps only a fraction of some classes (the "rare" digits);
- `oversample` repeats the rare classes' samples until every class is as common as the largest;
- `undersample` drops samples of the common classes until every class is as rare as the smallest;
- `inverse_frequency_weights` gives each class the weight N / (C · n_c) for a class-weighted loss;
- `balanced_accuracy` is the mean of the per-class recalls, which plain accuracy hides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from mnist_lab.device import widest_float


def _check_labels(labels: torch.Tensor) -> None:
    if labels.ndim != 1 or labels.dtype != torch.int64:
        raise TypeError(
            f"labels must be int64 class labels of shape (N,), got {labels.dtype} "
            f"{tuple(labels.shape)}"
        )
    if len(labels) and int(labels.min()) < 0:
        raise ValueError("labels must be >= 0 (class numbers 0..C-1)")


def _generator(seed: int) -> torch.Generator:
    """A CPU generator: the same draw on every device."""
    return torch.Generator().manual_seed(seed)


def _random_rank(labels: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(order, rank): the samples grouped by class in a random order within each class, and the
    position of each of them within its class (0, 1, 2, ...). No loop over samples."""
    y = labels.cpu()
    perm = torch.randperm(len(y), generator=gen)  # a random order of all samples
    order = perm[torch.argsort(y[perm], stable=True)]  # grouped by class, random inside
    counts = torch.bincount(y)
    start = torch.cumsum(counts, 0) - counts  # where each class begins in `order`
    rank = torch.arange(len(y)) - start[y[order]]  # (N,) position within the class
    return order, rank


def make_imbalanced(
    labels: torch.Tensor,
    rare: Mapping[int, float] | Sequence[int],
    fraction: float | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """Indices (file order) keeping only a fraction of the rare classes' samples (lesson 18).

    rare: {class: fraction kept}, e.g. {3: 0.02, 8: 0.02}; or a list of classes with one
    `fraction` for all of them. Each rare class keeps round(fraction · count) samples, at least 1,
    chosen at random with `seed`; every other class keeps all of its samples.
    """
    _check_labels(labels)
    if not isinstance(rare, Mapping):
        if fraction is None:
            raise ValueError("give rare as {class: fraction}, or a list of classes and fraction=")
        rare = {int(c): fraction for c in rare}
    elif fraction is not None:
        raise ValueError("rare is already {class: fraction}; leave fraction=None")
    counts = torch.bincount(labels.cpu())
    quota = counts.clone()  # how many of each class to keep
    for c, f in rare.items():
        if not 0 <= c < len(counts):
            raise ValueError(f"class {c} does not occur in labels (classes 0..{len(counts) - 1})")
        if not 0 < f <= 1:
            raise ValueError(f"the fraction kept of class {c} must be in (0, 1], got {f}")
        quota[c] = max(1, round(f * int(counts[c])))
    order, rank = _random_rank(labels, _generator(seed))
    keep = order[rank < quota[labels.cpu()[order]]]
    return keep.sort().values.to(labels.device)


def oversample(labels: torch.Tensor, target: int | None = None, seed: int = 0) -> torch.Tensor:
    """Indices that repeat samples of the small classes until each has `target` (lesson 18).

    target defaults to the largest class's count. The result is every index 0..N-1 once, in file
    order, followed by the added copies (so `idx[len(labels):]` are exactly the duplicates, e.g.
    to augment them). Copies cycle through a class's samples in a random order, so each sample
    is repeated at most once more than any other of its class. Classes already at or above
    `target` are left as they are; classes with no samples stay empty.
    """
    _check_labels(labels)
    y = labels.cpu()
    counts = torch.bincount(y)
    target = int(counts.max()) if target is None else target
    if target < 1:
        raise ValueError(f"target must be a count >= 1, got {target}")
    order, _ = _random_rank(labels, _generator(seed))  # each class's samples, shuffled
    extra = (target - counts).clamp(min=0)  # copies needed per class, (C,)
    start = torch.cumsum(counts, 0) - counts
    cls = torch.repeat_interleave(torch.arange(len(counts)), extra)  # class of each copy
    k = torch.arange(len(cls)) - (torch.cumsum(extra, 0) - extra)[cls]  # copy number in class
    copies = order[start[cls] + k % counts[cls].clamp(min=1)]  # cycle through the class
    return torch.cat([torch.arange(len(y)), copies]).to(labels.device)


def undersample(labels: torch.Tensor, target: int | None = None, seed: int = 0) -> torch.Tensor:
    """Indices (file order) keeping at most `target` random samples of each class (lesson 18).

    target defaults to the smallest count among the classes present, which balances the set
    exactly, at the price of throwing most of the data away.
    """
    _check_labels(labels)
    y = labels.cpu()
    counts = torch.bincount(y)
    target = int(counts[counts > 0].min()) if target is None else target
    if target < 1:
        raise ValueError(f"target must be a count >= 1, got {target}")
    order, rank = _random_rank(labels, _generator(seed))
    return order[rank < target].sort().values.to(labels.device)


def class_counts(labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """How many samples of each class, (num_classes,) int64 (lesson 18)."""
    _check_labels(labels)
    return torch.bincount(labels, minlength=num_classes)


def inverse_frequency_weights(counts: torch.Tensor | Sequence[int]) -> torch.Tensor:
    """Class weights N / (C · n_c): a rare class weighs more, a balanced set gets ones (lesson 18).

    counts: (C,) samples per class. Summed over the training set, every class then carries the
    same total weight N / C. A class with no samples gets weight 0 (it has nothing to weigh,
    and 1/0 would be inf). Returns float64 for float64 counts, float32 otherwise.
    """
    counts = torch.as_tensor(counts)
    if counts.ndim != 1 or len(counts) == 0:
        raise ValueError(f"counts must be a 1-d tensor with one count per class, got {counts}")
    if (counts < 0).any():
        raise ValueError(f"counts must be >= 0, got {counts.tolist()}")
    dtype = torch.float64 if counts.dtype == torch.float64 else torch.float32
    counts = counts.to(dtype)
    weights = counts.sum() / (len(counts) * counts)
    return torch.where(counts > 0, weights, torch.zeros_like(weights))


def balanced_accuracy(cm: torch.Tensor) -> float:
    """The mean of the per-class recalls, from a confusion matrix (lesson 18).

    Every class counts equally, however rare: a model that never predicts a rare digit loses
    1/C of the score for it, where plain accuracy loses only that digit's share of the samples.
    Classes absent from the data (an empty row) are left out of the mean.
    """
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (C, C) confusion matrix, got {tuple(cm.shape)}")
    totals = cm.sum(dim=1).to(widest_float(cm.device))
    present = totals > 0
    if not present.any():
        raise ValueError("the confusion matrix is empty")
    recall = cm.diagonal().to(totals.dtype)[present] / totals[present]
    return float(recall.mean())
