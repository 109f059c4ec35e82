"""What `fit` checks before its first step, so that mistakes fail early and clearly (lesson 08).

Without these checks a one-hot label tensor, unscaled uint8 pixels or a BCE loss on logits fail
deep inside torch with a message about shapes or dtypes, or worse, train without an error and
learn nothing. `train_stacked` and the range test reuse them.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from mnist_lab.metrics import model_outputs

if TYPE_CHECKING:  # only for annotations: train.py imports this module
    from mnist_lab.train import TrainConfig


def split_data(data: Any, device: torch.device) -> tuple[tuple, tuple | None]:
    """(x, y) for training and (x, y) or None for validation, on `device` (lesson 08)."""
    train, val = (data, None) if isinstance(data, tuple) else (data.train, data.val)
    if train is None or len(train) != 2:
        raise TypeError("data must be a Splits with a .train (x, y) pair, or an (x, y) pair")
    train = tuple(t.to(device) for t in train)
    val = None if val is None else tuple(t.to(device) for t in val)
    return train, val


def check_xy(x: torch.Tensor, y: torch.Tensor, split: str) -> None:
    """Raise a clear error unless x is float and y holds as many int64 labels (lesson 08)."""
    if not x.is_floating_point():
        raise TypeError(f"{split} x is {x.dtype}; scale pixels to float first (data.scale)")
    if y.dtype != torch.int64 or y.ndim != 1:
        raise TypeError(
            f"{split} y must be int64 class labels of shape (N,), got {y.dtype} {tuple(y.shape)};"
            " pass labels, not one-hot vectors (the loss one-hot encodes them itself)"
        )
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"{split} has {len(x)} inputs and {len(y)} labels; need as many, > 0")


def num_outputs(model: nn.Module, x: torch.Tensor) -> int:
    """Number of classes the model predicts: the width of its output for one sample."""
    return model_outputs(model, x[:1]).shape[1]


def check_setup(model: nn.Module, x, y, val, config: TrainConfig) -> int:
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
