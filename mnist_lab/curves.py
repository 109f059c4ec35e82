"""What a learning curve says: the generalisation gap and the early-stopping rule (lessons 10, 12).

`fit(..., TrainConfig(early_stopping=patience))` stops with `should_stop`, so the exercises of
lessons 10 and 12 are checked against the very rule and measure the course uses.
"""

from __future__ import annotations

from collections.abc import Sequence


def epochs_since_best(values: Sequence[float], mode: str = "max") -> int:
    """Epochs after the FIRST epoch that reached the best value (0: the latest is a new best).

    mode="max" for accuracies, "min" for losses. A later tie is not a new best: it does not
    reset the count, which is what early stopping wants (no progress is no progress).
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    if len(values) == 0:
        raise ValueError("no epochs yet: values is empty")
    best = max(values) if mode == "max" else min(values)
    return len(values) - 1 - list(values).index(best)


def should_stop(values: Sequence[float], patience: int, mode: str = "max") -> bool:
    """True when the last `patience` epochs brought no new best (fit's early_stopping rule)."""
    if patience < 1:
        raise ValueError(f"patience is a number of epochs (>= 1), got {patience}")
    return epochs_since_best(values, mode) >= patience


def generalisation_gap(train_acc: Sequence[float], val_acc: Sequence[float], last: int = 3
                       ) -> float:
    """Mean of train_acc − val_acc over the last `last` epochs (all of them if fewer)."""
    if len(train_acc) != len(val_acc) or len(train_acc) == 0:
        raise ValueError(f"need two curves of the same, non-zero length; got {len(train_acc)} "
                         f"and {len(val_acc)} epochs")
    if last < 1:
        raise ValueError(f"last must be >= 1, got {last}")
    gaps = [float(t) - float(v) for t, v in zip(train_acc, val_acc)][-last:]
    return sum(gaps) / len(gaps)
