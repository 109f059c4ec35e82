"""MNIST and Fashion-MNIST as tensors on the device, and the helpers that slice them (lesson 00).

    images, labels = load_mnist("train")        # uint8 [60000, 28, 28], int64 [60000]
    x = scale(images)                           # float32 [60000, 784] in [0, 1], the book's /255
    for xb, yb in iterate_minibatches(x, labels, 128, generator=torch.Generator().manual_seed(0)):
        ...

The first load finds (or fetches) the IDX files, verifies them and caches the tensors; later loads
check the cached tensors against the published checksums and take about 0.15 s. Where the files
come from is in `mnist_lab.sources`, the file format and the errors in `mnist_lab.idx`.
Everything here works on whole tensors: no Python loop over samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from mnist_lab import sources
from mnist_lab.catalogue import Dataset, dataset
from mnist_lab.idx import BadHeader
from mnist_lab.sources import FileRecord as FileRecord  # re-exported: lesson 00 uses them here
from mnist_lab.sources import data_location as data_location
from mnist_lab.sources import fetch_mnist as fetch_mnist
from mnist_lab.sources import find_or_fetch

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

Pair = tuple[torch.Tensor, torch.Tensor]  # (inputs, labels) of one split
Device = str | torch.device | None
Root = str | Path | None


# ---- loading --------------------------------------------------------------------------------


def load_mnist(split: str = "train", root: Root = None, device: Device = None) -> Pair:
    """Images (uint8 [N,28,28]) and labels (int64 [N]) of split "train" or "test" (lesson 00)."""
    return _load("mnist", split, root, device)


def load_fashion_mnist(split: str = "train", root: Root = None, device: Device = None) -> Pair:
    """Fashion-MNIST, the same way as `load_mnist` (lesson 00)."""
    return _load("fashion", split, root, device)


def _load(dataset_name: str, split: str, root: Root, device: Device) -> Pair:
    ds = dataset(dataset_name)
    names = _split_files(split)
    found = find_or_fetch(ds, names, root)
    paths = [found[name][0] for name in names]
    # The cache is valid only for these exact raw bytes, checked against these checksums.
    key = {"files": sources.source_key(paths), "expected": [ds.spec(n).sha256 for n in names]}
    cache = sources.tensor_cache_path(ds, split)
    cached = sources.load_tensors(cache, key, [ds.spec(n) for n in names])
    if cached is None:
        cached = _read_split(ds, names, paths)
        sources.save_tensors(cache, key, *cached)
    images, labels = cached
    return images.to(device or "cpu"), labels.to(device or "cpu")


def _read_split(ds: Dataset, names, paths) -> Pair:
    """Verify and read the images and labels files of one split into CPU tensors."""
    fix = sources.offline_steps(ds)
    images, _ = sources.read_verified(ds, names[0], paths[0])  # uint8 [N, 28, 28]
    labels, _ = sources.read_verified(ds, names[1], paths[1])  # uint8 [N]
    if len(images) != len(labels):
        raise BadHeader(
            "The images and labels files of one split disagree on the number of items.",
            path=paths[1], expected=f"{len(images)} labels, one per image in {paths[0]}",
            found=f"{len(labels)} labels", fix=fix,
        )
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def _split_files(split: str) -> tuple[str, str]:
    if split not in FILES:
        raise ValueError(
            f"split must be 'train' or 'test', got {split!r}. For a validation set use "
            "load_splits(val_size=...) or train_val_split(...)."
        )
    return FILES[split]


# ---- turning pixels into inputs and labels into targets -------------------------------------


def scale(images: torch.Tensor) -> torch.Tensor:
    """uint8 [N,28,28] → float32 [N,784] in [0,1]: the book's pixels / 255 (lesson 00)."""
    if images.dtype != torch.uint8:
        raise ValueError(
            f"scale expects the raw uint8 images from load_mnist, got dtype {images.dtype}; "
            "scaling twice would divide by 255 twice."
        )
    return images.reshape(len(images), -1).to(torch.float32).div_(255.0)


def standardize(
    x: torch.Tensor, mean: float | None = None, std: float | None = None
) -> tuple[torch.Tensor, float, float]:
    """(x - mean) / std, plus the mean and std used, to reuse on validation and test data.

    With no statistics given they are computed from `x`, which should be the training set.
    One mean and one std over all pixels (MNIST: about 0.1307 and 0.3081), not one per pixel:
    the border pixels are black in every image, so a per-pixel std would be 0 there (lesson 09).
    """
    if (mean is None) != (std is None):
        raise ValueError("Give both mean and std (from the training set), or neither.")
    if mean is None:
        mean, std = x.mean().item(), x.std().item()
    if not std > 0:
        raise ValueError(f"std must be positive, got {std}: is the input constant?")
    return (x - mean) / std, mean, std


def one_hot(labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """int labels [N] → float32 targets [N, num_classes], exactly 1.0 and 0.0 (lesson 00)."""
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1} for num_classes={num_classes}.")
    return F.one_hot(labels.long(), num_classes).to(torch.float32)


# ---- splits and subsets ---------------------------------------------------------------------


@dataclass(frozen=True)
class Splits:
    """Train / validation / test pairs (x float32 [N,784], y int64 [N]), each may be None."""

    train: Pair | None
    val: Pair | None = None
    test: Pair | None = None
    mean: float | None = None  # standardisation statistics of the training part, if applied
    std: float | None = None


def load_splits(
    val_size: int | float = 0,
    seed: int = 0,
    stratify: bool = True,
    standardize: bool = False,
    device: Device = None,
    dataset: str = "mnist",
) -> Splits:
    """Scaled train / validation / test sets on `device` (lesson 09).

    `val_size` images (a count, or a fraction of the 60,000) are held out of the training set,
    chosen with `seed` and, with `stratify`, in the same class proportions. With `standardize`
    all three are standardised with the statistics of the remaining training images.
    """
    xtr, ytr = _load(dataset, "train", None, device)
    xte, yte = _load(dataset, "test", None, device)
    train, test, val = (scale(xtr), ytr), (scale(xte), yte), None
    if val_size:
        tr, va = train_val_split(ytr, val_size, seed, stratify=stratify)
        train, val = (train[0][tr], ytr[tr]), (train[0][va], ytr[va])
    if not standardize:
        return Splits(train, val, test)
    return _standardized(train, val, test)


def _standardized(train: Pair, val: Pair | None, test: Pair) -> Splits:
    x, mean, std = standardize(train[0])
    val = None if val is None else (standardize(val[0], mean, std)[0], val[1])
    test = (standardize(test[0], mean, std)[0], test[1])
    return Splits((x, train[1]), val, test, mean, std)


def train_val_split(
    labels_or_n: torch.Tensor | int,
    val_size: int | float,
    seed: int = 0,
    stratify: bool = False,
    *,
    device: Device = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded (train_idx, val_idx) in file order; `stratify` keeps class proportions (lesson 09).

    `val_size` is a count, or a fraction in (0, 1). Stratifying needs the labels, not just N.
    The indices land on `device`, by default the labels' device (cpu for a count).
    """
    labels = None if isinstance(labels_or_n, int) else labels_or_n
    n = labels_or_n if labels is None else len(labels)
    n_val = round(val_size * n) if isinstance(val_size, float) else int(val_size)
    if not 0 < n_val < n:
        raise ValueError(f"val_size must leave both parts non-empty: got {val_size!r} of {n}.")
    if device is None:
        device = labels.device if labels is not None else "cpu"
    gen = torch.Generator().manual_seed(seed)  # on the CPU: same split on every device
    if stratify:
        if labels is None:
            raise ValueError("stratify=True needs the labels tensor, not just the count.")
        y = labels.cpu()
        is_val = _pick_per_class(y, _proportional_quota(torch.bincount(y), n_val), gen)
    else:
        is_val = torch.zeros(n, dtype=torch.bool)
        is_val[torch.randperm(n, generator=gen)[:n_val]] = True
    idx = torch.arange(n)
    return idx[~is_val].to(device), idx[is_val].to(device)


def stratified_subset(labels: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """Indices (file order) of `n` samples, as equal per class as the data allows (lesson 09).

    For quick experiments, e.g. "overfit 100 images" takes 10 of each digit. When `n` is not a
    multiple of the number of classes, the lowest classes get one more.
    """
    if not 0 < n <= len(labels):
        raise ValueError(f"n must be between 1 and {len(labels)}, got {n}.")
    y = labels.cpu()
    gen = torch.Generator().manual_seed(seed)
    is_chosen = _pick_per_class(y, _balanced_quota(torch.bincount(y), n), gen)
    return torch.arange(len(y))[is_chosen].to(labels.device)


def _proportional_quota(counts: torch.Tensor, total: int) -> torch.Tensor:
    """Split `total` over classes in proportion to `counts` (largest remainder, sums exactly)."""
    n = int(counts.sum())
    quota = counts * total // n
    remainder = counts * total - quota * n
    short = total - int(quota.sum())
    quota[torch.argsort(remainder, descending=True, stable=True)[:short]] += 1
    return quota


def _balanced_quota(counts: torch.Tensor, total: int) -> torch.Tensor:
    """Split `total` equally over classes; a class short of its share gives the rest to others."""
    quota = torch.zeros_like(counts)
    left = total
    while left > 0:  # at most one round per class
        open_ = (quota < counts).nonzero().flatten()
        share = left // len(open_)
        if share == 0:
            quota[open_[:left]] += 1
            break
        add = torch.clamp(counts[open_] - quota[open_], max=share)
        quota[open_] += add
        left -= int(add.sum())
    return quota


def _pick_per_class(y: torch.Tensor, quota: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Boolean mask [N] choosing quota[c] random samples of each class c (no per-sample loop)."""
    perm = torch.randperm(len(y), generator=gen)  # a random order of all samples
    order = torch.argsort(y[perm], stable=True)  # grouped by class, still random within one
    grouped, classes = perm[order], y[perm][order]
    counts = torch.bincount(y, minlength=len(quota))
    start = torch.cumsum(counts, 0) - counts  # where each class begins in `grouped`
    rank = torch.arange(len(y)) - start[classes]  # position of each sample within its class
    mask = torch.zeros(len(y), dtype=torch.bool)
    mask[grouped[rank < quota[classes]]] = True
    return mask


# ---- mini-batches ---------------------------------------------------------------------------


def minibatches(
    n: int,
    batch_size: int,
    *,
    shuffle: bool = True,
    generator: torch.Generator | None = None,
    device: Device = None,
) -> Iterator[torch.Tensor]:
    """Index tensors covering 0..n-1 once, `batch_size` at a time; the last batch may be short.

    shuffle=True takes a fresh `torch.randperm` (seeded by `generator`) per call, i.e. per
    epoch; shuffle=False gives file order. The indices live on `device` (lesson 08).
    """
    _check_batching(n, batch_size)
    device = torch.device(device or "cpu")
    if shuffle:
        # The permutation is drawn where the generator lives, then moved once per epoch.
        where = generator.device if generator is not None else device
        order = torch.randperm(n, generator=generator, device=where).to(device)
    else:
        order = torch.arange(n, device=device)
    return (order[i : i + batch_size] for i in range(0, n, batch_size))


def iterate_minibatches(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    *,
    shuffle: bool = True,
    generator: torch.Generator | None = None,
) -> Iterator[Pair]:
    """(xb, yb) mini-batches of one epoch, gathered on the data's own device (lesson 08)."""
    if len(x) != len(y) or x.device != y.device:
        raise ValueError(
            f"x and y must have the same length and device: got {len(x)} on {x.device} "
            f"and {len(y)} on {y.device}."
        )
    _check_batching(len(x), batch_size)
    if not shuffle:  # plain slices are views: no copy at all
        starts = range(0, len(x), batch_size)
        return ((x[i : i + batch_size], y[i : i + batch_size]) for i in starts)
    batches = minibatches(len(x), batch_size, generator=generator, device=x.device)
    return ((x[b], y[b]) for b in batches)


def _check_batching(n: int, batch_size: int) -> None:
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}.")
    if n < 0:
        raise ValueError(f"n must be a count of samples, got {n}.")
